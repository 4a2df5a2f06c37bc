// SPDX-License-Identifier: MIT
// Sessions in the window, offscreen: the built-in demo's topology, saga counts and charts move, a
// fault turns its node red, a selected node lists its latest events, the session's recording is
// saved as a copy, and File > Connect to Kafka starts a live session or says what is wrong (issue #6).
#include <engine.h>
#include <eventlogmodel.h>
#include <flowfileparser.h>
#include <gui/chartspage.h>
#include <gui/faultspage.h>
#include <gui/graphview.h>
#include <gui/kafkapage.h>
#include <gui/livesession.h>
#include <gui/mainwindow.h>
#include <gui/sagapage.h>
#include <gui/simsession.h>
#include <gui/topologypage.h>
#include <kafkamock.h>
#include <recording.h>
#include <timeformat.h>

#include <QAction>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QSettings>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QValueAxis>

#include <functional>

#include "guitestfixture.h"

using namespace FlowScope;
using namespace FlowScope::Gui;

namespace {
Fault paymentDownFor30s()
{
    Fault f;
    f.target = FaultTarget::Service;
    f.name = QStringLiteral("payment");
    f.kind = FaultKind::Down;
    f.length = Duration::fromSeconds(30);
    return f;
}
} // namespace

class TestGuiSessions : public Tests::GuiTestFixture {
    Q_OBJECT
public:
    TestGuiSessions()
        : GuiTestFixture(QStringLiteral("tst_gui_sessions"))
    {
    }

private Q_SLOTS:
    void demoRunsInTheWindow();
    void chartAxesStepOnRoundValues();
    void faultTurnsItsNodeRed();
    void faultInjectedWhilePausedShowsAtOnce();
    void faultMarksSayWhatAndBrokerFaultsMarkEveryChannel();
    void lowerSpeedHoldsAtOnce();
    void orchestratedSagaDiagramCountsEachTrigger();
    void faultsPaneListsEachFault();
    void serverlessFlowInTheWindow();
    void faultsFromTheMenuAndFromText();
    void selectedNodeListsItsLatestEvents();
    void sessionRecordingIsSavedAsACopy();
    void kafkaDialogStartsALiveSession();
    void badKafkaSettingsShowInTheBanner();
};

void TestGuiSessions::demoRunsInTheWindow()
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

void TestGuiSessions::chartAxesStepOnRoundValues()
{
    // 1, 2 or 5 times a power of ten, the smallest that needs at most that many steps
    QCOMPARE(ChartsPage::niceStep(10, 6), 2.0);
    QCOMPARE(ChartsPage::niceStep(120, 6), 20.0);
    QCOMPARE(ChartsPage::niceStep(4.1, 4), 2.0); // labelled 0, 1, 1, 3, 4 with 4 ticks from %.0f
    QCOMPARE(ChartsPage::niceStep(4, 4), 1.0);
    QCOMPARE(ChartsPage::niceStep(487, 4), 200.0);
    QCOMPARE(ChartsPage::niceStep(0.3, 4), 0.1);
    QCOMPARE(ChartsPage::niceStep(0, 4), 1.0);
    QValueAxis axis;
    ChartsPage::setNiceRange(&axis, 33.5, 153.5, 6);
    QCOMPARE(axis.tickType(), QValueAxis::TicksDynamic);
    QCOMPARE(axis.tickAnchor(), 0.0); // ticks at 40, 60, ..., 140 while the window slides
    QCOMPARE(axis.tickInterval(), 20.0);
    QCOMPARE(axis.labelFormat(), QStringLiteral("%.0f"));
    ChartsPage::setNiceRange(&axis, 0, 0.4, 4);
    QCOMPARE(axis.tickInterval(), 0.1);
    QCOMPARE(axis.labelFormat(), QStringLiteral("%.1f"));

    // seconds of stream time: from the stream's start when the session knows it, not from the
    // first update (which comes 0.5 s of wall time in, 5 s of stream time at 10x)
    ChartsPage page;
    const QJsonObject services { { QStringLiteral("payment"), QJsonObject { { QStringLiteral("queue"), 3 }, { QStringLiteral("lag"), 2 } } } };
    page.clear(1000.0);
    page.add(1005.5, {}, services);
    page.add(1006.0, {}, services);
    QCOMPARE(page.points(QStringLiteral("q:payment")), (QList<QPointF> { { 5.5, 5.0 }, { 6.0, 5.0 } }));
    page.clear(); // a live source: from the first update
    page.add(1005.5, {}, services);
    QCOMPARE(page.points(QStringLiteral("q:payment")), (QList<QPointF> { { 0.0, 5.0 } }));
    // a window's sessions say where their streams start
    MainWindow w;
    QVERIFY(w.startSimulation(m_flow));
    QCOMPARE(w.session()->streamStart(), Sim::Simulator::DefaultStart);
}

