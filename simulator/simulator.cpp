// SPDX-License-Identifier: MIT
#include "simulator_p.h"

#include <fnv.h>
#include <namepool.h>
#include <timeformat.h>


#include <cmath>
#include <cstring>
#include <memory>

namespace FlowScope::Sim {

Simulator::Simulator(std::shared_ptr<const Flow> flow, quint64 seed, qint64 startTime)
    : m_flow(std::move(flow))
    , m_rng(seed)
    , m_start(startTime)
{
    const Flow& f = *m_flow;
    m_services.reserve(size_t(f.services.size()));
    for (const FlowScope::Service& s : f.services) {
        Service svc;
        svc.def = &s;
        svc.sim = s.sim.value_or(ServiceSim {});
        svc.name = s.name.toUtf8();
        svc.stats.name = s.name;
        if (svc.sim.queue)
            svc.capacity = *svc.sim.queue;
        svc.serverless = svc.sim.serverless.has_value();
        svc.workers = svc.serverless ? svc.sim.serverless->concurrency : std::max(1, svc.sim.workers);
        if (svc.serverless) {
            svc.stats.warm = svc.sim.serverless->minInstances;
            for (int k = 0; k < svc.stats.warm; ++k)
                svc.idleSince.push_back(0);
        }
        m_services.push_back(std::move(svc));
        producerId(m_services.back().name);
    }
    for (const FlowScope::Channel& c : f.channels)
        for (const QString& t : c.types)
            m_types[size_t(typeId(t.toUtf8()))].channel = channel(c.name.toUtf8());
    for (size_t i = 0; i < m_services.size(); ++i) {
        Service& svc = m_services[i];
        for (const Handler& h : svc.def->handlers) {
            const int type = typeId(h.type.toUtf8());
            m_types[size_t(type)].subscribers.push_back(int(i));
            Service::HandlerSim hs { &h, {} };
            for (const EmitChoice& c : h.emits.choices)
                hs.emits.push_back(typeId(c.type.toUtf8()));
            if (svc.handlerOfType.size() <= size_t(type))
                svc.handlerOfType.resize(size_t(type) + 1, -1);
            svc.handlerOfType[size_t(type)] = int(svc.handlers.size()); // the last one of a type handles it
            svc.handlers.push_back(std::move(hs));
        }
    }
    for (const Saga& saga : f.sagas) {
        if (!saga.isOrchestrated())
            continue;
        const auto it = m_producerIndex.constFind(saga.orchestrator.toUtf8());
        if (it == m_producerIndex.cend() || m_producers[size_t(it.value())].service < 0)
            continue;
        const int svc = m_producers[size_t(it.value())].service;
        Orchestration o { &saga, svc, typeId(saga.start.toUtf8()), {}, {}, {}, {} };
        // the orchestrator hears the start event and every reply its states wait for
        std::vector<int> heard { o.start };
        for (const SagaState& st : saga.states) {
            o.send.push_back(st.send.isEmpty() ? -1 : typeId(st.send.toUtf8()));
            std::vector<std::pair<int, int>> moves;
            for (const SagaTransition& t : st.transitions) {
                moves.emplace_back(typeId(t.type.toUtf8()), saga.stateIndex(t.target));
                heard.push_back(moves.back().first);
            }
            o.next.emplace_back();
            for (auto move = moves.rbegin(); move != moves.rend(); ++move) { // the first transition of a type wins
                if (o.next.back().size() <= size_t(move->first))
                    o.next.back().resize(size_t(move->first) + 1, -1);
                o.next.back()[size_t(move->first)] = move->second;
            }
        }
        for (int t : heard) {
            std::vector<int>& subscribers = m_types[size_t(t)].subscribers;
            if (std::find(subscribers.begin(), subscribers.end(), svc) == subscribers.end())
                subscribers.push_back(svc);
        }
        m_orchestrations.push_back(std::move(o));
    }
    if (f.simulation && !(f.simulation->broker.latency == Distribution::constant(Duration {})))
        m_brokerLatency = &f.simulation->broker.latency;
    if (f.simulation) {
        // Faults first: on a tie the earlier scheduled item goes first, and a fault at t must
        // act on the events at t (a generator's first event included), as it does later on.
        for (const Fault& fault : f.simulation->faults)
            injectFault(fault);
        for (const LoadGenerator& g : f.simulation->load) {
            m_generators.push_back(Generator { &g, typeId(g.type.toUtf8()), producerId(g.from.toUtf8()), 0,
                                               DataTemplate(g.data), 0 });
            for (const CurvePoint& p : g.curve)
                m_generators.back().peak = std::max(m_generators.back().peak, p.rate.perSecond);
            if (const qint64 first = firstArrival(m_generators.back()); first >= 0)
                schedule(first, Kind::Generate, int(m_generators.size() - 1));
        }
    }
}

Simulator::~Simulator()
{
    // the references of the ids the current block will not hold now
    if (m_idBlock && m_idBlockUsed < IdsPerBlock) {
        const int unused = IdsPerBlock - m_idBlockUsed;
        if (m_idBlock->ref_.fetchAndAddOrdered(-unused) == unused)
            QTypedArrayData<char>::deallocate(m_idBlock);
    }
}

qint64 Simulator::pendingWork() const { return qint64(m_agenda.size() + m_due.size()); }


int Simulator::typeId(const QByteArray& name)
{
    if (auto it = m_typeIndex.constFind(name); it != m_typeIndex.cend())
        return it.value();
    m_types.push_back(TypeInfo { internName(name), -1, {}, -1 });
    m_typeIndex.insert(name, int(m_types.size() - 1));
    return int(m_types.size() - 1);
}

int Simulator::producerId(const QByteArray& name)
{
    if (auto it = m_producerIndex.constFind(name); it != m_producerIndex.cend())
        return it.value();
    Producer p { internName(name), -1, -1 };
    for (size_t i = 0; i < m_services.size(); ++i)
        if (m_services[i].name == name)
            p.service = int(i);
    m_producers.push_back(std::move(p));
    m_producerIndex.insert(name, int(m_producers.size() - 1));
    return int(m_producers.size() - 1);
}

int Simulator::channel(const QByteArray& name)
{
    if (auto it = m_channelIndex.constFind(name); it != m_channelIndex.cend())
        return it.value();
    ChannelState c;
    c.name = internName(name);
    c.partitions = m_flow->simulation ? std::max(1, m_flow->simulation->broker.partitionsOf(QString::fromUtf8(name))) : 1;
    c.offsets.assign(size_t(c.partitions), 0);
    // made while a broker-wide drop, duplicate or delay is on (a producer's own channel, a
    // dead-letter channel, first used now): it is under that fault too, until it ends
    for (size_t i = 0; i < m_faults.size(); ++i)
        if (m_faultActive[i] && m_faults[i].target == FaultTarget::Broker && actsOnChannels(m_faults[i]))
            applyChannelFault(int(i), true, c);
    m_channels.push_back(std::move(c));
    m_channelIndex.insert(name, int(m_channels.size() - 1));
    return int(m_channels.size() - 1);
}

int Simulator::newMessage(int type, int producer, int causeIndex)
{
    const int index = m_messages.take();
    Message& m = m_messages[size_t(index)];
    m.refs = 0;
    m.type = type;
    m.producer = producer;
    m.id = nextId();
    if (causeIndex >= 0) {
        const Message& cause = m_messages[size_t(causeIndex)];
        m.causationId = QByteArray(cause.id); // copied inline and moved: operator=(const&) is a call into Qt
        m.job = cause.job; // the flow's correlation and data travel with it
    } else {
        m.job = m_jobs.take();
    }
    ++m_jobs[size_t(m.job)].refs;
    return index;
}

QByteArray Simulator::nextId()
{
    int i = m_idLength - 1;
    while (i >= 1 && m_idText[i] == '9')
        m_idText[i--] = '0';
    if (i >= 1) {
        ++m_idText[i];
    } else { // 9...9 + 1: a 1 and one more 0
        m_idText[1] = '1';
        m_idText[m_idLength++] = '0';
    }
    if (m_idBlockUsed == IdsPerBlock) {
        auto [header, data] = QTypedArrayData<char>::allocate(IdsPerBlock * sizeof m_idText);
        header->ref_.storeRelaxed(IdsPerBlock); // one for each id it will hold, handed out below
        m_idBlock = header;
        m_idBlockData = data;
        m_idBlockUsed = 0;
    }
    // The whole buffer copied at once (a constant size: three moves, no memcpy call).
    // QByteArray(const char*, qsizetype) took 170 instructions an id.
    char* data = m_idBlockData + m_idBlockUsed++ * sizeof m_idText;
    std::memcpy(data, m_idText, sizeof m_idText);
    data[m_idLength] = '\0';
    return QByteArray(QByteArray::DataPointer(m_idBlock, data, m_idLength));
}

void Simulator::release(int message)
{
    Message& m = m_messages[size_t(message)];
    if (--m.refs <= 0) {
        const int job = m.job;
        m_messages.give(message);
        if (--m_jobs[size_t(job)].refs <= 0)
            m_jobs.give(job);
    }
}

// Flattened (everything it calls inlined into it), as is tryStart(): GCC left building the Event,
// its nine QByteArray copies and the scheduling as calls, which were a tenth of the simulator's
// instructions (cachegrind, --only engine: 922 M -> 820 M with both).
[[gnu::flatten]] void Simulator::publish(int message, qint64 t)
{
    Message& m = m_messages[size_t(message)];
    const Job& job = m_jobs[size_t(m.job)];
    Producer& producer = m_producers[size_t(m.producer)];
    // A producer cut from the broker (or a broker that is down) publishes when it is back.
    const int sourceIndex = producer.service;
    const qint64 blockedUntil = std::max(m_brokerDown > 0 ? m_brokerBackUp : 0,
                                         sourceIndex >= 0 && m_services[size_t(sourceIndex)].partitioned > 0
                                             ? m_services[size_t(sourceIndex)].partitionedUntil
                                             : 0);
    if (blockedUntil > t) {
        ++m.refs;
        ++m_unpublished;
        schedule(blockedUntil, Kind::Publish, message);
        return;
    }
    const TypeInfo& type = m_types[size_t(m.type)];
    int channelIndex = m.channel >= 0 ? m.channel : type.channel;
    if (channelIndex < 0) {
        if (producer.channel < 0)
            producer.channel = channel(producer.name);
        channelIndex = producer.channel;
    }
    ChannelState& c = m_channels[size_t(channelIndex)];
    // FNV-1a of the key: our own, so that partitions do not change with Qt's hash function. With
    // one partition neither the hash nor the division (a tenth of this function) is needed.
    const QByteArray& key = job.correlationId.isEmpty() ? m.id : job.correlationId;
    const qint32 partition = c.partitions == 1 ? 0 : qint32(fnv1a64(key) % quint64(c.partitions));

    // Built in place at the batch's end, positionally in Event's member order (C++20
    // parenthesized aggregate init: QList constructs from these arguments). A braced temporary
    // cost a move and a destructor per event, 6 % of this thread's instructions. A message is
    // built into an event once (a held-back one returned above), so its cause moves over: not
    // two more changes of a count that the engine thread changes too.
    const qint64 offset = c.offsets[size_t(partition)]++;
    if (m_sink) [[likely]] {
        m_batch.emplaceBack(/* seq */ qint64(0), m.id, type.name, /* source */ producer.name, m_start + t,
                            /* specVersion */ QByteArrayLiteral("1.0"), job.dataContentType, job.correlationId,
                            std::move(m.causationId), /* ingestTime */ NoTime, /* channel */ c.name, partition,
                            EventFormat::Structured, job.flags, offset, /* key */ QByteArray(),
                            /* brokerTime */ NoTime, job.payload);
        if (m_batch.size() >= m_batchSize)
            flush();
    } else {
        // Nobody takes the events: none is built (a run for the statistics alone). The run is
        // the same otherwise: the same ids, partitions, offsets and draws from the stream.
        [[maybe_unused]] const QByteArray cause = std::move(m.causationId); // inline: clear() is a call into Qt
    }
    ++m_emitted;

    if (type.subscribers.empty()) {
        if (m.refs <= 0)
            release(message);
        return;
    }
    for (int s : type.subscribers) {
        if (c.drop > 0 && m_rng.chance(c.drop)) {
            ++m_services[size_t(s)].stats.dropped;
            continue;
        }
        const int copies = c.duplicate > 0 && m_rng.chance(c.duplicate) ? 2 : 1;
        m_services[size_t(s)].stats.duplicated += copies - 1;
        for (int k = 0; k < copies; ++k) {
            qint64 latency = m_brokerLatency ? m_rng.sampleMicros(*m_brokerLatency) : 0;
            for (const int delay : c.delays)
                latency += m_rng.sampleMicros(m_faults[size_t(delay)].delay);
            ++m.refs;
            ++m_services[size_t(s)].stats.inTransit;
            schedule(t + latency, Kind::Deliver, s, message);
        }
    }
    if (m.refs <= 0)
        release(message);
}

void Simulator::deliver(int serviceIndex, int message, qint64 t)
{
    Service& s = m_services[size_t(serviceIndex)];
    if (s.partitioned > 0 || m_brokerDown > 0 || s.room() <= 0 || !s.held.empty()) {
        // Cut off, or back-pressure: the broker keeps it, in order; lag grows; nothing is lost.
        s.held.push_back({ message, t });
        s.stats.held = qint64(s.held.size());
        return;
    }
    enqueue(serviceIndex, message, t);
    tryStart(serviceIndex, t);
}

void Simulator::enqueue(int serviceIndex, int message, qint64 t)
{
    Service& s = m_services[size_t(serviceIndex)];
    const int slot = s.work.take();
    s.work[size_t(slot)] = Work { message, t, 0, false };
    s.queue.push_back(slot);
    s.stats.queue = qint64(s.queue.size()); // maxQueue: in tryStart(), once the free workers took theirs
    ++s.stats.taken;
}

void Simulator::admitHeld(int serviceIndex, qint64 t)
{
    Service& s = m_services[size_t(serviceIndex)];
    while (!s.held.empty() && s.room() > 0 && s.partitioned == 0 && m_brokerDown == 0) {
        const Service::Held h = s.held.front();
        s.held.pop_front();
        s.stats.lagSumMicros += double(t - h.since);
        enqueue(serviceIndex, h.message, t);
    }
    s.stats.held = qint64(s.held.size());
}

[[gnu::flatten]] void Simulator::tryStart(int serviceIndex, qint64 t)
{
    Service& s = m_services[size_t(serviceIndex)];
    while (s.down == 0 && s.stats.busy < s.workers && !s.queue.empty()) {
        const int slot = s.queue.front();
        s.queue.pop_front();
        s.stats.queue = qint64(s.queue.size());
        ++s.stats.busy;
        const qint64 sampled = m_rng.sampleMicros(s.sim.serviceTime);
        qint64 serviceTime = s.slow == 1.0 ? sampled : Rng::roundHalfAway(double(sampled) * s.slow);
        if (s.serverless) {
            if (s.stats.busy > s.stats.warm) {
                // no idle instance: start one and pay its cold start
                ++s.stats.warm;
                ++s.stats.coldStarts;
                serviceTime += m_rng.sampleMicros(s.sim.serverless->coldStart);
            } else {
                s.idleSince.pop_back(); // the one that finished last
            }
        }
        Work& w = s.work[size_t(slot)];
        w.timedOut = s.sim.timeout && serviceTime > s.sim.timeout->micros;
        if (w.timedOut)
            serviceTime = s.sim.timeout->micros; // given up on at the timeout: a failed attempt
        schedule(t + serviceTime, Kind::Complete, serviceIndex, slot);
    }
    // Room in the queue now: the broker hands over what it held back.
    if (!s.held.empty()) {
        const qint64 before = qint64(s.queue.size());
        admitHeld(serviceIndex, t);
        if (qint64(s.queue.size()) > before && s.down == 0 && s.stats.busy < s.workers)
            tryStart(serviceIndex, t);
    }
    // What waits now: a delivery that a free worker took at once never waited.
    s.stats.maxQueue = std::max(s.stats.maxQueue, qint64(s.queue.size()));
}

void Simulator::complete(int serviceIndex, int slot, qint64 t)
{
    Service& s = m_services[size_t(serviceIndex)];
    Work& w = s.work[size_t(slot)];
    --s.stats.busy;
    if (s.serverless)
        s.idleSince.push_back(t);
    const int message = w.message;
    const double failure = std::min(1.0, s.sim.failure + s.errorRate);
    const bool failed = w.timedOut || m_rng.chance(failure);
    if (failed) {
        ++s.stats.failed;
        if (w.attempt < s.sim.retry.max) {
            ++w.attempt;
            ++s.stats.retries;
            ++s.stats.retrying;
            double delay = double(s.sim.retry.baseDelay(w.attempt).micros);
            if (s.sim.retry.jitter > 0)
                delay *= 1.0 + s.sim.retry.jitter * (2.0 * m_rng.uniform() - 1.0);
            schedule(t + Rng::roundHalfAway(delay), Kind::Retry, serviceIndex, slot);
        } else {
            ++s.stats.deadLettered;
            if (!s.sim.deadLetter.isEmpty()) {
                // the original goes to the dead-letter channel, as `<Type>.deadletter` from this service
                const int type = m_messages[size_t(message)].type;
                if (m_types[size_t(type)].deadLetter < 0) {
                    const int dead = typeId(m_types[size_t(type)].name + ".deadletter");
                    m_types[size_t(type)].deadLetter = dead;
                }
                if (s.deadLetterChannel < 0)
                    s.deadLetterChannel = channel(s.sim.deadLetter.toUtf8());
                const int dead = newMessage(m_types[size_t(type)].deadLetter, serviceIndex, message);
                m_messages[size_t(dead)].channel = s.deadLetterChannel;
                publish(dead, t);
            }
            release(message);
            s.work.give(slot);
        }
    } else {
        ++s.stats.processed;
        s.stats.latencySumMicros += double(t - w.arrival);
        const size_t type = size_t(m_messages[size_t(message)].type);
        if (const int h = type < s.handlerOfType.size() ? s.handlerOfType[type] : -1; h >= 0) {
            // one type, or weighted choices; the remainder emits nothing
            const Service::HandlerSim& handler = s.handlers[size_t(h)];
            double u = m_rng.uniform();
            for (size_t k = 0; k < handler.emits.size(); ++k) {
                const double p = handler.def->emits.choices[qsizetype(k)].probability;
                if (u < p) {
                    publish(newMessage(handler.emits[k], serviceIndex, message), t);
                    break;
                }
                u -= p;
            }
        }
        for (size_t i = 0; i < m_orchestrations.size(); ++i)
            if (m_orchestrations[i].service == serviceIndex)
                orchestrate(int(i), message, t);
        release(message);
        s.work.give(slot);
    }
    tryStart(serviceIndex, t);
    if (s.serverless && s.stats.busy < s.stats.warm)
        schedule(t + s.sim.serverless->idleTimeout.micros, Kind::ScaleDown, serviceIndex); // idle from now
}

void Simulator::orchestrate(int index, int message, qint64 t)
{
    Orchestration& o = m_orchestrations[size_t(index)];
    const Message& m = m_messages[size_t(message)];
    const QByteArray& correlation = m_jobs[size_t(m.job)].correlationId;
    auto it = o.byCorrelation.constFind(correlation);
    if (it == o.byCorrelation.cend()) {
        if (m.type != o.start)
            return;
        o.instances.push_back({});
        o.byCorrelation.insert(correlation, int(o.instances.size() - 1));
        enterState(index, int(o.instances.size() - 1), 0, message, t);
        return;
    }
    const int instance = it.value();
    const std::vector<int>& next = o.next[size_t(o.instances[size_t(instance)].state)];
    if (const int target = size_t(m.type) < next.size() ? next[size_t(m.type)] : -1; target >= 0)
        enterState(index, instance, target, message, t);
}

void Simulator::enterState(int index, int instance, int state, int cause, qint64 t)
{
    Orchestration& o = m_orchestrations[size_t(index)];
    auto& in = o.instances[size_t(instance)];
    in.state = state;
    ++in.entry;
    const SagaState& st = o.saga->states[state];
    if (const int send = o.send[size_t(state)]; send >= 0)
        publish(newMessage(send, o.service, cause), t);
    const auto timeout = o.saga->timeoutIn(st);
    if (!st.isFinal() && timeout && !st.onTimeout.isEmpty()) {
        ++m_messages[size_t(cause)].refs; // kept for the compensation's payload
        const int wait = m_sagaWaits.take();
        m_sagaWaits[size_t(wait)] = SagaWait { instance, cause, in.entry };
        schedule(t + timeout->micros, Kind::SagaTimeout, index, wait);
    }
}

void Simulator::generate(int index, qint64 t)
{
    Generator& g = m_generators[size_t(index)];
    const LoadGenerator& def = *g.def;
    if (def.stop && t >= def.stop->micros)
        return;
    const bool curve = def.arrival == Arrival::Curve && !def.curve.isEmpty();
    if (curve) {
        // A Poisson process whose rate follows the curve, by thinning (Lewis and Shedler): the
        // candidates come at the curve's peak rate and each is kept with probability rate(t) /
        // peak. A rate of 0 keeps none, and the stream goes on to where the curve rises again.
        if (g.peak <= 0)
            return; // 0/s throughout: nothing, ever
        const double rate = g.curveRate(t);
        if (rate >= g.peak || (rate > 0 && m_rng.uniform() * g.peak < rate))
            emitGenerated(g, t);
        if (const qint64 next = curveCandidateAfter(g, t, 1); next >= 0)
            schedule(next, Kind::Generate, index);
        return;
    }
    const int count = def.arrival == Arrival::Bursts ? std::max(1, def.burstSize) : 1;
    for (int k = 0; k < count; ++k)
        emitGenerated(g, t);
    const double rate = def.rate.perSecond;
    qint64 gap;
    switch (def.arrival) {
    case Arrival::Constant: gap = rate > 0 ? Rng::roundHalfAway(1e6 / rate) : -1; break;
    case Arrival::Bursts: gap = def.burstEvery.micros; break;
    default: gap = rate > 0 ? Rng::roundHalfAway(m_rng.exponential(1e6 / rate)) : -1; break;
    }
    if (gap >= 0)
        schedule(t + std::max<qint64>(gap, 1), Kind::Generate, index);
}

// A curve's next candidate after `t`: a gap of at least `minGap` drawn at its peak rate. Where the
// curve stays at 0/s no candidate can be kept, so it moves on to where the curve rises (the gaps
// are memoryless: starting afresh there is the same process); -1 when it stays at 0 to the end.
qint64 Simulator::curveCandidateAfter(const Generator& g, qint64 t, qint64 minGap)
{
    const qint64 next = t + std::max<qint64>(Rng::roundHalfAway(m_rng.exponential(1e6 / g.peak)), minGap);
    const qint64 rises = g.risesAfter(next);
    return rises < 0 ? -1 : std::max(next, rises);
}

// When a generator's first event comes, or -1 for none ever. A Poisson stream's first arrival is
// one exponential gap after its start, as every later one is after the one before (an arrival at
// the start itself was one event more than the process has); a curve's first candidate likewise,
// at its peak rate. Constant arrivals and bursts begin at the start. A rate of 0 sends nothing.
qint64 Simulator::firstArrival(const Generator& g)
{
    const LoadGenerator& def = *g.def;
    const qint64 start = def.start.micros;
    switch (def.arrival) {
    case Arrival::Curve: {
        if (def.curve.isEmpty())
            break; // the generator's own rate, as generate() falls back to
        return g.peak > 0 ? curveCandidateAfter(g, start, 0) : -1;
    }
    case Arrival::Constant: return def.rate.perSecond > 0 ? start : -1;
    case Arrival::Bursts: return start;
    default: break;
    }
    return def.rate.perSecond > 0 ? start + Rng::roundHalfAway(m_rng.exponential(1e6 / def.rate.perSecond)) : -1;
}

void Simulator::emitGenerated(Generator& g, qint64 t)
{
    ++g.seq;
    const int m = newMessage(g.type, g.producer, -1);
    const Message& msg = m_messages[size_t(m)];
    Job& job = m_jobs[size_t(msg.job)];
    job.correlationId = msg.id; // a generated event starts a flow of its own
    job.payload = g.data.render(m_rng, g.seq, msg.id);
    job.dataContentType = QByteArrayLiteral("application/json");
    job.flags = PayloadJson;
    publish(m, t);
}

qint64 Simulator::runUntil(qint64 until)
{
    const qint64 before = m_emitted;
    while (true) {
        Item item;
        if (!m_due.empty() && m_now < until && (m_agenda.empty() || m_agenda.top().time > m_now)) {
            item = m_due.front();
            m_due.pop_front();
        } else if (!m_agenda.empty()
                   && (m_agenda.top().time < until || (m_agenda.top().time == until && isFault(m_agenda.top())))) {
            item = m_agenda.top();
            m_agenda.pop();
        } else {
            break;
        }
        m_now = item.time;
        switch (item.kind()) {
        case Kind::Generate: generate(item.a, item.time); break;
        case Kind::Deliver: {
            // the delivery's reference moves into the service's queue
            --m_services[size_t(item.a)].stats.inTransit;
            deliver(item.a, item.b, item.time);
            break;
        }
        case Kind::Complete: complete(item.a, item.b, item.time); break;
        case Kind::Retry: {
            Service& s = m_services[size_t(item.a)];
            --s.stats.retrying;
            s.queue.push_front(item.b); // a retry goes first: it already waited its backoff
            s.stats.queue = qint64(s.queue.size());
            tryStart(item.a, item.time);
            break;
        }
        case Kind::Publish: {
            Message& m = m_messages[size_t(item.a)];
            --m.refs;
            --m_unpublished;
            publish(item.a, item.time);
            break;
        }
        case Kind::FaultOn: startFault(item.a, true, item.time); break;
        case Kind::FaultOff: startFault(item.a, false, item.time); break;
        case Kind::SagaTimeout: {
            Orchestration& o = m_orchestrations[size_t(item.a)];
            if (const Service& orchestrator = m_services[size_t(o.service)]; orchestrator.down > 0) {
                // a down orchestrator runs no timers: this one fires when it is back
                schedule(std::max(orchestrator.downUntil, item.time), Kind::SagaTimeout, item.a, item.b);
                break;
            }
            const SagaWait wait = m_sagaWaits[size_t(item.b)];
            m_sagaWaits.give(item.b);
            const auto& in = o.instances[size_t(wait.instance)];
            if (in.entry == wait.entry) { // still waiting where the timer started
                const SagaState& st = o.saga->states[in.state];
                enterState(item.a, wait.instance, o.saga->stateIndex(st.onTimeout), wait.message, item.time);
            }
            release(wait.message);
            break;
        }
        case Kind::ScaleDown: {
            // every instance idle for the idle timeout stops, down to min_instances
            Service& s = m_services[size_t(item.a)];
            const qint64 timeout = s.sim.serverless->idleTimeout.micros;
            while (s.stats.warm > s.sim.serverless->minInstances && !s.idleSince.empty()
                   && s.idleSince.front() + timeout <= item.time) {
                s.idleSince.pop_front();
                --s.stats.warm;
            }
            break;
        }
        }
    }
    m_now = std::max(m_now, until);
    flush();
    return m_emitted - before;
}

void Simulator::flush()
{
    if (m_batch.isEmpty())
        return;
    if (m_sink)
        m_sink(std::move(m_batch));
    m_batch = EventBatch();
    m_batch.reserve(m_batchSize);
}

std::vector<ServiceStats> Simulator::stats() const
{
    std::vector<ServiceStats> out;
    for (const Service& s : m_services)
        out.push_back(s.stats);
    return out;
}

QJsonObject ServiceStats::toJson() const
{
    return QJsonObject { { QStringLiteral("processed"), processed },
                         { QStringLiteral("failed"), failed },
                         { QStringLiteral("retries"), retries },
                         { QStringLiteral("dead_lettered"), deadLettered },
                         { QStringLiteral("dropped"), dropped },
                         { QStringLiteral("duplicated"), duplicated },
                         { QStringLiteral("max_queue"), maxQueue },
                         { QStringLiteral("mean_latency_ms"), meanLatencyMillis() },
                         { QStringLiteral("taken"), taken },
                         { QStringLiteral("mean_lag_ms"), meanLagMillis() },
                         { QStringLiteral("queue"), queue },
                         { QStringLiteral("lag"), held },
                         { QStringLiteral("busy"), busy },
                         { QStringLiteral("cold_starts"), coldStarts },
                         { QStringLiteral("in_transit"), inTransit },
                         { QStringLiteral("retrying"), retrying } };
}

QJsonObject Simulator::statsJson() const
{
    QJsonObject out;
    for (const Service& s : m_services)
        out.insert(s.stats.name, s.stats.toJson());
    return out;
}


} // namespace FlowScope::Sim
