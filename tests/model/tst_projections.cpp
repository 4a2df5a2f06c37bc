// SPDX-License-Identifier: MIT
// Projections (issue 3): saga state machines (every transition kind, all three outcomes and the
// compensation path, anomalies, out-of-order events, timeouts in event time, latency), views
// joined across event types, correlation rules, topology from events and causation, drift, and
// determinism: checkpoints restored and folded forward equal a replay from the start.
#include <eventparser.h>
#include <flowfileparser.h>
#include <projections.h>
#include <sagatracker.h>
#include <timeformat.h>
#include <viewengine.h>

#include <QHashSeed>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <random>

using namespace FlowScope;
using namespace Qt::StringLiterals;

// Declared before the helpers (moc reads this file).
class TestProjections : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sagaPaths_data();
    void sagaPaths();
    void sagaAggregates();
    void anomalies_data();
    void anomalies();
    void eventBeforeStart();
    void eventsOutOfTimeOrder();
    void timeouts_data();
    void timeouts();
    void stuckThenMovesOn();
    void latency();
    void viewJoin();
    void viewSample();
    void correlationByType();
    void correlationExtension_data();
    void correlationExtension();
    void topologyChannels_data();
    void topologyChannels();
    void topologyFromCausation();
    void topologyDrift();
    void determinism();
    void checkpoints_data();
    void checkpoints();
    void loadRejects();
    void orchestratedOnTimeout();
};

namespace {

constexpr qint64 BaseMs = 1704067200000LL; // 2024-01-01T00:00:00Z

// One CloudEvent in structured mode. `attrs` adds attributes: `,"subject":"x"`.
Event makeEvent(const QByteArray& type, const QByteArray& id, qint64 ms, const QByteArray& data = "{}",
    const QByteArray& source = "svc", const QByteArray& attrs = {})
{
    static EventParser parser; // the tests run on one thread
    const QByteArray line = "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"type\":\"" + type + "\",\"source\":\""
        + source + "\",\"time\":\"" + TimeFormat::toRfc3339(TimeFormat::fromMillis(BaseMs + ms)) + "\"" + attrs
        + ",\"data\":" + data + "}";
    Event e = parser.parseLine(line);
    if (e.isUnparsed())
        qFatal("test event not understood: %s (%s)", line.constData(), e.error.constData());
    return e;
}

qint64 micros(qint64 ms) { return TimeFormat::fromMillis(BaseMs + ms); }

// Events in arrival order; seq is 1, 2, 3 ...
class Stream {
public:
    QList<Event> events;

    Event& add(Event e)
    {
        e.seq = events.size() + 1;
        events.append(std::move(e));
        return events.last();
    }
    QByteArray nextId() const { return "ev-" + QByteArray::number(events.size() + 1); }
    // An order-saga event: data {"orderId": ...}, or no orderId at all for "-".
    Event& order(const QByteArray& type, const QByteArray& orderId, qint64 ms, const QByteArray& source = "svc")
    {
        const QByteArray data = orderId == "-" ? QByteArray("{}") : "{\"orderId\":\"" + orderId + "\"}";
        return add(makeEvent(type, nextId(), ms, data, source));
    }
    // An event no saga knows: it only moves the clock.
    Event& tick(qint64 ms) { return add(makeEvent("Tick", nextId(), ms, "{}", "clock")); }
    // The same event again (same id and everything), arriving later.
    Event& repeat(qint64 seq) { return add(events[seq - 1]); }
};

std::shared_ptr<const Flow> parseFlow(const QByteArray& yaml)
{
    FlowParseResult r = FlowFileParser::parseText(yaml, QStringLiteral("test.yaml"));
    if (!r.ok())
        qFatal("test flow invalid:\n%s", qPrintable(r.errorText()));
    return std::make_shared<const Flow>(std::move(*r.flow));
}

void feed(Projections& p, const QList<Event>& events, qsizetype from = 0, qsizetype to = -1)
{
    if (to < 0)
        to = events.size();
    for (qsizetype i = from; i < to; ++i)
        p.apply(events[i]);
}

QByteArray jsonText(const QJsonObject& o) { return QJsonDocument(o).toJson(QJsonDocument::Indented); }

QByteArray firstDifference(const QByteArray& a, const QByteArray& b)
{
    qsizetype i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i])
        ++i;
    const qsizetype from = std::max<qsizetype>(0, i - 400);
    return "first difference at byte " + QByteArray::number(i) + "\n--- actual ---\n" + a.mid(from, 800)
        + "\n--- expected ---\n" + b.mid(from, 800);
}

