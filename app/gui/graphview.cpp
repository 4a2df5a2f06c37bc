// SPDX-License-Identifier: MIT
#include "graphview.h"

#include "theme.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QFontMetricsF>
#include <QGraphicsItem>
#include <QGraphicsPathItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QKeyEvent>
#include <QPainter>
#include <QPixmap>
#include <QScrollBar>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace FlowScope::Gui {

namespace {
constexpr int TrackSamples = 48;

// The spline sampled at even steps (pointAtPercent walks it by length, near enough).
QPolygonF sampled(const QPainterPath& path)
{
    QPolygonF out;
    out.reserve(TrackSamples);
    for (int i = 0; i < TrackSamples; ++i)
        out.append(path.pointAtPercent(double(i) / (TrackSamples - 1)));
    return out;
}

double polylineLength(const QPolygonF& points)
{
    double length = 0;
    for (qsizetype i = 1; i < points.size(); ++i)
        length += QLineF(points[i - 1], points[i]).length();
    return length;
}

QPainterPath arrowHead(QPointF tip, QPointF from)
{
    const double angle = std::atan2(tip.y() - from.y(), tip.x() - from.x());
    QPainterPath head(tip);
    head.lineTo(tip - QPointF(9 * std::cos(angle - 0.4), 9 * std::sin(angle - 0.4)));
    head.lineTo(tip - QPointF(9 * std::cos(angle + 0.4), 9 * std::sin(angle + 0.4)));
    head.closeSubpath();
    return head;
}

double eased(double t) { return t * t * (3 - 2 * t); }

QFont badgeFont()
{
    QFont f;
    f.setPointSizeF(7.5);
    f.setBold(true);
    return f;
}
} // namespace

QPointF GraphView::Track::at(double t) const
{
    if (points.isEmpty())
        return {};
    const double x = std::clamp(t, 0.0, 1.0) * double(points.size() - 1);
    const qsizetype i = std::min<qsizetype>(qsizetype(x), points.size() - 2);
    if (i < 0)
        return points.first();
    const double f = x - double(i);
    return points[i] * (1 - f) + points[i + 1] * f;
}

// A count in a rounded tag: a node's queue, an edge's consumer lag. Its position is its centre.
class GraphBadgeItem : public QGraphicsItem {
public:
    explicit GraphBadgeItem(QGraphicsItem* parent = nullptr)
        : QGraphicsItem(parent)
    {
        setAcceptedMouseButtons(Qt::NoButton);
        setZValue(3);
    }
    QRectF boundingRect() const override { return m_rect.adjusted(-1, -1, 1, 1); }
    void set(const QString& text, const QColor& fill)
    {
        setVisible(!text.isEmpty());
        if (text == m_text && fill == m_fill)
            return;
        prepareGeometryChange();
        m_text = text;
        m_fill = fill;
        const QFontMetricsF fm(badgeFont());
        const double w = fm.horizontalAdvance(text) + 10, h = fm.height() + 2;
        m_rect = QRectF(-w / 2, -h / 2, w, h);
        update();
    }
    const QString& text() const { return m_text; }
    QSizeF size() const { return m_rect.size(); }
    void paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) override
    {
        p->setRenderHint(QPainter::Antialiasing);
        p->setPen(QPen(m_fill.darker(135), 0.8));
        p->setBrush(m_fill);
        p->drawRoundedRect(m_rect, m_rect.height() / 2, m_rect.height() / 2);
        // dark text on amber, white on red and grey: readable on either theme's canvas
        p->setPen(m_fill.lightness() > 140 ? QColor(0x1B, 0x1F, 0x24) : QColor(0xFF, 0xFF, 0xFF));
        p->setFont(badgeFont());
        p->drawText(m_rect, Qt::AlignCenter, m_text);
    }

private:
    QString m_text;
    QColor m_fill;
    QRectF m_rect;
};

