// SPDX-License-Identifier: MIT
// Where faults, serverless functions and rate curves meet time (session 21's review of the
// simulator): a broker-wide fault reaches channels made while it is on; a fault ends when it
// says, even when another one follows; a down orchestrator runs no saga timers; overlapping
// delays add up and each ends on its own; a fault given at 0 s after the simulator was made acts
// on the first event; a function's idle instances stop one by one; a rate curve may pass through
// 0/s and the load comes back, at the rate the curve says.
#include "simtestutil.h"

#include <flowfileparser.h>
#include <simulator.h>

#include <QHash>
#include <QTest>

#include <cmath>
#include <memory>

using namespace Qt::StringLiterals;
using namespace FlowScope;
using namespace FlowScope::SimTest;
using FlowScope::Sim::ServiceStats;
using FlowScope::Sim::Simulator;

class TestSimFaults : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void broadFaultReachesNewChannels();
    void faultEndsWhenItSays_data();
    void faultEndsWhenItSays();
    void downOrchestratorRunsNoTimers();
    void downAndPartitionEndApart();
    void faultPastTheEndOfTime();
    void overlappingDelaysAddUp();
    void faultAtStartActsOnTheFirstEvent();
    void idleInstancesStopOneByOne();
    void curveThroughZero_data();
    void curveThroughZero();
    void curveRateIsTheCurves();
    void curveEndingAtZeroStops();
};

namespace {

EventBatch collect(Simulator& sim, qint64 until)
{
    EventBatch all;
    sim.setSink([&](EventBatch&& b) { all.append(b); }, 512);
    sim.runUntil(until);
    return all;
}

const ServiceStats& statsOf(const std::vector<ServiceStats>& stats, const QString& name)
{
    for (const ServiceStats& s : stats)
        if (s.name == name)
            return s;
    qFatal("no service %s", qPrintable(name));
}

// src publishes Ping at 100/s (or `rate`), sink handles it in no time; `faults` is the flow's
// faults: list, one entry a line. No channels are declared: Ping goes on src's own channel, made
// when src first publishes.
QByteArray pingFlow(const QByteArray& faults, const char* rate = "100/s")
{
    return "flowscope: 1\n"
           "services:\n"
           "  src: {}\n"
           "  sink:\n"
           "    when: { Ping: {} }\n"
           "    sim: { workers: 100, service_time: 0 }\n"
           "simulation:\n"
           "  load:\n"
           "    - { emit: Ping, from: src, rate: "
        + QByteArray(rate) + ", arrival: constant }\n" + (faults.isEmpty() ? QByteArray() : "  faults:\n" + faults);
}

// src's load follows `curve`, a flow's `curve:` map; nobody handles it
QByteArray curveFlow(const QByteArray& curve)
{
    return "flowscope: 1\n"
           "services:\n"
           "  src: {}\n"
           "simulation:\n"
           "  load:\n"
           "    - { emit: Ping, from: src, curve: "
        + curve + " }\n";
}

} // namespace

// A broker-wide drop from 0 s: src's channel does not exist yet when it begins (it is made at
// src's first publish), and must be under it all the same; when it ends it must leave nothing
// behind, so that a later drop on that channel drops what it says. Before the fix: nothing was
// dropped at all, in either.
void TestSimFaults::broadFaultReachesNewChannels()
{
    PARSE(flow, pingFlow("    - { at: 0s,  broker: all,  drop: 100%, for: 10s }\n"
                         "    - { at: 20s, channel: src, drop: 100%, for: 10s }\n"));
    Simulator sim(flow, 1);
    sim.runUntil(40 * S - 1);
    const ServiceStats& sink = statsOf(sim.stats(), u"sink"_s);
    QCOMPARE(sim.eventsEmitted(), qint64(4000)); // 0 s to 39.99 s at 100/s
    QCOMPARE(sink.dropped, qint64(2000));        // [0, 10) and [20, 30)
    QCOMPARE(sink.processed, qint64(2000));
}

