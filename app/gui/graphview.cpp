// SPDX-License-Identifier: MIT
#include "graphview.h"

#include <QGraphicsItem>
#include <QGraphicsPathItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QKeyEvent>
#include <QPainter>
#include <QWheelEvent>

#include <cmath>

namespace FlowScope::Gui {

class GraphNodeItem : public QGraphicsItem {
public:
    explicit GraphNodeItem(const GraphLayout::Node& node)
        : m_name(node.name)
        , m_rect(node.rect)
    {
        m_style.title = node.name;
        setToolTip(node.name);
    }
    QRectF boundingRect() const override { return m_rect.adjusted(-4, -4, 4, 4); }
    void setStyle(const GraphView::NodeStyle& s)
    {
        m_style = s;
        update();
    }
    void setSelectedNode(bool on)
    {
        m_selectedNode = on;
        update();
    }
    const QString& name() const { return m_name; }
    const GraphView::NodeStyle& style() const { return m_style; }

    void paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) override
    {
        p->setRenderHint(QPainter::Antialiasing);
        QPen pen(m_selectedNode ? QColor(0x1F, 0x6F, 0xEB) : m_style.border, m_selectedNode ? 2.5 : 1.3);
        if (m_style.dashed)
            pen.setStyle(Qt::DashLine);
        p->setPen(pen);
        p->setBrush(m_style.fill);
        if (m_style.ellipse)
            p->drawEllipse(m_rect);
        else
            p->drawRoundedRect(m_rect, 6, 6);
        if (m_style.doubleBorder) {
            const QRectF inner = m_rect.adjusted(3, 3, -3, -3);
            p->setBrush(Qt::NoBrush);
            if (m_style.ellipse)
                p->drawEllipse(inner);
            else
                p->drawRoundedRect(inner, 4, 4);
        }
        p->setPen(QColor(0x1B, 0x1F, 0x24));
        QFont f = p->font();
        f.setPointSizeF(9.5);
        f.setBold(true);
        p->setFont(f);
        const bool twoLines = !m_style.detail.isEmpty();
        QRectF titleRect = m_rect;
        if (twoLines)
            titleRect.setBottom(m_rect.center().y() + 2);
        p->drawText(titleRect, Qt::AlignHCenter | (twoLines ? Qt::AlignBottom : Qt::AlignVCenter), m_style.title);
        if (twoLines) {
            f.setBold(false);
            f.setPointSizeF(8.5);
            p->setFont(f);
            p->setPen(QColor(0x40, 0x46, 0x50));
            QRectF detailRect = m_rect;
            detailRect.setTop(m_rect.center().y() + 3);
            p->drawText(detailRect, Qt::AlignHCenter | Qt::AlignTop, m_style.detail);
        }
    }

private:
    QString m_name;
    QRectF m_rect;
    GraphView::NodeStyle m_style;
    bool m_selectedNode = false;
};

GraphView::GraphView(QWidget* parent)
    : QGraphicsView(parent)
{
    setScene(new QGraphicsScene(this));
    setRenderHint(QPainter::Antialiasing);
    setDragMode(QGraphicsView::ScrollHandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setBackgroundBrush(QColor(0xFF, 0xFF, 0xFF));
    setFocusPolicy(Qt::StrongFocus);
}

void GraphView::setLayout(const GraphLayout& layout)
{
    scene()->clear();
    m_nodes.clear();
    m_edges.clear();
    for (const GraphLayout::Edge& e : layout.edges) {
        if (e.path.size() < 2)
            continue;
        // dot's splines: start point, then groups of three control points
        QPainterPath path(e.path.first());
        for (qsizetype i = 1; i + 2 < e.path.size(); i += 3)
            path.cubicTo(e.path[i], e.path[i + 1], e.path[i + 2]);
        EdgeItems items;
        items.line = scene()->addPath(path);
        items.line->setZValue(0);
        // an arrowhead pointing along the last segment
        const QPointF tip = e.path.last(), from = e.path[e.path.size() - 2];
        const double angle = std::atan2(tip.y() - from.y(), tip.x() - from.x());
        QPainterPath head(tip);
        head.lineTo(tip - QPointF(9 * std::cos(angle - 0.4), 9 * std::sin(angle - 0.4)));
        head.lineTo(tip - QPointF(9 * std::cos(angle + 0.4), 9 * std::sin(angle + 0.4)));
        head.closeSubpath();
        items.head = scene()->addPath(head);
        items.label = scene()->addSimpleText(QString());
        items.label->setZValue(2);
        items.labelPos = e.hasLabel ? e.labelPos : path.pointAtPercent(0.5);
        m_edges.insert(e.from + u'\n' + e.to, items);
        setEdgeStyle(e.from, e.to, EdgeStyle {});
    }
    for (const GraphLayout::Node& n : layout.nodes) {
        auto* item = new GraphNodeItem(n);
        item->setZValue(1);
        scene()->addItem(item);
        m_nodes.insert(n.name, item);
    }
    scene()->setSceneRect(QRectF(QPointF(0, 0), layout.size).adjusted(-20, -20, 20, 20));
    if (!m_userZoomed)
        fit();
}

void GraphView::setNodeStyle(const QString& node, const NodeStyle& style)
{
    if (GraphNodeItem* item = m_nodes.value(node))
        item->setStyle(style);
}

GraphView::NodeStyle GraphView::nodeStyle(const QString& node) const
{
    const GraphNodeItem* item = m_nodes.value(node);
    return item ? item->style() : NodeStyle {};
}

void GraphView::setEdgeStyle(const QString& from, const QString& to, const EdgeStyle& style)
{
    const auto it = m_edges.find(from + u'\n' + to);
    if (it == m_edges.end())
        return;
    QPen pen(style.color, style.width);
    if (style.dashed)
        pen.setStyle(Qt::DashLine);
    it->line->setPen(pen);
    it->head->setPen(QPen(style.color, 1));
    it->head->setBrush(style.color);
    it->label->setText(style.label);
    it->label->setBrush(QColor(0x30, 0x36, 0x40));
    QFont f = it->label->font();
    f.setPointSizeF(8);
    it->label->setFont(f);
    const QRectF r = it->label->boundingRect();
    it->label->setPos(it->labelPos - QPointF(r.width() / 2, r.height() / 2));
}

void GraphView::fit()
{
    fitInView(scene()->sceneRect(), Qt::KeepAspectRatio);
    // never blow small graphs up beyond their natural size
    if (transform().m11() > 1.6)
        setTransform(QTransform::fromScale(1.6, 1.6));
}

void GraphView::wheelEvent(QWheelEvent* event)
{
    const double factor = std::pow(1.0015, event->angleDelta().y());
    scale(factor, factor);
    m_userZoomed = true;
}

void GraphView::keyPressEvent(QKeyEvent* event)
{
    if (event->key() == Qt::Key_F) {
        m_userZoomed = false;
        fit();
        return;
    }
    QGraphicsView::keyPressEvent(event);
}

void GraphView::mousePressEvent(QMouseEvent* event)
{
    for (QGraphicsItem* item : items(event->pos())) {
        if (auto* node = dynamic_cast<GraphNodeItem*>(item)) {
            for (GraphNodeItem* n : std::as_const(m_nodes))
                n->setSelectedNode(n == node);
            m_selected = node->name();
            Q_EMIT nodeSelected(m_selected);
            break;
        }
    }
    QGraphicsView::mousePressEvent(event);
}

void GraphView::resizeEvent(QResizeEvent* event)
{
    QGraphicsView::resizeEvent(event);
    if (!m_userZoomed)
        fit();
}

} // namespace FlowScope::Gui
