// SPDX-License-Identifier: MIT
// JsonlFileSource following real files in a temporary directory while the test writes to them:
// appends in pieces (a line split across two writes), a malformed line, truncation, rotation by
// rename, starting from the end, the limit, an engine that makes the source wait, and
// `flowscope record --follow`. Also how lines are cut (LineSplitter), which `import` shares: a
// line over 64 MiB, a byte order mark; a stop while catching up; a FIFO whose writer is quiet.
#include "collector.h"

#include <engine.h>
#include <eventparser.h>
#include <importer.h>
#include <jsonlfilesource.h>
#include <linesplitter.h>
#include <recording.h>

#include <QElapsedTimer>
#include <QFile>
#include <QScopeGuard>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <condition_variable>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace FlowScope;
using Testing::Collector;
using Connectors::JsonlFileSource;
using Connectors::SourceState;

namespace {

QByteArray line(int i)
{
    return R"({"specversion":"1.0","id":"e)" + QByteArray::number(i)
        + R"(","source":"/test","type":"Tick","time":"2024-05-01T12:00:00Z","data":{"n":)" + QByteArray::number(i)
        + "}}\n";
}

QByteArray lines(int from, int to)
{
    QByteArray out;
    for (int i = from; i < to; ++i)
        out += line(i);
    return out;
}

// Appends and flushes, as a logging process does: each call is one write the source may see.
void append(const QString& path, const QByteArray& data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Append));
    QCOMPARE(f.write(data), data.size());
}

QByteArray contents(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// `flowscope import FILE` without the CLI: the report and the events stored.
bool importFile(const QString& file, const QString& rec, Connectors::ImportReport* report, QList<Event>* events)
{
    QString error;
    auto writer = RecordingWriter::create(rec, &error, WriteMode::Bulk);
    if (!writer || !Connectors::Importer::importFile(file, *writer, report, &error) || !writer->finish(&error)) {
        qWarning("%s", qPrintable(error));
        return false;
    }
    auto recording = Recording::open(rec, &error);
    return recording && recording->readSeqRange(1, std::numeric_limits<qint64>::max(), [&](Event&& e) {
        events->append(std::move(e));
        return true;
    }, &error);
}

// A line of `bytes` bytes that would be JSON were it not so long.
QByteArray longLine(qsizetype bytes)
{
    QByteArray l = R"({"specversion":"1.0","id":"big","source":"/test","type":"Big","data":")";
    l += QByteArray(bytes - l.size() - 2, 'x');
    return l + "\"}";
}

JsonlFileSource::Options follow(const QString& path)
{
    JsonlFileSource::Options o;
    o.path = path;
    o.pollIntervalMs = 20; // the default is 100 ms; the tests wait less
    return o;
}

} // namespace

class TestJsonlFileSource : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void followsAGrowingFile();
    void truncatedFileIsReadAgain();
    void replacedFileIsReadFromItsStart();
    void fromEndTakesOnlyNewLines();
    void missingFileIsWaitedFor();
    void limitStopsTheSource();
    void fullEngineMakesItWait();
    void recordCommandFollow();
    void stopLeavesAnUnfinishedLineOut();
    void recordCommandSaysWhatItLeftOut();
    void linesAreCut_data();
    void linesAreCut();
    void followKeepsALongLineAsOneEvent();
    void importKeepsALongLineAsOneEvent();
    void byteOrderMarkIsSkipped();
    void stopWhileCatchingUpSaysWhatWasNotRead();
    void fifoStopsWhileItsWriterIsQuiet();

