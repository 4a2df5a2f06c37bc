// SPDX-License-Identifier: MIT
// The topology pane's moving parts, offscreen (issue #6): dots travel the edges with the events
// that cross them, never more than the cap and none while paused or switched off; a relayout
// keeps the first-seen order, the items and the selection, and nodes that appear one by one
// make one relayout; badges count consumer lag and a service's queue. Inline topologies make it
// exact; the built-in demo shows it live.
#include <flowfile.h>
#include <flowfileparser.h>
#include <gui/graphview.h>
#include <gui/mainwindow.h>
#include <gui/session.h>
#include <gui/topologypage.h>

#include <QAction>
#include <QApplication>
#include <QGraphicsItem>
#include <QGraphicsScene>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "testsettings.h"
#include "topologystate.h"
#include <QWheelEvent>

#include <algorithm>
#include <map>

using namespace FlowScope;
using namespace FlowScope::Gui;
using Topo = FlowScope::Tests::TopologyState;
using Page = FlowScope::Tests::TopologyPageOnAClock;

namespace {

// The node ids and edges of a DOT text, in the order it lists them.
QStringList dotNodes(const QByteArray& dot)
{
    QStringList out;
    static const QRegularExpression node(QStringLiteral("^\"([^\"]+)\" \\[shape"), QRegularExpression::MultilineOption);
    for (auto it = node.globalMatch(QString::fromUtf8(dot)); it.hasNext();)
        out.append(it.next().captured(1));
    return out;
}
QStringList dotEdges(const QByteArray& dot)
{
    QStringList out;
    static const QRegularExpression edge(
        QStringLiteral("^\"([^\"]+)\" -> \"([^\"]+)\""), QRegularExpression::MultilineOption);
    for (auto it = edge.globalMatch(QString::fromUtf8(dot)); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        out.append(m.captured(1) + u'>' + m.captured(2));
    }
    return out;
}

} // namespace

class TestTopologyView : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void dotsPerSecondIsALogScale_data();
    void dotsPerSecondIsALogScale();
    void dotsFollowTheEdgesTraffic();
    void noNewEventsNoDots();
    void dotsNeverExceedTheCap();
    void switchedOffOrHiddenThereAreNoDots();
    void relayoutKeepsOrderItemsAndSelection();
    void relayoutKeepsTheUsersZoomAndPan();
    void nodesAppearingOneByOneMakeOneRelayout();
    void consumerLagBadges();
    void queueBadge_data();
    void queueBadge();
    void demoAnimatesUntilPaused();

private:
    QTemporaryDir m_dir; // the settings of this run
};

void TestTopologyView::initTestCase()
{
    QVERIFY(Tests::isolateSettings(m_dir, QStringLiteral("tst_topologyview")));
}

void TestTopologyView::dotsPerSecondIsALogScale_data()
{
    QTest::addColumn<double>("rate");
    QTest::addColumn<double>("dots");
    QTest::newRow("none") << 0.0 << 0.0;
    QTest::newRow("negative") << -3.0 << 0.0;
    QTest::newRow("one in five seconds") << 0.2 << 1.0;
    QTest::newRow("1/s") << 1.0 << 1.0;
    QTest::newRow("10/s") << 10.0 << 2.0;
    QTest::newRow("100/s") << 100.0 << 3.0;
    QTest::newRow("10k/s") << 1e4 << 5.0;
    QTest::newRow("10M/s") << 1e7 << 5.0;
}

void TestTopologyView::dotsPerSecondIsALogScale()
{
    QFETCH(double, rate);
    QFETCH(double, dots);
    QCOMPARE(GraphView::dotsPerSecond(rate), dots);
}

