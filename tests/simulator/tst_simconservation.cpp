// SPDX-License-Identifier: MIT
// The simulator never loses or invents an event: random choreographed flows and the orchestrated
// demo, with faults of every kind, run to the end and checked by verifyConservation(); and a flow
// run in random steps, as the paced window runs it, gives the same events as one run.
#include "simtestutil.h"

#include <flowfileparser.h>
#include <simulator.h>

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QTest>

#include <algorithm>
#include <memory>
#include <random>

using namespace Qt::StringLiterals;
using namespace FlowScope;
using namespace FlowScope::SimTest;
using FlowScope::Sim::ServiceStats;
using FlowScope::Sim::Simulator;

class TestConservation : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void conservation_data();
    void conservation();
    void conservationOrchestrated();
};

namespace {

// A random choreographed flow for conservation(): services s0..sN-1 handle event types T0..TN
// (service i only types up to Ti, and emits only types above Ti, so every chain ends), with
// random workers or serverless functions, queues (0, small, unbounded), service times, failures,
// retries, timeouts and dead letters; one to three load generators of T0 (Poisson or constant,
// bursts, a rate curve starting late) that stop at 5 s; a broker
// with random latency and partitions; and random faults of every kind. `handlers[i]` lists the
// types service i handles.
struct RandomFlow {
    QByteArray yaml;
    std::vector<std::vector<int>> handlers;
    std::vector<bool> deadLetter;
    QHash<QByteArray, int> partitions; // channel -> partitions (absent: the broker's default)
    int defaultPartitions = 1;
};

RandomFlow randomFlow(quint64 seed)
{
    std::mt19937_64 engine(seed);
    const auto pick = [&](int n) { return int(engine() % quint64(n)); };
    const auto ms = [&](int lo, int hi) { return u"%1ms"_s.arg(lo + pick(hi - lo + 1)); };
    RandomFlow f;
    const int n = 2 + pick(4);
    f.handlers.resize(size_t(n));
    f.deadLetter.resize(size_t(n));
    QString y = u"flowscope: 1\n"_s;
    if (pick(2)) // some types on a shared channel, the rest on their producer's
        y += u"channels:\n  shared: [T1, T%1]\n"_s.arg(n);
    y += u"services:\n"_s;
    for (int i = 0; i < n; ++i) {
        y += u"  s%1:\n    when:\n"_s.arg(i);
        std::vector<int>& handles = f.handlers[size_t(i)];
        handles.push_back(pick(i + 1));
        if (const int other = pick(i + 1); pick(2) && other != handles.front())
            handles.push_back(other);
        for (int type : handles) {
            const int next = i + 1 + pick(n - i); // above Ti, at most TN
            switch (pick(3)) {
            case 0: y += u"      T%1: {}\n"_s.arg(type); break;
            case 1: y += u"      T%1: { emit: T%2 }\n"_s.arg(type).arg(next); break;
            default:
                if (i + 1 < n) // a branch: 0.1 emits nothing
                    y += u"      T%1: { emit: { T%2: 0.6, T%3: 0.3 } }\n"_s.arg(type).arg(i + 1).arg(n);
                else
                    y += u"      T%1: { emit: { T%2: 0.5 } }\n"_s.arg(type).arg(n);
                break;
            }
        }
        y += u"    sim:\n"_s;
        if (pick(4) == 0)
            y += u"      serverless: { concurrency: %1, cold_start: %2, idle_timeout: 1s, min_instances: %3 }\n"_s
                     .arg(1 + pick(4))
                     .arg(ms(1, 50))
                     .arg(pick(2));
        else
            y += u"      workers: %1\n"_s.arg(1 + pick(3));
        const QString queues[] = { u"0"_s, u"1"_s, u"3"_s, u"unbounded"_s };
        y += u"      queue: %1\n"_s.arg(queues[pick(4)]);
        const QString times[] = { ms(1, 5), u"exp(%1)"_s.arg(ms(1, 6)), u"uniform(1ms, %1)"_s.arg(ms(2, 9)),
                                  u"lognormal(%1, 0.5)"_s.arg(ms(1, 4)) };
        y += u"      service_time: %1\n"_s.arg(times[pick(4)]);
        if (pick(2))
            y += u"      failure: %1\n"_s.arg(double(pick(30)) / 100);
        if (pick(2))
            y += u"      retry: { max: %1, backoff: %2, multiplier: 2, jitter: %3 }\n"_s.arg(pick(4)).arg(ms(1, 30)).arg(
                     double(pick(5)) / 10);
        if (pick(3) == 0)
            y += u"      timeout: %1\n"_s.arg(ms(3, 8));
        if (pick(2)) {
            y += u"      dead_letter: dlq\n"_s;
            f.deadLetter[size_t(i)] = true;
        }
    }
    f.defaultPartitions = 1 + pick(4);
    const QString latencies[] = { u"0"_s, u"exp(%1)"_s.arg(ms(1, 5)), u"normal(2ms, 3ms)"_s, u"uniform(0, %1)"_s.arg(ms(1, 9)) };
    y += u"simulation:\n  broker: { latency: %1, partitions: %2"_s.arg(latencies[pick(4)]).arg(f.defaultPartitions);
    if (pick(2)) {
        y += u", channels: { s0: { partitions: 7 } }"_s;
        f.partitions.insert("s0", 7);
    }
    y += u" }\n  load:\n    - { emit: T0, rate: %1/s, arrival: %2, stop: 5s }\n"_s.arg(50 + pick(250)).arg(
        pick(2) ? u"poisson"_s : u"constant"_s);
    if (pick(2))
        y += u"    - { emit: T0, burst: { size: %1, every: 700ms }, stop: 5s }\n"_s.arg(1 + pick(40));
    if (pick(3) == 0)
        y += u"    - { emit: T0, curve: { 0s: 20/s, 2s: %1/s, 4s: 10/s }, start: %2, stop: 5s }\n"_s.arg(100 + pick(300)).arg(ms(0, 2000));
    y += u"  faults:"_s;
    const int faults = pick(5);
    y += faults ? u"\n"_s : u" []\n"_s;
    for (int k = 0; k < faults; ++k) {
        const QString at = ms(0, 4500);
        const QString length = ms(10, 3000);
        const int s = pick(n);
        switch (pick(10)) {
        case 0: y += u"    - { at: %1, service: s%2, down: %3 }\n"_s.arg(at).arg(s).arg(length); break;
        case 1: y += u"    - { at: %1, service: s%2, partition: %3 }\n"_s.arg(at).arg(s).arg(length); break;
        case 2: y += u"    - { at: %1, service: s%2, slow: 5x, for: %3 }\n"_s.arg(at).arg(s).arg(length); break;
        case 3: y += u"    - { at: %1, service: s%2, error: 40%, for: %3 }\n"_s.arg(at).arg(s).arg(length); break;
        case 4: y += u"    - { at: %1, channel: s%2, drop: 30%, for: %3 }\n"_s.arg(at).arg(s).arg(length); break;
        case 5: y += u"    - { at: %1, broker: all, drop: 10%, for: %2 }\n"_s.arg(at, length); break;
        case 6: y += u"    - { at: %1, broker: all, delay: exp(50ms), for: %2 }\n"_s.arg(at, length); break;
        case 7: y += u"    - { at: %1, channel: load, delay: uniform(1ms, 80ms), for: %2 }\n"_s.arg(at, length); break;
        case 8: y += u"    - { at: %1, broker: all, duplicate: 25%, for: %2 }\n"_s.arg(at, length); break;
        default: y += u"    - { at: %1, broker: all, down: %2 }\n"_s.arg(at, length); break;
        }
    }
    f.yaml = y.toUtf8();
    return f;
}

// Runs until `stop` (when the load generators stop), then on until nothing is scheduled.
void runToTheEnd(Simulator& sim, qint64 stop)
{
    sim.runUntil(stop);
    while (sim.pendingWork() > 0 && sim.now() < 3600 * S)
        sim.runUntil(sim.now() + 10 * S);
    QCOMPARE(sim.pendingWork(), qint64(0));
}

// What the conservation checks know of a flow, written from its text (not asked of the simulator).
struct FlowFacts {
    QHash<QByteArray, QList<QByteArray>> handlers; // event type -> the services handling it
    QSet<QByteArray> deadLetter;                   // services with `dead_letter: dlq`
    QByteArray loadType, loadSource;               // what the load generators emit, and as whom
    QHash<QByteArray, int> partitions;             // channel -> partitions, where not the default
    int defaultPartitions = 1;
    bool oneEventPerHandled = true; // choreography: a service emits only in answer to a handled event
};

// Never loses or invents an event, on a run that went to the end (runToTheEnd):
//   - Every delivery ends exactly once: the events' subscribers, plus the second deliveries of a
//     duplicate fault, add up to processed + dead lettered + dropped, summed over the services;
//     nothing is queued, held or in handling.
//   - Every failure is retried or dead-lettered; a service emits exactly one dead letter per event
//     it gave up on when it has `dead_letter:`, and in a choreography at most one event per event
//     it handled.
//   - Ids are unique; every cause is an earlier event of the same flow (correlation id), of a type
//     the event's source handles; times never go back; a partition's offsets run 0, 1, 2 …
void verifyConservation(const Simulator& sim, const EventBatch& events, const FlowFacts& facts)
{
    QCOMPARE(sim.eventsEmitted(), qint64(events.size()));
    QVERIFY(events.size() > 0);
    qint64 deliveries = 0;
    QHash<QByteArray, const Event*> byId;
    QHash<QByteArray, qint64> nextOffset; // "channel/partition" -> the next offset
    QHash<QByteArray, qint64> emittedBy, deadLettersBy;
    qint64 lastTime = sim.startTime();
    for (const Event& e : events) {
        const QString where = u"%1 (%2 at %3 us)"_s.arg(QString::fromUtf8(e.id), QString::fromUtf8(e.type))
                                  .arg(e.time - sim.startTime());
        QVERIFY2(!byId.contains(e.id), qPrintable(where + u": the id again"_s));
        QVERIFY2(e.time >= lastTime, qPrintable(where + u": earlier than the event before it"_s));
        lastTime = e.time;
        const int parts = e.channel == "dlq" ? facts.defaultPartitions
                                             : facts.partitions.value(e.channel, facts.defaultPartitions);
        QVERIFY2(e.partition >= 0 && e.partition < parts, qPrintable(where + u": partition %1"_s.arg(e.partition)));
        const QByteArray partition = e.channel + '/' + QByteArray::number(e.partition);
        QCOMPARE(e.offset, nextOffset.value(partition));
        nextOffset[partition] = e.offset + 1;
        deliveries += facts.handlers.value(e.type).size();

        if (e.causationId.isEmpty()) { // generated: a flow of its own
            QCOMPARE(e.type, facts.loadType);
            QCOMPARE(e.source, facts.loadSource);
            QCOMPARE(e.correlationId, e.id);
        } else {
            const Event* cause = byId.value(e.causationId);
            QVERIFY2(cause, qPrintable(where + u": its cause %1 is no earlier event"_s.arg(QString::fromUtf8(e.causationId))));
            QCOMPARE(e.correlationId, cause->correlationId);
            QVERIFY2(facts.handlers.value(cause->type).contains(e.source),
                     qPrintable(where + u": %1 does not handle its cause's type"_s.arg(QString::fromUtf8(e.source))));
            if (e.type.endsWith(".deadletter")) {
                QCOMPARE(e.type, cause->type + ".deadletter");
                QCOMPARE(e.channel, QByteArray("dlq"));
                ++deadLettersBy[e.source];
            } else {
                ++emittedBy[e.source];
            }
        }
        byId.insert(e.id, &e);
    }

    qint64 ended = 0;
    for (const ServiceStats& s : sim.stats()) {
        const QByteArray name = s.name.toUtf8();
        ended += s.processed + s.deadLettered + s.dropped - s.duplicated;
        QVERIFY2(s.queue == 0 && s.held == 0 && s.busy == 0, name);
        QVERIFY2(s.taken == s.processed + s.deadLettered, name); // every delivery taken ended once
        QVERIFY2(s.failed == s.retries + s.deadLettered, name); // bookkeeping: each failure is one or the other
        QVERIFY2(!facts.oneEventPerHandled || emittedBy.value(name) <= s.processed, name);
        QVERIFY2(deadLettersBy.value(name) == (facts.deadLetter.contains(name) ? s.deadLettered : 0), name);
    }
    QCOMPARE(ended, deliveries);
}

// At any moment of a run, every delivery is somewhere, as ServiceStats says: for each service,
//   deliveries published to it + duplicated = dropped + in_transit + held (lag) + taken
//   taken = processed + dead_lettered + queue + busy + retrying
// `events` are those emitted so far; `counted` how many of them `deliveries` already counts.
void verifyAccountedFor(const Simulator& sim, const EventBatch& events, const FlowFacts& facts,
                        QHash<QByteArray, qint64>& deliveries, qsizetype& counted)
{
    for (; counted < events.size(); ++counted)
        for (const QByteArray& service : facts.handlers.value(events[counted].type))
            ++deliveries[service];
    for (const ServiceStats& s : sim.stats()) {
        const QByteArray name = s.name.toUtf8();
        const QString at = u"%1 at %2 us: "_s.arg(QString::fromUtf8(name)).arg(sim.now());
        QVERIFY2(deliveries.value(name) + s.duplicated == s.dropped + s.inTransit + s.held + s.taken,
                 qPrintable(at + u"%1 published + %2 duplicated, but %3 dropped + %4 in transit + %5 held + %6 taken"_s
                                     .arg(deliveries.value(name)).arg(s.duplicated).arg(s.dropped).arg(s.inTransit)
                                     .arg(s.held).arg(s.taken)));
        QVERIFY2(s.taken == s.processed + s.deadLettered + s.queue + s.busy + s.retrying,
                 qPrintable(at + u"%1 taken, but %2 processed + %3 dead-lettered + %4 queued + %5 busy + %6 retrying"_s
                                     .arg(s.taken).arg(s.processed).arg(s.deadLettered).arg(s.queue).arg(s.busy)
                                     .arg(s.retrying)));
    }
}

} // namespace

