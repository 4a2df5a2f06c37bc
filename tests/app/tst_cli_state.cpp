// SPDX-License-Identifier: MIT
// What `flowscope inspect`, `sim` and `demo` print of the state: DESIGN.md's JSON keys with exact
// values, `--at` by sequence and by time, the same keys from sim and record as from inspect, and
// the progress line on a terminal.
#include "clitest.h"

#include <flowfile.h>

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>

#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

using namespace FlowScope;
using namespace FlowScope::CliTest;

// Declared before the helpers: moc stops reading at some of the raw string literals below.
class TestCliState : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void inspectJsonKeys();
    void demo();
    void simShowsProgressOnATerminal();
    void inspectWithFlow();
    void inspectAtWithAndWithoutCheckpoints();
    void inspectAtGoesByBrokerTimeWithoutAnEventTime();
    void simAndRecordGiveInspectsKeys();

private:
    QString path(const QString& name) const { return m_dir.filePath(name); }
    // The demo's orders.jsonl imported into the recording `name`: its path, or empty when the
    // import failed.
    QString importDemoOrders(const QString& name) const
    {
        const QString rec = path(name);
        return flowscope({ QStringLiteral("import"), QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/orders.jsonl"),
                           QStringLiteral("--out"), rec })
                       .exitCode
                == 0
            ? rec
            : QString();
    }
    QTemporaryDir m_dir;
};

void TestCliState::initTestCase()
{
    QVERIFY(QFile::exists(QStringLiteral(FLOWSCOPE_BINARY)));
    QVERIFY(m_dir.isValid());
}

void TestCliState::inspectJsonKeys()
{
    QByteArray in;
    for (int i = 0; i < 30; ++i)
        in += ce(i, i % 3 == 0 ? "OrderCreated" : i % 3 == 1 ? "PaymentAuthorized" : "OrderShipped") + '\n';
    in += "not json\n";
    in += R"({"topic":"payments","partition":1,"offset":5,"key":"k","payload":"{\"specversion\":\"1.0\",)"
          R"(\"id\":\"k1\",\"source\":\"payment\",\"type\":\"PaymentAuthorized\",\"time\":\"2026-11-27T09:00:00Z\"}"})"
          "\n";
    writeFile(path(QStringLiteral("inspect.jsonl")), in);
    const QString rec = path(QStringLiteral("inspect.fsrec"));
    QCOMPARE(flowscope({ QStringLiteral("import"), path(QStringLiteral("inspect.jsonl")), QStringLiteral("--out"), rec }).exitCode, 0);

    const Run r = flowscope({ QStringLiteral("inspect"), rec, QStringLiteral("--json") });
    QCOMPARE(r.exitCode, 0);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    for (const char* key : { "events", "unparsed", "types", "sources", "channels", "first_time", "last_time" })
        QVERIFY2(o.contains(QLatin1String(key)), key);
    QCOMPARE(o.value(u"events").toInteger(), 32);
    QCOMPARE(o.value(u"unparsed").toInteger(), 1);
    const QJsonObject types = o.value(u"types").toObject();
    QCOMPARE(types.value(u"OrderCreated").toInteger(), 10);
    QCOMPARE(types.value(u"PaymentAuthorized").toInteger(), 11);
    QCOMPARE(types.value(u"OrderShipped").toInteger(), 10);
    QCOMPARE(types.size(), 3);
    QCOMPARE(o.value(u"sources").toObject().value(u"orders").toInteger(), 30);
    QCOMPARE(o.value(u"sources").toObject().value(u"payment").toInteger(), 1);
    QCOMPARE(o.value(u"channels").toObject(), (QJsonObject { { QStringLiteral("payments"), 1 } }));
    QCOMPARE(o.value(u"first_time").toString(), u"2026-11-27T09:00:00Z");
    QCOMPARE(o.value(u"last_time").toString(), u"2026-11-27T10:00:39Z");

    const Run text = flowscope({ QStringLiteral("inspect"), rec });
    QCOMPARE(text.exitCode, 0);
    QVERIFY2(text.out.contains("events      32"), text.out);
}