private:
    QString path(const QString& name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

// 1000 lines there at the start, 500 appended in pieces (one line split across two writes) plus
// one malformed line: exactly 1501 events, in file order, the malformed one kept and counted.
void TestJsonlFileSource::followsAGrowingFile()
{
    const QString file = path(QStringLiteral("events.jsonl"));
    append(file, lines(0, 1000));
    Collector collected;
    JsonlFileSource source(follow(file));
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(collected.size(), 1000, 10000);
    QCOMPARE(source.status().state, SourceState::Live);

    append(file, lines(1000, 1200));
    append(file, lines(1200, 1300) + "\n"); // and a blank line, which is no event
    // line 1302 of the file is malformed
    append(file, "{\"specversion\":\"1.0\",\"id\":\"broken\n");
    // e1300 in two writes: the first half waits until its newline comes
    const QByteArray split = line(1300);
    append(file, split.left(40));
    const qint64 written = QFile(file).size();
    QTRY_COMPARE_WITH_TIMEOUT(source.counters().bytes.load(), written, 10000); // the half line was read
    QCOMPARE(collected.size(), 1301);
    append(file, split.mid(40));
    append(file, lines(1301, 1400));
    append(file, lines(1400, 1500));
    QTRY_COMPARE_WITH_TIMEOUT(collected.size(), 1501, 10000);
    source.stop();
    QCOMPARE(source.status().state, SourceState::Stopped);

    const QList<Event> events = collected.all();
    QCOMPARE(events.size(), 1501); // nothing more came at the stop
    QCOMPARE(source.counters().unparsed.load(), 1);
    QCOMPARE(source.counters().handedOver.load(), 1501);
    QCOMPARE(source.counters().received.load(), 1501);
    int next = 0;
    for (int i = 0; i < events.size(); ++i) {
        const Event& e = events.at(i);
        if (i == 1300) { // the malformed line, where it was in the file
            QVERIFY(e.isUnparsed());
            QCOMPARE(e.payload, QByteArray("{\"specversion\":\"1.0\",\"id\":\"broken"));
            QVERIFY2(e.error().startsWith("events.jsonl:1302: "), e.error().constData());
            continue;
        }
        QVERIFY2(!e.isUnparsed(), e.error().constData());
        QCOMPARE(e.id, QByteArray("e" + QByteArray::number(next)));
        QVERIFY(e.ingestTime != NoTime);
        ++next;
    }
    QCOMPARE(next, 1500);
    QCOMPARE(source.lineNumber(), 1502); // 1300 lines, the blank one, the broken one, 200 more
}

// copytruncate rotation: the file shrinks below what was read; it is read again from its start.
void TestJsonlFileSource::truncatedFileIsReadAgain()
{
    const QString file = path(QStringLiteral("truncated.jsonl"));
    append(file, lines(0, 10));
    Collector collected;
    JsonlFileSource source(follow(file));
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(collected.size(), 10, 10000);
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(line(100) + "not json\n" + line(101));
    }
    QTRY_COMPARE_WITH_TIMEOUT(collected.size(), 13, 10000);
    QCOMPARE(source.truncations(), 1);
    QCOMPARE(source.status().state, SourceState::Live);
    QVERIFY2(source.status().reason.contains(u"truncated"), qPrintable(source.status().reason));
    QVERIFY(source.status().reason.contains(file));
    const QList<Event> events = collected.all();
    QCOMPARE(events.at(9).id, QByteArray("e9"));
    QCOMPARE(events.at(10).id, QByteArray("e100"));
    QVERIFY(events.at(11).isUnparsed());
    QVERIFY2(
        events.at(11).error().startsWith("truncated.jsonl:2: "), events.at(11).error().constData()); // lines count anew
    QCOMPARE(events.at(12).id, QByteArray("e101"));
}

// Rename-and-create rotation: the writer's last lines in the old file come first, then the new file.
void TestJsonlFileSource::replacedFileIsReadFromItsStart()
{
    const QString file = path(QStringLiteral("rotated.jsonl"));
    QFile writer(file);
    QVERIFY(writer.open(QIODevice::WriteOnly | QIODevice::Append));
    writer.write(lines(0, 5));
    writer.flush();
    Collector collected;
    JsonlFileSource source(follow(file));
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(collected.size(), 5, 10000);

    QVERIFY(QFile::rename(file, file + QStringLiteral(".1")));
    writer.write(lines(5, 7)); // still writing to the old file: it must not be lost
    writer.flush();
    writer.close();
    append(file, lines(7, 10)); // a new file under the name
    QTRY_COMPARE_WITH_TIMEOUT(collected.size(), 10, 10000);
    QCOMPARE(source.replacements(), 1);
    QVERIFY2(source.status().reason.contains(u"replaced"), qPrintable(source.status().reason));
    const QList<Event> events = collected.all();
    for (int i = 0; i < 10; ++i)
        QCOMPARE(events.at(i).id, QByteArray("e" + QByteArray::number(i)));
}

