// SPDX-License-Identifier: MIT
// The topology (issue 3): services and channels from events and causation, latencies, drift
// against the declared topology, consumer-group facts (issue 5), and the causation memory.
#include "projectionfixtures.h"

#include <zeroedtable.h>

// Declared before the test bodies (moc reads this file).
class TestTopology : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void topologyChannels_data();
    void topologyChannels();
    void topologyFromCausation();
    void topologyFromTraceContext();
    void causeWithoutSource();
    void causationMemoryWindow();
    void causeTimes();
    void zeroedTablePrefault();
    void topologyDrift();
    void orchestratorsEdgesAreDeclared();
    void topologyGroupFacts();
};

void TestTopology::topologyChannels_data()
{
    QTest::addColumn<QByteArray>("type");
    QTest::addColumn<QByteArray>("source");
    QTest::addColumn<QByteArray>("channel"); // set on the event, as a Kafka topic would be
    QTest::addColumn<QString>("edge"); // the one observed edge

    QTest::newRow("the event's channel") << QByteArray("PaymentAuthorized") << QByteArray("payment")
                                         << QByteArray("pay-topic") << u"payment -emits-> pay-topic count=1 observed"_s;
    QTest::newRow("the event's channel over the flow's")
        << QByteArray("OrderCreated") << QByteArray("orders") << QByteArray("legacy")
        << u"orders -emits-> legacy count=1 observed"_s;
    QTest::newRow("the flow's channels") << QByteArray("OrderCreated") << QByteArray("orders") << QByteArray()
                                         << u"orders -emits-> order-events count=1 declared observed"_s;
    QTest::newRow("the source's name") << QByteArray("PaymentAuthorized") << QByteArray("payment") << QByteArray()
                                       << u"payment -emits-> payment count=1 declared observed"_s;
    QTest::newRow("a URN naming a service") << QByteArray("PaymentAuthorized") << QByteArray("urn:shop:payment")
                                            << QByteArray() << u"payment -emits-> payment count=1 declared observed"_s;
    QTest::newRow("a path naming a service") << QByteArray("PaymentAuthorized") << QByteArray("/shop/payment")
                                             << QByteArray() << u"payment -emits-> payment count=1 declared observed"_s;
    QTest::newRow("an undeclared source") << QByteArray("Invoice") << QByteArray("/billing") << QByteArray()
                                          << u"/billing -emits-> /billing count=1 observed"_s;
}

void TestTopology::topologyChannels()
{
    QFETCH(QByteArray, type);
    QFETCH(QByteArray, source);
    QFETCH(QByteArray, channel);
    QFETCH(QString, edge);

    const auto flow = parseFlow("flowscope: 1\n"
                                "channels:\n"
                                "  order-events: [OrderCreated]\n"
                                "services:\n"
                                "  orders:\n"
                                "    when:\n"
                                "      PaymentAuthorized: {}\n"
                                "  payment:\n"
                                "    when:\n"
                                "      OrderCreated: { emit: PaymentAuthorized }\n"
                                "simulation:\n"
                                "  load:\n"
                                "    - { emit: OrderCreated, from: orders, rate: 1/s }\n");
    Projections p(flow);
    const QJsonObject before = p.toJson().value(u"topology"_s).toObject();
    QCOMPARE(edgeList(before),
        (QStringList { u"order-events -consumes-> payment count=0 declared"_s,
            u"orders -emits-> order-events count=0 declared"_s, u"payment -consumes-> orders count=0 declared"_s,
            u"payment -emits-> payment count=0 declared"_s }));
    Event e = makeEvent(type, "e1", 0, "{}", source);
    if (!channel.isEmpty())
        e.channel = channel;
    e.seq = 1;
    p.apply(e);
    const QJsonObject topology = p.toJson().value(u"topology"_s).toObject();
    QCOMPARE(edgeList(topology, true), QStringList { edge });
    const QString service = edge.section(u' ', 0, 0), ch = edge.section(u' ', 2, 2);
    const QStringList nodes = nodeList(topology);
    QVERIFY2(std::any_of(nodes.begin(), nodes.end(),
                 [&](const QString& n) {
                     return n.startsWith(u"service:"_s + service + u" events=1"_s) && n.endsWith(u" observed"_s);
                 }),
        qPrintable(nodes.join(u'\n')));
    QVERIFY2(std::any_of(nodes.begin(), nodes.end(),
                 [&](const QString& n) {
                     return n.startsWith(u"channel:"_s + ch + u" events=1"_s) && n.endsWith(u" observed"_s);
                 }),
        qPrintable(nodes.join(u'\n')));
}

