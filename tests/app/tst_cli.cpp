// SPDX-License-Identifier: MIT
// The `flowscope` command as users and scripts drive it: reports, JSON keys, round trips,
// errors that say where, and a writer killed mid-import.
#include <recording.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace FlowScope;

// Declared before the helpers: moc stops reading at some of the raw string literals below.
class TestCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void helpPerSubcommand_data();
    void helpPerSubcommand();
    void importReportsBadLinesByNumber();
    void inspectJsonKeys();
    void exportImportRoundTrip();
    void exportKcatKeepsTheEnvelope();
    void exportCsv();
    void errorsSayWhere_data();
    void errorsSayWhere();
    void refusesToOverwrite();
    void demo();
    void killedImportKeepsCommittedBatches();

private:
    QString path(const QString& name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

namespace {

struct Run {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Run flowscope(const QStringList& args)
{
    QProcess p;
    p.start(QStringLiteral(FLOWSCOPE_BINARY), args);
    Run r;
    if (!p.waitForFinished(120000)) {
        p.kill();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

void writeFile(const QString& path, const QByteArray& data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QCOMPARE(f.write(data), data.size());
}

QList<Event> readAll(const QString& rec)
{
    QString error;
    auto r = Recording::open(rec, &error);
    if (!r) {
        qWarning("%s", qPrintable(error));
        return {};
    }
    QList<Event> out;
    r->readSeqRange(1, std::numeric_limits<qint64>::max(), [&](Event&& e) {
        out.append(std::move(e));
        return true;
    }, &error);
    return out;
}

QByteArray ce(int i, const QByteArray& type = "OrderCreated", const QByteArray& extra = {})
{
    return R"({"specversion":"1.0","id":"e)" + QByteArray::number(i) + R"(","source":"orders","type":")" + type
        + R"(","time":"2026-11-27T10:00:)" + QByteArray::number(10 + i % 50) + R"(Z","correlationid":"o)"
        + QByteArray::number(i / 3) + '"' + extra + R"(,"data":{"orderId":"o)" + QByteArray::number(i / 3) + R"("}})";
}

} // namespace


void TestCli::initTestCase()
{
    QVERIFY(QFile::exists(QStringLiteral(FLOWSCOPE_BINARY)));
    QVERIFY(m_dir.isValid());
}

void TestCli::helpPerSubcommand_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("import") << QStringLiteral("import") << QStringLiteral("--out <REC>");
    QTest::newRow("export") << QStringLiteral("export") << QStringLiteral("--format <FORMAT>");
    QTest::newRow("inspect") << QStringLiteral("inspect") << QStringLiteral("--json");
    QTest::newRow("demo") << QStringLiteral("demo") << QStringLiteral("--out <REC>");
}

void TestCli::helpPerSubcommand()
{
    QFETCH(QString, command);
    QFETCH(QString, mentions);
    const Run r = flowscope({ command, QStringLiteral("--help") });
    QCOMPARE(r.exitCode, 0);
    const QString text = QString::fromUtf8(r.out);
    QVERIFY2(text.contains(QStringLiteral("Usage: flowscope %1").arg(command)), qPrintable(text));
    QVERIFY2(text.contains(mentions), qPrintable(text));
}

// Every non-empty line is one event; the ones that are not events are kept, counted and located.
void TestCli::importReportsBadLinesByNumber()
{
    QByteArray in;
    in += ce(1) + '\n';                                                      // 1
    in += '\n';                                                              // 2 empty
    in += R"({"specversion":"1.0","id":"e2","source":"orders","ty)" "\n";   // 3 truncated
    in += ce(3, "PaymentAuthorized") + "\r\n";                               // 4 CRLF is fine
    in += R"({"specversion":"1.0","id":7,"source":"s","type":"T"})" "\n";    // 5 wrong type
    in += QByteArray("\x00\x01\x02\xfe\xff garbage", 13) + '\n';             // 6 binary garbage
    in += "{\"specversion\":\"1.0\",\"id\":\"caf\xe9\",\"source\":\"s\",\"type\":\"T\"}\n"; // 7 invalid UTF-8
    in += "   \t\n";                                                         // 8 blank
    in += ce(9, "Big", R"(,"blob":")" + QByteArray(10 * 1024 * 1024, 'b') + '"') + '\n'; // 9: a 10 MB event
    in += R"({"type":"Ping","n":1})";                                        // 10 plain JSON, no final newline
    writeFile(path(QStringLiteral("mixed.jsonl")), in);

    const QString rec = path(QStringLiteral("mixed.fsrec"));
    const Run r = flowscope({ QStringLiteral("import"), path(QStringLiteral("mixed.jsonl")), QStringLiteral("--out"), rec,
                              QStringLiteral("--json") });
    QCOMPARE(r.exitCode, 0);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(u"lines").toInteger(), 10);
    QCOMPARE(o.value(u"empty_lines").toInteger(), 2);
    QCOMPARE(o.value(u"events").toInteger(), 8);
    QCOMPARE(o.value(u"unparsed").toInteger(), 4);
    QCOMPARE(o.value(u"complete").toBool(), true);
    const QJsonArray bad = o.value(u"bad_lines").toArray();
    QCOMPARE(bad.size(), 4);
    QCOMPARE(bad[0].toObject().value(u"line").toInteger(), 3);
    QVERIFY(bad[0].toObject().value(u"error").toString().contains(u"truncated JSON"));
    QCOMPARE(bad[1].toObject().value(u"line").toInteger(), 5);
    QVERIFY(bad[1].toObject().value(u"error").toString().contains(u"attribute `id` must be a string"));
    QCOMPARE(bad[2].toObject().value(u"line").toInteger(), 6);
    QCOMPARE(bad[3].toObject().value(u"line").toInteger(), 7);
    QVERIFY(bad[3].toObject().value(u"error").toString().contains(u"invalid UTF-8"));

    // the same in the text report
    const Run text = flowscope({ QStringLiteral("import"), path(QStringLiteral("mixed.jsonl")), QStringLiteral("--out"),
                                 path(QStringLiteral("mixed2.fsrec")) });
    QCOMPARE(text.exitCode, 0);
    QVERIFY2(text.out.contains("10 lines read, 8 events stored (4 unparsed), 2 empty lines skipped"), text.out);
    QVERIFY2(text.out.contains("mixed.jsonl:3: truncated JSON"), text.out);

    // the recording holds them in file order, bad ones as the bytes they were
    const QList<Event> events = readAll(rec);
    QCOMPARE(events.size(), 8);
    QCOMPARE(events[0].id, "e1");
    QVERIFY(events[1].isUnparsed());
    QCOMPARE(events[1].payload, R"({"specversion":"1.0","id":"e2","source":"orders","ty)");
    QCOMPARE(events[1].error.left(14), "mixed.jsonl:3:");
    QCOMPARE(events[2].type, "PaymentAuthorized");
    QCOMPARE(events[4].payload, QByteArray("\x00\x01\x02\xfe\xff garbage", 13));
    QCOMPARE(events[6].type, "Big");
    QVERIFY(events[6].extensions.size() > 10 * 1024 * 1024);
    QCOMPARE(events[7].format, EventFormat::PlainJson);
}

