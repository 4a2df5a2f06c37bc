// SPDX-License-Identifier: MIT
// Saga state machines (issue 3): every transition kind, all three outcomes and the compensation
// path, anomalies, out-of-order events, timeouts in event time, latency, orchestrated timeouts.
#include "projectionfixtures.h"

// Declared before the test bodies (moc reads this file).
class TestSagaTracker : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sagaPaths_data();
    void sagaPaths();
    void sagaAggregates();
    void anomalies_data();
    void anomalies();
    void eventBeforeStart();
    void sameIdFromAnotherSource();
    void eventsOutOfTimeOrder();
    void timeouts_data();
    void timeouts();
    void stuckThenMovesOn();
    void lateEntriesTimeOutInOrder();
    void latency();
    void orchestratedOnTimeout();
    void endedInstancesAreDropped();
};

void TestSagaTracker::sagaPaths_data()
{
    QTest::addColumn<QStringList>("types");
    QTest::addColumn<QStringList>("transitions"); // one per event after the start
    QTest::addColumn<QString>("outcome"); // the `outcomes` member that counts the instance

    QTest::newRow("start opens in the first state")
        << QStringList { u"OrderCreated"_s } << QStringList {} << u"running"_s;
    QTest::newRow("paid") << QStringList { u"OrderCreated"_s, u"PaymentAuthorized"_s }
                          << QStringList { u"created -> paid"_s } << u"running"_s;
    QTest::newRow("completed") << CompletedPath
                               << QStringList { u"created -> paid"_s, u"paid -> reserved"_s, u"reserved -> approved"_s,
                                      u"approved -> shipped"_s }
                               << u"completed"_s;
    QTest::newRow("failed") << FailedPath << QStringList { u"created -> rejecting"_s, u"rejecting -> rejected"_s }
                            << u"failed"_s;
    QTest::newRow("compensating") << CompensatedPath.mid(
        0, 4) << QStringList { u"created -> paid"_s, u"paid -> refunding"_s, u"refunding -> refunded"_s }
                                  << u"running"_s;
    QTest::newRow("compensated") << CompensatedPath
                                 << QStringList { u"created -> paid"_s, u"paid -> refunding"_s,
                                        u"refunding -> refunded"_s, u"refunded -> cancelled"_s }
                                 << u"compensated"_s;
}

void TestSagaTracker::sagaPaths()
{
    QFETCH(QStringList, types);
    QFETCH(QStringList, transitions);
    QFETCH(QString, outcome);
    QCOMPARE(transitions.size(), types.size() - 1);

    Projections p(parseFlow(SagaFlow));
    Stream s;
    QJsonObject expectedTransitions;
    QString state = QStringLiteral("created");
    for (qsizetype i = 0; i < types.size(); ++i) {
        p.apply(s.order(types[i].toUtf8(), "o1", 1000 * i));
        if (i > 0) {
            expectedTransitions.insert(transitions[i - 1], 1);
            state = transitions[i - 1].section(QStringLiteral(" -> "), 1);
        }
        const SagaTracker::Instance* in = tracker(p).instance("o1");
        QVERIFY(in);
        QCOMPARE(in->state, stateIndex(p, state));
        QCOMPARE(in->stuck, false);
        QCOMPARE(sagaJson(p).value(u"states"_s).toObject(), statesJson({ { state, 1 } }));
        COMPARE_JSON(sagaJson(p).value(u"transitions"_s).toObject(), expectedTransitions);
    }
    const QJsonObject saga = sagaJson(p);
    QCOMPARE(saga.value(u"instances"_s).toInteger(), 1);
    QJsonObject outcomes = outcomesJson(0, 0, 0, 0, 0);
    outcomes.insert(outcome, 1);
    COMPARE_JSON(saga.value(u"outcomes"_s).toObject(), outcomes);
    QCOMPARE(saga.value(u"anomalies"_s).toInteger(), 0);
    QCOMPARE(saga.value(u"unmatched"_s).toInteger(), 0);
    const SagaTracker::Instance* in = tracker(p).instance("o1");
    QCOMPARE(in->anomalyCount, 0);
    QVERIFY(in->anomalies.isEmpty());
    QList<qint64> seqs;
    for (const Event& e : s.events)
        seqs << e.seq;
    QCOMPARE(in->seqs, seqs);
    QCOMPARE(in->startedAt, micros(0));
    QCOMPARE(in->endedAt, outcome == u"running"_s ? NoTime : micros(1000 * (types.size() - 1)));
    // the contract keys (DESIGN.md "The CLI and its JSON")
    for (const char* key : { "states", "outcomes", "anomalies", "latency_ms" })
        QVERIFY2(saga.contains(QLatin1String(key)), key);
}

