// SPDX-License-Identifier: MIT
// Flow files: the DESIGN.md example read exactly, YAML and JSON alike, the value grammars,
// and one row per kind of mistake with its exact file:line:column.

#include "flowfileparser.h"

#include <QFile>
#include <QTest>

#include <limits>

using namespace Qt::StringLiterals;
using namespace FlowScope;

namespace {

QString dataPath(const QString& name) { return QStringLiteral(FLOWSCOPE_TEST_DATA) + u"/flows/"_s + name; }
QString demoPath() { return QStringLiteral(FLOWSCOPE_SOURCE_DIR) + u"/resources/demo/order-saga.yaml"_s; }

// A flow file of the first line plus `body`, so rows count lines from 2.
QByteArray flow(const char* body) { return QByteArray("flowscope: 1\n") + body; }

QString where(const FlowError& e) { return QString::number(e.line) + u':' + QString::number(e.column); }

} // namespace

class TestFlowFile : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void splitCallFollowedByKeys();
    void exactErrors_data();
    void exactErrors();
    void callSplitAtACommaIsMended();
    void seedTakes64Bits();
    void aliasBombStopsEarly();
    void demoFlow();
    void nameDefaultsToTheFileName();
    void demoFileOnDiskEqualsJson();
    void orchestratedAndServerless();
    void durations_data();
    void durations();
    void rates_data();
    void rates();
    void distributions_data();
    void distributions();
    void probabilitiesAndFactors_data();
    void probabilitiesAndFactors();
    void paths_data();
    void paths();
    void templates_data();
    void templates();
    void mistakes_data();
    void mistakes();
    void fixtureFiles_data();
    void fixtureFiles();
    void errorsInFileOrder();
    void errorFormat();
    void neverThrows_data();
    void neverThrows();
    void faultSpec_data();
    void faultSpec();
    void faultSpecWithDefaultStart();
    void helpers();
};

// A flow without `name:` is called after its file, so that no title or summary is blank.
void TestFlowFile::nameDefaultsToTheFileName()
{
    const FlowParseResult r = FlowFileParser::parseText("flowscope: 1\nservices: { s: {} }\n", u"/tmp/flows/my-flow.yaml"_s);
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    QCOMPARE(r.flow->name, u"my-flow"_s);
    const FlowParseResult named = FlowFileParser::parseText("flowscope: 1\nname: Shop\n", u"my-flow.yaml"_s);
    QVERIFY2(named.ok(), qPrintable(named.errorText()));
    QCOMPARE(named.flow->name, u"Shop"_s);
}

void TestFlowFile::demoFlow()
{
    const FlowParseResult r = FlowFileParser::parseFile(demoPath());
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    const Flow& f = *r.flow;
    QCOMPARE(f.version, 1);
    QCOMPARE(f.name, u"Order saga (choreography)"_s);
    QVERIFY(f.correlation.path);
    QCOMPARE(f.correlation.path->root, FieldPath::Root::Data);
    QCOMPARE(f.correlation.path->segments, QStringList { u"orderId"_s });
    QCOMPARE(f.correlation.pos.line, 3);

    QCOMPARE(f.channels.size(), 4);
    QCOMPARE(f.channels[1].name, u"payments"_s);
    QCOMPARE(f.channels[1].types, (QStringList { u"PaymentAuthorized"_s, u"PaymentFailed"_s, u"PaymentRefunded"_s }));
    QCOMPARE(f.channelOf(u"StockUnavailable"), u"stock"_s);
    QCOMPARE(f.channelOf(u"Nope"), QString());

    QCOMPARE(f.services.size(), 4);
    const Service* orders = f.service(u"orders");
    QVERIFY(orders);
    QCOMPARE(orders->handlers.size(), 3);
    QCOMPARE(orders->handlers[1].type, u"PaymentRefunded"_s);
    QCOMPARE(orders->handlers[1].emits.choices.first().type, u"OrderCancelled"_s);
    QCOMPARE(orders->sim->workers, 2);
    QCOMPARE(orders->sim->serviceTime.kind, Distribution::Kind::Exponential);
    QCOMPARE(orders->sim->serviceTime.a, 3000.0);

    const Service* payment = f.service(u"payment");
    QVERIFY(payment && payment->sim);
    QCOMPARE(payment->pos.line, 20);
    QCOMPARE(payment->pos.column, 3);
    const Emit& branch = payment->handler(u"OrderCreated")->emits;
    QVERIFY(branch.weighted);
    QCOMPARE(branch.choices.size(), 2);
    QCOMPARE(branch.choices[0].type, u"PaymentAuthorized"_s);
    QCOMPARE(branch.choices[0].probability, 0.93);
    QCOMPARE(branch.choices[1].probability, 0.07);
    QVERIFY(branch.nothingProbability() < 1e-9);
    const ServiceSim& ps = *payment->sim;
    QCOMPARE(ps.workers, 4);
    QCOMPARE(ps.queue, std::optional<int>(1000));
    QCOMPARE(ps.serviceTime, (Distribution { Distribution::Kind::Exponential, Distribution::Unit::Time, 8000, 0 }));
    QCOMPARE(ps.failure, 0.01);
    QCOMPARE(ps.retry.max, 5);
    QCOMPARE(ps.retry.backoff, Duration::fromMillis(100));
    QCOMPARE(ps.retry.multiplier, 2.0);
    QCOMPARE(ps.retry.cap, std::optional<Duration>(Duration::fromSeconds(5)));
    QCOMPARE(ps.retry.jitter, 0.2);
    QCOMPARE(ps.retry.pos.line, 25);

    const ServiceSim& inv = *f.service(u"inventory")->sim;
    QCOMPARE(inv.serviceTime.kind, Distribution::Kind::LogNormal);
    QCOMPARE(inv.serviceTime.a, 15000.0);
    QCOMPARE(inv.serviceTime.b, 0.4);
    QCOMPARE(inv.serviceTime.toString(), u"lognormal(15ms, 0.4)"_s);
    const ServiceSim& ship = *f.service(u"shipping")->sim;
    QCOMPARE(ship.serviceTime.toString(), u"uniform(50ms, 200ms)"_s);
    QCOMPARE(ship.serviceTime.mean(), 125000.0);

    QCOMPARE(f.sagas.size(), 1);
    const Saga& saga = f.sagas.first();
    QCOMPARE(saga.name, u"order"_s);
    QCOMPARE(saga.start, u"OrderCreated"_s);
    QCOMPARE(saga.timeout, std::optional<Duration>(Duration::fromSeconds(30)));
    QVERIFY(!saga.isOrchestrated());
    QCOMPARE(saga.states.size(), 10);
    QCOMPARE(saga.states.first().name, u"created"_s);
    QCOMPARE(saga.states.first().transitions.size(), 2);
    QCOMPARE(saga.states.first().transition(u"PaymentFailed")->target, u"rejecting"_s);
    const SagaState* refunding = saga.state(u"refunding");
    QVERIFY(refunding);
    QCOMPARE(refunding->timeout, std::optional<Duration>(Duration::fromSeconds(60)));
    QCOMPARE(saga.timeoutIn(*refunding), std::optional<Duration>(Duration::fromSeconds(60)));
    QCOMPARE(saga.timeoutIn(*saga.state(u"paid")), std::optional<Duration>(Duration::fromSeconds(30)));
    QCOMPARE(saga.timeoutIn(*saga.state(u"shipped")), std::nullopt);
    QCOMPARE(saga.state(u"shipped")->outcome, SagaOutcome::Completed);
    QCOMPARE(saga.state(u"cancelled")->outcome, SagaOutcome::Compensated);
    QCOMPARE(saga.state(u"rejected")->outcome, SagaOutcome::Failed);
    QCOMPARE(saga.stateIndex(u"rejected"), 9);
    QCOMPARE(refunding->pos.line, 43);

    QCOMPARE(f.views.size(), 1);
    const View& view = f.views.first();
    QCOMPARE(view.key.text, u"data.orderId"_s);
    QCOMPARE(view.columns.size(), 6);
    const ViewColumn& amount = view.columns[2];
    QCOMPARE(amount.name, u"amount"_s);
    QCOMPARE(amount.fold, Fold::First);
    QCOMPARE(amount.path->text, u"data.amount"_s);
    QCOMPARE(amount.from, QStringList { u"OrderCreated"_s });
    QCOMPARE(amount.pos.line, 57);
    QCOMPARE(view.columns[3].fold, Fold::Count);
    QVERIFY(!view.columns[3].path);
    QCOMPARE(view.columns[3].from, QStringList { u"PaymentRefunded"_s });
    QVERIFY(view.columns[4].from.isEmpty());
    QCOMPARE(view.columns[5].path->root, FieldPath::Root::Time);

    QVERIFY(f.simulation);
    const Simulation& sim = *f.simulation;
    QCOMPARE(sim.seed, 42u);
    QCOMPARE(sim.load.size(), 1);
    const LoadGenerator& g = sim.load.first();
    QCOMPARE(g.type, u"OrderCreated"_s);
    QCOMPARE(g.from, u"orders"_s);
    QCOMPARE(g.rate.perSecond, 200.0);
    QCOMPARE(g.arrival, Arrival::Poisson);
    QCOMPARE(g.data.size(), size_t(3));
    QCOMPARE(g.data[0].name, u"orderId"_s);
    QCOMPARE(g.data[0].value.parts.size(), 1);
    QCOMPARE(g.data[0].value.parts[0].kind, TemplatePart::Kind::Id);
    QCOMPARE(g.data[0].value.type, ValueTemplate::Type::String);
    QCOMPARE(g.data[1].value.parts.size(), 2);
    QCOMPARE(g.data[1].value.parts[1].max, 500);
    QCOMPARE(g.data[2].value.type, ValueTemplate::Type::Number);
    QCOMPARE(g.data[2].value.parts[0].distribution.kind, Distribution::Kind::LogNormal);
    QCOMPARE(sim.broker.latency.toString(), u"exp(2ms)"_s);
    QCOMPARE(sim.broker.partitions, 6);

    QCOMPARE(sim.faults.size(), 3);
    const Fault& down = sim.faults[0];
    QCOMPARE(down.at, Duration::fromSeconds(60));
    QCOMPARE(down.target, FaultTarget::Service);
    QCOMPARE(down.name, u"payment"_s);
    QCOMPARE(down.kind, FaultKind::Down);
    QCOMPARE(down.length, Duration::fromSeconds(30));
    QCOMPARE(down.end(), Duration::fromSeconds(90));
    QCOMPARE(down.pos.line, 69);
    const Fault& slow = sim.faults[1];
    QCOMPARE(slow.at, Duration::fromSeconds(120));
    QCOMPARE(slow.name, u"inventory"_s);
    QCOMPARE(slow.kind, FaultKind::Slow);
    QCOMPARE(slow.factor, 10.0);
    QCOMPARE(slow.length, Duration::fromSeconds(20));
    const Fault& drop = sim.faults[2];
    QCOMPARE(drop.at, Duration::fromSeconds(150));
    QCOMPARE(drop.target, FaultTarget::Channel);
    QCOMPARE(drop.name, u"payments"_s);
    QCOMPARE(drop.kind, FaultKind::Drop);
    QCOMPARE(drop.probability, 0.05);
    QCOMPARE(drop.length, Duration::fromSeconds(10));
}