void TestCli::inspectJsonKeys()
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

// import -> export -> import gives the same events, field by field.
void TestCli::exportImportRoundTrip()
{
    QByteArray in;
    for (int i = 0; i < 200; ++i)
        in += ce(i, "OrderCreated", i % 7 == 0 ? R"(,"subject":"s","causationid":"e0","partitionkey":"p","n":3)" : "")
            + '\n';
    in += R"({"specversion":"1.0","id":"b","source":"s","type":"Bin","data_base64":"AAEC/w=="})" "\n";
    in += R"({"type":"Plain","v":[1,2]})" "\n";
    in += "not an event at all\n";
    in += R"({"specversion":"1.0","id":"x","source":"s","type":"T","time":"soon"})" "\n";
    writeFile(path(QStringLiteral("rt.jsonl")), in);
    const QString rec1 = path(QStringLiteral("rt1.fsrec")), rec2 = path(QStringLiteral("rt2.fsrec"));
    const QString exported = path(QStringLiteral("rt-export.jsonl"));
    QCOMPARE(flowscope({ QStringLiteral("import"), path(QStringLiteral("rt.jsonl")), QStringLiteral("--out"), rec1 }).exitCode, 0);
    const Run ex = flowscope({ QStringLiteral("export"), rec1, QStringLiteral("--format"), QStringLiteral("jsonl"),
                               QStringLiteral("--out"), exported });
    QCOMPARE(ex.exitCode, 0);
    QCOMPARE(flowscope({ QStringLiteral("import"), exported, QStringLiteral("--out"), rec2 }).exitCode, 0);

    const QList<Event> a = readAll(rec1), b = readAll(rec2);
    QCOMPARE(a.size(), 204);
    QCOMPARE(b.size(), a.size());
    for (qsizetype i = 0; i < a.size(); ++i) {
        Event x = a[i], y = b[i];
        QCOMPARE(y.seq, x.seq);
        x.ingestTime = y.ingestTime = 0; // when it was read differs, by definition
        x.error.replace("rt.jsonl", "");
        y.error.replace("rt-export.jsonl", "");
        QCOMPARE(y, x);
    }
    // and the export of stdout is the same bytes as the export to a file
    const Run toStdout = flowscope({ QStringLiteral("export"), rec1 });
    QFile f(exported);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(toStdout.out, f.readAll());
}

