// SPDX-License-Identifier: MIT
// Projections (issue 3): views joined across event types, correlation rules, topology from
// events and causation, drift, and determinism: checkpoints restored and folded forward equal a
// replay from the start. The sagas have their own test, tst_sagatracker.
#include "projectionfixtures.h"

#include <fnv.h>
#include <zeroedtable.h>

// Declared before the test bodies (moc reads this file).
class TestProjections : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void viewJoin();
    void viewSample();
    void brokerTimeIsTheTime();
    void viewRowsDropped();
    void correlationByType();
    void correlationExtension_data();
    void correlationExtension();
    void topologyChannels_data();
    void topologyChannels();
    void topologyFromCausation();
    void topologyFromTraceContext();
    void causeWithoutSource();
    void causationMemoryWindow();
    void causeTimes();
    void zeroedTablePrefault();
    void topologyDrift();
    void topologyGroupFacts();
    void determinism();
    void unparsedLineFirst();
    void consumeBatches();
    void checkpoints_data();
    void checkpoints();
    void loadRejects();
    void idHashIsStable();
};

void TestProjections::viewJoin()
{
    const auto flow = parseFlow("flowscope: 1\n"
                                "views:\n"
                                "  orders:\n"
                                "    key: data.orderId\n"
                                "    columns:\n"
                                "      status:   last(type)\n"
                                "      customer: first(data.customerId)\n"
                                "      events:   count()\n"
                                "      payments: count() from PaymentAuthorized\n"
                                "      touched:  count() from [OrderCreated, OrderShipped]\n"
                                "      total:    sum(data.amount)\n"
                                "      smallest: min(data.amount)\n"
                                "      largest:  max(data.amount)\n"
                                "      paid_by:  last(source) from PaymentAuthorized, PaymentFailed\n"
                                "      carrier:  last(data.carrier)\n"
                                "      updated:  last(time)\n");
    Projections p(flow);
    Stream s;
    // three event types from three services join on data.orderId
    p.apply(s.add(
        makeEvent("OrderCreated", "a", 1000, "{\"orderId\":\"o1\",\"customerId\":\"c1\",\"amount\":30}", "orders")));
    p.apply(s.add(makeEvent(
        "PaymentAuthorized", "b", 2000, "{\"orderId\":\"o1\",\"customerId\":\"c2\",\"amount\":12.5}", "payment")));
    p.apply(s.add(makeEvent("OrderCreated", "c", 2500, "{\"orderId\":\"o2\",\"customerId\":\"c3\"}", "orders")));
    p.apply(s.add(makeEvent("OrderShipped", "d", 3000, "{\"orderId\":\"o1\",\"carrier\":\"ups\"}", "shipping")));
    p.apply(s.add(makeEvent("PaymentAuthorized", "e", 4000, "{\"orderId\":\"o1\",\"amount\":7}", "payment")));
    // lacks every column's path but the key's: only status, events and updated change
    p.apply(s.add(makeEvent("OrderNote", "f", 5000, "{\"orderId\":\"o1\"}", "support")));
    // no key: no row
    p.apply(s.add(makeEvent("OrderCreated", "g", 6000, "{\"customerId\":\"c9\",\"amount\":1}", "orders")));

    const QJsonObject view = p.toJson().value(u"views"_s).toObject().value(u"orders"_s).toObject();
    QCOMPARE(view.value(u"rows"_s).toInteger(), 2);
    const QJsonArray expected {
        QJsonObject { { u"key"_s, u"o1"_s }, { u"status"_s, u"OrderNote"_s }, { u"customer"_s, u"c1"_s },
            { u"events"_s, 5 }, { u"payments"_s, 2 }, { u"touched"_s, 2 }, { u"total"_s, 49.5 }, { u"smallest"_s, 7 },
            { u"largest"_s, 30 }, { u"paid_by"_s, u"payment"_s }, { u"carrier"_s, u"ups"_s },
            { u"updated"_s, TimeFormat::toRfc3339String(micros(5000)) } },
        QJsonObject { { u"key"_s, u"o2"_s }, { u"status"_s, u"OrderCreated"_s }, { u"customer"_s, u"c3"_s },
            { u"events"_s, 1 }, { u"payments"_s, 0 }, { u"touched"_s, 1 }, { u"total"_s, QJsonValue() },
            { u"smallest"_s, QJsonValue() }, { u"largest"_s, QJsonValue() }, { u"paid_by"_s, QJsonValue() },
            { u"carrier"_s, QJsonValue() }, { u"updated"_s, TimeFormat::toRfc3339String(micros(2500)) } },
    };
    COMPARE_JSON(view, (QJsonObject { { u"rows"_s, 2 }, { u"rows_dropped"_s, 0 }, { u"sample"_s, expected } }));
    QCOMPARE(p.views().front()->rowCount(), 2);
}

