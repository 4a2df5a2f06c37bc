// SPDX-License-Identifier: MIT
#pragma once

// The small value types of the flow file (docs/flow-file.md "Values") and their parsers.
// Every parser takes the text of one YAML scalar and either returns the value or an error
// message that says what was expected and what was found, so that the flow file parser
// only has to add the position.

#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QStringView>

#include <compare>
#include <optional>
#include <utility>

namespace FlowScope {

// Where something came from in the flow file: 1-based line and column; 0 when it was not
// read from a file (a default, or a value built in code).
struct SourcePos {
    int line = 0;
    int column = 0;

    bool isValid() const { return line > 0; }
    bool sameAs(const SourcePos& other) const { return line == other.line && column == other.column; }
    // Positions are metadata, not part of a value's identity: the same flow read from YAML and
    // from JSON must compare equal, so every defaulted operator== of a flow struct ignores them.
    // Use sameAs() to compare two positions.
    friend bool operator==(const SourcePos&, const SourcePos&) { return true; }
};

// The result of parsing one value: the value, or why it is not one (C++20 has no std::expected).
template <typename T> class Parsed {
public:
    static Parsed success(T value)
    {
        Parsed p;
        p.m_value = std::move(value);
        return p;
    }
    static Parsed failure(QString error)
    {
        Parsed p;
        p.m_error = std::move(error);
        return p;
    }

    bool ok() const { return m_value.has_value(); }
    explicit operator bool() const { return ok(); }
    const T& value() const { return *m_value; }
    const T& operator*() const { return *m_value; }
    const T* operator->() const { return &*m_value; }
    const std::optional<T>& optional() const { return m_value; }
    const QString& error() const { return m_error; }

private:
    std::optional<T> m_value;
    QString m_error;
};

// A span of time in microseconds: `250us 5ms 2s 3m 1h`, fractions (`1.5s`), compounds (`1m30s`,
// each unit once, largest first, each part after the first under one of the next larger unit),
// and a bare `0`.
struct Duration {
    qint64 micros = 0;

    static constexpr Duration fromMicros(qint64 us) { return Duration { us }; }
    static constexpr Duration fromMillis(qint64 ms) { return Duration { ms * 1000 }; }
    static constexpr Duration fromSeconds(qint64 s) { return Duration { s * 1000000 }; }
    double toSeconds() const { return double(micros) / 1e6; }
    double toMillis() const { return double(micros) / 1e3; }

    // The shortest exact spelling in the flow file's grammar (`1500ms`, `2m`, `0`).
    QString toString() const;
    static Parsed<Duration> parse(QStringView text);

    friend auto operator<=>(const Duration&, const Duration&) = default;
};

// Events per second. Written `200/s`, `5/min` (or `5/m`), `10/h`; at most MaxPerSecond.
struct Rate {
    // The simulator's clock counts whole microseconds and puts at least 1 µs between two
    // arrivals of a generator, so a faster rate would silently run at this one.
    static constexpr double MaxPerSecond = 1e6;

    double perSecond = 0;

    QString toString() const;
    static Parsed<Rate> parse(QStringView text);

    friend bool operator==(const Rate&, const Rate&) = default;
};

// A random variable. Time distributions (service times, latencies, cold starts) take
// durations and keep their parameters in microseconds; number distributions (payload
// templates) take plain numbers. The lognormal's sigma is a plain number in both.
struct Distribution {
    enum class Kind { Constant, Exponential, Uniform, Normal, LogNormal };
    enum class Unit { Time, Number };

    Kind kind = Kind::Constant;
    Unit unit = Unit::Time;
    double a = 0; // Constant: the value; Exponential: mean; Uniform: low; Normal: mean; LogNormal: median
    double b = 0; // Uniform: high; Normal: standard deviation; LogNormal: sigma (of the log)

