// SPDX-License-Identifier: MIT
// The `flowscope` command as users and scripts drive it: reports, JSON keys, round trips,
// errors that say where, and a writer killed mid-import.
#include "clitest.h"

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
using namespace FlowScope::CliTest;

// Declared before the helpers: moc stops reading at some of the raw string literals below.
class TestCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void helpPerSubcommand_data();
    void helpPerSubcommand();
    void importReportsBadLinesByNumber();
    void exportImportRoundTrip();
    void exportJsonlKeepsEachEventOnOneLine();
    void exportKcatKeepsTheEnvelope();
    void exportCsv();
    void exportStopsAtCtrlC();
    void errorsSayWhere_data();
    void errorsSayWhere();
    void importOfADirectoryCreatesNothing();
    void refusesToOverwrite();
    void outputsAreNeverClobbered();
    void rangesAreChecked();
    void noDisplayMeansNoWindow();
    void badFlowFileSaysWhere();
    void killedImportKeepsCommittedBatches();

private:
    QString path(const QString& name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

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
    in += "base64:abc\n"; // text that looks encoded: encoded, so that it can be told apart
    in += "\xff\xfe bytes\n"; // not UTF-8
    writeFile(path(QStringLiteral("csv.jsonl")), in);
    const QString rec = path(QStringLiteral("csv.fsrec"));
    QCOMPARE(flowscope({ QStringLiteral("import"), path(QStringLiteral("csv.jsonl")), QStringLiteral("--out"), rec }).exitCode, 0);
    const Run r = flowscope({ QStringLiteral("export"), rec, QStringLiteral("--format"), QStringLiteral("csv") });
    QCOMPARE(r.exitCode, 0);
    const QList<QByteArray> rows = r.out.trimmed().split('\n');
    QCOMPARE(rows.size(), 9);
    QVERIFY(rows[0].startsWith("seq,time,id,type,source"));
    QVERIFY2(rows[1].startsWith("1,2026-11-27T10:00:10Z,e0,OrderCreated,orders,,o0,"), rows[1]);
    QVERIFY2(rows[6].endsWith(",\"a,\"\"quoted\"\"\""), rows[6]); // RFC 4180 quoting
    QVERIFY2(rows[7].endsWith(QByteArray(",base64:" + QByteArray("base64:abc").toBase64())), rows[7]);
    QVERIFY2(rows[8].endsWith(QByteArray(",base64:" + QByteArray("\xff\xfe bytes").toBase64())), rows[8]);
}

// Ctrl-C in an export to a reader that does not keep up: it stops after the event it was at,
// says which, and exits 130. (Its output pipe is not read until the signal was sent, so the
// export is still writing then.)
void TestCli::exportStopsAtCtrlC()
{
    const QString rec = path(QStringLiteral("ctrlc.fsrec"));
    QCOMPARE(flowscope({ QStringLiteral("sim"), QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/shop.yaml"),
                         QStringLiteral("--duration"), QStringLiteral("60s"), QStringLiteral("--record"), rec })
                 .exitCode,
             0);
    const qint64 total = readAll(rec).size();
    QVERIFY(total > 20000); // several MB of JSONL: far more than a pipe holds
    // a pipe of our own for its stdout (QProcess would read its pipe whenever events run)
    int pipeEnds[2];
    QCOMPARE(::pipe(pipeEnds), 0);
    const int readEnd = pipeEnds[0], writeEnd = pipeEnds[1];
    QProcess p;
    p.setChildProcessModifier([readEnd, writeEnd] {
        ::dup2(writeEnd, STDOUT_FILENO);
        ::close(readEnd);
        ::close(writeEnd);
    });
    p.start(QStringLiteral(FLOWSCOPE_BINARY), { QStringLiteral("export"), rec });
    QVERIFY(p.waitForStarted());
    ::close(writeEnd);
    const auto closeRead = qScopeGuard([readEnd] { ::close(readEnd); });
    QTest::qWait(500); // it fills the pipe and waits for it to be read
    QCOMPARE(p.state(), QProcess::Running);
    ::kill(pid_t(p.processId()), SIGINT);
    QByteArray output;
    char chunk[65536];
    for (ssize_t n; (n = ::read(readEnd, chunk, sizeof chunk)) > 0;)
        output.append(chunk, n);
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 130);
    const QByteArray errors = p.readAllStandardError();
    static const QRegularExpression said(QStringLiteral("export: interrupted after event (\\d+)\n$"));
    const QRegularExpressionMatch m = said.match(QString::fromUtf8(errors));
    QVERIFY2(m.hasMatch(), errors.constData());
    const qint64 lines = output.count('\n');
    QCOMPARE(lines, m.captured(1).toLongLong()); // every event up to that one, whole lines
    QVERIFY(lines < total);
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
    // the CLI's durations follow the flow file's grammar: a compound reads like a clock
    QTest::newRow("sim --duration out of order")
        << QStringList { QStringLiteral("sim"), QStringLiteral(FLOWSCOPE_SOURCE_DIR "/bench/tandem.yaml"),
                         QStringLiteral("--duration"), QStringLiteral("1m90s") }
        << 2
        << QStringLiteral("flowscope sim: --duration: in the duration '1m90s', 90s is 1m or more: write 2m30s (a "
                          "compound gives each unit once, largest first, and each part after the first under one of "
                          "the next larger unit)\n");
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
    QCOMPARE(events, 1030); // the demo's first simulated second, as `demo --duration 1s --json` counts it
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

    // With retention (1000 kept of 3000): a range that ends before the oldest kept event is bad
    // usage, not an empty export with status 0; one that starts before it exports what is kept.
    const QString retained = path(QStringLiteral("retained.fsrec"));
    {
        QString error;
        auto writer = RecordingWriter::create(retained, &error);
        QVERIFY2(writer, qPrintable(error));
        QVERIFY2(writer->setRetention(1000, &error), qPrintable(error));
        EventParser parser;
        for (int b = 0; b < 30; ++b) {
            EventBatch batch;
            for (int i = 0; i < 100; ++i)
                batch.append(parser.parseLine(ce(b * 100 + i)));
            QVERIFY2(writer->append(batch, &error), qPrintable(error));
        }
        QVERIFY2(writer->finish(&error), qPrintable(error));
    }
    const Run before = flowscope({ QStringLiteral("export"), retained, QStringLiteral("--from"), QStringLiteral("5"),
                                   QStringLiteral("--to"), QStringLiteral("1000") });
    QCOMPARE(before.exitCode, 2);
    QVERIFY2(before.err.contains(QByteArray("--to 1000: " + retained.toUtf8()
                                            + " keeps events 2001 to 3000 (the older ones were dropped by its retention)")),
             before.err.constData());
    const Run across = flowscope({ QStringLiteral("export"), retained, QStringLiteral("--from"), QStringLiteral("5"),
                                   QStringLiteral("--to"), QStringLiteral("2010") });
    QCOMPARE(across.exitCode, 0);
    QCOMPARE(across.out.count('\n'), 10);
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