// --from end: what is there is skipped, an unfinished last line included; errors still say the
// right line.
void TestJsonlFileSource::fromEndTakesOnlyNewLines()
{
    const QString file = path(QStringLiteral("end.jsonl"));
    append(file, lines(0, 5) + "{\"half\":");
    JsonlFileSource::Options o = follow(file);
    o.fromEnd = true;
    Collector collected;
    JsonlFileSource source(o);
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(source.status().state, SourceState::Live, 10000);
    QCOMPARE(source.lineNumber(), 5);
    append(file, "1}\n" + line(5) + "oops\n");
    QTRY_COMPARE_WITH_TIMEOUT(collected.size(), 2, 10000);
    source.stop();
    const QList<Event> events = collected.all();
    QCOMPARE(events.size(), 2);
    QCOMPARE(events.at(0).id, QByteArray("e5"));
    QVERIFY(events.at(1).isUnparsed());
    QVERIFY2(events.at(1).error().startsWith("end.jsonl:8: "), events.at(1).error().constData());
}

// A file that is not there yet: Retrying with the path and the reason, then Live when it comes.
void TestJsonlFileSource::missingFileIsWaitedFor()
{
    const QString file = path(QStringLiteral("later.jsonl"));
    Collector collected;
    JsonlFileSource source(follow(file));
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(source.status().state, SourceState::Retrying, 10000);
    QVERIFY2(source.status().reason.startsWith(file + QStringLiteral(": ")), qPrintable(source.status().reason));
    append(file, lines(0, 3));
    QTRY_COMPARE_WITH_TIMEOUT(collected.size(), 3, 10000);
    QCOMPARE(source.status().state, SourceState::Live);

    // settings that cannot work fail at start
    JsonlFileSource none(JsonlFileSource::Options {});
    QVERIFY(!none.start(&error));
    JsonlFileSource dir(follow(m_dir.path()));
    QVERIFY(!dir.start(&error));
    QVERIFY2(error.contains(m_dir.path()), qPrintable(error));
}

void TestJsonlFileSource::limitStopsTheSource()
{
    const QString file = path(QStringLiteral("limit.jsonl"));
    append(file, lines(0, 100));
    Collector collected;
    JsonlFileSource source(follow(file));
    collected.attach(source);
    source.setLimit(10);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(source.finished(), 10000);
    QCOMPARE(collected.size(), 10);
    QCOMPARE(source.status().state, SourceState::Stopped);
    QCOMPARE(source.status().reason, QString());
    source.stop();
    QCOMPARE(collected.size(), 10);
}

// A pull source waits for the engine instead of refusing: a queue of one batch, not started,
// holds the source back; once it runs every line arrives, none refused.
void TestJsonlFileSource::fullEngineMakesItWait()
{
    const QString file = path(QStringLiteral("wait.jsonl"));
    append(file, lines(0, 100));
    Engine::Options tiny;
    tiny.queueBatches = 1;
    Engine engine({}, nullptr, tiny);
    JsonlFileSource::Options o = follow(file);
    o.batchSize = 10;
    JsonlFileSource source(o);
    source.setEngine(engine);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(source.counters().handedOver.load(), 10, 10000); // the queue is full
    engine.start();
    QTRY_COMPARE_WITH_TIMEOUT(source.counters().handedOver.load(), 100, 10000);
    source.stop();
    engine.flush();
    QCOMPARE(engine.snapshot()->events, 100);
    QCOMPARE(engine.refused(), 0);
    QCOMPARE(source.counters().refused.load(), 0);
    engine.stop();
}

