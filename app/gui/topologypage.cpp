// SPDX-License-Identifier: MIT
#include "topologypage.h"

#include "graphview.h"

#include <QJsonArray>
#include <QLabel>
#include <QSet>
#include <QVBoxLayout>

namespace FlowScope::Gui {

namespace {
QString rateText(double perSecond)
{
    if (perSecond >= 100)
        return QStringLiteral("%1/s").arg(perSecond, 0, 'f', 0);
    return QStringLiteral("%1/s").arg(perSecond, 0, 'f', 1);
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
}

void TopologyPage::update(const QJsonObject& state, const QJsonObject& services, const QJsonArray& faults)
{
    m_state = state;
    m_services = services;
    const QJsonObject topology = state.value(u"topology").toObject();
    const QJsonArray nodes = topology.value(u"nodes").toArray();
    const QJsonArray edges = topology.value(u"edges").toArray();

    // Relayout only when the graph's shape changes: positions stay put while numbers move.
    QByteArray shape;
    for (const QJsonValue& n : nodes)
        shape += n.toObject().value(u"kind").toString().toUtf8() + ':' + n.toObject().value(u"name").toString().toUtf8() + ';';
    for (const QJsonValue& e : edges)
        shape += e.toObject().value(u"from").toString().toUtf8() + '>' + e.toObject().value(u"to").toString().toUtf8() + ';';
    if (shape != m_shape) {
        m_shape = shape;
        QByteArray dot = "digraph G { rankdir=LR; nodesep=0.35; ranksep=0.7; node [fixedsize=true];\n";
        for (const QJsonValue& v : nodes) {
            const QJsonObject n = v.toObject();
            const bool service = n.value(u"kind").toString() == u"service";
            // services and channels share names ("orders"): prefix keeps them apart
            dot += dotId((service ? QStringLiteral("s:") : QStringLiteral("c:")) + n.value(u"name").toString())
                + (service ? " [shape=box width=2.0 height=0.62];\n" : " [shape=ellipse width=1.5 height=0.55];\n");
        }
        for (const QJsonValue& v : edges) {
            const QJsonObject e = v.toObject();
            const bool emits = e.value(u"kind").toString() == u"emits";
            dot += dotId((emits ? QStringLiteral("s:") : QStringLiteral("c:")) + e.value(u"from").toString()) + " -> "
                + dotId((emits ? QStringLiteral("c:") : QStringLiteral("s:")) + e.value(u"to").toString())
                + " [label=\"00000/s\"];\n";
        }
        dot += "}\n";
        m_view->setLayout(layoutDot(dot));
        m_nodeCount = int(nodes.size());
    }

    QSet<QString> faulted;
    for (const QJsonValue& f : faults) {
        const QJsonObject o = f.toObject();
        if (o.value(u"active").toBool())
            faulted.insert((o.value(u"target").toString() == u"service" ? QStringLiteral("s:") : QStringLiteral("c:"))
                           + o.value(u"name").toString());
    }
    for (const QJsonValue& v : nodes) {
        const QJsonObject n = v.toObject();
        const bool service = n.value(u"kind").toString() == u"service";
        const QString name = n.value(u"name").toString();
        const QString key = (service ? QStringLiteral("s:") : QStringLiteral("c:")) + name;
        GraphView::NodeStyle style;
        style.title = name;
        style.ellipse = !service;
        style.fill = service ? QColor(0xE8, 0xF0, 0xFB) : QColor(0xF3, 0xEE, 0xE2);
        style.dashed = !n.value(u"observed").toBool() || !n.value(u"declared").toBool();
        const QJsonObject stats = services.value(name).toObject();
        if (service && !stats.isEmpty()) {
            const qint64 queue = stats.value(u"queue").toInteger() + stats.value(u"lag").toInteger();
            style.detail = QStringLiteral("q %1 · %2 ms").arg(queue).arg(stats.value(u"mean_latency_ms").toDouble(), 0, 'f', 1);
            if (queue > 100)
                style.fill = QColor(0xFB, 0xE9, 0xC8);
        } else {
            style.detail = QStringLiteral("%1 events").arg(n.value(u"events").toInteger());
        }
        if (faulted.contains(key)) {
            style.fill = QColor(0xF6, 0xC9, 0xC4);
            style.border = QColor(0xC6, 0x3B, 0x31);
            style.detail = tr("FAULT") + QStringLiteral(" · ") + style.detail;
        }
        m_view->setNodeStyle(key, style);
    }
    for (const QJsonValue& v : edges) {
        const QJsonObject e = v.toObject();
        const bool emits = e.value(u"kind").toString() == u"emits";
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
        m_view->setEdgeStyle((emits ? QStringLiteral("s:") : QStringLiteral("c:")) + e.value(u"from").toString(),
                             (emits ? QStringLiteral("c:") : QStringLiteral("s:")) + e.value(u"to").toString(), style);
    }
    if (!m_view->selectedNode().isEmpty())
        showDetails();
}

void TopologyPage::showDetails()
{
    const QString key = m_view->selectedNode();
    const QString name = key.mid(2);
    const bool service = key.startsWith(u"s:");
    QString html = QStringLiteral("<b>%1</b> (%2)").arg(name.toHtmlEscaped(), service ? tr("service") : tr("channel"));
    const QJsonArray edges = m_state.value(u"topology").toObject().value(u"edges").toArray();
    for (const QJsonValue& v : edges) {
        const QJsonObject e = v.toObject();
        if (e.value(u"from").toString() != name && e.value(u"to").toString() != name)
            continue;
        html += QStringLiteral("<br>%1 → %2: %3 events, %4 errors, %5 (1 s) %6 (60 s)")
                    .arg(e.value(u"from").toString().toHtmlEscaped(), e.value(u"to").toString().toHtmlEscaped())
                    .arg(e.value(u"count").toInteger())
                    .arg(e.value(u"errors").toInteger())
                    .arg(rateText(e.value(u"rate_1s").toDouble()), rateText(e.value(u"rate_60s").toDouble()));
    }
    const QJsonObject stats = m_services.value(name).toObject();
    if (service && !stats.isEmpty())
        html += QStringLiteral("<br>processed %1, failed %2, retries %3, dead-lettered %4, dropped %5, max queue %6, "
                               "mean latency %7 ms")
                    .arg(stats.value(u"processed").toInteger())
                    .arg(stats.value(u"failed").toInteger())
                    .arg(stats.value(u"retries").toInteger())
                    .arg(stats.value(u"dead_lettered").toInteger())
                    .arg(stats.value(u"dropped").toInteger())
                    .arg(stats.value(u"max_queue").toInteger())
                    .arg(stats.value(u"mean_latency_ms").toDouble(), 0, 'f', 2);
    m_details->setText(html);
}

} // namespace FlowScope::Gui
