// SPDX-License-Identifier: MIT
#include "latencyhistogram.h"

#include <QDataStream>
#include <QJsonObject>

#include <algorithm>
#include <bit>
#include <cmath>

namespace FlowScope {

namespace {

constexpr int shiftOf(int index) { return std::max(0, (index >> LatencyHistogram::SubBucketBits) - 1); }

// Bumped whenever the layout written by save() changes; load() refuses other versions.
constexpr quint8 kFormatVersion = 1;

} // namespace

const int LatencyHistogram::BucketCount = indexFor(kMaxTrackableMicros) + 1;

int LatencyHistogram::bucketIndex(qint64 micros)
{
    return indexFor(static_cast<quint64>(std::clamp(micros, qint64(0), kMaxTrackableMicros)));
}

qint64 LatencyHistogram::bucketLowerBound(int index)
{
    const int shift = shiftOf(index);
    return static_cast<qint64>(index - (shift << SubBucketBits)) << shift;
}

qint64 LatencyHistogram::bucketWidth(int index) { return qint64(1) << shiftOf(index); }

int LatencyHistogram::bucketCount()
{
    static_assert(BucketCount == 3287, "one hour needs 24 doublings past 256");
    return BucketCount;
}

void LatencyHistogram::ensureBucket(int index)
{
    const auto size = static_cast<int>(m_counts.size());
    if (index < size)
        return;
    // Grow to the end of the power of two holding `index` and reserve geometrically, but never
    // past the fixed maximum, so a histogram reallocates only a handful of times in its life.
    const int needed
        = std::min(BucketCount, std::max(2 << SubBucketBits, ((index >> SubBucketBits) + 1) << SubBucketBits));
    m_counts.reserve(static_cast<size_t>(std::min(BucketCount, std::max(needed, 2 * size))));
    m_counts.resize(static_cast<size_t>(needed), 0);
}

void LatencyHistogram::merge(const LatencyHistogram& other)
{
    if (other.m_count == 0)
        return;
    // other.m_counts may carry trailing zeros (after clear()); its max bounds the useful part.
    const int last = bucketIndex(other.m_max);
    ensureBucket(last);
    for (int i = 0; i <= last; ++i)
        m_counts[static_cast<size_t>(i)] += other.m_counts[static_cast<size_t>(i)];

    if (m_count == 0) {
        m_min = other.m_min;
        m_max = other.m_max;
    } else {
        m_min = std::min(m_min, other.m_min);
        m_max = std::max(m_max, other.m_max);
    }
    m_count += other.m_count;
    m_sum += other.m_sum;
    m_clamped += other.m_clamped;
}

void LatencyHistogram::clear()
{
    // Keep the buckets: a cleared histogram is usually refilled with similar values.
    std::fill(m_counts.begin(), m_counts.end(), 0);
    m_count = 0;
    m_sum = 0;
    m_min = 0;
    m_max = 0;
    m_clamped = 0;
}

double LatencyHistogram::mean() const
{
    return m_count == 0 ? 0.0 : static_cast<double>(m_sum) / static_cast<double>(m_count);
}

qint64 LatencyHistogram::percentile(double p) const
{
    if (m_count == 0)
        return 0;
    if (!(p > 0.0)) // also catches NaN
        p = 0.0;
    else if (p > 100.0)
        p = 100.0;

    // ceil(p/100 * count), minus a hair so that e.g. 99.9 * 100000 / 100, which lands a rounding
    // error above 99900, does not step one sample up.
    const double exactRank = p * static_cast<double>(m_count) / 100.0;
    const auto rank = static_cast<qint64>(std::ceil(exactRank - exactRank * 1e-12));
    if (rank <= 1)
        return m_min;
    if (rank >= m_count)
        return m_max;

    qint64 seen = 0;
    const int last = bucketIndex(m_max);
    for (int i = 0; i <= last; ++i) {
        seen += m_counts[static_cast<size_t>(i)];
        if (seen >= rank) {
            // The midpoint halves the worst-case error of either edge; min and max are exact and
            // tighter when the rank falls in their bucket.
            const qint64 mid = bucketLowerBound(i) + (bucketWidth(i) - 1) / 2;
            return std::clamp(mid, m_min, m_max);
        }
    }
    return m_max; // unreachable while the bucket counts add up to m_count
}

QJsonObject LatencyHistogram::toJsonMillis() const
{
    const auto millis = [](qint64 micros) { return static_cast<double>(micros) / 1000.0; };
    QJsonObject json;
    json.insert(QStringLiteral("count"), m_count);
    json.insert(QStringLiteral("mean"), std::round(mean()) / 1000.0);
    json.insert(QStringLiteral("p50"), millis(percentile(50)));
    json.insert(QStringLiteral("p90"), millis(percentile(90)));
    json.insert(QStringLiteral("p99"), millis(percentile(99)));
    json.insert(QStringLiteral("max"), millis(m_max));
    return json;
}

bool operator==(const LatencyHistogram& a, const LatencyHistogram& b)
{
    if (a.m_count != b.m_count || a.m_sum != b.m_sum || a.m_min != b.m_min || a.m_max != b.m_max
        || a.m_clamped != b.m_clamped)
        return false;
    if (a.m_count == 0)
        return true;
    // Equal max means both vectors reach its bucket and are all zero beyond it.
    const auto end = static_cast<std::ptrdiff_t>(LatencyHistogram::bucketIndex(a.m_max)) + 1;
    return std::equal(a.m_counts.begin(), a.m_counts.begin() + end, b.m_counts.begin());
}

// Layout (version 1, the stream's byte order): quint8 version, qint64 count, sum, min, max,
// clamped, quint32 number of non-empty buckets, then per bucket quint16 index and qint64 count,
// by increasing index. Integers only, so the bytes do not depend on the stream's float settings.
void LatencyHistogram::save(QDataStream& out) const
{
    out << kFormatVersion << m_count << m_sum << m_min << m_max << m_clamped;
    const int last = m_count == 0 ? -1 : bucketIndex(m_max);
    quint32 nonEmpty = 0;
    for (int i = 0; i <= last; ++i)
        nonEmpty += m_counts[static_cast<size_t>(i)] != 0 ? 1 : 0;
    out << nonEmpty;
    for (int i = 0; i <= last; ++i) {
        if (const qint64 c = m_counts[static_cast<size_t>(i)])
            out << static_cast<quint16>(i) << c;
    }
}

bool LatencyHistogram::load(QDataStream& in)
{
    const auto fail = [&] {
        clear();
        // Truncation already set ReadPastEnd; flag inconsistent-but-complete data too.
        if (in.status() == QDataStream::Ok)
            in.setStatus(QDataStream::ReadCorruptData);
        return false;
    };

    quint8 version = 0;
    in >> version;
    if (in.status() != QDataStream::Ok || version != kFormatVersion)
        return fail();

    LatencyHistogram h;
    quint32 nonEmpty = 0;
    in >> h.m_count >> h.m_sum >> h.m_min >> h.m_max >> h.m_clamped >> nonEmpty;
    if (in.status() != QDataStream::Ok)
        return fail();

    // The scalars must be something record() could have produced before we trust them.
    if (h.m_count < 0 || h.m_clamped < 0 || h.m_clamped > h.m_count || nonEmpty > quint32(BucketCount))
        return fail();
    if (h.m_count == 0) {
        if (h.m_sum != 0 || h.m_min != 0 || h.m_max != 0 || nonEmpty != 0)
            return fail();
        *this = std::move(h);
        return true;
    }
    if (h.m_min < 0 || h.m_min > h.m_max || h.m_max > kMaxTrackableMicros || nonEmpty == 0)
        return fail();
    // min * count <= sum <= max * count, phrased with divisions so nothing can overflow.
    if (h.m_sum < 0 || (h.m_min > 0 && h.m_sum / h.m_min < h.m_count)
        || (h.m_max == 0 ? h.m_sum != 0 : h.m_sum / h.m_max + (h.m_sum % h.m_max != 0) > h.m_count))
        return fail();

    const int first = bucketIndex(h.m_min);
    const int last = bucketIndex(h.m_max);
    h.ensureBucket(last);
    qint64 seen = 0;
    int previous = -1;
    for (quint32 n = 0; n < nonEmpty; ++n) {
        quint16 index = 0;
        qint64 c = 0;
        in >> index >> c;
        if (in.status() != QDataStream::Ok)
            return fail();
        // Strictly increasing, inside [bucket(min), bucket(max)], and never more than count.
        if (index <= previous || index < first || index > last || c <= 0 || c > h.m_count - seen)
            return fail();
        h.m_counts[index] = c;
        seen += c;
        previous = index;
    }
    if (seen != h.m_count || h.m_counts[static_cast<size_t>(first)] == 0 || previous != last)
        return fail();

    *this = std::move(h);
    return true;
}

} // namespace FlowScope