void TestSagaTracker::sagaAggregates()
{
    Projections p(parseFlow(SagaFlow));
    Stream s;
    // o1..o3 completed, o4 o5 compensated, o6 failed, o7 o8 paid, o9 refunding, interleaved
    const QList<QStringList> paths { CompletedPath, CompletedPath, CompletedPath, CompensatedPath, CompensatedPath,
        FailedPath, CompletedPath.mid(0, 2), CompletedPath.mid(0, 2), CompensatedPath.mid(0, 3) };
    qint64 ms = 0;
    for (qsizetype step = 0; step < 5; ++step)
        for (qsizetype i = 0; i < paths.size(); ++i)
            if (step < paths[i].size())
                p.apply(s.order(paths[i][step].toUtf8(), "o" + QByteArray::number(i + 1), ms += 100));

    const QJsonObject saga = sagaJson(p);
    COMPARE_JSON(saga.value(u"states"_s).toObject(),
        statesJson({ { u"shipped"_s, 3 }, { u"cancelled"_s, 2 }, { u"rejected"_s, 1 }, { u"paid"_s, 2 },
            { u"refunding"_s, 1 } }));
    COMPARE_JSON(saga.value(u"outcomes"_s).toObject(), outcomesJson(3, 2, 1, 3, 0));
    QCOMPARE(saga.value(u"instances"_s).toInteger(), 9);
    const QJsonObject transitions { { u"created -> paid"_s, 8 }, { u"paid -> reserved"_s, 3 },
        { u"reserved -> approved"_s, 3 }, { u"approved -> shipped"_s, 3 }, { u"paid -> refunding"_s, 3 },
        { u"refunding -> refunded"_s, 2 }, { u"refunded -> cancelled"_s, 2 }, { u"created -> rejecting"_s, 1 },
        { u"rejecting -> rejected"_s, 1 } };
    COMPARE_JSON(saga.value(u"transitions"_s).toObject(), transitions);
    COMPARE_JSON(saga.value(u"anomaly_kinds"_s).toObject(),
        (QJsonObject { { u"duplicate"_s, 0 }, { u"not_accepted"_s, 0 }, { u"after_final"_s, 0 } }));
    QCOMPARE(tracker(p).instances().size(), size_t(9));
    QCOMPARE(tracker(p).instance("o9")->state, stateIndex(p, u"refunding"_s));
    QCOMPARE(tracker(p).instance("o6")->state, stateIndex(p, u"rejected"_s));
    QVERIFY(!tracker(p).instance("o10"));
}

// Event specs: "Type" an event of o1; "!Type" one that must be an anomaly; "=N" event N again.
void TestSagaTracker::anomalies_data()
{
    QTest::addColumn<QStringList>("spec");
    QTest::addColumn<QList<int>>("kinds"); // duplicate, not_accepted, after_final
    QTest::addColumn<QString>("state");
    QTest::addColumn<QStringList>("instanceKinds"); // the instance's anomalies, in order

    QTest::newRow("duplicate mid-path") << QStringList { u"OrderCreated"_s, u"PaymentAuthorized"_s, u"=2"_s,
        u"StockReserved"_s } << QList<int> { 1, 0, 0 }
                                        << u"reserved"_s << QStringList { u"duplicate"_s };
    QTest::newRow("duplicate of the start") << QStringList { u"OrderCreated"_s, u"=1"_s, u"PaymentAuthorized"_s }
                                            << QList<int> { 1, 0, 0 } << u"paid"_s << QStringList { u"duplicate"_s };
    QTest::newRow("duplicate of the final event") << (CompletedPath + QStringList { u"=5"_s }) << QList<int> { 1, 0, 0 }
                                                  << u"shipped"_s << QStringList { u"duplicate"_s };
    QTest::newRow("duplicate twice") << QStringList { u"OrderCreated"_s, u"PaymentFailed"_s, u"=2"_s, u"=2"_s,
        u"OrderRejected"_s } << QList<int> { 2, 0, 0 }
                                     << u"rejected"_s << QStringList { u"duplicate"_s, u"duplicate"_s };
    QTest::newRow("not accepted") << QStringList { u"OrderCreated"_s, u"!StockReserved"_s, u"PaymentAuthorized"_s }
                                  << QList<int> { 0, 1, 0 } << u"paid"_s << QStringList { u"not_accepted"_s };
    QTest::newRow("a second start") << QStringList { u"OrderCreated"_s, u"!OrderCreated"_s } << QList<int> { 0, 1, 0 }
                                    << u"created"_s << QStringList { u"not_accepted"_s };
    QTest::newRow("not accepted while compensating") << QStringList {
        u"OrderCreated"_s, u"PaymentAuthorized"_s, u"StockUnavailable"_s, u"!OrderShipped"_s, u"PaymentRefunded"_s
    } << QList<int> { 0, 1, 0 } << u"refunded"_s << QStringList { u"not_accepted"_s };
    QTest::newRow("after completed") << (CompletedPath + QStringList { u"!OrderShipped"_s, u"!PaymentAuthorized"_s })
                                     << QList<int> { 0, 0, 2 } << u"shipped"_s
                                     << QStringList { u"after_final"_s, u"after_final"_s };
    QTest::newRow("after failed") << (FailedPath + QStringList { u"!OrderRejected"_s }) << QList<int> { 0, 0, 1 }
                                  << u"rejected"_s << QStringList { u"after_final"_s };
    QTest::newRow("after compensated") << (CompensatedPath + QStringList { u"!OrderCreated"_s })
                                       << QList<int> { 0, 0, 1 } << u"cancelled"_s << QStringList { u"after_final"_s };
    QTest::newRow("mixed") << QStringList { u"OrderCreated"_s, u"=1"_s, u"!OrderShipped"_s, u"PaymentAuthorized"_s,
        u"=4"_s, u"StockUnavailable"_s, u"PaymentRefunded"_s, u"OrderCancelled"_s, u"!OrderCancelled"_s, u"=8"_s }
                           << QList<int> { 3, 1, 1 } << u"cancelled"_s
                           << QStringList { u"duplicate"_s, u"not_accepted"_s, u"duplicate"_s, u"after_final"_s,
                                  u"duplicate"_s };
}

