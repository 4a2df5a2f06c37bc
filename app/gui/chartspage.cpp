// SPDX-License-Identifier: MIT
#include "chartspage.h"

#include "theme.h"

#include <QChart>
#include <QChartView>
#include <QEvent>
#include <QGridLayout>
#include <QJsonArray>
#include <QLineSeries>
#include <QValueAxis>

#include <cmath>

namespace FlowScope::Gui {

ChartsPage::ChartsPage(QWidget* parent)
    : QWidget(parent)
{
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    m_throughput = makeChart(tr("Throughput per channel"), tr("events/s"));
    m_outcomes = makeChart(tr("Saga outcomes"), tr("instances"));
    m_latency = makeChart(tr("End-to-end latency"), tr("ms"));
    m_queues = makeChart(tr("Queue depth and lag"), tr("events"));
    const Chart* charts[] = { &m_throughput, &m_outcomes, &m_latency, &m_queues };
    for (int i = 0; i < 4; ++i) {
        auto* view = new QChartView(charts[i]->chart, this);
        view->setRenderHint(QPainter::Antialiasing);
        view->setMinimumSize(260, 180);
        grid->addWidget(view, i / 2, i % 2);
    }
    applyTheme();
}

void ChartsPage::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyTheme();
}

void ChartsPage::applyTheme()
{
    // Qt Charts draws its own backgrounds: follow the window's theme, or light boxes glare in the dark
    const QChart::ChartTheme theme = Theme::isDark(palette()) ? QChart::ChartThemeDark : QChart::ChartThemeLight;
    for (Chart* c : { &m_throughput, &m_outcomes, &m_latency, &m_queues })
        if (c->chart->theme() != theme) {
            c->chart->setTheme(theme);
            c->chart->setMargins(QMargins(4, 4, 4, 4));
        }
}

void ChartsPage::clear(double originSeconds)
{
    for (Chart* c : { &m_throughput, &m_outcomes, &m_latency, &m_queues })
        c->chart->removeAllSeries(); // deletes them
    m_series.clear();
    m_points.clear();
    m_lastT = -1;
    m_origin = originSeconds;
}

double ChartsPage::niceStep(double span, int intervals)
{
    const double raw = span / std::max(1, intervals);
    if (!(raw > 0) || !std::isfinite(raw))
        return 1;
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double m : { 1.0, 2.0, 5.0 })
        if (m * power >= raw * (1 - 1e-9))
            return m * power;
    return 10 * power;
}

void ChartsPage::setNiceRange(QValueAxis* axis, double lo, double hi, int intervals)
{
    const double step = niceStep(hi - lo, intervals);
    axis->setTickType(QValueAxis::TicksDynamic);
    axis->setTickAnchor(0);
    axis->setTickInterval(step);
    // as many decimals as the step has: 0.5 -> "%.1f", 0.02 -> "%.2f", 20 -> "%.0f"
    const int decimals = step >= 1 ? 0 : int(std::ceil(-std::log10(step) - 1e-9));
    axis->setLabelFormat(QStringLiteral("%.") + QString::number(decimals) + u'f');
    axis->setRange(lo, hi);
}

ChartsPage::Chart ChartsPage::makeChart(const QString& title, const QString& unit)
{
    Chart c;
    c.chart = new QChart;
    c.chart->legend()->setAlignment(Qt::AlignBottom);
    c.chart->setMargins(QMargins(4, 4, 4, 4));
    // axis titles would squeeze the plots in a dock: the unit goes into the title instead
    c.chart->setTitle(title + QStringLiteral(" (") + unit + QStringLiteral(", over s of stream time)"));
    c.x = new QValueAxis;
    c.y = new QValueAxis;
    setNiceRange(c.x, 0, 10, XIntervals);
    setNiceRange(c.y, 0, 1, YIntervals);
    c.chart->addAxis(c.x, Qt::AlignBottom);
    c.chart->addAxis(c.y, Qt::AlignLeft);
    return c;
}

void ChartsPage::push(Chart& c, const QString& key, const QString& label, double t, double v, const QColor& color)
{
    QLineSeries* s = m_series.value(key);
    if (!s) {
        s = new QLineSeries;
        s->setName(label);
        c.chart->addSeries(s);
        if (color.isValid()) // after addSeries, which gives it the theme's next colour
            s->setColor(color);
        s->attachAxis(c.x);
        s->attachAxis(c.y);
        m_series.insert(key, s);
    }
    QList<QPointF>& pts = m_points[key];
    pts.append(QPointF(t, v));
    while (!pts.isEmpty() && pts.first().x() < t - WindowSeconds)
        pts.removeFirst();
}

