// SPDX-License-Identifier: MIT
#include "projections.h"

#include "flowfile.h"
#include "sagatracker.h"
#include "timeformat.h"
#include "viewengine.h"

#include <QCryptographicHash>
#include <QDataStream>
#include <QIODevice>
#include <QJsonArray>
#include <QMap>

#include <array>

namespace FlowScope {

namespace {
constexpr quint32 CheckpointMagic = 0x46534350; // "FSCP"
// 2: sagas and views drop what is old, and say so; 3: causation memory in two generations; 4: a saga
// instance's events are known by source and id; 5: saga transitions counted by what moved them
constexpr quint32 CheckpointVersion = 5;

QJsonObject countsJson(const NamedValues<qint64>& counts)
{
    QJsonObject o;
    for (qsizetype i = 0; i < counts.size(); ++i)
        o.insert(QString::fromUtf8(counts.name(i)), counts.value(i));
    return o;
}

void saveCounts(QDataStream& out, const NamedValues<qint64>& counts)
{
    QMap<QByteArray, qint64> ordered; // stable bytes, whatever the arrival order
    for (qsizetype i = 0; i < counts.size(); ++i)
        ordered.insert(counts.name(i), counts.value(i));
    out << ordered;
}

void loadCounts(QDataStream& in, NamedValues<qint64>& counts)
{
    QMap<QByteArray, qint64> ordered;
    in >> ordered;
    counts.clear();
    for (auto it = ordered.cbegin(); it != ordered.cend(); ++it)
        counts[it.key()] = it.value();
}
} // namespace

Projections::Projections(std::shared_ptr<const Flow> flow)
    : m_flow(std::move(flow))
    , m_fingerprint(fingerprint(m_flow.get()))
    , m_topology(m_flow.get())
{
    if (!m_flow)
        return;
    for (const Saga& s : m_flow->sagas)
        m_sagas.push_back(std::make_unique<SagaTracker>(*m_flow, s));
    for (const View& v : m_flow->views)
        m_views.push_back(std::make_unique<ViewEngine>(v));
    if (m_flow->correlation.path)
        m_defaultCorrelation = std::make_shared<FieldAccessor>(*m_flow->correlation.path);
    for (const Correlation::Override& o : m_flow->correlation.overrides)
        m_correlationByType.insert(o.type.toUtf8(), std::make_shared<FieldAccessor>(o.path));
}

Projections::~Projections() = default;

QByteArray Projections::fingerprint(const Flow* flow)
{
    if (!flow)
        return QByteArray("no-flow");
    // Every part the projections read: sagas (an orchestrated one's on_timeout moves its
    // instances), views, correlation, the declared topology (a load generator declares an emits
    // edge). A part left out lets a checkpoint made under an older flow file be restored under a
    // newer one: a seek then shows another state than folding from the start. Hashing the file's
    // text would be simpler but would not survive reformatting.
    QByteArray text;
    QDataStream s(&text, QIODevice::WriteOnly);
    for (const Saga& saga : flow->sagas) {
        s << saga.name << saga.start << (saga.timeout ? saga.timeout->micros : -1) << saga.orchestrator;
        for (const SagaState& st : saga.states) {
            s << st.name << int(st.outcome) << (st.timeout ? st.timeout->micros : -1) << st.send << st.onTimeout;
            for (const SagaTransition& t : st.transitions)
                s << t.type << t.target;
        }
    }
    for (const View& v : flow->views) {
        s << v.name << v.key.text;
        for (const ViewColumn& c : v.columns)
            s << c.name << c.text << c.from;
    }
    s << (flow->correlation.path ? flow->correlation.path->text : QString());
    for (const Correlation::Override& o : flow->correlation.overrides)
        s << o.type << o.path.text;
    for (const Channel& c : flow->channels)
        s << c.name << c.types;
    for (const Service& svc : flow->services) {
        s << svc.name;
        for (const Handler& h : svc.handlers) {
            s << h.type;
            for (const EmitChoice& c : h.emits.choices)
                s << c.type;
        }
    }
    if (flow->simulation)
        for (const LoadGenerator& g : flow->simulation->load)
            s << g.type << g.from;
    return QCryptographicHash::hash(text, QCryptographicHash::Sha256).toHex().left(32);
}

QByteArray Projections::correlationOf(const Event& e)
{
    FieldAccessor* accessor = m_defaultCorrelation.get();
    if (!m_correlationByType.isEmpty())
        if (auto it = m_correlationByType.constFind(e.type); it != m_correlationByType.cend())
            accessor = it->get();
    if (!accessor)
        return e.correlationId; // no rule in the flow file: the CloudEvents extension
    const FieldValue v = accessor->get(m_cache);
    return v.isPresent() ? v.text : QByteArray();
}

[[gnu::always_inline]] inline Projections::Shape& Projections::shapeOf(const Event& e)
{
    bool made;
    Shape& shape = m_shapes.find(e.type, e.source, e.channel, &made);
    if (!made)
        return shape;
    NamedValues<qint64>* counts[3] = { &m_types, &m_sources, &m_channels };
    const QByteArray* names[3] = { &e.type, &e.source, &e.channel };
    for (int i = 0; i < 3; ++i)
        shape.counts[i] = names[i]->isNull() ? nullptr : &(*counts[i])[*names[i]];
    return shape;
}

void Projections::apply(const Event& e) { apply(e, 0); }

void Projections::apply(const Event& e, quint64 idKey)
{
    ++m_events;
    m_lastSeq = std::max(m_lastSeq, e.seq);
    if (e.isUnparsed())
        ++m_unparsed;
    Shape& shape = shapeOf(e);
    for (qint64* count : shape.counts)
        if (count)
            ++*count;
    // The time an event carries: its own, else the broker's (plain JSON on Kafka has only that)
    const qint64 own = carriedTime(e);
    if (own != NoTime) {
        m_firstTime = m_firstTime == NoTime ? own : std::min(m_firstTime, own);
        m_lastTime = m_lastTime == NoTime ? own : std::max(m_lastTime, own);
    }
    // The clock moves only with times events carry: an unparsed line must not drag it to today.
    if (own != NoTime && (m_clock == NoTime || own > m_clock))
        m_clock = own;
    // An unparsed line before any time (a garbage first line, a half line where a follow began)
    // is not placed at when it arrived: it says nothing of the stream's time, and its arrival,
    // today, would carry every window and saga clock past the times the stream then carries.
    const qint64 time = e.isUnparsed() && own == NoTime && m_clock == NoTime ? NoTime : placedTime(e, m_clock);
    // Time-driven state (timeouts, decaying rates) moves with the stream clock, event by
    // event, so that the result does not depend on how events were batched.
    for (auto& s : m_sagas)
        s->advanceTo(m_clock);
    m_metrics.advanceTo(m_clock);
    if (time == NoTime)
        return; // nothing to place in time: counted above, and that is all

    m_cache.reset(&e);
    if (!shape.topologyMade && !e.source.isEmpty()) {
        shape.topology = m_topology.shapeOf(e);
        shape.topologyMade = true;
    }
    const qint64 causeTime = shape.topologyMade ? m_topology.fold(e, time, shape.topology, idKey)
                                                : m_topology.fold(e, time, idKey);
    const qint64 latency = causeTime == NoTime ? -1 : std::max<qint64>(0, time - causeTime);
    if (!shape.seriesMade) {
        shape.series[0] = m_metrics.series(Metrics::Type, e.type);
        shape.series[1] = m_metrics.series(Metrics::Source, e.source);
        shape.series[2] = m_metrics.series(Metrics::Channel, e.channel);
        shape.seriesMade = true;
    }
    for (Metrics::Series* series : shape.series)
        if (series)
            Metrics::record(*series, time, latency);
    if (!m_sagas.empty()) {
        const QByteArray correlation = correlationOf(e);
        for (auto& s : m_sagas) {
            const qint64 before = s->started();
            s->fold(e, time, correlation);
            if (s->started() > before) // a saga started: its rate is starts per second
                m_metrics.record(Metrics::Saga, s->name(), time);
        }
    }
    for (auto& v : m_views)
        v->fold(m_cache);
    m_cache.reset(nullptr);
}

void Projections::apply(const EventBatch& batch)
{
    // The causation table is bigger than the caches: ask for an event's slots a few events before
    // it is folded, so that the fold does not wait for memory.
    // The id's key computed then is kept for the fold (in a ring of 8).
    constexpr qsizetype Ahead = 4;
    std::array<quint64, 8> keys {};
    const qsizetype n = batch.size();
    for (qsizetype i = 0; i < std::min(Ahead, n); ++i)
        keys[size_t(i) & 7] = m_topology.prefetch(batch[i]);
    for (qsizetype i = 0; i < n; ++i) {
        if (i + Ahead < n)
            keys[size_t(i + Ahead) & 7] = m_topology.prefetch(batch[i + Ahead]);
        apply(batch[i], keys[size_t(i) & 7]);
    }
}

void Projections::consume(EventBatch&& batch, qint64& nextSeq)
{
    // Events are let go in small chunks right after their fold, while they are in the cache,
    // instead of in a second pass over a batch larger than the cache. Erasing at the front
    // destroys them in place and moves nothing (QList only advances its start).
    constexpr qsizetype Ahead = 4, Chunk = 32;
    std::array<quint64, 8> keys {};
    for (qsizetype i = 0; i < std::min(Ahead, batch.size()); ++i)
        keys[size_t(i) & 7] = m_topology.prefetch(batch.at(i));
    size_t folded = 0; // events folded so far: their keys' place in the ring
    while (!batch.isEmpty()) {
        Event* events = batch.data(); // copies a shared batch, the first time only
        const qsizetype n = batch.size(), chunk = std::min(n, Chunk);
        for (qsizetype i = 0; i < chunk; ++i, ++folded) {
            if (i + Ahead < n)
                keys[(folded + Ahead) & 7] = m_topology.prefetch(events[i + Ahead]);
            Event& e = events[i];
            if (e.seq == 0)
                e.seq = nextSeq;
            nextSeq = e.seq + 1;
            apply(e, keys[folded & 7]);
        }
        batch.erase(batch.cbegin(), batch.cbegin() + chunk);
    }
    batch = EventBatch();
}

QJsonObject Projections::toJson(int viewSample) const
{
    QJsonObject out;
    out.insert(QStringLiteral("events"), m_events);
    out.insert(QStringLiteral("unparsed"), m_unparsed);
    out.insert(QStringLiteral("types"), countsJson(m_types));
    out.insert(QStringLiteral("sources"), countsJson(m_sources));
    out.insert(QStringLiteral("channels"), countsJson(m_channels));
    out.insert(QStringLiteral("first_time"),
               m_firstTime == NoTime ? QJsonValue() : TimeFormat::toRfc3339String(m_firstTime));
    out.insert(QStringLiteral("last_time"), m_lastTime == NoTime ? QJsonValue() : TimeFormat::toRfc3339String(m_lastTime));
    out.insert(QStringLiteral("last_seq"), m_lastSeq);
    // rates over the seconds since the stream's first time, not over a window reaching before it
    out.insert(QStringLiteral("metrics"), m_metrics.toJson(m_firstTime));
    if (m_flow || !m_topology.groupFacts().isEmpty())
        out.insert(QStringLiteral("topology"), m_topology.toJson(m_firstTime));
    if (m_flow) {
        QJsonObject sagas;
        for (const auto& s : m_sagas)
            sagas.insert(s->saga().name, s->toJson());
        out.insert(QStringLiteral("sagas"), sagas);
        QJsonObject views;
        for (const auto& v : m_views)
            views.insert(v->view().name, v->toJson(viewSample));
        out.insert(QStringLiteral("views"), views);
    }
    return out;
}

QByteArray Projections::save() const
{
    QByteArray bytes;
    QDataStream out(&bytes, QIODevice::WriteOnly);
    out.setVersion(QDataStream::Qt_6_4);
    out << CheckpointMagic << CheckpointVersion << m_fingerprint;
    out << m_events << m_unparsed << m_lastSeq << m_clock << m_firstTime << m_lastTime;
    saveCounts(out, m_types);
    saveCounts(out, m_sources);
    saveCounts(out, m_channels);
    m_topology.save(out);
    m_metrics.save(out);
    for (const auto& s : m_sagas)
        s->save(out);
    for (const auto& v : m_views)
        v->save(out);
    return bytes;
}

void Projections::reset()
{
    m_events = m_unparsed = m_lastSeq = 0;
    m_clock = m_firstTime = m_lastTime = NoTime;
    m_types.clear();
    m_sources.clear();
    m_channels.clear();
    m_shapes.clear();
    m_topology = Topology(m_flow.get());
    m_metrics = Metrics();
    for (auto& s : m_sagas)
        s = std::make_unique<SagaTracker>(*m_flow, s->saga());
    for (auto& v : m_views)
        v = std::make_unique<ViewEngine>(v->view());
}

bool Projections::load(const QByteArray& state)
{
    QDataStream in(state);
    in.setVersion(QDataStream::Qt_6_4);
    quint32 magic = 0, version = 0;
    QByteArray fp;
    in >> magic >> version >> fp;
    bool ok = magic == CheckpointMagic && version == CheckpointVersion && fp == m_fingerprint;
    m_shapes.clear();
    if (ok) {
        in >> m_events >> m_unparsed >> m_lastSeq >> m_clock >> m_firstTime >> m_lastTime;
        loadCounts(in, m_types);
        loadCounts(in, m_sources);
        loadCounts(in, m_channels);
        ok = m_topology.load(in) && m_metrics.load(in);
        for (auto& s : m_sagas)
            ok = ok && s->load(in);
        for (auto& v : m_views)
            ok = ok && v->load(in);
        ok = ok && in.status() == QDataStream::Ok && in.atEnd();
    }
    if (!ok)
        reset();
    return ok;
}

} // namespace FlowScope