void TestTopology::topologyFromCausation()
{
    Projections p(parseFlow("flowscope: 1\nname: no declared topology\n"));
    Stream s;
    p.apply(s.add(makeEvent("OrderCreated", "a1", 0, "{}", "orders")));
    p.apply(s.add(makeEvent("PaymentAuthorized", "b1", 1, "{}", "payment", ",\"causationid\":\"a1\"")));
    p.apply(s.add(makeEvent("StockReserved", "c1", 2, "{}", "inventory", ",\"causationid\":\"b1\"")));
    p.apply(s.add(makeEvent("StockReserved", "c2", 3, "{}", "inventory", ",\"causationid\":\"b1\"")));
    p.apply(s.add(makeEvent("Orphan", "x1", 4, "{}", "inventory", ",\"causationid\":\"nowhere\""))); // unknown cause
    Event onTopic = makeEvent("OrderCreated", "a2", 5, "{}", "orders");
    onTopic.channel = "orders-v2";
    p.apply(s.add(onTopic));
    p.apply(s.add(makeEvent("PaymentAuthorized", "b2", 6, "{}", "payment", ",\"causationid\":\"a2\"")));
    // a cause named before it happened (arrives later) is not found
    p.apply(s.add(makeEvent("Audit", "z1", 7, "{}", "audit", ",\"causationid\":\"z2\"")));
    p.apply(s.add(makeEvent("Ping", "z2", 8, "{}", "pinger")));

    const QJsonObject topology = p.toJson().value(u"topology"_s).toObject();
    QCOMPARE(edgeList(topology),
        (QStringList { u"audit -emits-> audit count=1 observed"_s, u"inventory -emits-> inventory count=3 observed"_s,
            u"orders -emits-> orders count=1 observed"_s, u"orders -emits-> orders-v2 count=1 observed"_s,
            u"orders -consumes-> payment count=1 observed"_s, u"orders-v2 -consumes-> payment count=1 observed"_s,
            u"payment -consumes-> inventory count=2 observed"_s, u"payment -emits-> payment count=2 observed"_s,
            u"pinger -emits-> pinger count=1 observed"_s }));
    QCOMPARE(nodeList(topology),
        (QStringList { u"service:audit events=1 observed"_s, u"service:inventory events=3 observed"_s,
            u"service:orders events=2 observed"_s, u"service:payment events=2 observed"_s,
            u"service:pinger events=1 observed"_s, u"channel:audit events=1 observed"_s,
            u"channel:inventory events=3 observed"_s, u"channel:orders events=1 observed"_s,
            u"channel:orders-v2 events=1 observed"_s, u"channel:payment events=2 observed"_s,
            u"channel:pinger events=1 observed"_s }));
    // nothing declared: no drift either way
    QCOMPARE(driftList(topology, u"declared_unseen"_s), QStringList());
    QCOMPARE(driftList(topology, u"undeclared_seen"_s), QStringList());
}

// Without a causation id, an earlier event of the same span is the cause; but not one on a
// channel the event's own service publishes to (that invented `orders -consumes-> orders`), and
// not when a causation id is given but unknown.
void TestTopology::topologyFromTraceContext()
{
    Projections p(parseFlow("flowscope: 1\nname: no declared topology\n"));
    Stream s;
    const QByteArray span = ",\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"";
    p.apply(s.add(makeEvent("OrderCreated", "a1", 0, "{}", "orders", span)));
    Event audit = makeEvent("AuditLogged", "a2", 1, "{}", "orders", span); // orders again, in its span
    audit.channel = "audit";
    p.apply(s.add(audit));
    // passed the trace on: the span's latest event (on audit) is its cause
    p.apply(s.add(makeEvent("PaymentAuthorized", "b1", 2, "{}", "payment", span)));
    p.apply(s.add(makeEvent("StockReserved", "c1", 4, "{}", "inventory", span + ",\"causationid\":\"gone\"")));
    const QJsonObject topology = p.toJson().value(u"topology"_s).toObject();
    QCOMPARE(edgeList(topology),
        (QStringList { u"audit -consumes-> payment count=1 observed"_s, u"inventory -emits-> inventory count=1 observed"_s,
            u"orders -emits-> audit count=1 observed"_s, u"orders -emits-> orders count=1 observed"_s,
            u"payment -emits-> payment count=1 observed"_s }));
}