void TestCli::exportKcatKeepsTheEnvelope()
{
    const QByteArray in =
        R"({"topic":"orders","partition":2,"offset":10,"tstype":"create","ts":1790000000123,"broker":1,)"
        R"("headers":["h","v","n",null],"key":"o-1","payload":"{\"specversion\":\"1.0\",\"id\":\"1\",)"
        R"(\"source\":\"orders\",\"type\":\"OrderCreated\",\"data\":{\"orderId\":\"o-1\"}}"})" "\n"
        R"({"topic":"orders","partition":0,"offset":11,"broker":1,"headers":["ce_specversion","1.0","ce_id","2",)"
        R"("ce_source","orders","ce_type","OrderApproved"],"key":null,"payload":"{\"orderId\":\"o-1\"}"})" "\n";
    writeFile(path(QStringLiteral("kcat.jsonl")), in);
    const QString rec1 = path(QStringLiteral("k1.fsrec")), rec2 = path(QStringLiteral("k2.fsrec"));
    QCOMPARE(flowscope({ QStringLiteral("import"), path(QStringLiteral("kcat.jsonl")), QStringLiteral("--out"), rec1 }).exitCode, 0);
    const Run ex = flowscope({ QStringLiteral("export"), rec1, QStringLiteral("--format"), QStringLiteral("kcat"),
                               QStringLiteral("--out"), path(QStringLiteral("k-out.jsonl")) });
    QCOMPARE(ex.exitCode, 0);
    QCOMPARE(flowscope({ QStringLiteral("import"), path(QStringLiteral("k-out.jsonl")), QStringLiteral("--out"), rec2 }).exitCode, 0);
    QList<Event> a = readAll(rec1), b = readAll(rec2);
    QCOMPARE(a.size(), 2);
    QCOMPARE(b.size(), 2);
    for (int i = 0; i < 2; ++i) {
        a[i].ingestTime = b[i].ingestTime = 0;
        QCOMPARE(b[i], a[i]);
    }
    QCOMPARE(a[0].channel, "orders");
    QCOMPARE(a[0].offset, 10);
    QCOMPARE(a[1].format, EventFormat::Binary);
}

void TestCli::exportCsv()
{
    QByteArray in;
    for (int i = 0; i < 5; ++i)
        in += ce(i) + '\n';
    in += "a,\"quoted\"\n";
    writeFile(path(QStringLiteral("csv.jsonl")), in);
    const QString rec = path(QStringLiteral("csv.fsrec"));
    QCOMPARE(flowscope({ QStringLiteral("import"), path(QStringLiteral("csv.jsonl")), QStringLiteral("--out"), rec }).exitCode, 0);
    const Run r = flowscope({ QStringLiteral("export"), rec, QStringLiteral("--format"), QStringLiteral("csv") });
    QCOMPARE(r.exitCode, 0);
    const QList<QByteArray> rows = r.out.trimmed().split('\n');
    QCOMPARE(rows.size(), 7);
    QVERIFY(rows[0].startsWith("seq,time,id,type,source"));
    QVERIFY2(rows[1].startsWith("1,2026-11-27T10:00:10Z,e0,OrderCreated,orders,,o0,"), rows[1]);
    QVERIFY2(rows[6].endsWith(",\"a,\"\"quoted\"\"\""), rows[6]); // RFC 4180 quoting
}