void TestFlowFile::demoFileOnDiskEqualsJson()
{
    const FlowParseResult yaml = FlowFileParser::parseFile(demoPath());
    const FlowParseResult json = FlowFileParser::parseFile(dataPath(u"order-saga.json"_s));
    QVERIFY2(yaml.ok(), qPrintable(yaml.errorText()));
    QVERIFY2(json.ok(), qPrintable(json.errorText()));
    QVERIFY(*yaml.flow == *json.flow);
    QCOMPARE(json.flow->fileName, dataPath(u"order-saga.json"_s));
    // Positions come from the JSON text itself.
    QCOMPARE(json.flow->service(u"payment")->pos.line, 43);

    // A change anywhere makes them differ: equality is not vacuous.
    Flow changed = *json.flow;
    changed.services[1].sim->retry.cap = Duration::fromSeconds(6);
    QVERIFY(!(changed == *yaml.flow));
}

void TestFlowFile::orchestratedAndServerless()
{
    const FlowParseResult r = FlowFileParser::parseFile(dataPath(u"orchestrated.yaml"_s));
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    const Flow& f = *r.flow;
    const Saga& saga = f.sagas.first();
    QVERIFY(saga.isOrchestrated());
    QCOMPARE(saga.orchestrator, u"orchestrator"_s);
    QCOMPARE(saga.states.first().send, u"AuthorizePayment"_s);
    QCOMPARE(saga.state(u"reserving")->onTimeout, u"refunding"_s);
    QCOMPARE(saga.timeoutIn(*saga.state(u"reserving")), std::optional<Duration>(Duration::fromSeconds(5)));
    QVERIFY(f.producedTypes().contains(u"RefundPayment"_s));

    const ServiceSim& fn = *f.service(u"thumbnailer")->sim;
    QVERIFY(fn.serverless);
    QCOMPARE(fn.serverless->concurrency, 50);
    QCOMPARE(fn.serverless->coldStart.toString(), u"uniform(200ms, 800ms)"_s);
    QCOMPARE(fn.serverless->idleTimeout, Duration::fromSeconds(600));
    QCOMPARE(fn.serverless->minInstances, 0);
    QCOMPARE(fn.timeout, std::optional<Duration>(Duration::fromSeconds(3)));
    QCOMPARE(fn.deadLetter, u"thumbnails-dlq"_s);
    QCOMPARE(fn.queue, std::nullopt);

    QCOMPARE(f.correlation.overrides.size(), 1);
    QCOMPARE(f.correlation.pathFor(u"ImageUploaded")->text, u"subject"_s);
    QCOMPARE(f.correlation.pathFor(u"OrderPlaced")->text, u"ext.correlationid"_s);

    const Simulation& sim = *f.simulation;
    QCOMPARE(sim.duration, std::optional<Duration>(Duration::fromSeconds(300)));
    QCOMPARE(sim.load.size(), 3);
    QCOMPARE(sim.load[1].arrival, Arrival::Bursts);
    QCOMPARE(sim.load[1].burstSize, 100);
    QCOMPARE(sim.load[1].meanRate(), 10.0);
    QCOMPARE(sim.load[1].data[0].isObject, true);
    QCOMPARE(sim.load[1].data[0].fields[1].value.parts[0].choices, (QStringList { u"png"_s, u"jpeg"_s }));
    QCOMPARE(sim.load[2].arrival, Arrival::Curve);
    QCOMPARE(sim.load[2].curve.size(), 3);
    QCOMPARE(sim.load[2].curve[1].at, Duration::fromSeconds(60));
    QCOMPARE(sim.load[2].curve[1].rate.perSecond, 400.0);
    QCOMPARE(sim.load[2].stop, std::optional<Duration>(Duration::fromSeconds(180)));
    QCOMPARE(sim.broker.partitionsOf(u"payments"), 12);
    QCOMPARE(sim.broker.partitionsOf(u"orders"), 3);
    QCOMPARE(sim.faults.size(), 5);
    QCOMPARE(sim.faults[0].target, FaultTarget::Broker);
    QCOMPARE(sim.faults[0].kind, FaultKind::Down);
    QCOMPARE(sim.faults[1].kind, FaultKind::Partition);
    QCOMPARE(sim.faults[2].kind, FaultKind::Delay);
    QCOMPARE(sim.faults[2].delay.toString(), u"exp(500ms)"_s);
    QCOMPARE(sim.faults[3].kind, FaultKind::Duplicate);
    QCOMPARE(sim.faults[4].kind, FaultKind::Error);
    QCOMPARE(sim.faults[4].probability, 0.2);
}