// Plain JSON on Kafka often has no `source`: its topic still says where it was, so the event
// that names it as its cause shows who consumes that topic (and how long it took).
void TestTopology::causeWithoutSource()
{
    Projections p(parseFlow("flowscope: 1\nname: no declared topology\n"));
    EventParser parser;
    for (const char* line : {
             R"({"topic":"orders","partition":0,"offset":1,"ts":1700000000000,"payload":{"type":"OrderCreated","id":"a1"}})",
             R"({"topic":"payments","partition":0,"offset":1,"ts":1700000001000,"payload":{"type":"PaymentAuthorized","id":"b1","source":"payment","causationid":"a1"}})" }) {
        const Event e = parser.parseLine(line);
        QVERIFY(!e.isUnparsed());
        p.apply(e);
    }
    const QJsonObject json = p.toJson();
    QCOMPARE(edgeList(json.value(u"topology"_s).toObject()),
        (QStringList { u"orders -consumes-> payment count=1 observed"_s, u"payment -emits-> payments count=1 observed"_s }));
    const QJsonObject latency = json.value(u"metrics"_s).toObject().value(u"types"_s).toObject()
        .value(u"PaymentAuthorized"_s).toObject().value(u"latency_ms"_s).toObject();
    QCOMPARE(latency.value(u"p50"_s).toDouble(), 1000.0);
}

namespace {
// What Topology::save() writes.
QByteArray savedBytes(const Topology& t)
{
    QByteArray bytes;
    QDataStream out(&bytes, QIODevice::WriteOnly);
    t.save(out);
    return bytes;
}
} // namespace

// The causation memory keeps every one of the last Topology::CausationMemory event ids and none
// older than twice that: it forgets in generations of CausationMemory ids. A saved copy goes on
// exactly like the original.
void TestTopology::causationMemoryWindow()
{
    constexpr int Memory = Topology::CausationMemory;
    constexpr int N = 2 * Memory; // two full generations: 0 .. Memory-1 old, Memory .. N-1 young
    auto event = [](int i, int cause) {
        Event e;
        e.id = 'e' + QByteArray::number(i);
        e.source = i % 2 ? "b" : "a";
        e.channel = e.source;
        if (cause >= 0)
            e.causationId = 'e' + QByteArray::number(cause);
        return e;
    };
    auto consumed = [](const Topology& t) {
        qint64 n = 0;
        for (const Topology::Edge& e : t.edges())
            if (e.kind == Topology::EdgeKind::Consumes)
                n += e.count;
        return n;
    };
    // prepared ahead (the engine's way: tables faulted in on another thread) or not, the same
    // causes are found and the same bytes saved; an unused prepared table is saved as none
    Topology t, reserved;
    reserved.reserveCausation();
    QCOMPARE(savedBytes(reserved), savedBytes(Topology()));
    for (int i = 0; i < N; ++i) {
        t.fold(event(i, i - 1), 1000 + i);
        reserved.fold(event(i, i - 1), 1000 + i);
        if (i == 10 || i == Memory / 4 + 10 || i == Memory + 10)
            QCOMPARE(savedBytes(reserved), savedBytes(t));
        if (i == Memory / 4 + 10) { // t's other table is prepared and empty; a loaded copy has none
            Topology loaded;
            QDataStream in(savedBytes(t));
            QVERIFY(loaded.load(in));
            QCOMPARE(savedBytes(loaded), savedBytes(t));
        }
    }
    QCOMPARE(consumed(t), qint64(N - 1)); // every cause was a step back: all found
    QCOMPARE(consumed(reserved), qint64(N - 1));
    QCOMPARE(savedBytes(reserved), savedBytes(t));

    Topology copy;
    QDataStream in(savedBytes(t));
    QVERIFY(copy.load(in));

    for (Topology* x : { &t, &copy }) {
        x->fold(event(N, 0), 1000 + N); // the oldest kept, found; remembering N forgets 0 .. Memory-1
        QCOMPARE(consumed(*x), qint64(N));
        x->fold(event(N + 1, 1), 1001 + N); // forgotten
        QCOMPARE(consumed(*x), qint64(N));
        x->fold(event(N + 2, Memory - 1), 1002 + N); // forgotten with it
        QCOMPARE(consumed(*x), qint64(N));
        x->fold(event(N + 3, Memory), 1003 + N); // the oldest kept now: the last Memory + 3 are all there
        QCOMPARE(consumed(*x), qint64(N + 1));
        x->fold(event(N + 4, N + 2), 1004 + N); // and the newest
        QCOMPARE(consumed(*x), qint64(N + 2));
    }
    // a saved copy of the copy is the same bytes: generations and their order survive a load
    QCOMPARE(savedBytes(copy), savedBytes(t));
}