void TestTopologyView::dotsFollowTheEdgesTraffic()
{
    Page p;
    Topo t(QStringLiteral("s:orders>c:orders c:orders>s:payment"));
    t.flow(QStringLiteral("s:orders>c:orders"), 100, 100).flow(QStringLiteral("c:orders>s:payment"), 100, 0);
    p.update(t);
    QCOMPARE(p.view()->liveDotCount(), 0); // the first update only learns the counts
    // half a second later: 100 more events on one edge at 100/s, none on the other
    p.now += 500;
    t.flow(QStringLiteral("s:orders>c:orders"), 200, 100);
    p.update(t);
    // 3 dots a second at 100/s: 1 in half a second, 3 in the next second
    QCOMPARE(p.view()->edgeDotCount(QStringLiteral("s:orders"), QStringLiteral("c:orders")), 1);
    QCOMPARE(p.view()->edgeDotCount(QStringLiteral("c:orders"), QStringLiteral("s:payment")), 0);
    QVERIFY(p.view()->isAnimating());
    p.now += 1000;
    t.flow(QStringLiteral("s:orders>c:orders"), 300, 100);
    p.update(t);
    QCOMPARE(p.view()->edgeDotCount(QStringLiteral("s:orders"), QStringLiteral("c:orders")), 4);
    // never more dots than events: 2 events at a high rate make 2 dots at most
    p.now += 1000;
    t.flow(QStringLiteral("s:orders>c:orders"), 302, 1e5);
    p.update(t);
    QCOMPARE(p.view()->edgeDotCount(QStringLiteral("s:orders"), QStringLiteral("c:orders")), 6);
    // they travel in under a second (and the last waited its turn for under one): then the timer stops
    p.run(2100);
    QCOMPARE(p.view()->liveDotCount(), 0);
    QVERIFY(!p.view()->isAnimating());
}

void TestTopologyView::noNewEventsNoDots()
{
    // a paused session: the same counts and the last rates, update after update
    Page p;
    Topo t(QStringLiteral("s:orders>c:orders"));
    t.flow(QStringLiteral("s:orders>c:orders"), 5000, 800);
    for (int i = 0; i < 10; ++i) {
        p.update(t);
        p.now += 500;
    }
    QCOMPARE(p.view()->liveDotCount(), 0);
    QVERIFY(!p.view()->isAnimating());
}

void TestTopologyView::dotsNeverExceedTheCap()
{
    Page p;
    Tests::DotTraffic traffic;
    Tests::fillWithDots(p, traffic, [&] {
        QVERIFY2(p.view()->liveDotCount() <= GraphView::MaxDots, qPrintable(QString::number(p.view()->liveDotCount())));
    });
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(p.view()->liveDotCount(), GraphView::MaxDots);
    // What a frame of them costs is measured by `flowscope-guibench --frames` (docs/benchmarks.md):
    // a bound here failed on a busy VM with no change to the view.
}

void TestTopologyView::switchedOffOrHiddenThereAreNoDots()
{
    Page p;
    Topo t(QStringLiteral("s:orders>c:orders"));
    qint64 count = 0;
    auto traffic = [&] {
        count += 1000;
        t.flow(QStringLiteral("s:orders>c:orders"), count, 2000);
        p.update(t);
        p.now += 500;
    };
    traffic();
    traffic();
    QVERIFY(p.view()->liveDotCount() > 0);
    QVERIFY(p.view()->isAnimating());
    p.view()->setAnimateEvents(false);
    QCOMPARE(p.view()->liveDotCount(), 0);
    QVERIFY(!p.view()->isAnimating());
    traffic();
    traffic();
    QCOMPARE(p.view()->liveDotCount(), 0);
    QVERIFY(!p.view()->isAnimating());
    p.view()->setAnimateEvents(true);
    traffic();
    QVERIFY(p.view()->liveDotCount() > 0);
    // hidden: the dots go and the timer stops; none come while it stays hidden
    p.page.hide();
    QCOMPARE(p.view()->liveDotCount(), 0);
    QVERIFY(!p.view()->isAnimating());
    traffic();
    QCOMPARE(p.view()->liveDotCount(), 0);
}