#define COMPARE_JSON(actual, expected)                                                                                 \
    do {                                                                                                               \
        const QByteArray a_ = jsonText(actual), b_ = jsonText(expected);                                               \
        QVERIFY2(a_ == b_, firstDifference(a_, b_).constData());                                                       \
    } while (false)

const QByteArray OrderSaga = "  order:\n"
                             "    start: OrderCreated\n"
                             "    timeout: 30s\n"
                             "    states:\n"
                             "      created:   { when: { PaymentAuthorized: paid, PaymentFailed: rejecting } }\n"
                             "      rejecting: { when: { OrderRejected: rejected } }\n"
                             "      paid:      { when: { StockReserved: reserved, StockUnavailable: refunding } }\n"
                             "      refunding: { when: { PaymentRefunded: refunded }, timeout: 60s }\n"
                             "      refunded:  { when: { OrderCancelled: cancelled } }\n"
                             "      reserved:  { when: { OrderApproved: approved } }\n"
                             "      approved:  { when: { OrderShipped: shipped } }\n"
                             "      shipped:   { outcome: completed }\n"
                             "      cancelled: { outcome: compensated }\n"
                             "      rejected:  { outcome: failed }\n";

const QByteArray SagaFlow = "flowscope: 1\n"
                            "correlation: data.orderId\n"
                            "sagas:\n"
    + OrderSaga;

const QStringList OrderStates { u"created"_s, u"rejecting"_s, u"paid"_s, u"refunding"_s, u"refunded"_s, u"reserved"_s,
    u"approved"_s, u"shipped"_s, u"cancelled"_s, u"rejected"_s };
const QStringList CompletedPath { u"OrderCreated"_s, u"PaymentAuthorized"_s, u"StockReserved"_s, u"OrderApproved"_s,
    u"OrderShipped"_s };
const QStringList CompensatedPath { u"OrderCreated"_s, u"PaymentAuthorized"_s, u"StockUnavailable"_s,
    u"PaymentRefunded"_s, u"OrderCancelled"_s };
const QStringList FailedPath { u"OrderCreated"_s, u"PaymentFailed"_s, u"OrderRejected"_s };

QJsonObject statesJson(const QHash<QString, int>& counts)
{
    QJsonObject o;
    for (const QString& s : OrderStates)
        o.insert(s, counts.value(s));
    return o;
}

QJsonObject outcomesJson(int completed, int compensated, int failed, int running, int stuck)
{
    return { { u"completed"_s, completed }, { u"compensated"_s, compensated }, { u"failed"_s, failed },
        { u"running"_s, running }, { u"stuck"_s, stuck } };
}

QJsonObject outcomesJson(const QList<int>& v) { return outcomesJson(v[0], v[1], v[2], v[3], v[4]); }

QJsonObject sagaJson(const Projections& p, const QString& name = QStringLiteral("order"))
{
    return p.toJson().value(QStringLiteral("sagas")).toObject().value(name).toObject();
}

const SagaTracker& tracker(const Projections& p) { return *p.sagas().front(); }

int stateIndex(const Projections& p, const QString& state) { return tracker(p).saga().stateIndex(state); }

QStringList edgeList(const QJsonObject& topology, bool observedOnly = false)
{
    QStringList out;
    for (const QJsonValue& v : topology.value(QStringLiteral("edges")).toArray()) {
        const QJsonObject e = v.toObject();
        if (observedOnly && !e.value(QStringLiteral("observed")).toBool())
            continue;
        out << QStringLiteral("%1 -%2-> %3 count=%4%5%6")
                   .arg(e.value(QStringLiteral("from")).toString(), e.value(QStringLiteral("kind")).toString(),
                       e.value(QStringLiteral("to")).toString())
                   .arg(e.value(QStringLiteral("count")).toInteger())
                   .arg(e.value(QStringLiteral("declared")).toBool() ? QStringLiteral(" declared") : QString())
                   .arg(e.value(QStringLiteral("observed")).toBool() ? QStringLiteral(" observed") : QString());
    }
    return out;
}