void TestFlowFile::durations_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("micros"); // -1: invalid
    QTest::addColumn<QString>("error"); // the whole error; empty: "expected a duration such as ..., got 'TEXT'"
    QTest::newRow("us") << u"250us"_s << qint64(250) << QString();
    QTest::newRow("ms") << u"5ms"_s << qint64(5000) << QString();
    QTest::newRow("s") << u"2s"_s << qint64(2000000) << QString();
    QTest::newRow("m") << u"3m"_s << qint64(180000000) << QString();
    QTest::newRow("min") << u"3min"_s << qint64(180000000) << QString();
    QTest::newRow("h") << u"1h"_s << qint64(3600000000) << QString();
    QTest::newRow("fraction") << u"1.5s"_s << qint64(1500000) << QString();
    QTest::newRow("compound") << u"1m30s"_s << qint64(90000000) << QString();
    QTest::newRow("compound h m") << u"1h2m"_s << qint64(3720000000) << QString();
    QTest::newRow("compound s ms") << u"2s500ms"_s << qint64(2500000) << QString();
    QTest::newRow("compound skips a unit") << u"1m500ms"_s << qint64(60500000) << QString();
    QTest::newRow("compound µs") << u"1ms999µs"_s << qint64(1999) << QString();
    QTest::newRow("compound fraction last") << u"1m30.5s"_s << qint64(90500000) << QString();
    QTest::newRow("zero") << u"0"_s << qint64(0) << QString();
    QTest::newRow("blanks") << u" 10ms "_s << qint64(10000) << QString();
    QTest::newRow("space before unit") << u"5 sec"_s << qint64(-1) << QString();
    QTest::newRow("no unit") << u"5"_s << qint64(-1) << QString();
    QTest::newRow("negative") << u"-5s"_s << qint64(-1) << QString();
    QTest::newRow("unknown unit") << u"5d"_s << qint64(-1) << QString();
    QTest::newRow("empty") << QString() << qint64(-1) << QString();
    QTest::newRow("dot") << u".s"_s << qint64(-1) << QString();
    // A compound reads like a clock; these used to add up (to 120 s, 3 s, 1.5 s, 150 s ...).
    const QString rule = u" (a compound gives each unit once, largest first, and each part after the first "
                         u"under one of the next larger unit)"_s;
    QTest::newRow("unit twice") << u"1m1m"_s << qint64(-1)
                                << u"in the duration '1m1m', m comes twice: write 2m"_s + rule;
    QTest::newRow("unit three times") << u"1s1s1s"_s << qint64(-1)
                                      << u"in the duration '1s1s1s', s comes twice: write 3s"_s + rule;
    QTest::newRow("m and min") << u"1m1min"_s << qint64(-1)
                               << u"in the duration '1m1min', min comes twice: write 2m"_s + rule;
    QTest::newRow("smaller unit first") << u"500ms1s"_s << qint64(-1)
                                        << u"in the duration '500ms1s', s comes after ms: write 1s500ms"_s + rule;
    QTest::newRow("part of a minute or more") << u"1m90s"_s << qint64(-1)
                                              << u"in the duration '1m90s', 90s is 1m or more: write 2m30s"_s + rule;
    QTest::newRow("part of an hour") << u"1h60m"_s << qint64(-1)
                                     << u"in the duration '1h60m', 60m is 1h or more: write 2h"_s + rule;
    QTest::newRow("skipped unit counts") << u"1h90s"_s << qint64(-1)
                                         << u"in the duration '1h90s', 90s is 1m or more: write 1h1m30s"_s + rule;
    QTest::newRow("ms of a second") << u"2s1000ms"_s << qint64(-1)
                                    << u"in the duration '2s1000ms', 1000ms is 1s or more: write 3s"_s + rule;
    QTest::newRow("fraction not last") << u"1.5m30s"_s << qint64(-1)
                                       << u"in the duration '1.5m30s', the fraction 1.5m is not the last part: write "
                                          u"2m"_s + rule;
}

void TestFlowFile::durations()
{
    QFETCH(QString, text);
    QFETCH(qint64, micros);
    QFETCH(QString, error);
    const Parsed<Duration> d = Duration::parse(text);
    if (micros < 0) {
        QVERIFY(!d);
        QCOMPARE(d.error(),
            error.isEmpty() ? u"expected a duration such as 250us, 5ms, 2s, 3m or 1h, got '"_s + text + u"'"_s : error);
        return;
    }
    QVERIFY2(d, qPrintable(d.error()));
    QCOMPARE(d->micros, micros);
    QCOMPARE(Duration::parse(d->toString())->micros, micros); // toString round-trips
}

void TestFlowFile::rates_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<double>("perSecond"); // -1: invalid
    QTest::addColumn<QString>("error"); // the whole error; empty: "expected a rate such as ..., got 'TEXT'"
    QTest::newRow("per second") << u"200/s"_s << 200.0 << QString();
    QTest::newRow("per minute") << u"6/min"_s << 0.1 << QString();
    QTest::newRow("per m") << u"30/m"_s << 0.5 << QString();
    QTest::newRow("per hour") << u"36/h"_s << 0.01 << QString();
    QTest::newRow("fraction") << u"0.5/s"_s << 0.5 << QString();
    QTest::newRow("zero") << u"0/s"_s << 0.0 << QString();
    QTest::newRow("one per µs") << u"1000000/s"_s << 1e6 << QString();
    QTest::newRow("one per µs, per minute") << u"60000000/min"_s << 1e6 << QString();
    QTest::newRow("no unit") << u"200"_s << -1.0 << QString();
    QTest::newRow("words") << u"200 per second"_s << -1.0 << QString();
    QTest::newRow("per day") << u"5/d"_s << -1.0 << QString();
    QTest::newRow("negative") << u"-5/s"_s << -1.0 << QString();
    // The simulator's clock ticks in µs: 3000000/s gave 1000001 events in a second.
    QTest::newRow("above one per µs") << u"3000000/s"_s << -1.0
                                      << u"the rate '3000000/s' is more than 1000000/s: the simulator's time "
                                         u"resolution is 1 µs, so it generates at most one event per µs"_s;
    QTest::newRow("just above") << u"60000001/min"_s << -1.0
                                << u"the rate '60000001/min' is more than 1000000/s: the simulator's time "
                                   u"resolution is 1 µs, so it generates at most one event per µs"_s;
    QTest::newRow("huge") << u"1e308/s"_s << -1.0
                          << u"the rate '1e308/s' is more than 1000000/s: the simulator's time resolution is 1 µs, "
                             u"so it generates at most one event per µs"_s;
}

void TestFlowFile::rates()
{
    QFETCH(QString, text);
    QFETCH(double, perSecond);
    QFETCH(QString, error);
    const Parsed<Rate> r = Rate::parse(text);
    if (perSecond < 0) {
        QVERIFY(!r);
        QCOMPARE(r.error(),
            error.isEmpty() ? u"expected a rate such as 200/s, 5/min or 10/h, got '"_s + text + u"'"_s : error);
        return;
    }
    QVERIFY2(r, qPrintable(r.error()));
    QCOMPARE(r->perSecond, perSecond);
}

void TestFlowFile::distributions_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("time");
    QTest::addColumn<QString>("normalized"); // toString(), or a substring of the error
    QTest::addColumn<bool>("valid");
    QTest::newRow("constant") << u"5ms"_s << true << u"5ms"_s << true;
    QTest::newRow("exp") << u"exp(3ms)"_s << true << u"exp(3ms)"_s << true;
    QTest::newRow("uniform blanks") << u"uniform( 50ms ,200ms )"_s << true << u"uniform(50ms, 200ms)"_s << true;
    QTest::newRow("normal") << u"normal(5ms, 1ms)"_s << true << u"normal(5ms, 1ms)"_s << true;
    QTest::newRow("lognormal") << u"lognormal(15ms, 0.4)"_s << true << u"lognormal(15ms, 0.4)"_s << true;
    QTest::newRow("number lognormal") << u"lognormal(60, 0.5)"_s << false << u"lognormal(60, 0.5)"_s << true;
    QTest::newRow("number constant") << u"-3"_s << false << u"-3"_s << true;
    QTest::newRow("number normal") << u"normal(-5, 2)"_s << false << u"normal(-5, 2)"_s << true;
    QTest::newRow("unit missing") << u"exp(3)"_s << true << u"in 'exp(3)': expected a duration"_s << false;
    QTest::newRow("unit in number") << u"exp(3ms)"_s << false << u"expected a number, got '3ms'"_s << false;
    QTest::newRow("unknown") << u"gamma(1ms, 2)"_s << true << u"unknown distribution 'gamma'"_s << false;
    QTest::newRow("arity") << u"uniform(1ms)"_s << true << u"uniform(low, high) takes 2 arguments"_s << false;
    QTest::newRow("reversed") << u"uniform(9ms, 1ms)"_s << true << u"needs low <= high"_s << false;
    QTest::newRow("zero mean") << u"exp(0)"_s << true << u"must be positive"_s << false;
    QTest::newRow("unclosed") << u"exp(3ms"_s << true << u"expected a distribution such as 5ms"_s << false;
}

