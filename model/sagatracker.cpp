// SPDX-License-Identifier: MIT
#include "sagatracker.h"

#include "flowfile.h"

#include <QDataStream>
#include <QJsonArray>
#include <QMap>

#include <array>

namespace FlowScope {

SagaTracker::SagaTracker(const Flow& flow, const Saga& saga)
    : m_flow(&flow)
    , m_saga(&saga)
{
    m_start = saga.start.toUtf8();
    m_name = saga.name.toUtf8();
    const auto typeIndex = [this](const QByteArray& type) {
        if (const int* i = m_vocabulary.find(type))
            return *i;
        return m_vocabulary[type] = m_typeCount++;
    };
    typeIndex(m_start);
    for (const SagaState& s : saga.states) {
        for (const SagaTransition& t : s.transitions)
            typeIndex(t.type.toUtf8());
        const auto timeout = saga.timeoutIn(s);
        m_stateTimeouts.append(timeout ? timeout->micros : -1);
        m_finalOutcome.append(static_cast<int>(s.outcome));
    }
    m_stateCount = int(saga.states.size());
    m_inState.resize(saga.states.size());
    m_moves.assign(size_t(saga.states.size()) * size_t(saga.states.size()) * size_t(m_typeCount + 1), 0);
    m_deadlines.resize(size_t(saga.states.size()));
    // [state][type] -> the state its first transition on that type enters, as SagaState::transition
    // would find it; looked up per event instead of comparing names
    m_next.assign(size_t(saga.states.size()) * size_t(m_typeCount), -1);
    for (qsizetype st = 0; st < saga.states.size(); ++st)
        for (const SagaTransition& t : saga.states[st].transitions) {
            int& next = m_next[size_t(st) * size_t(m_typeCount) + size_t(*m_vocabulary.find(t.type.toUtf8()))];
            if (next < 0)
                next = saga.stateIndex(t.target);
        }
}

SagaTracker::~SagaTracker() = default;

QString SagaTracker::anomalyName(Anomaly a)
{
    switch (a) {
    case Anomaly::Duplicate: return QStringLiteral("duplicate");
    case Anomaly::NotAccepted: return QStringLiteral("not_accepted");
    case Anomaly::AfterFinal: return QStringLiteral("after_final");
    }
    return {};
}

const SagaTracker::Instance* SagaTracker::instance(const QByteArray& correlationId) const
{
    const auto it = m_byCorrelation.constFind(correlationId);
    return it == m_byCorrelation.cend() ? nullptr : &m_instances[size_t(it.value())];
}

void SagaTracker::scheduleTimeout(int index)
{
    const Instance& in = m_instances[size_t(index)];
    const qint64 timeout = m_stateTimeouts[in.state];
    if (timeout < 0 || m_finalOutcome[in.state] != int(SagaOutcome::None))
        return;
    const Deadline d { in.enteredAt + timeout, index, in.entry };
    std::deque<Deadline>& due = m_deadlines[size_t(in.state)];
    if (due.empty() || due.back().at <= d.at)
        due.push_back(d);
    else
        m_lateDeadlines.push(d);
    m_nextDue = std::min(m_nextDue, d.at);
}

void SagaTracker::clearDeadlines()
{
    for (std::deque<Deadline>& due : m_deadlines)
        due.clear();
    m_lateDeadlines = {};
    m_nextDue = std::numeric_limits<qint64>::max();
}

void SagaTracker::enter(int index, int state, qint64 time, int trigger)
{
    Instance& in = m_instances[size_t(index)];
    --m_inState[in.state];
    ++m_inState[state];
    ++m_moves[moveIndex(in.state, state, trigger)];
    if (in.stuck) { // a stuck instance that moves on is no longer stuck
        in.stuck = false;
        --m_stuck;
    }
    in.state = state;
    in.enteredAt = time;
    ++in.entry;
    const int outcome = m_finalOutcome[state];
    if (outcome != int(SagaOutcome::None)) {
        in.endedAt = time;
        ++m_ended;
        const qint64 latency = std::max<qint64>(0, time - in.startedAt);
        m_latency.record(latency);
        m_latencyByOutcome[outcome].record(latency);
    } else {
        scheduleTimeout(index);
    }
}

void SagaTracker::dropOldestEnded()
{
    // the oldest ended first (end time, then start order): the same choice in every process
    std::vector<std::pair<qint64, int>> ended;
    ended.reserve(size_t(m_ended));
    for (int i = 0; i < int(m_instances.size()); ++i)
        if (m_finalOutcome[m_instances[size_t(i)].state] != int(SagaOutcome::None))
            ended.emplace_back(m_instances[size_t(i)].endedAt, i);
    const size_t drop = ended.size() - size_t(m_finishedKept);
    std::nth_element(ended.begin(), ended.begin() + qsizetype(drop), ended.end());
    std::vector<bool> gone(m_instances.size(), false);
    for (size_t k = 0; k < drop; ++k)
        gone[size_t(ended[k].second)] = true;
    std::vector<Instance> kept;
    kept.reserve(m_instances.size() - drop);
    for (size_t i = 0; i < m_instances.size(); ++i)
        if (!gone[i])
            kept.push_back(std::move(m_instances[i]));
    m_instances = std::move(kept);
    m_ended -= qint64(drop);
    m_dropped += qint64(drop);
    reindex();
}

std::vector<SagaTracker::Instance> SagaTracker::recentInstances(size_t perKind, qint64* kept) const
{
    // kinds: 0 running, 1 stuck, 2 + SagaOutcome for the ended ones
    constexpr int Kinds = 2 + 4;
    size_t taken[Kinds] = {};
    std::vector<int> chosen;
    for (int i = int(m_instances.size()) - 1; i >= 0; --i) {
        const Instance& in = m_instances[size_t(i)];
        const int outcome = m_finalOutcome[in.state];
        const int kind = outcome != int(SagaOutcome::None) ? 2 + outcome : in.stuck ? 1 : 0;
        if (kept) {
            ++kept[0];
            ++kept[kind == 0 ? 1 : kind == 1 ? 2 : kind]; // outcomes 1..3 are kinds 3..5
        }
        if (taken[kind] < perKind) {
            ++taken[kind];
            chosen.push_back(i);
        }
    }
    std::vector<Instance> out;
    out.reserve(chosen.size());
    for (auto it = chosen.rbegin(); it != chosen.rend(); ++it)
        out.push_back(m_instances[size_t(*it)]);
    return out;
}

void SagaTracker::reindex()
{
    m_byCorrelation.clear();
    m_byCorrelation.reserve(qsizetype(m_instances.size()));
    clearDeadlines();
    for (int i = 0; i < int(m_instances.size()); ++i) {
        m_byCorrelation.insert(m_instances[size_t(i)].correlationId, i);
        if (!m_instances[size_t(i)].stuck) // only live deadlines matter; stale ones would be skipped
            scheduleTimeout(i);
    }
}

void SagaTracker::anomaly(Instance& in, Anomaly kind, const Event& e)
{
    ++in.anomalyCount;
    ++m_anomalies[int(kind)];
    if (in.anomalies.size() < MaxAnomaliesKept)
        in.anomalies.append(AnomalyRecord { kind, e.seq, e.type });
}

void SagaTracker::fold(const Event& e, qint64 time, const QByteArray& correlation)
{
    foldOne(e, time, correlation);
    // An event older than the clock (from another partition, late) may have moved an instance
    // into a state whose deadline the clock has passed already: it times out now, not when the
    // clock next moves.
    if (m_nextDue < m_clock)
        fireDue();
    if (m_ended > 2 * m_finishedKept)
        dropOldestEnded();
}

void SagaTracker::foldOne(const Event& e, qint64 time, const QByteArray& correlation)
{
    const int* type = m_vocabulary.find(e.type);
    if (!type)
        return;
    advanceTo(time);
    if (correlation.isEmpty()) {
        ++m_unmatched;
        return;
    }
    const auto it = m_byCorrelation.constFind(correlation);
    if (it == m_byCorrelation.cend()) {
        if (e.type != m_start) { // before its start (out of order) or a flow we never saw begin
            ++m_unmatched;
            return;
        }
        Instance in;
        in.correlationId = correlation;
        in.state = 0;
        in.startedAt = in.enteredAt = in.lastTime = time;
        in.lastType = e.type;
        in.lastSeq = e.seq;
        in.remember(e);
        in.seqs.append(e.seq);
        const int index = int(m_instances.size());
        m_instances.push_back(std::move(in));
        m_byCorrelation.insert(correlation, index);
        ++m_inState[0];
        ++m_started;
        scheduleTimeout(index);
        return;
    }
    const int index = it.value();
    Instance& in = m_instances[size_t(index)];
    if (!e.id.isEmpty() && in.seen(e)) {
        anomaly(in, Anomaly::Duplicate, e);
        return;
    }
    in.remember(e);
    if (in.seqs.size() < MaxSeqsKept)
        in.seqs.append(e.seq);
    in.lastTime = time;
    in.lastType = e.type;
    in.lastSeq = e.seq;
    if (m_finalOutcome[in.state] != int(SagaOutcome::None)) {
        anomaly(in, Anomaly::AfterFinal, e);
        return;
    }
    const int next = m_next[size_t(in.state) * size_t(m_typeCount) + size_t(*type)];
    if (next < 0) {
        anomaly(in, Anomaly::NotAccepted, e);
        return;
    }
    enter(index, next, time, *type);
}

bool SagaTracker::Instance::seen(const Event& e) const
{
    for (qsizetype i = 0; i < eventIds.size(); ++i)
        if (eventIds[i] == e.id && eventSources[i] == e.source)
            return true;
    return false;
}

void SagaTracker::advanceTo(qint64 clock)
{
    if (clock == NoTime || (m_clock != NoTime && clock <= m_clock))
        return;
    m_clock = clock;
    fireDue();
}

void SagaTracker::fireDue()
{
    const qint64 clock = m_clock;
    while (m_nextDue < clock) {
        // the earliest pending deadline: a state queue's first or the late heap's top
        const Deadline* next = m_lateDeadlines.empty() ? nullptr : &m_lateDeadlines.top();
        std::deque<Deadline>* from = nullptr; // null: the heap
        for (std::deque<Deadline>& due : m_deadlines)
            if (!due.empty() && (!next || due.front().at < next->at)) {
                next = &due.front();
                from = &due;
            }
        if (!next || next->at >= clock) {
            m_nextDue = next ? next->at : std::numeric_limits<qint64>::max();
            break;
        }
        const Deadline d = *next;
        if (from)
            from->pop_front();
        else
            m_lateDeadlines.pop();
        Instance& in = m_instances[size_t(d.instance)];
        if (in.entry == d.entry && !in.stuck && m_finalOutcome[in.state] == int(SagaOutcome::None)) {
            const QString& onTimeout = m_saga->states[in.state].onTimeout;
            if (m_saga->isOrchestrated() && !onTimeout.isEmpty()) {
                // the orchestrator gives up waiting and moves on, at the moment the timer fired
                enter(d.instance, m_saga->stateIndex(onTimeout), d.at, m_typeCount);
                continue;
            }
            in.stuck = true;
            ++m_stuck;
        }
    }
}

QJsonObject SagaTracker::toJson() const
{
    QJsonObject states;
    qint64 finals[4] = { 0, 0, 0, 0 };
    qint64 open = 0;
    for (int i = 0; i < m_saga->states.size(); ++i) {
        states.insert(m_saga->states[i].name, m_inState[i]);
        if (m_finalOutcome[i] == int(SagaOutcome::None))
            open += m_inState[i];
        else
            finals[m_finalOutcome[i]] += m_inState[i];
    }
    const QJsonObject outcomes { { QStringLiteral("completed"), finals[int(SagaOutcome::Completed)] },
                                 { QStringLiteral("compensated"), finals[int(SagaOutcome::Compensated)] },
                                 { QStringLiteral("failed"), finals[int(SagaOutcome::Failed)] },
                                 { QStringLiteral("running"), open - m_stuck },
                                 { QStringLiteral("stuck"), m_stuck } };
    // per pair of states, and per pair by what moved it (an event type, or "timeout")
    QJsonObject transitions, byTrigger;
    QList<QString> triggerNames(m_typeCount + 1);
    for (qsizetype i = 0; i < m_vocabulary.size(); ++i)
        triggerNames[m_vocabulary.value(i)] = QString::fromUtf8(m_vocabulary.name(i));
    triggerNames[m_typeCount] = QStringLiteral("timeout");
    for (int from = 0; from < m_stateCount; ++from)
        for (int to = 0; to < m_stateCount; ++to) {
            qint64 sum = 0;
            QJsonObject triggers;
            for (int t = 0; t <= m_typeCount; ++t)
                if (const qint64 n = m_moves[moveIndex(from, to, t)]) {
                    sum += n;
                    triggers.insert(triggerNames[t], n);
                }
            if (sum == 0)
                continue;
            const QString pair = m_saga->states[from].name + QStringLiteral(" -> ") + m_saga->states[to].name;
            transitions.insert(pair, sum);
            byTrigger.insert(pair, triggers);
        }
    auto latency = [](const LatencyHistogram& h) {
        QJsonObject o = h.toJsonMillis();
        o.remove(QStringLiteral("count"));
        return o;
    };
    const QJsonObject byOutcome { { QStringLiteral("completed"), latency(m_latencyByOutcome[int(SagaOutcome::Completed)]) },
                                  { QStringLiteral("compensated"), latency(m_latencyByOutcome[int(SagaOutcome::Compensated)]) },
                                  { QStringLiteral("failed"), latency(m_latencyByOutcome[int(SagaOutcome::Failed)]) } };
    return { { QStringLiteral("states"), states },
             { QStringLiteral("outcomes"), outcomes },
             { QStringLiteral("instances"), m_started },
             { QStringLiteral("instances_dropped"), m_dropped },
             { QStringLiteral("transitions"), transitions },
             { QStringLiteral("transitions_by_trigger"), byTrigger },
             { QStringLiteral("anomalies"), m_anomalies[0] + m_anomalies[1] + m_anomalies[2] },
             { QStringLiteral("anomaly_kinds"),
               QJsonObject { { anomalyName(Anomaly::Duplicate), m_anomalies[0] },
                             { anomalyName(Anomaly::NotAccepted), m_anomalies[1] },
                             { anomalyName(Anomaly::AfterFinal), m_anomalies[2] } } },
             { QStringLiteral("unmatched"), m_unmatched },
             { QStringLiteral("latency_ms"), latency(m_latency) },
             { QStringLiteral("latency_ms_by_outcome"), byOutcome } };
}

void SagaTracker::save(QDataStream& out) const
{
    out << quint64(m_instances.size());
    for (const Instance& in : m_instances) {
        out << in.correlationId << qint32(in.state) << in.startedAt << in.enteredAt << in.endedAt << in.lastTime
            << in.lastType << in.lastSeq << in.entry << in.stuck << in.anomalyCount << in.eventIds << in.eventSources << in.seqs;
        out << qint32(in.anomalies.size());
        for (const AnomalyRecord& a : in.anomalies)
            out << quint8(a.kind) << a.seq << a.type;
    }
    out << m_clock << m_inState << m_stuck << m_anomalies[0] << m_anomalies[1] << m_anomalies[2] << m_unmatched;
    out << m_started << m_ended << m_dropped << m_finishedKept;
    // The transitions made, as (from, to, trigger, count) in that order (trigger -1: a timeout);
    // those never made are left out.
    QList<std::array<qint64, 4>> moves;
    for (int from = 0; from < m_stateCount; ++from)
        for (int to = 0; to < m_stateCount; ++to)
            for (int t = 0; t <= m_typeCount; ++t)
                if (const qint64 n = m_moves[moveIndex(from, to, t)])
                    moves.append({ from, to, t == m_typeCount ? -1 : t, n });
    out << qint32(moves.size());
    for (const auto& m : std::as_const(moves))
        out << qint32(m[0]) << qint32(m[1]) << qint32(m[2]) << m[3];
    m_latency.save(out);
    for (const LatencyHistogram& h : m_latencyByOutcome)
        h.save(out);
}

bool SagaTracker::load(QDataStream& in)
{
    m_instances.clear();
    m_byCorrelation.clear();
    clearDeadlines();
    std::fill(m_moves.begin(), m_moves.end(), 0);
    quint64 n = 0;
    in >> n;
    const int stateCount = int(m_saga->states.size());
    for (quint64 i = 0; i < n && in.status() == QDataStream::Ok; ++i) {
        Instance x;
        qint32 state;
        in >> x.correlationId >> state >> x.startedAt >> x.enteredAt >> x.endedAt >> x.lastTime >> x.lastType
            >> x.lastSeq >> x.entry >> x.stuck >> x.anomalyCount >> x.eventIds >> x.eventSources >> x.seqs;
        if (state < 0 || state >= stateCount || x.eventSources.size() != x.eventIds.size())
            return false;
        x.state = state;
        qint32 anomalies = 0;
        in >> anomalies;
        for (qint32 k = 0; k < anomalies && in.status() == QDataStream::Ok; ++k) {
            quint8 kind;
            AnomalyRecord a;
            in >> kind >> a.seq >> a.type;
            a.kind = static_cast<Anomaly>(kind);
            x.anomalies.append(a);
        }
        m_instances.push_back(std::move(x));
    }
    in >> m_clock >> m_inState >> m_stuck >> m_anomalies[0] >> m_anomalies[1] >> m_anomalies[2] >> m_unmatched;
    in >> m_started >> m_ended >> m_dropped >> m_finishedKept;
    qint32 t = 0;
    in >> t;
    for (qint32 k = 0; k < t && in.status() == QDataStream::Ok; ++k) {
        qint32 from, to, trigger;
        qint64 count;
        in >> from >> to >> trigger >> count;
        if (from < 0 || from >= stateCount || to < 0 || to >= stateCount || trigger < -1 || trigger >= m_typeCount)
            return false;
        m_moves[moveIndex(from, to, trigger < 0 ? m_typeCount : trigger)] = count;
    }
    if (!m_latency.load(in))
        return false;
    for (LatencyHistogram& h : m_latencyByOutcome)
        if (!h.load(in))
            return false;
    if (in.status() != QDataStream::Ok || m_inState.size() != stateCount || m_finishedKept < 1)
        return false;
    reindex();
    return true;
}

} // namespace FlowScope
