// SPDX-License-Identifier: MIT
// The `flowscope` command as users and scripts drive it: reports, JSON keys, round trips,
// errors that say where, and a writer killed mid-import.
#include <eventparser.h>
#include <recording.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

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
    void exportJsonlKeepsEachEventOnOneLine();
    void exportKcatKeepsTheEnvelope();
    void exportCsv();
    void errorsSayWhere_data();
    void errorsSayWhere();
    void importOfADirectoryCreatesNothing();
    void refusesToOverwrite();
    void outputsAreNeverClobbered();
    void rangesAreChecked();
    void noDisplayMeansNoWindow();
    void demo();
    void simShowsProgressOnATerminal();
    void inspectWithFlow();
    void inspectAtWithAndWithoutCheckpoints();
    void inspectAtGoesByBrokerTimeWithoutAnEventTime();
    void simAndRecordGiveInspectsKeys();
    void badFlowFileSaysWhere();
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

Run flowscope(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment())
{
    QProcess p;
    p.setProcessEnvironment(env);
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
    QTest::newRow("sim") << QStringLiteral("sim") << QStringLiteral("--fault <SPEC>");
    QTest::newRow("checkpoint") << QStringLiteral("checkpoint") << QStringLiteral("--every <N>");
    QTest::newRow("record") << QStringLiteral("record") << QStringLiteral("--follow <FILE>");
    QTest::newRow("gui") << QStringLiteral("gui") << QStringLiteral("--screenshot <OUT.png>");
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
    // `help COMMAND` says the same
    const Run help = flowscope({ QStringLiteral("help"), command });
    QCOMPARE(help.exitCode, 0);
    QCOMPARE(help.out, r.out);
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
    QCOMPARE(events[1].error().left(14), "mixed.jsonl:3:");
    QCOMPARE(events[2].type, "PaymentAuthorized");
    QCOMPARE(events[4].payload, QByteArray("\x00\x01\x02\xfe\xff garbage", 13));
    QCOMPARE(events[6].type, "Big");
    QVERIFY(events[6].extensions().size() > 10 * 1024 * 1024);
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
        x.setError(QByteArray(x.error()).replace("rt.jsonl", ""));
        y.setError(QByteArray(y.error()).replace("rt-export.jsonl", ""));
        QCOMPARE(y, x);
    }
    // and the export of stdout is the same bytes as the export to a file
    const Run toStdout = flowscope({ QStringLiteral("export"), rec1 });
    QFile f(exported);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(toStdout.out, f.readAll());
}

