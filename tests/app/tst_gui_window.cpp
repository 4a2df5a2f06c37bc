// SPDX-License-Identifier: MIT
// The window on the built-in demo, offscreen: its models pass the tester, a pane's screenshot
// is not blank, the saga instance table counts what the tracker counts and its rows follow their
// instances, an instance's timeline, export, theme, recent files, errors in the window and the
// window state kept between runs.
#include <engine.h>
#include <eventlogmodel.h>
#include <gui/graphlayout.h>
#include <gui/graphview.h>
#include <gui/mainwindow.h>
#include <gui/sagapage.h>
#include <gui/simsession.h>
#include <gui/theme.h>
#include <gui/topologypage.h>
#include <jsontablemodel.h>
#include <sagainstancemodel.h>

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QSettings>
#include <QSvgRenderer>
#include <QTableWidget>
#include <QTest>

#include "guitestfixture.h"

using namespace FlowScope;
using namespace FlowScope::Gui;

class TestGuiWindow : public Tests::GuiTestFixture {
    Q_OBJECT
public:
    TestGuiWindow()
        : GuiTestFixture(QStringLiteral("tst_gui_window"))
    {
    }

private Q_SLOTS:
    void modelsPassTheTester();
    void screenshotOfAPane();
    void instanceTableCountsEqualTheTracker();
    void instanceRowsFollowTheirInstances();
    void timelineListsTheInstancesEvents();
    void exportWritesPngSvgAndDot();
    void darkThemeChangesThePalette();
    void recentFilesUpdate();
    void corruptFilesShowTheirErrorInTheWindow();
    void windowStateIsRestored();
};

void TestGuiWindow::modelsPassTheTester()
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

void TestGuiWindow::screenshotOfAPane()
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

// The demo for some simulated seconds, then paused: the instance table's count under every
// outcome filter is the tracker's count in the same snapshot, and the model stays consistent
// (QAbstractItemModelTester) while the rows arrive as inserts.
void TestGuiWindow::instanceTableCountsEqualTheTracker()
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
void TestGuiWindow::instanceRowsFollowTheirInstances()
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
void TestGuiWindow::timelineListsTheInstancesEvents()
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

// File > Export: a PNG that loads, an SVG document, and DOT naming every node.
void TestGuiWindow::exportWritesPngSvgAndDot()
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

void TestGuiWindow::darkThemeChangesThePalette()
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

void TestGuiWindow::recentFilesUpdate()
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
void TestGuiWindow::corruptFilesShowTheirErrorInTheWindow()
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

void TestGuiWindow::windowStateIsRestored()
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

QTEST_MAIN(TestGuiWindow)
#include "tst_gui_window.moc"