void TestTopologyView::relayoutKeepsOrderItemsAndSelection()
{
    TopologyPage page;
    page.resize(1000, 700);
    page.show();
    GraphView* view = page.view();
    Topo t(QStringLiteral("s:payment>c:payments c:orders>s:payment s:orders>c:orders"));
    page.update(t.state(), {}, {});
    QCOMPARE(page.relayoutCount(), 1);
    const QStringList nodesBefore = dotNodes(page.dot()), edgesBefore = dotEdges(page.dot());
    QCOMPARE(nodesBefore.size(), 4);
    QCOMPARE(edgesBefore.size(), 3);
    std::map<QString, const QGraphicsItem*> items;
    for (const QString& n : nodesBefore)
        items[n] = view->nodeItem(n);
    for (const QString& e : edgesBefore)
        items[e] = view->edgeItem(e.section(u'>', 0, 0), e.section(u'>', 1, 1));
    for (const auto& [name, item] : items)
        QVERIFY2(item, qPrintable(name));
    view->selectNode(QStringLiteral("s:payment"));
    QVERIFY(page.detailsText().contains(u"payment"));

    // a service whose name sorts first, so the snapshot lists it before the others
    Topo more(QStringLiteral("s:payment>c:payments c:orders>s:payment s:orders>c:orders c:orders>s:audit"));
    page.update(more.state(), {}, {});
    QTRY_COMPARE_WITH_TIMEOUT(page.relayoutCount(), 2, 3000);
    const QStringList nodesAfter = dotNodes(page.dot()), edgesAfter = dotEdges(page.dot());
    QCOMPARE(nodesAfter, nodesBefore + QStringList { QStringLiteral("s:audit") });
    QCOMPARE(edgesAfter, edgesBefore + QStringList { QStringLiteral("c:orders>s:audit") });
    // the same items, moved rather than made again; the selection stays
    for (const QString& n : nodesBefore)
        QVERIFY2(view->nodeItem(n) == items[n], qPrintable(n));
    for (const QString& e : edgesBefore)
        QVERIFY2(view->edgeItem(e.section(u'>', 0, 0), e.section(u'>', 1, 1)) == items[e], qPrintable(e));
    QVERIFY(view->nodeItem(QStringLiteral("s:audit")));
    QCOMPARE(view->selectedNode(), u"s:payment");
    QVERIFY(page.detailsText().startsWith(u"<b>payment</b>"));
    // they move in a short animation, then stand on the new layout
    QVERIFY(view->isMorphing());
    QTRY_VERIFY_WITH_TIMEOUT(!view->isMorphing(), 2000);
    const QRectF scene = view->scene()->sceneRect();
    for (const QString& n : nodesAfter)
        QVERIFY2(scene.contains(view->nodeItem(n)->sceneBoundingRect()), qPrintable(n));
    QCOMPARE(view->nodeItem(QStringLiteral("s:audit"))->opacity(), 1.0);
}

