// SPDX-License-Identifier: MIT
// Recordings: every Event field stored and read back exactly, ranges by sequence and time,
// and clear errors (never a crash) for files that are not, or no longer, recordings.
#include <eventlogmodel.h>
#include <recording.h>
#include <timeformat.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using namespace FlowScope;

namespace {

Event makeEvent(int i)
{
    Event e;
    e.id = "e" + QByteArray::number(i);
    e.type = i % 2 ? "OrderCreated" : "PaymentAuthorized";
    e.source = "orders";
    e.time = qint64(1790000000) * 1000000 + i * 1000;
    e.specVersion = "1.0";
    e.correlationId = "o" + QByteArray::number(i / 3);
    e.payload = R"({"n":)" + QByteArray::number(i) + "}";
    e.flags = PayloadJson;
    e.format = EventFormat::Structured;
    e.ingestTime = qint64(1800000000) * 1000000 + i;
    return e;
}

// The fullest event we can make: every field set, nulls and empties where they differ.
Event fullEvent()
{
    Event e;
    e.id = "id-1";
    e.type = "T";
    e.source = "src";
    e.setSubject(QByteArray("")); // present but empty
    e.time = -1;                // before the epoch
    e.specVersion = "1.0";
    e.dataContentType = "application/octet-stream";
    e.setDataSchema("urn:schema");
    e.correlationId = "c";
    e.causationId = "p";
    e.setTraceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    e.setExtensions(R"({"x":1})");
    e.ingestTime = 123;
    e.channel = "orders";
    e.partition = 7;
    e.offset = 1234567890123;
    e.key = QByteArray("k\0ey", 4);
    e.brokerTime = 99;
    e.setHeaders({ { "a", "1", false }, { "empty", QByteArray(""), false }, { "null", {}, true }, { "", "x", false } });
    e.payload = QByteArray("\x00\x01\xff binary", 10);
    e.format = EventFormat::Binary;
    e.flags = DataBase64;
    e.setError(QByteArray());
    return e;
}

QList<Event> readAll(const Recording& r)
{
    QList<Event> out;
    QString error;
    const bool ok = r.readSeqRange(1, std::numeric_limits<qint64>::max(), [&](Event&& e) {
        out.append(std::move(e));
        return true;
    }, &error);
    if (!ok)
        qWarning("%s", qPrintable(error));
    return out;
}

} // namespace

class TestRecording : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() { QVERIFY(m_dir.isValid()); }
    void everyFieldRoundTrips();
    void seqsAreDenseAcrossBatches();
    void seqRange();
    void timeRange();
    void bigPayload();
    void payloadTooBigFailsTheAppend();
    void walCopiedWhileWriting();
    void metadata();
    void refusesNonRecordings_data();
    void refusesNonRecordings();
    void damagedFileGivesAnError();
    void missingFile();
    void filteredReads();
    void correlationFromTheData();
    void retentionKeepsTheNewestEvents();

private:
    QString path(const char* name) const { return m_dir.filePath(QString::fromLatin1(name)); }
    QTemporaryDir m_dir;
};

void TestRecording::everyFieldRoundTrips()
{
    QString error;
    auto w = RecordingWriter::create(path("full.fsrec"), &error);
    QVERIFY2(w, qPrintable(error));
    Event unparsed;
    unparsed.format = EventFormat::Opaque;
    unparsed.flags = Unparsed;
    unparsed.payload = "PING";
    unparsed.setError("in.jsonl:3: invalid JSON");
    unparsed.ingestTime = 5;
    Event emptyPayload = makeEvent(1);
    emptyPayload.payload = QByteArray("");
    EventBatch batch { fullEvent(), unparsed, emptyPayload };
    QVERIFY2(w->append(batch, &error), qPrintable(error));
    QCOMPARE(batch[0].seq, 1);
    QCOMPARE(batch[2].seq, 3);
    QVERIFY(w->finish(&error));
    w.reset();

    auto r = Recording::open(path("full.fsrec"), &error);
    QVERIFY2(r, qPrintable(error));
    QCOMPARE(r->formatVersion(), RecordingFormatVersion);
    const QList<Event> back = readAll(*r);
    QCOMPARE(back.size(), 3);
    QCOMPARE(back[0], batch[0]); // field by field, nulls and empties distinguished
    QVERIFY(!back[0].subject().isNull());
    QVERIFY(back[0].subject().isEmpty());
    QVERIFY(back[0].headers()[2].isNull);
    QVERIFY(back[0].error().isNull());
    QCOMPARE(back[1], batch[1]);
    QCOMPARE(back[2], batch[2]);
    QVERIFY(!back[2].payload.isNull());
    QVERIFY(back[2].payload.isEmpty());
}

