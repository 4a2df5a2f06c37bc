// SPDX-License-Identifier: MIT
// Replay of a recording at a pace, with pause, step and seek, on an injected wall clock.
#include <engine.h>
#include <eventparser.h>
#include <flowfileparser.h>
#include <projections.h>
#include <recording.h>
#include <replayer.h>
#include <seeker.h>

#include <QFile>
#include <QFileInfo>

#include <QTemporaryDir>
#include <QTest>

using namespace FlowScope;
using FlowScope::Sim::ReplayClock;
using FlowScope::Sim::Replayer;

class TestReplayer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void pacedAtSpeed();
    void pauseAndStep();
    void seekContinuesFromThere();
    void flatOut();
    void seekDuringReplayIntoTheEngine();
    void clockStartsAtTheFirstEventWithATime();
    void retainedRecordingStartingAt5001();
    void stopsWhereTheRecordingIsDamaged();

private:
    QTemporaryDir m_dir;
    QString m_path;
    std::unique_ptr<Recording> m_rec;
};

namespace {
constexpr qint64 T0 = 1'790'000'000'000'000;
// event times in seconds after T0, in recording order; the fourth is late (out of time order)
const double Offsets[] = { 0, 1, 2, 1.5, 2, 5, 10 };
} // namespace

void TestReplayer::initTestCase()
{
    m_path = m_dir.filePath(QStringLiteral("replay.fsrec"));
    QString error;
    auto w = RecordingWriter::create(m_path, &error);
    QVERIFY(w);
    EventBatch batch;
    for (double o : Offsets) {
        Event e;
        e.type = "T";
        e.id = QByteArray::number(batch.size() + 1);
        e.time = T0 + qint64(o * 1e6);
        batch.append(e);
    }
    QVERIFY(w->append(batch, &error));
    QVERIFY(w->finish(&error));
    m_rec = Recording::open(m_path, &error);
    QVERIFY(m_rec);
}

