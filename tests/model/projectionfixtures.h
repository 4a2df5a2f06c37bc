// SPDX-License-Identifier: MIT
// Shared by the projection tests: event makers, flows, and readers of Projections::toJson().
#pragma once

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

namespace ProjectionFixtures {

using namespace FlowScope;

constexpr qint64 BaseMs = 1704067200000LL; // 2024-01-01T00:00:00Z

// One CloudEvent in structured mode. `attrs` adds attributes: `,"subject":"x"`.
inline Event makeEvent(const QByteArray& type, const QByteArray& id, qint64 ms, const QByteArray& data = "{}",
    const QByteArray& source = "svc", const QByteArray& attrs = {})
{
    static EventParser parser; // the tests run on one thread
    const QByteArray line = "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"type\":\"" + type + "\",\"source\":\""
        + source + "\",\"time\":\"" + TimeFormat::toRfc3339(TimeFormat::fromMillis(BaseMs + ms)) + "\"" + attrs
        + ",\"data\":" + data + "}";
    Event e = parser.parseLine(line);
    if (e.isUnparsed())
        qFatal("test event not understood: %s (%s)", line.constData(), e.error().constData());
    return e;
}

inline qint64 micros(qint64 ms) { return TimeFormat::fromMillis(BaseMs + ms); }

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

inline std::shared_ptr<const Flow> parseFlow(const QByteArray& yaml)
{
    FlowParseResult r = FlowFileParser::parseText(yaml, QStringLiteral("test.yaml"));
    if (!r.ok())
        qFatal("test flow invalid:\n%s", qPrintable(r.errorText()));
    return std::make_shared<const Flow>(std::move(*r.flow));
}

inline void feed(Projections& p, const QList<Event>& events, qsizetype from = 0, qsizetype to = -1)
{
    if (to < 0)
        to = events.size();
    for (qsizetype i = from; i < to; ++i)
        p.apply(events[i]);
}

inline QByteArray jsonText(const QJsonObject& o) { return QJsonDocument(o).toJson(QJsonDocument::Indented); }

inline QByteArray firstDifference(const QByteArray& a, const QByteArray& b)
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

inline QJsonObject statesJson(const QHash<QString, int>& counts)
{
    QJsonObject o;
    for (const QString& s : OrderStates)
        o.insert(s, counts.value(s));
    return o;
}

inline QJsonObject outcomesJson(int completed, int compensated, int failed, int running, int stuck)
{
    return { { u"completed"_s, completed }, { u"compensated"_s, compensated }, { u"failed"_s, failed },
        { u"running"_s, running }, { u"stuck"_s, stuck } };
}

inline QJsonObject outcomesJson(const QList<int>& v) { return outcomesJson(v[0], v[1], v[2], v[3], v[4]); }

inline QJsonObject sagaJson(const Projections& p, const QString& name = QStringLiteral("order"))
{
    return p.toJson().value(QStringLiteral("sagas")).toObject().value(name).toObject();
}

inline const SagaTracker& tracker(const Projections& p) { return *p.sagas().front(); }

inline int stateIndex(const Projections& p, const QString& state) { return tracker(p).saga().stateIndex(state); }

inline QStringList edgeList(const QJsonObject& topology, bool observedOnly = false)
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

inline QStringList nodeList(const QJsonObject& topology)
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

inline QStringList driftList(const QJsonObject& topology, const QString& which)
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
inline double nearestRank(QList<double> values, double p)
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
inline QList<Event> generateStream(quint32 seed, int n)
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

} // namespace ProjectionFixtures

using namespace ProjectionFixtures;
