// SPDX-License-Identifier: MIT
#pragma once

#include <recording.h>

#include <QWidget>

namespace FlowScope::Gui {

// A thin strip under the seek slider: how many events fall in each stretch of the recording's
// event time (EventDensity, read once from the recording's batches, not from its events), drawn
// as bars, with the replay's position marked. Its axis is time while the slider's is events: a
// burst is a tall bar here and a long stretch of the slider. A click seeks to the start of that
// stretch (the events before it, as counted here).
class DensityStrip final : public QWidget {
    Q_OBJECT
public:
    explicit DensityStrip(QWidget* parent = nullptr);

    void setDensity(EventDensity density);
    const EventDensity& density() const { return m_density; }
    // The replay's clock (µs) and last seq: the marker goes to the clock's stretch, or to the
    // seq's when the clock is unknown or the strip divides seqs.
    void setPosition(qint64 clock, qint64 lastSeq);
    int markerBucket() const { return m_marker; }
    // The events before bucket `bucket`: where a click on it seeks to.
    qint64 seqBefore(int bucket) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void seekRequested(qint64 seq);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    bool event(QEvent* event) override;

private:
    int bucketAt(int x) const;
    QString describe(int bucket) const;

    EventDensity m_density;
    qint64 m_max = 0;
    int m_marker = -1;
};

} // namespace FlowScope::Gui