void TestFlowFile::distributions()
{
    QFETCH(QString, text);
    QFETCH(bool, time);
    QFETCH(QString, normalized);
    QFETCH(bool, valid);
    const Parsed<Distribution> d = time ? Distribution::parseTime(text) : Distribution::parseNumber(text);
    QCOMPARE(d.ok(), valid);
    if (valid)
        QCOMPARE(d->toString(), normalized);
    else
        QVERIFY2(d.error().contains(normalized), qPrintable(d.error()));
}

void TestFlowFile::probabilitiesAndFactors_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("factor");
    QTest::addColumn<double>("value"); // -1: invalid
    QTest::newRow("fraction") << u"0.05"_s << false << 0.05;
    QTest::newRow("percent") << u"5%"_s << false << 0.05;
    QTest::newRow("one") << u"1"_s << false << 1.0;
    QTest::newRow("above one") << u"1.5"_s << false << -1.0;
    QTest::newRow("above 100%") << u"120%"_s << false << -1.0;
    QTest::newRow("negative") << u"-0.1"_s << false << -1.0;
    QTest::newRow("word") << u"often"_s << false << -1.0;
    QTest::newRow("10x") << u"10x"_s << true << 10.0;
    QTest::newRow("1.5x") << u"1.5x"_s << true << 1.5;
    QTest::newRow("plain") << u"3"_s << true << 3.0;
    QTest::newRow("zero factor") << u"0x"_s << true << -1.0;
    QTest::newRow("x only") << u"x"_s << true << -1.0;
}

void TestFlowFile::probabilitiesAndFactors()
{
    QFETCH(QString, text);
    QFETCH(bool, factor);
    QFETCH(double, value);
    const Parsed<double> p = factor ? parseFactor(text) : parseProbability(text);
    QCOMPARE(p.ok(), value >= 0);
    if (p)
        QCOMPARE(*p, value);
}

void TestFlowFile::paths_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("root"); // -1: invalid
    QTest::addColumn<QStringList>("segments");
    QTest::newRow("data.a.b") << u"data.a.b"_s << int(FieldPath::Root::Data) << QStringList { u"a"_s, u"b"_s };
    QTest::newRow("data") << u"data"_s << int(FieldPath::Root::Data) << QStringList {};
    QTest::newRow("index") << u"data.items.0.sku"_s << int(FieldPath::Root::Data)
                           << QStringList { u"items"_s, u"0"_s, u"sku"_s };
    QTest::newRow("ext") << u"ext.correlationid"_s << int(FieldPath::Root::Ext) << QStringList { u"correlationid"_s };
    QTest::newRow("header dots") << u"header.x.trace"_s << int(FieldPath::Root::Header) << QStringList { u"x.trace"_s };
    QTest::newRow("type") << u"type"_s << int(FieldPath::Root::Type) << QStringList {};
    QTest::newRow("key") << u"key"_s << int(FieldPath::Root::Key) << QStringList {};
    QTest::newRow("channel") << u"channel"_s << int(FieldPath::Root::Channel) << QStringList {};
    QTest::newRow("unknown root") << u"payload.a"_s << -1 << QStringList {};
    QTest::newRow("empty segment") << u"data..a"_s << -1 << QStringList {};
    QTest::newRow("ext alone") << u"ext"_s << -1 << QStringList {};
    QTest::newRow("ext nested") << u"ext.a.b"_s << -1 << QStringList {};
    QTest::newRow("below type") << u"type.x"_s << -1 << QStringList {};
    QTest::newRow("blank") << u"data.a b"_s << -1 << QStringList {};
}

void TestFlowFile::paths()
{
    QFETCH(QString, text);
    QFETCH(int, root);
    QFETCH(QStringList, segments);
    const Parsed<FieldPath> p = FieldPath::parse(text);
    QCOMPARE(p.ok(), root >= 0);
    if (!p)
        return;
    QCOMPARE(int(p->root), root);
    QCOMPARE(p->segments, segments);
    QCOMPARE(p->text, text);
}

void TestFlowFile::templates_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("quoted");
    QTest::addColumn<int>("type"); // -1: invalid
    QTest::addColumn<int>("parts");
    QTest::newRow("id") << u"${id}"_s << true << int(ValueTemplate::Type::String) << 1;
    QTest::newRow("prefixed int") << u"c${int(1,500)}"_s << true << int(ValueTemplate::Type::String) << 2;
    QTest::newRow("lone int") << u"${int(1, 500)}"_s << true << int(ValueTemplate::Type::Number) << 1;
    QTest::newRow("seq") << u"${seq}"_s << true << int(ValueTemplate::Type::Number) << 1;
    QTest::newRow("lognormal") << u"${lognormal(60,0.5)}"_s << true << int(ValueTemplate::Type::Number) << 1;
    QTest::newRow("uniform") << u"${uniform(1, 2)}"_s << true << int(ValueTemplate::Type::Number) << 1;
    QTest::newRow("choice") << u"${choice(EU, US, APAC)}"_s << true << int(ValueTemplate::Type::String) << 1;
    QTest::newRow("mixed") << u"order-${seq}-${choice(a,b)}"_s << true << int(ValueTemplate::Type::String) << 4;
    QTest::newRow("escape") << u"$${id}"_s << true << int(ValueTemplate::Type::String) << 1;
    QTest::newRow("plain number") << u"42"_s << false << int(ValueTemplate::Type::Number) << 1;
    QTest::newRow("quoted number") << u"42"_s << true << int(ValueTemplate::Type::String) << 1;
    QTest::newRow("bool") << u"true"_s << false << int(ValueTemplate::Type::Bool) << 1;
    QTest::newRow("unknown") << u"${uuid}"_s << true << -1 << 0;
    QTest::newRow("unterminated") << u"${int(1,2)"_s << true << -1 << 0;
    QTest::newRow("int reversed") << u"${int(9,1)}"_s << true << -1 << 0;
    QTest::newRow("int fraction") << u"${int(1.5,3)}"_s << true << -1 << 0;
    QTest::newRow("empty choice") << u"${choice()}"_s << true << -1 << 0;
}

void TestFlowFile::templates()
{
    QFETCH(QString, text);
    QFETCH(bool, quoted);
    QFETCH(int, type);
    QFETCH(int, parts);
    const Parsed<ValueTemplate> t = ValueTemplate::parse(text, quoted);
    QCOMPARE(t.ok(), type >= 0);
    if (!t) {
        QVERIFY(t.error().contains(text));
        return;
    }
    QCOMPARE(int(t->type), type);
    QCOMPARE(t->parts.size(), parts);
    if (qstrcmp(QTest::currentDataTag(), "escape") == 0)
        QCOMPARE(t->parts[0].literal, u"${id}"_s);
}