void TestSagaTracker::anomalies()
{
    QFETCH(QStringList, spec);
    QFETCH(QList<int>, kinds);
    QFETCH(QString, state);
    QFETCH(QStringList, instanceKinds);

    const auto flow = parseFlow(SagaFlow);
    Stream s;
    QList<bool> anomalous;
    for (qsizetype i = 0; i < spec.size(); ++i) {
        const QString& x = spec[i];
        if (x.startsWith(u'=')) {
            s.repeat(x.mid(1).toInt());
        } else {
            s.order((x.startsWith(u'!') ? x.mid(1) : x).toUtf8(), "o1", 1000 * i);
        }
        anomalous << (x.startsWith(u'=') || x.startsWith(u'!'));
    }
    Projections p(flow);
    feed(p, s.events);
    // the same stream without the anomalous events
    Projections clean(flow);
    for (qsizetype i = 0; i < s.events.size(); ++i)
        if (!anomalous[i])
            clean.apply(s.events[i]);

    const QJsonObject saga = sagaJson(p);
    COMPARE_JSON(saga.value(u"anomaly_kinds"_s).toObject(),
        (QJsonObject {
            { u"duplicate"_s, kinds[0] }, { u"not_accepted"_s, kinds[1] }, { u"after_final"_s, kinds[2] } }));
    QCOMPARE(saga.value(u"anomalies"_s).toInteger(), kinds[0] + kinds[1] + kinds[2]);
    QCOMPARE(saga.value(u"instances"_s).toInteger(), 1);
    QCOMPARE(saga.value(u"states"_s).toObject(), statesJson({ { state, 1 } }));

    // An anomaly changes nothing but the anomaly counts.
    QJsonObject withoutCounts = saga, cleanSaga = sagaJson(clean);
    for (QJsonObject* o : { &withoutCounts, &cleanSaga }) {
        o->remove(u"anomalies"_s);
        o->remove(u"anomaly_kinds"_s);
    }
    COMPARE_JSON(withoutCounts, cleanSaga);

    const SagaTracker::Instance* in = tracker(p).instance("o1");
    QVERIFY(in);
    QCOMPARE(in->state, stateIndex(p, state));
    QCOMPARE(in->anomalyCount, instanceKinds.size());
    QStringList got;
    QList<qint64> expectedSeqs, seqs;
    QList<QByteArray> expectedTypes, types;
    for (const SagaTracker::AnomalyRecord& a : in->anomalies) {
        got << SagaTracker::anomalyName(a.kind);
        seqs << a.seq;
        types << a.type;
    }
    QList<qint64> instanceSeqs;
    for (qsizetype i = 0; i < s.events.size(); ++i) {
        if (anomalous[i]) {
            expectedSeqs << s.events[i].seq;
            expectedTypes << s.events[i].type;
        }
        if (!spec[i].startsWith(u'='))
            instanceSeqs << s.events[i].seq;
    }
    QCOMPARE(got, instanceKinds);
    QCOMPARE(seqs, expectedSeqs);
    QCOMPARE(types, expectedTypes);
    QCOMPARE(in->seqs, instanceSeqs); // a duplicate is not one of the instance's events
}

// CloudEvents makes source and id unique together, not the id alone: services that number
// their events from 1 each are no duplicates of each other.
void TestSagaTracker::sameIdFromAnotherSource()
{
    const auto flow = parseFlow(SagaFlow);
    Stream s;
    s.order("OrderCreated", "o1", 0, "orders").id = "1";
    s.order("PaymentAuthorized", "o1", 1000, "payment").id = "1";
    s.order("StockReserved", "o1", 2000, "inventory").id = "1";
    s.order("StockReserved", "o1", 3000, "inventory").id = "1"; // the same source and id again: a duplicate
    Projections p(flow);
    feed(p, s.events, 0, 3);
    // a checkpoint keeps the sources: restored, the repeat is still known as one
    Projections q(flow);
    QVERIFY(q.load(p.save()));
    for (Projections* x : { &p, &q }) {
        feed(*x, s.events, 3);
        const QJsonObject saga = sagaJson(*x);
        COMPARE_JSON(saga.value(u"anomaly_kinds"_s).toObject(),
            (QJsonObject { { u"duplicate"_s, 1 }, { u"not_accepted"_s, 0 }, { u"after_final"_s, 0 } }));
        QCOMPARE(saga.value(u"states"_s).toObject(), statesJson({ { u"reserved"_s, 1 } }));
        QCOMPARE(tracker(*x).instance("o1")->seqs, (QList<qint64> { 1, 2, 3 }));
    }
}