// Two outages of the publisher's way to the broker, 10-15 s and 16-17 s: what src publishes in
// the second is held until 17 s, not until 20 s (the first's end counted again from its end: 15
// + 5), and goes out in the order it was made. Events are made at 10/s.
void TestSimFaults::faultEndsWhenItSays_data()
{
    QTest::addColumn<QByteArray>("faults");
    QTest::newRow("broker down") << QByteArray("    - { at: 10s, broker: all, down: 5s }\n"
                                               "    - { at: 16s, broker: all, down: 1s }\n");
    QTest::newRow("service partitioned") << QByteArray("    - { at: 10s, service: src, partition: 5s }\n"
                                                       "    - { at: 16s, service: src, partition: 1s }\n");
}

void TestSimFaults::faultEndsWhenItSays()
{
    QFETCH(QByteArray, faults);
    PARSE(flow, pingFlow(faults, "10/s"));
    Simulator sim(flow, 1);
    const EventBatch events = collect(sim, 25 * S);
    QCOMPARE(events.size(), 250); // Pings at 0 to 24.9 s (sink emits nothing; 25 s is the run's end, not in it)
    qint64 last = 0;
    int at15 = 0, at17 = 0, at20 = 0;
    for (const Event& e : events) {
        const qint64 t = e.time - sim.startTime();
        QVERIFY2(t >= last, qPrintable(describe(e)));
        last = t;
        at15 += t == 15 * S;
        at17 += t == 17 * S;
        at20 += t == 20 * S;
    }
    QCOMPARE(at15, 51); // 10.0 to 15.0 s
    QCOMPARE(at17, 11); // 16.0 to 17.0 s
    QCOMPARE(at20, 1);  // its own
}

// checkout orchestrates an order saga and is down from 5 s to 25 s. Each order waits 2 s for
// stock that takes 3 s each. The timers of the orders of 0, 1 and 2 s fire while it is up, and
// it refunds; those of 3 and 4 s come due while it is down, and fire when it is back at 25 s,
// not before. Nothing of the saga comes from checkout while it is down.
void TestSimFaults::downOrchestratorRunsNoTimers()
{
    PARSE(flow, "flowscope: 1\n"
                "correlation: ext.correlationid\n"
                "channels:\n"
                "  orders:   [OrderPlaced, OrderCancelled]\n"
                "  commands: [ReserveStock, RefundPayment]\n"
                "  stock:    [StockReserved]\n"
                "  payments: [PaymentRefunded]\n"
                "services:\n"
                "  checkout:\n"
                "    sim: { workers: 4, service_time: 1ms }\n"
                "  inventory:\n"
                "    when: { ReserveStock: { emit: StockReserved } }\n"
                "    sim: { workers: 1, service_time: 3s }\n"
                "  payment:\n"
                "    when: { RefundPayment: { emit: PaymentRefunded } }\n"
                "sagas:\n"
                "  order:\n"
                "    orchestrator: checkout\n"
                "    start: OrderPlaced\n"
                "    timeout: 2s\n"
                "    states:\n"
                "      reserving: { send: ReserveStock, when: { StockReserved: done }, on_timeout: refunding }\n"
                "      refunding: { send: RefundPayment, when: { PaymentRefunded: cancelled }, timeout: 10s }\n"
                "      done:      { outcome: completed }\n"
                "      cancelled: { outcome: compensated, send: OrderCancelled }\n"
                "simulation:\n"
                "  load:\n"
                "    - { emit: OrderPlaced, from: checkout, rate: 1/s, arrival: constant, stop: 9s }\n"
                "  faults:\n"
                "    - { at: 5s, service: checkout, down: 20s }\n");
    Simulator sim(flow, 1);
    const EventBatch events = collect(sim, 40 * S);
    int refundsBefore = 0, refundsAt25 = 0;
    for (const Event& e : events) {
        const qint64 t = e.time - sim.startTime();
        if (e.source == "checkout" && e.type != "OrderPlaced") // its load is not its handling
            QVERIFY2(t < 5 * S || t >= 25 * S, qPrintable(describe(e)));
        if (e.type == "RefundPayment") {
            refundsBefore += t < 5 * S;
            refundsAt25 += t == 25 * S;
        }
    }
    QCOMPARE(refundsBefore, 3); // orders of 0, 1, 2 s time out at 2.001, 3.001, 4.001 s
    QCOMPARE(refundsAt25, 2);   // those of 3 and 4 s were due at 5.001 and 6.001 s
}

