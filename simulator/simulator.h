// SPDX-License-Identifier: MIT
#pragma once

#include <random.h>
#include "agenda.h"
#include "fifo.h"
#include "slots.h"

#include <event.h>
#include <flowfile.h>

#include <QJsonObject>

#include <functional>
#include <memory>
#include <vector>

namespace FlowScope::Sim {

// What the simulator says about one service at any moment (the metrics stream).
struct ServiceStats {
    QString name;
    qint64 processed = 0;    // handled successfully
    qint64 failed = 0;       // attempts that failed (each retry that fails counts)
    qint64 retries = 0;
    qint64 deadLettered = 0; // gave up after the last retry
    qint64 dropped = 0;      // lost to a channel fault on the way to it
    qint64 duplicated = 0;   // delivered twice by a channel fault (both copies are handled)
    qint64 maxQueue = 0;     // the most events waiting for a worker at once
    qint64 queue = 0;        // waiting now (not counting deliveries held back by a full queue)
    qint64 held = 0;         // deliveries waiting for room in the queue: the consumer lag
    int busy = 0;            // workers (or function instances) handling an event now
    int warm = 0;            // serverless: instances alive
    qint64 coldStarts = 0;
    double latencySumMicros = 0; // arrival at the service to the end of its handling
    qint64 taken = 0;            // deliveries taken from the broker into the queue (or by a worker)
    double lagSumMicros = 0;     // the time those were held back before (a full queue, a fault)
    // Where the rest is, so that every delivery is accounted for at any moment:
    //   deliveries published to it + duplicated = dropped + in_transit + held + taken
    //   taken = processed + dead_lettered + queue + busy + retrying
    qint64 inTransit = 0; // deliveries on their way (broker latency, a delay fault), not arrived yet
    qint64 retrying = 0;  // failed attempts waiting out their backoff before the next one

    double meanLatencyMillis() const { return processed ? latencySumMicros / double(processed) / 1000.0 : 0; }
    // Consumer lag in time: how long a delivery taken so far waited at the broker for the service.
    double meanLagMillis() const { return taken ? lagSumMicros / double(taken) / 1000.0 : 0; }
    // {processed, failed, retries, dead_lettered, dropped, duplicated, max_queue, mean_latency_ms,
    // taken, mean_lag_ms, queue, lag, busy, cold_starts, in_transit, retrying}: the CLI's `services`
    // entries and the window's metrics stream
    QJsonObject toJson() const;
};

// A deterministic discrete-event simulation of the flow file's services (DESIGN.md
// "Simulator"): load generators, a broker with partitions, latency and lag, services with
// worker pools, bounded queues and back-pressure, service-time distributions, failures,
// retries with backoff, timeouts and dead letters, serverless functions, and faults. The same
// flow and seed give the same events. It emits Events like any source: id, type, source,
// time, channel, partition, offset, correlation id, causation id and the data payload.
//
// Not a thread: run flat out with runUntil(), or paced by calling runUntil(clock.now()).
class Simulator final {
public:
    using Sink = std::function<void(EventBatch&&)>;

    // `flow` must have been parsed without errors. Event times are `startTime` plus sim time.
    Simulator(std::shared_ptr<const Flow> flow, quint64 seed, qint64 startTime = DefaultStart);
    ~Simulator();
    // It owns references to its current id block (and pointers into its flow): not copied.
    Simulator(const Simulator&) = delete;
    Simulator& operator=(const Simulator&) = delete;

    static constexpr qint64 DefaultStart = 1'798'761'600'000'000; // 2027-01-01T00:00:00Z

    // Where the events go, in batches of `batchSize` (the last one of a runUntil() may be
    // shorter). Without a sink no Event is built: stats() and eventsEmitted() are the same.
    void setSink(Sink sink, int batchSize = 4096)
    {
        m_sink = std::move(sink);
        m_batchSize = batchSize;
        m_batch.reserve(batchSize); // as flush() does for the next ones: the first one grew by copies
    }
    // Adds a fault; `fault.at` counts from the start of the simulation (a fault in the past
    // starts now). Returns its index.
    int injectFault(const Fault& fault);

    // Processes everything that happens before sim time `until` (µs since the start), hands the
    // events to the sink and moves the clock to `until`. What happens at `until` itself is left
    // for the next call, as SimPy's run(until) does: a run of 10 s at a constant 50/s is 500
    // events, and slices [a, b) [b, c) add up to the run [a, c). Faults that start or end at
    // `until` are applied now (they would come first in the next call anyway), so that a fault
    // injected at now() takes effect with runUntil(now()). Returns the number of events emitted.
    qint64 runUntil(qint64 until);
    qint64 now() const { return m_now; }
    qint64 startTime() const { return m_start; }
    qint64 eventsEmitted() const { return m_emitted; }
    // Events made but not published yet: their producer is cut off from the broker, or the
    // broker is down (they go out when it is back). Not in eventsEmitted() until then.
    qint64 unpublished() const { return m_unpublished; }
    qint64 pendingWork() const;