// A table being faulted in on another thread reads as zeros and can be written meanwhile; moved
// or destroyed while that thread runs, nothing breaks (a thread left unjoined would terminate).
void TestTopology::zeroedTablePrefault()
{
    constexpr size_t N = size_t(1) << 20; // 8 MB: mapped, on huge pages where there are
    ZeroedTable<quint64> t(N);
    t.prefault();
    t[12345] = 7;
    t.prefault(); // once is enough: a second call does nothing
    ZeroedTable<quint64> moved = std::move(t);
    QVERIFY(t.empty());
    QCOMPARE(moved.size(), N);
    size_t nonZero = 0;
    for (size_t i = 0; i < N; ++i)
        nonZero += moved[i] != 0;
    QCOMPARE(nonZero, size_t(1));
    QCOMPARE(moved[12345], quint64(7));
    {
        ZeroedTable<quint64> dropped(N);
        dropped.prefault(); // destroyed at once: its thread is waited for before the unmapping
    }
    ZeroedTable<quint64> small(100); // calloc'ed: nothing to fault in ahead
    small.prefault();
    QCOMPARE(small[99], quint64(0));
}

// A cause's time and channel come back exact however far its time is from the others: the
// causation memory packs a time as an offset from its generation's first one (about ±101 days)
// and keeps a cause that does not pack aside. A saved and loaded copy gives the same.
void TestTopology::causeTimes()
{
    constexpr qint64 Start = 1'798'761'600'000'000; // 2027-01-01
    constexpr qint64 Day = 86'400'000'000;
    const QList<qint64> times { Start, Start + 1, Start - 5, Start + 101 * Day, Start + 102 * Day, Start - 102 * Day,
        0, -1, std::numeric_limits<qint64>::max(), NoTime + 1, Start + 2 };
    auto event = [](const QByteArray& id, const QByteArray& source, const QByteArray& cause) {
        Event e;
        e.id = id;
        e.source = source;
        e.channel = source;
        e.causationId = cause;
        return e;
    };
    Topology t;
    for (qsizetype i = 0; i < times.size(); ++i) // causes on three channels
        QCOMPARE(t.fold(event("c" + QByteArray::number(i), "s" + QByteArray::number(i % 3), {}), times[i]), NoTime);
    Topology copy;
    QDataStream in(savedBytes(t));
    QVERIFY(copy.load(in));
    for (Topology* x : { &t, &copy }) {
        for (qsizetype i = 0; i < times.size(); ++i)
            QCOMPARE(x->fold(event("r" + QByteArray::number(i), "r", "c" + QByteArray::number(i)), Start), times[i]);
        QStringList consumes;
        for (const Topology::Edge& e : x->edges())
            if (e.kind == Topology::EdgeKind::Consumes)
                consumes.append(QString::fromUtf8(x->nodes()[e.from].name) + u" -> "_s
                    + QString::fromUtf8(x->nodes()[e.to].name) + u' ' + QString::number(e.count));
        consumes.sort();
        QCOMPARE(consumes, (QStringList { u"s0 -> r 4"_s, u"s1 -> r 4"_s, u"s2 -> r 3"_s }));
    }

    // the first cause of a generation sets where packed times count from, even when it is NoTime
    Topology first;
    first.fold(event("n0", "s", {}), NoTime);
    first.fold(event("n1", "s", {}), Start);
    QCOMPARE(first.fold(event("m0", "r", "n0"), Start), NoTime);
    QCOMPARE(first.fold(event("m1", "r", "n1"), Start), Start);
    qint64 found = 0;
    for (const Topology::Edge& e : first.edges())
        if (e.kind == Topology::EdgeKind::Consumes)
            found += e.count;
    QCOMPARE(found, qint64(2)); // both causes found, the first with its time unknown
}

