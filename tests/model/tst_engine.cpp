// SPDX-License-Identifier: MIT
// The engine thread: bounded hand-over from pull and push sources, snapshots, the recorder,
// checkpoints; and seeking through those checkpoints equals folding from the start.
#include <engine.h>
#include <eventparser.h>
#include <flowfile.h>
#include <flowfileparser.h>
#include <projections.h>
#include <recording.h>
#include <seeker.h>
#include <threadpriority.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <otherconnection.h>

#include <thread>

using namespace FlowScope;
using FlowScope::Test::OtherConnection;

class TestEngine : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void pullSourcesLoseNothing();
    void pushSourceCountsWhatIsRefused();
    void snapshotsAreVersioned();
    void recordsAndCheckpoints();
    void seekEqualsReplayFromStart();
    void sagaInstancesFollowTheState();
    void groupFactsArePublished();
    void workerThreadsRunBelowTheCaller();
    void recorderWaitsOutAnotherWritersLock();
    void recorderStoresNothingAfterALostBatch();
    void recorderLockedTooLongStopsTheRecording();

private:
    QList<Event> demoEvents() const;
    std::shared_ptr<const Flow> m_flow;
    QTemporaryDir m_dir;
};

void TestEngine::initTestCase()
{
    const FlowParseResult r = FlowFileParser::parseFile(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/order-saga.yaml"));
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    m_flow = std::make_shared<const Flow>(*r.flow);
}

QList<Event> TestEngine::demoEvents() const
{
    QFile f(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/orders.jsonl"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    EventParser parser;
    QList<Event> events;
    qint64 ingest = 1'790'000'000'000'000;
    for (const QByteArray& line : f.readAll().split('\n')) {
        if (line.isEmpty())
            continue;
        Event e = parser.parseLine(line);
        e.ingestTime = ++ingest;
        events.append(std::move(e));
    }
    return events;
}

void TestEngine::pullSourcesLoseNothing()
{
    Engine::Options options;
    options.queueBatches = 4; // small, so that producers really wait
    Engine engine({}, nullptr, options);
    engine.start();
    auto produce = [&engine](const QByteArray& type) {
        for (int b = 0; b < 500; ++b) {
            EventBatch batch;
            for (int i = 0; i < 100; ++i) {
                Event e;
                e.type = type;
                e.source = "producer";
                e.time = 1'790'000'000'000'000 + b * 1000 + i;
                batch.append(std::move(e));
            }
            QVERIFY(engine.push(std::move(batch)));
        }
    };
    std::thread a(produce, QByteArray("A")), b(produce, QByteArray("B"));
    a.join();
    b.join();
    engine.flush();
    const auto s = engine.snapshot();
    QCOMPARE(s->events, 100000);
    QCOMPARE(s->lastSeq, 100000); // numbered in arrival order without gaps
    QCOMPARE(s->state.value(u"types").toObject().value(u"A").toInteger(), 50000);
    QCOMPARE(s->state.value(u"types").toObject().value(u"B").toInteger(), 50000);
    QCOMPARE(engine.refused(), 0);
    engine.stop();
    QVERIFY(!engine.push(EventBatch { Event {} })); // stopped: a pull source learns it
}

void TestEngine::pushSourceCountsWhatIsRefused()
{
    Engine::Options options;
    options.queueBatches = 2;
    Engine engine({}, nullptr, options);
    auto batchOf = [](int n) {
        EventBatch b;
        for (int i = 0; i < n; ++i) {
            Event e;
            e.type = "T";
            e.time = 1000 + i;
            b.append(e);
        }
        return b;
    };
    // not started yet: the queue fills and the third batch is refused, not waited for
    QVERIFY(engine.offer(batchOf(10)));
    QVERIFY(engine.offer(batchOf(10)));
    QVERIFY(!engine.offer(batchOf(7)));
    QCOMPARE(engine.refused(), 7);
    engine.start();
    engine.flush();
    const auto s = engine.snapshot();
    QCOMPARE(s->events, 20);
    QCOMPARE(s->refused, 7);
}

void TestEngine::snapshotsAreVersioned()
{
    Engine engine;
    engine.start();
    const auto first = engine.snapshot();
    quint64 last = first->version;
    for (int i = 0; i < 5; ++i) {
        Event e;
        e.type = "T";
        e.time = 1000 * i;
        QVERIFY(engine.push(EventBatch { e }));
        engine.flush();
        const auto s = engine.snapshot();
        QVERIFY(s->version > last);
        QCOMPARE(s->events, i + 1);
        last = s->version;
    }
    QCOMPARE(first->events, 0); // an old snapshot never changes under its reader
}

void TestEngine::recordsAndCheckpoints()
{
    const QString path = m_dir.filePath(QStringLiteral("engine.fsrec"));
    QString error;
    auto writer = RecordingWriter::create(path, &error);
    QVERIFY2(writer, qPrintable(error));
    Engine::Options options;
    options.checkpointEvery = 200;
    options.checkpointBytesPerEvent = 0; // every 200 events exactly
    Engine engine(m_flow, writer.get(), options);
    engine.start();
    const QList<Event> events = demoEvents();
    QCOMPARE(events.size(), 1467);
    for (qsizetype i = 0; i < events.size(); i += 50)
        QVERIFY(engine.push(events.mid(i, 50)));
    engine.flush();
    const QJsonObject live = engine.snapshot()->state;
    engine.stop();
    QVERIFY(writer->finish(&error));
    writer.reset();

    auto rec = Recording::open(path, &error);
    QVERIFY2(rec, qPrintable(error));
    QCOMPARE(rec->eventCount(), 1467);
    QCOMPARE(rec->checkpointCount(Projections::fingerprint(m_flow.get())), 7); // after 200, 400, ... 1400
    Seeker::Stats stats;
    const auto replayed = Seeker::stateAt(*rec, m_flow, 1467, &error, &stats);
    QVERIFY(replayed);
    QCOMPARE(stats.checkpointSeq, 1400);
    QCOMPARE(stats.folded, 67);
    QCOMPARE(replayed->toJson(), live); // the recording replays to what was seen live
    const QJsonObject saga = live.value(u"sagas").toObject().value(u"order").toObject();
    QCOMPARE(saga.value(u"instances").toInteger(), 300);
    QCOMPARE(saga.value(u"outcomes").toObject().value(u"failed").toInteger(), 15);
    QCOMPARE(saga.value(u"outcomes").toObject().value(u"compensated").toInteger(), 8);

    // Spacing that grows with the state: at one byte per event, the checkpoint after 200 events
    // (tens of kilobytes) puts the next one beyond the end of these 1467.
    const QString spaced = m_dir.filePath(QStringLiteral("spaced.fsrec"));
    writer = RecordingWriter::create(spaced, &error);
    QVERIFY2(writer, qPrintable(error));
    options.checkpointBytesPerEvent = 1;
    Engine engine2(m_flow, writer.get(), options);
    engine2.start();
    for (qsizetype i = 0; i < events.size(); i += 50)
        QVERIFY(engine2.push(events.mid(i, 50)));
    engine2.flush();
    engine2.stop();
    QVERIFY(writer->finish(&error));
    writer.reset();
    rec = Recording::open(spaced, &error);
    QVERIFY2(rec, qPrintable(error));
    QCOMPARE(rec->checkpointCount(Projections::fingerprint(m_flow.get())), 1);
}

// Seek (nearest checkpoint + fold forward) equals folding from the first event, at many points.
void TestEngine::seekEqualsReplayFromStart()
{
    const QString path = m_dir.filePath(QStringLiteral("seek.fsrec"));
    QString error;
    {
        auto writer = RecordingWriter::create(path, &error);
        EventBatch all = demoEvents();
        QVERIFY(writer->append(all, &error));
        QVERIFY(writer->finish(&error));
    }
    QCOMPARE(Seeker::buildCheckpoints(path, m_flow, 97, &error), 16); // 15 every 97 events, and one at the end
    auto rec = Recording::open(path, &error);
    QVERIFY(rec);
    QList<Event> events;
    QVERIFY(rec->readSeqRange(1, 1467, [&](Event&& e) { events.append(std::move(e)); return true; }, &error));

    QList<qint64> points { 0, 1, 96, 97, 98, 1466, 1467 };
    QRandomGenerator rng(7);
    for (int i = 0; i < 40; ++i)
        points.append(rng.bounded(1468));
    for (qint64 at : points) {
        Seeker::Stats stats;
        const auto seeked = Seeker::stateAt(*rec, m_flow, at, &error, &stats);
        QVERIFY(seeked);
        Projections fromStart(m_flow);
        for (qint64 k = 0; k < at; ++k)
            fromStart.apply(events[k]);
        QCOMPARE(stats.checkpointSeq, at == 1467 ? 1467 : at / 97 * 97); // the last one is at the end
        if (seeked->toJson() != fromStart.toJson())
            QFAIL(qPrintable(QStringLiteral("at %1: %2\n!=\n%3")
                                 .arg(at)
                                 .arg(QString::fromUtf8(QJsonDocument(seeked->toJson()).toJson()),
                                      QString::fromUtf8(QJsonDocument(fromStart.toJson()).toJson()))));
        QCOMPARE(seeked->save(), fromStart.save()); // byte for byte
    }
}

// The saga instances the window's table reads: when there are many, copied at most every
// interval, and once the stream stops a copy of the final state (the snapshot's event count).
void TestEngine::sagaInstancesFollowTheState()
{
    Engine::Options options;
    options.instancesIntervalMs = 100;
    options.instancesAlwaysUpTo = 0; // the throttled path, as with a big run
    Engine engine(m_flow, nullptr, options);
    engine.start();
    const QList<Event> events = demoEvents();
    QVERIFY(events.size() > 1000);
    for (qsizetype i = 0; i < events.size(); i += 50)
        QVERIFY(engine.push(events.mid(i, 50)));
    engine.flush();
    QTRY_VERIFY_WITH_TIMEOUT(engine.snapshot()->instances && engine.snapshot()->instances->events == events.size(), 5000);
    const auto s = engine.snapshot();
    QCOMPARE(s->instances->sagas.size(), size_t(1));
    const auto& instances = s->instances->sagas[0];
    QCOMPARE(qint64(instances.size()), s->state.value(u"sagas").toObject().value(u"order").toObject().value(u"instances").toInteger());
    QCOMPARE(instances.front().correlationId, QByteArray("o0000"));
    QCOMPARE(s->instances->kept.size(), size_t(1));
    QCOMPARE(s->instances->kept[0][0], qint64(instances.size())); // fewer than 10 000 of a kind: all copied
    // without the option, snapshots carry none (the CLI pays nothing)
    Engine plain(m_flow);
    plain.start();
    QVERIFY(plain.push(events.mid(0, 10)));
    plain.flush();
    QVERIFY(!plain.snapshot()->instances);
}

// Issue #5: group facts handed over from another thread are laid over the topology and published
// although no event comes; they survive a seek (restore) and a stop.
void TestEngine::groupFactsArePublished()
{
    Engine engine(m_flow, nullptr);
    engine.start();
    QVERIFY(engine.push(demoEvents().mid(0, 100)));
    engine.flush();
    auto lagOf = [&](const QString& from, const QString& to) -> qint64 {
        const QJsonArray edges = engine.snapshot()->state.value(QStringLiteral("topology")).toObject()
                                     .value(QStringLiteral("edges")).toArray();
        for (const QJsonValue& v : edges) {
            const QJsonObject e = v.toObject();
            if (e.value(QStringLiteral("from")).toString() == from && e.value(QStringLiteral("to")).toString() == to
                && e.contains(QStringLiteral("lag")))
                return e.value(QStringLiteral("lag")).toInteger();
        }
        return -1;
    };
    const quint64 version = engine.snapshot()->version;
    std::thread watcher([&] { engine.setGroupFacts({ { "shipping", "orders", 1, 42 } }); });
    watcher.join();
    QTRY_COMPARE(lagOf(QStringLiteral("orders"), QStringLiteral("shipping")), qint64(42));
    QVERIFY(engine.snapshot()->version > version);
    QCOMPARE(engine.snapshot()->events, qint64(100)); // nothing folded for it

    engine.restore(std::make_unique<Projections>(m_flow)); // a seek back to the start
    QCOMPARE(engine.snapshot()->events, qint64(0));
    QCOMPARE(lagOf(QStringLiteral("orders"), QStringLiteral("shipping")), qint64(42));

    engine.setGroupFacts({ { "shipping", "orders", 1, 7 } });
    engine.stop(); // facts handed over just before the stop still make the last snapshot
    QCOMPARE(lagOf(QStringLiteral("orders"), QStringLiteral("shipping")), qint64(7));
}

namespace {
// Each thread of this process: its name and its nice value (/proc/self/task/TID/comm and stat,
// field 19).
QList<QPair<QByteArray, int>> threads()
{
    QList<QPair<QByteArray, int>> out;
    for (const QString& tid : QDir(QStringLiteral("/proc/self/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile stat(QStringLiteral("/proc/self/task/%1/stat").arg(tid));
        QFile comm(QStringLiteral("/proc/self/task/%1/comm").arg(tid));
        if (!stat.open(QIODevice::ReadOnly) || !comm.open(QIODevice::ReadOnly))
            continue;
        const QByteArray text = stat.readAll();
        // after the command's closing parenthesis: state is field 3, nice field 19
        const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 16)
            out.append({ comm.readAll().trimmed(), fields[16].toInt() });
    }
    return out;
}

// "name nice" of the threads with these names, sorted
QStringList named(const QList<QByteArray>& names)
{
    QStringList out;
    for (const auto& [name, nice] : threads())
        if (names.contains(name))
            out.append(QStringLiteral("%1 %2").arg(QString::fromUtf8(name)).arg(nice));
    out.sort();
    return out;
}
} // namespace

void TestEngine::workerThreadsRunBelowTheCaller()
{
    const int base = currentThreadNice();
    if (base > 15)
        QSKIP("this process already runs at the lowest priorities");
    int inThread = -100;
    bool lowered = false;
    std::thread([&] {
        lowered = lowerCurrentThreadPriority(3);
        inThread = currentThreadNice();
    }).join();
    QVERIFY(lowered);
    QCOMPARE(inThread, base + 3);
    QCOMPARE(currentThreadNice(), base); // only the calling thread

    QTemporaryDir dir;
    QString error;
    auto writer = RecordingWriter::create(dir.filePath(QStringLiteral("nice.fsrec")), &error);
    QVERIFY2(writer, qPrintable(error));
    Engine::Options options;
    options.threadNice = 4;
    QTRY_VERIFY_WITH_TIMEOUT(named({ "fs-engine", "fs-writer" }).isEmpty(), 30000); // earlier tests' threads may linger a moment in /proc
    Engine engine({}, writer.get(), options);
    engine.start();
    // The fold and the writer, once running, by name (the thread that faults in the causation
    // tables runs beside them for a while, at the fold's priority, which it inherits)
    const QStringList expected { QStringLiteral("fs-engine %1").arg(base + 4), QStringLiteral("fs-writer %1").arg(base + 4) };
    QTRY_COMPARE_WITH_TIMEOUT(named({ "fs-engine", "fs-writer" }), expected, 30000); // 5 s fell short on a loaded CI (5,050 ms)
    QCOMPARE(currentThreadNice(), base);
    engine.stop();
    QTRY_VERIFY(named({ "fs-engine", "fs-writer" }).isEmpty()); // joined; /proc may lag a moment
}

namespace {

EventBatch numberedBatch(int from, int n)
{
    EventBatch b;
    for (int i = from; i < from + n; ++i) {
        Event e;
        e.type = "T";
        e.id = QByteArray::number(i);
        b.append(e);
    }
    return b;
}

// The seqs a recording holds, in order, and the ids they carry.
QList<QPair<qint64, QByteArray>> storedSeqs(const QString& path)
{
    QString error;
    QList<QPair<qint64, QByteArray>> out;
    auto rec = Recording::open(path, &error);
    if (!rec) {
        qWarning("%s", qPrintable(error));
        return out;
    }
    rec->readSeqRange(1, std::numeric_limits<qint64>::max(), [&](Event&& e) {
        out.append({ e.seq, e.id });
        return true;
    }, &error);
    return out;
}

QList<QPair<qint64, QByteArray>> expectedSeqs(int from, int to)
{
    QList<QPair<qint64, QByteArray>> out;
    for (int i = from; i <= to; ++i)
        out.append({ i, QByteArray::number(i) });
    return out;
}

} // namespace

// Another process holds the recording's write lock for a while: the batches behind it wait and
// are stored, with no gap and no error. The writer waits up to its busy timeout, by default a
// minute: SQLite's own wait used to be 10 s, and a lock held 11 s lost a batch. Here the timeout
// is 4 s and the lock is held for 2 (the test took 11 s when it held it past the default).
void TestEngine::recorderWaitsOutAnotherWritersLock()
{
    const QString path = m_dir.filePath(QStringLiteral("locked.fsrec"));
    QString error;
    auto writer = RecordingWriter::create(path, &error);
    QVERIFY2(writer, qPrintable(error));
    QCOMPARE(writer->busyTimeoutMs(), RecordingWriter::DefaultBusyTimeoutMs);
    QVERIFY(RecordingWriter::DefaultBusyTimeoutMs >= 60000);
    writer->setBusyTimeout(4000);
    Engine engine({}, writer.get(), Engine::Options {});
    engine.start();
    QVERIFY(engine.push(numberedBatch(1, 5)));
    engine.flush();

    OtherConnection other(path);
    QVERIFY(other.exec("BEGIN IMMEDIATE")); // the write lock, until ROLLBACK
    std::thread holder([&] {
        std::this_thread::sleep_for(std::chrono::seconds(2));
        other.exec("ROLLBACK");
    });
    QVERIFY(engine.push(numberedBatch(6, 5)));
    QVERIFY(engine.push(numberedBatch(11, 5)));
    engine.flush(); // returns once both are written: after the lock is released
    holder.join();
    QVERIFY2(engine.error().isEmpty(), qPrintable(engine.error()));
    QVERIFY(engine.push(numberedBatch(16, 5)));
    engine.flush();
    engine.stop();
    QVERIFY2(writer->finish(&error), qPrintable(error));
    QCOMPARE(storedSeqs(path), expectedSeqs(1, 20));
}

// A batch that cannot be stored at all (here: another process put a row where event 6 goes):
// the batches after it are not stored either, so the recording has no gap; the engine takes no
// more, and its error names the events that were lost.
void TestEngine::recorderStoresNothingAfterALostBatch()
{
    const QString path = m_dir.filePath(QStringLiteral("lost.fsrec"));
    QString error;
    auto writer = RecordingWriter::create(path, &error);
    QVERIFY2(writer, qPrintable(error));
    Engine engine({}, writer.get(), Engine::Options {});
    engine.start();
    QVERIFY(engine.push(numberedBatch(1, 5)));
    engine.flush();
    {
        OtherConnection other(path);
        QVERIFY(other.exec("INSERT INTO events (seq, ingest_time, type, id, format, flags) VALUES (6, 0, 'X', 'x', 0, 0)"));
    }
    QVERIFY(engine.push(numberedBatch(6, 5)));
    QTRY_VERIFY(!engine.error().isEmpty());
    QVERIFY(!engine.push(numberedBatch(11, 5))); // refused: it would follow a gap
    engine.flush();
    engine.stop();
    QVERIFY2(engine.error().contains(QStringLiteral("events 6-10 were not stored")), qPrintable(engine.error()));
    QVERIFY2(engine.error().contains(QStringLiteral("UNIQUE constraint failed")), qPrintable(engine.error()));
    QVERIFY2(writer->finish(&error), qPrintable(error));
    auto stored = storedSeqs(path);
    QCOMPARE(stored.size(), 6);
    QCOMPARE(stored.takeLast(), (QPair<qint64, QByteArray>(6, "x"))); // the other process's row, nothing after it
    QCOMPARE(stored, expectedSeqs(1, 5));
}

// The lock is held past the writer's busy timeout: that batch is lost, and the ones behind it,
// already handed over, are counted with it; nothing after it is stored, even once the lock is free.
void TestEngine::recorderLockedTooLongStopsTheRecording()
{
    const QString path = m_dir.filePath(QStringLiteral("locked-long.fsrec"));
    QString error;
    auto writer = RecordingWriter::create(path, &error);
    QVERIFY2(writer, qPrintable(error));
    writer->setBusyTimeout(300);
    Engine engine({}, writer.get(), Engine::Options {});
    engine.start();
    QVERIFY(engine.push(numberedBatch(1, 5)));
    engine.flush();
    {
        OtherConnection other(path);
        QVERIFY(other.exec("BEGIN IMMEDIATE"));
        QVERIFY(engine.push(numberedBatch(6, 5)));
        QVERIFY(engine.push(numberedBatch(11, 5)));
        QTRY_VERIFY_WITH_TIMEOUT(!engine.error().isEmpty(), 10000);
        engine.flush();
        QVERIFY(other.exec("ROLLBACK"));
    }
    QVERIFY(!engine.push(numberedBatch(16, 5)));
    engine.stop();
    QCOMPARE(engine.error(),
             QStringLiteral("cannot write %1: database is locked; events 6-15 were not stored, and the recording ends "
                            "at event 5")
                 .arg(path));
    QVERIFY2(writer->finish(&error), qPrintable(error));
    QCOMPARE(storedSeqs(path), expectedSeqs(1, 5));
}

QTEST_GUILESS_MAIN(TestEngine)
#include "tst_engine.moc"
