// SPDX-License-Identifier: MIT
// The window on the built-in demo, offscreen: the topology shows the demo's services and
// channels, saga counts move, a fault turns its node red, the models behave; the saga instance
// table and timeline, the event log's filters, detail pane and jumps, export, theme, recent
// files and errors in the window (issue #6).
#include <engine.h>
#include <eventlogmodel.h>
#include <flowfile.h>
#include <flowfileparser.h>
#include <gui/chartspage.h>
#include <gui/densitystrip.h>
#include <gui/kafkapage.h>
#include <gui/livesession.h>
#include <gui/graphlayout.h>
#include <gui/graphview.h>
#include <gui/eventspage.h>
#include <gui/mainwindow.h>
#include <gui/sagapage.h>
#include <gui/theme.h>
#include <gui/simsession.h>
#include <gui/topologypage.h>
#include <jsontablemodel.h>
#include <recording.h>
#include <sagainstancemodel.h>
#include <seeker.h>
#include <importer.h>
#include <kafkamock.h>
#include <timeformat.h>

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QFileInfo>
#include <QFontInfo>
#include <QImage>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QLoggingCategory>
#include <QMenu>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QStandardPaths>
#include <QStatusBar>
#include <QSvgRenderer>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include "testsettings.h"

#include <sqlite3.h>

using namespace FlowScope;
using namespace FlowScope::Gui;

class TestGui : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void eventLogKeepsAWindowOfRows();
    void demoRunsInTheWindow();
    void faultTurnsItsNodeRed();
    void selectedNodeListsItsLatestEvents();
    void sessionRecordingIsSavedAsACopy();
    void modelsPassTheTester();
    void screenshotOfAPane();
    void seekInARecordingChangesEveryPane();
    void instanceTableCountsEqualTheTracker();
    void instanceRowsFollowTheirInstances();
    void timelineListsTheInstancesEvents();
    void eventLogFilterEqualsSqlCount_data();
    void eventLogFilterEqualsSqlCount();
    void detailPaneShowsTheEvent();
    void jumpFromAnInstanceFiltersTheLog();
    void jumpFromAViewRowFiltersTheLog();
    void exportWritesPngSvgAndDot();
    void darkThemeChangesThePalette();
    void recentFilesUpdate();
    void corruptFilesShowTheirErrorInTheWindow();
    void windowStateIsRestored();
    void densityStripCountsTheRecording();
    void densitySpreadsBatchesOverTheirTime();
    void kafkaDialogStartsALiveSession();
    void badKafkaSettingsShowInTheBanner();

private:
    QString demoRecording(); // orders.jsonl imported once
    // A raw count on the recording, independent of the code under test.
    static qint64 sqlCount(const QString& path, const char* where, const QList<QByteArray>& values);
    static QList<qint64> sqlSeqs(const QString& path, const char* where, const QByteArray& value);

    std::shared_ptr<const Flow> m_flow;
    std::shared_ptr<const Flow> m_orderFlow;
    QTemporaryDir m_dir; // the settings and the recordings of this run
    QString m_recording;
};

namespace {
// After a pause, the events already on their way still land: true once the recording holds what
// the engine folded and did not grow since the previous call (QTRY_* calls it every 50 ms).
bool settled(MainWindow& w, const Recording& recording)
{
    static qint64 last = -1;
    const qint64 n = recording.eventCount();
    const bool same = n == last && n == w.session()->snapshot()->events;
    last = n;
    return same;
}
} // namespace