void TestSagaTracker::eventBeforeStart()
{
    Projections p(parseFlow(SagaFlow));
    Stream s;
    p.apply(s.order("PaymentAuthorized", "o1", 0)); // before its start: arrives first
    QJsonObject saga = sagaJson(p);
    QCOMPARE(saga.value(u"unmatched"_s).toInteger(), 1);
    QCOMPARE(saga.value(u"instances"_s).toInteger(), 0);
    QCOMPARE(saga.value(u"states"_s).toObject(), statesJson({}));
    COMPARE_JSON(saga.value(u"outcomes"_s).toObject(), outcomesJson(0, 0, 0, 0, 0));
    QVERIFY(!tracker(p).instance("o1"));

    p.apply(s.order("Tick", "o1", 100)); // not a saga event: not unmatched either
    p.apply(s.order("PaymentFailed", "-", 200)); // a saga event with no correlation id
    p.apply(s.order("OrderShipped", "o2", 300)); // an instance never started
    saga = sagaJson(p);
    QCOMPARE(saga.value(u"unmatched"_s).toInteger(), 3);
    QCOMPARE(saga.value(u"instances"_s).toInteger(), 0);

    p.apply(s.order("OrderCreated", "o1", 1000)); // the start opens the instance, in the first state
    saga = sagaJson(p);
    QCOMPARE(saga.value(u"instances"_s).toInteger(), 1);
    QCOMPARE(saga.value(u"states"_s).toObject(), statesJson({ { u"created"_s, 1 } }));
    QCOMPARE(saga.value(u"unmatched"_s).toInteger(), 3);
    QCOMPARE(saga.value(u"anomalies"_s).toInteger(), 0);
    QCOMPARE(tracker(p).instance("o1")->state, stateIndex(p, u"created"_s));

    p.apply(s.order("PaymentAuthorized", "o1", 2000)); // sent again, now it moves the instance
    saga = sagaJson(p);
    QCOMPARE(saga.value(u"states"_s).toObject(), statesJson({ { u"paid"_s, 1 } }));
    COMPARE_JSON(saga.value(u"transitions"_s).toObject(), (QJsonObject { { u"created -> paid"_s, 1 } }));
    QCOMPARE(saga.value(u"unmatched"_s).toInteger(), 3);
}

void TestSagaTracker::eventsOutOfTimeOrder()
{
    Projections p(parseFlow(SagaFlow));
    Stream s;
    // arrival order is the order of the saga; event times are not
    p.apply(s.order("OrderCreated", "o1", 100000));
    p.apply(s.order("PaymentAuthorized", "o1", 90000));
    p.apply(s.order("StockReserved", "o1", 95000));
    QCOMPARE(tracker(p).instance("o1")->state, stateIndex(p, u"reserved"_s));
    p.apply(s.order("OrderApproved", "o1", 80000));
    p.apply(s.order("OrderShipped", "o1", 85000));
    const QJsonObject saga = sagaJson(p);
    QCOMPARE(saga.value(u"states"_s).toObject(), statesJson({ { u"shipped"_s, 1 } }));
    COMPARE_JSON(saga.value(u"outcomes"_s).toObject(), outcomesJson(1, 0, 0, 0, 0));
    QCOMPARE(saga.value(u"anomalies"_s).toInteger(), 0);
    // the final event is older than the start: the latency is 0, not negative
    QCOMPARE(saga.value(u"latency_ms"_s).toObject().value(u"max"_s).toDouble(), 0.0);
    // the clock is the latest event time seen, not the last one
    QCOMPARE(p.clock(), micros(100000));
}