// The built-in demo is the shop flow in the simulator: deterministic, so exact.
void TestCliState::demo()
{
    const Run r = flowscope({ QStringLiteral("demo"), QStringLiteral("--json") });
    QCOMPARE(r.exitCode, 0);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(u"events").toInteger(), 58237);
    QCOMPARE(o.value(u"sim").toObject().value(u"events").toInteger(), 58237);
    QCOMPARE(o.value(u"sim").toObject().value(u"sim_seconds").toDouble(), 60.0);
    QCOMPARE(o.value(u"types").toObject().value(u"OrderCreated").toInteger(), 12010);
    const QJsonObject outcomes = o.value(u"sagas").toObject().value(u"order").toObject().value(u"outcomes").toObject();
    QCOMPARE(outcomes.value(u"completed").toInteger(), 10572);
    QCOMPARE(outcomes.value(u"compensated").toInteger(), 525);
    QCOMPARE(outcomes.value(u"failed").toInteger(), 880);
    const QJsonObject services = o.value(u"services").toObject();
    for (const char* key : { "processed", "failed", "retries", "dead_lettered", "dropped", "duplicated", "taken", "mean_lag_ms", "max_queue", "mean_latency_ms" })
        QVERIFY2(services.value(u"payment").toObject().contains(QLatin1String(key)), key);
    QCOMPARE(services.value(u"shipping").toObject().value(u"processed").toInteger(), 10572);
    // the demo's three faults, each with how strong it is; the first begins at 60 s, as the run ends
    const QJsonArray faults = o.value(u"faults").toArray();
    QCOMPARE(faults.size(), 3);
    QCOMPARE(faults[0].toObject(), (QJsonObject { { QStringLiteral("at_s"), 60 }, { QStringLiteral("for_s"), 30 },
                                                  { QStringLiteral("target"), QStringLiteral("service") },
                                                  { QStringLiteral("name"), QStringLiteral("payment") },
                                                  { QStringLiteral("kind"), QStringLiteral("down") },
                                                  { QStringLiteral("active"), true } }));
    QCOMPARE(faults[1].toObject().value(u"kind").toString(), u"slow");
    QCOMPARE(faults[1].toObject().value(u"factor").toDouble(), 10.0);
    QCOMPARE(faults[2].toObject().value(u"kind").toString(), u"drop");
    QCOMPARE(faults[2].toObject().value(u"probability").toDouble(), 0.05);
    QCOMPARE(faults[2].toObject().value(u"active").toBool(), false);
    // no arguments at all runs the same demo
    const Run plain = flowscope({});
    QCOMPARE(plain.exitCode, 0);
    QVERIFY2(plain.out.startsWith("Shop (order saga, choreography): 60.0 s simulated"), plain.out.left(200));
}

