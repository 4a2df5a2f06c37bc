// SPDX-License-Identifier: MIT
#include "topologypage.h"

#include "faultspage.h"
#include "graphview.h"

#include <eventfilter.h>
#include <recording.h>
#include <timeformat.h>

#include <QLabel>
#include <QStringList>
#include <QVBoxLayout>

#include <utility>

namespace FlowScope::Gui {

namespace {
QString rateText(double perSecond)
{
    if (perSecond >= 100)
        return QStringLiteral("%1/s").arg(perSecond, 0, 'f', 0);
    return QStringLiteral("%1/s").arg(perSecond, 0, 'f', 1);
}

// 400, 1.2k, 35k, 2.4M: a badge stays small
QString compactCount(qint64 n)
{
    if (n < 1000)
        return QString::number(n);
    if (n < 9950)
        return QString::number(double(n) / 1e3, 'f', 1) + u'k';
    if (n < 999'500)
        return QString::number(double(n) / 1e3, 'f', 0) + u'k';
    if (n < 9'950'000)
        return QString::number(double(n) / 1e6, 'f', 1) + u'M';
    return QString::number(double(n) / 1e6, 'f', 0) + u'M';
}

// green -> amber -> red with the share of errors
QColor errorColor(double share)
{
    if (share <= 0.001)
        return QColor(0x4C, 0x8B, 0x5A);
    if (share < 0.05)
        return QColor(0xC9, 0x8A, 0x1B);
    return QColor(0xC6, 0x3B, 0x31);
}

// Badges: grey when nothing waits, amber when something does, red when it piles up.
QColor idleBadge() { return QColor(0x6B, 0x72, 0x7C); }
QColor waitingBadge() { return QColor(0xF2, 0xB1, 0x3C); }
QColor piledUpBadge() { return QColor(0xC6, 0x3B, 0x31); }
constexpr qint64 LargeQueue = 100; // the node's fill turns amber there too
constexpr qint64 LargeLag = 1000;

QString nodeKey(bool service, const QString& name)
{
    return (service ? QStringLiteral("s:") : QStringLiteral("c:")) + name;
}

// the view keys of an edge's ends: services and channels share names ("orders")
std::pair<QString, QString> edgeEnds(const QJsonObject& e)
{
    const bool emits = e.value(u"kind").toString() == u"emits";
    return { nodeKey(emits, e.value(u"from").toString()), nodeKey(!emits, e.value(u"to").toString()) };
}
} // namespace

TopologyPage::TopologyPage(QWidget* parent)
    : QWidget(parent)
    , m_view(new GraphView(this))
    , m_details(new QLabel(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view, 1);
    m_details->setTextFormat(Qt::RichText);
    m_details->setWordWrap(true);
    m_details->setMargin(6);
    m_details->setText(tr("Click a service or channel for its rates and errors. Wheel: zoom, drag: pan, F: fit."));
    layout->addWidget(m_details);
    connect(m_view, &GraphView::nodeSelected, this, &TopologyPage::showDetails);
    m_relayoutTimer.setSingleShot(true);
    connect(&m_relayoutTimer, &QTimer::timeout, this, [this] {
        relayout();
        applyStyles(false); // the nodes that just got a place get their looks
    });
}

QByteArray TopologyPage::dotFor(const QJsonArray& nodes, const QJsonArray& edges)
{
    // Everything in the order first seen, whatever order the snapshot lists it in (by name):
    // a new node then comes last in the DOT and dot leaves the others much where they were.
    QSet<QString> present;
    for (const QJsonValue& v : nodes) {
        const QJsonObject n = v.toObject();
        const QString key = nodeKey(n.value(u"kind").toString() == u"service", n.value(u"name").toString());
        present.insert(key);
        if (!m_seenNodes.contains(key)) {
            m_seenNodes.insert(key);
            m_nodeOrder.append(key);
        }
    }
    QSet<QString> lagged; // edges with group facts: room for a lag badge under the rate
    for (const QJsonValue& v : edges) {
        const auto [from, to] = edgeEnds(v.toObject());
        const QString key = from + u'\n' + to;
        present.insert(key);
        if (v.toObject().contains(u"lag"))
            lagged.insert(key);
        if (!m_seenEdges.contains(key)) {
            m_seenEdges.insert(key);
            m_edgeOrder.append(key);
        }
    }
    QByteArray dot = "digraph G { rankdir=LR; nodesep=0.35; ranksep=0.7; node [fixedsize=true];\n";
    for (const QString& key : std::as_const(m_nodeOrder))
        if (present.contains(key))
            dot += dotId(key)
                + (key.startsWith(u"s:") ? " [shape=box width=2.0 height=0.62];\n"
                                         : " [shape=ellipse width=1.5 height=0.55];\n");
    for (const QString& key : std::as_const(m_edgeOrder))
        if (present.contains(key))
            dot += dotId(key.section(u'\n', 0, 0)) + " -> " + dotId(key.section(u'\n', 1, 1))
                + (lagged.contains(key) ? " [label=\"00000/s\\nlag 0000\"];\n" : " [label=\"00000/s\"];\n");
    dot += "}\n";
    return dot;
}

void TopologyPage::update(const QJsonObject& state, const QJsonObject& services, const QJsonArray& faults)
{
    m_state = state;
    m_services = services;
    m_faults = faults;
    const QJsonObject topology = state.value(u"topology").toObject();
    const QJsonArray nodes = topology.value(u"nodes").toArray();

    // Relayout only when the graph's shape changes: positions stay put while numbers move. Nodes
    // that appear one by one (a stream's first seconds) make one relayout a second at most.
    const QByteArray shape = dotFor(nodes, topology.value(u"edges").toArray());
    if (shape == m_shape) {
        m_relayoutTimer.stop(); // back to what is shown (a seek)
    } else {
        m_pendingShape = shape;
        m_pendingNodeCount = int(nodes.size());
        if (!m_sinceLayout.isValid() || m_sinceLayout.elapsed() >= RelayoutIntervalMs)
            relayout();
        else if (!m_relayoutTimer.isActive())
            m_relayoutTimer.start(int(RelayoutIntervalMs - m_sinceLayout.elapsed()));
    }
    applyStyles(true);
}

void TopologyPage::relayout()
{
    m_relayoutTimer.stop();
    m_shape = m_pendingShape;
    m_view->setLayout(layoutDot(m_shape));
    m_nodeCount = m_pendingNodeCount;
    ++m_relayouts;
    m_sinceLayout.restart();
}

// The active faults on a node, each as what it does ("down", "slow 3x", "drop 10 %"). A
// broker-wide one (an outage, or `broker: all` with drop, duplicate or delay) is on every
// channel: there is no node for the broker itself.
QStringList TopologyPage::activeFaultsOn(const QString& key) const
{
    QStringList faults;
    for (const QJsonValue& f : std::as_const(m_faults)) {
        const QJsonObject o = f.toObject();
        if (!o.value(u"active").toBool())
            continue;
        const QString target = o.value(u"target").toString();
        const bool on = target == u"broker" ? key.startsWith(u"c:")
                                            : key == nodeKey(target == u"service", o.value(u"name").toString());
        if (!on)
            continue;
        const QString strength = FaultsPage::strengthOf(o);
        const QString what = o.value(u"kind").toString() + (strength.isEmpty() ? QString() : u' ' + strength);
        faults.append(target == u"broker" ? tr("broker %1").arg(what) : what);
    }
    return faults;
}

void TopologyPage::applyStyles(bool traffic)
{
    const QJsonObject topology = m_state.value(u"topology").toObject();
    for (const QJsonValue& v : topology.value(u"nodes").toArray()) {
        const QJsonObject n = v.toObject();
        const bool service = n.value(u"kind").toString() == u"service";
        const QString name = n.value(u"name").toString();
        const QString key = nodeKey(service, name);
        GraphView::NodeStyle style;
        style.title = name;
        style.ellipse = !service;
        style.fill = service ? QColor(0xE8, 0xF0, 0xFB) : QColor(0xF3, 0xEE, 0xE2);
        style.dashed = !n.value(u"observed").toBool() || !n.value(u"declared").toBool();
        const QJsonObject stats = m_services.value(name).toObject();
        if (service && !stats.isEmpty()) {
            // the queue (and what the broker holds back for it) in a badge; latency stays
            const qint64 queue = stats.value(u"queue").toInteger(), held = stats.value(u"lag").toInteger();
            // no mean of nothing: a service that handled no event yet (or only emits) shows its events
            style.detail = stats.value(u"processed").toInteger() > 0
                ? tr("mean %1 ms").arg(stats.value(u"mean_latency_ms").toDouble(), 0, 'f', 1)
                : tr("emitted %1").arg(n.value(u"events").toInteger());
            QStringList badge;
            if (queue > 0)
                badge.append(QStringLiteral("q ") + compactCount(queue));
            if (held > 0)
                badge.append(QStringLiteral("lag ") + compactCount(held));
            style.badge = badge.join(QStringLiteral(" · "));
            style.badgeColor = queue >= LargeQueue || held >= LargeLag ? piledUpBadge() : waitingBadge();
            if (queue + held > LargeQueue)
                style.fill = QColor(0xFB, 0xE9, 0xC8);
        } else {
            style.detail = tr("%1 events").arg(n.value(u"events").toInteger());
        }
        if (const QStringList faults = activeFaultsOn(key); !faults.isEmpty()) {
            style.fill = QColor(0xF6, 0xC9, 0xC4);
            style.border = QColor(0xC6, 0x3B, 0x31);
            // what the fault is comes first: the red already says there is one
            style.detail = faults.join(QStringLiteral(", ")) + QStringLiteral(" · ") + style.detail;
        }
        m_view->setNodeStyle(key, style);
    }
    for (const QJsonValue& v : topology.value(u"edges").toArray()) {
        const QJsonObject e = v.toObject();
        const auto [from, to] = edgeEnds(e);
        GraphView::EdgeStyle style;
        const qint64 count = e.value(u"count").toInteger();
        const double errors = count ? double(e.value(u"errors").toInteger()) / double(count) : 0;
        style.color = errorColor(errors);
        style.label = rateText(e.value(u"rate_10s").toDouble());
        style.dashed = !e.value(u"observed").toBool() || !e.value(u"declared").toBool();
        if (!e.value(u"observed").toBool())
            style.color = QColor(0xA0, 0xA4, 0xAA);
        else if (!e.value(u"declared").toBool())
            style.color = QColor(0xE0, 0x7B, 0x1A);
        style.width = 1.0 + std::min(3.0, e.value(u"rate_10s").toDouble() / 100.0);
        // a consumer group's lag, when a group watcher reported it (null: unknown)
        if (const QJsonValue lag = e.value(u"lag"); lag.isDouble()) {
            style.badge = QStringLiteral("lag ") + compactCount(lag.toInteger());
            const qint64 n = lag.toInteger();
            style.badgeColor = n <= 0 ? idleBadge() : n < LargeLag ? waitingBadge() : piledUpBadge();
        }
        m_view->setEdgeStyle(from, to, style);
        if (traffic) {
            // only events that crossed since the last update make dots: none while paused
            const QString key = from + u'\n' + to;
            const qint64 before = m_edgeCounts.value(key, -1);
            m_edgeCounts.insert(key, count);
            if (before >= 0 && count > before) {
                const double rate1 = e.value(u"rate_1s").toDouble();
                m_view->addTraffic(from, to, count - before, rate1 > 0 ? rate1 : e.value(u"rate_10s").toDouble());
            }
        }
    }
    if (!m_view->selectedNode().isEmpty())
        showDetails();
}

QString TopologyPage::detailsText() const { return m_details->text(); }

void TopologyPage::showDetails()
{
    const QString key = m_view->selectedNode();
    if (key.isEmpty())
        return;
    const QString name = key.mid(2);
    const bool service = key.startsWith(u"s:");
    QString html = QStringLiteral("<b>%1</b> (%2)").arg(name.toHtmlEscaped(), service ? tr("service") : tr("channel"));
    if (const QStringList faults = activeFaultsOn(key); !faults.isEmpty())
        html += QStringLiteral("<br><span style=\"color:#C63B31\">%1</span>")
                    .arg(tr("fault: %1").arg(faults.join(QStringLiteral(", "))).toHtmlEscaped());
    const QJsonArray edges = m_state.value(u"topology").toObject().value(u"edges").toArray();
    for (const QJsonValue& v : edges) {
        const QJsonObject e = v.toObject();
        const auto [from, to] = edgeEnds(e);
        if (from != key && to != key)
            continue;
        html += QStringLiteral("<br>%1 → %2: %3 events, %4 errors, %5 (1 s) %6 (60 s)")
                    .arg(e.value(u"from").toString().toHtmlEscaped(), e.value(u"to").toString().toHtmlEscaped())
                    .arg(e.value(u"count").toInteger())
                    .arg(e.value(u"errors").toInteger())
                    .arg(rateText(e.value(u"rate_1s").toDouble()), rateText(e.value(u"rate_60s").toDouble()));
        if (const QJsonValue lag = e.value(u"lag"); lag.isDouble()) {
            html += tr(", lag %1").arg(lag.toInteger());
            if (const QJsonValue members = e.value(u"members"); members.isDouble())
                html += tr(" (%1 members)").arg(members.toInt());
        }
    }
    const QJsonObject stats = m_services.value(name).toObject();
    if (service && !stats.isEmpty())
        html += QStringLiteral("<br>processed %1, failed %2, retries %3, dead-lettered %4, dropped %5, duplicated %6, "
                               "queue %7, lag %8 (mean %11), max queue %9, mean latency %10")
                    .arg(stats.value(u"processed").toInteger())
                    .arg(stats.value(u"failed").toInteger())
                    .arg(stats.value(u"retries").toInteger())
                    .arg(stats.value(u"dead_lettered").toInteger())
                    .arg(stats.value(u"dropped").toInteger())
                    .arg(stats.value(u"duplicated").toInteger())
                    .arg(stats.value(u"queue").toInteger())
                    .arg(stats.value(u"lag").toInteger())
                    .arg(stats.value(u"max_queue").toInteger())
                    .arg(stats.value(u"processed").toInteger() > 0
                            ? QString::number(stats.value(u"mean_latency_ms").toDouble(), 'f', 2) + u" ms"
                            : QStringLiteral("\u2013")) // no mean of nothing
                    .arg(stats.value(u"taken").toInteger() > 0
                            ? QString::number(stats.value(u"mean_lag_ms").toDouble(), 'f', 2) + u" ms"
                            : QStringLiteral("\u2013")); // nothing taken from the broker yet
    html += latestEventsHtml(key);
    m_details->setText(html);
}

TopologyPage::~TopologyPage() = default;

void TopologyPage::setRecording(const QString& path)
{
    m_recording.reset();
    m_latestKey.clear();
    if (!path.isEmpty()) {
        QString error;
        m_recording = Recording::open(path, &error); // the session opened it first: it reports errors
    }
}

QString TopologyPage::latestEventsHtml(const QString& key)
{
    if (!m_recording)
        return {};
    if (key == m_latestKey && m_latestAge.isValid() && m_latestAge.elapsed() < 1000)
        return m_latestHtml;
    m_latestKey = key;
    m_latestAge.start();
    // the newest events a service emitted or a channel carried, among the last 20 000 recorded
    // up to the position (a replay has not reached those after it; a scan of a few
    // milliseconds, however long the recording)
    EventFilter filter;
    (key.startsWith(u"s:") ? filter.source : filter.channel) = key.mid(2);
    const qint64 position = m_state.value(u"last_seq").toInteger(-1);
    const qint64 last = position >= 0 ? std::min(m_recording->eventCount(), position) : m_recording->eventCount();
    QList<qint64> seqs;
    QString error;
    if (!m_recording->matchingSeqs(filter, std::max<qint64>(0, last - 20000), last, 20000, &seqs, &error))
        return m_latestHtml = QStringLiteral("<br>") + error.toHtmlEscaped();
    seqs = seqs.mid(std::max<qsizetype>(0, seqs.size() - LatestEvents));
    QStringList lines;
    m_recording->readSeqs(seqs, [&](Event&& e) {
        lines.prepend(QStringLiteral("%1 %2 (seq %3)")
                          .arg(e.time != NoTime ? TimeFormat::toRfc3339String(e.time) : tr("no time"),
                               QString::fromUtf8(e.type).toHtmlEscaped())
                          .arg(e.seq));
        return true;
    }, &error);
    m_latestHtml = lines.isEmpty() ? tr("<br>No event in the last 20,000 recorded.")
                                   : tr("<br><b>Latest events</b>") + QStringLiteral("<br>") + lines.join(QStringLiteral("<br>"));
    return m_latestHtml;
}

} // namespace FlowScope::Gui