void TestTopologyView::relayoutKeepsTheUsersZoomAndPan()
{
    TopologyPage page;
    page.resize(800, 500);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    GraphView* view = page.view();
    Topo t(QStringLiteral("s:orders>c:orders c:orders>s:payment s:payment>c:payments"));
    page.update(t.state(), {}, {});
    // the wheel zooms in on the middle, about 8x: the graph is larger than the view both ways,
    // so that there is a pan to keep
    const QPointF middle = QPointF(view->viewport()->rect().center());
    for (int i = 0; i < 12; ++i) {
        QWheelEvent wheel(middle, view->viewport()->mapToGlobal(middle), QPoint(), QPoint(0, 120), Qt::NoButton,
            Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(view->viewport(), &wheel);
    }
    const QTransform zoomed = view->transform();
    QVERIFY(zoomed.m11() > 4);
    const QPointF centre = view->mapToScene(view->viewport()->rect().center());
    Topo more(QStringLiteral("s:orders>c:orders c:orders>s:payment s:payment>c:payments c:orders>s:audit"));
    page.update(more.state(), {}, {});
    QTRY_COMPARE_WITH_TIMEOUT(page.relayoutCount(), 2, 3000);
    QTRY_VERIFY_WITH_TIMEOUT(!view->isMorphing(), 2000);
    QCOMPARE(view->transform(), zoomed);
    const QPointF after = view->mapToScene(view->viewport()->rect().center());
    QVERIFY2(QLineF(centre, after).length() < 2,
        qPrintable(QStringLiteral("%1,%2 -> %3,%4").arg(centre.x()).arg(centre.y()).arg(after.x()).arg(after.y())));
    // F fits again
    QTest::keyClick(view, Qt::Key_F);
    QVERIFY(view->transform().m11() < zoomed.m11());
}

void TestTopologyView::nodesAppearingOneByOneMakeOneRelayout()
{
    TopologyPage page;
    page.show();
    QString spec = QStringLiteral("s:orders>c:orders");
    page.update(Topo(spec).state(), {}, {});
    QCOMPARE(page.relayoutCount(), 1);
    for (int i = 0; i < 5; ++i) {
        spec += QStringLiteral(" c:orders>s:consumer%1").arg(i);
        page.update(Topo(spec).state(), {}, {});
        QTest::qWait(40);
    }
    QCOMPARE(page.relayoutCount(), 1); // all within a second of the first layout
    QTRY_COMPARE_WITH_TIMEOUT(page.relayoutCount(), 2, 3000);
    QCOMPARE(page.nodeCount(), 7);
    for (int i = 0; i < 5; ++i)
        QVERIFY(page.view()->nodeNames().contains(QStringLiteral("s:consumer%1").arg(i)));
    QTest::qWait(TopologyPage::RelayoutIntervalMs + 200);
    QCOMPARE(page.relayoutCount(), 2);
}

void TestTopologyView::consumerLagBadges()
{
    TopologyPage page;
    page.show();
    Topo t(QStringLiteral("s:orders>c:orders c:orders>s:payment c:orders>s:shipping c:orders>s:audit"));
    t.set(QStringLiteral("c:orders>s:payment"), QStringLiteral("lag"), 400)
        .set(QStringLiteral("c:orders>s:payment"), QStringLiteral("members"), 3)
        .set(QStringLiteral("c:orders>s:shipping"), QStringLiteral("lag"), QJsonValue()) // a group, lag unknown
        .set(QStringLiteral("c:orders>s:audit"), QStringLiteral("lag"), 12'345);
    page.update(t.state(), {}, {});
    GraphView* view = page.view();
    QCOMPARE(view->edgeBadgeText(QStringLiteral("c:orders"), QStringLiteral("s:payment")), u"lag 400");
    QCOMPARE(view->edgeBadgeText(QStringLiteral("c:orders"), QStringLiteral("s:shipping")), QString());
    QCOMPARE(view->edgeBadgeText(QStringLiteral("c:orders"), QStringLiteral("s:audit")), u"lag 12k");
    QCOMPARE(view->edgeBadgeText(QStringLiteral("s:orders"), QStringLiteral("c:orders")), QString());
    // the details and the DOT say it too
    view->selectNode(QStringLiteral("s:payment"));
    QVERIFY2(page.detailsText().contains(u"lag 400 (3 members)"), qPrintable(page.detailsText()));
    QVERIFY(view->toDot().contains("lag 400"));
    // caught up: the badge says so; unknown again: it goes
    t.set(QStringLiteral("c:orders>s:payment"), QStringLiteral("lag"), 0);
    page.update(t.state(), {}, {});
    QCOMPARE(view->edgeBadgeText(QStringLiteral("c:orders"), QStringLiteral("s:payment")), u"lag 0");
    t.set(QStringLiteral("c:orders>s:payment"), QStringLiteral("lag"), QJsonValue());
    page.update(t.state(), {}, {});
    QCOMPARE(view->edgeBadgeText(QStringLiteral("c:orders"), QStringLiteral("s:payment")), QString());
}

void TestTopologyView::queueBadge_data()
{
    QTest::addColumn<int>("queue");
    QTest::addColumn<int>("held");
    QTest::addColumn<QString>("badge");
    QTest::newRow("idle") << 0 << 0 << QString();
    QTest::newRow("queue 120") << 120 << 0 << QStringLiteral("q 120");
    QTest::newRow("queue 1234") << 1234 << 0 << QStringLiteral("q 1.2k");
    QTest::newRow("held back too") << 5 << 30 << QStringLiteral("q 5 · lag 30");
    QTest::newRow("held back only") << 0 << 2'500'000 << QStringLiteral("lag 2.5M");
}

void TestTopologyView::queueBadge()
{
    QFETCH(int, queue);
    QFETCH(int, held);
    QFETCH(QString, badge);
    TopologyPage page;
    page.show();
    const QJsonObject services { { QStringLiteral("payment"),
                                     QJsonObject { { QStringLiteral("queue"), queue }, { QStringLiteral("lag"), held },
                                         { QStringLiteral("processed"), 10 }, { QStringLiteral("mean_latency_ms"), 4.2 },
                                         { QStringLiteral("duplicated"), 3 }, { QStringLiteral("taken"), 10 },
                                         { QStringLiteral("mean_lag_ms"), 12.5 } } },
        { QStringLiteral("orders"), QJsonObject { { QStringLiteral("queue"), 0 } } } };
    page.update(Topo(QStringLiteral("s:orders>c:orders c:orders>s:payment")).state(), services, {});
    QCOMPARE(page.view()->nodeBadgeText(QStringLiteral("s:payment")), badge);
    QCOMPARE(page.view()->nodeBadgeText(QStringLiteral("s:orders")), QString());
    QCOMPARE(page.view()->nodeBadgeText(QStringLiteral("c:orders")), QString());
    // the queue left the detail line for the badge; the latency stayed
    const QString detail = page.view()->nodeStyle(QStringLiteral("s:payment")).detail;
    QVERIFY2(detail.contains(u"4.2 ms") && !detail.contains(u"q "), qPrintable(detail));
    // orders handled nothing: no mean of nothing, what it emitted instead
    const QString ordersDetail = page.view()->nodeStyle(QStringLiteral("s:orders")).detail;
    QVERIFY2(ordersDetail.startsWith(u"emitted ") && !ordersDetail.contains(u"ms"), qPrintable(ordersDetail));
    page.view()->selectNode(QStringLiteral("s:payment"));
    const QString details = page.detailsText();
    QVERIFY2(details.contains(QStringLiteral("duplicated 3, queue %1, lag %2 (mean 12.50 ms)").arg(queue).arg(held)),
             qPrintable(details));
    // orders took nothing from the broker: no mean lag of nothing either
    page.view()->selectNode(QStringLiteral("s:orders"));
    QVERIFY2(page.detailsText().contains(u"lag 0 (mean \u2013)"), qPrintable(page.detailsText()));
}

void TestTopologyView::demoAnimatesUntilPaused()
{
    const FlowParseResult r
        = FlowFileParser::parseFile(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/shop.yaml"));
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    QSettings().remove(QStringLiteral("view/animateEvents"));
    MainWindow w;
    w.resize(1400, 900);
    w.show();
    QVERIFY(w.startSimulation(std::make_shared<const Flow>(*r.flow)));
    w.session()->setSpeed(20);
    GraphView* view = w.topologyPage()->view();
    QTRY_COMPARE_WITH_TIMEOUT(w.topologyPage()->nodeCount(), 8, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(view->liveDotCount() > 0, 10000);
    QVERIFY(view->isAnimating());
    // paused: the dots on their way arrive, no new ones leave, the timer stops
    w.session()->setPaused(true);
    QTRY_VERIFY_WITH_TIMEOUT(view->liveDotCount() == 0 && !view->isAnimating(), 3000);
    // View > Animate events: off, kept in the settings, and no dots when the stream runs again
    auto* animate = w.findChild<QAction*>(QStringLiteral("animateEvents"));
    QVERIFY(animate);
    QVERIFY(animate->isChecked());
    animate->trigger();
    QVERIFY(!view->animateEvents());
    QCOMPARE(QSettings().value(QStringLiteral("view/animateEvents")).toBool(), false);
    w.session()->setPaused(false);
    QTest::qWait(1500);
    QCOMPARE(view->liveDotCount(), 0);
    {
        MainWindow again; // a new window starts with animation off
        QVERIFY(!again.topologyPage()->view()->animateEvents());
    }
    animate->trigger();
    QVERIFY(view->animateEvents());
    QTRY_VERIFY_WITH_TIMEOUT(view->liveDotCount() > 0, 10000);
    QCOMPARE(QSettings().value(QStringLiteral("view/animateEvents")).toBool(), true);
}

QTEST_MAIN(TestTopologyView)
#include "tst_topologyview.moc"
