// SPDX-License-Identifier: MIT
#pragma once

#include <event.h>
#include <random.h>

#include <QString>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <queue>
#include <vector>

namespace FlowScope::Connectors {

// What `--chaos dup=P,drop=P,delay=D,reorder=N` asks for (docs/cli.md "replay").
struct ChaosOptions {
    double dup = 0; // probability that an event is sent twice (the copy right after it)
    double drop = 0; // probability that an event is not sent
    qint64 delayMicros = 0; // each event held back a random [0, D] of event time
    int reorder = 0; // per key, windows of N consecutive events are shuffled (0 or 1: off)
    std::uint64_t seed = 1;

    bool isEmpty() const { return dup <= 0 && drop <= 0 && delayMicros <= 0 && reorder <= 1; }
    // "dup=0.1,drop=0.05,delay=2s,reorder=4"; an empty text is no chaos. nullopt with *error.
    static std::optional<ChaosOptions> parse(const QString& text, QString* error);
    QString toString() const;
};

struct ChaosCounts {
    qint64 events = 0; // events pushed (the recording's)
    qint64 dropped = 0; // not sent
    qint64 duplicated = 0; // extra copies sent (exactly the surplus a consumer sees)
    qint64 delayed = 0; // sent after an event that entered the delay stage after them
    qint64 reordered = 0; // put at another place within their key's window by the shuffle
};

// Seeded, deterministic disturbance of a replayed stream: the same recording, options and seed
// give the same decisions, in the same order, on every machine (its own splitmix64/xoshiro
// generator; no <random> distributions, which differ between standard libraries).
//
// Stages, per event in recording order:
// 1. drop with probability `drop`;
// 2. duplicate with probability `dup`: the copy follows the original through the next stages;
// 3. reorder: events are collected per key (keyless events form one group of their own) into
//    windows of N; a full window is shuffled and goes on. finish() shuffles and releases the
//    windows that are not full. Per-key order is what a Kafka consumer relies on, so that is the
//    order that is disturbed; events of different keys are not held back by each other.
// 4. delay: each event gets a uniform random delay in [0, D] of event time and leaves when the
//    replay reaches its time plus that delay (in a paced replay that is wall time too).
//
// The caller feeds events with the replay position (event time, never decreasing; NoTime for
// "no time known") and takes out what is due. Not thread-safe.
class ReplayChaos final {
public:
    explicit ReplayChaos(ChaosOptions options);

    // `at`: the replay position the event is handed over at.
    void push(const Event& event, qint64 at);
    // Releases the unfinished reorder windows; afterwards everything held is due by nextDue().
    void finish();
    // The earliest time an event held here is due; NoTime when nothing is held.
    qint64 nextDue() const;
    // Takes the next event due at or before `upTo` (in due order; ties in arrival order).
    bool takeDue(qint64 upTo, Event* out);
    bool isEmpty() const { return m_due.empty(); }
    // Messages held here (copies counted): in reorder windows that are not full yet, and in the
    // delay stage. What a replay that stops early (Ctrl-C) has not sent of what it was given.
    qint64 held() const;

    const ChaosCounts& counts() const { return m_counts; }
    const ChaosOptions& options() const { return m_options; }

private:
    void toDelay(Event event, qint64 at);
    static qint64 windowPosition(const std::deque<std::pair<Event, qint64>>& window);
    void releaseWindow(std::deque<std::pair<Event, qint64>>& window, qint64 at);

    struct Held {
        qint64 due;
        quint64 order; // entry into the delay stage
        bool operator>(const Held& o) const { return due != o.due ? due > o.due : order > o.order; }
    };

    ChaosOptions m_options;
    ChaosCounts m_counts;
    Rng m_rng;
    std::map<QByteArray, std::deque<std::pair<Event, qint64>>> m_windows; // key -> (event, at)
    std::deque<std::pair<Event, qint64>> m_keyless;
    std::priority_queue<Held, std::vector<Held>, std::greater<Held>> m_due;
    std::map<quint64, Event> m_held; // order -> event
    qint64 m_position = NoTime; // the latest position an event was pushed at
    quint64 m_nextOrder = 0;
    quint64 m_maxReleased = 0;
    bool m_releasedAny = false;
};

} // namespace FlowScope::Connectors