// `flowscope record --follow FILE --max-events 3` as a user runs it.
void TestJsonlFileSource::recordCommandFollow()
{
    const QString file = path(QStringLiteral("cli.jsonl"));
    append(file, lines(0, 5));
    const QString rec = path(QStringLiteral("follow.fsrec"));
    QProcess p;
    p.start(QStringLiteral(FLOWSCOPE_BINARY),
        { QStringLiteral("record"), QStringLiteral("--follow"), file, QStringLiteral("--max-events"),
            QStringLiteral("3"), QStringLiteral("--out"), rec, QStringLiteral("--json") });
    QVERIFY(p.waitForFinished(60000));
    const QByteArray errors = p.readAllStandardError();
    QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, errors.constData());
    const QJsonObject o = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    QCOMPARE(o.value(u"events").toInteger(), 3);
    QCOMPARE(o.value(u"source").toObject().value(u"recorded").toInteger(), 3);
    QString error;
    auto recording = Recording::open(rec, &error);
    QVERIFY2(recording, qPrintable(error));
    QCOMPARE(recording->eventCount(), 3);
    QCOMPARE(recording->meta(QStringLiteral("source")), QStringLiteral("follow %1 (from beginning)").arg(file));

    // a file that is not there is an error at once, naming it
    QProcess missing;
    missing.start(QStringLiteral(FLOWSCOPE_BINARY),
        { QStringLiteral("record"), QStringLiteral("--follow"), path(QStringLiteral("nope.jsonl")),
            QStringLiteral("--out"), path(QStringLiteral("nope.fsrec")) });
    QVERIFY(missing.waitForFinished(60000));
    QCOMPARE(missing.exitCode(), 1);
    QVERIFY(missing.readAllStandardError().contains("nope.jsonl: no such file"));
}

// Stopped while the writer is half way through a line: that half is not an event (a line is
// recorded once its newline is written), and the source says how many bytes it left out.
void TestJsonlFileSource::stopLeavesAnUnfinishedLineOut()
{
    const QString file = path(QStringLiteral("half.jsonl"));
    const QByteArray half = line(3).left(40);
    append(file, lines(0, 3) + half);
    Collector collected;
    JsonlFileSource source(follow(file));
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    const qint64 written = QFile(file).size();
    QTRY_COMPARE_WITH_TIMEOUT(source.counters().bytes.load(), written, 10000); // the half line was read
    QTRY_COMPARE_WITH_TIMEOUT(collected.size(), 3, 10000);
    QCOMPARE(source.unfinishedLineBytes(), 0);
    source.stop();
    QCOMPARE(source.status().state, SourceState::Stopped);
    QCOMPARE(source.status().reason, QString()); // stopped, not failed
    const QList<Event> events = collected.all();
    QCOMPARE(events.size(), 3);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(events.at(i).id, QByteArray("e" + QByteArray::number(i)));
    QCOMPARE(source.counters().handedOver.load(), 3);
    QCOMPARE(source.counters().unparsed.load(), 0);
    QCOMPARE(source.unfinishedLineBytes(), 40);
}