void TestGuiSessions::faultTurnsItsNodeRed()
{
    MainWindow w;
    w.show();
    QVERIFY(w.startSimulation(m_flow));
    w.session()->setSpeed(10);
    QTRY_COMPARE_WITH_TIMEOUT(w.topologyPage()->nodeCount(), 8, 10000);
    const QColor normal = w.topologyPage()->view()->nodeStyle(QStringLiteral("s:payment")).fill;
    w.simSession()->injectFault(paymentDownFor30s());
    QTRY_VERIFY_WITH_TIMEOUT(w.topologyPage()->view()->nodeStyle(QStringLiteral("s:payment")).detail.startsWith(u"down · "),
                             10000);
    const QColor red = w.topologyPage()->view()->nodeStyle(QStringLiteral("s:payment")).fill;
    QVERIFY(red != normal);
    QVERIFY(red.red() > red.green() + 30);
    // and its queue grows while it is down
    QTRY_VERIFY_WITH_TIMEOUT(w.simSession()->services()[1].queue + w.simSession()->services()[1].held > 50, 10000);
}

// Paused, a fault injected shows at once: its node turns red and the status counts it, while the
// clock stays where it was paused. (Its start waited on the agenda for Play, and the topology
// was redrawn only for new events.)
void TestGuiSessions::faultInjectedWhilePausedShowsAtOnce()
{
    MainWindow w;
    w.show();
    QVERIFY(w.startSimulation(m_flow));
    w.session()->setSpeed(10);
    QTRY_COMPARE_WITH_TIMEOUT(w.topologyPage()->nodeCount(), 8, 10000);
    w.session()->setPaused(true);
    // the slice under way ends, and the clock stands (the simulator's thread may be slow to run)
    auto standsStill = [&] {
        const double before = w.simSession()->simSeconds();
        QTest::qWait(200);
        return w.simSession()->simSeconds() == before;
    };
    QTRY_VERIFY_WITH_TIMEOUT(standsStill(), 10000);
    const double pausedAt = w.simSession()->simSeconds();
    w.simSession()->injectFault(paymentDownFor30s());
    QTRY_VERIFY_WITH_TIMEOUT(w.topologyPage()->view()->nodeStyle(QStringLiteral("s:payment")).detail.startsWith(u"down · "),
                             10000);
    QTRY_VERIFY_WITH_TIMEOUT(w.statusText().contains(u"1 fault(s) active"), 5000);
    QVERIFY2(w.statusText().contains(u"paused"), qPrintable(w.statusText()));
    QCOMPARE(w.simSession()->simSeconds(), pausedAt);
}