class GraphNodeItem : public QGraphicsItem {
public:
    explicit GraphNodeItem(const QString& name)
        : m_name(name)
        , m_badge(new GraphBadgeItem(this))
    {
        m_style.title = name;
        m_badge->setVisible(false);
        setToolTip(name);
    }
    QRectF boundingRect() const override { return m_rect.adjusted(-4, -4, 4, 4); }
    // centred on the item's position, which moves in a relayout
    void setSize(QSizeF size)
    {
        const QRectF rect(QPointF(-size.width() / 2, -size.height() / 2), size);
        if (rect == m_rect)
            return;
        prepareGeometryChange();
        m_rect = rect;
        placeBadge();
    }
    void setStyle(const GraphView::NodeStyle& s)
    {
        if (s == m_style)
            return;
        m_style = s;
        m_badge->set(s.badge, s.badgeColor);
        placeBadge();
        update();
    }
    void setSelectedNode(bool on)
    {
        if (on == m_selectedNode)
            return;
        m_selectedNode = on;
        update();
    }
    const QString& name() const { return m_name; }
    const GraphView::NodeStyle& style() const { return m_style; }
    QString badgeText() const { return m_badge->isVisible() ? m_badge->text() : QString(); }

    QPointF morphFrom, morphTo; // the relayout animation's ends
    bool fresh = false; // new in this relayout: fades in

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
        // What does not fit ends in "…" rather than being cut at both sides (an ellipse has less
        // room than its box at the text's height).
        const double room = m_rect.width() * (m_style.ellipse ? 0.84 : 1.0) - 8;
        QRectF titleRect = m_rect;
        if (twoLines)
            titleRect.setBottom(m_rect.center().y() + 2);
        p->drawText(titleRect, Qt::AlignHCenter | (twoLines ? Qt::AlignBottom : Qt::AlignVCenter),
                    QFontMetricsF(f).elidedText(m_style.title, Qt::ElideRight, room));
        if (twoLines) {
            f.setBold(false);
            f.setPointSizeF(8.5);
            p->setFont(f);
            p->setPen(QColor(0x40, 0x46, 0x50));
            QRectF detailRect = m_rect;
            detailRect.setTop(m_rect.center().y() + 3);
            p->drawText(detailRect, Qt::AlignHCenter | Qt::AlignTop,
                        QFontMetricsF(f).elidedText(m_style.detail, Qt::ElideRight, room));
        }
    }

private:
    // over the top-right corner, reaching a little past it, as app icons carry their counts
    void placeBadge()
    {
        const QSizeF b = m_badge->size();
        m_badge->setPos(m_rect.right() - b.width() / 2 + 6, m_rect.top());
    }

    QString m_name;
    QRectF m_rect;
    GraphView::NodeStyle m_style;
    GraphBadgeItem* m_badge;
    bool m_selectedNode = false;
};

// Every travelling dot in one item: one repaint a frame, however many dots there are.
class GraphDotLayer : public QGraphicsItem {
public:
    explicit GraphDotLayer(const GraphView* view)
        : m_view(view)
    {
        setAcceptedMouseButtons(Qt::NoButton);
        setZValue(0.5); // over the edges, under nodes and labels
    }
    QRectF boundingRect() const override { return m_bounds; }
    void setBounds(const QRectF& r)
    {
        if (r == m_bounds)
            return;
        prepareGeometryChange();
        m_bounds = r;
    }
    void paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) override
    {
        if (m_view->m_dots.empty())
            return;
        // At least 4 pixels on screen however far the view is zoomed out (a fitted graph is
        // often smaller than its layout). Each dot is a small picture drawn once per colour and
        // size and copied in device pixels: three hundred antialiased circles would cost a
        // millisecond or more a frame, copies a tenth of that.
        const QTransform world = p->worldTransform();
        const double scale = std::sqrt(std::abs(world.determinant()));
        const double radius = std::clamp(std::round(3.4 * scale * 2) / 2, 4.0, 9.0);
        const qreal dpr = p->device()->devicePixelRatioF();
        const QColor ring = m_view->background();
        p->save();
        p->resetTransform();
        QColor color;
        const QPixmap* sprite = nullptr;
        for (const GraphView::Dot& d : m_view->m_dots) {
            if (d.t < 0)
                continue;
            if (!sprite || d.color != color) {
                color = d.color;
                sprite = &spriteFor(color, ring, radius, dpr);
            }
            const QPointF at = world.map(d.track->at(d.t));
            p->drawPixmap(QPointF(std::round(at.x() - radius - 1), std::round(at.y() - radius - 1)), *sprite);
        }
        p->restore();
    }