void TestRecording::seqsAreDenseAcrossBatches()
{
    QString error;
    auto w = RecordingWriter::create(path("dense.fsrec"), &error);
    QVERIFY(w);
    for (int b = 0; b < 5; ++b) {
        EventBatch batch;
        for (int i = 0; i < 1000; ++i)
            batch.append(makeEvent(b * 1000 + i));
        QVERIFY(w->append(batch, &error));
        QCOMPARE(batch.last().seq, (b + 1) * 1000);
    }
    QCOMPARE(w->count(), 5000);
    // numbered by the caller (the engine numbers on its thread and writes on another): a batch
    // that does not follow what is stored, or leaves a gap in itself, is refused whole
    EventBatch numbered { makeEvent(9000), makeEvent(9001) };
    const struct {
        qint64 first, second;
        const char16_t* message;
    } refused[] = {
        { 5002, 5003, u"event 5002 does not follow event 5000, the last one stored" }, // a gap before
        { 5000, 5001, u"event 5000 does not follow event 5000, the last one stored" },
        { 5002, 5001, u"event 5002 does not follow event 5000, the last one stored" },
        { 5001, 5003, u"event 5003 comes where event 5002 belongs" }, // a gap inside
        { 5001, 5001, u"event 5001 comes where event 5002 belongs" },
    };
    for (const auto& r : refused) {
        numbered[0].seq = r.first;
        numbered[1].seq = r.second;
        error.clear();
        QVERIFY2(!w->appendNumbered(numbered, &error), qPrintable(QStringLiteral("%1, %2").arg(r.first).arg(r.second)));
        QVERIFY2(error.contains(QStringView(r.message)), qPrintable(error));
        QCOMPARE(w->count(), 5000);
    }
    QVERIFY(w->finish(&error));
    auto r = Recording::open(path("dense.fsrec"), &error);
    QVERIFY(r);
    QCOMPARE(r->eventCount(), 5000);
    const QList<Event> all = readAll(*r);
    QCOMPARE(all.size(), 5000);
    for (int i = 0; i < all.size(); ++i) {
        QCOMPARE(all[i].seq, i + 1);
        QCOMPARE(all[i].id, "e" + QByteArray::number(i)); // arrival order kept
    }
}

void TestRecording::seqRange()
{
    QString error;
    auto w = RecordingWriter::create(path("range.fsrec"), &error);
    EventBatch batch;
    for (int i = 0; i < 100; ++i)
        batch.append(makeEvent(i));
    QVERIFY(w->append(batch, &error));
    w.reset(); // no finish(): a recording is readable without it
    auto r = Recording::open(path("range.fsrec"), &error);
    QVERIFY2(r, qPrintable(error));
    QList<qint64> seqs;
    QVERIFY(r->readSeqRange(10, 14, [&](Event&& e) { seqs.append(e.seq); return true; }, &error));
    QCOMPARE(seqs, (QList<qint64> { 10, 11, 12, 13, 14 }));
    seqs.clear();
    QVERIFY(r->readSeqRange(98, 1000, [&](Event&& e) { seqs.append(e.seq); return true; }, &error));
    QCOMPARE(seqs, (QList<qint64> { 98, 99, 100 }));
    seqs.clear(); // the sink can stop early
    QVERIFY(r->readSeqRange(1, 100, [&](Event&& e) { seqs.append(e.seq); return seqs.size() < 3; }, &error));
    QCOMPARE(seqs.size(), 3);
}