// A delay of 1 s on src's channel for 0-20 s, and one of 10 ms for 5-10 s: each delivery is late
// by the sum of the delays on at its publication, and when the short one ends the long one is
// still there. Before the fix the second replaced the first, even after it ended.
void TestSimFaults::overlappingDelaysAddUp()
{
    PARSE(flow, pingFlow("    - { at: 0s, channel: src, delay: 1s,   for: 20s }\n"
                         "    - { at: 5s, channel: src, delay: 10ms, for: 5s }\n",
                         "1/s"));
    // sink takes each Ping as it arrives (100 workers, no time): its `taken` counts arrivals
    Simulator sim(flow, 1);
    // to 18 s: the Ping of 19 s arrives at 20 s with the Ping of 20 s, the first without delay
    for (qint64 second = 0; second < 19; ++second) {
        sim.runUntil(second * S + 1); // the Ping of `second` is published
        const qint64 before = statsOf(sim.stats(), u"sink"_s).taken;
        const qint64 late = second >= 5 && second < 10 ? 1010 * Ms : 1000 * Ms;
        sim.runUntil(second * S + late); // what comes at that time is not in the run yet
        QVERIFY2(statsOf(sim.stats(), u"sink"_s).taken == before, qPrintable(u"the Ping of %1 s came early"_s.arg(second)));
        sim.runUntil(second * S + late + 1);
        QVERIFY2(statsOf(sim.stats(), u"sink"_s).taken == before + 1,
                 qPrintable(u"the Ping of %1 s did not come %2 ms later"_s.arg(second).arg(late / Ms)));
    }
}

// A fault given to the simulator after it was made (the CLI's --fault, the window's Faults menu
// at the start), at 0 s, acts on the event at 0 s as one in the file does.
void TestSimFaults::faultAtStartActsOnTheFirstEvent()
{
    PARSE(inFile, pingFlow("    - { at: 0s, channel: src, drop: 100%, for: 10s }\n", "1/s"));
    Simulator a(inFile, 1);
    a.runUntil(4500 * Ms);
    PARSE(plain, pingFlow({}, "1/s"));
    Simulator b(plain, 1);
    QList<FlowError> errors;
    const auto fault = FlowFileParser::parseFault(u"at: 0s, channel: src, drop: 100%, for: 10s"_s, *plain, &errors);
    QVERIFY(fault);
    b.injectFault(*fault);
    b.runUntil(4500 * Ms);
    for (Simulator* sim : { &a, &b }) {
        const ServiceStats& sink = statsOf(sim->stats(), u"sink"_s);
        QCOMPARE(sink.dropped, qint64(5)); // 0, 1, 2, 3, 4 s
        QCOMPARE(sink.processed, qint64(0));
    }
}

