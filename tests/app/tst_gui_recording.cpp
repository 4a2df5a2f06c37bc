// SPDX-License-Identifier: MIT
// A recording in the window, offscreen: a seek changes every pane, the event log's filters equal
// raw SQL counts on the recording, its detail pane, its window of rows and the jumps into it from
// an instance or a view row, and the density strip under the seek slider (issue #6).
#include <engine.h>
#include <eventlogmodel.h>
#include <flowfile.h>
#include <flowfileparser.h>
#include <gui/densitystrip.h>
#include <gui/eventspage.h>
#include <gui/mainwindow.h>
#include <gui/chartspage.h>
#include <gui/sagapage.h>
#include <gui/session.h>
#include <importer.h>
#include <recording.h>
#include <sagainstancemodel.h>
#include <seeker.h>
#include <timeformat.h>

#include <cmath>
#include <functional>

#include <QAbstractItemModelTester>
#include <QAction>
#include <QDockWidget>
#include <QFile>
#include <QFileInfo>
#include <QFontInfo>
#include <QImage>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSlider>
#include <QTableView>
#include <QTemporaryDir>
#include <QTableWidget>
#include <QToolButton>
#include <QTest>

#include "guitestfixture.h"

using namespace FlowScope;
using namespace FlowScope::Gui;

namespace {
// A recording of `n` Tick events, event i (0-based) at timeOf(i) (NoTime: none), in one batch.
void writeTicks(const QString& path, int n, const std::function<qint64(int)>& timeOf)
{
    QString error;
    auto writer = RecordingWriter::create(path, &error);
    QVERIFY2(writer, qPrintable(error));
    EventBatch b;
    for (int i = 0; i < n; ++i) {
        Event e;
        e.type = "Tick";
        e.time = timeOf(i);
        b.append(e);
    }
    QVERIFY2(writer->append(b, &error), qPrintable(error));
    QVERIFY2(writer->finish(&error), qPrintable(error));
}
} // namespace

class TestGuiRecording : public Tests::GuiTestFixture {
    Q_OBJECT
public:
    TestGuiRecording()
        : GuiTestFixture(QStringLiteral("tst_gui_recording"))
    {
    }

private Q_SLOTS:
    void eventLogKeepsAWindowOfRows();
    void seekInARecordingChangesEveryPane();
    void panesShowNothingPastThePosition();
    void aNewSessionStartsPlaying();
    void eventLogFilterEqualsSqlCount_data();
    void eventLogFilterEqualsSqlCount();
    void detailPaneShowsTheEvent();
    void jumpFromAnInstanceFiltersTheLog();
    void jumpFromAViewRowFiltersTheLog();
    void densityStripCountsTheRecording();
    void densitySpreadsBatchesOverTheirTime();
    void chartsCountFromTheFirstEvent();
    void keysStepAndSeekEveryPress();
    void replaySaysWhatItWaitsFor();
    void damagedRecordingSaysWhereTheReplayStopped();
};

// A recording in the window: it replays to the end; a seek back puts every pane at that event
// (the engine restored from the recording, the same state inspect --at gives).
void TestGuiRecording::seekInARecordingChangesEveryPane()
{
    QTemporaryDir dir;
    const QString rec = dir.filePath(QStringLiteral("demo.fsrec"));
    {
        QString error;
        auto writer = RecordingWriter::create(rec, &error);
        QVERIFY(writer);
        Connectors::ImportReport report;
        QVERIFY(Connectors::Importer::importFile(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/orders.jsonl"),
                                                 *writer, &report, &error));
        QVERIFY(writer->finish(&error));
    }
    const FlowParseResult r = FlowFileParser::parseFile(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/order-saga.yaml"));
    QVERIFY(r.ok());
    const auto flow = std::make_shared<const Flow>(*r.flow);
    MainWindow w;
    w.show();
    QVERIFY(w.openRecording(rec, flow));
    // the charts count seconds from the first event, not from their first update
    QCOMPARE(w.session()->streamStart(), *TimeFormat::parseRfc3339("2026-09-21T14:13:20.041905Z"));
    w.setSpeed(1000);
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->events, 1467, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(w.sagaPage()->summary().contains(u"300 instances"), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(w.eventModel()->rowCount(), 1467, 5000); // the log follows the position

    w.session()->setPaused(true);
    w.session()->seek(500);
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->lastSeq, 500, 10000);
    QCOMPARE(w.session()->snapshot()->events, 500);
    QString error;
    auto recording = Recording::open(rec, &error);
    QVERIFY(recording);
    QCOMPARE(w.session()->snapshot()->state.value(u"sagas"),
             Seeker::stateAt(*recording, flow, 500, &error)->toJson(500).value(u"sagas"));
    QTRY_VERIFY_WITH_TIMEOUT(!w.sagaPage()->summary().contains(u"300 instances"), 5000); // the panes moved back
    // step hands over exactly one event
    w.session()->step();
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->lastSeq, 501, 5000);
}

