// SPDX-License-Identifier: MIT
// The simulator against queueing theory (M/M/1, M/M/c, Little's law), the retry schedule to the
// microsecond, a 30 s outage building and draining its backlog, determinism by seed, channel
// faults, serverless functions, conservation of events on random flows, and bad `simulation:`
// sections with their file:line:column.
#include <flowfileparser.h>
#include <agenda.h>
#include <random.h>
#include <simulator.h>

#include <QFile>
#include <QJsonDocument>
#include <QScopeGuard>
#include <QJsonObject>
#include <QSet>
#include <QTest>

#include <cmath>
#include <memory>
#include <random>

using namespace Qt::StringLiterals;
using namespace FlowScope;
using FlowScope::Sim::ServiceStats;
using FlowScope::Sim::Simulator;

class TestSimulator : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void agendaOrder();
    void mm1_data();
    void mm1();
    void mmc_data();
    void mmc();
    void littlesLaw();
    void retrySchedule_data();
    void retrySchedule();
    void outageBacklog_data();
    void outageBacklog();
    void lagTime_data();
    void lagTime();
    void determinismBySeed();
    void withoutSinkSameRun_data();
    void withoutSinkSameRun();
    void idsOutliveTheSimulator();
    void channelDrop();
    void channelDuplicate();
    void serverless_data();
    void serverless();
    void conservation_data();
    void conservation();
    void conservationOrchestrated();
    void badSimulation_data();
    void badSimulation();
};