// A function gets a burst of 10 at 0 s (10 cold starts), then one event a second from 1 s.
// Each of those goes to the instance that finished last, so one instance stays warm and the
// other nine stop 5 s (the idle timeout) after they finished. Before the fix one timer served
// the whole function and every completion pushed it back: all ten stayed warm as long as the
// stream went on.
void TestSimFaults::idleInstancesStopOneByOne()
{
    PARSE(flow, "flowscope: 1\n"
                "services:\n"
                "  src: {}\n"
                "  fn:\n"
                "    when: { Job: {} }\n"
                "    sim:\n"
                "      service_time: 100ms\n"
                "      serverless: { concurrency: 20, cold_start: 500ms, idle_timeout: 5s }\n"
                "simulation:\n"
                "  load:\n"
                "    - { emit: Job, from: src, burst: { size: 10, every: 60s } }\n"
                "    - { emit: Job, from: src, rate: 1/s, arrival: constant, start: 1s }\n");
    Simulator sim(flow, 1);
    sim.runUntil(5500 * Ms); // the burst ended at 0.6 s: none idle for 5 s yet
    QCOMPARE(statsOf(sim.stats(), u"fn"_s).warm, 10);
    sim.runUntil(5700 * Ms); // the nine idle since 0.6 s stopped at 5.6 s
    QCOMPARE(statsOf(sim.stats(), u"fn"_s).warm, 1);
    sim.runUntil(59 * S);
    QCOMPARE(statsOf(sim.stats(), u"fn"_s).warm, 1);
    QCOMPARE(statsOf(sim.stats(), u"fn"_s).coldStarts, qint64(10));
    // 60 s: the burst (scheduled first) takes the warm instance and starts nine cold, then the
    // stream's event of 60 s finds all ten busy and starts one more
    sim.runUntil(61 * S);
    QCOMPARE(statsOf(sim.stats(), u"fn"_s).coldStarts, qint64(20));
}

// A rate curve through 0/s: the load pauses and comes back. Counts are Poisson: the expected
// number (the curve's integral) within 4 standard deviations. Before the fix a rate of 0 ended
// the generator for good: 1 event in all for "from zero", the last at 5 s for "pause".
void TestSimFaults::curveThroughZero_data()
{
    QTest::addColumn<QByteArray>("curve");
    QTest::addColumn<double>("firstTen");  // expected events in [0, 10 s)
    QTest::addColumn<double>("secondTen"); // in [10, 20 s)
    QTest::addColumn<double>("quietFrom"); // no event in [quietFrom, quietTo) s
    QTest::addColumn<double>("quietTo");
    QTest::newRow("from zero") << QByteArray("{ 0s: 0/s, 10s: 100/s }") << 500.0 << 1000.0 << 0.0 << 0.0;
    QTest::newRow("pause") << QByteArray("{ 0s: 100/s, 5s: 0/s, 6s: 0/s, 10s: 100/s }") << 450.0 << 1000.0 << 5.0
                           << 6.0;
    QTest::newRow("zero throughout") << QByteArray("{ 0s: 0/s, 10s: 0/s }") << 0.0 << 0.0 << 0.0 << 20.0;
}

void TestSimFaults::curveThroughZero()
{
    QFETCH(QByteArray, curve);
    QFETCH(double, firstTen);
    QFETCH(double, secondTen);
    QFETCH(double, quietFrom);
    QFETCH(double, quietTo);
    PARSE(flow, curveFlow(curve));
    Simulator sim(flow, 3);
    const EventBatch events = collect(sim, 20 * S - 1);
    int first = 0, second = 0;
    for (const Event& e : events) {
        const double t = double(e.time - sim.startTime()) / 1e6;
        QVERIFY2(t < quietFrom || t >= quietTo, qPrintable(describe(e)));
        (t < 10 ? first : second) += 1;
    }
    QVERIFY2(std::abs(first - firstTen) <= 4 * std::sqrt(firstTen), qPrintable(u"%1 in the first 10 s"_s.arg(first)));
    QVERIFY2(std::abs(second - secondTen) <= 4 * std::sqrt(secondTen), qPrintable(u"%1 in the next 10 s"_s.arg(second)));
}