// verifyConservation() on 100 random flows (randomFlow; 3000 passed once), run to the end; and
// the same flow run in random steps gives the same events.
void TestConservation::conservation_data()
{
    QTest::addColumn<quint64>("seed");
    for (quint64 seed = 1; seed <= 100; ++seed)
        QTest::addRow("flow %llu", seed) << seed;
}

void TestConservation::conservation()
{
    QFETCH(quint64, seed);
    const RandomFlow random = randomFlow(seed);
    const auto showFlow = qScopeGuard([&] {
        if (QTest::currentTestFailed())
            qWarning().noquote() << "the flow:\n" << random.yaml;
    });
    PARSE(flow, random.yaml);
    Simulator sim(flow, seed);
    EventBatch events;
    sim.setSink([&](EventBatch&& b) { events.append(std::move(b)); }, 333);
    runToTheEnd(sim, 5 * S);

    FlowFacts facts { {}, {}, "T0", "load", random.partitions, random.defaultPartitions, true };
    for (size_t i = 0; i < random.handlers.size(); ++i) {
        const QByteArray service = "s" + QByteArray::number(qulonglong(i));
        for (int type : random.handlers[i])
            facts.handlers["T" + QByteArray::number(type)].append(service);
        if (random.deadLetter[i])
            facts.deadLetter.insert(service);
    }
    verifyConservation(sim, events, facts);
    if (QTest::currentTestFailed())
        return;

    // Paced (the window calls runUntil(clock) at whatever times its timer fires, and the speed
    // may change meanwhile): steps of 1 us to 2 s give the very same events. After each step
    // every delivery is accounted for (in transit, held, queued, in handling, retrying, done).
    Simulator paced(flow, seed);
    EventBatch pacedEvents;
    paced.setSink([&](EventBatch&& b) { pacedEvents.append(std::move(b)); }, 100);
    std::mt19937_64 steps(seed);
    QHash<QByteArray, qint64> deliveries;
    qsizetype counted = 0;
    while (paced.now() < 5 * S) {
        const quint64 longest = steps() % 4 == 0 ? Ms : 2 * S; // now and then a run of short steps
        paced.runUntil(std::min(5 * S, paced.now() + 1 + qint64(steps() % longest)));
        verifyAccountedFor(paced, pacedEvents, facts, deliveries, counted);
        if (QTest::currentTestFailed())
            return;
    }
    runToTheEnd(paced, 5 * S);
    QCOMPARE(pacedEvents.size(), events.size());
    for (qsizetype i = 0; i < events.size(); ++i)
        if (!(pacedEvents[i] == events[i])) // (QVERIFY2 would describe every event)
            QFAIL(qPrintable(u"event %1 differs:\n  %2\n  %3"_s.arg(i).arg(describe(events[i]), describe(pacedEvents[i]))));
    QCOMPARE(QJsonDocument(paced.statsJson()).toJson(), QJsonDocument(sim.statsJson()).toJson());
}

