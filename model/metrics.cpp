// SPDX-License-Identifier: MIT
#include "metrics.h"

#include <QDataStream>

namespace FlowScope {

void Metrics::record(Dimension d, const QByteArray& key, qint64 time, qint64 latency)
{
    if (key.isEmpty())
        return;
    record(m_series[d][key], time, latency);
}

QJsonObject Metrics::toJson(qint64 streamStart) const
{
    static const QString names[DimensionCount] = { QStringLiteral("types"), QStringLiteral("sources"),
                                                   QStringLiteral("channels"), QStringLiteral("sagas") };
    QJsonObject out;
    for (int d = 0; d < DimensionCount; ++d) {
        QJsonObject dim;
        const NamedValues<Series>& series = m_series[d];
        for (int i : series.sorted()) {
            const Series& s = series.value(i);
            RateWindow r = s.rate;
            if (m_clock != std::numeric_limits<qint64>::min())
                r.advanceTo(m_clock);
            QJsonObject o { { QStringLiteral("count"), r.total() },
                            { QStringLiteral("rate_1s"), r.rate(1, streamStart) },
                            { QStringLiteral("rate_10s"), r.rate(10, streamStart) },
                            { QStringLiteral("rate_60s"), r.rate(60, streamStart) } };
            if (s.latency.count() > 0)
                o.insert(QStringLiteral("latency_ms"), s.latency.toJsonMillis());
            dim.insert(QString::fromUtf8(series.name(i)), o);
        }
        out.insert(names[d], dim);
    }
    return out;
}

void Metrics::save(QDataStream& out) const
{
    out << m_clock;
    for (const auto& dim : m_series) {
        out << qint64(dim.size());
        for (int i : dim.sorted()) {
            out << dim.name(i);
            dim.value(i).rate.save(out);
            dim.value(i).latency.save(out);
        }
    }
}

bool Metrics::load(QDataStream& in)
{
    in >> m_clock;
    for (auto& dim : m_series) {
        dim.clear();
        qint64 n = 0;
        in >> n;
        for (qint64 i = 0; i < n && in.status() == QDataStream::Ok; ++i) {
            QByteArray key;
            in >> key;
            Series& s = dim[key];
            if (!s.rate.load(in) || !s.latency.load(in))
                return false;
        }
    }
    return in.status() == QDataStream::Ok;
}

} // namespace FlowScope