// Plain JSON on Kafka carries no time of its own, only the broker's: that is its time in the
// view's `time` column and in first_time / last_time, as it is for the clock (they were null).
void TestProjections::brokerTimeIsTheTime()
{
    const auto flow = parseFlow("flowscope: 1\n"
                                "views:\n"
                                "  orders:\n"
                                "    key: data.orderId\n"
                                "    columns:\n"
                                "      first_seen: first(time)\n"
                                "      updated:    last(time)\n");
    Projections p(flow);
    EventParser parser;
    for (const char* line : { R"({"topic":"orders","partition":0,"offset":7,"ts":1700000000123,"payload":{"type":"OrderCreated","orderId":"o1"}})",
                              R"({"topic":"orders","partition":0,"offset":8,"ts":1700000001000,"payload":{"type":"OrderPaid","orderId":"o1"}})" }) {
        const Event e = parser.parseLine(line);
        QVERIFY(!e.isUnparsed());
        QCOMPARE(e.time, NoTime);
        p.apply(e);
    }
    const QJsonObject json = p.toJson();
    QCOMPARE(json.value(u"first_time"_s).toString(), u"2023-11-14T22:13:20.123Z"_s);
    QCOMPARE(json.value(u"last_time"_s).toString(), u"2023-11-14T22:13:21Z"_s);
    const QJsonObject row = json.value(u"views"_s).toObject().value(u"orders"_s).toObject().value(u"sample"_s).toArray().first().toObject();
    QCOMPARE(row.value(u"first_seen"_s).toString(), u"2023-11-14T22:13:20.123Z"_s);
    QCOMPARE(row.value(u"updated"_s).toString(), u"2023-11-14T22:13:21Z"_s);
}

void TestProjections::viewSample()
{
    const auto flow = parseFlow("flowscope: 1\n"
                                "views:\n"
                                "  v:\n"
                                "    key: data.k\n"
                                "    columns:\n"
                                "      n:    count()\n"
                                "      last: last(data.x)\n");
    Projections p(flow);
    Stream s;
    const QList<int> order { 7, 12, 1, 10, 3, 11, 5, 2, 9, 4, 8, 6, 12, 1 };
    for (int k : order) {
        const QByteArray key = QByteArray::number(k).rightJustified(2, '0');
        p.apply(s.add(makeEvent("T", s.nextId(), s.events.size(),
            "{\"k\":\"k" + key + "\",\"x\":" + QByteArray::number(s.events.size()) + "}")));
    }
    const QJsonObject view = p.toJson().value(u"views"_s).toObject().value(u"v"_s).toObject();
    QCOMPARE(view.value(u"rows"_s).toInteger(), 12);
    const QJsonArray sample = view.value(u"sample"_s).toArray();
    QCOMPARE(sample.size(), 10);
    for (int i = 0; i < 10; ++i) {
        const QJsonObject row = sample[i].toObject();
        const QString key = QStringLiteral("k%1").arg(i + 1, 2, 10, QLatin1Char('0'));
        QCOMPARE(row.value(u"key"_s).toString(), key);
        QCOMPARE(row.keys(), (QStringList { u"key"_s, u"last"_s, u"n"_s }));
        const int lastArrival = int(order.lastIndexOf(i + 1));
        QCOMPARE(row.value(u"n"_s).toInteger(), order.count(i + 1));
        QCOMPARE(row.value(u"last"_s).toInteger(), lastArrival);
    }
}

