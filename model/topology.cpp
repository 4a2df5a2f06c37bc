// SPDX-License-Identifier: MIT
#include "topology.h"

#include "flowfile.h"
#include "fnv.h"

#include <QDataStream>
#include <QJsonArray>
#include <QtEndian>

#include <algorithm>
#include <bit>
#include <map>
#include <numeric>

namespace FlowScope {

namespace {
QByteArray utf8(const QString& s) { return s.toUtf8(); }

// "00-<trace id>-<parent id>-<flags>" -> "<trace id>-<parent id>", or empty when malformed.
QByteArray spanOf(const QByteArray& traceParent)
{
    const QList<QByteArray> parts = traceParent.split('-');
    if (parts.size() < 4 || parts[1].size() != 32 || parts[2].size() != 16)
        return {};
    return parts[1] + '-' + parts[2];
}
} // namespace

Topology::Topology(const Flow* flow)
    : m_flow(flow)
{
    if (!flow)
        return;
    for (const Channel& c : flow->channels) {
        const int n = node(utf8(c.name), NodeKind::Channel);
        m_nodes[n].declared = true;
        for (const QString& t : c.types)
            m_declaredChannelOfType.insert(utf8(t), utf8(c.name));
    }
    // Which services emit each type, for the default "one channel per emitter" rule.
    QHash<QByteArray, QList<QByteArray>> emitters;
    for (const Service& s : flow->services)
        for (const Handler& h : s.handlers)
            for (const EmitChoice& c : h.emits.choices)
                emitters[utf8(c.type)].append(utf8(s.name));
    if (flow->simulation)
        for (const LoadGenerator& g : flow->simulation->load)
            emitters[utf8(g.type)].append(utf8(g.from));
    for (const Saga& saga : flow->sagas)
        for (const SagaState& st : saga.states)
            if (saga.isOrchestrated() && !st.send.isEmpty())
                emitters[utf8(st.send)].append(utf8(saga.orchestrator));
    auto channelsOf = [&](const QByteArray& type) -> QList<QByteArray> {
        if (auto it = m_declaredChannelOfType.constFind(type); it != m_declaredChannelOfType.cend())
            return { it.value() };
        return emitters.value(type);
    };
    auto declare = [&](const QByteArray& from, NodeKind fromKind, const QByteArray& to, NodeKind toKind, EdgeKind k) {
        const int a = node(from, fromKind), b = node(to, toKind);
        m_nodes[a].declared = m_nodes[b].declared = true;
        m_edges[edge(a, b, k)].declared = true;
        m_hasDeclared = true;
    };
    for (const Service& s : flow->services) {
        const QByteArray name = utf8(s.name);
        m_nodes[node(name, NodeKind::Service)].declared = true;
        m_hasDeclared = true;
        for (const Handler& h : s.handlers) {
            for (const QByteArray& ch : channelsOf(utf8(h.type)))
                declare(ch, NodeKind::Channel, name, NodeKind::Service, EdgeKind::Consumes);
            for (const EmitChoice& c : h.emits.choices) {
                const auto it = m_declaredChannelOfType.constFind(utf8(c.type));
                declare(name, NodeKind::Service, it != m_declaredChannelOfType.cend() ? it.value() : name,
                        NodeKind::Channel, EdgeKind::Emits);
            }
        }
    }
    if (flow->simulation)
        for (const LoadGenerator& g : flow->simulation->load) {
            const auto it = m_declaredChannelOfType.constFind(utf8(g.type));
            declare(utf8(g.from), NodeKind::Service, it != m_declaredChannelOfType.cend() ? it.value() : utf8(g.from),
                    NodeKind::Channel, EdgeKind::Emits);
        }
    // An orchestrator hears its saga's start event and every reply its states wait for, and
    // sends each state's command (as the simulator runs it): declared by the saga, not by `when:`
    // of the service. Without this every edge of an orchestrated flow showed as undeclared drift.
    for (const Saga& saga : flow->sagas) {
        if (!saga.isOrchestrated())
            continue;
        const QByteArray orchestrator = utf8(saga.orchestrator);
        QList<QByteArray> heard { utf8(saga.start) };
        for (const SagaState& st : saga.states) {
            for (const SagaTransition& t : st.transitions)
                heard.append(utf8(t.type));
            if (!st.send.isEmpty()) {
                const auto it = m_declaredChannelOfType.constFind(utf8(st.send));
                declare(orchestrator, NodeKind::Service, it != m_declaredChannelOfType.cend() ? it.value() : orchestrator,
                        NodeKind::Channel, EdgeKind::Emits);
            }
        }
        for (const QByteArray& type : heard)
            for (const QByteArray& ch : channelsOf(type))
                declare(ch, NodeKind::Channel, orchestrator, NodeKind::Service, EdgeKind::Consumes);
    }
}

int Topology::node(const QByteArray& name, NodeKind kind)
{
    NodeRef& ref = m_nodeIndex[int(kind)][name];
    if (ref.index < 0) {
        m_nodes.append(Node { name, kind, false, false, 0 });
        ref.index = int(m_nodes.size() - 1);
    }
    return ref.index;
}

int Topology::edge(int from, int to, EdgeKind kind)
{
    const quint64 key = (quint64(quint32(from)) << 33) | (quint64(quint32(to)) << 1) | quint64(kind);
    RecentEdge& recent = m_recentEdges[size_t((key * 0x9e3779b97f4a7c15ull) >> 58)];
    if (recent.key == key)
        return recent.index;
    int index;
    if (auto it = m_edgeIndex.constFind(key); it != m_edgeIndex.cend()) {
        index = it.value();
    } else {
        Edge e;
        e.from = from;
        e.to = to;
        e.kind = kind;
        m_edges.append(e);
        index = int(m_edges.size() - 1);
        m_edgeIndex.insert(key, index);
    }
    recent = RecentEdge { key, index };
    return index;
}

bool Topology::emitsTo(int service, int channel) const
{
    const quint64 key = (quint64(quint32(service)) << 33) | (quint64(quint32(channel)) << 1) | quint64(EdgeKind::Emits);
    const auto it = m_edgeIndex.constFind(key);
    return it != m_edgeIndex.cend() && m_edges[it.value()].observed;
}

void Topology::forgetShapes()
{
    m_recentEdges.fill(RecentEdge {});
    m_shapes.clear();
}

const Topology::Shape& Topology::shapeOf(const Event& e)
{
    bool made;
    Shape& shape = m_shapes.find(e.source, e.channel, e.type, &made);
    if (!made)
        return shape;
    NodeRef& service = m_serviceOfSource[e.source];
    if (service.index < 0)
        service.index = node(serviceName(e.source), NodeKind::Service);
    shape.service = service.index;
    shape.channelNode = channelNodeFor(e, shape.service);
    shape.emits = edge(shape.service, shape.channelNode, EdgeKind::Emits);
    shape.error = isErrorType(e.type);
    return shape;
}

// A source names a service: exactly, or (for URI-style sources such as "/orders" or
// "urn:shop:orders") by its last segment when that is a declared service.
QByteArray Topology::serviceName(const QByteArray& source) const
{
    if (!m_flow)
        return source;
    if (m_flow->service(QString::fromUtf8(source)))
        return source;
    const qsizetype cut = std::max(source.lastIndexOf('/'), source.lastIndexOf(':'));
    if (cut >= 0 && cut + 1 < source.size()) {
        const QByteArray last = source.mid(cut + 1);
        if (m_flow->service(QString::fromUtf8(last)))
            return last;
    }
    return source;
}

int Topology::channelNodeFor(const Event& e, int serviceNode)
{
    if (!e.channel.isEmpty())
        return node(e.channel, NodeKind::Channel);
    if (auto it = m_declaredChannelOfType.constFind(e.type); it != m_declaredChannelOfType.cend())
        return node(it.value(), NodeKind::Channel);
    return node(m_nodes[serviceNode].name, NodeKind::Channel);
}

bool Topology::isErrorType(const QByteArray& type)
{
    return type.contains("Failed") || type.contains("Error") || type.contains("DeadLetter");
}

[[gnu::always_inline]] inline quint64 Topology::keyOf(const QByteArray& id)
{
    const quint64 h = wordHash64(id);
    return h ? h : 1; // 0 marks an empty slot
}

[[gnu::always_inline]] inline size_t Topology::CauseMemory::Generation::slotOf(quint64 key) const
{
    const size_t mask = slots.size() - 1;
    size_t i = home(key);
    while (slots[i].key != 0 && slots[i].key != key)
        i = (i + 1) & mask;
    return i;
}

void Topology::CauseMemory::Generation::resize(size_t capacity)
{
    ZeroedTable<Slot> old(capacity);
    std::swap(old, slots);
    shift = 64 - std::countr_zero(slots.size());
    for (size_t i = 0; i < old.size(); ++i) // the same base: packed causes move as they are
        if (old[i].key != 0)
            slots[slotOf(old[i].key)] = old[i];
}

[[gnu::always_inline]] inline void Topology::CauseMemory::Generation::set(Slot& s, Cause c)
{
    if (!hasBase) {
        base = c.time;
        hasBase = true;
    }
    qint64 offset = 0;
    if (c.channel >= 0 && quint64(c.channel) < Unpacked && !__builtin_sub_overflow(c.time, base, &offset)
        && offset >= -MaxOffset && offset < MaxOffset) {
        s.cause = (quint64(offset) << ChannelBits) | quint64(c.channel);
    } else {
        s.cause = Unpacked;
        unpacked.insert(s.key, c);
    }
}

[[gnu::always_inline]] inline Topology::Cause Topology::CauseMemory::Generation::causeOf(const Slot& s) const
{
    const quint64 channel = s.cause & Unpacked;
    if (channel == Unpacked)
        return unpacked.value(s.key);
    return Cause { int(channel), base + (qint64(s.cause) >> ChannelBits) };
}

void Topology::CauseMemory::Generation::insert(quint64 key, Cause c)
{
    if (2 * (count + 1) > slots.size())
        resize(slots.empty() ? FullCapacity : 2 * slots.size());
    Slot& s = slots[slotOf(key)];
    s.key = key;
    set(s, c);
    ++count;
}

void Topology::CauseMemory::Generation::prepare()
{
    if (slots.empty()) {
        resize(FullCapacity);
        slots.prefault();
    }
}

void Topology::CauseMemory::reserve() { m_generations[m_young].prepare(); }

void Topology::CauseMemory::Generation::clear()
{
    if (count > 0) // else nothing was written since it was zeroed (a prepared table)
        slots.zero(); // keeps its size: it fills up again
    count = 0;
    hasBase = false;
    unpacked.clear();
}

[[gnu::always_inline]] inline void Topology::CauseMemory::remember(quint64 key, Cause c)
{
    Generation* young = &m_generations[m_young];
    if (!young->slots.empty()) {
        Slot& s = young->slots[young->slotOf(key)];
        if (s.key == key) {
            young->set(s, c);
            return;
        }
        // Not there: the probe ended on the empty slot insert() would find again, which it may
        // take when nothing has to grow or be forgotten first (nearly always).
        if (young->count < size_t(CausationMemory) && 2 * (young->count + 1) <= young->slots.size()) {
            s.key = key;
            young->set(s, c);
            // (>=: a generation loaded from a checkpoint may be past the mark already)
            Generation& other = m_generations[m_young ^ 1];
            if (++young->count >= PrepareOtherAt && other.slots.empty()) [[unlikely]]
                other.prepare();
            return;
        }
    }
    if (young->count >= size_t(CausationMemory)) {
        m_young ^= 1; // the young table is full: it is the old one now, and the old one is forgotten
        young = &m_generations[m_young];
        young->clear();
    }
    young->insert(key, c);
}

void Topology::CauseMemory::prefetch(quint64 key) const
{
    const Generation& young = m_generations[m_young];
    if (young.slots.empty())
        return;
    __builtin_prefetch(&young.slots[young.home(key)], 1);
}

[[gnu::always_inline]] inline std::optional<Topology::Cause> Topology::CauseMemory::find(quint64 key) const
{
    for (int g : { m_young, m_young ^ 1 }) {
        const Generation& gen = m_generations[g];
        if (gen.count == 0) // none yet, or prepared and still empty
            continue;
        if (const Slot& s = gen.slots[gen.slotOf(key)]; s.key == key)
            return gen.causeOf(s);
    }
    return std::nullopt;
}

namespace {
constexpr int SavedSlotBytes = 20; // key, channel, time
}

void Topology::CauseMemory::save(QDataStream& out) const
{
    // Each generation's slots in table order, read straight through (a lookup per id would
    // cost a cache miss each: 400 000 of them per checkpoint), starting after an empty slot
    // (there is one: a table is at most half full). Inserted in this order into a table of the
    // same size, every id lands in the slot it had, since no probe run wraps past the start:
    // a loaded copy is laid out like the original and saves the same bytes.
    for (int g : { m_young ^ 1, m_young }) { // old first
        const Generation& gen = m_generations[g];
        const size_t n = gen.count > 0 ? gen.slots.size() : 0; // a prepared empty table is saved as none
        out << quint32(n) << quint32(gen.count);
        size_t start = 0;
        while (n > 0 && gen.slots[start].key != 0)
            ++start;
        QByteArray bytes(qsizetype(gen.count) * SavedSlotBytes, Qt::Uninitialized);
        char* p = bytes.data();
        for (size_t k = 1; k <= n; ++k) {
            const Slot& s = gen.slots[(start + k) & (n - 1)];
            if (s.key == 0)
                continue;
            qToBigEndian(s.key, p);
            const Cause c = gen.causeOf(s);
            qToBigEndian(qint32(c.channel), p + 8);
            qToBigEndian(c.time, p + 12);
            p += SavedSlotBytes;
        }
        out.writeRawData(bytes.constData(), int(bytes.size()));
    }
}

bool Topology::CauseMemory::load(QDataStream& in)
{
    m_young = 1;
    for (Generation& gen : m_generations) { // old (0) first, then young (1)
        gen = Generation {};
        quint32 capacity = 0, n = 0;
        in >> capacity >> n;
        if (in.status() != QDataStream::Ok || (capacity != 0 && (capacity < 1024 || !std::has_single_bit(capacity)))
            || capacity > (1u << 20) || n > quint32(CausationMemory) || 2 * qint64(n) > qint64(capacity))
            return false;
        if (capacity > 0)
            gen.resize(capacity);
        QByteArray bytes(qsizetype(n) * SavedSlotBytes, Qt::Uninitialized);
        if (in.readRawData(bytes.data(), int(bytes.size())) != bytes.size())
            return false;
        for (const char* p = bytes.constData(); p != bytes.constData() + bytes.size(); p += SavedSlotBytes) {
            const quint64 key = qFromBigEndian<quint64>(p);
            const Cause c { qFromBigEndian<qint32>(p + 8), qFromBigEndian<qint64>(p + 12) };
            if (key == 0 || gen.slots[gen.slotOf(key)].key == key)
                return false; // remember() never stores 0, and a generation never holds a key twice
            gen.insert(key, c);
        }
    }
    return in.status() == QDataStream::Ok;
}

qint64 Topology::fold(const Event& e, qint64 time, quint64 idKey)
{
    if (e.source.isEmpty()) {
        advanceTo(time);
        // nothing says who sent it; a channel still carried it, and an event it causes (its
        // consumer's, naming it in `causationid`) shows who reads that channel
        if (!e.channel.isEmpty()) {
            const int c = node(e.channel, NodeKind::Channel);
            Node& n = m_nodes[c];
            n.observed = true;
            ++n.events;
            if (!e.id.isEmpty())
                m_byId.remember(idKey ? idKey : keyOf(e.id), Cause { c, time });
            if (!e.traceParent().isEmpty())
                m_bySpan.remember(keyOf(spanOf(e.traceParent())), Cause { c, time });
        }
        return NoTime;
    }
    return fold(e, time, shapeOf(e), idKey);
}

qint64 Topology::fold(const Event& e, qint64 time, const Shape& shape, quint64 idKey)
{
    Q_ASSERT(!e.source.isEmpty());
    advanceTo(time);
    const int s = shape.service;
    const int c = shape.channelNode;
    Node* nodes = m_nodes.data(); // one detach check, not one per access
    nodes[s].observed = nodes[c].observed = true;
    ++nodes[s].events;
    ++nodes[c].events;
    Edge& emits = m_edges.data()[shape.emits];
    emits.observed = true;
    ++emits.count;
    if (shape.error || e.isUnparsed())
        ++emits.errors;
    emits.rate.add(time);

    // Causation: the cause's channel feeds this event's source.
    std::optional<Cause> cause;
    if (!e.causationId.isEmpty())
        cause = m_byId.find(keyOf(e.causationId));
    const QByteArray span = e.traceParent().isEmpty() ? QByteArray() : spanOf(e.traceParent());
    // Without a causation id, an earlier event of the same span is the cause: a consumer that
    // passed the trace on. Not one on a channel this service writes to itself: that is the
    // service publishing twice in one span (to `orders` and `audit`, say), not consuming.
    if (!cause && e.causationId.isEmpty() && !span.isEmpty())
        if (const std::optional<Cause> bySpan = m_bySpan.find(keyOf(span));
            bySpan && bySpan->channel != c && !emitsTo(s, bySpan->channel))
            cause = bySpan;
    if (cause) {
        const int index = edge(cause->channel, s, EdgeKind::Consumes); // may append: before data()
        Edge& consumes = m_edges.data()[index];
        consumes.observed = true;
        ++consumes.count;
        consumes.rate.add(time);
    }
    const qint64 causeTime = cause ? cause->time : NoTime;
    if (!e.id.isEmpty())
        m_byId.remember(idKey ? idKey : keyOf(e.id), Cause { c, time });
    if (!span.isEmpty())
        m_bySpan.remember(keyOf(span), Cause { c, time });
    return causeTime;
}

quint64 Topology::prefetch(const Event& e) const
{
    if (e.id.isEmpty() || e.source.isEmpty())
        return 0;
    const quint64 key = keyOf(e.id);
    m_byId.prefetch(key);
    return key;
}

QByteArray Topology::serviceOfGroup(const QByteArray& group) const
{
    if (m_flow) {
        const QString id = QString::fromUtf8(group);
        for (const Service& s : m_flow->services)
            if (s.group == id)
                return utf8(s.name);
    }
    return serviceName(group);
}

QJsonObject Topology::toJson(qint64 streamStart) const
{
    auto kindName = [](NodeKind k) { return k == NodeKind::Service ? QStringLiteral("service") : QStringLiteral("channel"); };

    // The group facts, by the edge they stand for: (channel, service).
    struct GroupEdge {
        QJsonArray groups;
        qint64 lag = -1;  // -1: no group said
        int members = -1; // -1: no group said
        bool folded = false; // the edge is among m_edges
    };
    std::map<std::pair<QByteArray, QByteArray>, GroupEdge> groupEdges;
    for (const GroupFact& f : m_groupFacts) {
        GroupEdge& g = groupEdges[{ f.topic, serviceOfGroup(f.group) }];
        g.groups.append(QString::fromUtf8(f.group));
        if (f.lag >= 0)
            g.lag = std::max<qint64>(g.lag, 0) + f.lag;
        if (f.members >= 0)
            g.members = std::max(g.members, 0) + f.members;
    }

    // Nodes: the folded ones, plus the channels and services only group facts name.
    QList<Node> nodeRows = m_nodes; // shared, not copied, unless group facts touch it
    QHash<QPair<int, QByteArray>, int> nodeRow;
    if (!groupEdges.empty())
        for (int i = 0; i < nodeRows.size(); ++i)
            nodeRow.insert({ int(nodeRows.at(i).kind), nodeRows.at(i).name }, i);
    auto groupNode = [&](const QByteArray& name, NodeKind kind) {
        auto it = nodeRow.constFind({ int(kind), name });
        if (it == nodeRow.cend()) {
            nodeRows.append(Node { name, kind, false, false, 0 });
            it = nodeRow.insert({ int(kind), name }, int(nodeRows.size() - 1));
        }
        nodeRows[it.value()].observed = true; // the cluster says it is there
        return it.value();
    };
    for (const auto& [key, g] : groupEdges) {
        groupNode(key.first, NodeKind::Channel);
        groupNode(key.second, NodeKind::Service);
    }
    QList<int> order(nodeRows.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) {
        const Node &x = nodeRows.at(a), &y = nodeRows.at(b);
        return std::tie(x.kind, x.name) < std::tie(y.kind, y.name);
    });
    QJsonArray nodes;
    for (int i : order) {
        const Node& n = nodeRows.at(i);
        nodes.append(QJsonObject { { QStringLiteral("name"), QString::fromUtf8(n.name) },
                                   { QStringLiteral("kind"), kindName(n.kind) },
                                   { QStringLiteral("declared"), n.declared },
                                   { QStringLiteral("observed"), n.observed },
                                   { QStringLiteral("events"), n.events } });
    }