    static Distribution constant(Duration d) { return { Kind::Constant, Unit::Time, double(d.micros), 0 }; }
    // The expected value (in microseconds for time distributions). A normal time distribution
    // is clamped at zero when sampled; its mean here is the unclamped one.
    double mean() const;
    QString toString() const;

    // `5ms`, `exp(5ms)`, `uniform(1ms, 9ms)`, `normal(5ms, 1ms)`, `lognormal(15ms, 0.4)`
    static Parsed<Distribution> parseTime(QStringView text);
    // The same grammar over plain numbers: `3`, `exp(2)`, `uniform(1, 9)`, `lognormal(60, 0.5)`
    static Parsed<Distribution> parseNumber(QStringView text);

    friend bool operator==(const Distribution&, const Distribution&) = default;
};

// `0.05` or `5%`, in [0, 1].
Parsed<double> parseProbability(QStringView text);
// `10x` (or a plain `10`): a positive multiplier.
Parsed<double> parseFactor(QStringView text);
// A plain decimal number (no unit), as a YAML scalar spells it.
std::optional<double> parseNumber(QStringView text);

// Where a value sits in an event: `id type source subject time key channel`, `data` (the whole
// payload) or `data.a.b` (numeric segments index arrays), `ext.NAME` (a CloudEvents extension)
// and `header.NAME` (a Kafka/transport header; the name may contain dots).
struct FieldPath {
    enum class Root { Id, Type, Source, Subject, Time, Key, Channel, Data, Ext, Header };

    Root root = Root::Data;
    QStringList segments; // below `data`; the one name for `ext` and `header`; empty otherwise
    QString text; // as written
    SourcePos pos;

    static Parsed<FieldPath> parse(QStringView text);

    friend bool operator==(const FieldPath&, const FieldPath&) = default;
};

// One piece of a payload template (docs/flow-file.md "Templates").
struct TemplatePart {
    enum class Kind {
        Literal, // text as is
        Id, // ${id}: a fresh unique id per generated event (the same within one event)
        Seq, // ${seq}: 1, 2, 3 ... per load generator
        Int, // ${int(a,b)}: a whole number, uniform in [a, b]
        Random, // ${uniform(a,b)} ${normal(m,s)} ${lognormal(m,s)} ${exp(m)}: a number
        Choice, // ${choice(a,b,c)}: one of the words, uniformly
    };
    Kind kind = Kind::Literal;
    QString literal;
    qint64 min = 0;
    qint64 max = 0;
    Distribution distribution; // Unit::Number
    QStringList choices;

    friend bool operator==(const TemplatePart&, const TemplatePart&) = default;
};

// A payload template value: text with `${...}` substitutions (`$${` writes a literal `${`).
// `type` is the JSON type of what it produces: a template that is exactly one numeric
// expression (`${int(1,5)}`, `${seq}`, `${lognormal(60,0.5)}`) gives a number, any other text a
// string; an unquoted YAML number, `true`/`false` or `null` stays a number, bool or null.
struct ValueTemplate {
    enum class Type { String, Number, Bool, Null };

    QList<TemplatePart> parts;
    Type type = Type::String;
    QString text;
    SourcePos pos;

    // `quoted`: the YAML scalar was quoted, so `5` is the string "5", not a number.
    static Parsed<ValueTemplate> parse(QStringView text, bool quoted);

    friend bool operator==(const ValueTemplate&, const ValueTemplate&) = default;
};

// Levenshtein distance, case-insensitive; used for "did you mean" hints.
int editDistance(QStringView a, QStringView b);
// The candidate closest to `word` if it is close enough to be a likely typo, else empty.
QString closestMatch(QStringView word, const QStringList& candidates);

} // namespace FlowScope

Q_DECLARE_TYPEINFO(FlowScope::SourcePos, Q_PRIMITIVE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::Duration, Q_PRIMITIVE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::Rate, Q_PRIMITIVE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::Distribution, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::FieldPath, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::TemplatePart, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::ValueTemplate, Q_RELOCATABLE_TYPE);
