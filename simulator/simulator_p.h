// SPDX-License-Identifier: MIT
// The simulator's inner types, shared by its source files: simulator.cpp (the engine: the
// broker, services, sagas and generators) and simulatorfaults.cpp (faults). Not for its users.
#pragma once

#include "simulator.h"

#include "datatemplate.h"

#include <limits>

namespace FlowScope::Sim {

enum class Simulator::Kind : quint8 {
    Generate,  // a = generator
    Deliver,   // a = service, b = message
    Complete,  // a = service, b = work slot
    Retry,     // a = service, b = work slot
    Publish,   // a = message (held back by a fault, published now)
    FaultOn,   // a = fault
    FaultOff,  // a = fault
    ScaleDown, // a = service: its instances idle for its idle timeout stop
    SagaTimeout, // a = orchestrated saga, b = its SagaWait
};

struct Simulator::Item {
    qint64 time;
    // faults first (0 in the top bit), then the scheduling order << 8 | the kind: ties are broken
    // by scheduling order, deterministic
    quint64 key;
    int a;
    int b;
    Kind kind() const { return Kind(key & 0xff); }
    friend bool isFault(const Item& item) { return (item.key >> 63) == 0; }
    bool operator<(const Item& o) const { return time != o.time ? time < o.time : key < o.key; }
};

// A saga's wait for a reply (SagaTimeout's b): what the timer needs when it fires.
struct Simulator::SagaWait {
    int instance = 0;
    int message = -1; // the message that started the wait, kept for the compensation's payload
    quint32 entry = 0; // the instance's state entry it belongs to
};

// What every event of one generated flow shares: its correlation id and its data. Kept once
// per flow with a plain count, so that a new message takes one integer, not four reference
// counts that the engine thread also changes when it frees the events.
struct Simulator::Job {
    QByteArray correlationId;
    QByteArray payload;
    QByteArray dataContentType;
    quint8 flags = 0;
    int refs = 0; // messages of this flow alive
};

// What a published event's followers need from it. The Event itself is built straight into
// the outgoing batch: a message is only this much, and releasing one resets two arrays.
struct Simulator::Message {
    QByteArray id;
    QByteArray causationId;
    int job = -1;
    int type = -1;
    int producer = -1;
    int channel = -1; // a channel set for this message alone (dead letters), else -1
    int refs = 0;
};

struct Simulator::Work {
    int message = -1;
    qint64 arrival = 0; // first arrival at the service: latency counts from here
    int attempt = 0;    // 0 = first try
    bool timedOut = false; // this attempt ran into the service's timeout
};

struct Simulator::Generator {
    const LoadGenerator* def;
    int type;
    int producer;
    qint64 seq = 0;
    DataTemplate data;
    double peak = 0; // a curve's highest rate (/s): its candidate arrivals come at this rate