// The same through `flowscope record --follow`: the recording holds the finished lines only,
// stderr says what was left out, and --json has it as source.unfinished_line_bytes.
void TestJsonlFileSource::recordCommandSaysWhatItLeftOut()
{
    const QString file = path(QStringLiteral("cli-half.jsonl"));
    append(file, lines(0, 2) + line(2).left(25));
    const QString rec = path(QStringLiteral("half.fsrec"));
    QProcess p;
    p.start(QStringLiteral(FLOWSCOPE_BINARY),
        { QStringLiteral("record"), QStringLiteral("--follow"), file, QStringLiteral("--duration"),
            QStringLiteral("1s"), QStringLiteral("--out"), rec, QStringLiteral("--json") });
    QVERIFY(p.waitForFinished(60000));
    const QByteArray errors = p.readAllStandardError();
    QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, errors.constData());
    const QByteArray said = file.toUtf8() + ": the last line had no newline yet when recording stopped (25 bytes): not recorded";
    QVERIFY2(errors.contains(said), errors.constData());
    const QJsonObject o = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    QCOMPARE(o.value(u"events").toInteger(), 2);
    QCOMPARE(o.value(u"unparsed").toInteger(), 0);
    QCOMPARE(o.value(u"source").toObject().value(u"recorded").toInteger(), 2);
    QCOMPARE(o.value(u"source").toObject().value(u"unfinished_line_bytes").toInteger(), 25);
    QCOMPARE(o.value(u"source").toObject().value(u"unread_bytes").toInteger(), 0); // it had read to the end
    QString error;
    auto recording = Recording::open(rec, &error);
    QVERIFY2(recording, qPrintable(error));
    QCOMPARE(recording->eventCount(), 2);
}

// LineSplitter with a cap of 8 bytes: what is fed (in pieces) and the lines it hands out ("cut:"
// marks a line handed out as its first 8 bytes), then finish() at the end of the file.
void TestJsonlFileSource::linesAreCut_data()
{
    QTest::addColumn<QByteArrayList>("fed");
    QTest::addColumn<QByteArrayList>("expected");
    QTest::addColumn<int>("lastLineNumber");
    QTest::newRow("split across reads") << QByteArrayList { "ab", "c\nde\n" } << QByteArrayList { "abc", "de" } << 2;
    QTest::newRow("exactly the cap is whole") << QByteArrayList { "01234567\nx\n" }
                                              << QByteArrayList { "01234567", "x" } << 2;
    QTest::newRow("over the cap: its head, the rest dropped")
        << QByteArrayList { "012345678\nok\n" } << QByteArrayList { "cut:01234567", "ok" } << 2;
    QTest::newRow("over the cap across reads")
        << QByteArrayList { "01234", "56789", "abcdef", "gh\nok" } << QByteArrayList { "cut:01234567", "ok" } << 2;
    QTest::newRow("over the cap at the end of the file")
        << QByteArrayList { "a\n0123456789" } << QByteArrayList { "a", "cut:01234567" } << 2;
    QTest::newRow("byte order mark at byte 0") << QByteArrayList { "\xEF\xBB\xBF{}\r\n{}\n" }
                                               << QByteArrayList { "{}\r", "{}" } << 2;
    QTest::newRow("byte order mark split across reads")
        << QByteArrayList { "\xEF", "\xBB", "\xBF{}\n" } << QByteArrayList { "{}" } << 1;
    QTest::newRow("byte order mark elsewhere is kept")
        << QByteArrayList { "a\n\xEF\xBB\xBF" "b\n" } << QByteArrayList { "a", "\xEF\xBB\xBF" "b" } << 2;
    QTest::newRow("last line without newline") << QByteArrayList { "a\n", "b" } << QByteArrayList { "a", "b" } << 2;
}

void TestJsonlFileSource::linesAreCut()
{
    QFETCH(QByteArrayList, fed);
    QFETCH(QByteArrayList, expected);
    QFETCH(int, lastLineNumber);
    Connectors::LineSplitter splitter(8);
    QByteArrayList got;
    QByteArrayView line;
    bool cut = false;
    for (const QByteArray& bytes : std::as_const(fed)) {
        splitter.feed(bytes);
        while (splitter.next(&line, &cut)) {
            got.append((cut ? "cut:" : "") + line.toByteArray());
            QVERIFY(splitter.pendingBytes() <= 8);
        }
    }
    if (splitter.finish(&line, &cut))
        got.append((cut ? "cut:" : "") + line.toByteArray());
    QCOMPARE(got, expected);
    QCOMPARE(splitter.lineNumber(), lastLineNumber);
}