    // Edges: the folded ones (a consumes edge with group facts gets them), then the ones only
    // group facts make.
    struct EdgeRow {
        QByteArray from, to;
        EdgeKind kind;
        const Edge* folded; // null: made by group facts only
        const GroupEdge* group;
    };
    std::vector<EdgeRow> rows;
    rows.reserve(size_t(m_edges.size() + qsizetype(groupEdges.size())));
    for (const Edge& e : m_edges) {
        EdgeRow row { m_nodes[e.from].name, m_nodes[e.to].name, e.kind, &e, nullptr };
        if (e.kind == EdgeKind::Consumes && !groupEdges.empty())
            if (auto it = groupEdges.find({ row.from, row.to }); it != groupEdges.end()) {
                row.group = &it->second;
                it->second.folded = true;
            }
        rows.push_back(row);
    }
    for (const auto& [key, g] : groupEdges)
        if (!g.folded)
            rows.push_back(EdgeRow { key.first, key.second, EdgeKind::Consumes, nullptr, &g });
    std::sort(rows.begin(), rows.end(), [](const EdgeRow& a, const EdgeRow& b) {
        return std::tie(a.from, a.to, a.kind) < std::tie(b.from, b.to, b.kind);
    });
    QJsonArray edges, unseen, undeclared;
    for (const EdgeRow& row : rows) {
        const QString from = QString::fromUtf8(row.from), to = QString::fromUtf8(row.to);
        const QString kind = row.kind == EdgeKind::Emits ? QStringLiteral("emits") : QStringLiteral("consumes");
        RateWindow rate = row.folded ? row.folded->rate : RateWindow(); // rates decay while the stream moves on
        if (m_clock != NoTime)
            rate.advanceTo(m_clock);
        const bool declared = row.folded && row.folded->declared;
        const bool observed = (row.folded && row.folded->observed) || row.group;
        QJsonObject edge { { QStringLiteral("from"), from },
                           { QStringLiteral("to"), to },
                           { QStringLiteral("kind"), kind },
                           { QStringLiteral("count"), row.folded ? row.folded->count : 0 },
                           { QStringLiteral("errors"), row.folded ? row.folded->errors : 0 },
                           { QStringLiteral("declared"), declared },
                           { QStringLiteral("observed"), observed },
                           { QStringLiteral("rate_1s"), rate.rate(1, streamStart) },
                           { QStringLiteral("rate_10s"), rate.rate(10, streamStart) },
                           { QStringLiteral("rate_60s"), rate.rate(60, streamStart) } };
        if (row.group) {
            edge.insert(QStringLiteral("groups"), row.group->groups);
            edge.insert(QStringLiteral("lag"), row.group->lag >= 0 ? QJsonValue(row.group->lag) : QJsonValue());
            edge.insert(QStringLiteral("members"),
                        row.group->members >= 0 ? QJsonValue(row.group->members) : QJsonValue());
        }
        edges.append(edge);
        const QJsonObject brief { { QStringLiteral("from"), from }, { QStringLiteral("to"), to }, { QStringLiteral("kind"), kind } };
        if (declared && !observed)
            unseen.append(brief);
        if (m_hasDeclared && observed && !declared)
            undeclared.append(brief);
    }
    return { { QStringLiteral("nodes"), nodes },
             { QStringLiteral("edges"), edges },
             { QStringLiteral("drift"),
               QJsonObject { { QStringLiteral("declared_unseen"), unseen }, { QStringLiteral("undeclared_seen"), undeclared } } } };
}