// Event specs: "Type orderId ms" ("-": no orderId).
void TestSagaTracker::timeouts_data()
{
    QTest::addColumn<QStringList>("spec");
    QTest::addColumn<QList<int>>("outcomes"); // completed, compensated, failed, running, stuck
    QTest::addColumn<bool>("o1Stuck");

    QTest::newRow("default: at the deadline")
        << QStringList { u"OrderCreated o1 0"_s, u"Tick - 30000"_s } << QList<int> { 0, 0, 0, 1, 0 } << false;
    QTest::newRow("default: past the deadline")
        << QStringList { u"OrderCreated o1 0"_s, u"Tick - 30001"_s } << QList<int> { 0, 0, 0, 0, 1 } << true;
    QTest::newRow("no later event: not stuck")
        << QStringList { u"OrderCreated o1 0"_s } << QList<int> { 0, 0, 0, 1, 0 } << false;
    QTest::newRow("clock moved by another instance")
        << QStringList { u"OrderCreated o1 0"_s, u"OrderCreated o2 31000"_s } << QList<int> { 0, 0, 0, 1, 1 } << true;
    QTest::newRow("clock moved by an event without correlation")
        << QStringList { u"OrderCreated o1 0"_s, u"PaymentFailed - 31000"_s } << QList<int> { 0, 0, 0, 0, 1 } << true;
    QTest::newRow("timed from entering the state")
        << QStringList { u"OrderCreated o1 0"_s, u"PaymentAuthorized o1 20000"_s, u"Tick - 45000"_s }
        << QList<int> { 0, 0, 0, 1, 0 } << false;
    QTest::newRow("timed from entering the state: past")
        << QStringList { u"OrderCreated o1 0"_s, u"PaymentAuthorized o1 20000"_s, u"Tick - 50001"_s }
        << QList<int> { 0, 0, 0, 0, 1 } << true;
    QTest::newRow("per-state override: longer than the default") << QStringList { u"OrderCreated o1 0"_s,
        u"PaymentAuthorized o1 1000"_s, u"StockUnavailable o1 2000"_s, u"Tick - 47000"_s }
                                                                 << QList<int> { 0, 0, 0, 1, 0 } << false;
    QTest::newRow("per-state override: at its deadline") << QStringList { u"OrderCreated o1 0"_s,
        u"PaymentAuthorized o1 1000"_s, u"StockUnavailable o1 2000"_s, u"Tick - 62000"_s }
                                                         << QList<int> { 0, 0, 0, 1, 0 } << false;
    QTest::newRow("per-state override: past its deadline") << QStringList { u"OrderCreated o1 0"_s,
        u"PaymentAuthorized o1 1000"_s, u"StockUnavailable o1 2000"_s, u"Tick - 62001"_s }
                                                           << QList<int> { 0, 0, 0, 0, 1 } << true;
    QTest::newRow("a final state is never stuck") << QStringList { u"OrderCreated o1 0"_s, u"PaymentFailed o1 1000"_s,
        u"OrderRejected o1 2000"_s, u"Tick - 3600000"_s }
                                                  << QList<int> { 0, 0, 1, 0, 0 } << false;
    QTest::newRow("an older event does not move the clock back")
        << QStringList { u"OrderCreated o1 0"_s, u"Tick - 31000"_s, u"Tick - 1000"_s } << QList<int> { 0, 0, 0, 0, 1 }
        << true;
    // ...but what it starts is timed against the clock: o2 is 60 s in at once
    QTest::newRow("a late event is not a clock")
        << QStringList { u"OrderCreated o1 20000"_s, u"Tick - 60000"_s, u"OrderCreated o2 0"_s }
        << QList<int> { 0, 0, 0, 0, 2 } << true;
    // a late transition into a state whose deadline the clock has passed: stuck then, not when
    // the clock next moves (the Tick at 99 s does not move it)
    QTest::newRow("a late transition past its deadline")
        << QStringList { u"OrderCreated o1 0"_s, u"Tick - 100000"_s, u"PaymentAuthorized o1 50000"_s, u"Tick - 99000"_s }
        << QList<int> { 0, 0, 0, 0, 1 } << true;
    QTest::newRow("a late transition within its deadline")
        << QStringList { u"OrderCreated o1 0"_s, u"Tick - 100000"_s, u"PaymentAuthorized o1 80000"_s }
        << QList<int> { 0, 0, 0, 1, 0 } << false;
    QTest::newRow("an anomaly does not unstick") << QStringList { u"OrderCreated o1 0"_s, u"Tick - 31000"_s,
        u"StockReserved o1 32000"_s, u"OrderCreated o1 33000"_s }
                                                 << QList<int> { 0, 0, 0, 0, 1 } << true;
}

void TestSagaTracker::timeouts()
{
    QFETCH(QStringList, spec);
    QFETCH(QList<int>, outcomes);
    QFETCH(bool, o1Stuck);

    Projections p(parseFlow(SagaFlow));
    Stream s;
    for (const QString& x : spec) {
        const QStringList f = x.split(u' ');
        p.apply(s.order(f[0].toUtf8(), f[1].toUtf8(), f[2].toLongLong()));
    }
    COMPARE_JSON(sagaJson(p).value(u"outcomes"_s).toObject(), outcomesJson(outcomes));
    QCOMPARE(tracker(p).instance("o1")->stuck, o1Stuck);
}

