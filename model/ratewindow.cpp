// SPDX-License-Identifier: MIT
#include "ratewindow.h"

#include <QDataStream>

#include <algorithm>
#include <limits>

namespace FlowScope {

namespace {

constexpr qint64 kMicrosPerSecond = 1000 * 1000;
// Seconds whose start in µs fits in a qint64 with a second to spare.
constexpr qint64 kFastSeconds = std::numeric_limits<qint64>::max() / kMicrosPerSecond - 1;

// Bumped whenever the layout written by save() changes; load() refuses other versions.
constexpr quint8 kFormatVersion = 2; // 2: 61 seconds kept (rates over whole seconds)

// C++ division truncates toward zero; event times before 1970 (or test clocks starting at
// a negative offset) must still fall into the second that contains them.
constexpr qint64 floorSecond(qint64 micros)
{
    const qint64 q = micros / kMicrosPerSecond;
    return (micros % kMicrosPerSecond < 0) ? q - 1 : q;
}

static_assert(floorSecond(-1) == -1 && floorSecond(-1000000) == -1 && floorSecond(-1000001) == -2);
static_assert(floorSecond(999999) == 0 && floorSecond(1000000) == 1);

} // namespace

size_t RateWindow::slot(qint64 second)
{
    const qint64 r = second % kSeconds;
    return static_cast<size_t>(r < 0 ? r + kSeconds : r);
}

void RateWindow::setNow(qint64 second)
{
    m_now = second;
    m_fast = m_hasNow && second > -kFastSeconds && second < kFastSeconds;
    m_nowSlot = m_fast ? int(slot(second)) : 0;
    m_nowStart = m_fast ? second * kMicrosPerSecond : 0;
}

void RateWindow::moveNowTo(qint64 second)
{
    if (!m_hasNow) {
        m_hasNow = true;
        setNow(second);
        return;
    }
    if (second <= m_now)
        return;
    // Zero the seconds that enter the window; they last held counts from 61 s earlier.
    if (second - m_now >= kSeconds) {
        m_buckets.fill(0);
    } else {
        for (qint64 s = m_now + 1; s <= second; ++s)
            bucket(s) = 0;
    }
    setNow(second);
}

void RateWindow::addElsewhere(qint64 eventTimeMicros, qint64 n)
{
    if (n < 0)
        return;
    const qint64 second = floorSecond(eventTimeMicros);
    moveNowTo(second);
    m_total += n;
    if (second > m_now - kSeconds)
        bucket(second) += n;
}

void RateWindow::advanceTo(qint64 timeMicros) { moveNowTo(floorSecond(timeMicros)); }

void RateWindow::clear() { *this = RateWindow(); }

double RateWindow::rate(int windowSeconds, qint64 streamStartMicros) const
{
    if (!m_hasNow)
        return 0.0;
    const int w = std::clamp(windowSeconds, 1, kMaxWindow);
    // the whole seconds of the window at or after the stream's first one
    const qint64 from = std::max(m_now - w, std::min(m_now, floorSecond(streamStartMicros)));
    qint64 sum = 0;
    for (qint64 s = from; s < m_now; ++s)
        sum += bucket(s);
    return from < m_now ? static_cast<double>(sum) / double(m_now - from) : 0.0;
}

// Layout (version 1, the stream's byte order): quint8 version, quint8 hasNow, qint64 now,
// qint64 total, quint8 number of non-empty seconds, then per second quint8 age (now - second)
// and qint64 count, by increasing age.
void RateWindow::save(QDataStream& out) const
{
    quint8 nonEmpty = 0;
    for (const qint64 c : m_buckets)
        nonEmpty += c != 0 ? 1 : 0;
    out << kFormatVersion << static_cast<quint8>(m_hasNow ? 1 : 0) << m_now << m_total << nonEmpty;
    for (int age = 0; age < kSeconds && nonEmpty != 0; ++age) {
        if (const qint64 c = bucket(m_now - age))
            out << static_cast<quint8>(age) << c;
    }
}

bool RateWindow::load(QDataStream& in)
{
    const auto fail = [&] {
        clear();
        // Truncation already set ReadPastEnd; flag inconsistent-but-complete data too.
        if (in.status() == QDataStream::Ok)
            in.setStatus(QDataStream::ReadCorruptData);
        return false;
    };

    quint8 version = 0;
    quint8 hasNow = 0;
    quint8 nonEmpty = 0;
    RateWindow w;
    in >> version;
    if (in.status() != QDataStream::Ok || version != kFormatVersion)
        return fail();
    in >> hasNow >> w.m_now >> w.m_total >> nonEmpty;
    if (in.status() != QDataStream::Ok || hasNow > 1 || w.m_total < 0 || nonEmpty > kSeconds)
        return fail();
    w.m_hasNow = hasNow == 1;
    // add() can only produce seconds in this range; staying inside it keeps now - 60 from overflowing.
    if (w.m_now < floorSecond(std::numeric_limits<qint64>::min())
        || w.m_now > floorSecond(std::numeric_limits<qint64>::max()))
        return fail();
    // Without a now nothing was ever added, so everything else must be zero.
    if (!w.m_hasNow && (w.m_now != 0 || w.m_total != 0 || nonEmpty != 0))
        return fail();

    qint64 seen = 0;
    int previousAge = -1;
    for (int i = 0; i < nonEmpty; ++i) {
        quint8 age = 0;
        qint64 c = 0;
        in >> age >> c;
        if (in.status() != QDataStream::Ok)
            return fail();
        if (age <= previousAge || age >= kSeconds || c <= 0 || c > w.m_total - seen)
            return fail();
        w.bucket(w.m_now - age) = c;
        seen += c;
        previousAge = age;
    }

    w.setNow(w.m_now);
    *this = w;
    return true;
}

} // namespace FlowScope
