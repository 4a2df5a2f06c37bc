// SPDX-License-Identifier: MIT
#pragma once

#include <QColor>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QPointF>
#include <QWidget>

#include <limits>

class QChart;
class QChartView;
class QLineSeries;
class QValueAxis;

namespace FlowScope::Gui {

// Four charts over the stream's own clock: throughput per channel, saga outcomes, end-to-end
// latency p50/p99, and queue depth plus lag per service. Each series keeps the last
// `WindowSeconds` of points, rebuilt and handed to QXYSeries::replace once per update (never a
// point at a time), so memory stays bounded however long the window runs.
class ChartsPage final : public QWidget {
    Q_OBJECT
public:
    static constexpr double WindowSeconds = 120;

    explicit ChartsPage(QWidget* parent = nullptr);
    // `clockSeconds`: the stream's time now; one point per series per call.
    // `generation`: the snapshot's (EngineSnapshot::generation); a new one (a seek, either way)
    // starts the lines afresh, as a line across the jump would draw what never happened.
    void add(double clockSeconds, const QJsonObject& state, const QJsonObject& services, quint64 generation = 0);
    // A new session: no series. Its seconds count from `originSeconds` (the stream's start), or
    // from the first add() when that is not known (NaN).
    void clear(double originSeconds = std::numeric_limits<double>::quiet_NaN());
    int seriesCount() const { return int(m_points.size()); }
    qsizetype pointCount(const QString& series) const { return m_points.value(series).size(); }
    QList<QPointF> points(const QString& series) const { return m_points.value(series); }
    QStringList seriesKeys() const { return m_points.keys(); }
    // The smallest 1, 2 or 5 times a power of ten that splits `span` into at most `intervals`
    // steps: an axis labelled 0, 2, 4, 6 instead of 0, 1.3, 2.7, 4 (shown as 0, 1, 3, 4).
    static double niceStep(double span, int intervals);
    // Ticks every niceStep() from 0, so they stay on round values while the window slides.
    static void setNiceRange(QValueAxis* axis, double lo, double hi, int intervals);

protected:
    void changeEvent(QEvent* event) override;

private:
    static constexpr int XIntervals = 6; // at most, per axis
    static constexpr int YIntervals = 4;
    void applyTheme();
    struct Chart {
        QChart* chart = nullptr;
        QValueAxis* x = nullptr;
        QValueAxis* y = nullptr;
    };
    Chart makeChart(const QString& title, const QString& unit);
    // `color`: the series' colour when it has a meaning elsewhere (a saga outcome's), else Qt's next.
    void push(Chart& c, const QString& key, const QString& label, double t, double v, const QColor& color = {});

    Chart m_throughput, m_outcomes, m_latency, m_queues;
    QHash<QString, QList<QPointF>> m_points;
    QHash<QString, QLineSeries*> m_series;
    double m_lastT = -1;
    quint64 m_generation = 0;
    double m_origin = std::numeric_limits<double>::quiet_NaN(); // stream seconds at the axis's 0
};

} // namespace FlowScope::Gui