void TestRecording::timeRange()
{
    QString error;
    auto w = RecordingWriter::create(path("time.fsrec"), &error);
    EventBatch batch;
    // arrival order differs from time order: events 0..9 with times 9..0 ms, one without a time
    for (int i = 0; i < 10; ++i) {
        Event e = makeEvent(i);
        e.time = (9 - i) * 1000;
        batch.append(e);
    }
    Event noTime = makeEvent(10);
    noTime.time = NoTime;
    batch.append(noTime);
    QVERIFY(w->append(batch, &error));
    QVERIFY(w->finish(&error));
    auto r = Recording::open(path("time.fsrec"), &error);
    QList<qint64> seqs;
    QVERIFY(r->readTimeRange(2000, 5000, [&](Event&& e) { seqs.append(e.seq); return true; }, &error));
    // times 2,3,4 ms belong to events 7,6,5 (seq 8,7,6); returned in arrival order
    QCOMPARE(seqs, (QList<qint64> { 6, 7, 8 }));
}

void TestRecording::bigPayload()
{
    QString error;
    auto w = RecordingWriter::create(path("big.fsrec"), &error);
    Event e = makeEvent(0);
    e.payload = QByteArray(10 * 1024 * 1024, 'z');
    EventBatch batch { e };
    QVERIFY(w->append(batch, &error));
    w.reset();
    auto r = Recording::open(path("big.fsrec"), &error);
    const QList<Event> back = readAll(*r);
    QCOMPARE(back.size(), 1);
    QCOMPARE(back[0].payload.size(), 10 * 1024 * 1024);
    QCOMPARE(back[0].payload, e.payload);
}