void TestFlowFile::mistakes_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("position"); // of the first error
    QTest::addColumn<QString>("message"); // a substring
    QTest::addColumn<QString>("hint"); // a substring, or empty for none

    QTest::newRow("on instead of when") << flow("services:\n  orders:\n    on: { A: { emit: B } }\n") << u"4:5"_s
                                        << u"unknown key `on` in service `orders`"_s
                                        << u"YAML 1.1 tools read `on` as true"_s;
    QTest::newRow("misspelt key") << flow("services:\n  orders:\n    wehn: {}\n") << u"4:5"_s << u"unknown key `wehn`"_s
                                  << u"did you mean `when`?"_s;
    QTest::newRow("misspelt top-level") << flow("servics: {}\n") << u"2:1"_s
                                        << u"unknown key `servics` in the flow file"_s << u"did you mean `services`?"_s;
    QTest::newRow("bad duration") << flow("services:\n  a:\n    sim: { service_time: exp(5 sec) }\n") << u"4:26"_s
                                  << u"expected a duration such as 250us, 5ms, 2s, 3m or 1h, got '5 sec'"_s
                                  << QString();
    QTest::newRow("bad distribution") << flow("services:\n  a:\n    sim:\n      service_time: uniform(9ms, 1ms)\n")
                                      << u"5:21"_s << u"needs low <= high"_s << QString();
    QTest::newRow("bad rate") << flow("simulation:\n  load:\n    - { emit: A, rate: 200 per second }\n") << u"4:24"_s
                              << u"expected a rate such as 200/s, 5/min or 10/h, got '200 per second'"_s << QString();
    QTest::newRow("probability above 1") << flow("services:\n  a:\n    sim: { failure: 1.5 }\n") << u"4:21"_s
                                         << u"a probability must be between 0 and 1"_s << QString();
    QTest::newRow("weights above 1") << flow("services:\n  a:\n    when:\n      X: { emit: { B: 0.6, C: 50% } }\n")
                                     << u"5:18"_s << u"add up to 1.1, more than 1"_s
                                     << u"the remainder up to 1 is the chance of emitting nothing"_s;
    QTest::newRow("negative workers") << flow("services:\n  a:\n    sim:\n      workers: -2\n") << u"5:16"_s
                                      << u"expected a whole number from 1 to 2147483647, got '-2'"_s << QString();
    QTest::newRow("list for a map") << flow("services: [orders, payment]\n") << u"2:11"_s
                                    << u"`services` must be a map, got a list"_s << QString();
    QTest::newRow("handler as a name") << flow("services:\n  a:\n    when:\n      X: Y\n") << u"5:10"_s
                                       << u"the handler for `X` in service `a` must be a map, got 'Y'"_s
                                       << u"write `X: { emit: Y }`"_s;
    QTest::newRow("unknown target state") << flow(
        "sagas:\n  s:\n    start: A\n    states:\n      one: { when: { B: tow } }\n      two: { outcome: failed }\n")
                                          << u"6:25"_s << u"moves to `tow`, which is not a state of the saga"_s
                                          << u"did you mean `two`?"_s;
    QTest::newRow("final with transitions")
        << flow("sagas:\n  s:\n    start: A\n    states:\n      one: { when: { B: two } }\n"
                "      two: { outcome: failed, when: { C: one } }\n")
        << u"7:39"_s << u"final state `two` of saga `s` cannot have transitions"_s << u"ends the saga"_s;
    QTest::newRow("state with no way out")
        << flow("sagas:\n  s:\n    start: A\n    states:\n      one: { when: { B: two } }\n      two: {}\n"
                "      three: { outcome: completed }\n")
        << u"7:7"_s << u"state `two` of saga `s` has no transitions and no outcome"_s << u"outcome: completed"_s;
    QTest::newRow("unreachable state") << flow(
        "sagas:\n  s:\n    start: A\n    states:\n      one: { when: { B: two } }\n"
        "      two: { outcome: completed }\n      lost: { outcome: failed }\n")
                                       << u"8:7"_s
                                       << u"state `lost` of saga `s` cannot be reached from the initial state `one`"_s
                                       << u"first state listed"_s;
    QTest::newRow("unknown outcome") << flow(
        "sagas:\n  s:\n    start: A\n    states:\n      one: { outcome: complete }\n")
                                     << u"6:23"_s
                                     << u"expected an outcome: completed, compensated or failed, got 'complete'"_s
                                     << u"did you mean `completed`?"_s;
    QTest::newRow("saga start unknown") << flow(
        "channels:\n  orders: [OrderCreated]\nsagas:\n  s:\n    start: OrderCreatd\n    states:\n"
        "      one: { outcome: completed }\n")
                                        << u"6:12"_s
                                        << u"saga `s` starts on `OrderCreatd`, an event type that no channel"_s
                                        << u"did you mean `OrderCreated`?"_s;
    QTest::newRow("saga without states") << flow("sagas:\n  s:\n    start: A\n") << u"3:3"_s
                                         << u"saga `s` has no `states`"_s << u"initial one first"_s;
    QTest::newRow("send without orchestrator")
        << flow("sagas:\n  s:\n    start: A\n    states:\n      one: { send: Go, outcome: completed }\n") << u"6:14"_s
        << u"`send` is only for orchestrated sagas"_s << u"add `orchestrator: SERVICE`"_s;
    QTest::newRow("view without key") << flow("views:\n  v:\n    columns: { n: count() }\n") << u"3:3"_s
                                      << u"view `v` has no `key`"_s << u"key: data.orderId"_s;
    QTest::newRow("bad path") << flow("correlation: dat.orderId\n") << u"2:14"_s
                              << u"unknown path 'dat.orderId': a path starts with id, type"_s << QString();
    QTest::newRow("misspelt fold") << flow("views:\n  v:\n    key: key\n    columns:\n      n: cont()\n") << u"6:10"_s
                                   << u"unknown fold 'cont' in column `n` of view `v`"_s << u"did you mean `count`?"_s;
    QTest::newRow("count with a path") << flow("views:\n  v:\n    key: key\n    columns:\n      n: count(data.x)\n")
                                       << u"6:10"_s << u"count() counts events and takes no path"_s
                                       << u"count() from TYPE"_s;
    QTest::newRow("bad template") << flow("simulation:\n  load:\n    - emit: A\n      rate: 1/s\n"
                                          "      data: { id: \"${uuid}\" }\n")
                                  << u"6:19"_s << u"unknown template expression '${uuid}'"_s << QString();
    QTest::newRow("fault on unknown service")
        << flow("services:\n  payment: {}\nsimulation:\n  faults:\n    - { at: 1s, service: paymnet, down: 5s }\n")
        << u"6:26"_s << u"the fault names service `paymnet`, which is not declared in `services`"_s
        << u"did you mean `payment`?"_s;
    QTest::newRow("fault on unknown channel") << flow(
        "channels:\n  payments: [A]\nsimulation:\n  faults:\n    - { at: 1s, channel: paiments, drop: 5%, for: 2s }\n")
                                              << u"6:26"_s << u"the fault names channel `paiments`"_s
                                              << u"did you mean `payments`?"_s;
    QTest::newRow("slow channel") << flow(
        "channels:\n  c: [A]\nsimulation:\n  faults:\n    - { at: 1s, channel: c, slow: 10x, for: 2s }\n")
                                  << u"6:29"_s << u"`slow` applies to a service, not to a channel"_s << QString();
    QTest::newRow("fault without for") << flow(
        "services:\n  a: {}\nsimulation:\n  faults:\n    - { at: 1s, service: a, error: 5% }\n")
                                       << u"6:7"_s << u"the fault has no `for`"_s << u"say how long `error` lasts"_s;
    QTest::newRow("load from unknown service")
        << flow("services:\n  orders: {}\nsimulation:\n  load:\n    - { emit: A, from: ordres, rate: 1/s }\n")
        << u"6:24"_s << u"the load generator comes from `ordres`, which is not a service"_s
        << u"did you mean `orders`?"_s;
    QTest::newRow("type on two channels")
        << flow("channels:\n  a: [X, Y]\n  b: [Y]\n") << u"4:7"_s
        << u"event type `Y` is already on channel `a` (line 3)"_s << u"published on one channel"_s;
    QTest::newRow("duplicate key") << flow("services:\n  a: {}\n  a: {}\n") << u"4:3"_s
                                   << u"duplicate key `a` in `services`"_s << u"the first is on line 3"_s;
    QTest::newRow("unsupported version") << QByteArray("flowscope: 2\nwhatever: 1\n") << u"1:12"_s
                                         << u"unsupported flow file version 2: this FlowScope reads version 1"_s
                                         << u"newer FlowScope"_s;
    QTest::newRow("not a version") << QByteArray("flowscope: one\n") << u"1:12"_s
                                   << u"expected the format version 1, got 'one'"_s << QString();
    QTest::newRow("no version") << QByteArray("name: x\n") << u"1:1"_s << u"has no `flowscope` key"_s
                                << u"start the file with `flowscope: 1`"_s;
    QTest::newRow("yaml syntax") << flow("channels:\n  a: [X, Y\n  b: [Z]\n") << u"4:4"_s
                                 << u"invalid YAML: end of sequence flow not found"_s << QString();
    QTest::newRow("tab indentation") << flow("\tname: x\n") << u"2:1"_s << u"invalid YAML: illegal tab"_s
                                     << u"indent with spaces"_s;
    QTest::newRow("stray comma") << QByteArray("# a flow\n  ,flowscope: 1\n") << u"2:3"_s
                                 << u"cannot read this as YAML"_s << QString();
    QTest::newRow("second document") << flow("name: a\n---\nname: b\n") << u"4:1"_s
                                     << u"a flow file holds one YAML document"_s << u"remove the `---` line"_s;
    QTest::newRow("json mistake") << QByteArray("{\n  \"flowscope\": 1,\n  \"services\": { \"a\": { \"sim\": "
                                                "{ \"workers\": 0 } } }\n}\n")
                                  << u"3:44"_s << u"expected a whole number from 1 to 2147483647, got '0'"_s
                                  << QString();
    QTest::newRow("workers and serverless")
        << flow("services:\n  f:\n    sim: { workers: 2, serverless: { concurrency: 5 } }\n") << u"4:12"_s
        << u"`workers` does not apply to a serverless service"_s << u"`concurrency`"_s;
    QTest::newRow("rate with bursts") << flow(
        "simulation:\n  load:\n    - { emit: A, rate: 5/s, burst: { size: 10, every: 1s } }\n")
                                      << u"4:18"_s << u"`rate` does not apply to `arrival: bursts`"_s << u"size"_s;
}

