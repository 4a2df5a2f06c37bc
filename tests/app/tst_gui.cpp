// SPDX-License-Identifier: MIT
// The window on the built-in demo, offscreen: the topology shows the demo's services and
// channels, saga counts move, a fault turns its node red, the models behave.
#include <eventlogmodel.h>
#include <flowfile.h>
#include <flowfileparser.h>
#include <gui/chartspage.h>
#include <gui/graphview.h>
#include <gui/mainwindow.h>
#include <gui/sagapage.h>
#include <gui/simsession.h>
#include <gui/topologypage.h>
#include <jsontablemodel.h>
#include <recording.h>
#include <seeker.h>
#include <importer.h>

#include <QTemporaryDir>

#include <QAbstractItemModelTester>
#include <QTest>

using namespace FlowScope;
using namespace FlowScope::Gui;

class TestGui : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void demoRunsInTheWindow();
    void faultTurnsItsNodeRed();
    void modelsPassTheTester();
    void screenshotOfAPane();
    void seekInARecordingChangesEveryPane();

private:
    std::shared_ptr<const Flow> m_flow;
};

void TestGui::initTestCase()
{
    QCoreApplication::setOrganizationName(QStringLiteral("FlowScopeTests")); // keep the user's settings out
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

QTEST_MAIN(TestGui)
#include "tst_gui.moc"
