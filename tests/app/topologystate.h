// SPDX-License-Identifier: MIT
// The topology pane without an engine: a snapshot's topology written from its edges, and a shown
// page on a clock the caller moves. tst_topologyview uses them for exact counts;
// flowscope-guibench --frames for the cost of a frame full of dots.
#pragma once

#include <gui/graphview.h>
#include <gui/topologypage.h>

#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <algorithm>
#include <functional>
#include <map>
#include <utility>

namespace FlowScope::Tests {

// A topology as the engine's snapshot gives it, from its edges: "s:orders>c:orders
// c:orders>s:payment" (s: a service, c: a channel; a service's edge emits, a channel's
// consumes). Every edge starts observed and declared, with no events; set() changes a field.
class TopologyState {
public:
    explicit TopologyState(const QString& spec)
    {
        for (const QString& e : spec.split(u' ', Qt::SkipEmptyParts)) {
            const QString from = e.section(u'>', 0, 0), to = e.section(u'>', 1, 1);
            m_nodes.insert({ from, 0 });
            m_nodes.insert({ to, 0 });
            m_edges[e] = QJsonObject { { QStringLiteral("from"), from.mid(2) }, { QStringLiteral("to"), to.mid(2) },
                { QStringLiteral("kind"),
                    from.startsWith(u"s:") ? QStringLiteral("emits") : QStringLiteral("consumes") },
                { QStringLiteral("count"), 0 }, { QStringLiteral("errors"), 0 }, { QStringLiteral("declared"), true },
                { QStringLiteral("observed"), true }, { QStringLiteral("rate_1s"), 0.0 },
                { QStringLiteral("rate_10s"), 0.0 }, { QStringLiteral("rate_60s"), 0.0 } };
        }
    }
    TopologyState& set(const QString& edge, const QString& field, const QJsonValue& value)
    {
        Q_ASSERT(m_edges.count(edge));
        m_edges[edge].insert(field, value);
        return *this;
    }
    // events crossing an edge: its count grows, at this rate
    TopologyState& flow(const QString& edge, qint64 count, double rate)
    {
        return set(edge, QStringLiteral("count"), count)
            .set(edge, QStringLiteral("rate_1s"), rate)
            .set(edge, QStringLiteral("rate_10s"), rate);
    }
    QJsonObject state() const
    {
        // listed as the engine lists them: services, then channels, each by name
        QList<QString> keys;
        for (const auto& [key, unused] : m_nodes)
            keys.append(key);
        std::sort(keys.begin(), keys.end(), [](const QString& a, const QString& b) {
            return std::pair(!a.startsWith(u"s:"), a.mid(2)) < std::pair(!b.startsWith(u"s:"), b.mid(2));
        });
        QJsonArray nodes, edges;
        for (const QString& key : keys)
            nodes.append(QJsonObject { { QStringLiteral("name"), key.mid(2) },
                { QStringLiteral("kind"),
                    key.startsWith(u"s:") ? QStringLiteral("service") : QStringLiteral("channel") },
                { QStringLiteral("declared"), true }, { QStringLiteral("observed"), true },
                { QStringLiteral("events"), 0 } });
        for (const auto& [key, e] : m_edges)
            edges.append(e);
        return { { QStringLiteral("topology"),
            QJsonObject { { QStringLiteral("nodes"), nodes }, { QStringLiteral("edges"), edges } } } };
    }

private:
    std::map<QString, int> m_nodes;
    std::map<QString, QJsonObject> m_edges;
};

// A shown page on a clock the caller moves: the animation goes only as far as the caller says.
struct TopologyPageOnAClock {
    Gui::TopologyPage page;
    qint64 now = 1000;
    TopologyPageOnAClock()
    {
        page.resize(1000, 700);
        page.show();
        page.view()->setTimeSource([this] { return now; });
    }
    Gui::GraphView* view() const { return page.view(); }
    void update(const TopologyState& t, const QJsonObject& services = {}) { page.update(t.state(), services, {}); }
    // frames 33 ms apart until `ms` have passed
    void run(int ms)
    {
        for (int t = 0; t < ms; t += Gui::GraphView::FrameMs) {
            now += Gui::GraphView::FrameMs;
            view()->advanceAnimation();
        }
    }
};

// 80 services, each emitting into a channel of its own at a million events a second: five dots
// an edge a second, 400 a second in all, more than GraphView::MaxDots. Each update() is `seconds`
// more of that traffic (the caller moves the clock).
class DotTraffic {
public:
    DotTraffic()
        : m_state(edges().join(u' '))
    {
    }
    void update(TopologyPageOnAClock& p, double seconds = 1)
    {
        m_count += qint64(1e6 * seconds);
        for (const QString& e : edges())
            m_state.flow(e, m_count, 1e6);
        p.update(m_state);
    }

private:
    static QStringList edges()
    {
        QStringList spec;
        for (int i = 0; i < 80; ++i)
            spec.append(QStringLiteral("s:svc%1>c:ch%1").arg(i));
        return spec;
    }
    TopologyState m_state;
    qint64 m_count = 0;
};

// The page filled with dots: 40 seconds of DotTraffic, some frames between the updates.
// `afterEachUpdate` runs after each of the 40.
inline void fillWithDots(TopologyPageOnAClock& p, DotTraffic& traffic, const std::function<void()>& afterEachUpdate = {})
{
    for (int update = 0; update < 40; ++update) {
        if (update % 4 == 3)
            p.run(100); // some arrive, making room
        traffic.update(p);
        p.now += 1000;
        if (afterEachUpdate)
            afterEachUpdate();
    }
}

} // namespace FlowScope::Tests