void TestTopology::topologyDrift()
{
    const auto flow = parseFlow("flowscope: 1\n"
                                "channels:\n"
                                "  orders:   [OrderCreated, OrderCancelled]\n"
                                "  payments: [PaymentAuthorized, PaymentRefunded]\n"
                                "services:\n"
                                "  orders:\n"
                                "    when:\n"
                                "      PaymentRefunded: { emit: OrderCancelled }\n"
                                "  payment:\n"
                                "    when:\n"
                                "      OrderCreated: { emit: PaymentAuthorized }\n"
                                "  audit: {}\n");
    Projections p(flow);
    QJsonObject topology = p.toJson().value(u"topology"_s).toObject();
    const QStringList declared { u"orders -emits-> orders"_s, u"orders -consumes-> payment"_s,
        u"payment -emits-> payments"_s, u"payments -consumes-> orders"_s };
    QCOMPARE(driftList(topology, u"declared_unseen"_s), declared);
    QCOMPARE(driftList(topology, u"undeclared_seen"_s), QStringList());

    Stream s;
    p.apply(s.add(makeEvent("OrderCreated", "a1", 0, "{}", "orders")));
    p.apply(s.add(makeEvent("PaymentAuthorized", "b1", 1, "{}", "payment", ",\"causationid\":\"a1\"")));
    p.apply(s.add(makeEvent("FraudChecked", "f1", 2, "{}", "fraud", ",\"causationid\":\"b1\"")));
    topology = p.toJson().value(u"topology"_s).toObject();
    QCOMPARE(edgeList(topology),
        (QStringList { u"fraud -emits-> fraud count=1 observed"_s,
            u"orders -emits-> orders count=1 declared observed"_s,
            u"orders -consumes-> payment count=1 declared observed"_s,
            u"payment -emits-> payments count=1 declared observed"_s, u"payments -consumes-> fraud count=1 observed"_s,
            u"payments -consumes-> orders count=0 declared"_s }));
    QCOMPARE(nodeList(topology),
        (QStringList { u"service:audit events=0 declared"_s, u"service:fraud events=1 observed"_s,
            u"service:orders events=1 declared observed"_s, u"service:payment events=1 declared observed"_s,
            u"channel:fraud events=1 observed"_s, u"channel:orders events=1 declared observed"_s,
            u"channel:payments events=1 declared observed"_s }));
    QCOMPARE(driftList(topology, u"declared_unseen"_s), QStringList { u"payments -consumes-> orders"_s });
    QCOMPARE(driftList(topology, u"undeclared_seen"_s),
        (QStringList { u"fraud -emits-> fraud"_s, u"payments -consumes-> fraud"_s }));
}

// An orchestrated saga declares its orchestrator's edges: it hears the start event and every
// reply its states wait for, and sends each state's command. They showed as undeclared drift.
void TestTopology::orchestratorsEdgesAreDeclared()
{
    const auto flow = parseFlow("flowscope: 1\n"
                                "channels:\n"
                                "  orders:   [OrderPlaced, OrderCompleted]\n"
                                "  commands: [AuthorizePayment]\n"
                                "  payments: [PaymentAuthorized]\n"
                                "services:\n"
                                "  checkout: {}\n"
                                "  payment:\n"
                                "    when:\n"
                                "      AuthorizePayment: { emit: PaymentAuthorized }\n"
                                "sagas:\n"
                                "  order:\n"
                                "    orchestrator: checkout\n"
                                "    start: OrderPlaced\n"
                                "    states:\n"
                                "      authorizing: { send: AuthorizePayment, when: { PaymentAuthorized: done } }\n"
                                "      done:        { outcome: completed, send: OrderCompleted }\n");
    Projections p(flow);
    const QJsonObject topology = p.toJson().value(u"topology"_s).toObject();
    QCOMPARE(driftList(topology, u"declared_unseen"_s),
             (QStringList { u"checkout -emits-> commands"_s, u"checkout -emits-> orders"_s,
                 u"commands -consumes-> payment"_s, u"orders -consumes-> checkout"_s, u"payment -emits-> payments"_s,
                 u"payments -consumes-> checkout"_s }));
}