// With stderr on a terminal, `sim` says how far it is twice a second and clears the line before
// the result; with stderr a pipe (scripts, the tests above) or with --json it says nothing there.
void TestCliState::simShowsProgressOnATerminal()
{
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    QVERIFY(master >= 0);
    QVERIFY(::grantpt(master) == 0 && ::unlockpt(master) == 0);
    const auto closeMaster = qScopeGuard([master] { ::close(master); });
    const QByteArray terminal = ::ptsname(master);
    QProcess p;
    p.setChildProcessModifier([terminal] {
        const int fd = ::open(terminal.constData(), O_RDWR | O_NOCTTY);
        if (fd >= 0) {
            ::dup2(fd, STDERR_FILENO);
            ::close(fd);
        }
    });
    // paced, so that it takes a second of wall time however fast the machine: a progress line at
    // least (one every 500 ms)
    const QString flow = QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/serverless.yaml");
    p.start(QStringLiteral(FLOWSCOPE_BINARY),
            { QStringLiteral("sim"), flow, QStringLiteral("--duration"), QStringLiteral("100s"), QStringLiteral("--speed"),
              QStringLiteral("100x") });
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    QVERIFY2(p.readAllStandardOutput().startsWith("Image pipeline (serverless): 100.0 s simulated"), "");
    QVERIFY(::fcntl(master, F_SETFL, O_NONBLOCK) == 0);
    QByteArray shown;
    char buffer[4096];
    for (ssize_t n; (n = ::read(master, buffer, sizeof buffer)) > 0;)
        shown.append(buffer, n);
    const QList<QByteArray> lines = shown.split('\r');
    QVERIFY2(lines.size() >= 3, shown.constData()); // "", at least one progress line, the clearing
    QCOMPARE(lines.first(), QByteArray());
    for (qsizetype i = 1; i + 1 < lines.size(); ++i)
        QVERIFY2(lines[i].startsWith("\x1b[Ksimulating: ") && lines[i].contains(" of 100 s ("),
                 lines[i].constData());
    QCOMPARE(lines.last(), QByteArray("\x1b[K")); // cleared: the terminal is left as it was
    // not for scripts
    const Run piped = flowscope({ QStringLiteral("sim"), flow, QStringLiteral("--duration"), QStringLiteral("100s"),
                                  QStringLiteral("--speed"), QStringLiteral("100x") });
    QCOMPARE(piped.exitCode, 0);
    QCOMPARE(piped.err, QByteArray());
}

// The demo stream through the demo flow: the contract keys of DESIGN.md with exact values.
void TestCliState::inspectWithFlow()
{
    const QString rec = importDemoOrders(QStringLiteral("demo-flow.fsrec"));
    QVERIFY(!rec.isEmpty());
    const QString flow = QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/order-saga.yaml");
    const Run r = flowscope({ QStringLiteral("inspect"), rec, QStringLiteral("--flow"), flow, QStringLiteral("--json") });
    QCOMPARE(r.exitCode, 0);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(u"events").toInteger(), 1467);

    const QJsonObject saga = o.value(u"sagas").toObject().value(u"order").toObject();
    const QJsonObject outcomes = saga.value(u"outcomes").toObject();
    QCOMPARE(outcomes.value(u"completed").toInteger(), 270);
    QCOMPARE(outcomes.value(u"compensated").toInteger(), 8);
    QCOMPARE(outcomes.value(u"failed").toInteger(), 15);
    QCOMPARE(outcomes.value(u"running").toInteger() + outcomes.value(u"stuck").toInteger(), 7);
    const QJsonObject states = saga.value(u"states").toObject();
    QCOMPARE(states.value(u"shipped").toInteger(), 270);
    QCOMPARE(states.value(u"approved").toInteger(), 6); // every 50th order never ships
    QCOMPARE(states.size(), 10);
    // the sample's duplicate line and the swapped pair are anomalies; the broken lines never reach the saga
    QVERIFY(saga.value(u"anomalies").toInteger() >= 1);
    const QJsonObject latency = saga.value(u"latency_ms").toObject();
    for (const char* k : { "mean", "p50", "p90", "p99", "max" })
        QVERIFY2(latency.value(QLatin1String(k)).toDouble() > 0, k);
    QVERIFY(latency.value(u"p50").toDouble() <= latency.value(u"p99").toDouble());

    const QJsonObject view = o.value(u"views").toObject().value(u"orders").toObject();
    QCOMPARE(view.value(u"rows").toInteger(), 300);
    const QJsonArray sample = view.value(u"sample").toArray();
    QCOMPARE(sample.size(), 10);
    QCOMPARE(sample[0].toObject().value(u"key").toString(), u"o0000");
    QCOMPARE(sample[9].toObject().value(u"key").toString(), u"o0009");
    for (const char* column : { "status", "customer", "amount", "refunds", "events", "updated" })
        QVERIFY2(sample[0].toObject().contains(QLatin1String(column)), column);

    const QJsonObject topology = o.value(u"topology").toObject();
    QJsonArray nodes = topology.value(u"nodes").toArray();
    QStringList services;
    for (const QJsonValue& n : nodes)
        if (n.toObject().value(u"kind").toString() == u"service")
            services.append(n.toObject().value(u"name").toString());
    QCOMPARE(services, (QStringList { QStringLiteral("inventory"), QStringLiteral("orders"), QStringLiteral("payment"),
                                      QStringLiteral("shipping") }));
    bool found = false;
    for (const QJsonValue& v : topology.value(u"edges").toArray()) {
        const QJsonObject e = v.toObject();
        for (const char* k : { "from", "to", "kind", "count", "declared", "observed" })
            QVERIFY2(e.contains(QLatin1String(k)), k);
        if (e.value(u"from").toString() == u"payment" && e.value(u"to").toString() == u"payments") {
            found = true;
            QCOMPARE(e.value(u"kind").toString(), u"emits");
            QCOMPARE(e.value(u"count").toInteger(), 308);
            QVERIFY(e.value(u"declared").toBool());
            QVERIFY(e.value(u"observed").toBool());
        }
    }
    QVERIFY(found);
}