void ChartsPage::add(double clockSeconds, const QJsonObject& state, const QJsonObject& services, quint64 generation)
{
    if (std::isnan(m_origin))
        m_origin = clockSeconds;
    const double t = clockSeconds - m_origin;
    if (generation != m_generation) {
        // A seek: the lines start again at the new position. Joined across the jump they drew a
        // straight line through what happened in between (an outage's drop to 0/s, hidden).
        m_generation = generation;
        for (QList<QPointF>& pts : m_points)
            pts.clear();
        m_lastT = -1;
    }
    if (t == m_lastT)
        return; // the clock did not move (paused)
    if (t < m_lastT) {
        // event time went back without a seek (a late event): what was drawn after t goes
        for (QList<QPointF>& pts : m_points)
            while (!pts.isEmpty() && pts.last().x() > t)
                pts.removeLast();
    }
    m_lastT = t;

    // Throughput: each channel's events in the last whole second of event time, as the
    // projections count it (their rate_1s), the same at any moment whatever the redraws. A rate
    // from the counts' change between two redraws was 15,000/s after a Step (a change of one
    // event over 68 µs of event time).
    QJsonObject rates;
    const QJsonObject channels = state.value(u"metrics").toObject().value(u"channels").toObject();
    for (auto it = channels.begin(); it != channels.end(); ++it)
        rates.insert(it.key(), it.value().toObject().value(u"rate_1s"));
    if (rates.isEmpty()) // streams without Kafka channels: the topology's, what services emit into each
        for (const QJsonValue& v : state.value(u"topology").toObject().value(u"edges").toArray()) {
            const QJsonObject e = v.toObject();
            if (e.value(u"kind").toString() == u"emits")
                rates.insert(e.value(u"to").toString(),
                             rates.value(e.value(u"to").toString()).toDouble() + e.value(u"rate_1s").toDouble());
        }
    for (auto it = rates.begin(); it != rates.end(); ++it)
        push(m_throughput, u"tp:" + it.key(), it.key(), t, it.value().toDouble());
    const QJsonObject sagas = state.value(u"sagas").toObject();
    for (auto it = sagas.begin(); it != sagas.end(); ++it) {
        const QJsonObject o = it.value().toObject().value(u"outcomes").toObject();
        // the outcomes in the colours the saga pane gives them (Qt's palette made completed blue
        // and compensated green, against green and amber there); running blue, stuck violet
        // (Qt's fifth colour, for stuck, was a red like failed's)
        const QPalette& p = palette();
        const std::pair<const char*, QColor> outcomes[] = { { "completed", Theme::completedText(p) },
                                                            { "compensated", Theme::compensatedText(p) },
                                                            { "failed", Theme::failedText(p) },
                                                            { "running", QColor(0x3B, 0x7D, 0xD8) },
                                                            { "stuck", QColor(0x7A, 0x5C, 0xB8) } };
        for (const auto& [k, color] : outcomes)
            push(m_outcomes, it.key() + u':' + QLatin1String(k),
                 (sagas.size() > 1 ? it.key() + u' ' : QString()) + QLatin1String(k), t, o.value(QLatin1String(k)).toDouble(),
                 sagas.size() > 1 ? QColor() : color); // several sagas: one colour would name two lines
        const QJsonObject l = it.value().toObject().value(u"latency_ms").toObject();
        push(m_latency, it.key() + u":p50", it.key() + QStringLiteral(" p50"), t, l.value(u"p50").toDouble());
        push(m_latency, it.key() + u":p99", it.key() + QStringLiteral(" p99"), t, l.value(u"p99").toDouble());
    }
    for (auto it = services.begin(); it != services.end(); ++it) {
        const QJsonObject s = it.value().toObject();
        push(m_queues, u"q:" + it.key(), it.key(), t,
             s.value(u"queue").toDouble() + s.value(u"lag").toDouble());
    }

    // one replace() per series per update
    const Chart* charts[] = { &m_throughput, &m_outcomes, &m_latency, &m_queues };
    for (const Chart* c : charts) {
        double maxY = 1;
        for (QAbstractSeries* a : c->chart->series()) {
            auto* s = static_cast<QLineSeries*>(a);
            const QList<QPointF>& pts = m_points[m_series.key(s)];
            s->replace(pts);
            for (const QPointF& p : pts)
                maxY = std::max(maxY, p.y());
        }
        setNiceRange(c->x, std::max(0.0, t - WindowSeconds), std::max(t, 10.0), XIntervals);
        // the top on a tick, so that the highest line has a label above it
        const double step = niceStep(maxY * 1.05, YIntervals);
        setNiceRange(c->y, 0, std::ceil(maxY * 1.05 / step) * step, YIntervals);
    }
}

} // namespace FlowScope::Gui
