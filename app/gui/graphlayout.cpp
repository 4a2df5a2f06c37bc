// SPDX-License-Identifier: MIT
#include "graphlayout.h"

#include <QLoggingCategory>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

Q_LOGGING_CATEGORY(LOG_LAYOUT, "flowscope.layout")

namespace FlowScope::Gui {

QByteArray dotId(const QString& s)
{
    QByteArray out = s.toUtf8();
    out.replace('\\', "\\\\").replace('"', "\\\"");
    return '"' + out + '"';
}

namespace {

// Splits one line of dot's "plain" output into words; names may be quoted.
QList<QByteArray> words(const QByteArray& line)
{
    QList<QByteArray> out;
    qsizetype i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ')
            ++i;
        if (i >= line.size())
            break;
        QByteArray w;
        if (line[i] == '"') {
            ++i;
            while (i < line.size() && line[i] != '"') {
                if (line[i] == '\\' && i + 1 < line.size())
                    ++i;
                w.append(line[i++]);
            }
            ++i;
        } else {
            while (i < line.size() && line[i] != ' ')
                w.append(line[i++]);
        }
        out.append(w);
    }
    return out;
}

} // namespace

GraphLayout layoutDot(const QByteArray& dot)
{
    GraphLayout result;
    result.source = dot;
    static GVC_t* gvc = gvContext();
    Agraph_t* g = agmemread(dot.constData());
    if (!g) {
        result.error = QStringLiteral("Graphviz could not read the graph");
        return result;
    }
    char* buffer = nullptr;
    unsigned int length = 0;
    if (gvLayout(gvc, g, "dot") != 0 || gvRenderData(gvc, g, "plain", &buffer, &length) != 0) {
        result.error = QStringLiteral("Graphviz could not lay out the graph");
        agclose(g);
        return result;
    }
    const QByteArray plain(buffer, qsizetype(length));
    gvFreeRenderData(buffer);
    gvFreeLayout(gvc, g);
    agclose(g);

    // "plain" is in inches with y up: points are 72 per inch; flip y for Qt.
    constexpr double Pt = 72.0;
    double height = 0;
    for (const QByteArray& line : plain.split('\n')) {
        const QList<QByteArray> w = words(line);
        if (w.isEmpty())
            continue;
        if (w[0] == "graph" && w.size() >= 4) {
            result.size = QSizeF(w[2].toDouble() * Pt, w[3].toDouble() * Pt);
            height = result.size.height();
        } else if (w[0] == "node" && w.size() >= 6) {
            const double x = w[2].toDouble() * Pt, y = height - w[3].toDouble() * Pt;
            const double wd = w[4].toDouble() * Pt, ht = w[5].toDouble() * Pt;
            result.nodes.append({ QString::fromUtf8(w[1]), QRectF(x - wd / 2, y - ht / 2, wd, ht) });
        } else if (w[0] == "edge" && w.size() >= 4) {
            GraphLayout::Edge e;
            e.from = QString::fromUtf8(w[1]);
            e.to = QString::fromUtf8(w[2]);
            const int n = w[3].toInt();
            for (int k = 0; k < n && 5 + 2 * k < w.size(); ++k)
                e.path.append(QPointF(w[4 + 2 * k].toDouble() * Pt, height - w[5 + 2 * k].toDouble() * Pt));
            const qsizetype after = 4 + 2 * n;
            // a label adds: text, x, y; then style and color
            if (w.size() >= after + 5) {
                e.hasLabel = true;
                e.labelPos = QPointF(w[after + 1].toDouble() * Pt, height - w[after + 2].toDouble() * Pt);
            }
            result.edges.append(e);
        }
    }
    return result;
}

} // namespace FlowScope::Gui