// A payload above SQLite's length limit (1e9 bytes) is refused by sqlite3_bind_blob: the append
// fails and says which event and column, instead of storing NULL and calling the event written.
// The bytes are never touched (refused before SQLite reads them), so the test stays small.
void TestRecording::payloadTooBigFailsTheAppend()
{
    QString error;
    auto w = RecordingWriter::create(path("toobig.fsrec"), &error);
    QVERIFY2(w, qPrintable(error));
    EventBatch first { makeEvent(0) };
    QVERIFY2(w->append(first, &error), qPrintable(error));
    Event big = makeEvent(1);
    big.payload = QByteArray(1'000'000'001, Qt::Uninitialized);
    EventBatch second { makeEvent(2), big };
    QVERIFY(!w->append(second, &error));
    QVERIFY2(error.contains(path("toobig.fsrec")), qPrintable(error));
    QVERIFY2(error.contains(u"event 3, column payload"), qPrintable(error));
    QVERIFY2(error.contains(u"too big"), qPrintable(error));
    QVERIFY2(w->finish(&error), qPrintable(error));
    w.reset();
    auto r = Recording::open(path("toobig.fsrec"), &error);
    QVERIFY2(r, qPrintable(error));
    QCOMPARE(r->eventCount(), 1); // the failed batch is not in it, not even its first event
}

// A live writer copies its WAL into the main file while it writes (on a thread of its own),
// and the WAL stays bounded however fast batches come: nothing waits for finish().
void TestRecording::walCopiedWhileWriting()
{
    QString error;
    const QString file = path("wal.fsrec");
    auto w = RecordingWriter::create(file, &error);
    QVERIFY2(w, qPrintable(error));
    constexpr int Batches = 100, PerBatch = 1000;
    qint64 largestWal = 0;
    for (int b = 0; b < Batches; ++b) {
        EventBatch batch;
        for (int i = 0; i < PerBatch; ++i) {
            Event e = makeEvent(b * PerBatch + i);
            e.payload = QByteArray(1000, char('a' + i % 26)); // ~1.2 MB a batch: 150 pages
            batch.append(e);
        }
        QVERIFY2(w->append(batch, &error), qPrintable(error));
        largestWal = std::max(largestWal, QFileInfo(file + QStringLiteral("-wal")).size());
    }
    // 120 MB written: had the copies done nothing (a connection that has not opened the WAL
    // checkpoints nothing, silently), the WAL would hold all of it and the file none
    const qint64 frame = RecordingWriter::PageSize + 24;
    QVERIFY2(largestWal <= (RecordingWriter::WalLimitPages + 2 * 200) * frame + 32,
             qPrintable(QStringLiteral("WAL grew to %1 bytes").arg(largestWal)));
    QVERIFY2(QFileInfo(file).size() >= qint64(RecordingWriter::WalLimitPages) * RecordingWriter::PageSize,
             qPrintable(QStringLiteral("main file %1 bytes before finish()").arg(QFileInfo(file).size())));
    QVERIFY2(w->finish(&error), qPrintable(error));
    w.reset();
    auto r = Recording::open(file, &error);
    QVERIFY2(r, qPrintable(error));
    QCOMPARE(r->eventCount(), qint64(Batches * PerBatch));
    QList<Event> last;
    QVERIFY(r->readSeqRange(Batches * PerBatch, Batches * PerBatch, [&](Event&& e) { last.append(e); return true; }, &error));
    QCOMPARE(last.size(), 1);
    QCOMPARE(last[0].id, QByteArray("e99999"));
    QCOMPARE(last[0].payload, QByteArray(1000, char('a' + (PerBatch - 1) % 26)));
}

void TestRecording::metadata()
{
    QString error;
    auto w = RecordingWriter::create(path("meta.fsrec"), &error);
    QVERIFY(w->setMeta(QStringLiteral("source"), QStringLiteral("kafka://localhost:9092 orders"), &error));
    w.reset();
    auto r = Recording::open(path("meta.fsrec"), &error);
    QCOMPARE(r->meta(QStringLiteral("source")), u"kafka://localhost:9092 orders");
    QVERIFY(r->meta(QStringLiteral("created_by")).startsWith(u"FlowScope "));
    QVERIFY(TimeFormat::parseRfc3339(r->meta(QStringLiteral("created_at")).toUtf8()));
}

void TestRecording::refusesNonRecordings_data()
{
    QTest::addColumn<QByteArray>("kind");
    QTest::addColumn<QString>("message");
    QTest::newRow("text file") << QByteArray("text") << QStringLiteral("not a FlowScope recording (not a SQLite database)");
    QTest::newRow("empty file") << QByteArray("empty") << QStringLiteral("the file is empty, not a FlowScope recording");
    QTest::newRow("directory") << QByteArray("dir") << QStringLiteral("is a directory, not a FlowScope recording");
    QTest::newRow("other sqlite") << QByteArray("other") << QStringLiteral("a SQLite database of another kind");
    QTest::newRow("newer version") << QByteArray("newer")
                                   << QStringLiteral("recording format version 2 is newer than this FlowScope reads (1)");
}

void TestRecording::refusesNonRecordings()
{
    QFETCH(QByteArray, kind);
    QFETCH(QString, message);
    const QString file = m_dir.filePath(QStringLiteral("bad-%1.fsrec").arg(QString::fromLatin1(kind)));
    if (kind == "dir") {
        QVERIFY(QDir().mkpath(file));
    } else if (kind == "text" || kind == "empty") {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        if (kind == "text")
            f.write(QByteArray("{\"specversion\":\"1.0\"}\n").repeated(200));
    } else {
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(file.toUtf8().constData(), &db), SQLITE_OK);
        const char* sql = kind == "other" ? "CREATE TABLE t(x);"
                                          : "PRAGMA application_id = 1179407171; PRAGMA user_version = 2; CREATE TABLE meta(key, value);";
        QCOMPARE(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }
    QString error;
    const auto r = Recording::open(file, &error);
    QVERIFY(!r);
    QVERIFY2(error.contains(message), qPrintable(error));
    QVERIFY(error.startsWith(file)); // says which file
}

// Overwrite the middle of a recording with garbage: opening or reading it must report damage.
void TestRecording::damagedFileGivesAnError()
{
    QString error;
    {
        auto w = RecordingWriter::create(path("damaged.fsrec"), &error);
        for (int b = 0; b < 20; ++b) {
            EventBatch batch;
            for (int i = 0; i < 500; ++i)
                batch.append(makeEvent(b * 500 + i));
            QVERIFY(w->append(batch, &error));
        }
        QVERIFY(w->finish(&error));
    }
    QFile f(path("damaged.fsrec"));
    QVERIFY(f.open(QIODevice::ReadWrite));
    const qint64 size = f.size();
    QVERIFY(size > 200000);
    for (qint64 at = 16384; at < size; at += 65536) { // leave page 1 (the header) alone
        f.seek(at);
        f.write(QByteArray(8192, '\xA5'));
    }
    f.close();
    auto r = Recording::open(path("damaged.fsrec"), &error);
    if (!r) {
        QVERIFY2(error.contains(u"damaged") || error.contains(u"malformed"), qPrintable(error));
        return;
    }
    qint64 n = 0;
    const bool ok = r->readSeqRange(1, std::numeric_limits<qint64>::max(), [&](Event&&) { ++n; return true; }, &error);
    QVERIFY(!ok);
    QVERIFY2(error.contains(u"damaged"), qPrintable(error));
    QVERIFY(n < 10000);
}

void TestRecording::missingFile()
{
    QString error;
    QVERIFY(!Recording::open(path("nope.fsrec"), &error));
    QCOMPARE(error, path("nope.fsrec") + QStringLiteral(": no such file"));
}

// The event log's filters: exact attributes, a case-insensitive substring whose % and _ are
// literal, paged by seq (never OFFSET) and bounded by a seq range.
void TestRecording::filteredReads()
{
    QString error;
    auto w = RecordingWriter::create(path("filter.fsrec"), &error);
    QVERIFY(w);
    EventBatch batch;
    for (int i = 1; i <= 300; ++i)
        batch.append(makeEvent(i));
    batch[9].payload = R"({"note":"50% off_now"})";
    QVERIFY(w->append(batch, &error));
    auto r = Recording::open(path("filter.fsrec"), &error);
    QVERIFY(r);

    EventFilter f;
    f.type = QStringLiteral("OrderCreated"); // odd i
    QCOMPARE(r->countMatching(f, &error), 150);
    QList<qint64> seqs;
    QVERIFY(r->matchingSeqs(f, 0, 300, 10, &seqs, &error));
    QCOMPARE(seqs, (QList<qint64> { 1, 3, 5, 7, 9, 11, 13, 15, 17, 19 }));
    seqs.clear(); // the next page starts after the last seq, and the range bounds the scan
    QVERIFY(r->matchingSeqs(f, 19, 30, 100, &seqs, &error));
    QCOMPARE(seqs, (QList<qint64> { 21, 23, 25, 27, 29 }));
    QList<qint64> read;
    QVERIFY(r->readMatching(f, 21, 29, [&](Event&& e) {
        read.append(e.seq);
        return true;
    }, &error));
    QCOMPARE(read, seqs);

    f = {};
    f.correlation = QStringLiteral("o7"); // i / 3 == 7
    QCOMPARE(r->countMatching(f, &error), 3);
    f = {};
    f.text = QStringLiteral("ORDERcreated"); // any case
    QCOMPARE(r->countMatching(f, &error), 150);
    f.text = QStringLiteral("50% off_"); // literal % and _
    QCOMPARE(r->countMatching(f, &error), 1);
    f.text = QStringLiteral("5_% off");
    QCOMPARE(r->countMatching(f, &error), 0);
    f.text = QStringLiteral("'); DROP TABLE events; --"); // values are bound, never spliced
    QCOMPARE(r->countMatching(f, &error), 0);
    QCOMPARE(r->eventCount(), 300);

    QList<qint64> some;
    QVERIFY(r->readSeqs({ 42, 7, 300 }, [&](Event&& e) {
        some.append(e.seq);
        return true;
    }, &error));
    QCOMPARE(some, (QList<qint64> { 7, 42, 300 }));
}

// Events recorded without a correlation id attribute are found where the flow file says the id
// is (`correlation: data.orderId`); a payload that is not JSON is skipped, not an error.
void TestRecording::correlationFromTheData()
{
    QString error;
    auto w = RecordingWriter::create(path("corr.fsrec"), &error);
    QVERIFY(w);
    EventBatch batch;
    for (int i = 1; i <= 6; ++i) {
        Event e = makeEvent(i);
        e.correlationId = QByteArray();
        e.payload = R"({"order":{"id":)" + QByteArray(i % 2 ? "\"A1\"" : "\"B2\"") + "}}";
        batch.append(e);
    }
    batch[0].payload = "not json at all";
    batch[0].flags = 0;
    batch[1].correlationId = "A1"; // the attribute wins over the data
    QVERIFY(w->append(batch, &error));
    auto r = Recording::open(path("corr.fsrec"), &error);
    QVERIFY(r);
    EventFilter f;
    f.correlation = QStringLiteral("A1");
    f.correlationDataPath = QStringList { QStringLiteral("order"), QStringLiteral("id") };
    QList<qint64> seqs;
    QVERIFY2(r->matchingSeqs(f, 0, 10, 10, &seqs, &error), qPrintable(error));
    QCOMPARE(seqs, (QList<qint64> { 2, 3, 5 }));
    f.correlationDataPath.clear(); // the attribute only
    QCOMPARE(r->countMatching(f, &error), 1);
}

void TestRecording::retentionKeepsTheNewestEvents()
{
    QString error;
    auto w = RecordingWriter::create(path("retained.fsrec"), &error);
    QVERIFY2(w, qPrintable(error));
    QVERIFY(w->setRetention(1000, &error));
    QVERIFY(w->storeCheckpoint("k", 500, NoTime, "old state", &error));
    auto appendBatches = [&](int from, int batches) {
        for (int b = 0; b < batches; ++b) {
            EventBatch batch;
            for (int i = 0; i < 100; ++i)
                batch.append(makeEvent(from + b * 100 + i));
            if (!w->append(batch, &error))
                return false;
            // never fewer than the retention, never more than a sixteenth over it
            const qint64 kept = w->count() - w->firstSeq() + 1;
            if (kept > 1000 + 1000 / 16 || (w->count() >= 1000 && kept < 1000))
                return false;
        }
        return true;
    };
    QVERIFY2(appendBatches(0, 30), qPrintable(error));
    // 1100 > 1062 first drops 1..100; every later batch drops one more batch
    QCOMPARE(w->firstSeq(), 2001);
    QVERIFY(w->storeCheckpoint("k", 2500, NoTime, "new state", &error));
    QVERIFY(w->finish(&error));
    const qint64 sizeAt3000 = QFileInfo(path("retained.fsrec")).size();
    {
        auto r = Recording::open(path("retained.fsrec"), &error);
        QVERIFY2(r, qPrintable(error));
        QCOMPARE(r->firstSeq(), 2001);
        QCOMPARE(r->eventCount(), 3000);
        QCOMPARE(r->meta(QStringLiteral("retention")), QStringLiteral("1000"));
        const QList<Event> kept = readAll(*r);
        QCOMPARE(kept.size(), 1000);
        QCOMPARE(kept.first().seq, 2001);
        QCOMPARE(kept.first().id, QByteArray("e2000"));
        QCOMPARE(kept.last().seq, 3000);
        QCOMPARE(r->checkpointCount("k"), 1); // the one at 500 went with its events
        QCOMPARE(r->checkpointAtOrBefore("k", 3000)->seq, 2500);
        EventDensity density;
        QVERIFY2(r->density(10, &density, &error), qPrintable(error));
        QCOMPARE(density.total(), 1000);

        // the model's rows are the kept events
        EventLogModel model;
        QVERIFY2(model.open(path("retained.fsrec"), &error), qPrintable(error));
        QCOMPARE(model.rowCount(), 1000);
        QCOMPARE(model.base(), 2000);
        QCOMPARE(model.seqAt(0), 2001);
        // rows show their own events also in the page where the recording now starts (2001 is
        // not on a page boundary: the page's first 208 seqs are gone)
        for (int row : { 0, 1, 47, 48, 999 })
            QCOMPARE(model.data(model.index(row, EventLogModel::Seq)).toLongLong(), 2001 + row);
    }
    // the file stops growing: the freed pages take the new rows
    w = RecordingWriter::openExisting(path("retained.fsrec"), &error);
    QVERIFY2(w, qPrintable(error));
    QCOMPARE(w->firstSeq(), 2001);
    QVERIFY(w->setRetention(1000, &error));
    QVERIFY2(appendBatches(3000, 50), qPrintable(error));
    QVERIFY(w->finish(&error));
    QCOMPARE(w->firstSeq(), 7001);
    QVERIFY2(QFileInfo(path("retained.fsrec")).size() <= sizeAt3000 * 5 / 4,
             qPrintable(QStringLiteral("%1 bytes after 8000 events, %2 after 3000")
                            .arg(QFileInfo(path("retained.fsrec")).size())
                            .arg(sizeAt3000)));
}

QTEST_GUILESS_MAIN(TestRecording)
#include "tst_recording.moc"