// Memory stays bounded: past twice rowsKept() rows, the least recently updated go; a key that
// comes back starts afresh; a checkpoint carries it all.
void TestProjections::viewRowsDropped()
{
    const auto flow = parseFlow("flowscope: 1\n"
                                "views:\n"
                                "  v:\n"
                                "    key: data.k\n"
                                "    columns:\n"
                                "      n:    count()\n");
    Projections p(flow);
    p.views().front()->setRowsKept(3);
    Stream s;
    auto add = [&](Projections& x, int k) {
        const QByteArray key = "k" + QByteArray::number(k).rightJustified(2, '0');
        x.apply(s.add(makeEvent("T", s.nextId(), s.events.size(), "{\"k\":\"" + key + "\"}")));
    };
    // k07 k12 k01 k10 k03 k11 k05: 7 > 6 rows, the 4 least recent go (k07 k12 k01 k10);
    // k02 k09 k04 k08: 7 again, k03 k11 k05 k02 go; then k06, and k12 and k01 come back
    for (int k : { 7, 12, 1, 10, 3, 11, 5, 2, 9, 4, 8 })
        add(p, k);
    Projections q(flow);
    QVERIFY(q.load(p.save()));
    for (int k : { 6, 12, 1 }) {
        add(p, k);
        s.events.removeLast();
        add(q, k);
    }
    QCOMPARE(q.save(), p.save());
    const QJsonObject view = p.toJson().value(u"views"_s).toObject().value(u"v"_s).toObject();
    QCOMPARE(view.value(u"rows"_s).toInteger(), 6);
    QCOMPARE(view.value(u"rows_dropped"_s).toInteger(), 8);
    QStringList keys;
    for (const QJsonValue& row : view.value(u"sample"_s).toArray()) {
        keys.append(row.toObject().value(u"key"_s).toString());
        QCOMPARE(row.toObject().value(u"n"_s).toInteger(), 1); // k12 and k01 start afresh
    }
    QCOMPARE(keys, (QStringList { u"k01"_s, u"k04"_s, u"k06"_s, u"k08"_s, u"k09"_s, u"k12"_s }));
}

// --- correlation ------------------------------------------------------------------------------

void TestProjections::correlationByType()
{
    const auto flow = parseFlow("flowscope: 1\n"
                                "correlation: { default: data.orderId, by_type: { PaymentRefunded: data.ref, "
                                "OrderCancelled: subject } }\n"
                                "sagas:\n"
        + OrderSaga);
    Projections p(flow);
    Stream s;
    for (const QByteArray id : { "o1", "o2" })
        for (qsizetype i = 0; i < 3; ++i)
            p.apply(s.order(CompensatedPath[i].toUtf8(), id, s.events.size()));
    // by data.ref; the orderId names another order
    p.apply(s.add(makeEvent("PaymentRefunded", "r1", 10, "{\"ref\":\"o1\",\"orderId\":\"o2\"}")));
    // no data.ref: the default path is not used for an overridden type
    p.apply(s.add(makeEvent("PaymentRefunded", "r2", 11, "{\"orderId\":\"o2\"}")));
    // by subject
    p.apply(s.add(makeEvent("OrderCancelled", "c1", 12, "{\"orderId\":\"o2\"}", "orders", ",\"subject\":\"o1\"")));

    const QJsonObject saga = sagaJson(p);
    QCOMPARE(tracker(p).instance("o1")->state, stateIndex(p, u"cancelled"_s));
    QCOMPARE(tracker(p).instance("o2")->state, stateIndex(p, u"refunding"_s));
    QCOMPARE(saga.value(u"unmatched"_s).toInteger(), 1);
    QCOMPARE(saga.value(u"anomalies"_s).toInteger(), 0);
    COMPARE_JSON(saga.value(u"outcomes"_s).toObject(), outcomesJson(0, 1, 0, 1, 0));
}

void TestProjections::correlationExtension_data()
{
    QTest::addColumn<QByteArray>("correlation");
    QTest::newRow("no correlation path") << QByteArray();
    QTest::newRow("ext.correlationid") << QByteArray("correlation: ext.correlationid\n");
}