void TestSagaTracker::stuckThenMovesOn()
{
    Projections p(parseFlow(SagaFlow));
    Stream s;
    auto outcomes = [&] { return sagaJson(p).value(u"outcomes"_s).toObject(); };
    auto stuck = [&](const QByteArray& id) { return tracker(p).instance(id)->stuck; };

    p.apply(s.order("OrderCreated", "o1", 0));
    p.apply(s.order("OrderCreated", "o2", 1000));
    p.apply(s.tick(31000)); // o1 past 30 s, o2 exactly at it
    COMPARE_JSON(outcomes(), outcomesJson(0, 0, 0, 1, 1));
    QVERIFY(stuck("o1"));
    QVERIFY(!stuck("o2"));
    p.apply(s.tick(31001));
    COMPARE_JSON(outcomes(), outcomesJson(0, 0, 0, 0, 2));

    p.apply(s.order("PaymentAuthorized", "o1", 32000)); // moves on: no longer stuck
    COMPARE_JSON(outcomes(), outcomesJson(0, 0, 0, 1, 1));
    QVERIFY(!stuck("o1"));
    QCOMPARE(sagaJson(p).value(u"states"_s).toObject(), statesJson({ { u"paid"_s, 1 }, { u"created"_s, 1 } }));

    p.apply(s.tick(62000)); // paid since 32 s: at its deadline
    COMPARE_JSON(outcomes(), outcomesJson(0, 0, 0, 1, 1));
    p.apply(s.tick(62001)); // stuck again, in its new state
    COMPARE_JSON(outcomes(), outcomesJson(0, 0, 0, 0, 2));
    QVERIFY(stuck("o1"));

    p.apply(s.order("StockUnavailable", "o1", 63000)); // compensation, 60 s in refunding
    COMPARE_JSON(outcomes(), outcomesJson(0, 0, 0, 1, 1));
    p.apply(s.tick(123000));
    COMPARE_JSON(outcomes(), outcomesJson(0, 0, 0, 1, 1));
    p.apply(s.order("PaymentRefunded", "o1", 123001)); // moves on before anyone saw it stuck
    p.apply(s.order("OrderCancelled", "o1", 124000));
    COMPARE_JSON(outcomes(), outcomesJson(0, 1, 0, 0, 1));
    QVERIFY(!stuck("o1"));

    p.apply(s.order("PaymentFailed", "o2", 125000));
    COMPARE_JSON(outcomes(), outcomesJson(0, 1, 0, 1, 0));
    p.apply(s.order("OrderRejected", "o2", 126000));
    COMPARE_JSON(outcomes(), outcomesJson(0, 1, 1, 0, 0));
    p.apply(s.tick(10000000)); // final states never time out
    COMPARE_JSON(outcomes(), outcomesJson(0, 1, 1, 0, 0));
    QCOMPARE(sagaJson(p).value(u"states"_s).toObject(), statesJson({ { u"cancelled"_s, 1 }, { u"rejected"_s, 1 } }));
}

// Deadlines wait in a queue per state while instances enter it in time order; one that enters
// out of time order waits beside them, and each still times out at its own deadline.
void TestSagaTracker::lateEntriesTimeOutInOrder()
{
    Projections p(parseFlow(SagaFlow));
    Stream s;
    auto outcomes = [&] { return sagaJson(p).value(u"outcomes"_s).toObject(); };
    auto stuck = [&](const QByteArray& id) { return tracker(p).instance(id)->stuck; };

    p.apply(s.order("OrderCreated", "o1", 20000)); // created: due at 50 s
    p.apply(s.order("OrderCreated", "o3", 21000)); // due at 51 s, behind o1
    p.apply(s.tick(25000));
    p.apply(s.order("OrderCreated", "o2", 10000)); // late: due at 40 s, before both
    p.apply(s.tick(40000));                        // at o2's deadline: not past it
    COMPARE_JSON(outcomes(), outcomesJson(0, 0, 0, 3, 0));
    p.apply(s.tick(45000));
    COMPARE_JSON(outcomes(), outcomesJson(0, 0, 0, 2, 1));
    QVERIFY(stuck("o2"));
    QVERIFY(!stuck("o1"));
    QVERIFY(!stuck("o3"));
    p.apply(s.tick(50001));
    COMPARE_JSON(outcomes(), outcomesJson(0, 0, 0, 1, 2));
    QVERIFY(stuck("o1"));
    QVERIFY(!stuck("o3"));
    p.apply(s.order("PaymentAuthorized", "o3", 50500)); // moves on before its deadline: paid, due at 80.5 s
    p.apply(s.tick(51001));                             // its old deadline passes: stale, not stuck
    COMPARE_JSON(outcomes(), outcomesJson(0, 0, 0, 1, 2));
    QVERIFY(!stuck("o3"));
    p.apply(s.tick(80501));
    COMPARE_JSON(outcomes(), outcomesJson(0, 0, 0, 0, 3));
    QVERIFY(stuck("o3"));
}

