// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

#include <array>
#include <limits>

class QDataStream;

namespace FlowScope {

// Events per second in event time, over the last 1, 10 or 60 whole seconds.
//
// A ring of 61 one-second buckets: the current second and the 60 before it. "Now" is the
// largest second (floor(t / 1e6), so -1 us is second -1) ever passed to add() or advanceTo();
// it never moves back, which keeps the state a pure function of the calls made. Buckets
// outside [now - 60, now] are always zero, so two windows that saw the same calls compare and
// save identically. Rates count whole seconds only, the ones before now: the current second is
// still filling, and counting it made a steady 10/s read 9.1/s over 10 s early in a second.
class RateWindow final {
public:
    static constexpr int kMaxWindow = 60;
    static constexpr int kSeconds = kMaxWindow + 1;

    RateWindow() = default;

    // Counts n events at eventTimeMicros. Later seconds move now forward; seconds older than
    // now - 60 still count in total() but in no window. Negative n is ignored so counts stay
    // monotonic; n == 0 just advances now.
    void add(qint64 eventTimeMicros, qint64 n = 1)
    {
        // Inline, the usual case: a time within the current second (no division, no call).
        if (m_fast && n >= 0 && quint64(eventTimeMicros) - quint64(m_nowStart) < quint64(MicrosPerSecond)) {
            m_total += n;
            m_buckets[m_nowSlot] += n;
            return;
        }
        addElsewhere(eventTimeMicros, n);
    }
    // Moves now forward without counting, so rates decay while a stream is quiet. Earlier
    // times are ignored.
    void advanceTo(qint64 timeMicros);
    void clear();

    // Events per second over the whole seconds now - windowSeconds .. now - 1; windowSeconds is
    // clamped to [1, 60]. 0 before anything was added or advanced to. `streamStartMicros`: when
    // the stream began (its first event's time), if known; a window reaching back before it
    // divides by the seconds since its first second only (a stream 3.6 s old has a 60 s rate
    // over 3 s: over 60 it read a twentieth of the truth).
    double rate(int windowSeconds, qint64 streamStartMicros = std::numeric_limits<qint64>::min()) const;
    qint64 total() const { return m_total; }
    // The current second; meaningful only when hasNow().
    qint64 nowSecond() const { return m_now; }
    bool hasNow() const { return m_hasNow; }

    // Compact checkpoint: a version, now, total and only the non-empty seconds.
    void save(QDataStream& out) const;
    // Returns false and leaves the window empty on truncated or inconsistent input.
    bool load(QDataStream& in);

    friend bool operator==(const RateWindow&, const RateWindow&) = default;

private:
    static constexpr qint64 MicrosPerSecond = 1000 * 1000;
    void addElsewhere(qint64 eventTimeMicros, qint64 n);
    void moveNowTo(qint64 second);
    void setNow(qint64 second); // m_now and what add()'s fast path keeps of it
    qint64& bucket(qint64 second) { return m_buckets[slot(second)]; }
    qint64 bucket(qint64 second) const { return m_buckets[slot(second)]; }
    static size_t slot(qint64 second);

    std::array<qint64, kSeconds> m_buckets {}; // indexed by second mod 61 (floor)
    qint64 m_now = 0;
    qint64 m_total = 0;
    bool m_hasNow = false;
    // Derived from m_now alone (so == still compares what was counted): where its second starts
    // in µs, its bucket, and whether the fast path may use them (not for seconds whose start
    // would overflow).
    bool m_fast = false;
    int m_nowSlot = 0;
    qint64 m_nowStart = 0;
};

} // namespace FlowScope