void TestReplayer::pacedAtSpeed()
{
    qint64 wall = 0;
    QList<qint64> got;
    Replayer r(*m_rec, [&](EventBatch&& b) { for (const Event& e : b) got.append(e.seq); }, [&] { return wall; });
    r.setSpeed(10); // 1 s of event time in 100 ms
    QCOMPARE(r.pump(), 0); // not playing yet
    r.play();
    QCOMPARE(r.pump(), 1);
    QCOMPARE(got, (QList<qint64> { 1 }));
    QCOMPARE(r.waitMicros(), 100'000);
    wall += 99'999;
    QCOMPARE(r.pump(), 0);
    wall += 1;
    QCOMPARE(r.pump(), 1); // the event at 1 s
    wall += 100'000;         // 2 s: events 3, the late 4 (1.5 s) and 5 are all due
    QCOMPARE(r.pump(), 3);
    QCOMPARE(got, (QList<qint64> { 1, 2, 3, 4, 5 }));
    QCOMPARE(r.waitMicros(), 300'000);
    r.setSpeed(1000); // faster from here on, without a jump
    wall += 3'000;
    QCOMPARE(r.pump(), 1);
    QCOMPARE(r.position(), 6);
    wall += 5'000;
    QCOMPARE(r.pump(), 1);
    QVERIFY(r.atEnd());
    QCOMPARE(r.waitMicros(), -1);
}

void TestReplayer::pauseAndStep()
{
    qint64 wall = 0;
    QList<qint64> got;
    Replayer r(*m_rec, [&](EventBatch&& b) { for (const Event& e : b) got.append(e.seq); }, [&] { return wall; });
    r.play();
    QCOMPARE(r.pump(), 1);
    r.pause();
    wall += 60'000'000; // a minute paused: nothing comes
    QCOMPARE(r.pump(), 0);
    QCOMPARE(r.waitMicros(), -1);
    QVERIFY(r.step()); // one event, due or not
    QVERIFY(r.step());
    QCOMPARE(got, (QList<qint64> { 1, 2, 3 }));
    r.play();
    QCOMPARE(r.pump(), 2); // at 2 s after the steps: the late 1.5 s one and the other 2 s one
    QCOMPARE(got, (QList<qint64> { 1, 2, 3, 4, 5 }));
}

void TestReplayer::seekContinuesFromThere()
{
    qint64 wall = 0;
    QList<qint64> got;
    Replayer r(*m_rec, [&](EventBatch&& b) { for (const Event& e : b) got.append(e.seq); }, [&] { return wall; });
    r.seek(5);
    r.play();
    QCOMPARE(r.pump(), 1); // the next event is the one at 5 s, and the clock stands at it
    QCOMPARE(got, (QList<qint64> { 6 }));
    QCOMPARE(r.position(), 6);
    QCOMPARE(r.waitMicros(), 5'000'000); // the last one is 5 s later, at x1
    r.seek(0); // back to the start
    got.clear();
    QCOMPARE(r.pump(), 1);
    QCOMPARE(got, (QList<qint64> { 1 }));
}

void TestReplayer::flatOut()
{
    qint64 wall = 0;
    QList<qint64> got;
    Replayer r(*m_rec, [&](EventBatch&& b) { for (const Event& e : b) got.append(e.seq); }, [&] { return wall; });
    r.setSpeed(ReplayClock::Unpaced);
    r.play();
    QCOMPARE(r.pump(3), 3);
    QCOMPARE(r.pump(), 4);
    QCOMPARE(got, (QList<qint64> { 1, 2, 3, 4, 5, 6, 7 }));
    QVERIFY(r.atEnd());
}

// What the transport bar does: replay into the engine, seek back (engine restored from the
// recording's checkpoints, replayer moved), replay on: the end state is the full fold's.
void TestReplayer::seekDuringReplayIntoTheEngine()
{
    const FlowParseResult parsed = FlowFileParser::parseFile(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/order-saga.yaml"));
    QVERIFY(parsed.ok());
    const auto flow = std::make_shared<const Flow>(*parsed.flow);
    const QString path = m_dir.filePath(QStringLiteral("demo.fsrec"));
    QString error;
    {
        auto w = RecordingWriter::create(path, &error);
        QFile f(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/orders.jsonl"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        EventParser parser;
        EventBatch all;
        for (const QByteArray& line : f.readAll().split('\n'))
            if (!line.isEmpty())
                all.append(parser.parseLine(line));
        QVERIFY(w->append(all, &error));
        QVERIFY(w->finish(&error));
    }
    QVERIFY(Seeker::buildCheckpoints(path, flow, 250, &error) > 0);
    auto rec = Recording::open(path, &error);
    QVERIFY(rec);

    Engine engine(flow);
    engine.start();
    qint64 wall = 0;
    Replayer r(*rec, [&](EventBatch&& b) { QVERIFY(engine.push(std::move(b))); }, [&] { return wall; });
    r.setSpeed(100);
    r.play();
    for (int i = 0; i < 200; ++i) { // 20 s of event time at x100
        wall += 1000;
        r.pump();
    }
    QVERIFY(r.position() > 300);
    QVERIFY(!r.atEnd());
    engine.flush();
    QCOMPARE(engine.snapshot()->events, r.position());

    // seek back to event 600 of the stream
    engine.restore(Seeker::stateAt(*rec, flow, 600, &error));
    r.seek(600);
    engine.flush();
    QCOMPARE(engine.snapshot()->lastSeq, 600);
    r.setSpeed(ReplayClock::Unpaced);
    while (!r.atEnd())
        r.pump();
    engine.flush();
    QCOMPARE(engine.snapshot()->events, 1467);
    QCOMPARE(engine.snapshot()->state, Seeker::stateAt(*rec, flow, 1467, &error)->toJson());
}

// A recording that starts with events that carry no time (unparsed lines): they are due at once,
// and the clock starts at the first event that carries one, not at event time 0, where the
// timed events would never come due.
void TestReplayer::clockStartsAtTheFirstEventWithATime()
{
    const QString path = m_dir.filePath(QStringLiteral("timeless-first.fsrec"));
    QString error;
    {
        auto w = RecordingWriter::create(path, &error);
        QVERIFY2(w, qPrintable(error));
        EventBatch batch;
        for (int i = 0; i < 3; ++i) {
            Event e;
            e.format = EventFormat::Opaque;
            e.flags = Unparsed;
            e.payload = "line " + QByteArray::number(i);
            batch.append(e);
        }
        for (double o : { 0.0, 1.0, 2.5 }) {
            Event e;
            e.type = "T";
            e.time = T0 + qint64(o * 1e6);
            batch.append(e);
        }
        QVERIFY2(w->append(batch, &error), qPrintable(error));
        QVERIFY2(w->finish(&error), qPrintable(error));
    }
    const auto rec = Recording::open(path, &error);
    QVERIFY2(rec, qPrintable(error));
    qint64 wall = 0;
    QList<qint64> got;
    Replayer r(*rec, [&](EventBatch&& b) { for (const Event& e : b) got.append(e.seq); }, [&] { return wall; });
    r.play();
    QCOMPARE(r.pump(), 4); // the three without a time, and the first with one: the clock is at it
    QCOMPARE(got, (QList<qint64> { 1, 2, 3, 4 }));
    QCOMPARE(r.waitMicros(), 1'000'000);
    wall += 1'000'000;
    QCOMPARE(r.pump(), 1);
    QCOMPARE(r.waitMicros(), 1'500'000);
    wall += 1'500'000;
    QCOMPARE(r.pump(), 1);
    QVERIFY(r.atEnd());
    QCOMPARE(got, (QList<qint64> { 1, 2, 3, 4, 5, 6 }));
}

// A copy of a recording that keeps only its newest events (a window's session recording) starts
// at seq 5001: the replay starts there, on time, instead of reading seqs 1.. and finding nothing.
void TestReplayer::retainedRecordingStartingAt5001()
{
    const QString path = m_dir.filePath(QStringLiteral("retained.fsrec"));
    QString error;
    {
        auto w = RecordingWriter::create(path, &error);
        QVERIFY2(w, qPrintable(error));
        QVERIFY2(w->setRetention(1000, &error), qPrintable(error));
        for (int b = 0; b < 60; ++b) {
            EventBatch batch;
            for (int i = 1; i <= 100; ++i) {
                Event e;
                e.type = "T";
                e.time = T0 + qint64(b * 100 + i) * 1000; // seq n at n ms
                batch.append(e);
            }
            QVERIFY2(w->append(batch, &error), qPrintable(error));
        }
        QVERIFY2(w->finish(&error), qPrintable(error));
    }
    const auto rec = Recording::open(path, &error);
    QVERIFY2(rec, qPrintable(error));
    QCOMPARE(rec->firstSeq(), 5001);
    QCOMPARE(rec->eventCount(), 6000);
    qint64 wall = 0;
    QList<qint64> got;
    Replayer r(*rec, [&](EventBatch&& b) { for (const Event& e : b) got.append(e.seq); }, [&] { return wall; });
    r.play();
    QCOMPARE(r.pump(), 1); // seq 5001 at once, the next 1 ms later
    QCOMPARE(got, (QList<qint64> { 5001 }));
    QCOMPARE(r.waitMicros(), 1000);
    wall += 499'000;
    QCOMPARE(r.pump(), 499);
    QCOMPARE(r.position(), 5500);
    wall += 500'000;
    QCOMPARE(r.pump(), 500);
    QVERIFY(r.atEnd());
    QCOMPARE(got.size(), 1000);
    QCOMPARE(got.last(), 6000);

    // a seek back to the start of what is kept starts there again
    got.clear();
    r.seek(0);
    QCOMPARE(r.pump(), 1);
    QCOMPARE(got, (QList<qint64> { 5001 }));
}

// A page in the middle of the recording is damaged: the replay hands over every event up to it,
// stops there and says where, instead of skipping the rest of that stretch and going on as if
// nothing were missing. A seek past the damage replays from there.
void TestReplayer::stopsWhereTheRecordingIsDamaged()
{
    constexpr int Events = 10000;
    constexpr qint64 Stretch = 2048; // what the replayer reads at a time
    const QString intact = m_dir.filePath(QStringLiteral("intact.fsrec"));
    const QString path = m_dir.filePath(QStringLiteral("damaged.fsrec"));
    QString error;
    {
        auto w = RecordingWriter::create(intact, &error);
        QVERIFY2(w, qPrintable(error));
        for (int b = 0; b < Events / 500; ++b) {
            EventBatch batch;
            for (int i = 1; i <= 500; ++i) {
                Event e;
                e.type = "T";
                e.id = QByteArray::number(b * 500 + i);
                e.time = T0 + qint64(b * 500 + i) * 1000;
                e.payload = QByteArray(60, 'p');
                batch.append(e);
            }
            QVERIFY2(w->append(batch, &error), qPrintable(error));
        }
        QVERIFY2(w->finish(&error), qPrintable(error));
    }
    // Overwrite one page near the middle, the first there that holds events and nothing the rest
    // depends on: reading stops in it, and reading after the stretch it is in works again.
    qint64 readable = 0, stretchEnd = 0;
    const qint64 pages = QFileInfo(intact).size() / RecordingWriter::PageSize;
    for (qint64 page = pages / 2; page < pages && stretchEnd == 0; ++page) {
        QFile::remove(path);
        QVERIFY(QFile::copy(intact, path));
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadWrite));
            f.seek(page * RecordingWriter::PageSize);
            f.write(QByteArray(RecordingWriter::PageSize, '\xA5'));
        }
        auto rec = Recording::open(path, &error);
        if (!rec)
            continue;
        readable = 0;
        if (rec->readSeqRange(1, Events, [&](Event&&) { ++readable; return true; }, &error))
            continue; // not a page of events
        const qint64 end = (readable / Stretch + 1) * Stretch; // the stretch the damage is in
        qint64 after = 0;
        if (readable > 0 && end < Events
            && rec->readSeqRange(end + 1, Events, [&](Event&&) { ++after; return true; }, &error)
            && after == Events - end)
            stretchEnd = end;
    }
    QVERIFY2(stretchEnd > 0, "no page of events to damage");

    const auto rec = Recording::open(path, &error);
    QVERIFY2(rec, qPrintable(error));
    qint64 wall = 0;
    QList<qint64> got;
    Replayer r(*rec, [&](EventBatch&& b) { for (const Event& e : b) got.append(e.seq); }, [&] { return wall; });
    r.setSpeed(ReplayClock::Unpaced);
    r.play();
    while (r.pump() > 0) { }
    QVERIFY(r.atEnd());
    QCOMPARE(got.size(), readable); // every event before the damage, in order, and none after it
    for (qsizetype i = 0; i < got.size(); ++i)
        QCOMPARE(got.at(i), i + 1);
    QVERIFY2(r.error().startsWith(QStringLiteral("cannot read the recording after event %1: ").arg(readable)),
             qPrintable(r.error()));
    QCOMPARE(r.pump(), 0); // it stays there
    QCOMPARE(r.position(), readable);

    got.clear();
    r.seek(stretchEnd); // past the damage: on from there
    QVERIFY(r.error().isEmpty());
    while (r.pump() > 0) { }
    QVERIFY(r.atEnd());
    QVERIFY(r.error().isEmpty());
    QCOMPARE(got.size(), Events - stretchEnd);
    QCOMPARE(got.first(), stretchEnd + 1);
    QCOMPARE(got.last(), Events);
}

QTEST_GUILESS_MAIN(TestReplayer)
#include "tst_replayer.moc"