void TestSagaTracker::latency()
{
    // end-to-end latencies in ms, start event to final-state event
    const QList<double> completed { 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000 };
    const QList<double> compensated { 5000, 7000 };
    const QList<double> failed { 250 };
    struct Planned {
        QStringList path;
        double latency;
    };
    QList<Planned> plan;
    for (double l : completed)
        plan.append({ CompletedPath, l });
    for (double l : compensated)
        plan.append({ CompensatedPath, l });
    for (double l : failed)
        plan.append({ FailedPath, l });
    plan.append({ CompletedPath.mid(0, 3), -1 }); // still running: no latency

    // instances overlap in time; the stream is in time order
    struct Timed {
        qint64 ms;
        QByteArray type, orderId;
    };
    QList<Timed> timed;
    for (qsizetype i = 0; i < plan.size(); ++i) {
        const qint64 start = 37 * i;
        const qsizetype steps = plan[i].path.size() - 1;
        for (qsizetype k = 0; k <= steps; ++k) {
            const qint64 at = plan[i].latency < 0 ? start + 1000 * k : start + qint64(plan[i].latency) * k / steps;
            timed.append({ at, plan[i].path[k].toUtf8(), "o" + QByteArray::number(i + 1) });
        }
    }
    std::stable_sort(timed.begin(), timed.end(), [](const Timed& a, const Timed& b) { return a.ms < b.ms; });
    Projections p(parseFlow(SagaFlow));
    Stream s;
    for (const Timed& t : timed)
        p.apply(s.order(t.type, t.orderId, t.ms));

    const QJsonObject saga = sagaJson(p);
    COMPARE_JSON(saga.value(u"outcomes"_s).toObject(), outcomesJson(10, 2, 1, 1, 0));
    auto check = [](const QJsonObject& got, const QList<double>& values) {
        QCOMPARE(got.keys(), (QStringList { u"max"_s, u"mean"_s, u"p50"_s, u"p90"_s, u"p99"_s }));
        double sum = 0;
        for (double v : values)
            sum += v;
        QVERIFY2(std::abs(got.value(u"mean"_s).toDouble() - sum / double(values.size())) <= 0.001,
            qPrintable(QString::number(got.value(u"mean"_s).toDouble())));
        QCOMPARE(got.value(u"max"_s).toDouble(), *std::max_element(values.begin(), values.end()));
        for (double pct : { 50.0, 90.0, 99.0 }) {
            const double expected = nearestRank(values, pct);
            const double actual = got.value(QStringLiteral("p%1").arg(pct)).toDouble();
            QVERIFY2(std::abs(actual - expected) <= 0.01 * expected,
                qPrintable(QStringLiteral("p%1: %2, expected %3").arg(pct).arg(actual).arg(expected)));
        }
    };
    check(saga.value(u"latency_ms"_s).toObject(), completed + compensated + failed);
    if (QTest::currentTestFailed())
        return;
    const QJsonObject byOutcome = saga.value(u"latency_ms_by_outcome"_s).toObject();
    QCOMPARE(byOutcome.keys(), (QStringList { u"compensated"_s, u"completed"_s, u"failed"_s }));
    check(byOutcome.value(u"completed"_s).toObject(), completed);
    if (QTest::currentTestFailed())
        return;
    check(byOutcome.value(u"compensated"_s).toObject(), compensated);
    if (QTest::currentTestFailed())
        return;
    check(byOutcome.value(u"failed"_s).toObject(), failed);
}

// --- views ------------------------------------------------------------------------------------

void TestSagaTracker::orchestratedOnTimeout()
{
    const auto flow = parseFlow(R"(flowscope: 1
name: orchestrated
correlation: data.orderId
channels:
  orders: [OrderPlaced, StockReserved, StockUnavailable, PaymentRefunded]
services:
  checkout: {}
sagas:
  order:
    orchestrator: checkout
    start: OrderPlaced
    timeout: 2s
    states:
      reserving: { send: ReserveStock, when: { StockReserved: done, StockUnavailable: refunding }, on_timeout: refunding }
      refunding: { send: RefundPayment, when: { PaymentRefunded: cancelled }, timeout: 10s }
      done:      { outcome: completed }
      cancelled: { outcome: compensated }
)");
    Stream s;
    s.order("OrderPlaced", "o1", 0);
    s.order("OrderPlaced", "o2", 500);
    s.order("StockReserved", "o2", 1000); // o2 answered in time
    s.order("OrderPlaced", "o3", 1100);
    s.order("StockUnavailable", "o3", 1200); // o3 answered no: refunding, as o1's timeout will
    s.tick(2001);                         // o1 waited 2.001 s: refunding
    s.order("StockReserved", "o1", 2500); // too late: not accepted in refunding
    s.order("PaymentRefunded", "o1", 3000);
    Projections p(flow);
    feed(p, s.events);
    const QJsonObject saga = p.toJson().value(u"sagas").toObject().value(u"order").toObject();
    const QJsonObject outcomes = saga.value(u"outcomes").toObject();
    QCOMPARE(outcomes.value(u"completed").toInteger(), 1);
    QCOMPARE(outcomes.value(u"compensated").toInteger(), 1);
    QCOMPARE(outcomes.value(u"stuck").toInteger(), 0);
    QCOMPARE(saga.value(u"transitions").toObject().value(u"reserving -> refunding").toInteger(), 2);
    // the reply and the timeout into the same state, told apart
    COMPARE_JSON(saga.value(u"transitions_by_trigger").toObject(),
                 (QJsonObject { { u"reserving -> done"_s, QJsonObject { { u"StockReserved"_s, 1 } } },
                                { u"reserving -> refunding"_s, QJsonObject { { u"StockUnavailable"_s, 1 }, { u"timeout"_s, 1 } } },
                                { u"refunding -> cancelled"_s, QJsonObject { { u"PaymentRefunded"_s, 1 } } } }));
    QCOMPARE(saga.value(u"anomaly_kinds").toObject().value(u"not_accepted").toInteger(), 1);
    // a checkpoint keeps them
    Projections q(flow);
    QVERIFY(q.load(p.save()));
    COMPARE_JSON(q.toJson().value(u"sagas").toObject().value(u"order").toObject().value(u"transitions_by_trigger").toObject(),
                 saga.value(u"transitions_by_trigger").toObject());
    const SagaTracker& t = *p.sagas().front();
    // compensated 3 s after it started: the timer's moment counts, not the tick's
    QCOMPARE(t.instance("o1")->endedAt, micros(3000));
    QCOMPARE(t.instance("o1")->anomalies.size(), 1);
    QCOMPARE(t.instance("o1")->anomalies[0].type, "StockReserved");
}