// Live sources keep bodies as they came: a pretty-printed JSON body has line breaks, a Kafka
// tombstone has no payload at all. Each is still one line of a JSONL export, never blank, and
// `import` of it gives the same events with the same payload bytes (raw line breaks in JSON,
// which can only be whitespace between tokens, come back as spaces).
void TestCli::exportJsonlKeepsEachEventOnOneLine()
{
    EventParser parser;
    auto kafka = [&](const QByteArray& value) {
        KafkaRecord r;
        r.topic = "orders";
        r.partition = 0;
        r.offset = 7;
        r.key = "k1";
        r.value = value;
        return parser.parseKafkaRecord(std::move(r));
    };
    EventBatch batch {
        parser.parseLine("{\n  \"type\": \"Ping\",\r\n  \"n\": 1\n}"), // a plain object, pretty-printed
        parser.parseLine("{\"specversion\":\"1.0\",\"id\":\"c1\",\"source\":\"s\",\"type\":\"T\",\n"
                         "\"data\": {\n  \"a\": \"x\\ny\"\n}\n}"), // a CloudEvent whose data is pretty-printed
        parser.parseLine("not json\nsecond line"), // unparsed, with a line break in it
        kafka(QByteArray()),   // a tombstone: no value
        kafka(QByteArray("")), // an empty value
        kafka(" \t "),         // a blank one
        parser.parseLine("PING"),
        parser.parseLine(ce(1)),
    };
    QCOMPARE(batch.size(), 8);
    QVERIFY(batch[0].payload.contains('\n'));
    QVERIFY(batch[1].payload.contains('\n'));
    QVERIFY(batch[2].isUnparsed() && batch[3].isUnparsed() && batch[4].isUnparsed() && batch[5].isUnparsed());
    QVERIFY(batch[3].payload.isNull());
    const QString rec1 = path(QStringLiteral("lines1.fsrec")), rec2 = path(QStringLiteral("lines2.fsrec"));
    const QString exported = path(QStringLiteral("lines.jsonl"));
    {
        QString error;
        auto w = RecordingWriter::create(rec1, &error);
        QVERIFY2(w, qPrintable(error));
        QVERIFY2(w->append(batch, &error), qPrintable(error));
        QVERIFY2(w->finish(&error), qPrintable(error));
    }
    const Run ex = flowscope({ QStringLiteral("export"), rec1, QStringLiteral("--out"), exported });
    QVERIFY2(ex.exitCode == 0, ex.err);
    QFile f(exported);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray text = f.readAll();
    QCOMPARE(text.count('\n'), 8); // one line per event ...
    QVERIFY(text.endsWith('\n'));
    for (const QByteArray& line : text.chopped(1).split('\n'))
        QVERIFY2(!line.trimmed().isEmpty() && !line.contains('\r'), text); // ... none blank, none split
    const Run im = flowscope({ QStringLiteral("import"), exported, QStringLiteral("--out"), rec2 });
    QVERIFY2(im.exitCode == 0, im.err);
    QVERIFY2(im.out.contains("8 lines read, 8 events stored (5 unparsed), 0 empty lines skipped"), im.out);

    const QList<Event> back = readAll(rec2);
    QCOMPARE(back.size(), 8);
    QCOMPARE(back[0].payload, QByteArray(R"({   "type": "Ping",    "n": 1 })"));
    QCOMPARE(back[0].type, "Ping");
    QCOMPARE(back[1].payload, QByteArray(batch[1].payload).replace('\n', ' '));
    QVERIFY(back[1].payload.contains(R"("x\ny")")); // an escaped line break in a string stays one
    QCOMPARE(back[1].id, "c1");
    QCOMPARE(back[1].format, EventFormat::Structured);
    QCOMPARE(back[2].payload, QByteArray("not json\nsecond line"));
    QVERIFY(back[3].payload.isNull());
    QVERIFY(!back[4].payload.isNull());
    QCOMPARE(back[4].payload, QByteArray(""));
    QCOMPARE(back[5].payload, QByteArray(" \t "));
    QCOMPARE(back[6].payload, QByteArray("PING"));
    QCOMPARE(back[7].payload, batch[7].payload);
    QCOMPARE(back[7].id, "e1");
    for (int i = 0; i < 8; ++i)
        QCOMPARE(back[i].isUnparsed(), batch[i].isUnparsed());
    for (int i = 3; i < 6; ++i) { // the envelope keeps what the Kafka record said of itself
        QCOMPARE(back[i].channel, "orders");
        QCOMPARE(back[i].key, "k1");
        QCOMPARE(back[i].offset, 7);
    }
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
    const QString rec = QDir::tempPath() + QStringLiteral("/flowscope-never-written.fsrec");
    QTest::newRow("record two sources")
        << QStringList { QStringLiteral("record"), QStringLiteral("--websocket"), QStringLiteral("ws://127.0.0.1:1/"),
                         QStringLiteral("--follow"), missing, QStringLiteral("--out"), rec }
        << 2 << QStringLiteral("one source is required");
    QTest::newRow("record --follow missing")
        << QStringList { QStringLiteral("record"), QStringLiteral("--follow"), missing, QStringLiteral("--out"), rec }
        << 1 << missing + QStringLiteral(": no such file");
    QTest::newRow("record --websocket not ws")
        << QStringList { QStringLiteral("record"), QStringLiteral("--websocket"), QStringLiteral("http://h/x"),
                         QStringLiteral("--out"), rec }
        << 2 << QStringLiteral("--websocket takes a URL starting with ws:// or wss://: http://h/x");
    QTest::newRow("record --poll password hidden")
        << QStringList { QStringLiteral("record"), QStringLiteral("--poll"), QStringLiteral("ftp://me:pw@h/x"),
                         QStringLiteral("--out"), rec }
        << 2 << QStringLiteral("--poll takes a URL starting with http:// or https://: ftp://me@h/x");
    QTest::newRow("record --poll port out of range")
        << QStringList { QStringLiteral("record"), QStringLiteral("--poll"), QStringLiteral("http://me:pw@127.0.0.1:99999/feed"),
                         QStringLiteral("--out"), rec }
        << 2
        << QStringLiteral("--poll: not a usable URL (Invalid port or port number out of range): http://***@127.0.0.1:99999/feed");
    QTest::newRow("record --interval without --poll")
        << QStringList { QStringLiteral("record"), QStringLiteral("--follow"), missing, QStringLiteral("--interval"),
                         QStringLiteral("1s"), QStringLiteral("--out"), rec }
        << 2 << QStringLiteral("--interval goes with --poll");
    // another source's option would do nothing: refused, not ignored
    QTest::newRow("record --secret-file with --follow")
        << QStringList { QStringLiteral("record"), QStringLiteral("--follow"), missing, QStringLiteral("--secret-file"),
                         missing, QStringLiteral("--out"), rec }
        << 2 << QStringLiteral("--secret-file goes with --webhook");
    QTest::newRow("record --from with --webhook")
        << QStringList { QStringLiteral("record"), QStringLiteral("--webhook"), QStringLiteral("0"),
                         QStringLiteral("--from"), QStringLiteral("beginning"), QStringLiteral("--out"), rec }
        << 2 << QStringLiteral("--from goes with --kafka or --follow");
    QTest::newRow("record --topic with --poll")
        << QStringList { QStringLiteral("record"), QStringLiteral("--poll"), QStringLiteral("http://127.0.0.1:1/x"),
                         QStringLiteral("--topic"), QStringLiteral("t"), QStringLiteral("--out"), rec }
        << 2 << QStringLiteral("--topic goes with --kafka");
    // the window's options: a value that is not one is bad usage, not a default
    QTest::newRow("gui --after not a duration")
        << QStringList { QStringLiteral("gui"), QStringLiteral("--screenshot"), rec + QStringLiteral(".png"),
                         QStringLiteral("--after"), QStringLiteral("xx") }
        << 2 << QStringLiteral("--after: 'xx' is not a duration");
    QTest::newRow("gui --speed not a speed")
        << QStringList { QStringLiteral("gui"), QStringLiteral("--speed"), QStringLiteral("fast") } << 2
        << QStringLiteral("--speed: 'fast' is not a speed");
    QTest::newRow("gui --theme unknown")
        << QStringList { QStringLiteral("gui"), QStringLiteral("--theme"), QStringLiteral("purple") } << 2
        << QStringLiteral("--theme: 'purple' is not a theme (light or dark)");
    QTest::newRow("gui --fault with a recording")
        << QStringList { QStringLiteral("gui"), rec, QStringLiteral("--fault"), QStringLiteral("service: payment, down: 30s") }
        << 2 << QStringLiteral("--fault goes with a flow file to simulate, not a recording");
    // --help lists no --help-all (it ran the command instead of showing help)
    QTest::newRow("--help-all is not an option")
        << QStringList { QStringLiteral("inspect"), missing, QStringLiteral("--help-all") } << 2
        << QStringLiteral("Unknown option 'help-all'");
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

// The input is looked at before the recording is created: a directory leaves no empty REC.
void TestCli::importOfADirectoryCreatesNothing()
{
    const QString dir = path(QStringLiteral("adir"));
    QVERIFY(QDir().mkpath(dir));
    const QString rec = path(QStringLiteral("adir.fsrec"));
    const Run r = flowscope({ QStringLiteral("import"), dir, QStringLiteral("--out"), rec });
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(QString::fromUtf8(r.err), QStringLiteral("flowscope import: %1: a directory, not a file\n").arg(dir));
    QVERIFY(!QFileInfo::exists(rec));
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

QByteArray contents(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("(cannot read)");
}

// No command writes over a file that exists unless told to (--force), nor over the file it reads.
void TestCli::outputsAreNeverClobbered()
{
    const QString precious = path(QStringLiteral("precious.txt"));
    writeFile(precious, "hello\n");
    const QString flow = path(QStringLiteral("tandem.yaml"));
    QVERIFY(QFile::copy(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/bench/tandem.yaml"), flow));
    const QByteArray flowText = contents(flow);
    auto refused = [&](const QStringList& args, int exitCode, const QByteArray& message) {
        const Run r = flowscope(args);
        QVERIFY2(r.exitCode == exitCode, qPrintable(QStringLiteral("exit %1: ").arg(r.exitCode) + QString::fromUtf8(r.err)));
        QVERIFY2(r.err.contains(message), r.err);
    };
    const QString sim = QStringLiteral("sim"), demo = QStringLiteral("demo"), duration = QStringLiteral("--duration"),
                  record = QStringLiteral("--record"), outOpt = QStringLiteral("--out"), force = QStringLiteral("--force");
    refused({ sim, flow, duration, QStringLiteral("1s"), record, precious }, 1, "precious.txt exists; use --force to replace it");
    refused({ sim, flow, duration, QStringLiteral("1s"), record, flow, force }, 2,
            "--record " + flow.toUtf8() + " is the file this command reads");
    refused({ sim, flow, duration, QStringLiteral("1s"), record, QString() }, 2, "--record takes a file name, got an empty one");
    refused({ sim, flow, duration, QStringLiteral("1s"), record, m_dir.path() }, 2, "is a directory");
    refused({ demo, duration, QStringLiteral("1s"), outOpt, precious }, 1, "flowscope demo: " + precious.toUtf8() + " exists");
    QCOMPARE(contents(precious), "hello\n");
    QCOMPARE(contents(flow), flowText);

    // told to: the demo's recording takes its place
    const Run forced = flowscope({ demo, duration, QStringLiteral("1s"), outOpt, precious, force });
    QCOMPARE(forced.exitCode, 0);
    const qint64 events = readAll(precious).size();
    QCOMPARE(events, 778); // the demo's first simulated second, as `demo --duration 1s --json` counts it
    // export: never over the recording it reads; over another file only with --force
    const QString jsonl = path(QStringLiteral("precious.jsonl"));
    writeFile(jsonl, "keep\n");
    refused({ QStringLiteral("export"), precious, outOpt, precious, force }, 2, "is the file this command reads");
    QCOMPARE(readAll(precious).size(), events);
    refused({ QStringLiteral("export"), precious, outOpt, jsonl }, 1, "precious.jsonl exists; use --force");
    QCOMPARE(contents(jsonl), "keep\n");
    QCOMPARE(flowscope({ QStringLiteral("export"), precious, outOpt, jsonl, force }).exitCode, 0);
    QCOMPARE(contents(jsonl).count('\n'), events);
}

// Sequence numbers out of a recording's range are usage errors that say the range.
void TestCli::rangesAreChecked()
{
    writeFile(path(QStringLiteral("three.jsonl")), ce(1) + '\n' + ce(2) + '\n' + ce(3) + '\n');
    const QString rec = path(QStringLiteral("three.fsrec"));
    QCOMPARE(flowscope({ QStringLiteral("import"), path(QStringLiteral("three.jsonl")), QStringLiteral("--out"), rec }).exitCode, 0);
    const struct {
        QStringList args;
        int exitCode;
        QByteArray message;
    } cases[] = {
        { { QStringLiteral("export"), rec, QStringLiteral("--from"), QStringLiteral("3"), QStringLiteral("--to"),
            QStringLiteral("2") },
          2, "--from 3 is after --to 2" },
        { { QStringLiteral("export"), rec, QStringLiteral("--from"), QStringLiteral("-3") },
          2, "--from and --to take sequence numbers (1 or more)" },
        { { QStringLiteral("inspect"), rec, QStringLiteral("--at"), QStringLiteral("4") }, 2, "--at 4: " + rec.toUtf8() + " ends at event 3 (--at takes 0 to 3)" },
        // as --at: a --from past the last event is bad usage, not an empty export with status 0
        { { QStringLiteral("export"), rec, QStringLiteral("--from"), QStringLiteral("4") }, 2,
          "export: --from 4: " + rec.toUtf8() + " ends at event 3 (--from takes 1 to 3)" },
        { { QStringLiteral("export"), rec, QStringLiteral("--from"), QStringLiteral("99999"), QStringLiteral("--to"),
            QStringLiteral("100000") },
          2, "--from 99999: " + rec.toUtf8() + " ends at event 3" },
        { { QStringLiteral("export"), rec, QStringLiteral("--from"), QStringLiteral("2"), QStringLiteral("--to"),
            QStringLiteral("99") },
          0, "" }, // a --to past the end exports to the end
        { { QStringLiteral("inspect"), rec, QStringLiteral("--at"), QStringLiteral("-5") }, 2, "--at takes a sequence number (0 or more)" },
        { { QStringLiteral("inspect"), rec, QStringLiteral("--at"), QStringLiteral("foo") }, 2, "got 'foo'" },
        { { QStringLiteral("inspect"), rec, QStringLiteral("--at"), QStringLiteral("3") }, 0, "" },
        { { QStringLiteral("export"), rec, QStringLiteral("--from"), QStringLiteral("3"), QStringLiteral("--to"),
            QStringLiteral("3") },
          0, "" },
    };
    for (const auto& c : cases) {
        const Run r = flowscope(c.args);
        QVERIFY2(r.exitCode == c.exitCode, qPrintable(c.args.join(u' ') + QStringLiteral(": exit %1 ").arg(r.exitCode) + QString::fromUtf8(r.err)));
        QVERIFY2(r.err.contains(c.message), r.err);
    }
    const Run one = flowscope({ QStringLiteral("export"), rec, QStringLiteral("--from"), QStringLiteral("3"),
                                QStringLiteral("--to"), QStringLiteral("3") });
    QCOMPARE(one.out.count('\n'), 1);
    QVERIFY2(one.out.contains(R"("id":"e3")"), one.out);
    const Run past = flowscope({ QStringLiteral("export"), rec, QStringLiteral("--from"), QStringLiteral("4"),
                                 QStringLiteral("--out"), path(QStringLiteral("past.jsonl")) });
    QCOMPARE(past.exitCode, 2);
    QCOMPARE(past.out, QByteArray());
    QVERIFY(!QFile::exists(path(QStringLiteral("past.jsonl")))); // nothing written
}

// No display: `flowscope` alone runs the demo headless (an empty DISPLAY is none), and the window
// asked for where it cannot open says so and exits 1, no abort and core dump.
void TestCli::noDisplayMeansNoWindow()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.insert(QStringLiteral("DISPLAY"), QString());
    const Run plain = flowscope({}, env);
    QCOMPARE(plain.exitCode, 0);
    QVERIFY2(plain.out.startsWith("Shop (order saga, choreography): 60.0 s simulated"), plain.out.left(200));
    env.insert(QStringLiteral("DISPLAY"), QStringLiteral(":4711")); // no X server there
    const Run gui = flowscope({ QStringLiteral("gui") }, env);
    QCOMPARE(gui.exitCode, 1); // -1 had it crashed
    QVERIFY2(gui.err.contains("flowscope: cannot open the window: could not connect to display :4711"), gui.err);
    QVERIFY2(gui.err.contains("`flowscope demo` runs the demo headless"), gui.err);
}

// The built-in demo is the shop flow in the simulator: deterministic, so exact.
void TestCli::demo()
{
    const Run r = flowscope({ QStringLiteral("demo"), QStringLiteral("--json") });
    QCOMPARE(r.exitCode, 0);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(u"events").toInteger(), 57911);
    QCOMPARE(o.value(u"sim").toObject().value(u"events").toInteger(), 57911);
    QCOMPARE(o.value(u"sim").toObject().value(u"sim_seconds").toDouble(), 60.0);
    QCOMPARE(o.value(u"types").toObject().value(u"OrderCreated").toInteger(), 11945);
    const QJsonObject outcomes = o.value(u"sagas").toObject().value(u"order").toObject().value(u"outcomes").toObject();
    QCOMPARE(outcomes.value(u"completed").toInteger(), 10507);
    QCOMPARE(outcomes.value(u"compensated").toInteger(), 523);
    QCOMPARE(outcomes.value(u"failed").toInteger(), 887);
    const QJsonObject services = o.value(u"services").toObject();
    for (const char* key : { "processed", "failed", "retries", "dead_lettered", "dropped", "duplicated", "taken", "mean_lag_ms", "max_queue", "mean_latency_ms" })
        QVERIFY2(services.value(u"payment").toObject().contains(QLatin1String(key)), key);
    QCOMPARE(services.value(u"shipping").toObject().value(u"processed").toInteger(), 10507);
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
void TestCli::simShowsProgressOnATerminal()
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
void TestCli::inspectWithFlow()
{
    const QString rec = path(QStringLiteral("demo-flow.fsrec"));
    const QString flow = QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/order-saga.yaml");
    QCOMPARE(flowscope({ QStringLiteral("import"), QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/orders.jsonl"),
                         QStringLiteral("--out"), rec })
                 .exitCode,
             0);
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
void TestCli::inspectAtWithAndWithoutCheckpoints()
{
    const QString rec = path(QStringLiteral("at.fsrec"));
    const QString flow = QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/order-saga.yaml");
    QCOMPARE(flowscope({ QStringLiteral("import"), QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/orders.jsonl"),
                         QStringLiteral("--out"), rec })
                 .exitCode,
             0);
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
void TestCli::inspectAtGoesByBrokerTimeWithoutAnEventTime()
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
void TestCli::simAndRecordGiveInspectsKeys()
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

void TestCli::badFlowFileSaysWhere()
{
    const QString flow = path(QStringLiteral("bad.yaml"));
    writeFile(flow, "flowscope: 1\nname: broken\nsagas:\n  s:\n    start: A\n    states:\n      a: { when: { B: nowhere } }\n");
    writeFile(path(QStringLiteral("one2.jsonl")), ce(1) + '\n');
    const QString rec = path(QStringLiteral("bad-flow.fsrec"));
    QCOMPARE(flowscope({ QStringLiteral("import"), path(QStringLiteral("one2.jsonl")), QStringLiteral("--out"), rec }).exitCode, 0);
    const Run r = flowscope({ QStringLiteral("inspect"), rec, QStringLiteral("--flow"), flow });
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("bad.yaml:7:"), r.err);
    QVERIFY2(r.err.contains("nowhere"), r.err);
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