void TestProjections::correlationExtension()
{
    QFETCH(QByteArray, correlation);
    Projections p(parseFlow("flowscope: 1\n" + correlation + "sagas:\n" + OrderSaga));
    Stream s;
    for (qsizetype i = 0; i < FailedPath.size(); ++i) // the data's orderId is not the correlation id
        p.apply(s.add(makeEvent(
            FailedPath[i].toUtf8(), s.nextId(), i, "{\"orderId\":\"x\"}", "svc", ",\"correlationid\":\"flow-1\"")));
    p.apply(s.add(
        makeEvent("OrderCreated", s.nextId(), 10, "{\"orderId\":\"x\"}", "svc", ",\"correlationid\":\"flow-2\"")));
    p.apply(s.add(makeEvent("PaymentFailed", s.nextId(), 11, "{\"orderId\":\"flow-2\"}"))); // no extension
    const QJsonObject saga = sagaJson(p);
    QCOMPARE(tracker(p).instance("flow-1")->state, stateIndex(p, u"rejected"_s));
    QCOMPARE(tracker(p).instance("flow-2")->state, stateIndex(p, u"created"_s));
    QVERIFY(!tracker(p).instance("x"));
    QCOMPARE(saga.value(u"instances"_s).toInteger(), 2);
    QCOMPARE(saga.value(u"unmatched"_s).toInteger(), 1);
    COMPARE_JSON(saga.value(u"outcomes"_s).toObject(), outcomesJson(0, 0, 1, 1, 0));
}

// --- topology ---------------------------------------------------------------------------------

void TestProjections::topologyChannels_data()
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

void TestProjections::topologyChannels()
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

void TestProjections::topologyFromCausation()
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
void TestProjections::topologyFromTraceContext()
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
void TestProjections::causeWithoutSource()
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
void TestProjections::causationMemoryWindow()
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
void TestProjections::zeroedTablePrefault()
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
void TestProjections::causeTimes()
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

void TestProjections::topologyDrift()
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

// Issue #5: consumer-group facts lie over the folded topology: consumes edges with lag and
// members, groups mapped to declared services; never in a checkpoint.
void TestProjections::topologyGroupFacts()
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

// --- determinism and checkpoints --------------------------------------------------------------

void TestProjections::determinism()
{
    const auto flow = parseFlow(FullFlow);
    const QList<Event> events = generateStream(11, 3000);
    Projections a(flow), b(flow), batched(flow);
    feed(a, events);
    feed(b, events);
    std::mt19937 rng(5);
    for (qsizetype i = 0; i < events.size();) { // batching does not matter
        const qsizetype n = std::min<qsizetype>(events.size() - i, 1 + qsizetype(rng() % 300));
        batched.apply(EventBatch(events.begin() + i, events.begin() + i + n));
        i += n;
    }
    const QJsonObject json = a.toJson();
    COMPARE_JSON(b.toJson(), json);
    COMPARE_JSON(batched.toJson(), json);
    QCOMPARE(b.save(), a.save());
    QCOMPARE(batched.save(), a.save());
    QCOMPARE(a.eventCount(), 3000);

    // nor does the hash seed (another process, or another run): the bytes are the same
    QHashSeed::setDeterministicGlobalSeed();
    Projections seeded(flow), seededHalf(flow);
    feed(seeded, events);
    feed(seededHalf, events, 0, 1500);
    const QByteArray half = seededHalf.save();
    QHashSeed::resetRandomGlobalSeed();
    QCOMPARE(seeded.save(), a.save());
    Projections resumed(flow); // a checkpoint written under one seed, resumed under another
    QVERIFY(resumed.load(half));
    feed(resumed, events, 1500);
    QCOMPARE(resumed.save(), a.save());
    COMPARE_JSON(resumed.toJson(), json);
    QCOMPARE(a.lastSeq(), 3000);

    // the stream exercises what the checkpoints must carry
    const QJsonObject saga = json.value(u"sagas"_s).toObject().value(u"order"_s).toObject();
    const QJsonObject outcomes = saga.value(u"outcomes"_s).toObject();
    for (const char* k : { "completed", "compensated", "failed", "running", "stuck" })
        QVERIFY2(outcomes.value(QLatin1String(k)).toInteger() > 0, k);
    const QJsonObject kinds = saga.value(u"anomaly_kinds"_s).toObject();
    for (const char* k : { "duplicate", "not_accepted", "after_final" })
        QVERIFY2(kinds.value(QLatin1String(k)).toInteger() > 0, k);
    QVERIFY(saga.value(u"unmatched"_s).toInteger() > 0);
    QVERIFY(saga.value(u"transitions"_s).toObject().size() == 9);
    QVERIFY(json.value(u"views"_s).toObject().value(u"orders"_s).toObject().value(u"rows"_s).toInteger() > 100);
    QCOMPARE(json.value(u"views"_s).toObject().value(u"customers"_s).toObject().value(u"rows"_s).toInteger(), 40);
    QVERIFY(!driftList(json.value(u"topology"_s).toObject(), u"undeclared_seen"_s).isEmpty());
}

