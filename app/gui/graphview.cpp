// SPDX-License-Identifier: MIT
#include "graphview.h"

#include "theme.h"

#include <QFileInfo>
#include <QGraphicsItem>
#include <QGraphicsPathItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QKeyEvent>
#include <QPainter>
#include <QSaveFile>
#include <QSvgGenerator>
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
        if (m_style.point) {
            p->setPen(Qt::NoPen);
            p->setBrush(m_style.border);
            const double r = std::min(m_rect.width(), m_rect.height()) / 2;
            p->drawEllipse(m_rect.center(), r, r);
            return;
        }
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
    setFocusPolicy(Qt::StrongFocus);
    applyPalette();
}

QColor GraphView::background() const
{
    // white paper in the light theme; the palette's base in the dark one (nodes keep their
    // light fills and dark text, which read well on both)
    return Theme::isDark(palette()) ? palette().color(QPalette::Base) : QColor(0xFF, 0xFF, 0xFF);
}

void GraphView::applyPalette()
{
    setBackgroundBrush(background());
    for (EdgeItems& e : m_edges)
        applyEdgeStyle(e);
}

void GraphView::changeEvent(QEvent* event)
{
    QGraphicsView::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange)
        applyPalette();
}

void GraphView::setLayout(const GraphLayout& layout)
{
    scene()->clear();
    m_nodes.clear();
    m_edges.clear();
    m_nodeOrder.clear();
    m_edgeOrder.clear();
    m_layoutError = layout.error;
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
        items.from = e.from;
        items.to = e.to;
        m_edges.insert(e.from + u'\n' + e.to, items);
        m_edgeOrder.append(e.from + u'\n' + e.to);
        setEdgeStyle(e.from, e.to, EdgeStyle {});
    }
    for (const GraphLayout::Node& n : layout.nodes) {
        auto* item = new GraphNodeItem(n);
        item->setZValue(1);
        scene()->addItem(item);
        m_nodes.insert(n.name, item);
        m_nodeOrder.append(n.name);
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
    it->style = style;
    applyEdgeStyle(*it);
}

void GraphView::applyEdgeStyle(EdgeItems& items)
{
    const EdgeStyle& style = items.style;
    QColor color = style.color;
    const bool dark = Theme::isDark(palette());
    if (dark && color.lightness() < 150) // dark greys and greens would sink into the background
        color = color.lighter(150);
    QPen pen(color, style.width);
    if (style.dashed)
        pen.setStyle(Qt::DashLine);
    items.line->setPen(pen);
    items.head->setPen(QPen(color, 1));
    items.head->setBrush(color);
    items.label->setText(style.label);
    items.label->setBrush(dark ? palette().color(QPalette::Text) : QColor(0x30, 0x36, 0x40));
    QFont f = items.label->font();
    f.setPointSizeF(8);
    items.label->setFont(f);
    const QRectF r = items.label->boundingRect();
    items.label->setPos(items.labelPos - QPointF(r.width() / 2, r.height() / 2));
}

QByteArray GraphView::toDot() const
{
    auto quoted = [](const QString& s) { return dotId(s); };
    QByteArray out = "// Exported by FlowScope: the graph with the labels and colours on screen.\n"
                     "digraph FlowScope {\n"
                     "  rankdir=LR; nodesep=0.35; ranksep=0.7;\n"
                     "  node [style=filled fontname=\"DejaVu Sans\" fontsize=10];\n"
                     "  edge [fontname=\"DejaVu Sans\" fontsize=8];\n";
    for (const QString& name : m_nodeOrder) {
        const NodeStyle& st = m_nodes.value(name)->style();
        if (st.point) {
            out += "  " + quoted(name) + " [shape=point width=0.12 label=\"\"];\n";
            continue;
        }
        QString label = st.title;
        if (!st.detail.isEmpty())
            label += u'\n' + st.detail;
        QByteArray styleAttr = st.ellipse ? "filled" : "rounded,filled";
        if (st.dashed)
            styleAttr += ",dashed";
        out += "  " + quoted(name) + " [label=" + quoted(label).replace("\n", "\\n")
            + " shape=" + (st.ellipse ? "ellipse" : "box") + " style=\"" + styleAttr + "\" fillcolor=\""
            + st.fill.name().toLatin1() + "\" color=\"" + st.border.name().toLatin1() + '"'
            + (st.doubleBorder ? " peripheries=2" : "") + "];\n";
    }
    for (const QString& key : m_edgeOrder) {
        const EdgeItems& e = m_edges[key];
        out += "  " + quoted(e.from) + " -> " + quoted(e.to) + " [label=" + quoted(e.style.label) + " color=\""
            + e.style.color.name().toLatin1() + "\" penwidth=" + QByteArray::number(e.style.width, 'f', 1)
            + (e.style.dashed ? " style=dashed" : "") + "];\n";
    }
    out += "}\n";
    return out;
}

bool GraphView::exportTo(const QString& path, QString* error) const
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == u"dot" || suffix == u"gv") {
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(toDot()) < 0 || !file.commit()) {
            *error = tr("cannot write %1: %2").arg(path, file.errorString());
            return false;
        }
        return true;
    }
    const QRectF rect = scene()->sceneRect();
    if (suffix == u"png") {
        // twice the scene's size: crisp on high-density screens and in documents
        QImage image((rect.size() * 2).toSize(), QImage::Format_ARGB32_Premultiplied);
        image.fill(background());
        QPainter painter(&image);
        painter.setRenderHint(QPainter::Antialiasing);
        painter.setRenderHint(QPainter::TextAntialiasing);
        scene()->render(&painter, QRectF(QPointF(0, 0), image.size()), rect);
        painter.end();
        if (!image.save(path, "PNG")) {
            *error = tr("cannot write %1").arg(path);
            return false;
        }
        return true;
    }
    if (suffix == u"svg") {
        QSvgGenerator svg;
        svg.setFileName(path);
        svg.setSize(rect.size().toSize());
        svg.setViewBox(QRectF(QPointF(0, 0), rect.size()));
        svg.setTitle(QStringLiteral("FlowScope"));
        QPainter painter;
        if (!painter.begin(&svg)) {
            *error = tr("cannot write %1").arg(path);
            return false;
        }
        painter.fillRect(QRectF(QPointF(0, 0), rect.size()), background());
        scene()->render(&painter, QRectF(QPointF(0, 0), rect.size()), rect);
        painter.end();
        return true;
    }
    *error = tr("%1: unknown picture format (use .png, .svg or .dot)").arg(path);
    return false;
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
