// SPDX-License-Identifier: MIT
// Views (issue 3): rows joined across event types on a key, their columns' folds, bounded
// memory; and the correlation rules that say which saga instance an event belongs to.
#include "projectionfixtures.h"

// Declared before the test bodies (moc reads this file).
class TestViews : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void viewJoin();
    void viewSample();
    void brokerTimeIsTheTime();
    void viewRowsDropped();
    void correlationByType();
    void correlationExtension_data();
    void correlationExtension();
};

void TestViews::viewJoin()
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
void TestViews::brokerTimeIsTheTime()
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

void TestViews::viewSample()
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
void TestViews::viewRowsDropped()
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

void TestViews::correlationByType()
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

void TestViews::correlationExtension_data()
{
    QTest::addColumn<QByteArray>("correlation");
    QTest::newRow("no correlation path") << QByteArray();
    QTest::newRow("ext.correlationid") << QByteArray("correlation: ext.correlationid\n");
}

void TestViews::correlationExtension()
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

QTEST_GUILESS_MAIN(TestViews)
#include "tst_views.moc"
