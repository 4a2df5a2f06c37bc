// SPDX-License-Identifier: MIT
#pragma once

#include "latencyhistogram.h"
#include "namedvalues.h"
#include "ratewindow.h"

#include <QByteArray>
#include <QJsonObject>

#include <algorithm>
#include <limits>

class QDataStream;

namespace FlowScope {

// Rates and latencies per event type, source and channel (and per saga, fed by the trackers).
// A latency here is how long after its cause an event happened: event time minus the event
// time of the event its causationid names. Rates are over event time.
class Metrics final {
public:
    enum Dimension { Type, Source, Channel, Saga, DimensionCount };
    struct Series {
        RateWindow rate;
        LatencyHistogram latency;
    };

    void record(Dimension d, const QByteArray& key, qint64 time, qint64 latency = -1);
    // The series of `key`, made on first use, for a caller that records into it often: it stays
    // where it is until load() or the Metrics go. Null for an empty key (record() ignores those).
    Series* series(Dimension d, const QByteArray& key) { return key.isEmpty() ? nullptr : &m_series[d][key]; }
    static void record(Series& s, qint64 time, qint64 latency)
    {
        s.rate.add(time);
        if (latency >= 0)
            s.latency.record(latency);
    }
    void advanceTo(qint64 clock) { m_clock = std::max(m_clock, clock); } // per event: inline
    // `streamStart`: the stream's first time (NoTime: unknown), for the rates of a young stream.
    QJsonObject toJson(qint64 streamStart) const;

    void save(QDataStream& out) const;
    bool load(QDataStream& in);

private:
    // Output goes in name order, so the JSON and the saved bytes do not depend on arrival order.
    NamedValues<Series> m_series[DimensionCount];
    qint64 m_clock = std::numeric_limits<qint64>::min();
};

} // namespace FlowScope
