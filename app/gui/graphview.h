// SPDX-License-Identifier: MIT
#pragma once

#include "graphlayout.h"

#include <QColor>
#include <QGraphicsView>
#include <QHash>

class QGraphicsPathItem;
class QGraphicsSimpleTextItem;

namespace FlowScope::Gui {

class GraphNodeItem;

// Shows a Graphviz layout; labels and colours change every tick without a new layout, so the
// picture stays still while numbers move. Wheel zooms, drag pans, F fits.
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
    };
    struct EdgeStyle {
        QString label;
        QColor color = QColor(0x70, 0x76, 0x80);
        bool dashed = false;
        double width = 1.2;
    };

    explicit GraphView(QWidget* parent = nullptr);

    void setLayout(const GraphLayout& layout);
    void setNodeStyle(const QString& node, const NodeStyle& style);
    void setEdgeStyle(const QString& from, const QString& to, const EdgeStyle& style);
    void fit();
    // QGraphicsView would ask for its whole scene: a dock would then crowd out the centre
    QSize sizeHint() const override { return { 420, 320 }; }
    QString selectedNode() const { return m_selected; }
    // The style a node is drawn with now (tests and tooltips); a default one for unknown nodes.
    NodeStyle nodeStyle(const QString& node) const;
    QStringList nodeNames() const { return m_nodes.keys(); }
    // Why the last layout failed (Graphviz), or empty.
    QString layoutError() const { return m_layoutError; }

    // The graph as it is drawn now: DOT (.dot, .gv) with the labels and colours on screen, or a
    // picture of the whole scene (.png at twice its size, .svg), by the file's suffix.
    bool exportTo(const QString& path, QString* error) const;
    QByteArray toDot() const;

Q_SIGNALS:
    void nodeSelected(const QString& name);

protected:
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    struct EdgeItems {
        QGraphicsPathItem* line = nullptr;
        QGraphicsPathItem* head = nullptr;
        QGraphicsSimpleTextItem* label = nullptr;
        QPointF labelPos;
        QString from, to;
        EdgeStyle style;
    };
    void applyPalette();
    void applyEdgeStyle(EdgeItems& items);
    QColor background() const;

    QList<QString> m_nodeOrder; // as laid out: DOT export keeps it
    QList<QString> m_edgeOrder;
    QString m_layoutError;
    QHash<QString, GraphNodeItem*> m_nodes;
    QHash<QString, EdgeItems> m_edges; // key: from + '\n' + to
    QString m_selected;
    bool m_userZoomed = false;
};

} // namespace FlowScope::Gui