void Topology::save(QDataStream& out) const
{
    out << qint32(m_nodes.size());
    for (const Node& n : m_nodes)
        out << n.name << quint8(n.kind) << n.declared << n.observed << n.events;
    out << qint32(m_edges.size());
    for (const Edge& e : m_edges) {
        out << qint32(e.from) << qint32(e.to) << quint8(e.kind) << e.declared << e.observed << e.count << e.errors;
        e.rate.save(out);
    }
    m_byId.save(out);
    m_bySpan.save(out);
    out << m_clock;
}

bool Topology::load(QDataStream& in)
{
    // Declared nodes and edges were rebuilt by the constructor from the same flow; the saved
    // state replaces them wholesale (it includes them, in the same order).
    m_nodes.clear();
    m_nodeIndex[0].clear();
    m_nodeIndex[1].clear();
    m_edges.clear();
    m_edgeIndex.clear();
    m_serviceOfSource.clear();
    forgetShapes();
    qint32 n = 0;
    in >> n;
    for (qint32 i = 0; i < n && in.status() == QDataStream::Ok; ++i) {
        Node node;
        quint8 kind;
        in >> node.name >> kind >> node.declared >> node.observed >> node.events;
        if (kind > quint8(NodeKind::Channel))
            return false;
        node.kind = static_cast<NodeKind>(kind);
        m_nodeIndex[kind][node.name].index = int(m_nodes.size());
        m_nodes.append(node);
    }
    in >> n;
    for (qint32 i = 0; i < n && in.status() == QDataStream::Ok; ++i) {
        Edge e;
        qint32 from, to;
        quint8 kind;
        in >> from >> to >> kind >> e.declared >> e.observed >> e.count >> e.errors;
        if (from < 0 || to < 0 || from >= m_nodes.size() || to >= m_nodes.size() || !e.rate.load(in))
            return false;
        e.from = from;
        e.to = to;
        e.kind = static_cast<EdgeKind>(kind);
        m_edgeIndex.insert((quint64(quint32(from)) << 33) | (quint64(quint32(to)) << 1) | quint64(kind),
                           int(m_edges.size()));
        m_edges.append(e);
    }
    if (!m_byId.load(in) || !m_bySpan.load(in))
        return false;
    in >> m_clock;
    return in.status() == QDataStream::Ok;
}

} // namespace FlowScope