    // A curve's rate at `t`: linear between its points, the first one's before them, the last
    // one's after them.
    double curveRate(qint64 t) const
    {
        const QList<CurvePoint>& curve = def->curve;
        if (t < curve.first().at.micros)
            return curve.first().rate.perSecond;
        for (qsizetype i = 0; i + 1 < curve.size(); ++i) {
            const CurvePoint& a = curve[i];
            const CurvePoint& b = curve[i + 1];
            if (t >= a.at.micros && t < b.at.micros) {
                const double x = double(t - a.at.micros) / double(b.at.micros - a.at.micros);
                return a.rate.perSecond + x * (b.rate.perSecond - a.rate.perSecond);
            }
        }
        return curve.last().rate.perSecond;
    }
    // `t` itself when the rate at or right after `t` is above 0; else the start of the next
    // stretch where it is, or -1 when it stays at 0 for good.
    qint64 risesAfter(qint64 t) const
    {
        const QList<CurvePoint>& curve = def->curve;
        if (t < curve.first().at.micros)
            return curve.first().rate.perSecond > 0 ? t : risesAfter(curve.first().at.micros);
        for (qsizetype i = 0; i + 1 < curve.size(); ++i)
            if (t < curve[i + 1].at.micros) {
                if (curve[i].rate.perSecond > 0 || curve[i + 1].rate.perSecond > 0)
                    return t; // above 0 inside the stretch (a rise from 0 starts at once)
                t = curve[i + 1].at.micros; // flat at 0 to the next point: go on from there
            }
        return curve.last().rate.perSecond > 0 ? t : -1;
    }
};

struct Simulator::Service {
    const FlowScope::Service* def;
    ServiceSim sim;
    QByteArray name;
    Fifo<int> queue;         // work slots waiting for a worker
    struct Held {
        int message;
        qint64 since; // when it reached the service and was held back
    };
    Fifo<Held> held;         // deliveries waiting for room in the queue
    Slots<Work> work;
    qint64 capacity = std::numeric_limits<qint64>::max();
    int workers = 1;
    bool serverless = false;
    int down = 0;            // active `down` faults
    int partitioned = 0;     // active `partition` faults
    qint64 downUntil = 0;        // when the latest `down` fault ends
    qint64 partitionedUntil = 0; // when the latest `partition` fault ends
    double slow = 1.0;       // product of active `slow` factors
    double errorRate = 0.0;  // added by `error` faults
    // Serverless: when each idle instance last finished, oldest first (there are warm - busy).
    // Work goes to the one that finished last, so the others stay idle and stop one by one.
    Fifo<qint64> idleSince;
    struct HandlerSim {
        const Handler* def;
        std::vector<int> emits; // the type of each of def->emits.choices
    };
    std::vector<HandlerSim> handlers;
    std::vector<int> handlerOfType; // type -> index in handlers, or -1 (may be shorter than m_types)
    int deadLetterChannel = -1;
    ServiceStats stats;

    // How many more deliveries it takes now: room in its queue, plus the idle workers that would
    // start on them at once (a `queue: 0` service takes work only when a worker is free; a down
    // one has none idle). An unbounded queue's room stays at the largest qint64.
    qint64 room() const
    {
        const int idle = down == 0 ? workers - stats.busy : 0;
        const qint64 free = capacity - qint64(queue.size());
        return free > std::numeric_limits<qint64>::max() - idle ? free : free + idle;
    }
};

// An orchestrated saga as its orchestrator runs it: on entering a state it sends the state's
// command; replies move the instance; a state's timeout moves it to `on_timeout`.
struct Simulator::Orchestration {
    const Saga* saga;
    int service;
    int start; // type
    std::vector<std::vector<int>> next; // [state][type]: the state a reply moves to, or -1
    std::vector<int> send;              // [state]: the command type it sends, or -1
    struct Instance {
        int state = 0;
        quint32 entry = 0;
    };
    std::vector<Instance> instances;
    QHash<QByteArray, int> byCorrelation;
};

// Whether a fault acts where events are published (drop, duplicate, delay: on its channel, or on
// every channel for `broker: all`), not on a service or on the broker as a whole.
inline bool actsOnChannels(const Fault& f)
{
    return f.kind == FaultKind::Drop || f.kind == FaultKind::Duplicate || f.kind == FaultKind::Delay;
}

// Inlined everywhere: GCC kept it a call even inside the flattened publish(), and its entry and
// exit were 3 % of the simulator's instructions (cachegrind: 673 M -> 662 M).
[[gnu::always_inline]] inline void Simulator::schedule(qint64 at, Kind kind, int a, int b)
{
    Q_ASSERT(at >= m_now); // the due FIFO below relies on it, as does time itself
    // A fault acts on everything else at its time, whenever it was scheduled (a --fault at 0 s is
    // scheduled after the generators' first events): its key's top bit is clear, and it goes
    // through the agenda, whose items for now come before the due FIFO's.
    const bool fault = kind == Kind::FaultOn || kind == Kind::FaultOff;
    const Item item { at, (quint64(!fault) << 63) | (m_order++ << 8) | quint64(kind), a, b };
    if (at == m_now && !fault)
        m_due.push_back(item); // no heap needed: it comes after everything already scheduled for now
    else
        m_agenda.push(item);
}

} // namespace FlowScope::Sim