QStringList nodeList(const QJsonObject& topology)
{
    QStringList out;
    for (const QJsonValue& v : topology.value(QStringLiteral("nodes")).toArray()) {
        const QJsonObject n = v.toObject();
        out << QStringLiteral("%1:%2 events=%3%4%5")
                   .arg(n.value(QStringLiteral("kind")).toString(), n.value(QStringLiteral("name")).toString())
                   .arg(n.value(QStringLiteral("events")).toInteger())
                   .arg(n.value(QStringLiteral("declared")).toBool() ? QStringLiteral(" declared") : QString())
                   .arg(n.value(QStringLiteral("observed")).toBool() ? QStringLiteral(" observed") : QString());
    }
    return out;
}

QStringList driftList(const QJsonObject& topology, const QString& which)
{
    QStringList out;
    for (const QJsonValue& v : topology.value(QStringLiteral("drift")).toObject().value(which).toArray()) {
        const QJsonObject e = v.toObject();
        out << QStringLiteral("%1 -%2-> %3")
                   .arg(e.value(QStringLiteral("from")).toString(), e.value(QStringLiteral("kind")).toString(),
                       e.value(QStringLiteral("to")).toString());
    }
    return out;
}

// The nearest-rank percentile the histogram approximates: the ceil(p/100 * n)-th smallest.
double nearestRank(QList<double> values, double p)
{
    std::sort(values.begin(), values.end());
    const auto rank = std::max<qsizetype>(1, qsizetype(std::ceil(p / 100.0 * double(values.size()))));
    return values[rank - 1];
}

// --- the generated stream for determinism and checkpoints -----------------------------------

const QByteArray FullFlow = "flowscope: 1\n"
                            "name: Order saga\n"
                            "correlation: { default: data.orderId, by_type: { PaymentRefunded: data.ref } }\n"
                            "channels:\n"
                            "  orders:   [OrderCreated, OrderRejected, OrderCancelled, OrderApproved]\n"
                            "  payments: [PaymentAuthorized, PaymentFailed, PaymentRefunded]\n"
                            "  stock:    [StockReserved, StockUnavailable]\n"
                            "  shipping: [OrderShipped]\n"
                            "services:\n"
                            "  orders:\n"
                            "    when:\n"
                            "      PaymentFailed:   { emit: OrderRejected }\n"
                            "      PaymentRefunded: { emit: OrderCancelled }\n"
                            "      StockReserved:   { emit: OrderApproved }\n"
                            "  payment:\n"
                            "    when:\n"
                            "      OrderCreated:     { emit: { PaymentAuthorized: 0.93, PaymentFailed: 0.07 } }\n"
                            "      StockUnavailable: { emit: PaymentRefunded }\n"
                            "  inventory:\n"
                            "    when:\n"
                            "      PaymentAuthorized: { emit: { StockReserved: 0.95, StockUnavailable: 0.05 } }\n"
                            "  shipping:\n"
                            "    when:\n"
                            "      OrderApproved: { emit: OrderShipped }\n"
                            "sagas:\n"
    + OrderSaga
    + "views:\n"
      "  orders:\n"
      "    key: data.orderId\n"
      "    columns:\n"
      "      status:   last(type)\n"
      "      customer: last(data.customerId)\n"
      "      amount:   first(data.amount) from OrderCreated\n"
      "      refunds:  count() from PaymentRefunded\n"
      "      events:   count()\n"
      "      updated:  last(time)\n"
      "  customers:\n"
      "    key: data.customerId\n"
      "    columns:\n"
      "      orders:  count() from OrderCreated\n"
      "      spent:   sum(data.amount)\n"
      "      largest: max(data.amount)\n"
      "      least:   min(data.amount)\n"
      "      first:   first(data.orderId)\n";

