// SPDX-License-Identifier: MIT
#pragma once

#include "graphlayout.h"

#include <QColor>
#include <QGraphicsView>
#include <QHash>
#include <QPainterPath>
#include <QTimer>

#include <functional>
#include <memory>
#include <vector>

class QGraphicsItem;
class QGraphicsPathItem;
class QGraphicsSimpleTextItem;

namespace FlowScope::Gui {

class GraphNodeItem;
class GraphBadgeItem;
class GraphDotLayer;

// Shows a Graphviz layout; labels and colours change every tick without a new layout, so the
// picture stays still while numbers move. Wheel zooms, drag pans, F fits.
//
// A new layout keeps the items of the nodes and edges it shares with the old one (selection and
// styles stay) and moves them to their new places in a short animation, keeping the user's zoom
// and pan. Sampled events travel along the edges as dots (addTraffic); one ~30 fps timer moves
// them and a running relayout, and stops when neither is left or the view is hidden.
class GraphView : public QGraphicsView {
    Q_OBJECT
public:
    struct NodeStyle {
        QString title;
        QString detail;
        QColor fill = QColor(0xF4, 0xF6, 0xF8);
        QColor border = QColor(0x55, 0x5B, 0x66);
        bool dashed = false;
        bool ellipse = false; // channels and states are drawn differently from services
        bool doubleBorder = false;
        bool point = false; // a dot without a label (a saga's start)
        QString badge; // a count at the top-right corner (queue depth); none when empty
        QColor badgeColor = QColor(0xE8, 0xA3, 0x2E);
        bool operator==(const NodeStyle&) const = default;
    };
    struct EdgeStyle {
        QString label;
        QColor color = QColor(0x70, 0x76, 0x80);
        bool dashed = false;
        double width = 1.2;
        QString badge; // a count under the label (consumer lag); none when empty
        QColor badgeColor = QColor(0xE8, 0xA3, 0x2E);
        bool operator==(const EdgeStyle&) const = default;
    };

    // More dots than this would cost the GUI thread more than a millisecond or two a frame.
    static constexpr int MaxDots = 300;
    static constexpr int FrameMs = 33;
    static constexpr int MorphMs = 300;

    explicit GraphView(QWidget* parent = nullptr);

    void setLayout(const GraphLayout& layout);
    void setNodeStyle(const QString& node, const NodeStyle& style);
    void setEdgeStyle(const QString& from, const QString& to, const EdgeStyle& style);
    void fit();
    // QGraphicsView would ask for its whole scene: a dock would then crowd out the centre
    QSize sizeHint() const override { return { 420, 320 }; }
    QString selectedNode() const { return m_selected; }
    // Selects a node as a click does (signal included); an unknown name clears the selection.
    void selectNode(const QString& name);
    // The style a node is drawn with now (tests and tooltips); a default one for unknown nodes.
    NodeStyle nodeStyle(const QString& node) const;
    EdgeStyle edgeStyle(const QString& from, const QString& to) const;
    QStringList nodeNames() const { return m_nodes.keys(); }
    // Why the last layout failed (Graphviz), or empty.
    QString layoutError() const { return m_layoutError; }

    // `events` crossed the edge since the last call, at `ratePerSecond` lately: dots are sent
    // along it, dotsPerSecond(rate) of them a second at most and never more than `events`.
    // Nothing is sent while animation is off, the view is hidden or MaxDots are on their way.
    void addTraffic(const QString& from, const QString& to, qint64 events, double ratePerSecond);
    // 0 for no traffic, then one a second at low rates up to five at 10 000/s (a log scale).
    static double dotsPerSecond(double ratePerSecond);
    void setAnimateEvents(bool on);
    bool animateEvents() const { return m_animateEvents; }
    // Milliseconds of a monotonic clock; tests put in their own to move the animation by hand.
    void setTimeSource(std::function<qint64()> now);
    // Moves dots and a running relayout to the time source's now (the timer calls it).
    void advanceAnimation();

    // Test hooks: what is drawn now.
    int liveDotCount() const { return int(m_dots.size()); }
    int edgeDotCount(const QString& from, const QString& to) const;
    bool isAnimating() const { return m_timer.isActive(); }
    bool isMorphing() const { return m_morphing; }
    QString nodeBadgeText(const QString& node) const;
    QString edgeBadgeText(const QString& from, const QString& to) const;
    const QGraphicsItem* nodeItem(const QString& node) const;
    const QGraphicsItem* edgeItem(const QString& from, const QString& to) const;

    // The graph as it is drawn now: DOT (.dot, .gv) with the labels and colours on screen, or a
    // picture of the whole scene (.png at twice its size, .svg), by the file's suffix; the
    // travelling dots are left out.
    bool exportTo(const QString& path, QString* error) const;
    QByteArray toDot() const;

Q_SIGNALS:
    void nodeSelected(const QString& name);

protected:
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void changeEvent(QEvent* event) override;
    void hideEvent(QHideEvent* event) override;

private:
    // An edge's spline sampled evenly by length: dots and the relayout animation walk it.
    struct Track {
        QPolygonF points;
        double length = 0;
        bool alive = true; // false once its edge is gone: its dots go too
        QPointF at(double t) const;
    };
    struct EdgeItems {
        QGraphicsPathItem* line = nullptr;
        QGraphicsPathItem* head = nullptr;
        QGraphicsSimpleTextItem* label = nullptr;
        GraphBadgeItem* badge = nullptr; // made on the first badge
        QPainterPath path; // dot's spline, drawn when no animation runs
        std::shared_ptr<Track> track;
        QPolygonF morphFrom, morphTo; // the track before and after a relayout
        QPointF labelPos, labelFrom, labelTo;
        QString from, to;
        EdgeStyle style;
        double dotCarry = 0; // dots owed but not yet sent
        qint64 lastTraffic = -1;
        bool fresh = false; // new in this relayout: fades in
    };
    struct Dot {
        std::shared_ptr<const Track> track;
        double t; // 0..1 along the track; below 0 while it waits its turn
        double speed; // of t per second
        QColor color;
    };
    void applyPalette();
    void applyEdgeStyle(EdgeItems& items);
    void placeEdge(EdgeItems& items, double morph); // 0: where it was, 1: the new layout
    void placeLabel(EdgeItems& items); // and the badge under it
    void finishMorph();
    void clearDots();
    void runTimer();
    QColor edgeColor(const EdgeStyle& style) const;
    QColor background() const;

    QList<QString> m_nodeOrder; // as laid out: DOT export keeps it
    QList<QString> m_edgeOrder;
    QString m_layoutError;
    QHash<QString, GraphNodeItem*> m_nodes;
    QHash<QString, EdgeItems> m_edges; // key: from + '\n' + to
    QString m_selected;
    bool m_userZoomed = false; // zoomed or dragged: relayouts keep the view where it is
    QPoint m_pressScroll;

    GraphDotLayer* m_dotLayer = nullptr;
    std::vector<Dot> m_dots;
    bool m_animateEvents = true;
    QTimer m_timer;
    std::function<qint64()> m_now;
    qint64 m_lastFrame = -1;
    bool m_morphing = false;
    double m_morph = 1; // 0..1 of the relayout animation
    friend class GraphDotLayer;
};

} // namespace FlowScope::Gui