// After a seek back, no pane shows what comes after the position: the timeline of an instance
// that has not begun is empty, one that has shows only its events so far, the charts drop their
// later points; and a finished replay's rate reads 0, not the last one measured.
void TestGuiRecording::panesShowNothingPastThePosition()
{
    const QString rec = demoRecording();
    const FlowParseResult r = FlowFileParser::parseFile(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/order-saga.yaml"));
    QVERIFY(r.ok());
    MainWindow w;
    w.show();
    QVERIFY(w.openRecording(rec, std::make_shared<const Flow>(*r.flow)));
    w.setSpeed(1); // ~24 events a second
    QTRY_VERIFY_WITH_TIMEOUT(w.session()->snapshot()->events >= 20, 10000);
    w.session()->setPaused(true); // the status said "N events/s" without "paused" for as long as it was
    QTRY_VERIFY_WITH_TIMEOUT(w.statusText().contains(u" 0 events/s · x1 · paused"), 5000);
    w.session()->setPaused(false);
    w.setSpeed(1000);
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->events, 1467, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(w.statusText().contains(u" 0 events/s"), 5000); // finished: nothing arrives
    const QList<qint64> seqs = sqlSeqs(rec, "correlation_id = ?1", "o0042");
    QVERIFY(seqs.size() >= 3);
    QTRY_VERIFY_WITH_TIMEOUT(w.sagaPage()->selectInstance(QStringLiteral("o0042")), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(w.sagaPage()->timelineSeqs(), seqs, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(!w.chartsPage()->seriesKeys().isEmpty(), 5000);

    w.session()->setPaused(true);
    w.seekTo(0);
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->lastSeq, 0, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(w.sagaPage()->timeline()->rowCount(), 0, 5000); // it kept o0042's five events
    QTRY_COMPARE_WITH_TIMEOUT(w.eventModel()->rowCount(), 0, 5000); // it listed all 1467 events at every position

    const qint64 at = seqs.at(1); // after its second event
    w.seekTo(at);
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->lastSeq, at, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(w.sagaPage()->timelineSeqs(), seqs.mid(0, 2), 5000);
    // the log ends at the position too, filtered or not
    QTRY_COMPARE_WITH_TIMEOUT(w.eventModel()->rowCount(), int(at), 5000);
    QCOMPARE(w.eventModel()->seqAt(int(at) - 1), at);
    EventFilter o42;
    o42.correlation = QStringLiteral("o0042");
    w.eventModel()->setFilter(o42);
    QTRY_VERIFY_WITH_TIMEOUT(w.eventModel()->scanComplete(), 5000);
    QCOMPARE(w.eventModel()->rowCount(), 2);
    QCOMPARE(w.eventModel()->seqAt(1), at);
    w.eventModel()->setFilter({});
    const double t = double(w.session()->snapshot()->clock - w.session()->streamStart()) / 1e6;
    QTest::qWait(1100); // two chart updates
    // The lines start afresh at the position: nothing after it, and nothing before it either
    // (joined across the seek, a line drew what never happened in between).
    int throughputLines = 0;
    // this recording's events carry no channel: a channel's rate is what services emit into it
    // (the topology's emits edges, each over its last second)
    const auto lastSecond = [](const QJsonObject& state, const QString& channel) {
        double sum = 0;
        for (const QJsonValue& v : state.value(u"topology").toObject().value(u"edges").toArray())
            if (v.toObject().value(u"kind").toString() == u"emits" && v.toObject().value(u"to").toString() == channel)
                sum += v.toObject().value(u"rate_1s").toDouble();
        return sum;
    };
    const QJsonObject state = w.session()->snapshot()->state;
    QVERIFY(state.value(u"metrics").toObject().value(u"channels").toObject().isEmpty());
    for (const QString& key : w.chartsPage()->seriesKeys())
        for (const QPointF& p : w.chartsPage()->points(key)) {
            QVERIFY2(std::abs(p.x() - t) < 1e-6, qPrintable(QStringLiteral("%1 at %2 s, position at %3 s").arg(key).arg(p.x()).arg(t)));
            if (key.startsWith(u"tp:")) { // throughput is the projections' last second, not a difference of redraws
                ++throughputLines;
                QCOMPARE(p.y(), lastSecond(state, key.mid(3)));
            }
        }
    QVERIFY(throughputLines > 0);
    // a Step moves the throughput by the rate, not by one event over the microseconds it took
    w.session()->step();
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->lastSeq, at + 1, 5000);
    QTest::qWait(1100);
    const QJsonObject stepped = w.session()->snapshot()->state;
    for (const QString& key : w.chartsPage()->seriesKeys())
        if (key.startsWith(u"tp:") && !w.chartsPage()->points(key).isEmpty())
            QCOMPARE(w.chartsPage()->points(key).last().y(), lastSecond(stepped, key.mid(3)));
}

// Pause, then open another file: the new session runs, and the button says so (it said Play
// while the replay ran, and the first Space did nothing). Space pauses and resumes every time (it
// was the button's own shortcut, which its first change of text took away).
void TestGuiRecording::aNewSessionStartsPlaying()
{
    const QString rec = demoRecording();
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QAction* pause = w.findChild<QAction*>(QStringLiteral("pause"));
    QVERIFY(pause);
    QVERIFY(!pause->isVisible()); // no session: nothing to pause
    QVERIFY(w.openRecording(rec, std::make_shared<const Flow>()));
    QVERIFY(pause->isVisible());
    QCOMPARE(pause->shortcut(), QKeySequence(Qt::Key_Space));
    for (const bool paused : { true, false, true, false, true }) {
        QTest::keyClick(&w, Qt::Key_Space);
        QCOMPARE(w.session()->isPaused(), paused);
        QCOMPARE(pause->text(), paused ? QStringLiteral("Play") : QStringLiteral("Pause"));
    }
    QVERIFY(w.openRecording(rec, std::make_shared<const Flow>()));
    QVERIFY(!w.session()->isPaused());
    QVERIFY(!pause->isChecked());
    QCOMPARE(pause->text(), QStringLiteral("Pause"));
}

void TestGuiRecording::eventLogFilterEqualsSqlCount_data()
{
    QTest::addColumn<EventFilter>("filter");
    QTest::addColumn<QByteArray>("where");
    QTest::addColumn<QList<QByteArray>>("values");
    EventFilter f;
    f.type = QStringLiteral("PaymentAuthorized");
    QTest::newRow("type") << f << QByteArray("type = ?1") << QList<QByteArray> { "PaymentAuthorized" };
    f = {};
    f.source = QStringLiteral("inventory");
    QTest::newRow("source") << f << QByteArray("source = ?1") << QList<QByteArray> { "inventory" };
    f = {};
    f.correlation = QStringLiteral("o0042");
    QTest::newRow("correlation") << f << QByteArray("correlation_id = ?1") << QList<QByteArray> { "o0042" };
    f = {};
    f.text = QStringLiteral("refund"); // any case, attributes or data
    QTest::newRow("text")
        << f
        << QByteArray("type LIKE ?1 OR source LIKE ?1 OR id LIKE ?1 OR subject LIKE ?1 OR correlation_id LIKE ?1 OR "
                      "causation_id LIKE ?1 OR channel LIKE ?1 OR error LIKE ?1 OR CAST(payload AS TEXT) LIKE ?1")
        << QList<QByteArray> { "%refund%" };
    f = {};
    f.type = QStringLiteral("OrderCreated");
    f.text = QStringLiteral("c8\"");
    QTest::newRow("type and text")
        << f << QByteArray("type = ?1 AND CAST(payload AS TEXT) LIKE ?2") << QList<QByteArray> { "OrderCreated", "%c8\"%" };
    f = {};
    f.type = QStringLiteral("NoSuchType");
    QTest::newRow("nothing") << f << QByteArray("type = ?1") << QList<QByteArray> { "NoSuchType" };
}

// The event log's filter is a WHERE on the recording: its rows, once the scan has reached the
// end, are exactly SELECT count(*) ... WHERE, in seq order, and each row passes the filter.
void TestGuiRecording::eventLogFilterEqualsSqlCount()
{
    QFETCH(EventFilter, filter);
    QFETCH(QByteArray, where);
    QFETCH(QList<QByteArray>, values);
    const QString rec = demoRecording();
    QVERIFY(!rec.isEmpty());
    const qint64 expected = sqlCount(rec, where.constData(), values);
    QVERIFY(expected >= 0);
    EventLogModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QString error;
    QVERIFY(model.open(rec, &error));
    QCOMPARE(model.rowCount(), 1467);
    model.setFilter(filter);
    while (model.canFetchMore({}))
        model.fetchMore({});
    QVERIFY(model.scanComplete());
    QCOMPARE(qint64(model.rowCount()), expected);
    auto recording = Recording::open(rec, &error);
    QCOMPARE(recording->countMatching(filter, &error), expected);
    qint64 last = 0;
    for (int r = 0; r < model.rowCount(); ++r) {
        const qint64 seq = model.data(model.index(r, EventLogModel::Seq)).toLongLong();
        QVERIFY(seq > last); // in seq order, each once
        last = seq;
        if (!filter.type.isEmpty())
            QCOMPARE(model.data(model.index(r, EventLogModel::Type)).toString(), filter.type);
        if (!filter.correlation.isEmpty())
            QCOMPARE(model.data(model.index(r, EventLogModel::Correlation)).toString(), filter.correlation);
    }
    // and back to everything
    model.setFilter({});
    QCOMPARE(model.rowCount(), 1467);
}

void TestGuiRecording::detailPaneShowsTheEvent()
{
    MainWindow w;
    w.show();
    QVERIFY(w.openRecording(demoRecording(), m_orderFlow));
    w.setSpeed(1000);
    EventsPage* events = w.eventsPage();
    QTRY_COMPARE_WITH_TIMEOUT(events->model()->rowCount(), 1467, 20000); // the log follows the position
    events->table()->setCurrentIndex(events->model()->index(0, 0));
    const QString text = events->detail()->toPlainText();
    QVERIFY2(text.contains(u"OrderCreated") && text.contains(u"e000001") && text.contains(u"o0000"), qPrintable(text));
    // the data, pretty-printed: one member per line, indented
    QVERIFY2(text.contains(u"\n    \"customerId\": \"c8\""), qPrintable(text));
    QVERIFY(events->detail()->font().fixedPitch() || QFontInfo(events->detail()->font()).fixedPitch());
}

// "Show events" on an instance: the event log filters on its correlation id and comes up.
void TestGuiRecording::jumpFromAnInstanceFiltersTheLog()
{
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    QVERIFY(w.openRecording(demoRecording(), m_orderFlow));
    w.setSpeed(1000);
    SagaInstanceModel* model = w.sagaPage()->instanceModel();
    QTRY_COMPARE_WITH_TIMEOUT(model->totalCount(), 300, 20000);
    const QString id = QStringLiteral("o0042");
    QVERIFY(w.sagaPage()->selectInstance(id));
    QAction* show = w.sagaPage()->instanceTable()->actions().value(0);
    QVERIFY(show);
    QCOMPARE(show->text(), u"Show events");
    show->trigger();
    EventsPage* events = w.eventsPage();
    QCOMPARE(events->filter().correlation, id);
    QCOMPARE(events->model()->filter().correlation, id);
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->lastSeq, 1467, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(events->model()->totalEvents(), 1467, 5000); // the log follows the position
    while (events->model()->canFetchMore({}))
        events->model()->fetchMore({});
    QCOMPARE(qint64(events->model()->rowCount()), sqlCount(demoRecording(), "correlation_id = ?1", { id.toUtf8() }));
    for (int r = 0; r < events->model()->rowCount(); ++r)
        QCOMPARE(events->model()->data(events->model()->index(r, EventLogModel::Correlation)).toString(), id);
    auto* dock = qobject_cast<QDockWidget*>(events->parentWidget());
    QVERIFY(dock && !dock->visibleRegion().isEmpty()); // raised above the other tabs
    QVERIFY(events->detail()->toPlainText().contains(id)); // its first event is shown
    // a double-click does the same
    QVERIFY(w.sagaPage()->selectInstance(QStringLiteral("o0007")));
    const QModelIndex row = w.sagaPage()->instanceTable()->selectionModel()->selectedRows().value(0);
    Q_EMIT w.sagaPage()->instanceTable()->doubleClicked(row);
    QCOMPARE(events->filter().correlation, u"o0007");
}

void TestGuiRecording::jumpFromAViewRowFiltersTheLog()
{
    MainWindow w;
    w.show();
    QVERIFY(w.openRecording(demoRecording(), m_orderFlow));
    w.setSpeed(1000);
    QTRY_VERIFY_WITH_TIMEOUT(w.viewTable()->model()->rowCount() > 10, 20000);
    const QModelIndex key = w.viewTable()->model()->index(3, 0);
    const QString id = key.data().toString();
    QVERIFY(!id.isEmpty());
    w.viewTable()->setCurrentIndex(key.siblingAtColumn(2));
    QAction* show = w.viewTable()->actions().value(0);
    QVERIFY(show);
    show->trigger();
    QCOMPARE(w.eventsPage()->model()->filter().correlation, id);
    QTRY_VERIFY_WITH_TIMEOUT(w.eventsPage()->model()->rowCount() > 0, 5000); // up to the position, twice a second
}

// Issue #6: the strip under the seek slider counts every event of the recording once, from the
// recording's batches, and is laid out under the slider; the marker follows the replay.
void TestGuiRecording::densityStripCountsTheRecording()
{
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    QVERIFY(w.openRecording(demoRecording(), m_orderFlow));
    DensityStrip* strip = w.densityStrip();
    QVERIFY(strip);
    QString error;
    auto recording = Recording::open(demoRecording(), &error);
    QVERIFY2(recording, qPrintable(error));
    QCOMPARE(recording->eventCount(), 1467);
    const EventDensity& density = strip->density();
    QVERIFY(density.byTime);
    QCOMPARE(density.counts.size(), 200);
    QCOMPARE(density.total(), recording->eventCount());
    QVERIFY(density.from < density.to);
    QTRY_VERIFY(strip->isVisible());
    QVERIFY2(strip->width() >= 300 && strip->height() >= 10,
             qPrintable(QStringLiteral("%1x%2").arg(strip->width()).arg(strip->height())));
    // under the slider, as wide as it
    auto* seek = w.findChild<QSlider*>(QStringLiteral("seek"));
    QVERIFY(seek && seek->isVisible());
    QCOMPARE(strip->width(), seek->width());
    QVERIFY(strip->mapTo(&w, QPoint(0, 0)).y() >= seek->mapTo(&w, QPoint(0, seek->height())).y());
    // drawn: bars over the strip's background (an import writes 8192 events per batch, so this
    // recording is one batch: evenly spread, every bar full height)
    const QImage shot = strip->grab().toImage();
    int bar = 0;
    for (int x = 2; x < shot.width() - 2; x += 3)
        bar += QColor(shot.pixel(x, shot.height() - 3)) != strip->palette().color(QPalette::Base) ? 1 : 0;
    QVERIFY2(bar > shot.width() / 6, qPrintable(QString::number(bar)));
    // the marker reaches the last stretch when the replay ends, and a seek to the start of a
    // stretch (what a click does) counts the events before it
    w.setSpeed(1000);
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->events, 1467, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(strip->markerBucket(), density.bucketOf(density.to), 5000);
    QCOMPARE(strip->seqBefore(0), 0);
    QCOMPARE(strip->seqBefore(int(density.counts.size())), 1467);
}

// Batches with known times: each lands in the buckets its time span covers, a batch without times
// with the batch before it; the counts are exact where a batch fits in one bucket.
void TestGuiRecording::densitySpreadsBatchesOverTheirTime()
{
    const QString rec = m_dir.filePath(QStringLiteral("density.fsrec"));
    QString error;
    {
        auto writer = RecordingWriter::create(rec, &error);
        QVERIFY2(writer, qPrintable(error));
        const qint64 t0 = *TimeFormat::parseRfc3339("2026-11-27T10:00:00Z");
        auto batch = [&](int n, qint64 from, qint64 step, qint64 last = NoTime) {
            EventBatch b;
            for (int i = 0; i < n; ++i) {
                Event e;
                e.type = "Tick";
                e.time = from == NoTime ? NoTime : (i == n - 1 && last != NoTime ? last : from + i * step);
                b.append(e);
            }
            QVERIFY2(writer->append(b, &error), qPrintable(error));
        };
        const qint64 s = 1000000;
        batch(10, t0, s);                       // 10 in the first 10 s: bucket 0
        batch(5, NoTime, 0);                    // no times: where the stream was (bucket 0)
        batch(30, t0 + 55 * s, 0);              // a burst at 55 s: bucket 5
        batch(20, t0 + 80 * s, s, t0 + 100 * s - 1); // 80 s to the end: half in bucket 8, half in 9
        batch(1, t0 + 100 * s - 1, 0);          // the last microsecond: bucket 9
        QVERIFY2(writer->finish(&error), qPrintable(error));
    }
    auto recording = Recording::open(rec, &error);
    QVERIFY2(recording, qPrintable(error));
    EventDensity d;
    QVERIFY2(recording->density(10, &d, &error), qPrintable(error));
    QVERIFY(d.byTime);
    QCOMPARE(d.total(), recording->eventCount());
    QCOMPARE(d.counts, (QList<qint64> { 15, 0, 0, 0, 0, 30, 0, 0, 10, 11 }));
}

// The charts' seconds count from the first event's time, not from the earliest in the recording:
// one event stamped an hour early (a bad clock) put every point an hour to the right.
void TestGuiRecording::chartsCountFromTheFirstEvent()
{
    const QString rec = m_dir.filePath(QStringLiteral("early.fsrec"));
    const qint64 t0 = *TimeFormat::parseRfc3339("2026-11-27T10:00:00Z");
    writeTicks(rec, 10, [t0](int i) { return i == 0 ? NoTime : i == 5 ? t0 - 3600 * qint64(1000000) : t0 + i * qint64(1000000); });
    MainWindow w;
    QVERIFY(w.openRecording(rec, std::make_shared<const Flow>()));
    QCOMPARE(w.session()->streamStart(), t0 + 1000000); // the first event with a time: the second
    // opened without a flow file: the Views pane says so (it spoke of "this flow file"), and the
    // simulator's Services and Faults panes are not offered (Services was an empty table)
    auto* noViews = w.findChild<QLabel*>(QStringLiteral("noViews"));
    QVERIFY(noViews);
    QVERIFY2(noViews->text().startsWith(u"No flow file is open"), qPrintable(noViews->text()));
    for (const char* name : { "services", "faults" }) {
        auto* d = w.findChild<QDockWidget*>(QLatin1String(name));
        QVERIFY2(d && !d->toggleViewAction()->isVisible(), name);
    }
}

// Every press counts: ten '.' presses in a row step ten events (the tool button's own shortcut
// ignored those during its click animation: 5 of 10), twenty Right presses on the slider move it
// twenty (a snapshot from before a seek set the slider back: 12 of 20), and Page Up moves a
// fiftieth of the recording (Qt's default was 10 events).
void TestGuiRecording::keysStepAndSeekEveryPress()
{
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QVERIFY(w.openRecording(demoRecording(), m_orderFlow));
    w.session()->setPaused(true);
    w.seekTo(0);
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->lastSeq, 0, 10000);
    for (int i = 0; i < 10; ++i)
        QTest::keyClick(&w, Qt::Key_Period);
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->lastSeq, 10, 5000);

    auto* seek = w.findChild<QSlider*>(QStringLiteral("seek"));
    QVERIFY(seek);
    QTRY_COMPARE_WITH_TIMEOUT(seek->value(), 10, 5000);
    seek->setFocus();
    for (int i = 0; i < 20; ++i) {
        QTest::keyClick(seek, Qt::Key_Right);
        QTest::qWait(15); // about the window's tick: snapshots from before a seek come in between
    }
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->lastSeq, 30, 10000);
    QCOMPARE(seek->value(), 30);
    QCOMPARE(seek->pageStep(), 1467 / 50);
    QTest::keyClick(seek, Qt::Key_PageUp); // forward (Page Down goes back)
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->lastSeq, 30 + 1467 / 50, 10000);
}