private:
    const QPixmap& spriteFor(const QColor& color, const QColor& ring, double radius, qreal dpr)
    {
        const QString key = color.name(QColor::HexArgb) + ring.name() + QString::number(radius) + u'@' + QString::number(dpr);
        auto it = m_sprites.find(key);
        if (it != m_sprites.end())
            return *it;
        if (m_sprites.size() > 64) // colours and zooms come and go; a few are in use at once
            m_sprites.clear();
        const double side = 2 * radius + 2;
        QPixmap sprite(QSize(int(std::ceil(side * dpr)), int(std::ceil(side * dpr))));
        sprite.setDevicePixelRatio(dpr);
        sprite.fill(Qt::transparent);
        QPainter painter(&sprite);
        painter.setRenderHint(QPainter::Antialiasing);
        // a ring of the canvas colour keeps a dot apart from the line it travels on
        painter.setPen(QPen(ring, 1.3));
        painter.setBrush(color);
        painter.drawEllipse(QPointF(side / 2, side / 2), radius - 0.3, radius - 0.3);
        painter.end();
        return *m_sprites.insert(key, sprite);
    }

    const GraphView* m_view;
    QRectF m_bounds;
    QHash<QString, QPixmap> m_sprites;
};

GraphView::GraphView(QWidget* parent)
    : QGraphicsView(parent)
    , m_now([] {
        static const QElapsedTimer clock = [] {
            QElapsedTimer t;
            t.start();
            return t;
        }();
        return clock.elapsed();
    })
{
    setScene(new QGraphicsScene(this));
    setRenderHint(QPainter::Antialiasing);
    setDragMode(QGraphicsView::ScrollHandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setFocusPolicy(Qt::StrongFocus);
    m_dotLayer = new GraphDotLayer(this);
    scene()->addItem(m_dotLayer);
    m_timer.setInterval(FrameMs);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &GraphView::advanceAnimation);
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
    m_layoutError = layout.error;
    if (m_morphing)
        finishMorph(); // the next animation starts where the last one was going
    const bool animate = !m_nodes.isEmpty() && isVisible() && !window()->isMinimized();

    // The nodes both layouts have should move as little as possible: dot places the whole
    // graph afresh, so shift the new layout by their mean displacement.
    QPointF shift;
    int shared = 0;
    for (const GraphLayout::Node& n : layout.nodes)
        if (const GraphNodeItem* item = m_nodes.value(n.name)) {
            shift += item->pos() - n.rect.center();
            ++shared;
        }
    if (shared > 0)
        shift /= shared;

    // Items of nodes and edges that stay are kept (selection, styles, dots), new ones fade in.
    QHash<QString, GraphNodeItem*> nodes;
    QList<QString> nodeOrder;
    for (const GraphLayout::Node& n : layout.nodes) {
        if (nodes.contains(n.name))
            continue;
        const QRectF rect = n.rect.translated(shift);
        GraphNodeItem* item = m_nodes.take(n.name);
        if (!item) {
            item = new GraphNodeItem(n.name);
            item->setZValue(1);
            item->setPos(rect.center());
            item->fresh = animate;
            if (animate)
                item->setOpacity(0);
            scene()->addItem(item);
        }
        item->setSize(rect.size());
        item->morphFrom = item->pos();
        item->morphTo = rect.center();
        nodes.insert(n.name, item);
        nodeOrder.append(n.name);
    }
    for (GraphNodeItem* gone : std::as_const(m_nodes)) {
        if (gone->name() == m_selected)
            m_selected.clear();
        delete gone;
    }
    m_nodes = nodes;
    m_nodeOrder = nodeOrder;

    QHash<QString, EdgeItems> edges;
    QList<QString> edgeOrder;
    QList<QString> fresh;
    for (const GraphLayout::Edge& e : layout.edges) {
        if (e.path.size() < 2)
            continue;
        QString key = e.from + u'\n' + e.to;
        for (int k = 2; edges.contains(key); ++k) // a second edge between the same two nodes
            key = e.from + u'\n' + e.to + u'\n' + QString::number(k);
        // dot's splines: start point, then groups of three control points
        QPainterPath path(e.path.first() + shift);
        for (qsizetype i = 1; i + 2 < e.path.size(); i += 3)
            path.cubicTo(e.path[i] + shift, e.path[i + 1] + shift, e.path[i + 2] + shift);
        EdgeItems items;
        if (auto old = m_edges.find(key); old != m_edges.end()) {
            items = *old;
            m_edges.erase(old);
            items.morphFrom = items.track->points;
            items.labelFrom = items.labelPos;
        } else {
            items.line = scene()->addPath(QPainterPath());
            items.line->setZValue(0);
            items.head = scene()->addPath(QPainterPath());
            items.label = scene()->addSimpleText(QString());
            items.label->setZValue(2);
            items.track = std::make_shared<Track>();
            items.from = e.from;
            items.to = e.to;
            items.fresh = animate;
            items.morphFrom = sampled(path);
            items.labelFrom = e.hasLabel ? e.labelPos + shift : path.pointAtPercent(0.5);
            fresh.append(key);
        }
        items.path = path;
        items.morphTo = sampled(path);
        items.labelTo = e.hasLabel ? e.labelPos + shift : path.pointAtPercent(0.5);
        edges.insert(key, items);
        edgeOrder.append(key);
    }
    for (EdgeItems& gone : m_edges) {
        gone.track->alive = false; // its dots go at the next frame
        delete gone.line;
        delete gone.head;
        delete gone.label;
        delete gone.badge;
    }
    m_edges = edges;
    m_edgeOrder = edgeOrder;
    for (const QString& key : std::as_const(fresh))
        applyEdgeStyle(m_edges[key]);

    // the user's zoom and pan stay; an unzoomed view fits the new graph
    const QPointF centre = mapToScene(viewport()->rect().center());
    const QRectF before = scene()->sceneRect();
    const QRectF sceneRect = QRectF(shift, layout.size).adjusted(-20, -20, 20, 20);
    scene()->setSceneRect(sceneRect);
    // dots follow their edges from the old places to the new ones
    m_dotLayer->setBounds((animate ? sceneRect.united(before) : sceneRect).adjusted(-40, -40, 40, 40));
    if (animate) {
        m_morphing = true;
        m_morph = 0;
        for (EdgeItems& e : m_edges)
            placeEdge(e, 0);
        runTimer();
    } else {
        finishMorph();
    }
    if (!m_userZoomed)
        fit();
    else
        centerOn(centre);
}