// The count over a rising curve is its integral: 0 to 1000/s over 100 s is 50,000 (standard
// deviation 224); 4 standard deviations are 1.8 %. Drawing each gap at the rate of its start,
// as before the fix, comes out short on a rising curve (and here never starts: the rate at 0 s is 0).
void TestSimFaults::curveRateIsTheCurves()
{
    PARSE(flow, curveFlow("{ 0s: 0/s, 100s: 1000/s }"));
    Simulator sim(flow, 7);
    sim.runUntil(100 * S - 1);
    const double n = double(sim.eventsEmitted());
    QVERIFY2(std::abs(n - 50000) <= 4 * std::sqrt(50000.0), qPrintable(u"%1 events"_s.arg(n)));
}

// A service cut off from the broker 5-7 s and down 5-50 s: what it publishes (its load goes on
// while it is down) waits for the partition's end at 7 s, not for the outage's at 50 s. Before
// the fix one "back up" time served both, and its publishes waited until 50 s.
void TestSimFaults::downAndPartitionEndApart()
{
    PARSE(flow, pingFlow("    - { at: 5s, service: src, partition: 2s }\n"
                         "    - { at: 5s, service: src, down: 45s }\n",
                         "1/s"));
    Simulator sim(flow, 1);
    const EventBatch events = collect(sim, 10 * S);
    int at7 = 0;
    for (const Event& e : events) {
        const qint64 t = e.time - sim.startTime();
        QVERIFY2(t < 5 * S || t >= 7 * S, qPrintable(describe(e))); // held while partitioned
        at7 += t == 7 * S;
    }
    QCOMPARE(at7, 3);           // the Pings of 5, 6 and 7 s: a down service's load goes on (docs/simulator.md)
    QCOMPARE(events.size(), 10); // 0 to 9 s, none lost
}

// `at` and `for` that add up past what 64 bits hold (7.2e18 + 2.16e18 µs): the fault lasts to the
// end of time. Before the fix its end wrapped to a time before its start and came first, which
// left a down service unable to work ever again and crashed at a delay fault's end.
void TestSimFaults::faultPastTheEndOfTime()
{
    PARSE(flow, pingFlow({}, "1/s"));
    Simulator sim(flow, 1);
    QList<FlowError> errors;
    for (const QString& spec : { u"at: 2000000000h, service: sink, down: 600000000h"_s,
                                 u"at: 2000000000h, channel: src, delay: 1s, for: 600000000h"_s }) {
        const auto fault = FlowFileParser::parseFault(spec, *flow, &errors);
        QVERIFY2(fault, qPrintable(spec));
        sim.injectFault(*fault);
    }
    sim.runUntil(10 * S);
    const ServiceStats& sink = statsOf(sim.stats(), u"sink"_s);
    QCOMPARE(sink.processed, qint64(10)); // 0 to 9 s: neither fault has begun
}

// A curve that ends at 0/s: the generator stops (before the fix it drew candidates at the peak
// rate for ever, 0.8 s of CPU for 200 s of a 100,000/s peak), and nothing is left scheduled.
void TestSimFaults::curveEndingAtZeroStops()
{
    PARSE(flow, curveFlow("{ 0s: 1000/s, 1s: 0/s, 2s: 0/s, 3s: 1000/s, 4s: 0/s }"));
    Simulator sim(flow, 5);
    const EventBatch events = collect(sim, 10 * S);
    QCOMPARE(sim.pendingWork(), qint64(0));
    int first = 0, second = 0;
    for (const Event& e : events) {
        const double t = double(e.time - sim.startTime()) / 1e6;
        QVERIFY2(t < 1 || (t >= 2 && t < 4), qPrintable(describe(e)));
        (t < 1 ? first : second) += 1;
    }
    // 500 expected in [0, 1 s), 1000 in [2, 4 s): within 4 standard deviations
    QVERIFY2(std::abs(first - 500) <= 4 * std::sqrt(500.0), qPrintable(u"%1"_s.arg(first)));
    QVERIFY2(std::abs(second - 1000) <= 4 * std::sqrt(1000.0), qPrintable(u"%1"_s.arg(second)));
}

QTEST_GUILESS_MAIN(TestSimFaults)
#include "tst_simfaults.moc"