// --at gives the same state whether the recording has checkpoints or not, by seq and by time.
void TestCliState::inspectAtWithAndWithoutCheckpoints()
{
    const QString rec = importDemoOrders(QStringLiteral("at.fsrec"));
    QVERIFY(!rec.isEmpty());
    const QString flow = QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/order-saga.yaml");
    const QStringList points { QStringLiteral("1"), QStringLiteral("500"), QStringLiteral("1000"),
                               QStringLiteral("2026-09-21T14:13:40Z") };
    QList<QByteArray> before;
    for (const QString& at : points) {
        const Run r = flowscope({ QStringLiteral("inspect"), rec, QStringLiteral("--flow"), flow, QStringLiteral("--at"),
                                  at, QStringLiteral("--json") });
        QCOMPARE(r.exitCode, 0);
        before.append(r.out);
    }
    const Run cp = flowscope({ QStringLiteral("checkpoint"), rec, QStringLiteral("--flow"), flow, QStringLiteral("--every"),
                               QStringLiteral("300") });
    QCOMPARE(cp.exitCode, 0);
    QVERIFY2(cp.out.contains("5 checkpoints stored"), cp.out);
    for (qsizetype i = 0; i < points.size(); ++i) {
        const Run r = flowscope({ QStringLiteral("inspect"), rec, QStringLiteral("--flow"), flow, QStringLiteral("--at"),
                                  points[i], QStringLiteral("--json") });
        QCOMPARE(r.out, before[i]);
    }
    const QJsonObject at500 = QJsonDocument::fromJson(before[1]).object();
    QCOMPARE(at500.value(u"events").toInteger(), 500);
    QCOMPARE(at500.value(u"at").toInteger(), 500);
    const QJsonObject atTime = QJsonDocument::fromJson(before[3]).object();
    QVERIFY(atTime.value(u"events").toInteger() > 400);
    QVERIFY(atTime.value(u"events").toInteger() < 1000);
    QVERIFY(atTime.value(u"last_time").toString() <= u"2026-09-21T14:13:40Z");
}

// Plain JSON on Kafka has no time of its own; the projections go by the broker's, and so does
// --at TIME (it found nothing: the state of none at any time).
void TestCliState::inspectAtGoesByBrokerTimeWithoutAnEventTime()
{
    QByteArray in;
    for (int i = 1; i <= 5; ++i)
        in += R"({"topic":"orders","partition":0,"offset":)" + QByteArray::number(i) + R"(,"tstype":"create","ts":170000000)"
            + QByteArray::number(i) + R"(000,"key":"k","payload":"{\"type\":\"OrderCreated\",\"n\":)" + QByteArray::number(i)
            + "}\"}\n";
    writeFile(path(QStringLiteral("broker.jsonl")), in);
    const QString rec = path(QStringLiteral("broker.fsrec"));
    QCOMPARE(flowscope({ QStringLiteral("import"), path(QStringLiteral("broker.jsonl")), QStringLiteral("--out"), rec }).exitCode, 0);
    for (const auto& [at, expected] : { std::pair { "2023-11-14T22:13:20Z", 0 }, std::pair { "2023-11-14T22:13:23Z", 3 },
                                        std::pair { "2023-11-14T22:13:23.5Z", 3 }, std::pair { "2030-01-01T00:00:00Z", 5 } }) {
        const Run r = flowscope({ QStringLiteral("inspect"), rec, QStringLiteral("--at"), QLatin1StringView(at),
                                  QStringLiteral("--json") });
        QCOMPARE(r.exitCode, 0);
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value(u"at").toInteger(), expected);
        QCOMPARE(o.value(u"events").toInteger(), expected);
    }
}

