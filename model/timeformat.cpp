// SPDX-License-Identifier: MIT
#include "timeformat.h"

#include <QDateTime>

#include <algorithm>

namespace FlowScope::TimeFormat {
namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's days_from_civil).
constexpr qint64 daysFromCivil(qint64 y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const qint64 era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<qint64>(doe) - 719468;
}

struct Civil {
    qint64 year;
    unsigned month;
    unsigned day;
};

constexpr Civil civilFromDays(qint64 z)
{
    z += 719468;
    const qint64 era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const qint64 y = static_cast<qint64>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return { y + (m <= 2), m, d };
}

bool digits(QByteArrayView s, qsizetype pos, int count, int* out)
{
    if (pos + count > s.size())
        return false;
    int v = 0;
    for (int i = 0; i < count; ++i) {
        const char c = s[pos + i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
}

bool isLeap(qint64 y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

} // namespace

std::optional<qint64> parseRfc3339(QByteArrayView s)
{
    int year, month, day, hour, minute, second;
    if (!digits(s, 0, 4, &year) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, &month) || s[7] != '-'
        || !digits(s, 8, 2, &day))
        return std::nullopt;
    const char sep = s[10];
    if (sep != 'T' && sep != 't' && sep != ' ')
        return std::nullopt;
    if (!digits(s, 11, 2, &hour) || s[13] != ':' || !digits(s, 14, 2, &minute) || s[16] != ':'
        || !digits(s, 17, 2, &second))
        return std::nullopt;
    static constexpr int monthDays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60)
        return std::nullopt;
    if (day > monthDays[month - 1] + (month == 2 && isLeap(year) ? 1 : 0))
        return std::nullopt;
    if (second == 60) // leap second: RFC 3339 allows it; fold onto the next second's start
        second = 59;

    qsizetype pos = 19;
    qint64 fraction = 0;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        int n = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (n < 6)
                fraction = fraction * 10 + (s[pos] - '0');
            ++n;
            ++pos;
        }
        if (n == 0)
            return std::nullopt;
        for (int i = n; i < 6; ++i)
            fraction *= 10;
    }
    if (pos >= s.size())
        return std::nullopt;
    qint64 offsetSeconds = 0;
    const char z = s[pos];
    if (z == 'Z' || z == 'z') {
        ++pos;
    } else if (z == '+' || z == '-') {
        int oh, om;
        if (!digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, &om)
            || oh > 23 || om > 59)
            return std::nullopt;
        offsetSeconds = (oh * 3600 + om * 60) * (z == '+' ? 1 : -1);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size())
        return std::nullopt;
    const qint64 days = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    const qint64 secs = days * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds;
    return secs * 1000000 + fraction;
}

QByteArray toRfc3339(qint64 micros)
{
    qint64 secs = micros / 1000000;
    qint64 frac = micros % 1000000;
    if (frac < 0) {
        frac += 1000000;
        --secs;
    }
    qint64 days = secs / 86400;
    qint64 rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    const Civil c = civilFromDays(days);
    // Digits by hand: views format an event's time for every event they fold, and snprintf was
    // a tenth of the demo's fold.
    char buf[48];
    char* p = buf;
    const auto digits = [&p](qint64 v, int width) {
        for (int i = width - 1; i >= 0; --i) {
            p[i] = char('0' + v % 10);
            v /= 10;
        }
        p += width;
    };
    // the year as printf's "%04lld" writes it: four places, the sign counted, more when needed
    qint64 year = c.year;
    int width = 4;
    if (year < 0) {
        *p++ = '-';
        year = -year;
        width = 3;
    }
    int length = 1;
    for (qint64 v = year; v >= 10; v /= 10)
        ++length;
    digits(year, std::max(width, length));
    *p++ = '-';
    digits(c.month, 2);
    *p++ = '-';
    digits(c.day, 2);
    *p++ = 'T';
    digits(rem / 3600, 2);
    *p++ = ':';
    digits(rem / 60 % 60, 2);
    *p++ = ':';
    digits(rem % 60, 2);
    if (frac % 1000 == 0 && frac != 0) {
        *p++ = '.';
        digits(frac / 1000, 3);
    } else if (frac != 0) {
        *p++ = '.';
        digits(frac, 6);
    }
    *p++ = 'Z';
    return QByteArray(buf, p - buf);
}

QString toRfc3339String(qint64 micros) { return QString::fromLatin1(toRfc3339(micros)); }

qint64 nowMicros() { return QDateTime::currentMSecsSinceEpoch() * 1000; }

} // namespace FlowScope::TimeFormat
