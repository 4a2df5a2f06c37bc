// SPDX-License-Identifier: MIT
#pragma once

#include "event.h"
#include "eventfields.h"
#include "latencyhistogram.h"
#include "namedvalues.h"

#include <QHash>
#include <QJsonObject>
#include <QList>

#include <deque>
#include <limits>
#include <memory>
#include <queue>
#include <vector>

class QDataStream;

namespace FlowScope {

struct Flow;
struct Saga;

// One saga of the flow file as live state machines: an instance per correlation id, opened by
// the saga's start event in its first state, moved by event types, ended by a final state's
// outcome. Timeouts are in event time: an instance that stays longer than its state's timeout
// in a non-final state is stuck until it moves on. Anomalies are kept on the instance and counted.
//
// Memory stays bounded on a stream that runs for days: open instances are all kept, ended ones
// only the latest finishedKept() (by end time). When twice that many have ended, the oldest
// are dropped at once (so the cost is amortised); every count, outcome and latency keeps them.
// An event for a dropped instance's correlation id counts as unmatched.
class SagaTracker final {
public:
    enum class Anomaly : quint8 {
        Duplicate,   // the same event id again: changes nothing else
        NotAccepted, // the current state has no transition for this type
        AfterFinal,  // the instance had already ended
    };
    struct AnomalyRecord {
        Anomaly kind;
        qint64 seq;
        QByteArray type;
    };
    struct Instance {
        QByteArray correlationId;
        int state = 0;
        qint64 startedAt = NoTime; // event time of the start event
        qint64 enteredAt = NoTime; // when it entered its current state
        qint64 endedAt = NoTime;
        qint64 lastTime = NoTime;
        QByteArray lastType;
        qint64 lastSeq = 0;
        quint32 entry = 0; // bumped on every state change: stale timeout entries are ignored
        bool stuck = false;
        qint64 anomalyCount = 0;
        QList<AnomalyRecord> anomalies; // the first MaxAnomaliesKept
        // to recognise duplicates: an event is its source and id together (CloudEvents makes only
        // the pair unique: two services may number their events alike)
        QList<QByteArray> eventIds;
        QList<QByteArray> eventSources; // eventIds' sources, index for index
        bool seen(const Event& e) const;
        void remember(const Event& e)
        {
            eventIds.append(e.id);
            eventSources.append(e.source);
        }
        QList<qint64> seqs;             // its events, for timelines (the first MaxSeqsKept)
    };
    static constexpr int MaxAnomaliesKept = 16;
    static constexpr int MaxSeqsKept = 256;
    static constexpr qint64 DefaultFinishedKept = 100000;

    SagaTracker(const Flow& flow, const Saga& saga);
    ~SagaTracker();

    // `correlation` is the event's correlation id under the flow file's rules (may be null).
    void fold(const Event& e, qint64 time, const QByteArray& correlation);
    // Marks instances stuck whose state timed out before `clock` (event time).
    void advanceTo(qint64 clock);

    const Saga& saga() const { return *m_saga; }
    const QByteArray& name() const { return m_name; } // the saga's name, UTF-8
    // The instances kept: every open one and the latest ended ones, in the order they started.
    const std::vector<Instance>& instances() const { return m_instances; }
    qint64 started() const { return m_started; } // instances ever started, dropped ones included
    // A bounded copy for readers: of each kind (running, stuck, and each outcome) the newest
    // `perKind` instances, in start order. Copying every kept instance (up to 200 000) twice a
    // second, and freeing the copies on the GUI thread, stalled the window.
    // `kept` (optional, 6 counts): all kept instances, then per kind as SagaInstanceModel's
    // filters order them: running, stuck, completed, compensated, failed.
    std::vector<Instance> recentInstances(size_t perKind, qint64* kept = nullptr) const;
    qint64 dropped() const { return m_dropped; }
    qint64 finishedKept() const { return m_finishedKept; }
    void setFinishedKept(qint64 n) { m_finishedKept = std::max<qint64>(1, n); } // before the first fold
    const Instance* instance(const QByteArray& correlationId) const;
    QJsonObject toJson() const;

    void save(QDataStream& out) const;
    bool load(QDataStream& in);

    static QString anomalyName(Anomaly a);

private:
    struct Deadline {
        qint64 at;
        int instance;
        quint32 entry;
        bool operator>(const Deadline& o) const { return std::tie(at, instance) > std::tie(o.at, o.instance); }
    };
    // `trigger`: the vocabulary index of the event type that moved it, or m_typeCount for a timeout
    void enter(int index, int state, qint64 time, int trigger);
    void anomaly(Instance& in, Anomaly kind, const Event& e);
    void scheduleTimeout(int index);
    void fireDue(); // the deadlines before m_clock: stuck, or an orchestrator's on_timeout
    void foldOne(const Event& e, qint64 time, const QByteArray& correlation);
    void dropOldestEnded();
    void reindex(); // m_byCorrelation and the deadlines from m_instances

    const Flow* m_flow;
    const Saga* m_saga;
    NamedValues<int> m_vocabulary; // the saga's event types (start, transitions) -> 0, 1, ...
    int m_typeCount = 0;
    int m_stateCount = 0; // the saga's
    std::vector<int> m_next;       // [state * m_typeCount + type]: the state entered, or -1
    QList<qint64> m_stateTimeouts;       // per state, µs; -1 none
    QList<int> m_finalOutcome;           // per state: SagaOutcome as int
    QByteArray m_start;
    QByteArray m_name;

    std::vector<Instance> m_instances;
    QHash<QByteArray, int> m_byCorrelation;
    // Pending timeouts, by state, each queue in the order they fall due: within a state every
    // timeout has the same length, so instances that enter it in time order fall due in that
    // order, and a FIFO does what a heap of every pending deadline did (its sift-down, one cache
    // miss per level, was a twentieth of the demo's fold). An instance entering out of time order
    // (an event older than the state's last entry) goes to the heap instead.
    std::vector<std::deque<Deadline>> m_deadlines; // [state]
    std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> m_lateDeadlines;
    qint64 m_nextDue = std::numeric_limits<qint64>::max(); // no deadline falls due before this
    void clearDeadlines();
    qint64 m_clock = NoTime;

    // aggregates, kept incrementally
    QList<qint64> m_inState;
    // Transitions made, by [(from * states + to) * (m_typeCount + 1) + trigger] (trigger as in
    // enter()): a reply and a timeout into the same state are told apart. A few hundred counts.
    std::vector<qint64> m_moves;
    size_t moveIndex(int from, int to, int trigger) const
    {
        return (size_t(from) * size_t(m_stateCount) + size_t(to)) * size_t(m_typeCount + 1) + size_t(trigger);
    }
    qint64 m_stuck = 0;
    qint64 m_anomalies[3] = { 0, 0, 0 };
    qint64 m_unmatched = 0; // events of the saga for a correlation id with no instance (yet)
    qint64 m_started = 0;
    qint64 m_ended = 0;   // ended instances among m_instances
    qint64 m_dropped = 0; // ended instances dropped to bound memory
    qint64 m_finishedKept = DefaultFinishedKept;
    LatencyHistogram m_latency;
    LatencyHistogram m_latencyByOutcome[4]; // by SagaOutcome
};

} // namespace FlowScope