void GraphView::finishMorph()
{
    m_morphing = false;
    m_morph = 1;
    m_dotLayer->setBounds(scene()->sceneRect().adjusted(-40, -40, 40, 40));
    for (GraphNodeItem* n : std::as_const(m_nodes)) {
        n->setPos(n->morphTo);
        n->setOpacity(1);
        n->fresh = false;
    }
    for (EdgeItems& e : m_edges) {
        placeEdge(e, 1);
        e.fresh = false;
    }
}

void GraphView::placeEdge(EdgeItems& items, double morph)
{
    Track& track = *items.track;
    if (morph >= 1) {
        track.points = items.morphTo;
    } else {
        track.points.resize(items.morphTo.size());
        for (qsizetype i = 0; i < track.points.size(); ++i)
            track.points[i] = items.morphFrom.value(i, items.morphTo[i]) * (1 - morph) + items.morphTo[i] * morph;
    }
    track.length = polylineLength(track.points);
    if (morph >= 1) {
        items.line->setPath(items.path);
    } else {
        QPainterPath line;
        line.addPolygon(track.points);
        items.line->setPath(line);
    }
    // the arrowhead points along the last few points of the line
    const QPointF tip = track.points.last();
    const double back = track.length > 0 ? std::min(0.5, 6.0 / track.length) : 0.5;
    items.head->setPath(arrowHead(tip, track.at(1 - back)));
    items.labelPos = items.labelFrom * (1 - morph) + items.labelTo * morph;
    placeLabel(items);
    if (items.fresh)
        for (QGraphicsItem* i : { static_cast<QGraphicsItem*>(items.line), static_cast<QGraphicsItem*>(items.head),
                 static_cast<QGraphicsItem*>(items.label) })
            i->setOpacity(std::min(1.0, morph));
}