// A node's mark says which fault is on it, and a broker-wide fault (there is no node for the
// broker) marks every channel: a broker outage used to show nowhere on the topology.
void TestGuiSessions::faultMarksSayWhatAndBrokerFaultsMarkEveryChannel()
{
    MainWindow w;
    w.show();
    QVERIFY(w.startSimulation(m_flow));
    w.session()->setSpeed(10);
    QTRY_COMPARE_WITH_TIMEOUT(w.topologyPage()->nodeCount(), 8, 10000);
    w.session()->setPaused(true); // the faults start now, and stay on while the test looks
    QCOMPARE(w.injectFault(QStringLiteral("service: payment, slow: 3x, for: 60s")), QString());
    QCOMPARE(w.injectFault(QStringLiteral("broker: all, down: 60s")), QString());
    QCOMPARE(w.injectFault(QStringLiteral("channel: stock, drop: 10%, for: 60s")), QString());
    const GraphView* view = w.topologyPage()->view();
    QTRY_VERIFY_WITH_TIMEOUT(view->nodeStyle(QStringLiteral("s:payment")).detail.startsWith(u"slow 3x · "), 10000);
    for (const char* channel : { "orders", "payments", "stock" }) {
        const GraphView::NodeStyle style = view->nodeStyle(QStringLiteral("c:") + QLatin1String(channel));
        QVERIFY2(style.detail.startsWith(channel == QByteArrayView("stock") ? u"broker down, drop 10 % · "
                                                                        : u"broker down · "),
                 qPrintable(QLatin1String(channel) + u": " + style.detail));
        QVERIFY(style.fill.red() > style.fill.green() + 30);
    }
    // the clicked node's details say it in full
    w.topologyPage()->view()->selectNode(QStringLiteral("c:stock"));
    QTRY_VERIFY2(w.topologyPage()->detailsText().contains(u"fault: broker down, drop 10 %"),
                 qPrintable(w.topologyPage()->detailsText()));
    // a service is not a channel: the broker's outage is not marked on it
    QVERIFY2(!view->nodeStyle(QStringLiteral("s:orders")).detail.contains(u"down"),
             qPrintable(view->nodeStyle(QStringLiteral("s:orders")).detail));
}

// From 1000x down to 1x: the new speed holds from the next slice. The rest of a step at 1000x
// (up to 100 simulated seconds) used to run flat out first: 70 s in 2.5 s of wall time.
void TestGuiSessions::lowerSpeedHoldsAtOnce()
{
    MainWindow w;
    w.show();
    QVERIFY(w.startSimulation(m_flow));
    w.setSpeed(1000);
    QTRY_VERIFY_WITH_TIMEOUT(w.simSession()->simSeconds() > 20, 20000);
    w.setSpeed(1);
    QTest::qWait(300); // the slice under way ends
    const double from = w.simSession()->simSeconds();
    QTest::qWait(1000);
    const double advanced = w.simSession()->simSeconds() - from;
    QVERIFY2(advanced < 5, qPrintable(QStringLiteral("%1 simulated seconds in 1 s at 1x").arg(advanced)));
}