void TestFlowFile::mistakes()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, position);
    QFETCH(QString, message);
    QFETCH(QString, hint);
    const FlowParseResult r = FlowFileParser::parseText(text, u"t.yaml"_s);
    QVERIFY(!r.ok());
    QVERIFY(!r.errors.isEmpty());
    const FlowError& e = r.errors.first();
    const QString all = r.errorText();
    QVERIFY2(where(e) == position, qPrintable(all));
    QVERIFY2(e.message.contains(message), qPrintable(all));
    if (hint.isEmpty())
        QVERIFY2(e.hint.isEmpty() || e.message.startsWith(u"invalid YAML"_s), qPrintable(all));
    else
        QVERIFY2(e.hint.contains(hint), qPrintable(all));
    QVERIFY(e.toString().startsWith(u"t.yaml:"_s + position + u": error: "_s));
}

void TestFlowFile::fixtureFiles_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QStringList>("errors"); // "line:column: message substring", in order
    QTest::newRow("orchestrated") << u"orchestrated.yaml"_s << QStringList {};
    QTest::newRow("json") << u"order-saga.json"_s << QStringList {};
    QTest::newRow("many mistakes") << u"many-mistakes.yaml"_s
                                   << QStringList {
                                          u"5:5: unknown key `on`"_s,
                                          u"7:35: the probabilities in `emit` add up to 1.2"_s,
                                          u"9:16: `workers`: expected a whole number from 1 to 2147483647"_s,
                                          u"15:37: state `paid` of saga `order` moves to `shiped`"_s,
                                          u"21:14: column `total` of view `v` reads from `OrderPayed`"_s,
                                          u"26:14: `start`: expected a duration"_s,
                                      };
    QTest::newRow("broken yaml") << u"broken.yaml"_s
                                 << QStringList { u"4:2: invalid YAML: end of map flow not found"_s };
    QTest::newRow("missing file") << u"no-such-file.yaml"_s << QStringList { u"0:0: cannot open the flow file"_s };
}

void TestFlowFile::fixtureFiles()
{
    QFETCH(QString, file);
    QFETCH(QStringList, errors);
    const FlowParseResult r = FlowFileParser::parseFile(dataPath(file));
    QStringList got;
    for (const FlowError& e : r.errors) {
        QCOMPARE(e.file, dataPath(file));
        got.append(where(e) + u": "_s + e.message);
    }
    QCOMPARE(got.size(), errors.size());
    for (qsizetype i = 0; i < errors.size(); ++i)
        QVERIFY2(got[i].startsWith(errors[i]), qPrintable(got.join(u'\n')));
    QCOMPARE(r.ok(), errors.isEmpty());
}

void TestFlowFile::errorsInFileOrder()
{
    // References are checked after all sections, yet reported where they are in the file.
    const FlowParseResult r
        = FlowFileParser::parseText(flow("simulation:\n  faults:\n    - { at: 1s, service: nope, down: 1s "
                                         "}\nservices:\n  a:\n    sim: { workers: 0 }\n"
                                         "sagas:\n  s: { start: Missing, states: { x: { outcome: failed } } }\n"),
            u"t.yaml"_s);
    QStringList positions;
    for (const FlowError& e : r.errors)
        positions.append(where(e));
    QCOMPARE(positions, (QStringList { u"4:26"_s, u"7:21"_s, u"9:15"_s }));
}

void TestFlowFile::errorFormat()
{
    const FlowError withHint { u"f.yaml"_s, 3, 5, u"unknown key `on` in service `a`"_s, u"write `when:`"_s };
    QCOMPARE(withHint.toString(), u"f.yaml:3:5: error: unknown key `on` in service `a`\n  hint: write `when:`"_s);
    const FlowError plain { u"f.yaml"_s, 1, 12, u"drop 5% of %1"_s, {} };
    QCOMPARE(plain.toString(), u"f.yaml:1:12: error: drop 5% of %1"_s);
    const FlowError noPlace { u"f.yaml"_s, 0, 0, u"cannot open"_s, {} };
    QCOMPARE(noPlace.toString(), u"f.yaml: error: cannot open"_s);
}

void TestFlowFile::neverThrows_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("valid");
    QTest::newRow("empty") << QByteArray() << false;
    QTest::newRow("document marker") << QByteArray("---\n") << false;
    QTest::newRow("two documents") << QByteArray("flowscope: 1\n---\nflowscope: 1\n") << false;
    QTest::newRow("scalar") << QByteArray("hello") << false;
    QTest::newRow("list") << QByteArray("- 1\n- 2\n") << false;
    QTest::newRow("binary") << QByteArray("\x00\x01\xff\xfe{[\x80\"", 9) << false;
    QTest::newRow("invalid utf8") << QByteArray("flowscope: 1\nname: \xc3\x28\n") << true;
    QTest::newRow("undefined alias") << QByteArray("flowscope: 1\nname: *nope\n") << false;
    QTest::newRow("alias") << QByteArray("flowscope: 1\nname: &n x\ndescription: *n\n") << true;
    QTest::newRow("deep nesting") << QByteArray(5000, '[') << false;
    QTest::newRow("deep template") << flow("simulation:\n  load:\n    - emit: A\n      rate: 1/s\n      data: ")
            + QByteArray(40, '{') + QByteArray("a: 1") + QByteArray(40, '}')
            + "\n" << false;
    QTest::newRow("stray comma") << QByteArray("# a flow\n  ,flowscope: 1\nname: x\n")
                                 << false; // yaml-cpp LoadAll looped
    QTest::newRow("comments only") << QByteArray("# nothing\n---\n") << false;
    QTest::newRow("map keys") << flow("services:\n  ? [a, b]\n  : {}\n") << false;
    QTest::newRow("null everywhere") << flow("name:\ncorrelation:\nchannels:\nservices:\nsagas:\nviews:\nsimulation:\n")
                                     << false;
    QTest::newRow("empty sections") << flow("channels: {}\nservices:\nsagas: {}\nviews: {}\nsimulation:\n") << true;
    QTest::newRow("huge number") << flow("services:\n  a:\n    sim: { workers: 99999999999999999999999 }\n") << false;
    QTest::newRow("huge duration") << flow("simulation: { duration: 99999999999h }\n") << false;
}

void TestFlowFile::neverThrows()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, valid);
    const FlowParseResult r = FlowFileParser::parseText(text, u"t.yaml"_s);
    QVERIFY2(r.ok() == valid, qPrintable(r.errorText()));
    QCOMPARE(r.errors.isEmpty(), valid);
}