namespace {

constexpr qint64 Ms = 1000;
constexpr qint64 S = 1'000'000;

// Parses `yaml`; on failure returns null and puts the errors into `why`.
std::shared_ptr<const Flow> parseFlow(const QByteArray& yaml, QString* why)
{
    FlowParseResult r = FlowFileParser::parseText(yaml, u"sim.yaml"_s);
    if (!r.ok()) {
        *why = r.errorText();
        return nullptr;
    }
    return std::make_shared<const Flow>(std::move(*r.flow));
}

#define PARSE(var, yaml)                                                                                               \
    QString var##Errors;                                                                                               \
    const std::shared_ptr<const Flow> var = parseFlow(yaml, &var##Errors);                                             \
    QVERIFY2(var, qPrintable(var##Errors))

// One station: Poisson arrivals at `lambda`/s of `Job` into `station`, `workers` workers with
// `serviceTime`, an unbounded queue, and a broker without latency, so that the arrivals at the
// station are the Poisson stream itself.
QByteArray stationFlow(int workers, const QString& serviceTime, double lambda)
{
    return u"flowscope: 1\n"
           "services:\n"
           "  station:\n"
           "    when: { Job: {} }\n"
           "    sim: { workers: %1, service_time: %2 }\n"
           "simulation:\n"
           "  broker: { latency: 0 }\n"
           "  load:\n"
           "    - { emit: Job, rate: %3/s }\n"_s.arg(workers)
               .arg(serviceTime)
               .arg(lambda)
               .toUtf8();
}

// Mean sojourn time (ms) of the station after `customers` arrivals, in `batches` batches; also the
// standard error of that mean from the batch means (for the log and the tolerance check).
struct Measured {
    double meanMs = 0;
    double batchSeMs = 0;
    qint64 processed = 0;
};

Measured measureStation(const std::shared_ptr<const Flow>& flow, quint64 seed, double lambda, qint64 customers)
{
    constexpr int Batches = 20;
    Simulator sim(flow, seed);
    const qint64 length = qint64(double(customers) / lambda * 1e6);
    double lastSum = 0;
    qint64 lastCount = 0;
    std::vector<double> means;
    for (int b = 1; b <= Batches; ++b) {
        sim.runUntil(length * b / Batches);
        const ServiceStats s = sim.stats().front();
        means.push_back((s.latencySumMicros - lastSum) / double(s.processed - lastCount) / 1000.0);
        lastSum = s.latencySumMicros;
        lastCount = s.processed;
    }
    const ServiceStats s = sim.stats().front();
    double grand = 0;
    for (double m : means)
        grand += m;
    grand /= Batches;
    double var = 0;
    for (double m : means)
        var += (m - grand) * (m - grand);
    var /= Batches - 1;
    return { s.meanLatencyMillis(), std::sqrt(var / Batches), s.processed };
}

// Erlang C: the probability that an arrival waits, c servers, offered load a = λ/μ < c.
double erlangC(int c, double a)
{
    double sum = 0;
    double term = 1; // a^k / k!
    for (int k = 0; k < c; ++k) {
        sum += term;
        term *= a / (k + 1);
    }
    const double top = term * c / (c - a); // a^c / c! · c / (c − a)
    return top / (sum + top);
}

EventBatch runCollect(const std::shared_ptr<const Flow>& flow, quint64 seed, qint64 until)
{
    EventBatch all;
    Simulator sim(flow, seed);
    sim.setSink([&](EventBatch&& b) { all.append(b); }, 512);
    sim.runUntil(until);
    return all;
}

QString describe(const Event& e)
{
    return u"seq=%1 id=%2 type=%3 source=%4 subject=%5 time=%6 spec=%7 dct=%8 schema=%9 corr=%10 cause=%11 trace=%12 "
           "ext=%13 ingest=%14 channel=%15 partition=%16 offset=%17 key=%18 brokerTime=%19 headers=%20 payload=%21 "
           "format=%22 flags=%23 error=%24"_s.arg(e.seq)
               .arg(QString::fromUtf8(e.id), QString::fromUtf8(e.type), QString::fromUtf8(e.source),
                   QString::fromUtf8(e.subject()))
               .arg(e.time)
               .arg(QString::fromUtf8(e.specVersion), QString::fromUtf8(e.dataContentType),
                   QString::fromUtf8(e.dataSchema()), QString::fromUtf8(e.correlationId),
                   QString::fromUtf8(e.causationId), QString::fromUtf8(e.traceParent()), QString::fromUtf8(e.extensions()))
               .arg(e.ingestTime)
               .arg(QString::fromUtf8(e.channel))
               .arg(e.partition)
               .arg(e.offset)
               .arg(QString::fromUtf8(e.key))
               .arg(e.brokerTime)
               .arg(e.headers().size())
               .arg(QString::fromUtf8(e.payload))
               .arg(int(e.format))
               .arg(int(e.flags))
               .arg(QString::fromUtf8(e.error()));
}

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

} // namespace

// ---------------------------------------------------------------------------------------------
// M/M/1: W = 1/(μ − λ). μ = 100/s (exp(10ms)); ρ = 0.5, 0.8, 0.9.
//
// Run lengths and tolerances. Successive sojourn times are strongly correlated near saturation,
// so the mean of n of them is much noisier than n independent samples. Whitt (1989) gives the
// asymptotic variance of the mean wait in M/M/1 as σ²/n with σ² = ρ(2 + 5ρ − 4ρ² + ρ³)/(1 − ρ)⁴
// in units of 1/μ² (29 at ρ = 0.5, 1976 at 0.8, 35900 at 0.9), so the relative standard error
// of W = 1/(μ − λ) is about
//   ρ = 0.5, n = 300k: 0.5 %;   ρ = 0.8, n = 1M: 0.9 %;   ρ = 0.9, n = 1.5M: 1.55 %
// (the batch means below measure a little more at ρ = 0.5, where the service time's own
// variance matters). The tolerances, 2.5 %, 3 % and 5 %, are 3 to 5 standard errors: a correct
// engine passes for any seed (the seed is fixed anyway: the test is reproducible), while a model
// error (latency from the start of service instead of the arrival, a lost worker, a wrong rate
// unit) is off by 20 % or more. The run's own batch-means standard error (20 batches) must be
// below tolerance/2.5, so the justification holds for the run as measured, not only on paper.
// About 0.7 µs of wall time per customer: 2.8M customers ≈ 2 s in RelWithDebInfo.
void TestSimulator::mm1_data()
{
    QTest::addColumn<double>("lambda");
    QTest::addColumn<qint64>("customers");
    QTest::addColumn<double>("tolerance");
    QTest::newRow("rho=0.5") << 50.0 << qint64(300'000) << 0.025;
    QTest::newRow("rho=0.8") << 80.0 << qint64(1'000'000) << 0.03;
    QTest::newRow("rho=0.9") << 90.0 << qint64(1'500'000) << 0.05;
}

void TestSimulator::mm1()
{
    QFETCH(double, lambda);
    QFETCH(qint64, customers);
    QFETCH(double, tolerance);
    const double mu = 100.0;
    PARSE(flow, stationFlow(1, u"exp(10ms)"_s, lambda));
    const Measured m = measureStation(flow, 20270101, lambda, customers);
    const double theory = 1000.0 / (mu - lambda); // ms
    qInfo("M/M/1 rho=%.2f: W simulated %.4f ms (batch SE %.4f ms) vs 1/(mu-lambda) = %.4f ms: %+.2f %% over %lld",
        lambda / mu, m.meanMs, m.batchSeMs, theory, 100.0 * (m.meanMs / theory - 1), m.processed);
    QVERIFY(m.processed > customers * 98 / 100);
    QVERIFY2(std::abs(m.meanMs / theory - 1) < tolerance,
        qPrintable(u"W = %1 ms, theory %2 ms"_s.arg(m.meanMs).arg(theory)));
    QVERIFY2(m.batchSeMs < tolerance * theory / 2.5, qPrintable(u"batch SE %1 ms"_s.arg(m.batchSeMs)));
}

// M/M/c: W = C(c, a)/(cμ − λ) + 1/μ with a = λ/μ. Same reasoning for the tolerance as for
// M/M/1: the waiting part is what is noisy, and it is a smaller share of W with more servers;
// at these lengths the batch standard error is about 0.8 %, so 3.5 % is over 4 of them
// (checked below, as above).
void TestSimulator::mmc_data()
{
    QTest::addColumn<int>("servers");
    QTest::addColumn<double>("lambda");
    QTest::addColumn<qint64>("customers");
    QTest::addColumn<double>("tolerance");
    QTest::newRow("c=2 rho=0.8") << 2 << 160.0 << qint64(600'000) << 0.035;
    QTest::newRow("c=4 rho=0.85") << 4 << 340.0 << qint64(800'000) << 0.035;
}

void TestSimulator::mmc()
{
    QFETCH(int, servers);
    QFETCH(double, lambda);
    QFETCH(qint64, customers);
    QFETCH(double, tolerance);
    const double mu = 100.0;
    PARSE(flow, stationFlow(servers, u"exp(10ms)"_s, lambda));
    const Measured m = measureStation(flow, 7, lambda, customers);
    const double a = lambda / mu;
    const double theory = 1000.0 * (erlangC(servers, a) / (servers * mu - lambda) + 1.0 / mu);
    qInfo("M/M/%d rho=%.2f: W simulated %.4f ms (batch SE %.4f ms) vs Erlang C %.4f ms (C = %.4f): %+.2f %%", servers,
        a / servers, m.meanMs, m.batchSeMs, theory, erlangC(servers, a), 100.0 * (m.meanMs / theory - 1));
    QVERIFY2(std::abs(m.meanMs / theory - 1) < tolerance,
        qPrintable(u"W = %1 ms, Erlang C %2 ms"_s.arg(m.meanMs).arg(theory)));
    QVERIFY2(m.batchSeMs < tolerance * theory / 2.5, qPrintable(u"batch SE %1 ms"_s.arg(m.batchSeMs)));
}

// Little's law L = λW, on a station that is not M/M/c (two workers, uniform service times), so
// it checks the bookkeeping rather than a formula: L is the time average of queue + busy,
// sampled every 5 ms of sim time; W is the simulator's own mean latency; λ the configured rate.
// Both sides come from the same sample path, so their statistical noise largely cancels; what
// is left is the grid sampling (≈ 400k samples) and the realized versus configured λ (≈ 160k
// Poisson arrivals: 0.25 % SD): 2 % is several times that.
void TestSimulator::littlesLaw()
{
    const double lambda = 80.0;
    PARSE(flow, stationFlow(2, u"\"uniform(5ms, 35ms)\""_s, lambda));
    Simulator sim(flow, 99);
    const qint64 step = 5 * Ms;
    const qint64 length = 2000 * S;
    double area = 0;
    qint64 samples = 0;
    qint64 maxN = 0;
    for (qint64 t = step; t <= length; t += step) {
        sim.runUntil(t);
        const ServiceStats s = sim.stats().front();
        const qint64 n = s.queue + s.busy + s.held;
        QVERIFY(s.busy <= 2);
        area += double(n);
        maxN = std::max(maxN, n);
        ++samples;
    }
    const ServiceStats s = sim.stats().front();
    const double L = area / double(samples);
    const double lw = lambda * s.meanLatencyMillis() / 1000.0;
    qInfo("Little: L sampled %.4f vs lambda*W %.4f (W %.4f ms, %lld processed, max N %lld): %+.2f %%", L, lw,
        s.meanLatencyMillis(), s.processed, maxN, 100.0 * (L / lw - 1));
    QVERIFY(s.processed > 150'000);
    QVERIFY2(std::abs(L / lw - 1) < 0.02, qPrintable(u"L %1, lambda W %2"_s.arg(L).arg(lw)));
}

// ---------------------------------------------------------------------------------------------
// Retries with jitter 0, to the microsecond. One event arrives at t = 0 (a constant generator
// that stops before its second event). Each attempt takes the service time s; a failed attempt
// `n` (1-based retry number) waits min(cap, backoff · multiplier^(n−1)) and then goes to the
// front of the queue and starts at once (the worker is idle). So attempt k+1 starts at
// end_k + wait(k+1), and after the last retry fails the event is dead-lettered at the end of that
// attempt, published on the dead-letter channel at that very time.
//
// "failure": s = 7ms, backoff 100ms ×2 capped at 300ms, max 4:
//   starts 0, 7+100 = 107, 114+200 = 314, 321+300 = 621, 628+300 = 928; dead letter at 935 ms.
// "timeout": service time 50ms but timeout 20ms, so every attempt fails at 20 ms; backoff 10ms
//   ×3, no cap, max 2: starts 0, 20+10 = 30, 50+30 = 80; dead letter at 100 ms.
void TestSimulator::retrySchedule_data()
{
    QTest::addColumn<QString>("sim");
    QTest::addColumn<QList<qint64>>("starts"); // µs
    QTest::addColumn<qint64>("attempt"); // µs each attempt takes
    QTest::newRow("failure, capped backoff")
        << u"{ service_time: 7ms, failure: 1.0, dead_letter: dlq, "
           "retry: { max: 4, backoff: 100ms, multiplier: 2, cap: 300ms, jitter: 0 } }"_s
        << QList<qint64> { 0, 107 * Ms, 314 * Ms, 621 * Ms, 928 * Ms } << 7 * Ms;
    QTest::newRow("timeout, uncapped backoff") << u"{ service_time: 50ms, timeout: 20ms, dead_letter: dlq, "
                                                  "retry: { max: 2, backoff: 10ms, multiplier: 3, jitter: 0 } }"_s
                                               << QList<qint64> { 0, 30 * Ms, 80 * Ms } << 20 * Ms;
}

void TestSimulator::retrySchedule()
{
    QFETCH(QString, sim);
    QFETCH(QList<qint64>, starts);
    QFETCH(qint64, attempt);
    const QByteArray yaml = u"flowscope: 1\n"
                            "services:\n"
                            "  flaky:\n"
                            "    when: { Job: { emit: Done } }\n"
                            "    sim: %1\n"
                            "simulation:\n"
                            "  broker: { latency: 0 }\n"
                            "  load:\n"
                            "    - { emit: Job, arrival: constant, rate: 1/s, stop: 500ms }\n"_s.arg(sim)
                                .toUtf8();
    PARSE(flow, yaml);
    Simulator s(flow, 1);
    EventBatch events;
    s.setSink([&](EventBatch&& b) { events.append(b); });
    const int retries = int(starts.size()) - 1;
    // empty when the state at `t` is as expected
    const auto check = [&](qint64 t, int busy, int failed) -> QString {
        s.runUntil(t);
        const ServiceStats st = s.stats().front();
        if (st.busy == busy && st.failed == failed && st.retries == std::min(failed, retries))
            return {};
        return u"at %1 us: busy %2 (want %3), failed %4 (want %5), retries %6"_s.arg(t)
            .arg(st.busy)
            .arg(busy)
            .arg(st.failed)
            .arg(failed)
            .arg(st.retries);
    };
    for (int k = 0; k < starts.size(); ++k) {
        QString why;
        if (starts[k] > 0)
            why += check(starts[k] - 1, 0, k); // still waiting out the backoff
        why += check(starts[k], 1, k); // attempt k starts exactly now
        why += check(starts[k] + attempt - 1, 1, k);
        why += check(starts[k] + attempt, 0, k + 1); // and fails exactly now
        QVERIFY2(why.isEmpty(), qPrintable(why));
    }
    s.runUntil(10 * S);
    const ServiceStats st = s.stats().front();
    QCOMPARE(st.retries, qint64(retries));
    QCOMPARE(st.failed, qint64(retries + 1));
    QCOMPARE(st.deadLettered, qint64(1));
    QCOMPARE(st.processed, qint64(0));
    QCOMPARE(st.queue, qint64(0));

    QCOMPARE(events.size(), 2); // the job, and its dead letter; no Done
    const Event& job = events[0];
    const Event& dead = events[1];
    QCOMPARE(job.type, "Job");
    QCOMPARE(job.time, s.startTime());
    QCOMPARE(dead.type, "Job.deadletter");
    QCOMPARE(dead.channel, "dlq");
    QCOMPARE(dead.source, "flaky");
    QCOMPARE(dead.causationId, job.id);
    QCOMPARE(dead.correlationId, job.correlationId);
    QCOMPARE(dead.time - s.startTime(), starts.last() + attempt);
}

// ---------------------------------------------------------------------------------------------
// A 30 s outage. Constant arrivals at 100/s (t = 0, 10 ms, 20 ms, … exactly: the gap is
// 1e6/100 µs), 2 workers, 5 ms each: one event is handled long before the next arrives. The
// service is down from 10 s to 40 s; a fault scheduled at t takes effect before events at t.
//   - handled before the outage: arrivals 0 … 9.99 s = 1000;
//   - at 39.9 s waiting (queue + held): arrivals 10.00 … 39.90 s = 2991; max backlog 3000
//     (arrivals 10.00 … 39.99 s, the moment before the service is back);
//   - from 40 s both workers take 2 events per 5 ms (400/s) while 100/s arrive; at 44.999 s:
//     3000 + 500 arrivals (40.00 … 44.99) − 1998 done (pairs started 40.000 … 44.990 s) = 1502
//     in the system, 2 of them busy;
//   - the backlog is gone after ≈ 3000/(400 − 100) = 10 s; at 55.007 s nothing is there (the
//     55.00 s arrival was done at 55.005 s); generation stops at 60 s: 6000 events, all handled.
// With `queue: 500` the queue fills at 500 and the rest is held by the broker (lag), in order,
// and none is lost: the same totals. With `queue: 0` nothing waits at the service: the broker
// holds all of the backlog, the workers take from it as they free up, and the totals are the same.
void TestSimulator::outageBacklog_data()
{
    QTest::addColumn<QString>("queue");
    QTest::addColumn<qint64>("maxQueue");
    QTest::addColumn<qint64>("heldAt399");
    QTest::newRow("unbounded") << u"unbounded"_s << qint64(3000) << qint64(0);
    QTest::newRow("queue 500") << u"500"_s << qint64(500) << qint64(2491);
    // no waiting room: a delivery is taken only by a free worker; everything else is lag
    QTest::newRow("queue 0") << u"0"_s << qint64(0) << qint64(2991);
}

void TestSimulator::outageBacklog()
{
    QFETCH(QString, queue);
    QFETCH(qint64, maxQueue);
    QFETCH(qint64, heldAt399);
    const QByteArray yaml = u"flowscope: 1\n"
                            "services:\n"
                            "  payment:\n"
                            "    when: { Job: {} }\n"
                            "    sim: { workers: 2, service_time: 5ms, queue: %1 }\n"
                            "simulation:\n"
                            "  broker: { latency: 0 }\n"
                            "  load:\n"
                            "    - { emit: Job, arrival: constant, rate: 100/s, stop: 60s }\n"
                            "  faults:\n"
                            "    - { at: 10s, service: payment, down: 30s }\n"_s.arg(queue)
                                .toUtf8();
    PARSE(flow, yaml);
    Simulator sim(flow, 3);
    qint64 generated = 0;
    sim.setSink([&](EventBatch&& b) {
        for (const Event& e : b)
            generated += e.type == "Job";
    });
    const auto at = [&](qint64 t) {
        sim.runUntil(t);
        return sim.stats().front();
    };
    ServiceStats s = at(9999 * Ms);
    QCOMPARE(s.processed, qint64(1000));
    QCOMPARE(s.queue + s.held + s.busy, qint64(0));

    s = at(39'900 * Ms);
    QCOMPARE(s.processed, qint64(1000));
    QCOMPARE(s.busy, 0);
    QCOMPARE(s.queue + s.held, qint64(2991));
    QCOMPARE(s.held, heldAt399);
    QCOMPARE(s.dropped, qint64(0));

    s = at(44'999 * Ms);
    QCOMPARE(s.busy, 2);
    QCOMPARE(s.queue + s.held + s.busy, qint64(1502));
    QCOMPARE(s.maxQueue, maxQueue);

    s = at(55'007 * Ms);
    QCOMPARE(s.queue + s.held + s.busy, qint64(0));

    s = at(120 * S);
    QCOMPARE(generated, qint64(6000));
    QCOMPARE(s.processed, generated);
    QCOMPARE(s.queue + s.held + s.busy, qint64(0));
    QCOMPARE(s.dropped, qint64(0));
    QCOMPARE(s.failed, qint64(0));
    QCOMPARE(s.deadLettered, qint64(0));
    QCOMPARE(s.maxQueue, maxQueue);
    QCOMPARE(sim.pendingWork(), qint64(0));
}

// ---------------------------------------------------------------------------------------------
// Same flow and seed: the same events, every field (Event's operator== is the defaulted
// member-wise one). Another seed: different events. The flow uses every random draw there is:
// Poisson arrivals, payload templates, broker latency, partitions, branching, failures with
// jittered retries, serverless cold starts and faults.
// Three jobs at once (a burst at 0), one worker, 10 ms each, no broker latency. A service's
// latency runs from the delivery's entry into its queue; the time the broker held it back (no
// room) is lag. Unbounded: latencies 10, 20, 30 ms, no lag. `queue: 1`: the third waits at the
// broker until 10 ms (lag 10 ms), then 20 ms in the queue. `queue: 0`: the second and third wait
// 10 and 20 ms at the broker and are handled in 10 ms each.
void TestSimulator::lagTime_data()
{
    QTest::addColumn<QString>("queue");
    QTest::addColumn<double>("latencyMs");
    QTest::addColumn<double>("lagMs");
    QTest::addColumn<qint64>("maxQueue");
    QTest::newRow("unbounded") << u"unbounded"_s << 20.0 << 0.0 << qint64(2);
    QTest::newRow("queue 1") << u"1"_s << 50.0 / 3 << 10.0 / 3 << qint64(1);
    QTest::newRow("queue 0") << u"0"_s << 10.0 << 10.0 << qint64(0);
}

void TestSimulator::lagTime()
{
    QFETCH(QString, queue);
    QFETCH(double, latencyMs);
    QFETCH(double, lagMs);
    QFETCH(qint64, maxQueue);
    PARSE(flow, u"flowscope: 1\n"
                "services:\n"
                "  s:\n"
                "    when: { Job: {} }\n"
                "    sim: { workers: 1, queue: %1, service_time: 10ms }\n"
                "simulation:\n"
                "  load:\n"
                "    - { emit: Job, burst: { size: 3, every: 1s } }\n"_s.arg(queue)
                    .toUtf8());
    Simulator sim(flow, 1);
    sim.runUntil(500 * Ms);
    const ServiceStats s = sim.stats().front();
    QCOMPARE(s.processed, qint64(3));
    QCOMPARE(s.taken, qint64(3));
    QCOMPARE(s.meanLatencyMillis(), latencyMs);
    QCOMPARE(s.meanLagMillis(), lagMs);
    QCOMPARE(s.maxQueue, maxQueue);
    QCOMPARE(sim.statsJson().value(u"s").toObject().value(u"mean_lag_ms").toDouble(), lagMs);
}

void TestSimulator::determinismBySeed()
{
    static const char yaml[] = R"yaml(flowscope: 1
channels:
  orders: [OrderPlaced]
  payments: [PaymentOk, PaymentFailed]
services:
  shop: {}
  payment:
    when: { OrderPlaced: { emit: { PaymentOk: 0.9, PaymentFailed: 0.05 } } }
    sim: { workers: 2, service_time: "lognormal(8ms, 0.5)", failure: 0.1, dead_letter: dlq, retry: { max: 2, backoff: 10ms, jitter: 0.5 } }
  shipping:
    when: { PaymentOk: { emit: Shipped } }
    sim: { service_time: exp(5ms), serverless: { concurrency: 4, cold_start: exp(50ms), idle_timeout: 1s } }
simulation:
  broker: { latency: exp(2ms), partitions: 3 }
  load:
    - { emit: OrderPlaced, from: shop, rate: 200/s, data: { orderId: "${id}", amount: "${lognormal(60,0.5)}", qty: "${int(1,5)}", tier: "${choice(gold,silver)}" } }
  faults:
    - { at: 2s, channel: payments, duplicate: 10%, for: 1s }
    - { at: 3s, service: payment, slow: 3x, for: 1s }
    - { at: 4s, channel: orders, drop: 5%, for: 1s }
)yaml";
    PARSE(flow, QByteArray(yaml));
    const EventBatch a = runCollect(flow, 42, 6 * S);
    const EventBatch b = runCollect(flow, 42, 6 * S);
    QVERIFY(a.size() > 2000);
    QCOMPARE(a.size(), b.size());
    for (qsizetype i = 0; i < a.size(); ++i)
        QVERIFY2(
            a[i] == b[i], qPrintable(u"event %1 differs:\n  %2\n  %3"_s.arg(i).arg(describe(a[i]), describe(b[i]))));

    // what a source must set, set on every event
    QSet<QByteArray> types;
    QSet<qint32> partitions;
    for (const Event& e : a) {
        QVERIFY(!e.id.isEmpty() && !e.type.isEmpty() && !e.source.isEmpty() && !e.channel.isEmpty());
        QVERIFY(e.hasTime() && e.time >= Simulator::DefaultStart && e.time <= Simulator::DefaultStart + 6 * S);
        QVERIFY(!e.correlationId.isEmpty());
        QVERIFY(e.offset >= 0 && e.partition >= 0 && e.partition < 3);
        QCOMPARE(e.causationId.isEmpty(), e.type == "OrderPlaced");
        types.insert(e.type);
        partitions.insert(e.partition);
    }
    QVERIFY(types.contains("PaymentOk") && types.contains("PaymentFailed") && types.contains("Shipped"));
    QCOMPARE(partitions.size(), 3);

    // the data template: every order's payload, numbers written as QByteArray::number writes them
    // (the simulator writes hundredths by hand)
    int orders = 0;
    for (const Event& e : a) {
        if (e.type != "OrderPlaced")
            continue;
        ++orders;
        const QJsonObject data = QJsonDocument::fromJson(e.payload).object();
        QCOMPARE(data.value(u"orderId").toString().toUtf8(), e.id);
        const double amount = data.value(u"amount").toDouble();
        QVERIFY(amount > 0);
        QVERIFY2(e.payload.contains(QByteArray("\"amount\":" + QByteArray::number(amount, 'g', 12) + ',')), e.payload.constData());
        const int qty = data.value(u"qty").toInt();
        QVERIFY(qty >= 1 && qty <= 5);
        QVERIFY2(e.payload.contains(QByteArray("\"qty\":" + QByteArray::number(qty) + ',')), e.payload.constData());
        QVERIFY(data.value(u"tier").toString() == u"gold" || data.value(u"tier").toString() == u"silver");
        QCOMPARE(e.flags & PayloadJson, int(PayloadJson));
    }
    QVERIFY(orders > 900);

    const EventBatch c = runCollect(flow, 43, 6 * S);
    bool differs = c.size() != a.size();
    for (qsizetype i = 0; !differs && i < a.size(); ++i)
        differs = !(a[i] == c[i]);
    QVERIFY2(differs, "seed 43 gave the same events as seed 42");
}

// ---------------------------------------------------------------------------------------------
// Without a sink the simulator builds no Event, and nothing else changes: the same statistics
// for every service, the same count of events, the same faults. Each demo flow (sagas, an
// orchestrator with timeouts and compensations, serverless functions, faults) and the
// determinism flow's mix of partitions, retries and dead letters, with a broker outage and a
// duplicate fault injected on top.
void TestSimulator::withoutSinkSameRun_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<qint64>("until");
    for (const char* name : { "shop", "order-saga", "orchestrated", "serverless", "outage" })
        QTest::newRow(name) << QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/%1.yaml").arg(QLatin1StringView(name))
                            << 90 * S;
}

void TestSimulator::withoutSinkSameRun()
{
    QFETCH(QString, file);
    QFETCH(qint64, until);
    FlowParseResult parsed = FlowFileParser::parseFile(file);
    QVERIFY2(parsed.ok(), qPrintable(parsed.errorText()));
    const auto flow = std::make_shared<const Flow>(std::move(*parsed.flow));
    QList<Fault> extra;
    for (const char* spec : { "at: 20s, broker: all, down: 5s", "at: 40s, broker: all, duplicate: 20%, for: 10s" }) {
        QList<FlowError> errors;
        const std::optional<Fault> fault = FlowFileParser::parseFault(QString::fromLatin1(spec), *flow, &errors);
        QVERIFY2(fault, errors.isEmpty() ? spec : qPrintable(errors.first().toString()));
        extra.append(*fault);
    }

    qint64 built = 0;
    Simulator with(flow, 7);
    with.setSink([&](EventBatch&& b) { built += b.size(); }, 1000);
    Simulator without(flow, 7);
    for (const Fault& f : extra) {
        with.injectFault(f);
        without.injectFault(f);
    }
    // in steps, as the window runs it
    for (qint64 t = 0; t <= until; t += 7 * S) {
        with.runUntil(t);
        without.runUntil(t);
    }
    QVERIFY(built > 5000);
    QCOMPARE(with.eventsEmitted(), built);
    QCOMPARE(without.eventsEmitted(), built);
    QCOMPARE(without.pendingWork(), with.pendingWork());
    QCOMPARE(QJsonDocument(without.statsJson()).toJson(), QJsonDocument(with.statsJson()).toJson());
    QCOMPARE(QJsonDocument(without.faultsJson()).toJson(), QJsonDocument(with.faultsJson()).toJson());
    const std::vector<ServiceStats> a = with.stats(), b = without.stats();
    QCOMPARE(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) { // the latency sums to the last bit, not as JSON rounds them
        QCOMPARE(b[i].latencySumMicros, a[i].latencySumMicros);
        QCOMPARE(b[i].processed, a[i].processed);
    }
}

// ---------------------------------------------------------------------------------------------
// Channel faults. 500 jobs at 100/s (t = 0 … 4.99 s) on channel `jobs` to `worker`, which emits
// Done for each. The fault window [at, at + for) holds the arrivals at its start and not the one
// at its end, so a 100 % drop from 1 s for 2 s loses exactly the 200 jobs 1.00 … 2.99 s.
namespace {
QByteArray channelFaultFlow(const char* fault)
{
    return QByteArray("flowscope: 1\n"
                      "channels:\n"
                      "  jobs: [Job]\n"
                      "services:\n"
                      "  worker:\n"
                      "    when: { Job: { emit: Done } }\n"
                      "    sim: { service_time: 1ms }\n"
                      "simulation:\n"
                      "  load:\n"
                      "    - { emit: Job, arrival: constant, rate: 100/s, stop: 5s }\n"
                      "  faults:\n"
                      "    - ")
        + fault + '\n';
}

// Job id -> how many Done events it caused; Job ids in time order.
void doneByJob(const EventBatch& events, QHash<QByteArray, int>* done, QList<const Event*>* jobs)
{
    for (const Event& e : events) {
        if (e.type == "Done")
            ++(*done)[e.causationId];
        else if (e.type == "Job")
            jobs->append(&e);
    }
}
} // namespace

void TestSimulator::channelDrop()
{
    PARSE(flow, channelFaultFlow("{ at: 1s, channel: jobs, drop: 100%, for: 2s }"));
    Simulator sim(flow, 5);
    EventBatch events;
    sim.setSink([&](EventBatch&& b) { events.append(b); });
    sim.runUntil(10 * S);
    const ServiceStats s = sim.stats().front();
    QCOMPARE(s.dropped, qint64(200));
    QCOMPARE(s.processed, qint64(300));
    QHash<QByteArray, int> done;
    QList<const Event*> jobs;
    doneByJob(events, &done, &jobs);
    QCOMPARE(jobs.size(), 500); // published (and seen on the channel), but not delivered
    for (const Event* job : jobs) {
        const qint64 t = job->time - sim.startTime();
        const bool lost = t >= 1 * S && t < 3 * S;
        QVERIFY2(done.value(job->id) == (lost ? 0 : 1), qPrintable(u"job at %1 us"_s.arg(t)));
    }
}

// 100 % duplicate for the whole run, from t = 0: every job is delivered and handled twice.
void TestSimulator::channelDuplicate()
{
    PARSE(flow, channelFaultFlow("{ at: 0s, channel: jobs, duplicate: 100%, for: 1h }"));
    Simulator sim(flow, 5);
    EventBatch events;
    sim.setSink([&](EventBatch&& b) { events.append(b); });
    sim.runUntil(10 * S);
    const ServiceStats s = sim.stats().front();
    QCOMPARE(s.processed, qint64(1000));
    QCOMPARE(s.dropped, qint64(0));
    QCOMPARE(s.duplicated, qint64(500));
    QHash<QByteArray, int> done;
    QList<const Event*> jobs;
    doneByJob(events, &done, &jobs);
    QCOMPARE(jobs.size(), 500);
    for (const Event* job : jobs)
        QVERIFY2(done.value(job->id) == 2, qPrintable(u"job at %1 us"_s.arg(job->time - sim.startTime())));
}

// Ids are carved from shared blocks (Simulator::nextId). Every message has its own id, e1 … eN,
// and an id stays valid and editable after the simulator and every other id of its block are gone.
void TestSimulator::idsOutliveTheSimulator()
{
    PARSE(flow, channelFaultFlow("{ at: 20s, channel: jobs, drop: 100%, for: 1s }"));
    EventBatch events = runCollect(flow, 5, 10 * S); // the simulator is gone when this returns
    QCOMPARE(events.size(), 1000); // 500 jobs, each with its Done
    QSet<QByteArray> ids;
    for (const Event& e : std::as_const(events)) {
        QVERIFY2(e.id.startsWith('e') && e.id.constData()[e.id.size()] == '\0', e.id.constData());
        ids.insert(e.id);
    }
    QCOMPARE(ids.size(), 1000);
    for (int n = 1; n <= 1000; ++n)
        QVERIFY2(ids.contains("e" + QByteArray::number(n)), qPrintable(u"e%1 missing"_s.arg(n)));
    ids.clear();
    // the last holder of its block: appending may reuse the block's room, and must not disturb
    // anything else
    QByteArray kept = events[17].id;
    const QByteArray expected = QByteArray(kept.constData(), kept.size()) + "-kept";
    QByteArray other = events[18].id;
    const QByteArray otherText(other.constData(), other.size());
    events.clear();
    kept.append("-kept");
    QCOMPARE(kept, expected);
    QCOMPARE(other, otherText);
    other.clear();
    kept.append(QByteArray(400, 'x')); // past the block (16 slots of 24 bytes): moves
    QCOMPARE(kept.size(), expected.size() + 400);
    QVERIFY(kept.startsWith(expected));
}

// ---------------------------------------------------------------------------------------------
// Serverless: bursts of 10 every 2 s (at 0, 2, 4 s), concurrency 3, cold start 50 ms, 20 ms per
// event, idle timeout 1 s (so it scales back to `min_instances` between bursts). Per burst:
//   min 0: 3 cold starts; 3 events end at 70 ms, 3 at 90, 3 at 110, 1 at 130: mean 94 ms;
//   min 1: 1 warm + 2 cold; the warm one ends at 20, 40, 60, 80, 100 ms, the cold ones at 70,
//          70, 90, 90, 110 ms: mean (20+40+60+80+100+70+70+90+90+110)/10 = 73 ms.
// Sampled every millisecond, busy never exceeds the concurrency and reaches it.
void TestSimulator::serverless_data()
{
    QTest::addColumn<int>("minInstances");
    QTest::addColumn<qint64>("coldStarts");
    QTest::addColumn<double>("meanMs");
    QTest::newRow("scale to zero") << 0 << qint64(9) << 94.0;
    QTest::newRow("one kept warm") << 1 << qint64(6) << 73.0;
}

void TestSimulator::serverless()
{
    QFETCH(int, minInstances);
    QFETCH(qint64, coldStarts);
    QFETCH(double, meanMs);
    const QByteArray yaml
        = u"flowscope: 1\n"
          "services:\n"
          "  fn:\n"
          "    when: { Job: {} }\n"
          "    sim:\n"
          "      service_time: 20ms\n"
          "      serverless: { concurrency: 3, cold_start: 50ms, idle_timeout: 1s, min_instances: %1 }\n"
          "simulation:\n"
          "  load:\n"
          "    - { emit: Job, burst: { size: 10, every: 2s }, stop: 5s }\n"_s.arg(minInstances)
              .toUtf8();
    PARSE(flow, yaml);
    Simulator sim(flow, 11);
    int maxBusy = 0;
    int maxWarm = 0;
    for (qint64 t = 0; t <= 6 * S; t += Ms) {
        sim.runUntil(t);
        const ServiceStats s = sim.stats().front();
        QVERIFY2(s.busy <= 3 && s.warm <= 3,
            qPrintable(u"at %1 ms: busy %2, warm %3"_s.arg(t / Ms).arg(s.busy).arg(s.warm)));
        QVERIFY(s.busy <= s.warm);
        maxBusy = std::max(maxBusy, s.busy);
        maxWarm = std::max(maxWarm, s.warm);
        if (t == 1500 * Ms || t == 5500 * Ms) // idle for more than the idle timeout
            QCOMPARE(s.warm, minInstances);
    }
    const ServiceStats s = sim.stats().front();
    QCOMPARE(maxBusy, 3);
    QCOMPARE(maxWarm, 3);
    QCOMPARE(s.processed, qint64(30));
    QCOMPARE(s.coldStarts, coldStarts);
    QCOMPARE(s.meanLatencyMillis(), meanMs);
}

// ---------------------------------------------------------------------------------------------
// Bad `simulation:` sections: the first error's exact line:column (1-based; line 1 is
// `flowscope: 1`), a piece of its message and of its hint.
void TestSimulator::badSimulation_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<QString>("where");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("hint");

    QTest::newRow("bad distribution") << QByteArray("flowscope: 1\n"
                                                    "simulation:\n"
                                                    "  broker: { latency: expo(2ms) }\n")
                                      << u"3:22"_s << u"expo"_s << QString();
    QTest::newRow("bad distribution argument") << QByteArray("flowscope: 1\n"
                                                             "channels:\n"
                                                             "  c: [A]\n"
                                                             "simulation:\n"
                                                             "  faults:\n"
                                                             "    - { at: 1s, channel: c, delay: exp(0ms), for: 2s }\n")
                                               << u"6:36"_s << u"exp"_s << QString();
    QTest::newRow("unknown service in a fault") << QByteArray("flowscope: 1\n"
                                                              "services:\n"
                                                              "  payment: {}\n"
                                                              "simulation:\n"
                                                              "  faults:\n"
                                                              "    - { at: 10s, service: paymnet, down: 30s }\n")
                                                << u"6:27"_s << u"`paymnet`"_s << u"`payment`"_s;
    QTest::newRow("negative rate") << QByteArray("flowscope: 1\n"
                                                 "simulation:\n"
                                                 "  load:\n"
                                                 "    - { emit: Job, rate: -5/s }\n")
                                   << u"4:26"_s << u"-5/s"_s << QString();
    QTest::newRow("unknown arrival kind") << QByteArray("flowscope: 1\n"
                                                        "simulation:\n"
                                                        "  load:\n"
                                                        "    - emit: Job\n"
                                                        "      rate: 10/s\n"
                                                        "      arrival: poison\n")
                                          << u"6:16"_s << u"poisson, constant, bursts or curve"_s << u"`poisson`"_s;
    QTest::newRow("probability above 1") << QByteArray("flowscope: 1\n"
                                                       "channels:\n"
                                                       "  jobs: [Job]\n"
                                                       "simulation:\n"
                                                       "  faults:\n"
                                                       "    - { at: 1s, channel: jobs, drop: 150%, for: 2s }\n")
                                         << u"6:38"_s << u"150%"_s << QString();
    QTest::newRow("error rate above 1") << QByteArray("flowscope: 1\n"
                                                      "services:\n"
                                                      "  pay: {}\n"
                                                      "simulation:\n"
                                                      "  faults:\n"
                                                      "    - { at: 1s, service: pay, error: 1.5, for: 2s }\n")
                                        << u"6:38"_s << u"1.5"_s << QString();
    QTest::newRow("unknown key with a hint") << QByteArray("flowscope: 1\n"
                                                           "simulation:\n"
                                                           "  sede: 4\n")
                                             << u"3:3"_s << u"`sede`"_s << u"`seed`"_s;
    QTest::newRow("unknown broker key with a hint") << QByteArray("flowscope: 1\n"
                                                                  "simulation:\n"
                                                                  "  broker: { latncy: 2ms }\n")
                                                    << u"3:13"_s << u"`latncy`"_s << u"`latency`"_s;
    QTest::newRow("kind that does not fit the target")
        << QByteArray("flowscope: 1\n"
                      "services:\n"
                      "  pay: {}\n"
                      "simulation:\n"
                      "  faults:\n"
                      "    - { at: 1s, service: pay, drop: 5%, for: 1s }\n")
        << u"6:31"_s << u"`drop` applies to a channel or the broker"_s << QString();
    QTest::newRow("stop before start") << QByteArray("flowscope: 1\n"
                                                     "simulation:\n"
                                                     "  load:\n"
                                                     "    - { emit: Job, rate: 1/s, start: 5s, stop: 2s }\n")
                                       << u"4:48"_s << u"`stop` (2s) must come after `start` (5s)"_s << QString();
    QTest::newRow("load from an unknown service") << QByteArray("flowscope: 1\n"
                                                                "services:\n"
                                                                "  orders: {}\n"
                                                                "simulation:\n"
                                                                "  load:\n"
                                                                "    - { emit: Job, from: ordres, rate: 1/s }\n")
                                                  << u"6:26"_s << u"`ordres`"_s << u"`orders`"_s;
    QTest::newRow("partitions 0") << QByteArray("flowscope: 1\n"
                                                "simulation:\n"
                                                "  broker: { partitions: 0 }\n")
                                  << u"3:25"_s << u"0"_s << QString();
}

void TestSimulator::badSimulation()
{
    QFETCH(QByteArray, yaml);
    QFETCH(QString, where);
    QFETCH(QString, message);
    QFETCH(QString, hint);
    const FlowParseResult r = FlowFileParser::parseText(yaml, u"sim.yaml"_s);
    QVERIFY(!r.ok());
    QVERIFY(!r.errors.isEmpty());
    const FlowError& e = r.errors.first();
    QVERIFY2(r.errorText().startsWith(u"sim.yaml:"_s + where + u": error: "_s), qPrintable(r.errorText()));
    QCOMPARE(QString::number(e.line) + u':' + QString::number(e.column), where);
    QVERIFY2(e.message.contains(message), qPrintable(e.message));
    if (!hint.isEmpty())
        QVERIFY2(e.hint.contains(hint), qPrintable(e.hint));
}

// The agenda pops in key order, whatever the pushes and pops interleaved (the simulator's
// determinism rests on it): many equal times, keys made distinct by a counter, as the simulator's.
void TestSimulator::agendaOrder()
{
    struct Item {
        qint64 time;
        quint64 order;
        bool operator<(const Item& o) const { return time != o.time ? time < o.time : order < o.order; }
    };
    Sim::Agenda<Item> agenda;
    std::vector<Item> popped, pushed;
    Rng rng(7);
    quint64 order = 0;
    qint64 now = 0;
    for (int round = 0; round < 20000; ++round) {
        const int pushes = int(rng.integer(0, 3));
        for (int k = 0; k < pushes; ++k) {
            const Item item { now + rng.integer(0, 20), order++ };
            agenda.push(item);
            pushed.push_back(item);
        }
        if (!agenda.empty() && rng.chance(0.6)) {
            const Item top = agenda.top();
            QVERIFY(top.time >= now); // nothing in the past: an agenda never goes back
            now = top.time;
            popped.push_back(top);
            agenda.pop();
        }
    }
    while (!agenda.empty()) {
        popped.push_back(agenda.top());
        agenda.pop();
    }
    QCOMPARE(popped.size(), pushed.size());
    // every push is at or after the last pop's time and later in order: the pops are sorted
    for (size_t i = 1; i < popped.size(); ++i)
        QVERIFY2(popped[i - 1] < popped[i], qPrintable(u"pop %1 out of order"_s.arg(i)));
}

// verifyConservation() on 100 random flows (randomFlow; 3000 passed once), run to the end; and
// the same flow run in random steps gives the same events.
void TestSimulator::conservation_data()
{
    QTest::addColumn<quint64>("seed");
    for (quint64 seed = 1; seed <= 100; ++seed)
        QTest::addRow("flow %llu", seed) << seed;
}

void TestSimulator::conservation()
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
    // may change meanwhile): steps of 1 us to 2 s give the very same events.
    Simulator paced(flow, seed);
    EventBatch pacedEvents;
    paced.setSink([&](EventBatch&& b) { pacedEvents.append(std::move(b)); }, 100);
    std::mt19937_64 steps(seed);
    while (paced.now() < 5 * S) {
        const quint64 longest = steps() % 4 == 0 ? Ms : 2 * S; // now and then a run of short steps
        paced.runUntil(std::min(5 * S, paced.now() + 1 + qint64(steps() % longest)));
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
void TestSimulator::conservationOrchestrated()
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

QTEST_GUILESS_MAIN(TestSimulator)

#include "tst_simulator.moc"
