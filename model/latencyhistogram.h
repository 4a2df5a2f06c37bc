// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

#include <algorithm>
#include <bit>
#include <vector>

class QDataStream;
class QJsonObject;

namespace FlowScope {

// Latencies in microseconds, folded into a log-linear ("HDR-style") histogram so that one
// instance per saga, outcome, event type, source and channel stays small and O(1) to feed.
//
// Values 0..255 get a bucket each (exact). Above that every power of two [2^e, 2^(e+1)) is cut
// into 128 equal sub-buckets, so a bucket is never wider than 1/128 of its lower edge and its
// midpoint is within 0.4% of anything inside it: comfortably under the 1% we promise.
// count, sum, min and max are kept exactly beside the buckets.
//
// Buckets are allocated lazily and only up to the largest value seen, so an unused histogram
// costs a few dozen bytes and one with millisecond latencies about 15 KiB.
//
// Deterministic: the state depends only on the multiset of recorded values, never on the
// order, on merge history or on allocation history, and save() writes it canonically.
class LatencyHistogram final {
public:
    // One hour. Anything slower is a stuck saga, not a latency worth resolving; such values
    // are recorded as exactly this (count, mean, max and percentiles all see the clamped value)
    // and counted in clampedCount() so the UI can say so.
    static constexpr qint64 kMaxTrackableMicros = qint64(3600) * 1000 * 1000;

    LatencyHistogram() = default;

    // Negative values (clock skew between producers) are recorded as 0 and counted as clamped.
    // Inline: the fold records three latencies an event.
    void record(qint64 micros)
    {
        if (micros < 0 || micros > kMaxTrackableMicros) [[unlikely]] {
            micros = std::clamp(micros, qint64(0), kMaxTrackableMicros);
            ++m_clamped;
        }
        const int index = indexFor(quint64(micros));
        if (size_t(index) >= m_counts.size()) [[unlikely]]
            ensureBucket(index);
        ++m_counts[size_t(index)];
        if (m_count == 0) {
            m_min = micros;
            m_max = micros;
        } else {
            m_min = std::min(m_min, micros);
            m_max = std::max(m_max, micros);
        }
        ++m_count;
        m_sum += micros;
    }
    void merge(const LatencyHistogram& other);
    void clear();

    qint64 count() const { return m_count; }
    qint64 clampedCount() const { return m_clamped; }
    // All three are exact; 0 when empty. The sum is an integer, so the mean does not drift
    // with the number of samples (it overflows only past ~2.5e9 samples of one hour each).
    double mean() const;
    qint64 min() const { return m_min; }
    qint64 max() const { return m_max; }

    // The midpoint of the bucket holding the ceil(p/100*count)-th smallest sample (p is clamped
    // to [0, 100]), kept within [min(), max()]. The first and last ranks return min() and max()
    // exactly, so percentile(0) == min() and percentile(100) == max(). 0 when empty.
    qint64 percentile(double p) const;

    // {"count", "mean", "p50", "p90", "p99", "max"}; all but count in milliseconds. The mean is
    // rounded to the microsecond so it prints like the other values (e.g. 12.345).
    QJsonObject toJsonMillis() const;

    // Compact checkpoint: a version, the exact scalars and only the non-empty buckets.
    void save(QDataStream& out) const;
    // Returns false and leaves the histogram empty on truncated or inconsistent input; the
    // stream's status is then not Ok either.
    bool load(QDataStream& in);

    friend bool operator==(const LatencyHistogram& a, const LatencyHistogram& b);

    // Bucket geometry, public for tests and for anyone reasoning about resolution.
    // 2^7 = 128 linear sub-buckets per power of two: bucket width <= 1/128 of its lower edge.
    static constexpr int SubBucketBits = 7;
    static int bucketIndex(qint64 micros);
    static qint64 bucketLowerBound(int index);
    static qint64 bucketWidth(int index);
    static int bucketCount();

private:
    // Below 2 * 128 every value has its own bucket; from there on the shift grows by one per
    // power of two.
    static constexpr int indexFor(quint64 value)
    {
        const int shift = std::max(0, int(std::bit_width(value)) - (SubBucketBits + 1));
        return (shift << SubBucketBits) + int(value >> shift);
    }
    static const int BucketCount; // indexFor(kMaxTrackableMicros) + 1
    // Grows m_counts to cover `index`; never shrinks, so clear() keeps the allocation.
    void ensureBucket(int index);

    std::vector<qint64> m_counts; // may have trailing zeros: compare and save ignore them
    qint64 m_count = 0;
    qint64 m_sum = 0;
    qint64 m_min = 0;
    qint64 m_max = 0;
    qint64 m_clamped = 0;
};

} // namespace FlowScope