// A garbage first line (no time, nothing parsed) arrives today: placed there, it carried the
// rate windows and saga clocks past the stream's own times, and every rate read 0.
void TestProjections::unparsedLineFirst()
{
    const auto flow = parseFlow(FullFlow);
    const QList<Event> events = generateStream(11, 3000);
    EventParser parser;
    Event garbage = parser.parseLine("this is not json");
    QVERIFY(garbage.isUnparsed());
    garbage.ingestTime = TimeFormat::nowMicros();
    garbage.seq = 0;
    Projections clean(flow), dirty(flow);
    feed(clean, events);
    dirty.apply(garbage);
    feed(dirty, events);
    QJsonObject cleanJson = clean.toJson(), dirtyJson = dirty.toJson();
    QCOMPARE(dirtyJson.value(u"unparsed"_s).toInteger(), 1);
    QCOMPARE(dirtyJson.value(u"events"_s).toInteger(), 3001);
    for (QJsonObject* o : { &cleanJson, &dirtyJson }) {
        o->remove(u"unparsed"_s);
        o->remove(u"events"_s);
    }
    COMPARE_JSON(dirtyJson, cleanJson);
}

// The engine's way: each event destroyed right after its fold, unnumbered ones numbered on the
// way. Same state as folding them one by one; a batch somebody else holds is left as it was.
void TestProjections::consumeBatches()
{
    const auto flow = parseFlow(FullFlow);
    const QList<Event> events = generateStream(11, 3000);
    Projections a(flow), c(flow);
    feed(a, events);
    qint64 next = 1;

    EventBatch own(events.begin(), events.begin() + 1000); // unnumbered, held by nobody else
    for (Event& e : own)
        e.seq = 0;
    c.consume(std::move(own), next);
    QVERIFY(own.isEmpty());
    QCOMPARE(next, 1001);
    QCOMPARE(c.lastSeq(), 1000);

    EventBatch shared(events.begin() + 1000, events.begin() + 2000); // unnumbered and shared
    for (Event& e : shared)
        e.seq = 0;
    const EventBatch kept = shared;
    c.consume(std::move(shared), next);
    QCOMPARE(next, 2001);
    QCOMPARE(kept.size(), 1000);
    QVERIFY(std::all_of(kept.cbegin(), kept.cend(), [](const Event& e) { return e.seq == 0; }));
    QCOMPARE(kept.constLast().id, events[1999].id);

    EventBatch numbered(events.begin() + 2000, events.end()); // numbered and shared: the holder keeps it as it was
    const EventBatch held = numbered;
    c.consume(std::move(numbered), next);
    QCOMPARE(next, 3001);
    QVERIFY(held == EventBatch(events.begin() + 2000, events.end()));

    QCOMPARE(c.lastSeq(), 3000);
    QCOMPARE(c.eventCount(), 3000);
    QCOMPARE(c.save(), a.save());
    COMPARE_JSON(c.toJson(), a.toJson());
}

void TestProjections::checkpoints_data()
{
    QTest::addColumn<quint32>("seed");
    QTest::addColumn<int>("count");
    QTest::newRow("seed 1") << 1u << 3000;
    QTest::newRow("seed 2") << 2u << 4000;
    QTest::newRow("seed 3, short") << 3u << 40;
}

