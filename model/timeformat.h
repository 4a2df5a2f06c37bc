// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

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

// Milliseconds since the epoch (Kafka timestamps) to micros.
constexpr qint64 fromMillis(qint64 ms) { return ms * 1000; }

qint64 nowMicros();

} // namespace TimeFormat
} // namespace FlowScope