// The same on the orchestrated demo, its load stopped at 20 s, with payment down, duplicates and
// lost commands on top of its own faults: the orchestrator (checkout) hears OrderPlaced and every
// reply, and sends the commands, also on a timeout (without an event handled), so it may emit more
// events than it handled.
void TestConservation::conservationOrchestrated()
{
    QFile file(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/orchestrated.yaml"));
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
    QByteArray yaml = file.readAll();
    QVERIFY(yaml.contains("rate: 100/s,"));
    yaml.replace("rate: 100/s,", "rate: 100/s, stop: 20s,");
    PARSE(flow, yaml);
    Simulator sim(flow, 3);
    for (const char* spec : { "at: 5s, service: payment, down: 3s", "at: 9s, broker: all, duplicate: 10%, for: 4s",
                              "at: 14s, channel: commands, drop: 5%, for: 3s" }) {
        QList<FlowError> errors;
        const std::optional<Fault> fault = FlowFileParser::parseFault(QString::fromLatin1(spec), *flow, &errors);
        QVERIFY2(fault, errors.isEmpty() ? spec : qPrintable(errors.first().toString()));
        sim.injectFault(*fault);
    }
    EventBatch events;
    sim.setSink([&](EventBatch&& b) { events.append(std::move(b)); });
    runToTheEnd(sim, 20 * S);

    const QHash<QByteArray, QList<QByteArray>> handlers {
        { "OrderPlaced", { "checkout" } },       { "AuthorizePayment", { "payment" } },
        { "RefundPayment", { "payment" } },      { "ReserveStock", { "inventory" } },
        { "ShipOrder", { "shipping" } },         { "PaymentAuthorized", { "checkout" } },
        { "PaymentFailed", { "checkout" } },     { "PaymentRefunded", { "checkout" } },
        { "StockReserved", { "checkout" } },     { "StockUnavailable", { "checkout" } },
        { "OrderShipped", { "checkout" } },
    };
    verifyConservation(sim, events, FlowFacts { handlers, {}, "OrderPlaced", "checkout", {}, 6, false });
    if (QTest::currentTestFailed())
        return;
    // the faults took effect: deliveries were lost, made twice, and held while payment was down
    qint64 dropped = 0, duplicated = 0;
    for (const ServiceStats& st : sim.stats()) {
        dropped += st.dropped;
        duplicated += st.duplicated;
    }
    QVERIFY2(dropped > 0 && duplicated > 0, qPrintable(u"dropped %1, duplicated %2"_s.arg(dropped).arg(duplicated)));
}

QTEST_GUILESS_MAIN(TestConservation)

#include "tst_simconservation.moc"