// One event stamped decades ahead (a bad clock) made a paced replay stand still with nothing on
// screen saying why; the status now says how long until it is due, and Step gets past it.
void TestGuiRecording::replaySaysWhatItWaitsFor()
{
    const QString rec = m_dir.filePath(QStringLiteral("future.fsrec"));
    const qint64 t0 = *TimeFormat::parseRfc3339("2026-11-27T10:00:00Z");
    const qint64 far = *TimeFormat::parseRfc3339("2099-01-01T00:00:00Z");
    writeTicks(rec, 10, [=](int i) { return i == 5 ? far : t0 + (i + 1) * qint64(1000); }); // seq 6 is far ahead
    MainWindow w;
    w.show();
    QVERIFY(w.openRecording(rec, std::make_shared<const Flow>()));
    w.setSpeed(1000);
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->lastSeq, 5, 10000);
    // 72 years at x1000: 26 days
    QTRY_VERIFY_WITH_TIMEOUT(w.statusText().contains(u" · next event in 26 days (. steps to it)"), 5000);
    QTest::keyClick(&w, Qt::Key_Period);
    // the rest are older than the clock now: due at once
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->lastSeq, 10, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(!w.statusText().contains(u"next event in"), 5000);
}

// Item views keep ~8 bytes per row: unfiltered, the event log shows the latest maxRows() events,
// and the window slides as a live recording grows; rows map to seqs through base().
void TestGuiRecording::eventLogKeepsAWindowOfRows()
{
    const QString path = m_dir.filePath(QStringLiteral("window.fsrec"));
    QString error;
    auto writer = RecordingWriter::create(path, &error);
    QVERIFY2(writer, qPrintable(error));
    auto batch = [](int from, int n) {
        EventBatch b;
        for (int i = from; i < from + n; ++i) {
            Event e;
            e.id = "w" + QByteArray::number(i);
            e.type = "Tick";
            e.source = "clock";
            b.append(e);
        }
        return b;
    };
    EventBatch first = batch(1, 1000);
    QVERIFY2(writer->append(first, &error), qPrintable(error));

    EventLogModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setMaxRows(300);
    QVERIFY2(model.open(path, &error), qPrintable(error));
    QCOMPARE(model.rowCount(), 300);
    QCOMPARE(model.base(), 700);
    QCOMPARE(model.seqAt(0), 701);
    QCOMPARE(model.data(model.index(0, EventLogModel::Id)).toString(), u"w701");
    QCOMPARE(model.data(model.index(299, EventLogModel::Seq)).toLongLong(), 1000);

    EventBatch more = batch(1001, 20); // 320 > 300: the window slides by 20 and a tenth of itself
    QVERIFY2(writer->append(more, &error), qPrintable(error));
    model.refresh();
    QCOMPARE(model.rowCount(), 270);
    QCOMPARE(model.seqAt(0), 751);
    QCOMPARE(model.data(model.index(0, EventLogModel::Id)).toString(), u"w751");
    QCOMPARE(model.data(model.index(269, EventLogModel::Id)).toString(), u"w1020");
    EventBatch few = batch(1021, 30); // room for these: no slide
    QVERIFY2(writer->append(few, &error), qPrintable(error));
    model.refresh();
    QCOMPARE(model.rowCount(), 300);
    QCOMPARE(model.seqAt(0), 751);

    EventBatch flood = batch(1051, 1050); // more than a window at once
    QVERIFY2(writer->append(flood, &error), qPrintable(error));
    model.refresh();
    QCOMPARE(model.rowCount(), 270);
    QCOMPARE(model.base(), 1830);
    QCOMPARE(model.data(model.index(0, EventLogModel::Id)).toString(), u"w1831");
    QCOMPARE(model.data(model.index(269, EventLogModel::Id)).toString(), u"w2100");

    EventFilter f; // a filter still reaches every event
    f.text = QStringLiteral("w12");
    model.setFilter(f);
    while (model.canFetchMore({}))
        model.fetchMore({});
    QTRY_VERIFY(model.scanComplete());
    QCOMPARE(model.rowCount(), 111); // w12, w120..w129, w1200..w1299
    model.setFilter({});
    QCOMPARE(model.rowCount(), 270);
    QCOMPARE(model.seqAt(0), 1831);
}