// A few thousand events of the order saga from a seeded RNG: all three outcomes, abandoned
// instances (stuck), quiet spells (timeouts), exact duplicates, stray events (not accepted,
// after the final state), events before their start, events out of time order, heartbeats.
QList<Event> generateStream(quint32 seed, int n)
{
    std::mt19937 rng(seed);
    auto pick = [&rng](qsizetype k) { return qsizetype(rng() % quint32(k)); };
    static const QHash<QByteArray, QByteArray> sourceOf {
        { "OrderCreated", "orders" },
        { "OrderRejected", "orders" },
        { "OrderCancelled", "orders" },
        { "OrderApproved", "orders" },
        { "PaymentAuthorized", "payment" },
        { "PaymentFailed", "payment" },
        { "PaymentRefunded", "payment" },
        { "StockReserved", "inventory" },
        { "StockUnavailable", "inventory" },
        { "OrderShipped", "shipping" },
    };
    static const QList<QByteArray> allTypes { "OrderCreated", "PaymentAuthorized", "PaymentFailed", "StockReserved",
        "StockUnavailable", "PaymentRefunded", "OrderRejected", "OrderCancelled", "OrderApproved",
        "OrderShipped" }; // not sourceOf.keys(): hash order varies
    struct Live {
        QByteArray orderId, customer;
        QStringList path;
        qsizetype next = 0, stopAt = 0;
        QByteArray lastId;
    };
    QList<Live> live;
    QList<QByteArray> ended;
    QList<Event> out;
    qint64 clock = 0;
    int nextOrder = 1;
    auto amount = [&] { return QByteArray::number(double(pick(20000)) / 100.0, 'f', 2); };
    auto sagaEvent = [&](const QByteArray& type, const QByteArray& orderId, const QByteArray& customer,
                         const QByteArray& cause, qint64 t) {
        QByteArray data = "{\"orderId\":\"" + orderId + "\"";
        if (type == "PaymentRefunded") // correlated by data.ref (the orderId here is a decoy)
            data = "{\"orderId\":\"refund-of-" + orderId + "\",\"ref\":\"" + orderId + "\"";
        if (!customer.isEmpty())
            data += ",\"customerId\":\"" + customer + "\"";
        if (type == "OrderCreated" || type == "PaymentAuthorized")
            data += ",\"amount\":" + amount();
        data += "}";
        const QByteArray attrs = cause.isEmpty() ? QByteArray() : ",\"causationid\":\"" + cause + "\"";
        return makeEvent(type, "g" + QByteArray::number(seed) + "-" + QByteArray::number(out.size() + 1), t, data,
            sourceOf.value(type, "stray"), attrs);
    };
    while (out.size() < n) {
        clock += pick(200);
        if (pick(150) == 0)
            clock += 40000 + pick(30000); // a quiet spell: whatever waits times out
        qint64 t = clock;
        if (pick(100) < 3)
            t -= pick(5000); // out of time order
        const qsizetype r = pick(100);
        Event e;
        if (r < 3 && !out.isEmpty()) { // an exact duplicate of a recent event
            e = out[out.size() - 1 - pick(std::min<qsizetype>(50, out.size()))];
        } else if (r < 6 && (!live.isEmpty() || !ended.isEmpty())) { // a stray saga event
            const bool toEnded = !ended.isEmpty() && (live.isEmpty() || pick(2) == 0);
            const QByteArray orderId = toEnded ? ended[pick(ended.size())] : live[pick(live.size())].orderId;
            e = sagaEvent(allTypes[pick(allTypes.size())], orderId, {}, {}, t);
        } else if (r < 8) { // a heartbeat, not of any saga
            e = makeEvent("Heartbeat", "hb-" + QByteArray::number(out.size() + 1), t, "{}", "monitor",
                ",\"correlationid\":\"o" + QByteArray::number(pick(nextOrder) + 1) + "\"");
        } else if (r < 9) { // an event for the next order, before its start
            e = sagaEvent("PaymentAuthorized", "o" + QByteArray::number(nextOrder), {}, {}, t);
        } else if (live.isEmpty() || (live.size() < 25 && pick(3) == 0)) { // a new instance
            Live l;
            l.orderId = "o" + QByteArray::number(nextOrder++);
            l.customer = "c" + QByteArray::number(pick(40));
            const qsizetype which = pick(20);
            l.path = which < 12 ? CompletedPath : which < 16 ? CompensatedPath : FailedPath;
            l.stopAt = pick(10) == 0 ? 1 + pick(l.path.size() - 1) : l.path.size(); // some are abandoned
            e = sagaEvent("OrderCreated", l.orderId, l.customer, {}, t);
            l.lastId = e.id;
            l.next = 1;
            if (l.stopAt == 1)
                ended.append(l.orderId); // abandoned right after its start
            else
                live.append(l);
        } else { // the next step of a running instance
            const qsizetype i = pick(live.size());
            Live& l = live[i];
            e = sagaEvent(l.path[l.next].toUtf8(), l.orderId, l.customer, l.lastId, t);
            l.lastId = e.id;
            if (++l.next == l.stopAt) {
                ended.append(l.orderId);
                live.removeAt(i);
            }
        }
        e.seq = out.size() + 1;
        out.append(std::move(e));
    }
    return out;
}

} // namespace