void GraphView::placeLabel(EdgeItems& items)
{
    // The label alone is centred where dot put it; with a badge the two stack there, the count
    // under the rate (TopologyPage makes dot leave room for two lines when a badge may come).
    const QRectF r = items.label->boundingRect();
    const bool badge = items.badge && items.badge->isVisible();
    const double badgeHeight = badge ? items.badge->size().height() + 2 : 0;
    const double top = items.labelPos.y() - (r.height() + badgeHeight) / 2;
    items.label->setPos(items.labelPos.x() - r.width() / 2, top);
    if (badge)
        items.badge->setPos(items.labelPos.x(), top + r.height() + badgeHeight / 2);
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
    if (it == m_edges.end() || it->style == style)
        return;
    it->style = style;
    applyEdgeStyle(*it);
}

GraphView::EdgeStyle GraphView::edgeStyle(const QString& from, const QString& to) const
{
    const auto it = m_edges.constFind(from + u'\n' + to);
    return it == m_edges.cend() ? EdgeStyle {} : it->style;
}

QColor GraphView::edgeColor(const EdgeStyle& style) const
{
    QColor color = style.color;
    if (Theme::isDark(palette()) && color.lightness() < 150) // dark greys and greens would sink into the background
        color = color.lighter(150);
    return color;
}

void GraphView::applyEdgeStyle(EdgeItems& items)
{
    const EdgeStyle& style = items.style;
    const QColor color = edgeColor(style);
    const bool dark = Theme::isDark(palette());
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
    if (!style.badge.isEmpty() && !items.badge) {
        items.badge = new GraphBadgeItem;
        scene()->addItem(items.badge);
    }
    if (items.badge)
        items.badge->set(style.badge, style.badgeColor);
    placeLabel(items);
}

QString GraphView::nodeBadgeText(const QString& node) const
{
    const GraphNodeItem* item = m_nodes.value(node);
    return item ? item->badgeText() : QString();
}

QString GraphView::edgeBadgeText(const QString& from, const QString& to) const
{
    const auto it = m_edges.constFind(from + u'\n' + to);
    if (it == m_edges.cend() || !it->badge || !it->badge->isVisible())
        return {};
    return it->badge->text();
}

const QGraphicsItem* GraphView::nodeItem(const QString& node) const { return m_nodes.value(node); }

const QGraphicsItem* GraphView::edgeItem(const QString& from, const QString& to) const
{
    const auto it = m_edges.constFind(from + u'\n' + to);
    return it == m_edges.cend() ? nullptr : it->line;
}

int GraphView::edgeDotCount(const QString& from, const QString& to) const
{
    const auto it = m_edges.constFind(from + u'\n' + to);
    if (it == m_edges.cend())
        return 0;
    return int(std::count_if(m_dots.begin(), m_dots.end(), [&](const Dot& d) { return d.track == it->track; }));
}

double GraphView::dotsPerSecond(double ratePerSecond)
{
    if (!(ratePerSecond > 0))
        return 0;
    return std::clamp(1.0 + std::log10(ratePerSecond), 1.0, 5.0);
}

void GraphView::addTraffic(const QString& from, const QString& to, qint64 events, double ratePerSecond)
{
    if (!m_animateEvents || events <= 0 || !(ratePerSecond > 0) || !isVisible() || window()->isMinimized())
        return;
    const auto it = m_edges.find(from + u'\n' + to);
    if (it == m_edges.end())
        return;
    const qint64 now = m_now();
    // the first traffic counts as half a second's (updates come 2 to 30 times a second)
    const double dt = it->lastTraffic < 0 ? 0.5 : std::clamp(double(now - it->lastTraffic) / 1000.0, 0.0, 1.0);
    it->lastTraffic = now;
    it->dotCarry = std::min(it->dotCarry + dotsPerSecond(ratePerSecond) * dt, 5.0);
    const int n = int(std::min({ double(events), std::floor(it->dotCarry), double(MaxDots - int(m_dots.size())) }));
    if (n <= 0)
        return;
    it->dotCarry -= n;
    // 0.6 to 1 s a trip: long edges a little slower, so speeds look alike
    const double speed = 1.0 / std::clamp(it->track->length / 260.0, 0.6, 1.0);
    // a shade stronger than the line they travel on: darker on paper, lighter on the dark canvas
    const QColor line = edgeColor(it->style);
    const QColor color = Theme::isDark(palette()) ? line.lighter(125) : line.darker(125);
    // spread over the time since the last traffic rather than sent in a clump
    for (int k = 0; k < n; ++k)
        m_dots.push_back(Dot { it->track, -double(k) * dt / n * speed, speed, color });
    runTimer();
}

