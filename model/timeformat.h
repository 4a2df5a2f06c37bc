// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <limits>
#include <optional>

namespace FlowScope {

// RFC 3339 timestamps <-> microseconds since the Unix epoch (UTC). Hand-written because
// QDateTime::fromString costs more than the whole rest of event parsing.
namespace TimeFormat {

// Accepts `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`; `t`, `z` and a space separator too.
// Fractions past microseconds are truncated. Returns nullopt on anything else.
std::optional<qint64> parseRfc3339(QByteArrayView text);

// Always UTC with `Z`; the fraction has 0, 3 or 6 digits, the fewest that keep the value exact.
QByteArray toRfc3339(qint64 micros);
QString toRfc3339String(qint64 micros);

// The times FlowScope reads and writes: years 0001 to 9999, as RFC 3339 writes them.
inline constexpr qint64 MaxMicros = 253'402'300'799'999'999; // 9999-12-31T23:59:59.999999Z
inline constexpr qint64 MinMicros = -62'135'596'800'000'000; // 0001-01-01T00:00:00Z

// Milliseconds since the epoch (Kafka timestamps) to micros; NoTime for a value past the years
// above (a multiplication would overflow from ~292,000 years on, and invent a time).
constexpr qint64 fromMillis(qint64 ms)
{
    return ms > MaxMicros / 1000 || ms < MinMicros / 1000 ? std::numeric_limits<qint64>::min() : ms * 1000;
}

// A number since the epoch as programs write them in plain JSON (`time`, `timestamp`), in
// seconds, milliseconds, microseconds or nanoseconds, told apart by its size: below 10^11
// seconds (a millisecond value that small would be before March 1973), below 10^14
// milliseconds (to the year 5138), below 10^17 microseconds, else nanoseconds. NoTime for a
// time past the years above.
constexpr qint64 fromEpochNumber(qint64 v)
{
    const qint64 size = v < 0 ? (v == std::numeric_limits<qint64>::min() ? v + 1 : v) * -1 : v;
    qint64 micros;
    if (size < 100'000'000'000)
        micros = v * 1'000'000;
    else if (size < 100'000'000'000'000)
        micros = v * 1'000;
    else if (size < 100'000'000'000'000'000)
        micros = v;
    else
        micros = v / 1'000;
    return micros > MaxMicros || micros < MinMicros ? std::numeric_limits<qint64>::min() : micros;
}

qint64 nowMicros();

} // namespace TimeFormat
} // namespace FlowScope