// A recording with a damaged page in the middle: the replay stops after the last event it could
// read, and the window's banner says so (it used to skip on silently).
void TestGuiRecording::damagedRecordingSaysWhereTheReplayStopped()
{
    QTemporaryDir dir;
    const QString intact = dir.filePath(QStringLiteral("intact.fsrec"));
    const QString rec = dir.filePath(QStringLiteral("damaged.fsrec"));
    QString error;
    {
        auto w = RecordingWriter::create(intact, &error);
        QVERIFY2(w, qPrintable(error));
        for (int b = 0; b < 20; ++b) {
            EventBatch batch;
            for (int i = 1; i <= 500; ++i) {
                Event e;
                e.type = "T";
                e.source = "s";
                e.time = 1'790'000'000'000'000 + qint64(b * 500 + i) * 1000;
                e.payload = QByteArray(60, 'p');
                batch.append(e);
            }
            QVERIFY2(w->append(batch, &error), qPrintable(error));
        }
        QVERIFY2(w->finish(&error), qPrintable(error));
    }
    // the first page from the middle on whose damage a read of the events runs into
    qint64 readable = -1;
    const qint64 pages = QFileInfo(intact).size() / RecordingWriter::PageSize;
    for (qint64 page = pages / 2; page < pages && readable < 0; ++page) {
        QFile::remove(rec);
        QVERIFY(QFile::copy(intact, rec));
        {
            QFile f(rec);
            QVERIFY(f.open(QIODevice::ReadWrite));
            f.seek(page * RecordingWriter::PageSize);
            f.write(QByteArray(RecordingWriter::PageSize, '\xA5'));
        }
        auto r = Recording::open(rec, &error);
        qint64 n = 0;
        if (r && !r->readSeqRange(1, 10000, [&](Event&&) { ++n; return true; }, &error) && n > 0)
            readable = n;
    }
    QVERIFY2(readable > 0, "no page of events to damage");

    MainWindow w;
    w.show();
    QVERIFY(w.openRecording(rec, m_orderFlow));
    w.setSpeed(1000);
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->events, readable, 20000);
    const QString where = QStringLiteral("cannot read the recording after event %1: ").arg(readable);
    QTRY_VERIFY2_WITH_TIMEOUT(w.errorText().contains(where), qPrintable(w.errorText()), 5000);
    QVERIFY(w.session()->error().startsWith(where));
    QCOMPARE(w.session()->position(), readable);
    QCOMPARE(w.session()->snapshot()->events, readable); // nothing skipped to after the damage
}

QTEST_MAIN(TestGuiRecording)
#include "tst_gui_recording.moc"