void GraphView::setAnimateEvents(bool on)
{
    m_animateEvents = on;
    if (!on) {
        clearDots();
        if (!m_morphing)
            m_timer.stop();
    }
}

void GraphView::setTimeSource(std::function<qint64()> now)
{
    m_now = std::move(now);
    m_lastFrame = m_now();
}

void GraphView::runTimer()
{
    if (m_timer.isActive())
        return;
    m_lastFrame = m_now();
    m_timer.start();
}

void GraphView::clearDots()
{
    if (m_dots.empty())
        return;
    m_dots.clear();
    m_dotLayer->update();
}

void GraphView::advanceAnimation()
{
    const qint64 now = m_now();
    // a stalled GUI makes dots skip a little, not jump across the graph
    const double dt = m_lastFrame < 0 ? 0 : std::clamp(double(now - m_lastFrame) / 1000.0, 0.0, 0.25);
    m_lastFrame = now;
    if (!isVisible() || window()->isMinimized()) {
        clearDots();
        if (m_morphing)
            finishMorph();
        m_timer.stop();
        return;
    }
    if (m_morphing) {
        m_morph += dt * 1000.0 / MorphMs;
        if (m_morph >= 1) {
            finishMorph();
        } else {
            const double e = eased(m_morph);
            for (GraphNodeItem* n : std::as_const(m_nodes)) {
                n->setPos(n->morphFrom * (1 - e) + n->morphTo * e);
                if (n->fresh)
                    n->setOpacity(e);
            }
            for (EdgeItems& edge : m_edges)
                placeEdge(edge, e);
        }
    }
    if (!m_dots.empty()) {
        for (Dot& d : m_dots)
            d.t += d.speed * dt;
        std::erase_if(m_dots, [](const Dot& d) { return d.t >= 1 || !d.track->alive; });
        m_dotLayer->update();
    }
    if (m_dots.empty() && !m_morphing)
        m_timer.stop();
}

void GraphView::hideEvent(QHideEvent* event)
{
    QGraphicsView::hideEvent(event);
    clearDots();
    if (m_morphing)
        finishMorph();
    m_timer.stop();
}

void GraphView::selectNode(const QString& name)
{
    m_selected = m_nodes.contains(name) ? name : QString();
    for (GraphNodeItem* n : std::as_const(m_nodes))
        n->setSelectedNode(n->name() == m_selected);
    Q_EMIT nodeSelected(m_selected);
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
        if (!st.badge.isEmpty())
            label += u'\n' + st.badge;
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
        const QString label = e.style.badge.isEmpty() ? e.style.label : e.style.label + u'\n' + e.style.badge;
        out += "  " + quoted(e.from) + " -> " + quoted(e.to) + " [label=" + quoted(label).replace("\n", "\\n")
            + " color=\"" + e.style.color.name().toLatin1() + "\" penwidth=" + QByteArray::number(e.style.width, 'f', 1)
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
    // a picture of the graph, not of the dots that happen to be on their way
    struct HideDots {
        QGraphicsItem* layer;
        ~HideDots() { layer->setVisible(true); }
    } hideDots { m_dotLayer };
    m_dotLayer->setVisible(false);
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
            selectNode(node->name());
            break;
        }
    }
    m_pressScroll = QPoint(horizontalScrollBar()->value(), verticalScrollBar()->value());
    QGraphicsView::mousePressEvent(event);
}

void GraphView::mouseReleaseEvent(QMouseEvent* event)
{
    QGraphicsView::mouseReleaseEvent(event);
    // dragged: the view stays where the user put it (a relayout or a resize no longer fits it)
    if (QPoint(horizontalScrollBar()->value(), verticalScrollBar()->value()) != m_pressScroll)
        m_userZoomed = true;
}

void GraphView::resizeEvent(QResizeEvent* event)
{
    QGraphicsView::resizeEvent(event);
    if (!m_userZoomed)
        fit();
}

} // namespace FlowScope::Gui
