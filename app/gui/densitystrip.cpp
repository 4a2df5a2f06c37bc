// SPDX-License-Identifier: MIT
#include "densitystrip.h"

#include <timeformat.h>

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>

namespace FlowScope::Gui {

DensityStrip::DensityStrip(QWidget* parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    setCursor(Qt::PointingHandCursor);
}

QSize DensityStrip::sizeHint() const { return { 320, 14 }; }
QSize DensityStrip::minimumSizeHint() const { return { 40, 14 }; }

void DensityStrip::setDensity(EventDensity density)
{
    m_density = std::move(density);
    m_max = 0;
    for (qint64 c : std::as_const(m_density.counts))
        m_max = std::max(m_max, c);
    m_marker = -1;
    update();
}

void DensityStrip::setPosition(qint64 clock, qint64 lastSeq)
{
    int bucket = -1;
    if (m_density.counts.isEmpty() || lastSeq <= 0) {
        bucket = -1;
    } else if (m_density.byTime && clock != NoTime) {
        bucket = m_density.bucketOf(clock);
    } else if (!m_density.byTime) {
        bucket = m_density.bucketOf(lastSeq);
    } else { // a clock not known yet: the stretch where the count before passes the seq
        qint64 before = 0;
        bucket = int(m_density.counts.size()) - 1;
        for (int k = 0; k < m_density.counts.size(); ++k) {
            before += m_density.counts[k];
            if (before >= lastSeq) {
                bucket = k;
                break;
            }
        }
    }
    if (bucket != m_marker) {
        m_marker = bucket;
        update();
    }
}

qint64 DensityStrip::seqBefore(int bucket) const
{
    qint64 n = 0;
    for (int k = 0; k < bucket && k < m_density.counts.size(); ++k)
        n += m_density.counts[k];
    return n;
}

int DensityStrip::bucketAt(int x) const
{
    const int n = int(m_density.counts.size());
    if (n == 0 || width() <= 0)
        return -1;
    return std::clamp(int(qint64(x) * n / width()), 0, n - 1);
}

QString DensityStrip::describe(int bucket) const
{
    const int n = int(m_density.counts.size());
    const double span = double(m_density.to) - double(m_density.from) + 1.0;
    const qint64 start = m_density.from + qint64(span * bucket / n);
    const qint64 end = m_density.from + qint64(span * (bucket + 1) / n) - 1;
    const qint64 count = m_density.counts[bucket];
    if (!m_density.byTime)
        return tr("%1 events: %2 to %3\nClick to seek there").arg(count).arg(start).arg(end);
    return tr("%1 events from %2 to %3\nClick to seek there")
        .arg(count)
        .arg(TimeFormat::toRfc3339String(start), TimeFormat::toRfc3339String(end));
}

void DensityStrip::paintEvent(QPaintEvent* /*event*/)
{
    QPainter p(this);
    const QRect r = rect();
    p.fillRect(r, palette().color(QPalette::Base));
    const int n = int(m_density.counts.size());
    if (n > 0 && m_max > 0) {
        QColor bar = palette().color(QPalette::Highlight);
        p.setPen(Qt::NoPen);
        p.setBrush(bar);
        for (int k = 0; k < n; ++k) {
            const qint64 c = m_density.counts[k];
            if (c == 0)
                continue;
            const int x0 = int(qint64(k) * r.width() / n), x1 = int(qint64(k + 1) * r.width() / n);
            // at least a pixel: a stretch with a few events is not a stretch with none
            const int h = std::max(1, int(c * (r.height() - 1) / m_max));
            p.drawRect(QRect(x0, r.bottom() - h + 1, std::max(1, x1 - x0), h));
        }
    }
    if (m_marker >= 0 && n > 0) {
        const int x = int((qint64(m_marker) * 2 + 1) * r.width() / (2 * n));
        p.setPen(QPen(palette().color(QPalette::WindowText), 2));
        p.drawLine(x, r.top(), x, r.bottom());
    }
    p.setPen(palette().color(QPalette::Mid));
    p.setBrush(Qt::NoBrush);
    p.drawRect(r.adjusted(0, 0, -1, -1));
}

void DensityStrip::mousePressEvent(QMouseEvent* event)
{
    const int bucket = bucketAt(event->position().toPoint().x());
    if (event->button() == Qt::LeftButton && bucket >= 0)
        Q_EMIT seekRequested(seqBefore(bucket));
    QWidget::mousePressEvent(event);
}

bool DensityStrip::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const int bucket = bucketAt(help->pos().x());
        if (bucket >= 0)
            QToolTip::showText(help->globalPos(), describe(bucket), this);
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

} // namespace FlowScope::Gui