void TestFlowFile::faultSpec_data()
{
    QTest::addColumn<QString>("spec");
    QTest::addColumn<QString>("error"); // empty: valid
    QTest::addColumn<int>("column");    // of the first error, in the text as given; 0: not checked
    QTest::newRow("down") << u"at: 10s, service: payment, down: 30s"_s << QString() << 0;
    QTest::newRow("braces") << u"{ at: 0s, channel: payments, delay: exp(200ms), for: 1m }"_s << QString() << 0;
    QTest::newRow("broker") << u"at: 5s, broker: all, down: 5s"_s << QString() << 0;
    QTest::newRow("unknown service") << u"at: 10s, service: paymnt, down: 30s"_s << u"did you mean `payment`?"_s << 19;
    QTest::newRow("unknown service, spaces before")
        << u"  at: 10s, service: paymnt, down: 30s"_s << u"did you mean `payment`?"_s << 21;
    QTest::newRow("unknown service, braces")
        << u"{ at: 10s, service: paymnt, down: 30s }"_s << u"did you mean `payment`?"_s << 21;
    QTest::newRow("unknown service, a blank line before")
        << u"\n   at: 10s, service: paymnt, down: 30s"_s << u"did you mean `payment`?"_s << 22;
    QTest::newRow("no target, spaces before") << u"   at: 10s, down: 30s"_s << u"has no target"_s << 4;
    QTest::newRow("two kinds") << u"at: 10s, service: payment, down: 30s, slow: 2x"_s << u"a fault does one thing"_s << 0;
    QTest::newRow("syntax") << u"at: [10s"_s << u"invalid fault"_s << 9; // just past the end
}

void TestFlowFile::faultSpec()
{
    QFETCH(QString, spec);
    QFETCH(QString, error);
    const FlowParseResult demo = FlowFileParser::parseFile(demoPath());
    QVERIFY(demo.ok());
    QList<FlowError> errors;
    const std::optional<Fault> fault = FlowFileParser::parseFault(spec, *demo.flow, &errors);
    QCOMPARE(fault.has_value(), error.isEmpty());
    if (error.isEmpty())
        return;
    QVERIFY(!errors.isEmpty());
    QCOMPARE(errors.first().file, u"--fault"_s);
    QVERIFY2(errors.first().toString().contains(error), qPrintable(errors.first().toString()));
    QFETCH(int, column);
    if (column > 0) {
        QCOMPARE(errors.first().line, spec.startsWith(u'\n') ? 2 : 1);
        QCOMPARE(errors.first().column, column);
    }
}

// The window's faults start now unless they say when: parseFault's default `at`.
void TestFlowFile::faultSpecWithDefaultStart()
{
    const FlowParseResult demo = FlowFileParser::parseFile(demoPath());
    QVERIFY(demo.ok());
    QList<FlowError> errors;
    const auto now = Duration::fromSeconds(42);
    auto fault = FlowFileParser::parseFault(u"{ service: payment, down: 30s }  # no at"_s, *demo.flow, &errors,
                                            u"fault"_s, now);
    QVERIFY2(fault, errors.isEmpty() ? "" : qPrintable(errors.first().toString()));
    QCOMPARE(fault->at, now);
    QCOMPARE(fault->length, Duration::fromSeconds(30));
    fault = FlowFileParser::parseFault(u"service: payment, down: 30s, at: 5s,"_s, *demo.flow, &errors, u"fault"_s, now);
    QVERIFY(fault);
    QCOMPARE(fault->at, Duration::fromSeconds(5)); // said: kept
    // without a default it is still an error
    QVERIFY(!FlowFileParser::parseFault(u"service: payment, down: 30s"_s, *demo.flow, &errors));
    QVERIFY(errors.last().message.contains(u"no `at`"));
}

void TestFlowFile::helpers()
{
    const FlowParseResult r = FlowFileParser::parseFile(demoPath());
    QVERIFY(r.ok());
    const Flow& f = *r.flow;
    const QStringList types = f.eventTypes();
    QCOMPARE(types.size(), 10);
    QCOMPARE(types.first(), u"OrderCreated"_s);
    QVERIFY(types.contains(u"OrderShipped"_s));
    QCOMPARE(f.service(u"inventory")->handler(u"PaymentAuthorized")->emits.nothingProbability(), 0.0);

    RetryPolicy retry = f.service(u"payment")->sim->retry;
    QCOMPARE(retry.baseDelay(1), Duration::fromMillis(100));
    QCOMPARE(retry.baseDelay(3), Duration::fromMillis(400));
    QCOMPARE(retry.baseDelay(7), Duration::fromSeconds(5)); // 6.4 s capped

    // A handler with no emit consumes and emits nothing; a partial branch leaves a remainder.
    const FlowParseResult partial = FlowFileParser::parseText(
        flow("services:\n  a:\n    when:\n      X: {}\n      Y: { emit: { Z: 25% } }\n"), u"t.yaml"_s);
    QVERIFY2(partial.ok(), qPrintable(partial.errorText()));
    QVERIFY(partial.flow->services[0].handlers[0].emits.choices.isEmpty());
    QCOMPARE(partial.flow->services[0].handlers[1].emits.nothingProbability(), 0.75);

    QCOMPARE(closestMatch(u"wehn", { u"when"_s, u"sim"_s }), u"when"_s);
    QCOMPARE(closestMatch(u"xyz", { u"when"_s, u"sim"_s }), QString());
}

// A function-style value split at its comma inside `{ }`, followed by more keys: each key keeps
// its own value (the pieces used to be joined by shifting YAML nodes, which wrote through them).
void TestFlowFile::splitCallFollowedByKeys()
{
    const FlowParseResult r = FlowFileParser::parseText(flow("name: t\n"
                                                             "channels:\n  jobs: [Job]\n"
                                                             "services:\n"
                                                             "  w:\n"
                                                             "    when: { Job: {} }\n"
                                                             "    sim: { service_time: lognormal(8ms, 0.5), failure: 0.1, "
                                                             "dead_letter: dlq, workers: 3 }\n"),
                                                        u"t.yaml"_s);
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    const ServiceSim& sim = *r.flow->service(u"w")->sim;
    QCOMPARE(sim.serviceTime.kind, Distribution::Kind::LogNormal);
    QCOMPARE(sim.serviceTime.a, 8000.0);
    QCOMPARE(sim.serviceTime.b, 0.5);
    QCOMPARE(sim.failure, 0.1);
    QCOMPARE(sim.deadLetter, u"dlq");
    QCOMPARE(sim.workers, 3);
}