void TestGui::initTestCase()
{
    QVERIFY(Tests::isolateSettings(m_dir, QStringLiteral("tst_gui")));
    QLoggingCategory::setFilterRules(QStringLiteral("qt.modeltest.debug=false")); // every insert, otherwise
    const FlowParseResult o = FlowFileParser::parseFile(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/order-saga.yaml"));
    QVERIFY(o.ok());
    m_orderFlow = std::make_shared<const Flow>(*o.flow);
    const FlowParseResult r = FlowFileParser::parseFile(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/shop.yaml"));
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    m_flow = std::make_shared<const Flow>(*r.flow);
}

void TestGui::demoRunsInTheWindow()
{
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    QVERIFY(w.startSimulation(m_flow));
    w.session()->setSpeed(20);
    // the shop has 4 services and 4 channels
    QTRY_COMPARE_WITH_TIMEOUT(w.topologyPage()->nodeCount(), 8, 10000);
    const QStringList nodes = w.topologyPage()->view()->nodeNames();
    for (const char* n : { "s:orders", "s:payment", "s:inventory", "s:shipping", "c:orders", "c:payments", "c:stock",
                           "c:shipping" })
        QVERIFY2(nodes.contains(QLatin1String(n)), n);
    // saga counts move
    auto instances = [&w] {
        const QString s = w.sagaPage()->summary();
        return s.section(u':', 1).section(u' ', 1, 1).toLongLong();
    };
    QTRY_VERIFY_WITH_TIMEOUT(instances() > 0, 10000);
    const qint64 first = instances();
    QTRY_VERIFY_WITH_TIMEOUT(instances() > first + 100, 10000);
    QVERIFY(w.sagaPage()->view()->nodeStyle(QStringLiteral("shipped")).detail.toLongLong() > 0);
    // the charts: 4 channels, 5 outcomes, p50/p99, 4 services; a window of stream time, not all of it
    QTRY_VERIFY_WITH_TIMEOUT(w.chartsPage()->seriesCount() >= 15, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(w.chartsPage()->pointCount(QStringLiteral("q:payment")) >= 3, 10000);
    // pausing stops the simulated clock
    w.session()->setPaused(true);
    QTest::qWait(100);
    const double at = w.simSession()->simSeconds();
    QTest::qWait(300);
    QCOMPARE(w.simSession()->simSeconds(), at);
}

void TestGui::faultTurnsItsNodeRed()
{
    MainWindow w;
    w.show();
    QVERIFY(w.startSimulation(m_flow));
    w.session()->setSpeed(10);
    QTRY_COMPARE_WITH_TIMEOUT(w.topologyPage()->nodeCount(), 8, 10000);
    const QColor normal = w.topologyPage()->view()->nodeStyle(QStringLiteral("s:payment")).fill;
    Fault f;
    f.target = FaultTarget::Service;
    f.name = QStringLiteral("payment");
    f.kind = FaultKind::Down;
    f.length = Duration::fromSeconds(30);
    w.simSession()->injectFault(f);
    QTRY_VERIFY_WITH_TIMEOUT(w.topologyPage()->view()->nodeStyle(QStringLiteral("s:payment")).detail.startsWith(u"FAULT"),
                             10000);
    const QColor red = w.topologyPage()->view()->nodeStyle(QStringLiteral("s:payment")).fill;
    QVERIFY(red != normal);
    QVERIFY(red.red() > red.green() + 30);
    // and its queue grows while it is down
    QTRY_VERIFY_WITH_TIMEOUT(w.simSession()->services()[1].queue + w.simSession()->services()[1].held > 50, 10000);
}

// File > Save session recording: a copy of the simulated session's temporary recording holds
// exactly the events the session folded, byte for byte the same rows, and replays on its own.
void TestGui::sessionRecordingIsSavedAsACopy()
{
    MainWindow w;
    w.show();
    QAction* save = w.findChild<QAction*>(QStringLiteral("saveRecording"));
    QVERIFY(save);
    QVERIFY(!save->isEnabled()); // nothing to save yet
    QVERIFY(w.startSimulation(m_flow));
    QVERIFY(save->isEnabled());
    QCOMPARE(save->shortcut(), QKeySequence(QKeySequence::Save));
    w.session()->setSpeed(20);
    QTRY_VERIFY_WITH_TIMEOUT(w.session()->snapshot()->events > 2000, 20000);
    w.session()->setPaused(true);
    QString error;
    const auto source = Recording::open(w.session()->recordingPath(), &error);
    QVERIFY2(source, qPrintable(error));
    // paused: the recording catches up with what the engine folded, then stays
    QTRY_VERIFY_WITH_TIMEOUT(settled(w, *source), 10000);
    const qint64 events = source->eventCount();

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("kept.fsrec"));
    QFile(path).open(QIODevice::WriteOnly); // a file there is replaced (the dialog asked first)
    {
        QFile staleWal(path + QStringLiteral("-wal")); // with a stale WAL, which must not be replayed into the copy
        QVERIFY(staleWal.open(QIODevice::WriteOnly));
        staleWal.write(QByteArray(4096, 'x'));
    }
    QSignalSpy saved(&w, &MainWindow::recordingSaved);
    w.saveSessionRecording(path);
    QTRY_COMPARE_WITH_TIMEOUT(saved.size(), 1, 20000);
    QCOMPARE(saved[0][0].toString(), path);
    QCOMPARE(saved[0][2].toString(), QString());
    QCOMPARE(saved[0][1].toLongLong(), events);
    QVERIFY2(w.statusBar()->currentMessage().contains(QStringLiteral("Saved %L1 events").arg(events)),
             qPrintable(w.statusBar()->currentMessage()));
    const auto copy = Recording::open(path, &error);
    QVERIFY2(copy, qPrintable(error));
    QCOMPARE(copy->eventCount(), events);
    QCOMPARE(copy->firstSeq(), 1);
    QList<QByteArray> original, copied;
    QVERIFY(source->readSeqRange(1, events, [&](Event&& e) { original.append(e.id + e.type + e.payload); return true; }, &error));
    QVERIFY(copy->readSeqRange(1, events, [&](Event&& e) { copied.append(e.id + e.type + e.payload); return true; }, &error));
    QCOMPARE(copied.size(), int(events));
    QVERIFY(copied == original);

    // a place that cannot be written: the banner says so
    saved.clear();
    w.saveSessionRecording(dir.filePath(QStringLiteral("no/such/dir/kept.fsrec")));
    QTRY_COMPARE_WITH_TIMEOUT(saved.size(), 1, 20000);
    QVERIFY(!saved[0][2].toString().isEmpty());
    QVERIFY2(w.errorText().startsWith(u"Cannot save the session's recording: "), qPrintable(w.errorText()));
}

// Selecting a node lists its latest events from the recording: for a service, the last five it
// emitted, newest first, exactly as a scan of the recording finds them.
void TestGui::selectedNodeListsItsLatestEvents()
{
    MainWindow w;
    w.show();
    QVERIFY(w.startSimulation(m_flow));
    w.session()->setSpeed(20);
    QTRY_VERIFY_WITH_TIMEOUT(w.session()->snapshot()->events > 1000, 20000);
    w.session()->setPaused(true);
    QString error;
    const auto recording = Recording::open(w.session()->recordingPath(), &error);
    QVERIFY2(recording, qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(settled(w, *recording), 10000);
    QList<qint64> payment;
    QVERIFY(recording->readSeqRange(1, recording->eventCount(), [&](Event&& e) {
        if (e.source == "payment")
            payment.append(e.seq);
        return true;
    }, &error));
    QVERIFY(payment.size() >= TopologyPage::LatestEvents);
    w.topologyPage()->view()->selectNode(QStringLiteral("s:payment"));
    const QString details = w.topologyPage()->detailsText();
    const QString latest = details.section(QStringLiteral("<b>Latest events</b><br>"), 1);
    QVERIFY2(!latest.isEmpty(), qPrintable(details));
    const QStringList entries = latest.split(QStringLiteral("<br>"));
    QCOMPARE(entries.size(), TopologyPage::LatestEvents);
    for (int i = 0; i < entries.size(); ++i)
        QVERIFY2(entries[i].endsWith(QStringLiteral("(seq %1)").arg(payment[payment.size() - 1 - i])), qPrintable(entries[i]));
}

void TestGui::modelsPassTheTester()
{
    MainWindow w;
    QVERIFY(w.startSimulation(m_flow));
    w.session()->setSpeed(50);
    QAbstractItemModelTester events(w.eventModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester views(w.viewModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    // rows arrive while the testers watch: inserts, not resets
    QTRY_VERIFY_WITH_TIMEOUT(w.eventModel()->rowCount() > 2000, 15000);
    QTRY_VERIFY_WITH_TIMEOUT(w.viewModel()->rowCount() > 100, 15000);
    QCOMPARE(w.eventModel()->data(w.eventModel()->index(0, EventLogModel::Seq)).toLongLong(), 1);
    QCOMPARE(w.eventModel()->data(w.eventModel()->index(0, EventLogModel::Type)).toString(), u"OrderCreated");
    const auto e = w.eventModel()->event(0);
    QVERIFY(e);
    QVERIFY(e->payload.contains("customerId")); // the detail has the payload the table leaves out
    QCOMPARE(w.viewModel()->headerData(0, Qt::Horizontal).toString(), u"key");
}

void TestGui::screenshotOfAPane()
{
    MainWindow w;
    w.resize(1200, 800);
    w.show();
    QVERIFY(w.startSimulation(m_flow));
    QTRY_COMPARE_WITH_TIMEOUT(w.topologyPage()->nodeCount(), 8, 10000);
    const QImage shot = w.pane(QStringLiteral("topology"))->grab().toImage();
    QVERIFY(shot.width() > 300);
    // not blank: the graph drew something dark on the white scene
    int dark = 0;
    for (int y = 0; y < shot.height(); y += 4)
        for (int x = 0; x < shot.width(); x += 4)
            dark += qGray(shot.pixel(x, y)) < 128 ? 1 : 0;
    QVERIFY2(dark > 50, qPrintable(QString::number(dark)));
}

// A recording in the window: it replays to the end; a seek back puts every pane at that event
// (the engine restored from the recording, the same state inspect --at gives).
void TestGui::seekInARecordingChangesEveryPane()
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
    w.setSpeed(1000);
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->events, 1467, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(w.sagaPage()->summary().contains(u"300 instances"), 5000);
    QCOMPARE(w.eventModel()->rowCount(), 1467);

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

QString TestGui::demoRecording()
{
    if (!m_recording.isEmpty())
        return m_recording;
    const QString rec = m_dir.filePath(QStringLiteral("orders.fsrec"));
    QString error;
    auto writer = RecordingWriter::create(rec, &error);
    if (!writer)
        return {};
    Connectors::ImportReport report;
    if (!Connectors::Importer::importFile(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/orders.jsonl"), *writer,
                                          &report, &error)
        || !writer->finish(&error))
        return {};
    m_recording = rec;
    return rec;
}

qint64 TestGui::sqlCount(const QString& path, const char* where, const QList<QByteArray>& values)
{
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
        return -1;
    sqlite3_stmt* s = nullptr;
    const QByteArray sql = QByteArray("SELECT count(*) FROM events WHERE ") + where;
    qint64 n = -1;
    if (sqlite3_prepare_v2(db, sql.constData(), -1, &s, nullptr) == SQLITE_OK) {
        for (int i = 0; i < values.size(); ++i)
            sqlite3_bind_text(s, i + 1, values[i].constData(), int(values[i].size()), SQLITE_TRANSIENT);
        if (sqlite3_step(s) == SQLITE_ROW)
            n = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

QList<qint64> TestGui::sqlSeqs(const QString& path, const char* where, const QByteArray& value)
{
    QList<qint64> out;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
        return out;
    sqlite3_stmt* s = nullptr;
    const QByteArray sql = QByteArray("SELECT seq FROM events WHERE ") + where + " ORDER BY seq";
    if (sqlite3_prepare_v2(db, sql.constData(), -1, &s, nullptr) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, value.constData(), int(value.size()), SQLITE_TRANSIENT);
        while (sqlite3_step(s) == SQLITE_ROW)
            out.append(sqlite3_column_int64(s, 0));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
}

// The demo for some simulated seconds, then paused: the instance table's count under every
// outcome filter is the tracker's count in the same snapshot, and the model stays consistent
// (QAbstractItemModelTester) while the rows arrive as inserts.
void TestGui::instanceTableCountsEqualTheTracker()
{
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    SagaInstanceModel* model = w.sagaPage()->instanceModel();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(w.startSimulation(m_flow));
    w.session()->setSpeed(20);
    QTRY_VERIFY_WITH_TIMEOUT(w.simSession()->simSeconds() >= 8, 20000);
    w.session()->setPaused(true);
    // the engine copies the instances within 250 ms of going idle; the window shows that copy
    QTRY_VERIFY_WITH_TIMEOUT(w.session()->snapshot()->instances
                                 && w.session()->snapshot()->instances->events == w.session()->snapshot()->events
                                 && w.shownVersion() == w.session()->snapshot()->version,
                             10000);
    const auto snapshot = w.session()->snapshot();
    const QJsonObject order = snapshot->state.value(u"sagas").toObject().value(u"order").toObject();
    const QJsonObject outcomes = order.value(u"outcomes").toObject();
    QVERIFY(order.value(u"instances").toInteger() > 1000);
    QCOMPARE(model->totalCount(), order.value(u"instances").toInteger());
    using F = SagaInstanceModel::Filter;
    for (F f : { F::Running, F::Stuck, F::Completed, F::Compensated, F::Failed }) {
        const QString name = SagaInstanceModel::filterName(f);
        QCOMPARE(model->count(f), outcomes.value(name).toInteger());
        w.sagaPage()->outcomeFilter()->setCurrentIndex(int(f)); // what a user does
        QCOMPARE(model->filter(), f);
        QCOMPARE(model->matchCount(), outcomes.value(name).toInteger());
        QCOMPARE(qint64(model->rowCount()), std::min<qint64>(model->matchCount(), SagaInstanceModel::MaxRows));
        for (int r = 0; r < model->rowCount(); ++r)
            QCOMPARE(model->data(model->index(r, SagaInstanceModel::Outcome)).toString(), name);
        QVERIFY2(w.sagaPage()->outcomeFilter()->currentText() == name + QStringLiteral(" (%1)").arg(model->count(f)),
                 qPrintable(w.sagaPage()->outcomeFilter()->currentText()));
    }
    QVERIFY(model->count(F::Completed) > 0 && model->count(F::Failed) > 0);
    // the id filter: a substring, any case
    w.sagaPage()->outcomeFilter()->setCurrentIndex(int(F::All));
    w.sagaPage()->idFilter()->setText(QStringLiteral("E12"));
    QVERIFY(model->rowCount() > 0);
    for (int r = 0; r < model->rowCount(); ++r)
        QVERIFY(model->data(model->index(r, SagaInstanceModel::Correlation)).toString().contains(u"e12"));
    w.sagaPage()->idFilter()->clear();
    // running again: rows are inserted (the tester checks every signal) and the counts follow
    const qint64 before = model->totalCount();
    w.session()->setPaused(false);
    QTRY_VERIFY_WITH_TIMEOUT(model->totalCount() > before + 100, 10000);
}

// Rows are instances, known by their start event's seq: when the engine's copy shifts every
// position (instances dropped all over, new ones added), a selected row stays on its instance,
// through the one-layout-change path (many runs) and the insert/remove path (few).
void TestGui::instanceRowsFollowTheirInstances()
{
    const auto saga = std::find_if(m_flow->sagas.cbegin(), m_flow->sagas.cend(), [](const Saga& s) { return s.name == u"order"; });
    QVERIFY(saga != m_flow->sagas.cend());
    const int sagaIndex = int(saga - m_flow->sagas.cbegin());
    auto setOf = [&](const QList<int>& numbers) {
        auto set = std::make_shared<SagaInstanceSet>();
        set->generation = 1;
        set->sagas.resize(size_t(m_flow->sagas.size()));
        for (int n : numbers) {
            SagaTracker::Instance in;
            in.correlationId = "c" + QByteArray::number(n);
            in.seqs = { qint64(n) * 10 };
            set->sagas[size_t(sagaIndex)].push_back(in);
        }
        return std::shared_ptr<const SagaInstanceSet>(set);
    };
    SagaInstanceModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setSaga(m_flow, sagaIndex);
    QList<int> numbers;
    for (int n = 1; n <= 100; ++n)
        numbers.append(n);
    model.setInstances(setOf(numbers));
    QCOMPARE(model.rowCount(), 100);
    QPersistentModelIndex selected(model.index(49, SagaInstanceModel::Correlation));
    QCOMPARE(selected.data().toString(), QStringLiteral("c50"));

    // the odd ones end and leave the copy (50 runs), 20 new ones start
    QList<int> even;
    for (int n = 2; n <= 120; n += 2)
        even.append(n);
    for (int n = 101; n <= 120; n += 2)
        even.append(n);
    std::sort(even.begin(), even.end());
    model.setInstances(setOf(even));
    QCOMPARE(model.rowCount(), 70);
    QVERIFY(selected.isValid());
    QCOMPARE(selected.row(), 24);
    QCOMPARE(selected.data().toString(), QStringLiteral("c50"));
    for (int r = 0; r < model.rowCount(); ++r)
        QCOMPARE(model.data(model.index(r, SagaInstanceModel::Correlation)).toString(), QStringLiteral("c%1").arg(even[r]));

    // a quiet update: the first leaves, one more starts
    QList<int> quiet = even.mid(1);
    quiet.append(121);
    model.setInstances(setOf(quiet));
    QCOMPARE(model.rowCount(), 70);
    QCOMPARE(selected.row(), 23);
    QCOMPARE(selected.data().toString(), QStringLiteral("c50"));

    // the selected instance leaves the copy: its index goes
    quiet.removeOne(50);
    model.setInstances(setOf(quiet));
    QVERIFY(!selected.isValid());
    QCOMPARE(model.rowCount(), 69);
}

// A chosen instance's timeline lists exactly the recording's events with its correlation id,
// in seq order, with the gap to the event before.
void TestGui::timelineListsTheInstancesEvents()
{
    MainWindow w;
    w.show();
    QVERIFY(w.startSimulation(m_flow));
    w.session()->setSpeed(20);
    SagaInstanceModel* model = w.sagaPage()->instanceModel();
    QTRY_VERIFY_WITH_TIMEOUT(model->count(SagaInstanceModel::Filter::Compensated) > 0, 20000);
    w.session()->setPaused(true);
    // a compensated instance has the longest story: created, paid, refunding, refunded, cancelled
    w.sagaPage()->outcomeFilter()->setCurrentIndex(int(SagaInstanceModel::Filter::Compensated));
    QVERIFY(model->rowCount() > 0);
    const QString id = model->data(model->index(0, SagaInstanceModel::Correlation)).toString();
    QVERIFY(w.sagaPage()->selectInstance(id));
    const QList<qint64> expected = sqlSeqs(w.session()->recordingPath(), "correlation_id = ?1", id.toUtf8());
    QVERIFY2(expected.size() >= 5, qPrintable(QString::number(expected.size())));
    QCOMPARE(w.sagaPage()->timelineSeqs(), expected);
    const QStringList gaps = w.sagaPage()->timelineGaps();
    QCOMPARE(gaps.first(), u"start");
    for (qsizetype i = 1; i < gaps.size(); ++i)
        QVERIFY2(gaps[i].startsWith(u'+') && (gaps[i].endsWith(u"ms") || gaps[i].endsWith(u"µs")), qPrintable(gaps[i]));
    QCOMPARE(w.sagaPage()->timeline()->item(0, 2)->text(), u"OrderCreated");
}

void TestGui::eventLogFilterEqualsSqlCount_data()
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
void TestGui::eventLogFilterEqualsSqlCount()
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

void TestGui::detailPaneShowsTheEvent()
{
    MainWindow w;
    w.show();
    QVERIFY(w.openRecording(demoRecording(), m_orderFlow));
    EventsPage* events = w.eventsPage();
    QTRY_COMPARE_WITH_TIMEOUT(events->model()->rowCount(), 1467, 5000);
    events->table()->setCurrentIndex(events->model()->index(0, 0));
    const QString text = events->detail()->toPlainText();
    QVERIFY2(text.contains(u"OrderCreated") && text.contains(u"e000001") && text.contains(u"o0000"), qPrintable(text));
    // the data, pretty-printed: one member per line, indented
    QVERIFY2(text.contains(u"\n    \"customerId\": \"c8\""), qPrintable(text));
    QVERIFY(events->detail()->font().fixedPitch() || QFontInfo(events->detail()->font()).fixedPitch());
}

// "Show events" on an instance: the event log filters on its correlation id and comes up.
void TestGui::jumpFromAnInstanceFiltersTheLog()
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

void TestGui::jumpFromAViewRowFiltersTheLog()
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
    QVERIFY(w.eventsPage()->model()->rowCount() > 0);
}

// File > Export: a PNG that loads, an SVG document, and DOT naming every node.
void TestGui::exportWritesPngSvgAndDot()
{
    MainWindow w;
    w.show();
    QVERIFY(w.startSimulation(m_flow));
    QTRY_COMPARE_WITH_TIMEOUT(w.topologyPage()->nodeCount(), 8, 10000);
    const QString png = m_dir.filePath(QStringLiteral("topology.png"));
    const QString svg = m_dir.filePath(QStringLiteral("topology.svg"));
    const QString dot = m_dir.filePath(QStringLiteral("topology.dot"));
    QVERIFY(w.exportTopology(png));
    QVERIFY(w.exportTopology(svg));
    QVERIFY(w.exportTopology(dot));
    const QImage image(png);
    QVERIFY(!image.isNull());
    QVERIFY(image.width() > 100 && image.height() > 50);
    QFile svgFile(svg);
    QVERIFY(svgFile.open(QIODevice::ReadOnly));
    const QByteArray svgText = svgFile.readAll();
    QVERIFY(svgText.startsWith("<?xml"));
    QVERIFY(svgText.contains("<svg"));
    QVERIFY(svgText.contains("payment")); // the labels are text, not paths
    QVERIFY(QSvgRenderer(svgText).isValid());
    QFile dotFile(dot);
    QVERIFY(dotFile.open(QIODevice::ReadOnly));
    const QByteArray dotText = dotFile.readAll();
    QVERIFY(dotText.contains("digraph"));
    const QStringList nodes = w.topologyPage()->view()->nodeNames();
    QCOMPARE(nodes.size(), 8);
    for (const QString& n : nodes)
        QVERIFY2(dotText.contains(QByteArray('"' + n.toUtf8() + '"')), qPrintable(n));
    // and Graphviz reads it back: the same nodes, every edge
    const GraphLayout again = layoutDot(dotText);
    QVERIFY2(again.error.isEmpty(), qPrintable(again.error));
    QCOMPARE(again.nodes.size(), 8);
    QCOMPARE(again.edges.size(), w.session()->snapshot()->state.value(u"topology").toObject().value(u"edges").toArray().size());
    // the saga diagram too, every state
    const QString sagaDot = m_dir.filePath(QStringLiteral("saga.dot"));
    QVERIFY(w.exportSaga(sagaDot));
    QFile sagaFile(sagaDot);
    QVERIFY(sagaFile.open(QIODevice::ReadOnly));
    const QByteArray sagaText = sagaFile.readAll();
    for (const SagaState& st : m_flow->sagas.first().states)
        QVERIFY2(sagaText.contains(QByteArray('"' + st.name.toUtf8() + '"')), qPrintable(st.name));
    QVERIFY(w.exportSaga(m_dir.filePath(QStringLiteral("saga.png"))));
    QVERIFY(!QImage(m_dir.filePath(QStringLiteral("saga.png"))).isNull());
    // an unknown format is an error in the window, not a file
    QVERIFY(!w.exportTopology(m_dir.filePath(QStringLiteral("topology.bmp2"))));
    QVERIFY(w.errorText().contains(u"unknown picture format"));
}

void TestGui::darkThemeChangesThePalette()
{
    MainWindow w;
    w.show();
    QVERIFY(w.startSimulation(m_flow));
    QTRY_COMPARE_WITH_TIMEOUT(w.topologyPage()->nodeCount(), 8, 10000);
    w.setTheme(Theme::Kind::Light);
    const int light = QApplication::palette().window().color().lightness();
    const QColor lightCanvas = w.topologyPage()->view()->backgroundBrush().color();
    w.setTheme(Theme::Kind::Dark);
    const int dark = QApplication::palette().window().color().lightness();
    QVERIFY2(dark < light - 100, qPrintable(QStringLiteral("%1 -> %2").arg(light).arg(dark)));
    QCOMPARE(QSettings().value(QStringLiteral("view/theme")).toString(), u"dark");
    // the graphs follow (widgets get the palette through the event loop): a dark canvas, and
    // node text still dark on light fills
    QVERIFY(lightCanvas.lightness() > 200);
    QTRY_VERIFY(w.topologyPage()->view()->backgroundBrush().color().lightness() < 80);
    QVERIFY(w.topologyPage()->view()->nodeStyle(QStringLiteral("s:payment")).fill.lightness() > 180);
    // a new window starts in the theme kept
    {
        MainWindow again;
        QVERIFY(QApplication::palette().window().color().lightness() < 100);
    }
    w.setTheme(Theme::Kind::Light);
    QCOMPARE(QApplication::palette().window().color().lightness(), light);
    QCOMPARE(QSettings().value(QStringLiteral("view/theme")).toString(), u"light");
}

void TestGui::recentFilesUpdate()
{
    QSettings().remove(QStringLiteral("recent"));
    MainWindow w;
    QVERIFY(w.recentFiles().isEmpty());
    const QString flowPath = QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/order-saga.yaml");
    QVERIFY(w.openFile(demoRecording(), flowPath));
    QCOMPARE(w.recentFiles().value(0), QFileInfo(demoRecording()).absoluteFilePath() + u'\n' + QFileInfo(flowPath).absoluteFilePath());
    QVERIFY(w.openFile(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/shop.yaml")));
    QCOMPARE(w.recentFiles().size(), 2);
    QVERIFY(w.recentFiles().value(0).endsWith(u"shop.yaml"));
    // the menu lists them, newest first
    const QList<QAction*> actions = w.recentMenu()->actions();
    QVERIFY(actions.value(0)->text().contains(u"shop.yaml"));
    QVERIFY(actions.value(1)->text().contains(u"orders.fsrec") && actions.value(1)->text().contains(u"order-saga.yaml"));
    // reopening moves an entry to the top; the list keeps 8
    QVERIFY(w.openFile(demoRecording(), flowPath));
    QVERIFY(w.recentFiles().value(0).startsWith(QFileInfo(demoRecording()).absoluteFilePath()));
    QCOMPARE(w.recentFiles().size(), 2);
    for (int i = 0; i < 10; ++i)
        w.addRecentFile(m_dir.filePath(QStringLiteral("r%1.fsrec").arg(i)));
    QCOMPARE(w.recentFiles().size(), MainWindow::MaxRecentFiles);
    QVERIFY(w.recentFiles().value(0).endsWith(u"r9.fsrec"));
    // and a second window reads the same list
    MainWindow other;
    QCOMPARE(other.recentFiles(), w.recentFiles());
}

// A corrupt recording or a broken flow file: the window says what is wrong, in a banner.
void TestGui::corruptFilesShowTheirErrorInTheWindow()
{
    const QString corrupt = m_dir.filePath(QStringLiteral("corrupt.fsrec"));
    {
        QFile f(corrupt);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(4096, 'x'));
    }
    MainWindow w;
    w.show();
    QVERIFY(!w.openFile(corrupt));
    auto* banner = w.findChild<QLabel*>(QStringLiteral("errorBanner"));
    QVERIFY(banner);
    QVERIFY(banner->isVisible());
    QVERIFY2(banner->text().contains(u"not a FlowScope recording"), qPrintable(banner->text()));
    QVERIFY(banner->text().contains(corrupt));

    const QString broken = m_dir.filePath(QStringLiteral("broken.yaml"));
    {
        QFile f(broken);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("flowscope: 1\nname: broken\nsagas:\n  s:\n    start: [unclosed\n");
    }
    QVERIFY(!w.openFile(broken));
    QVERIFY2(banner->text().contains(u"broken.yaml") && banner->text().contains(u"has errors"), qPrintable(banner->text()));
    QVERIFY(w.recentFiles().isEmpty() || !w.recentFiles().first().startsWith(broken)); // failures are not recent files
    // a file that opens clears it
    QVERIFY(w.openFile(demoRecording(), QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/order-saga.yaml")));
    QVERIFY(!banner->isVisible());
    QVERIFY(w.errorText().isEmpty());
}

void TestGui::windowStateIsRestored()
{
    {
        MainWindow w;
        w.show();
        auto* views = w.findChild<QDockWidget*>(QStringLiteral("views"));
        QVERIFY(views);
        views->setFloating(true);
        w.close(); // saves geometry and dock state
    }
    MainWindow again;
    again.show();
    auto* views = again.findChild<QDockWidget*>(QStringLiteral("views"));
    QVERIFY(views->isFloating());
    views->setFloating(false);
    again.close();
}

// Issue #6: the strip under the seek slider counts every event of the recording once, from the
// recording's batches, and is laid out under the slider; the marker follows the replay.
void TestGui::densityStripCountsTheRecording()
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
void TestGui::densitySpreadsBatchesOverTheirTime()
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

// Issue #6: File > Connect to Kafka. The dialog's fields, as a user fills them, start a live
// session against librdkafka's mock cluster: all 500 events reach the engine, the recording (the
// event log) and the status bar, which says the source is live.
void TestGui::kafkaDialogStartsALiveSession()
{
    QString error;
    auto mock = Connectors::KafkaMockCluster::start(1, &error);
    QVERIFY2(mock, qPrintable(error));
    QVERIFY2(mock->createTopic("shop.orders", 3, &error), qPrintable(error));
    const qint64 t0 = *TimeFormat::parseRfc3339("2026-11-27T10:00:00Z");
    for (int i = 0; i < 500; ++i) {
        const QByteArray id = "o" + QByteArray::number(i % 100);
        const QByteArray value = R"({"specversion":"1.0","id":"e)" + QByteArray::number(i) + R"(","source":"orders",)"
            + R"("type":"OrderCreated","time":")" + TimeFormat::toRfc3339(t0 + qint64(i) * 10000)
            + R"(","correlationid":")" + id + R"(","data":{"orderId":")" + id + R"("}})";
        QVERIFY2(mock->produce("shop.orders", id, value, {}, &error), qPrintable(error));
    }
    QVERIFY2(mock->flush(10000, &error), qPrintable(error));

    QSettings().remove(QStringLiteral("kafka"));
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    KafkaPage dialog(&w); // the Kafka page of File > Connect to a source
    dialog.findChild<QLineEdit*>(QStringLiteral("servers"))->setText(QString::fromUtf8(mock->bootstrap()));
    dialog.findChild<QLineEdit*>(QStringLiteral("topics"))->setText(QStringLiteral(" ^shop\\..* , "));
    auto* startAt = dialog.findChild<QComboBox*>(QStringLiteral("startAt"));
    startAt->setCurrentIndex(startAt->findData(KafkaPage::Beginning));
    const Connectors::KafkaSource::Options options = dialog.options();
    QCOMPARE(options.bootstrapServers, QString::fromUtf8(mock->bootstrap()));
    QCOMPARE(options.topics, QStringList { QStringLiteral("^shop\\..*") });
    QVERIFY(options.group.isEmpty());
    QVERIFY(options.startAt == Connectors::KafkaSource::StartAt::Beginning);
    // what OK does
    dialog.remember();
    QVERIFY2(w.connectKafka(options, dialog.propertiesFile()), qPrintable(w.errorText()));
    QVERIFY(w.errorText().isEmpty());
    QVERIFY(dynamic_cast<LiveSession*>(w.session()));
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->snapshot()->events, 500, 30000);
    // the status bar follows at its next tick
    QTRY_VERIFY2_WITH_TIMEOUT(w.statusText().startsWith(u"Kafka live") && w.statusText().contains(u" 500 events"),
                              qPrintable(w.statusText()), 5000);
    // the mock cluster cannot list consumer groups (no ListGroups): the status says so, the
    // stream itself is live
    QTRY_VERIFY2_WITH_TIMEOUT(w.session()->sourceStatus().startsWith(
                                  u"live · consumer groups: the cluster does not list consumer groups"),
                              qPrintable(w.session()->sourceStatus()), 15000);
    // the event log pages through the session's recording; the topology shows what it observed
    QTRY_COMPARE_WITH_TIMEOUT(w.eventModel()->rowCount(), 500, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(w.topologyPage()->nodeCount() > 0, 10000);
    // live: no speed, pause or seek
    QVERIFY(!w.session()->canPace() && !w.session()->canSeek());
    // and the dialog opens next time with these settings
    KafkaPage again(&w);
    QCOMPARE(again.options().bootstrapServers, options.bootstrapServers);
    QVERIFY(again.options().startAt == Connectors::KafkaSource::StartAt::Beginning);
    w.close(); // stops the source before the cluster goes
}

// Settings that cannot work are said in the window's banner, and the session open stays.
void TestGui::badKafkaSettingsShowInTheBanner()
{
    MainWindow w;
    w.show();
    QVERIFY(w.openRecording(demoRecording(), m_orderFlow));
    Session* before = w.session();
    Connectors::KafkaSource::Options options;
    options.topics = QStringList { QStringLiteral("orders") };
    QVERIFY(!w.connectKafka(options)); // no servers
    QVERIFY2(w.errorText().contains(u"Cannot connect to Kafka") && w.errorText().contains(u"bootstrap servers"),
             qPrintable(w.errorText()));
    QCOMPARE(w.session(), before);
    options.bootstrapServers = QStringLiteral("127.0.0.1:1");
    options.topics = QStringList { QStringLiteral("^orders(") };
    QVERIFY(!w.connectKafka(options)); // a pattern that does not compile
    QVERIFY2(w.errorText().contains(u"^orders("), qPrintable(w.errorText()));
    const QString missing = m_dir.filePath(QStringLiteral("missing.properties"));
    options.topics = QStringList { QStringLiteral("orders") };
    QVERIFY(!w.connectKafka(options, missing));
    QVERIFY2(w.errorText().contains(missing), qPrintable(w.errorText()));
    QCOMPARE(w.session(), before);
}

// Item views keep ~8 bytes per row: unfiltered, the event log shows the latest maxRows() events,
// and the window slides as a live recording grows; rows map to seqs through base().
void TestGui::eventLogKeepsAWindowOfRows()
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

QTEST_MAIN(TestGui)
#include "tst_gui.moc"
