// SPDX-License-Identifier: MIT
#pragma once

#include <QList>
#include <QPointF>
#include <QPolygonF>
#include <QRectF>
#include <QString>

namespace FlowScope::Gui {

// A graph laid out by Graphviz's dot, in Qt scene coordinates (points, y down).
struct GraphLayout {
    struct Node {
        QString name;
        QRectF rect;
    };
    struct Edge {
        QString from;
        QString to;
        QPolygonF path; // B-spline control points, as dot gives them
        QPointF labelPos;
        bool hasLabel = false;
    };
    QList<Node> nodes;
    QList<Edge> edges;
    QSizeF size;
    QByteArray source; // the DOT it was laid out from
    QString error; // set when Graphviz failed; the lists are empty then
};

// Lays out `dot` (a digraph in DOT) with libgvc. Graphviz is not thread-safe: GUI thread only.
GraphLayout layoutDot(const QByteArray& dot);

// A DOT identifier, quoted.
QByteArray dotId(const QString& s);

} // namespace FlowScope::Gui