QTEST_GUILESS_MAIN(TestSagaTracker)
#include "tst_sagatracker.moc"

// Memory stays bounded: past twice finishedKept() ended instances, the oldest ended are dropped;
// every count still includes them, and a checkpoint carries the tracker's bookkeeping.
void TestSagaTracker::endedInstancesAreDropped()
{
    Projections p(parseFlow(SagaFlow));
    p.sagas().front()->setFinishedKept(3);
    Stream s;
    qint64 ms = 0;
    for (int i = 1; i <= 10; ++i) // one after the other: o1 ends first, o10 last
        for (const QString& type : CompletedPath)
            p.apply(s.order(type.toUtf8(), "o" + QByteArray::number(i), ms += 10));
    p.apply(s.order("OrderCreated", "o11", ms += 10));

    // o7's end made 7 > 2 x 3: o1..o4 went; o8..o10 then ended without reaching 7 again
    const SagaTracker& t = tracker(p);
    QCOMPARE(t.instances().size(), size_t(7));
    QCOMPARE(t.dropped(), 4);
    QCOMPARE(t.started(), 11);
    for (const char* gone : { "o1", "o2", "o3", "o4" })
        QVERIFY2(!t.instance(gone), gone);
    for (const char* kept : { "o5", "o6", "o7", "o8", "o9", "o10", "o11" })
        QVERIFY2(t.instance(kept), kept);
    // what the window gets: the newest of each kind, in start order, and what is kept per kind
    qint64 kept[6] = {};
    QStringList recent;
    for (const SagaTracker::Instance& in : t.recentInstances(2, kept))
        recent.append(QString::fromUtf8(in.correlationId));
    QCOMPARE(recent, (QStringList { u"o9"_s, u"o10"_s, u"o11"_s }));
    QCOMPARE((std::vector<qint64>(kept, kept + 6)), (std::vector<qint64> { 7, 1, 0, 6, 0, 0 }));

    QJsonObject saga = sagaJson(p);
    QCOMPARE(saga.value(u"instances"_s).toInteger(), 11);
    QCOMPARE(saga.value(u"instances_dropped"_s).toInteger(), 4);
    COMPARE_JSON(saga.value(u"outcomes"_s).toObject(), outcomesJson(10, 0, 0, 1, 0));
    QCOMPARE(saga.value(u"transitions"_s).toObject().value(u"approved -> shipped"_s).toInteger(), 10);

    // a late event for a dropped instance has nothing to match: unmatched, not after_final
    p.apply(s.order("OrderShipped", "o1", ms += 10));
    saga = sagaJson(p);
    QCOMPARE(saga.value(u"unmatched"_s).toInteger(), 1);
    QCOMPARE(saga.value(u"anomaly_kinds"_s).toObject().value(u"after_final"_s).toInteger(), 0);
    // ... while one for a kept ended instance is still an anomaly
    p.apply(s.order("OrderShipped", "o9", ms += 10));
    QCOMPARE(sagaJson(p).value(u"anomaly_kinds"_s).toObject().value(u"after_final"_s).toInteger(), 1);

    // restored from a checkpoint, it goes on dropping exactly as the original does
    Projections q(p.flow());
    QVERIFY(q.load(p.save()));
    QCOMPARE(q.sagas().front()->finishedKept(), 3);
    Stream more;
    for (int i = 12; i <= 14; ++i)
        for (const QString& type : CompletedPath)
            more.order(type.toUtf8(), "o" + QByteArray::number(i), ms += 10);
    for (Projections* x : { &p, &q })
        for (Event e : std::as_const(more.events)) {
            e.seq += s.events.size();
            x->apply(e);
        }
    QCOMPARE(tracker(p).dropped(), 8); // o12's end made 7 again: o5..o8 went too
    QCOMPARE(tracker(q).dropped(), 8);
}