// The orchestrated demo: from `reserving`, StockUnavailable and the timeout both lead to
// `refunding`. They are one edge, labelled with both and the pair's count; as two edges, the
// timeout's showed the count of both and the reply's none.
void TestGuiSessions::orchestratedSagaDiagramCountsEachTrigger()
{
    const FlowParseResult r = FlowFileParser::parseFile(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/orchestrated.yaml"));
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    MainWindow w;
    w.show();
    QVERIFY(w.startSimulation(std::make_shared<const Flow>(*r.flow)));
    w.setSpeed(100);
    auto pairCount = [&](const QString& pair) {
        return w.session()->snapshot()->state.value(u"sagas").toObject().value(u"order").toObject()
            .value(u"transitions").toObject().value(pair).toInteger();
    };
    QTRY_VERIFY_WITH_TIMEOUT(pairCount(QStringLiteral("reserving -> refunding")) > 0, 30000);
    w.session()->setPaused(true);
    const GraphView* view = w.sagaPage()->view();
    const QString reserving = QStringLiteral("reserving"), refunding = QStringLiteral("refunding");
    // each trigger with its own count, from transitions_by_trigger (read from the same snapshot
    // as the label, which the last slice before the pause may still move)
    auto byTrigger = [&](const QString& trigger) {
        return w.session()->snapshot()->state.value(u"sagas").toObject().value(u"order").toObject()
            .value(u"transitions_by_trigger").toObject().value(u"reserving -> refunding").toObject()
            .value(trigger).toInteger();
    };
    auto expected = [&] {
        return QStringLiteral("StockUnavailable %1 / timeout %2")
            .arg(byTrigger(QStringLiteral("StockUnavailable")))
            .arg(byTrigger(QStringLiteral("timeout")));
    };
    QTRY_COMPARE_WITH_TIMEOUT(view->edgeStyle(reserving, refunding).label, expected(), 5000);
    QVERIFY(byTrigger(QStringLiteral("StockUnavailable")) > 0);
    // together they are the pair's count
    QCOMPARE(byTrigger(QStringLiteral("StockUnavailable")) + byTrigger(QStringLiteral("timeout")),
             pairCount(QStringLiteral("reserving -> refunding")));
    QVERIFY(!view->edgeStyle(reserving, refunding).dashed); // a reply leads there too
    QCOMPARE(view->edgeStyle(QStringLiteral("authorizing"), reserving).label,
             QStringLiteral("PaymentAuthorized %1").arg(pairCount(QStringLiteral("authorizing -> reserving"))));
}

// The Faults pane: the demo's three faults from the file, scheduled at the start; one injected
// from the window joins them, active at once; they show what and when as the flow file says.
void TestGuiSessions::faultsPaneListsEachFault()
{
    MainWindow w;
    w.show();
    QVERIFY(w.startSimulation(m_flow));
    FaultsPage* faults = w.faultsPage();
    QTRY_COMPARE_WITH_TIMEOUT(faults->rowCount(), 3, 5000);
    for (int r = 0; r < 3; ++r)
        QCOMPARE(faults->stateOf(r), QStringLiteral("scheduled"));
    auto row = [&](int r) {
        QStringList cells;
        for (int c = 1; c < faults->columnCount(); ++c)
            cells.append(faults->item(r, c)->text());
        return cells.join(u" | ");
    };
    QCOMPARE(row(0), QStringLiteral("service payment | down |  | 60 s | 90 s"));
    QCOMPARE(row(1), QStringLiteral("service inventory | slow | 10x | 120 s | 140 s"));
    QCOMPARE(row(2), QStringLiteral("channel payments | drop | 5 % | 150 s | 160 s"));
    w.simSession()->injectFault(paymentDownFor30s());
    QTRY_COMPARE_WITH_TIMEOUT(faults->rowCount(), 4, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(faults->stateOf(3), QStringLiteral("active"), 5000);
    QCOMPARE(faults->stateOf(0), QStringLiteral("scheduled"));
}

// The serverless demo: it declares no views, and the Views pane says so instead of an empty
// table; the services table shows the metrics stream's busy workers and cold starts; the source
// service, which handles nothing, shows what it emitted rather than a mean latency of nothing.
void TestGuiSessions::serverlessFlowInTheWindow()
{
    const FlowParseResult r
        = FlowFileParser::parseFile(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/serverless.yaml"));
    QVERIFY(r.ok());
    MainWindow w;
    w.show();
    QVERIFY(w.startSimulation(std::make_shared<const Flow>(*r.flow)));
    w.session()->setSpeed(20);
    auto* noViews = w.findChild<QLabel*>(QStringLiteral("noViews"));
    QVERIFY(noViews);
    QVERIFY(!noViews->isHidden());
    QVERIFY(w.viewTable()->isHidden());
    QVERIFY(noViews->text().contains(u"no views"));
    auto* services = w.findChild<QTableWidget*>(QStringLiteral("servicesTable"));
    QVERIFY(services);
    QStringList headers;
    for (int c = 0; c < services->columnCount(); ++c)
        headers.append(services->horizontalHeaderItem(c)->text());
    QCOMPARE(headers.join(u','), u"service,processed,failed,retries,dead,dropped,dup,queue,lag,busy,cold starts,latency ms,lag ms");
    // the burst at 0 s: 200 uploads meet functions scaled to zero, so instances start cold
    const int cold = int(headers.indexOf(u"cold starts"));
    auto cell = [services](const QString& service, int column) {
        for (int row = 0; row < services->rowCount(); ++row)
            if (services->item(row, 0) && services->item(row, 0)->text() == service)
                return services->item(row, column)->text().toLongLong();
        return qint64(-1);
    };
    QTRY_VERIFY_WITH_TIMEOUT(cell(QStringLiteral("thumbnailer"), cold) > 0, 15000);
    QCOMPARE(cell(QStringLiteral("uploader"), cold), 0);
    QTRY_VERIFY_WITH_TIMEOUT(cell(QStringLiteral("indexer"), 1) > 0 && cell(QStringLiteral("thumbnailer"), 1) > 0, 15000);
    const int latency = int(headers.indexOf(u"latency ms"));
    for (int row = 0; row < services->rowCount(); ++row) {
        const QString service = services->item(row, 0)->text(), text = services->item(row, latency)->text();
        if (service == u"uploader")
            QCOMPARE(text, u"\u2013"); // it handles nothing: no mean latency to show
        else
            QVERIFY2(text.toDouble() > 0, qPrintable(service + u": " + text));
    }
    QTRY_VERIFY_WITH_TIMEOUT(
        w.topologyPage()->view()->nodeStyle(QStringLiteral("s:uploader")).detail.startsWith(u"emitted "), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(
        w.topologyPage()->view()->nodeStyle(QStringLiteral("s:thumbnailer")).detail.startsWith(u"mean "), 10000);
    // a flow with views gets its table back
    QVERIFY(w.startSimulation(m_flow));
    QVERIFY(noViews->isHidden());
    QVERIFY(!w.viewTable()->isHidden());
}

// Inject fault: every ready-made fault of the menu is valid for the shop (4 a service, 3 a
// channel, 2 for the broker) and reaches the simulator; a fault typed as text starts now unless it
// says `at:`, and a wrong one is refused with where and what, the column that of the text as typed.
void TestGuiSessions::faultsFromTheMenuAndFromText()
{
    MainWindow w;
    w.show();
    QVERIFY(w.startSimulation(m_flow));
    w.session()->setSpeed(10);
    QToolButton* button = nullptr;
    for (QToolButton* b : w.findChildren<QToolButton*>())
        if (b->text() == u"Inject fault")
            button = b;
    QVERIFY(button && button->menu());
    QList<QAction*> presets;
    std::function<void(QMenu*)> collect = [&](QMenu* menu) {
        for (QAction* a : menu->actions()) {
            if (a->menu())
                collect(a->menu());
            else if (!a->isSeparator() && !a->text().startsWith(u"Custom"))
                presets.append(a);
        }
    };
    collect(button->menu());
    QCOMPARE(presets.size(), 4 * 4 + 4 * 3 + 2);
    auto faults = [&w] { return w.simSession()->faults().value(u"faults").toArray(); };
    QTRY_VERIFY_WITH_TIMEOUT(w.simSession()->simSeconds() > 0.5, 10000);
    const qsizetype before = faults().size(); // the shop's own three
    for (QAction* a : std::as_const(presets))
        a->trigger();
    QVERIFY2(w.errorText().isEmpty(), qPrintable(w.errorText()));
    QTRY_COMPARE_WITH_TIMEOUT(faults().size(), before + presets.size(), 10000);
    // the partition of `inventory` is active now (they all start at once and last 30 s)
    bool cutOff = false;
    for (const QJsonValue& v : faults()) {
        const QJsonObject f = v.toObject();
        cutOff |= f.value(u"name").toString() == u"inventory" && f.value(u"kind").toString() == u"partition"
            && f.value(u"active").toBool();
    }
    QVERIFY(cutOff);

    // typed: without `at:` it starts now; with it, when it says
    QCOMPARE(w.injectFault(QStringLiteral("service: payment, slow: 3x, for: 10m")), QString());
    QCOMPARE(w.injectFault(QStringLiteral("at: 1h, broker: all, down: 1s")), QString());
    QCOMPARE(w.injectFault(QStringLiteral("{ channel: orders, drop: 1%, for: 10m }  # braced, no at")), QString());
    QTRY_COMPARE_WITH_TIMEOUT(faults().size(), before + presets.size() + 3, 10000);
    const QJsonObject slow = faults()[before + presets.size()].toObject();
    QCOMPARE(slow.value(u"kind").toString(), u"slow");
    QVERIFY(slow.value(u"active").toBool());
    QVERIFY(slow.value(u"at_s").toDouble() > 0.5); // now, not the start of the run
    const QJsonObject later = faults()[before + presets.size() + 1].toObject();
    QCOMPARE(later.value(u"at_s").toDouble(), 3600.0);
    QVERIFY(!later.value(u"active").toBool());
    // wrong: where and what, nothing injected
    const QString error = w.injectFault(QStringLiteral("service: paymnt, down: 30s"));
    QVERIFY2(error.startsWith(u"fault:1:10: error: ") && error.contains(u"paymnt") && error.contains(u"payment"),
             qPrintable(error));
    QVERIFY(w.injectFault(QStringLiteral("service: payment")).startsWith(u"fault:1:1: error: "));
    QTest::qWait(200);
    QCOMPARE(faults().size(), before + presets.size() + 3);
    QVERIFY(faults().last().toObject().value(u"active").toBool()); // the braced one, from now
}

// File > Save session recording: a copy of the simulated session's temporary recording holds
// exactly the events the session folded, byte for byte the same rows, and replays on its own.
void TestGuiSessions::sessionRecordingIsSavedAsACopy()
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
void TestGuiSessions::selectedNodeListsItsLatestEvents()
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
    // The page and this scan read the recording through two connections, a moment apart: should
    // a last batch still land between them, they differ, and the next round agrees (selecting
    // another node first makes the page read again). A page that kept reading a stale snapshot
    // would never agree.
    QString mismatch;
    const auto pageAgreesWithScan = [&]() {
        QList<qint64> payment;
        QString readError;
        if (!recording->readSeqRange(1, recording->eventCount(), [&](Event&& e) {
                if (e.source == "payment")
                    payment.append(e.seq);
                return true;
            }, &readError)) {
            mismatch = readError;
            return false;
        }
        if (payment.size() < TopologyPage::LatestEvents) {
            mismatch = QStringLiteral("only %1 payment events").arg(payment.size());
            return false;
        }
        w.topologyPage()->view()->selectNode(QStringLiteral("s:orders"));
        w.topologyPage()->view()->selectNode(QStringLiteral("s:payment"));
        const QString details = w.topologyPage()->detailsText();
        const QString latest = details.section(QStringLiteral("<b>Latest events</b><br>"), 1);
        const QStringList entries = latest.split(QStringLiteral("<br>"), Qt::SkipEmptyParts);
        if (entries.size() != TopologyPage::LatestEvents) {
            mismatch = details;
            return false;
        }
        for (int i = 0; i < entries.size(); ++i) {
            const qint64 expected = payment[payment.size() - 1 - i];
            if (!entries[i].endsWith(QStringLiteral("(seq %1)").arg(expected))) {
                mismatch = QStringLiteral("entry %1 is \"%2\", the scan's seq %3 (%4 events recorded)")
                               .arg(i)
                               .arg(entries[i])
                               .arg(expected)
                               .arg(recording->eventCount());
                return false;
            }
        }
        return true;
    };
    QTRY_VERIFY2_WITH_TIMEOUT(pageAgreesWithScan(), qPrintable(mismatch), 10000);
}

// Issue #6: File > Connect to Kafka. The dialog's fields, as a user fills them, start a live
// session against librdkafka's mock cluster: all 500 events reach the engine, the recording (the
// event log) and the status bar, which says the source is live.
void TestGuiSessions::kafkaDialogStartsALiveSession()
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
void TestGuiSessions::badKafkaSettingsShowInTheBanner()
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

QTEST_MAIN(TestGuiSessions)
#include "tst_gui_sessions.moc"