void TestProjections::checkpoints()
{
    QFETCH(quint32, seed);
    QFETCH(int, count);
    const auto flow = parseFlow(FullFlow);
    const QList<Event> events = generateStream(seed, count);

    // where to checkpoint: both ends, their neighbours, and random points
    std::mt19937 rng(seed * 7919u);
    QList<int> ks { 0, 1, count - 1, count };
    for (int i = 0; i < 30; ++i)
        ks << int(rng() % quint32(count + 1));
    std::sort(ks.begin(), ks.end());
    ks.erase(std::unique(ks.begin(), ks.end()), ks.end());

    QHash<int, QByteArray> saved;
    QHash<int, QByteArray> jsonAt;
    Projections full(flow);
    int fed = 0;
    for (int k : ks) {
        feed(full, events, fed, k);
        fed = k;
        saved.insert(k, full.save());
        jsonAt.insert(k, jsonText(full.toJson()));
    }
    const QByteArray fullJson = jsonText(full.toJson()), fullBytes = full.save();

    for (int k : ks) {
        Projections restored(flow);
        QVERIFY2(restored.load(saved[k]), qPrintable(QStringLiteral("k = %1").arg(k)));
        QCOMPARE(restored.eventCount(), k);
        QVERIFY2(restored.save() == saved[k], qPrintable(QStringLiteral("save after load differs, k = %1").arg(k)));
        const QByteArray json = jsonText(restored.toJson());
        QVERIFY2(json == jsonAt[k],
            QByteArray("k = " + QByteArray::number(k) + ": " + firstDifference(json, jsonAt[k])).constData());
        feed(restored, events, k);
        const QByteArray after = jsonText(restored.toJson());
        QVERIFY2(after == fullJson,
            QByteArray("k = " + QByteArray::number(k) + ": " + firstDifference(after, fullJson)).constData());
        QVERIFY2(
            restored.save() == fullBytes, qPrintable(QStringLiteral("save() differs, checkpoint at k = %1").arg(k)));
    }
}