void TestCli::errorsSayWhere_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    const QString missing = QDir::tempPath() + QStringLiteral("/flowscope-no-such-file.fsrec");
    QTest::newRow("inspect missing") << QStringList { QStringLiteral("inspect"), missing } << 1
                                     << missing + QStringLiteral(": no such file");
    QTest::newRow("export missing") << QStringList { QStringLiteral("export"), missing } << 1
                                    << missing + QStringLiteral(": no such file");
    QTest::newRow("import missing") << QStringList { QStringLiteral("import"), missing, QStringLiteral("--out"), missing } << 1
                                    << missing + QStringLiteral(": no such file");
    QTest::newRow("import without --out") << QStringList { QStringLiteral("import"), missing } << 2
                                          << QStringLiteral("--out REC is required");
    QTest::newRow("unknown format") << QStringList { QStringLiteral("export"), missing, QStringLiteral("--format"), QStringLiteral("xml") }
                                    << 2 << QStringLiteral("unknown format 'xml'");
    QTest::newRow("unknown option") << QStringList { QStringLiteral("inspect"), QStringLiteral("--bogus") } << 2
                                    << QStringLiteral("Unknown option 'bogus'");
    QTest::newRow("unknown command") << QStringList { QStringLiteral("frobnicate") } << 2
                                     << QStringLiteral("unknown command 'frobnicate'");
}

void TestCli::errorsSayWhere()
{
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    const Run r = flowscope(args);
    QCOMPARE(r.exitCode, exitCode);
    QVERIFY2(QString::fromUtf8(r.err).contains(message), r.err.constData());
}

void TestCli::refusesToOverwrite()
{
    writeFile(path(QStringLiteral("one.jsonl")), ce(1) + '\n');
    writeFile(path(QStringLiteral("notarec.fsrec")), "hello\n");
    const Run inspect = flowscope({ QStringLiteral("inspect"), path(QStringLiteral("notarec.fsrec")) });
    QCOMPARE(inspect.exitCode, 1);
    QVERIFY2(inspect.err.contains("notarec.fsrec: not a FlowScope recording"), inspect.err);

    const Run r = flowscope({ QStringLiteral("import"), path(QStringLiteral("one.jsonl")), QStringLiteral("--out"),
                              path(QStringLiteral("notarec.fsrec")) });
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("exists; use --force"), r.err);
    QFile f(path(QStringLiteral("notarec.fsrec")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), "hello\n"); // untouched
}

void TestCli::demo()
{
    const Run r = flowscope({ QStringLiteral("demo"), QStringLiteral("--json") });
    QCOMPARE(r.exitCode, 0);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(u"events").toInteger(), 1467);
    QCOMPARE(o.value(u"unparsed").toInteger(), 2);
    QCOMPARE(o.value(u"types").toObject().value(u"OrderCreated").toInteger(), 300);
    QCOMPARE(o.value(u"sources").toObject().size(), 4);
}

// A writer killed with SIGKILL leaves a recording that opens and holds every committed batch.
void TestCli::killedImportKeepsCommittedBatches()
{
    const QString input = path(QStringLiteral("big.jsonl"));
    {
        QFile f(input);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QByteArray chunk;
        for (int i = 0; i < 600000; ++i) {
            chunk += ce(i) + '\n';
            if (chunk.size() > (1 << 20)) {
                f.write(chunk);
                chunk.clear();
            }
        }
        f.write(chunk);
    }
    const QString rec = path(QStringLiteral("killed.fsrec"));
    QProcess p;
    p.start(QStringLiteral(FLOWSCOPE_BINARY), { QStringLiteral("import"), input, QStringLiteral("--out"), rec });
    QVERIFY(p.waitForStarted());
    constexpr qint64 Batch = 8192; // Importer::BatchSize: one transaction each
    auto committed = [&]() -> qint64 {
        QString error;
        auto r = Recording::open(rec, &error);
        return r ? r->eventCount() : 0;
    };
    QTRY_VERIFY_WITH_TIMEOUT(committed() >= 3 * Batch, 60000);
    ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
    QVERIFY(p.waitForFinished());
    QCOMPARE(p.exitStatus(), QProcess::CrashExit);
    QVERIFY2(committed() < 600000, "the import finished before it could be killed: make the input larger");

    QString error;
    auto r = Recording::open(rec, &error);
    QVERIFY2(r, qPrintable(error));
    const qint64 n = r->eventCount();
    QVERIFY(n >= 3 * Batch);
    QCOMPARE(n % Batch, 0); // whole batches only
    qint64 seen = 0;
    QVERIFY(r->readSeqRange(1, n, [&](Event&& e) {
        if (e.id != "e" + QByteArray::number(seen) || e.seq != seen + 1)
            return false;
        ++seen;
        return true;
    }, &error));
    QCOMPARE(seen, n); // every one of them, in order, intact
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