// The reviewer's findings, each with the whole text the user reads (file:line:column, message,
// hint), in file order.
void TestFlowFile::exactErrors_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("errors"); // FlowParseResult::errorText()

    // A row's JSON holds its key as "key": a column of that name overwrote it.
    QTest::newRow("column named key")
        << flow("views:\n  v:\n    key: data.id\n    columns: { key: last(type), n: count() }\n")
        << u"t.yaml:5:16: error: a column of view `v` is named `key`: `key` is the row's key; name the column "
           u"otherwise"_s;
    // Columns count characters, as editors do: `µ` is two bytes, and yaml-cpp's byte column
    // pointed one past the 0 (and a name in another script, a byte column three per character).
    QTest::newRow("column after a µ")
        << flow("services:\n  a:\n    sim: { service_time: 5µs, workers: 0 }\n")
        << u"t.yaml:4:40: error: `workers`: expected a whole number from 1 to 2147483647, got '0'"_s;
    QTest::newRow("column after CJK")
        << flow("services:\n  注文: { sim: { workers: 0 } }\n")
        << u"t.yaml:3:25: error: `workers`: expected a whole number from 1 to 2147483647, got '0'"_s;
    QTest::newRow("column without a name")
        << flow("views:\n  v:\n    key: data.id\n    columns: { \"\": count() }\n")
        << u"t.yaml:5:16: error: expected a column name in view `v`, got ''\n"
           u"  hint: the name heads the column and names its member in the view's JSON"_s;

    const QString rule = u" (a compound gives each unit once, largest first, and each part after the first "
                         u"under one of the next larger unit)"_s;
    QTest::newRow("duration with a unit twice")
        << flow("simulation: { duration: 1m1m }\n")
        << u"t.yaml:2:25: error: `duration`: in the duration '1m1m', m comes twice: write 2m"_s + rule;
    QTest::newRow("duration smaller unit first")
        << flow("simulation:\n  load:\n    - { emit: A, rate: 1/s, start: 500ms1s }\n")
        << u"t.yaml:4:36: error: `start`: in the duration '500ms1s', s comes after ms: write 1s500ms"_s + rule;
    // A constant service time is a duration: its own error, not "expected a distribution".
    QTest::newRow("service time part too big")
        << flow("services:\n  a:\n    sim: { service_time: 1m90s }\n")
        << u"t.yaml:4:26: error: `service_time`: in the duration '1m90s', 90s is 1m or more: write 2m30s"_s + rule;
    QTest::newRow("curve time twice")
        << flow("simulation:\n  load:\n    - { emit: A, curve: { 0s: 5/s, 1s1s: 9/s } }\n")
        << u"t.yaml:4:36: error: in the duration '1s1s', s comes twice: write 2s"_s + rule
            + u"\n  hint: a curve maps times to rates, as in `{ 0s: 50/s, 1m: 400/s }`"_s;

    const QString resolution = u"is more than 1000000/s: the simulator's time resolution is 1 µs, so it generates "
                               u"at most one event per µs"_s;
    QTest::newRow("rate above one per µs") << flow("simulation:\n  load:\n    - { emit: A, rate: 3000000/s }\n")
                                           << u"t.yaml:4:24: error: `rate`: the rate '3000000/s' "_s + resolution;
    QTest::newRow("curve rate above one per µs")
        << flow("simulation:\n  load:\n    - { emit: A, curve: { 0s: 50/s, 1m: 1e308/s } }\n")
        << u"t.yaml:4:41: error: `1m`: the rate '1e308/s' "_s + resolution;

    QTest::newRow("workers above int") << flow("services:\n  a:\n    sim: { workers: 2147483648 }\n")
                                       << u"t.yaml:4:21: error: `workers`: expected a whole number from 1 to "
                                          u"2147483647, got '2147483648'"_s;
    QTest::newRow("queue below 0") << flow("services:\n  a:\n    sim: { queue: -1 }\n")
                                   << u"t.yaml:4:19: error: `queue`: expected a whole number from 0 to 2147483647, "
                                      u"got '-1'"_s;
    QTest::newRow("seed above 64 bits") << flow("simulation: { seed: 18446744073709551616 }\n")
                                        << u"t.yaml:2:21: error: `seed`: expected a whole number from 0 to "
                                           u"18446744073709551615, got '18446744073709551616'"_s;
    QTest::newRow("negative seed") << flow("simulation: { seed: -1 }\n")
                                   << u"t.yaml:2:21: error: `seed`: expected a whole number from 0 to "
                                      u"18446744073709551615, got '-1'"_s;

    // `normal(5ms, sd: 1ms)` cannot be mended (the rest has a value of its own).
    QTest::newRow("call cut short in braces")
        << flow("services:\n  a:\n    sim: { service_time: normal(5ms, sd: 1ms) }\n")
        << u"t.yaml:4:26: error: `service_time`: expected a distribution such as 5ms, exp(5ms), uniform(1ms, 9ms), "
           u"normal(5ms, 1ms) or lognormal(15ms, 0.4), got 'normal(5ms'\n"
           u"  hint: a comma inside { } ends the value: quote it, as in \"uniform(1ms, 2ms)\"\n"
           u"t.yaml:4:38: error: unknown key `sd` in `sim` of service `a`\n"
           u"  hint: expected one of: workers, queue, service_time, failure, retry, timeout, dead_letter, "
           u"serverless"_s;
    QTest::newRow("call cut short in a block map") // no `{ }`: the comma did not cut it, so no hint
        << flow("services:\n  a:\n    sim:\n      service_time: normal(5ms\n")
        << u"t.yaml:5:21: error: `service_time`: expected a distribution such as 5ms, exp(5ms), uniform(1ms, 9ms), "
           u"normal(5ms, 1ms) or lognormal(15ms, 0.4), got 'normal(5ms'"_s;

    // The mistakes of a value read through an alias are at its anchor: said once each, and
    // the one the alias repeats names the alias.
    QTest::newRow("alias repeats a mistake")
        << flow("services:\n  a: { sim: &bad { workers: 0, serverless: {} } }\n  b: { sim: *bad }\n")
        << u"t.yaml:3:20: error: `workers` does not apply to a serverless service\n"
           u"  hint: a serverless service runs up to `concurrency` instances: set it in `serverless:`\n"
           u"t.yaml:3:29: error: `workers`: expected a whole number from 1 to 2147483647, got '0'\n"
           u"t.yaml:3:29: error: `workers` (through the alias on line 4, column 8): expected a whole number from 1 "
           u"to 2147483647, got '0'"_s;
}

void TestFlowFile::exactErrors()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, errors);
    const FlowParseResult r = FlowFileParser::parseText(text, u"t.yaml"_s);
    QVERIFY(!r.ok());
    QCOMPARE(r.errorText(), errors);
}

// The reviewer's `{ service_time: uniform(1ms, 2ms), workers: 1 }`: YAML cuts the value at the
// comma, and the reader puts it back together, so it is read as written.
void TestFlowFile::callSplitAtACommaIsMended()
{
    const FlowParseResult r
        = FlowFileParser::parseText(flow("services:\n  a:\n    sim: { service_time: uniform(1ms, 2ms), workers: 1 }\n"),
            u"t.yaml"_s);
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    const ServiceSim& sim = *r.flow->service(u"a")->sim;
    QCOMPARE(sim.serviceTime.kind, Distribution::Kind::Uniform);
    QCOMPARE(sim.serviceTime.a, 1000.0);
    QCOMPARE(sim.serviceTime.b, 2000.0);
    QCOMPARE(sim.workers, 1);
}

// A seed is 64 bits, as the CLI's --seed takes it (it stopped at 2^63 - 1 in the file).
void TestFlowFile::seedTakes64Bits()
{
    const FlowParseResult r
        = FlowFileParser::parseText(flow("simulation: { seed: 18446744073709551615 }\n"), u"t.yaml"_s);
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    QCOMPARE(r.flow->simulation->seed, std::numeric_limits<quint64>::max());
    const FlowParseResult zero = FlowFileParser::parseText(flow("simulation: { seed: 0 }\n"), u"t.yaml"_s);
    QVERIFY2(zero.ok(), qPrintable(zero.errorText()));
    QCOMPARE(zero.flow->simulation->seed, quint64(0));
}

// Seven levels of ten aliases in a payload template: 10^7 fields from a few hundred bytes. The
// reading took 36 s and 4.6 GB before it failed; it stops at MaxNodes (100000) now, in `l4`
// (line 11), whose aliases `*l3` add 11110 nodes each: the eighth, a7, passes the limit.
void TestFlowFile::aliasBombStopsEarly()
{
    QByteArray text = flow("simulation:\n  load:\n    - emit: A\n      rate: 1/s\n      data:\n");
    text += "        l0: &l0 { v0: 1, v1: 1, v2: 1, v3: 1, v4: 1, v5: 1, v6: 1, v7: 1, v8: 1, v9: 1 }\n";
    for (int level = 1; level < 7; ++level) {
        text += "        l" + QByteArray::number(level) + ": &l" + QByteArray::number(level) + " {";
        for (int i = 0; i < 10; ++i)
            text += (i ? ", a" : " a") + QByteArray::number(i) + ": *l" + QByteArray::number(level - 1);
        text += " }\n";
    }
    const FlowParseResult r = FlowFileParser::parseText(text, u"t.yaml"_s);
    QCOMPARE(r.errorText(),
        u"t.yaml:11:82: error: the value here takes the flow file past 100000 YAML nodes (map entries and list items, "
        u"counting what each alias repeats)\n"
        u"  hint: an alias (`*name`) repeats all that its anchor holds, so aliases inside anchored values multiply"_s);
}

QTEST_GUILESS_MAIN(TestFlowFile)
#include "tst_flowfile.moc"