// A line just over 64 MiB, then a line that is not JSON: followed, the long line is one unparsed
// event of its first 64 MiB, and the next line is still line 3 (the rest of line 2 was no event).
void TestJsonlFileSource::followKeepsALongLineAsOneEvent()
{
    const QString file = path(QStringLiteral("long.jsonl"));
    const QByteArray big = longLine(EventParser::MaxJsonSize + 100);
    append(file, line(0) + big + "\nnot json\n" + line(3));
    Collector collected;
    JsonlFileSource source(follow(file));
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(source.counters().bytes.load(), QFile(file).size(), 20000);
    QTRY_COMPARE_WITH_TIMEOUT(collected.size(), 4, 10000);
    source.stop();
    const QList<Event> events = collected.all();
    QCOMPARE(events.size(), 4);
    QCOMPARE(events.at(0).id, QByteArray("e0"));
    QVERIFY(events.at(1).isUnparsed());
    QCOMPARE(events.at(1).payload.size(), EventParser::MaxJsonSize);
    QVERIFY(events.at(1).payload == QByteArrayView(big).first(EventParser::MaxJsonSize));
    QVERIFY2(events.at(1).error().startsWith("long.jsonl:2: larger than 64 MiB"), events.at(1).error().constData());
    QVERIFY(events.at(2).isUnparsed());
    QVERIFY2(events.at(2).error().startsWith("long.jsonl:3: "), events.at(2).error().constData());
    QCOMPARE(events.at(3).id, QByteArray("e3"));
    QCOMPARE(source.lineNumber(), 4);
    QCOMPARE(source.counters().received.load(), 4);
    QCOMPARE(source.counters().unparsed.load(), 2);
}

// The same file through `import`: one event of the first 64 MiB (memory stays bounded by the cap
// whatever the line's length), and the line numbers after it right.
void TestJsonlFileSource::importKeepsALongLineAsOneEvent()
{
    const QString file = path(QStringLiteral("long-import.jsonl"));
    const QByteArray big = longLine(EventParser::MaxJsonSize + 100);
    append(file, line(0) + big + "\nnot json\n" + line(3));
    Connectors::ImportReport report;
    QList<Event> events;
    QVERIFY(importFile(file, path(QStringLiteral("long.fsrec")), &report, &events));
    QCOMPARE(report.lines, 4);
    QCOMPARE(report.events, 4);
    QCOMPARE(report.unparsed, 2);
    QCOMPARE(report.firstBadLines.size(), 2);
    QCOMPARE(report.firstBadLines.at(0).line, 2);
    QVERIFY2(report.firstBadLines.at(0).error.startsWith("larger than 64 MiB"),
        report.firstBadLines.at(0).error.constData());
    QCOMPARE(report.firstBadLines.at(1).line, 3);
    QCOMPARE(events.size(), 4);
    QCOMPARE(events.at(1).payload.size(), EventParser::MaxJsonSize);
    QVERIFY(events.at(1).payload == QByteArrayView(big).first(EventParser::MaxJsonSize));
    QCOMPARE(events.at(3).id, QByteArray("e3"));
}

// A UTF-8 byte order mark (PowerShell's Out-File writes one, and CRLF) is no part of line 1, in
// follow and in import alike.
void TestJsonlFileSource::byteOrderMarkIsSkipped()
{
    const QString file = path(QStringLiteral("bom.jsonl"));
    QByteArray crlf = line(0) + line(1);
    crlf.replace("\n", "\r\n");
    append(file, "\xEF\xBB\xBF" + crlf);

    Collector collected;
    JsonlFileSource source(follow(file));
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(collected.size(), 2, 10000);
    source.stop();
    QCOMPARE(source.counters().unparsed.load(), 0);
    QCOMPARE(collected.all().at(0).id, QByteArray("e0"));
    QCOMPARE(collected.all().at(1).id, QByteArray("e1"));

    Connectors::ImportReport report;
    QList<Event> events;
    QVERIFY(importFile(file, path(QStringLiteral("bom.fsrec")), &report, &events));
    QCOMPARE(report.lines, 2);
    QCOMPARE(report.unparsed, 0);
    QCOMPARE(events.size(), 2);
    QCOMPARE(events.at(0).id, QByteArray("e0"));
    QCOMPARE(events.at(1).id, QByteArray("e1"));
}