// `sim --json` and `record --json` print everything `inspect --json` prints of what they
// recorded, the same keys, also when nothing happened (they printed no `events` then), and the
// recording's `at`, `recorded_events`, `format_version`.
void TestCliState::simAndRecordGiveInspectsKeys()
{
    auto keysOf = [](const QByteArray& json) {
        const QStringList keys = QJsonDocument::fromJson(json).object().keys();
        return QSet<QString>(keys.cbegin(), keys.cend());
    };
    const QString shop = QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/shop.yaml");
    writeFile(path(QStringLiteral("noload.yaml")), "flowscope: 1\nsimulation:\n  seed: 3\n");
    for (const auto& [flow, events] : { std::pair { path(QStringLiteral("noload.yaml")), false }, std::pair { shop, true } }) {
        const QString rec = path(events ? QStringLiteral("sim-shop.fsrec") : QStringLiteral("sim-none.fsrec"));
        const Run sim = flowscope({ QStringLiteral("sim"), flow, QStringLiteral("--duration"), QStringLiteral("2s"),
                                    QStringLiteral("--record"), rec, QStringLiteral("--json") });
        QCOMPARE(sim.exitCode, 0);
        const Run inspect = flowscope({ QStringLiteral("inspect"), rec, QStringLiteral("--flow"), flow, QStringLiteral("--json") });
        QCOMPARE(inspect.exitCode, 0);
        const QSet<QString> missing = keysOf(inspect.out) - keysOf(sim.out);
        QVERIFY2(missing.isEmpty(), qPrintable(QStringList(missing.cbegin(), missing.cend()).join(u' ')));
        const QJsonObject o = QJsonDocument::fromJson(sim.out).object();
        const QJsonObject i = QJsonDocument::fromJson(inspect.out).object();
        for (const char* key : { "events", "at", "recorded_events", "format_version", "types", "first_time", "last_time" })
            QCOMPARE(o.value(QLatin1StringView(key)), i.value(QLatin1StringView(key)));
        QCOMPARE(o.value(u"events").toInteger() > 0, events);
        QCOMPARE(o.value(u"at").toInteger(), o.value(u"events").toInteger());
    }
    const QString none = path(QStringLiteral("none.fsrec"));
    writeFile(path(QStringLiteral("empty.jsonl")), "");
    const Run record = flowscope({ QStringLiteral("record"), QStringLiteral("--follow"), path(QStringLiteral("empty.jsonl")),
                                   QStringLiteral("--duration"), QStringLiteral("300ms"), QStringLiteral("--flow"), shop,
                                   QStringLiteral("--out"), none, QStringLiteral("--json") });
    QCOMPARE(record.exitCode, 0);
    const Run inspect = flowscope({ QStringLiteral("inspect"), none, QStringLiteral("--flow"), shop, QStringLiteral("--json") });
    const QSet<QString> missing = keysOf(inspect.out) - keysOf(record.out);
    QVERIFY2(missing.isEmpty(), qPrintable(QStringList(missing.cbegin(), missing.cend()).join(u' ')));
    const QJsonObject o = QJsonDocument::fromJson(record.out).object();
    QCOMPARE(o.value(u"events").toInteger(), 0);
    QVERIFY(o.value(u"first_time").isNull());
    QCOMPARE(o.value(u"topology").toObject(), QJsonDocument::fromJson(inspect.out).object().value(u"topology").toObject());
}

QTEST_GUILESS_MAIN(TestCliState)
#include "tst_cli_state.moc"