void TestProjections::loadRejects()
{
    const auto flow = parseFlow(FullFlow);
    QByteArray otherText = FullFlow;
    otherText.replace("timeout: 30s", "timeout: 31s");
    const auto other = parseFlow(otherText);
    const QList<Event> events = generateStream(4, 1200);
    Projections p(flow);
    feed(p, events, 0, 600);
    const QByteArray bytes = p.save();
    const QByteArray freshJson = jsonText(Projections(flow).toJson());

    // saved for another flow
    Projections q(other);
    QVERIFY(!q.load(bytes));
    QCOMPARE(q.eventCount(), 0);
    QCOMPARE(jsonText(q.toJson()), jsonText(Projections(other).toJson()));
    Projections noFlow;
    QVERIFY(!noFlow.load(bytes));
    Projections r(flow);
    QVERIFY(!r.load(noFlow.save()));
    QVERIFY(!r.load(Projections(other).save()));
    QVERIFY(!r.load(QByteArray()));
    QVERIFY(!r.load(QByteArray("not a checkpoint")));

    // one byte more, or one changed in the header
    QVERIFY(!r.load(bytes + '\0'));
    QByteArray badMagic = bytes;
    badMagic[0] = char(badMagic[0] ^ 0x20);
    QVERIFY(!r.load(badMagic));

    // truncated anywhere: rejected, and the state is empty (not half loaded)
    QList<qsizetype> lengths;
    for (qsizetype len = 0; len < 256 && len < bytes.size(); ++len)
        lengths << len;
    for (qsizetype len = 256; len < bytes.size(); len += std::max<qsizetype>(1, bytes.size() / 400))
        lengths << len;
    for (qsizetype len = std::max<qsizetype>(0, bytes.size() - 256); len < bytes.size(); ++len)
        lengths << len;
    for (qsizetype len : lengths) {
        Projections t(flow);
        feed(t, events, 0, 10); // something to lose
        QVERIFY2(
            !t.load(bytes.left(len)), qPrintable(QStringLiteral("accepted %1 of %2 bytes").arg(len).arg(bytes.size())));
        QVERIFY2(t.eventCount() == 0, qPrintable(QStringLiteral("length %1").arg(len)));
        QVERIFY2(jsonText(t.toJson()) == freshJson, qPrintable(QStringLiteral("not empty after length %1").arg(len)));
    }

    // after a rejected load, the projections work as new
    Projections u(flow);
    QVERIFY(!u.load(bytes.left(bytes.size() / 2)));
    feed(u, events);
    Projections whole(flow);
    feed(whole, events);
    COMPARE_JSON(u.toJson(), whole.toJson());
    QCOMPARE(u.save(), whole.save());
    // and the real thing loads
    QVERIFY(u.load(bytes));
    QCOMPARE(u.eventCount(), 600);

    // Every part of a flow that the projections read changes the fingerprint: a checkpoint made
    // under on_timeout: refunding restored under on_timeout: failed showed the instances that
    // timed out as compensated where folding from the start made them failed.
    const QByteArray orchestrated = "flowscope: 1\n"
                                    "correlation: data.orderId\n"
                                    "channels:\n"
                                    "  orders: [OrderPlaced, StockReserved, StockUnavailable, PaymentRefunded]\n"
                                    "services:\n"
                                    "  checkout: {}\n"
                                    "  shop: {}\n"
                                    "simulation:\n"
                                    "  load:\n"
                                    "    - { emit: OrderPlaced, from: shop, rate: 1/s }\n"
                                    "sagas:\n"
                                    "  order:\n"
                                    "    orchestrator: checkout\n"
                                    "    start: OrderPlaced\n"
                                    "    timeout: 2s\n"
                                    "    states:\n"
                                    "      reserving: { send: ReserveStock, when: { StockReserved: done, StockUnavailable: failed }, on_timeout: refunding }\n"
                                    "      refunding: { when: { PaymentRefunded: cancelled }, on_timeout: failed }\n"
                                    "      done:      { outcome: completed }\n"
                                    "      cancelled: { outcome: compensated }\n"
                                    "      failed:    { outcome: failed }\n";
    const QByteArray base = Projections::fingerprint(parseFlow(orchestrated).get());
    const QList<std::pair<QByteArray, QByteArray>> changes {
        { "on_timeout: failed", "on_timeout: cancelled" },
        { "orchestrator: checkout", "orchestrator: shop" },
        { "send: ReserveStock", "send: HoldStock" },
        { "from: shop", "from: checkout" },
        { "emit: OrderPlaced, from", "emit: OrderQueued, from" },
    };
    for (const auto& [from, to] : changes) {
        QByteArray text = orchestrated;
        QVERIFY(text.contains(from));
        QVERIFY2(Projections::fingerprint(parseFlow(text.replace(from, to)).get()) != base, to.constData());
    }
    // and what they do not read does not
    QByteArray rate = orchestrated;
    QCOMPARE(Projections::fingerprint(parseFlow(rate.replace("rate: 1/s", "rate: 5/s")).get()), base);
}

// An orchestrated saga's instance that times out moves to on_timeout, as its orchestrator does,
// at the moment the timer fired; a late reply is then an anomaly, and the instance is not stuck.

// Checkpoints store the causation memory's keys, which are wordHash64 of event ids: the hash
// must give the same values in every build, or a saved checkpoint would no longer find its ids.
// These are the values of the first version (a memcpy of the last bytes into a zeroed word).
void TestProjections::idHashIsStable()
{
    const std::pair<QByteArray, quint64> pinned[] = {
        { QByteArrayLiteral(""), 0x0000000000000000ull },
        { QByteArrayLiteral("e"), 0x32f1931126112cceull },
        { QByteArrayLiteral("e1"), 0xa56dbc3bc40c4c17ull },
        { QByteArrayLiteral("e12"), 0x83db9c3415230c65ull },
        { QByteArrayLiteral("e123"), 0x69f02925a551d651ull },
        { QByteArrayLiteral("e1234"), 0x0a5e01a7ec1ef793ull },
        { QByteArrayLiteral("e12345"), 0x62fcaf9a609b6928ull },
        { QByteArrayLiteral("e123456"), 0xf94997be05947356ull },
        { QByteArrayLiteral("e1234567"), 0xdefb54e272efbe00ull },
        { QByteArrayLiteral("order-0001-of-the-day"), 0x1bbdaab7ef8f7c47ull },
        { QByteArray("\xff\xfe\x80"), 0x0f711dc7801182faull },
    };
    for (const auto& [text, hash] : pinned)
        QCOMPARE(wordHash64(text), hash);
}

QTEST_GUILESS_MAIN(TestProjections)
#include "tst_projections.moc"