// Stopped while it still reads a file that is there in full: what it leaves is not "a last line
// without its newline" (the file has one) but the rest of the file, and it says where it stopped.
void TestJsonlFileSource::stopWhileCatchingUpSaysWhatWasNotRead()
{
    const QString file = path(QStringLiteral("catchup.jsonl"));
    append(file, lines(0, 40000)); // several read blocks
    const QByteArray all = contents(file);
    std::mutex mutex;
    std::condition_variable changed;
    bool release = false;
    std::atomic<int> batches { 0 };
    QList<Event> got;
    JsonlFileSource::Options o = follow(file);
    o.batchSize = 100;
    JsonlFileSource source(o);
    // The sink holds the first batch until the test has asked the source to stop.
    source.setSink([&](EventBatch&& batch) {
        std::unique_lock lock(mutex);
        got.append(batch);
        ++batches;
        changed.wait(lock, [&] { return release; });
        return true;
    });
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(batches.load() >= 1, 10000);
    std::thread stopper([&] { source.stop(); });
    QTest::qWait(200); // stop() raises its flag first thing; nothing to wait on for that
    {
        std::lock_guard lock(mutex);
        release = true;
    }
    changed.notify_all();
    stopper.join();

    QCOMPARE(source.unfinishedLineBytes(), 0);
    const qint64 at = source.stoppedAtByte();
    QVERIFY2(at > 0 && at < all.size(), qPrintable(QString::number(at)));
    QCOMPARE(all.at(at - 1), '\n'); // the end of the last line handed over
    QCOMPARE(source.unreadBytes(), all.size() - at);
    QCOMPARE(got.size(), all.left(at).count('\n'));
    for (int i = 0; i < got.size(); ++i)
        QCOMPARE(got.at(i).id, QByteArray("e" + QByteArray::number(i)));
}

// A FIFO (as /dev/stdin in a pipe) whose writer says nothing more: stop() does not wait for it.
// The half line it wrote last is left out, as at the end of a file.
void TestJsonlFileSource::fifoStopsWhileItsWriterIsQuiet()
{
    const QString fifo = path(QStringLiteral("quiet.fifo"));
    QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
    // O_RDWR: on Linux a writer that does not wait for the reader to open
    const int writer = ::open(QFile::encodeName(fifo).constData(), O_RDWR);
    QVERIFY(writer >= 0);
    const QByteArray written = line(0) + line(1).left(30);
    QCOMPARE(::write(writer, written.constData(), size_t(written.size())), written.size());
    Collector collected;
    JsonlFileSource source(follow(fifo));
    // Closed before the source is destroyed, also when a check fails: a read() waiting for the
    // writer returns then, and the test ends instead of hanging.
    bool writerOpen = true;
    auto closeWriter = [&] {
        if (std::exchange(writerOpen, false))
            ::close(writer);
    };
    const auto atExit = qScopeGuard(closeWriter);
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(collected.size(), 1, 10000);

    QElapsedTimer timer;
    timer.start();
    std::atomic<bool> stopped { false };
    std::thread stopper([&] {
        source.stop();
        stopped = true;
    });
    while (!stopped.load() && timer.elapsed() < 3000)
        QTest::qWait(10);
    const qint64 took = timer.elapsed();
    closeWriter(); // a read() that waits for the writer returns now: the test ends either way
    stopper.join();
    QVERIFY2(took < 3000, qPrintable(QStringLiteral("stop() took %1 ms").arg(took)));
    QCOMPARE(collected.size(), 1);
    QCOMPARE(collected.all().at(0).id, QByteArray("e0"));
    QCOMPARE(source.truncations(), 0);
    QCOMPARE(source.unfinishedLineBytes(), 30);
    QCOMPARE(source.unreadBytes(), 0);
}

QTEST_GUILESS_MAIN(TestJsonlFileSource)
#include "tst_jsonlfilesource.moc"