// --- sagas ------------------------------------------------------------------------------------

void TestProjections::sagaPaths_data()
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

void TestProjections::sagaPaths()
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

void TestProjections::sagaAggregates()
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
void TestProjections::anomalies_data()
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

void TestProjections::anomalies()
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

void TestProjections::eventBeforeStart()
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

void TestProjections::eventsOutOfTimeOrder()
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
void TestProjections::timeouts_data()
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
    QTest::newRow("a late event is not a clock")
        << QStringList { u"OrderCreated o1 20000"_s, u"Tick - 60000"_s, u"OrderCreated o2 0"_s }
        << QList<int> { 0, 0, 0, 1, 1 } << true;
    QTest::newRow("an anomaly does not unstick") << QStringList { u"OrderCreated o1 0"_s, u"Tick - 31000"_s,
        u"StockReserved o1 32000"_s, u"OrderCreated o1 33000"_s }
                                                 << QList<int> { 0, 0, 0, 0, 1 } << true;
}

void TestProjections::timeouts()
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

void TestProjections::stuckThenMovesOn()
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

void TestProjections::latency()
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
    COMPARE_JSON(view, (QJsonObject { { u"rows"_s, 2 }, { u"sample"_s, expected } }));
    QCOMPARE(p.views().front()->rowCount(), 2);
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
}

// An orchestrated saga's instance that times out moves to on_timeout, as its orchestrator does,
// at the moment the timer fired; a late reply is then an anomaly, and the instance is not stuck.
void TestProjections::orchestratedOnTimeout()
{
    const auto flow = parseFlow(R"(flowscope: 1
name: orchestrated
correlation: data.orderId
channels:
  orders: [OrderPlaced, StockReserved, PaymentRefunded]
services:
  checkout: {}
sagas:
  order:
    orchestrator: checkout
    start: OrderPlaced
    timeout: 2s
    states:
      reserving: { send: ReserveStock, when: { StockReserved: done }, on_timeout: refunding }
      refunding: { send: RefundPayment, when: { PaymentRefunded: cancelled }, timeout: 10s }
      done:      { outcome: completed }
      cancelled: { outcome: compensated }
)");
    Stream s;
    s.order("OrderPlaced", "o1", 0);
    s.order("OrderPlaced", "o2", 500);
    s.order("StockReserved", "o2", 1000); // o2 answered in time
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
    QCOMPARE(saga.value(u"transitions").toObject().value(u"reserving -> refunding").toInteger(), 1);
    QCOMPARE(saga.value(u"anomaly_kinds").toObject().value(u"not_accepted").toInteger(), 1);
    const SagaTracker& t = *p.sagas().front();
    // compensated 3 s after it started: the timer's moment counts, not the tick's
    QCOMPARE(t.instance("o1")->endedAt, micros(3000));
    QCOMPARE(t.instance("o1")->anomalies.size(), 1);
    QCOMPARE(t.instance("o1")->anomalies[0].type, "StockReserved");
}

QTEST_GUILESS_MAIN(TestProjections)
#include "tst_projections.moc"