    std::vector<ServiceStats> stats() const;
    QJsonObject statsJson() const; // {service: ServiceStats::toJson()}
    // Faults with their state at now(): {faults: [{at_s, for_s, target, name, kind, active, and
    // factor (slow), probability (error, drop, duplicate) or delay (delay)}]}
    QJsonObject faultsJson() const;

private:
    struct Job;
    struct Message;
    struct Service;
    struct Work;
    struct Item;
    struct SagaWait;
    struct Generator;
    struct Orchestration;
    enum class Kind : quint8;

    void schedule(qint64 at, Kind kind, int a = 0, int b = 0);
    void publish(int message, qint64 t);
    void deliver(int service, int message, qint64 t);
    void tryStart(int service, qint64 t);
    void complete(int service, int work, qint64 t);
    void generate(int generator, qint64 t);
    void emitGenerated(Generator& g, qint64 t); // one event of `g`, a flow of its own, published at t
    qint64 firstArrival(const Generator& g);
    qint64 curveCandidateAfter(const Generator& g, qint64 t, qint64 minGap);
    void startFault(int index, bool on, qint64 t);
    struct ChannelState;
    void applyChannelFault(int index, bool on, ChannelState& c);
    int newMessage(int type, int producer, int causeIndex);
    void enqueue(int service, int message, qint64 t);
    void admitHeld(int service, qint64 t);
    void release(int message);
    void flush();
    void orchestrate(int orchestration, int message, qint64 t);
    void enterState(int orchestration, int instance, int state, int cause, qint64 t);

    std::shared_ptr<const Flow> m_flow;
    Rng m_rng;
    qint64 m_start;
    qint64 m_now = 0;
    quint64 m_order = 0;
    // The last event id's text, "e" and a decimal count from 1, counted up in place (std::to_chars
    // per message was 4 % of the simulator's instructions).
    char m_idText[24] = { 'e', '0' }; // at most 'e' and 20 digits
    int m_idLength = 2;
    QByteArray nextId();
    // Ids are carved from blocks of IdsPerBlock: one allocation whose reference count starts at
    // IdsPerBlock, one reference per id, so the block goes when its last id does. A malloc and a
    // free per event (the free on the engine thread) were ~110 of its instructions. The price: an
    // id kept long (a saga instance's timeline keeps its events' ids) keeps its block's 400 bytes.
    // The window's memory on the demo did not change (459-511 MB over 3 minutes at 1000x);
    // giving a flow's first id (its correlation id) an allocation of its own cost 3 % of the
    // simulator's instructions.
    static constexpr int IdsPerBlock = 16;
    QTypedArrayData<char>* m_idBlock = nullptr;
    char* m_idBlockData = nullptr;
    int m_idBlockUsed = IdsPerBlock;
    qint64 m_emitted = 0;
    qint64 m_unpublished = 0;
    std::vector<Service> m_services;
    std::vector<Generator> m_generators;
    Slots<Job> m_jobs;
    Slots<Message> m_messages;
    Agenda<Item> m_agenda;
    // What is scheduled for now (a delivery without broker latency, a retry without backoff):
    // in order, after the agenda's items for now, which were all scheduled before them.
    Fifo<Item> m_due;
    Slots<SagaWait> m_sagaWaits;
    std::vector<Orchestration> m_orchestrations;
    std::vector<Fault> m_faults;
    std::vector<bool> m_faultActive;
    // Event types and producers by index: the per-event work looks nothing up by name.
    struct TypeInfo {
        QByteArray name;
        int channel = -1;            // the declared channel, else -1: the producer's own
        std::vector<int> subscribers; // services handling it (orchestrators included)
        int deadLetter = -1;         // the type `<name>.deadletter`, once needed
    };
    std::vector<TypeInfo> m_types;
    QHash<QByteArray, int> m_typeIndex;
    int typeId(const QByteArray& name);
    // Who emits: the services (same indexes as m_services), then generators' `from` names.
    struct Producer {
        QByteArray name;
        int service = -1;
        int channel = -1; // the channel named after it (for undeclared types), once needed
    };
    std::vector<Producer> m_producers;
    QHash<QByteArray, int> m_producerIndex;
    int producerId(const QByteArray& name);
    struct ChannelState {
        QByteArray name;
        int partitions = 1;
        std::vector<qint64> offsets;
        double drop = 0, duplicate = 0;
        std::vector<int> delays; // the delay faults on now (indexes into m_faults), in the order they began
    };
    std::vector<ChannelState> m_channels;
    QHash<QByteArray, int> m_channelIndex;
    const Distribution* m_brokerLatency = nullptr; // none when it is a constant 0 (nothing to draw)
    int m_brokerDown = 0;
    qint64 m_brokerBackUp = 0;
    Sink m_sink;
    int m_batchSize = 4096;
    EventBatch m_batch;

    int channel(const QByteArray& name);
};

} // namespace FlowScope::Sim