// Issue #5: consumer-group facts lie over the folded topology: consumes edges with lag and
// members, groups mapped to declared services; never in a checkpoint.
void TestTopology::topologyGroupFacts()
{
    const auto flow = parseFlow("flowscope: 1\n"
                                "channels:\n"
                                "  orders:   [OrderCreated, OrderCancelled]\n"
                                "  payments: [PaymentAuthorized, PaymentRefunded]\n"
                                "services:\n"
                                "  orders:\n"
                                "    when:\n"
                                "      PaymentRefunded: { emit: OrderCancelled }\n"
                                "  payment:\n"
                                "    when:\n"
                                "      OrderCreated: { emit: PaymentAuthorized }\n"
                                "  invoicing:\n"
                                "    group: billing-v2\n");
    QCOMPARE(flow->service(u"invoicing"_s)->group, u"billing-v2"_s);
    Projections p(flow);
    Stream s;
    p.apply(s.add(makeEvent("OrderCreated", "a1", 0, "{}", "orders")));
    p.apply(s.add(makeEvent("PaymentAuthorized", "b1", 1, "{}", "payment", ",\"causationid\":\"a1\"")));
    const QJsonObject before = p.toJson();
    const QByteArray checkpoint = p.save();

    p.applyGroupFacts({
        { "payment", "orders", 2, 5 },             // a declared service by name: on the folded edge
        { "billing-v2", "payments", 1, 400 },      // the service whose `group:` says so
        { "urn:shop:orders", "payments", -1, -1 }, // last segment names a service; nothing known
        { "reports", "audit-log", 0, 7 },          // neither service nor channel known yet
    });
    const QJsonObject topology = p.toJson().value(u"topology"_s).toObject();
    QCOMPARE(edgeList(topology),
        (QStringList { u"audit-log -consumes-> reports count=0 observed"_s,
            u"orders -emits-> orders count=1 declared observed"_s,
            u"orders -consumes-> payment count=1 declared observed"_s,
            u"payment -emits-> payments count=1 declared observed"_s,
            u"payments -consumes-> invoicing count=0 observed"_s,
            u"payments -consumes-> orders count=0 declared observed"_s }));
    auto edge = [&](const QString& from, const QString& to) {
        for (const QJsonValue& v : topology.value(u"edges"_s).toArray())
            if (v[u"from"_s].toString() == from && v[u"to"_s].toString() == to)
                return v.toObject();
        return QJsonObject();
    };
    const QJsonObject payment = edge(u"orders"_s, u"payment"_s);
    QCOMPARE(payment.value(u"lag"_s).toInteger(), 5);
    QCOMPARE(payment.value(u"members"_s).toInteger(), 2);
    QCOMPARE(payment.value(u"groups"_s).toArray(), QJsonArray { u"payment"_s });
    const QJsonObject invoicing = edge(u"payments"_s, u"invoicing"_s);
    QCOMPARE(invoicing.value(u"lag"_s).toInteger(), 400);
    QCOMPARE(invoicing.value(u"members"_s).toInteger(), 1);
    QCOMPARE(invoicing.value(u"groups"_s).toArray(), QJsonArray { u"billing-v2"_s });
    const QJsonObject unknown = edge(u"payments"_s, u"orders"_s);
    QVERIFY(unknown.contains(u"lag"_s) && unknown.value(u"lag"_s).isNull());
    QVERIFY(unknown.contains(u"members"_s) && unknown.value(u"members"_s).isNull());
    // edges without group facts keep exactly the keys they had
    QCOMPARE(edge(u"orders"_s, u"orders"_s).keys(),
        before.value(u"topology"_s).toObject().value(u"edges"_s).toArray().first().toObject().keys());
    QVERIFY(!edge(u"payment"_s, u"payments"_s).contains(u"lag"_s));
    QCOMPARE(nodeList(topology),
        (QStringList { u"service:invoicing events=0 declared observed"_s,
            u"service:orders events=1 declared observed"_s, u"service:payment events=1 declared observed"_s,
            u"service:reports events=0 observed"_s, u"channel:audit-log events=0 observed"_s,
            u"channel:orders events=1 declared observed"_s, u"channel:payments events=1 declared observed"_s }));
    // a group seen consuming is the declared edge seen; the others are drift
    QCOMPARE(driftList(topology, u"declared_unseen"_s), QStringList());
    QCOMPARE(driftList(topology, u"undeclared_seen"_s),
        (QStringList { u"audit-log -consumes-> reports"_s, u"payments -consumes-> invoicing"_s }));

    // live facts are not state: the checkpoint is what the events alone make
    QCOMPARE(p.save(), checkpoint);
    p.applyGroupFacts({});
    COMPARE_JSON(p.toJson(), before);

    // without a flow the topology shows once there are group facts
    Projections bare;
    QVERIFY(!bare.toJson().contains(u"topology"_s));
    bare.applyGroupFacts({ { "billing", "payments", 1, 400 } });
    QCOMPARE(edgeList(bare.toJson().value(u"topology"_s).toObject()),
        QStringList { u"payments -consumes-> billing count=0 observed"_s });
}

QTEST_GUILESS_MAIN(TestTopology)
#include "tst_topology.moc"
