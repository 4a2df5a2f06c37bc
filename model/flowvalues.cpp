// SPDX-License-Identifier: MIT
#include "flowvalues.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

using namespace Qt::StringLiterals;

namespace FlowScope {

namespace {

constexpr qint64 UsPerMs = 1000;
constexpr qint64 UsPerS = 1000 * UsPerMs;
constexpr qint64 UsPerMin = 60 * UsPerS;
constexpr qint64 UsPerHour = 60 * UsPerMin;

bool isDigitOrDot(QChar c) { return (c >= u'0' && c <= u'9') || c == u'.'; }
bool isUnitChar(QChar c) { return (c >= u'a' && c <= u'z') || c == u'µ'; }

// The units of a duration, largest first; a compound names each at most once, in this order.
struct TimeUnit {
    qint64 micros;
    QStringView name; // as toString() and compoundText() write it
};
constexpr TimeUnit TimeUnits[] = {
    { UsPerHour, u"h" },
    { UsPerMin, u"m" },
    { UsPerS, u"s" },
    { UsPerMs, u"ms" },
    { 1, u"us" },
};

// The index of `unit` in TimeUnits, -1 if the unit is unknown.
int unitIndex(QStringView unit)
{
    if (unit == u"us" || unit == u"µs")
        return 4;
    if (unit == u"ms")
        return 3;
    if (unit == u"s")
        return 2;
    if (unit == u"m" || unit == u"min")
        return 1;
    if (unit == u"h")
        return 0;
    return -1;
}

// `micros` as a compound with each unit once, largest first (`2m30s`, `1s500ms`): the spelling
// an error about a compound suggests instead.
QString compoundText(qint64 micros)
{
    if (micros == 0)
        return u"0"_s;
    QString text;
    for (const TimeUnit& unit : TimeUnits) {
        if (micros >= unit.micros) {
            text += QString::number(micros / unit.micros) + unit.name;
            micros %= unit.micros;
        }
    }
    return text;
}

QString formatNumber(double v) { return QString::number(v, 'g', 12); }

// Splits `name(a, b)` into the name and its trimmed arguments. False if the text has no call shape.
bool splitCall(QStringView text, QStringView* name, QList<QStringView>* args)
{
    const qsizetype open = text.indexOf(u'(');
    if (open <= 0 || !text.endsWith(u')'))
        return false;
    *name = text.first(open).trimmed();
    const QStringView inner = text.sliced(open + 1, text.size() - open - 2).trimmed();
    args->clear();
    if (inner.isEmpty())
        return true;
    for (QStringView arg : inner.tokenize(u','))
        args->append(arg.trimmed());
    return true;
}

} // namespace

// ---- Duration ---------------------------------------------------------------------------------

QString Duration::toString() const
{
    if (micros == 0)
        return u"0"_s;
    for (const TimeUnit& unit : TimeUnits) {
        if (micros % unit.micros == 0)
            return QString::number(micros / unit.micros) + unit.name;
    }
    return QString::number(micros) + u"us"; // unreachable: every value divides by 1
}

Parsed<Duration> Duration::parse(QStringView text)
{
    const QStringView t = text.trimmed();
    const auto fail = [&] {
        return Parsed<Duration>::failure(u"expected a duration such as 250us, 5ms, 2s, 3m or 1h, got '%1'"_s.arg(text));
    };
    if (t == u"0")
        return Parsed<Duration>::success({});
    if (t.isEmpty())
        return fail();
    double total = 0;
    qsizetype i = 0;
    int previous = -1; // the previous component's unit, an index into TimeUnits
    QStringView previousText;
    QString problem; // why the compound is not one, reported once the whole text is read
    // A sequence of number+unit components: `1m30s` is 90 seconds. A compound reads like a
    // clock, so `1m1m`, `500ms1s` and `1m90s` (which added up to 120 s, 1.5 s and 150 s) are
    // taken for slips rather than summed: each unit once, largest first, a part after the first
    // under one of the next larger unit, and a fraction only in the last part.
    while (i < t.size()) {
        const qsizetype numberStart = i;
        while (i < t.size() && isDigitOrDot(t[i]))
            ++i;
        const QStringView numberText = t.sliced(numberStart, i - numberStart);
        const std::optional<double> number = parseNumber(numberText);
        const qsizetype unitStart = i;
        while (i < t.size() && isUnitChar(t[i]))
            ++i;
        const QStringView unitText = t.sliced(unitStart, i - unitStart);
        const int unit = unitIndex(unitText);
        if (i == numberStart || !number || unit < 0)
            return fail();
        const double micros = *number * double(TimeUnits[unit].micros);
        total += micros;
        if (problem.isEmpty() && previous >= 0) {
            if (unit == previous)
                problem = u"%1 comes twice"_s.arg(unitText);
            else if (unit < previous)
                problem = u"%1 comes after %2"_s.arg(unitText, previousText);
            else if (micros >= double(TimeUnits[unit - 1].micros))
                problem = u"%1%2 is 1%3 or more"_s.arg(numberText, unitText, TimeUnits[unit - 1].name);
        }
        if (problem.isEmpty() && numberText.contains(u'.') && i < t.size())
            problem = u"the fraction %1%2 is not the last part"_s.arg(numberText, unitText);
        previous = unit;
        previousText = unitText;
    }
    if (total >= 9.0e18)
        return Parsed<Duration>::failure(u"the duration '%1' is too long"_s.arg(text));
    if (!problem.isEmpty())
        return Parsed<Duration>::failure(u"in the duration '%1', %2: write %3 (a compound gives each unit once, "
                                         u"largest first, and each part after the first under one of the next "
                                         u"larger unit)"_s.arg(text, problem, compoundText(std::llround(total))));
    return Parsed<Duration>::success({ std::llround(total) });
}

// ---- Rate -------------------------------------------------------------------------------------

QString Rate::toString() const { return formatNumber(perSecond) + u"/s"; }

Parsed<Rate> Rate::parse(QStringView text)
{
    const QStringView t = text.trimmed();
    const qsizetype slash = t.indexOf(u'/');
    const auto fail
        = [&] { return Parsed<Rate>::failure(u"expected a rate such as 200/s, 5/min or 10/h, got '%1'"_s.arg(text)); };
    if (slash <= 0)
        return fail();
    const std::optional<double> count = parseNumber(t.first(slash));
    const QStringView unit = t.sliced(slash + 1).trimmed();
    double seconds = 0;
    if (unit == u"s" || unit == u"sec")
        seconds = 1;
    else if (unit == u"m" || unit == u"min")
        seconds = 60;
    else if (unit == u"h")
        seconds = 3600;
    if (!count || seconds == 0 || *count < 0)
        return fail();
    if (*count / seconds > MaxPerSecond)
        return Parsed<Rate>::failure(
            u"the rate '%1' is more than 1000000/s: the simulator's time resolution is 1 µs, so it generates at most "
            u"one event per µs"_s.arg(text));
    return Parsed<Rate>::success({ *count / seconds });
}

// ---- Distribution -----------------------------------------------------------------------------

double Distribution::mean() const
{
    switch (kind) {
    case Kind::Constant:
    case Kind::Exponential:
    case Kind::Normal:
        return a;
    case Kind::Uniform:
        return (a + b) / 2;
    case Kind::LogNormal:
        return a * std::exp(b * b / 2);
    }
    return a;
}

QString Distribution::toString() const
{
    const auto value
        = [this](double v) { return unit == Unit::Time ? Duration { std::llround(v) }.toString() : formatNumber(v); };
    switch (kind) {
    case Kind::Constant:
        return value(a);
    case Kind::Exponential:
        return u"exp(%1)"_s.arg(value(a));
    case Kind::Uniform:
        return u"uniform(%1, %2)"_s.arg(value(a), value(b));
    case Kind::Normal:
        return u"normal(%1, %2)"_s.arg(value(a), value(b));
    case Kind::LogNormal:
        return u"lognormal(%1, %2)"_s.arg(value(a), formatNumber(b));
    }
    return {};
}

namespace {

Parsed<Distribution> parseDistribution(QStringView text, Distribution::Unit unit)
{
    using Kind = Distribution::Kind;
    const bool time = unit == Distribution::Unit::Time;
    const QStringView t = text.trimmed();
    const auto fail = [&](const QString& why = {}) {
        if (!why.isEmpty())
            return Parsed<Distribution>::failure(why);
        return Parsed<Distribution>::failure(time
                ? u"expected a distribution such as 5ms, exp(5ms), uniform(1ms, 9ms), normal(5ms, 1ms) or "
                  u"lognormal(15ms, 0.4), got '%1'"_s.arg(text)
                : u"expected a distribution such as 3, exp(2), uniform(1, 9), normal(5, 1) or lognormal(60, 0.5), "
                  u"got '%1'"_s.arg(text));
    };
    // One argument: a duration (in microseconds) or a number, depending on the unit.
    const auto value = [&](QStringView arg, bool forceNumber, QString* error) -> std::optional<double> {
        if (time && !forceNumber) {
            const Parsed<Duration> d = Duration::parse(arg);
            if (!d) {
                *error = u"in '%1': %2"_s.arg(text, d.error());
                return std::nullopt;
            }
            return double(d->micros);
        }
        const std::optional<double> n = parseNumber(arg);
        if (!n)
            *error = u"in '%1': expected a number, got '%2'"_s.arg(text, arg);
        return n;
    };

    QStringView name;
    QList<QStringView> args;
    QString error;
    if (!splitCall(t, &name, &args)) {
        if (t.contains(u'(') || t.contains(u')'))
            return fail();
        const std::optional<double> v = value(t, false, &error);
        if (!v && time) {
            // A duration in the wrong order (`1m90s`) or too long says so, not that it is no
            // distribution; anything else gets the distributions' examples.
            const Parsed<Duration> d = Duration::parse(t);
            if (!d.error().startsWith(u"expected "))
                return fail(d.error());
        }
        if (!v)
            return fail();
        return Parsed<Distribution>::success({ Kind::Constant, unit, *v, 0 });
    }

    struct Spec {
        QStringView name;
        Kind kind;
        const char16_t* params;
    };
    static const Spec specs[] = {
        { u"exp", Kind::Exponential, u"(mean)" },
        { u"uniform", Kind::Uniform, u"(low, high)" },
        { u"normal", Kind::Normal, u"(mean, sd)" },
        { u"lognormal", Kind::LogNormal, u"(median, sigma)" },
    };
    const Spec* spec = nullptr;
    for (const Spec& s : specs) {
        if (s.name == name)
            spec = &s;
    }
    if (!spec)
        return fail(u"unknown distribution '%1' in '%2': expected exp, uniform, normal or lognormal"_s.arg(name, text));
    const qsizetype wanted = spec->kind == Kind::Exponential ? 1 : 2;
    if (args.size() != wanted)
        return fail(u"%1%2 takes %3 argument%4, got '%5'"_s.arg(spec->name, QStringView(spec->params))
                        .arg(wanted)
                        .arg(wanted == 1 ? u""_s : u"s"_s, text));

    Distribution d { spec->kind, unit, 0, 0 };
    const std::optional<double> first = value(args[0], false, &error);
    if (!first)
        return fail(error);
    d.a = *first;
    if (wanted == 2) {
        const std::optional<double> second = value(args[1], spec->kind == Kind::LogNormal, &error);
        if (!second)
            return fail(error);
        d.b = *second;
    }
    switch (d.kind) {
    case Kind::Exponential:
        if (d.a <= 0)
            return fail(u"the mean of exp() must be positive, got '%1'"_s.arg(text));
        break;
    case Kind::Uniform:
        if (d.a > d.b)
            return fail(u"uniform(low, high) needs low <= high, got '%1'"_s.arg(text));
        break;
    case Kind::Normal:
        if (d.b < 0)
            return fail(u"the standard deviation of normal() cannot be negative, got '%1'"_s.arg(text));
        break;
    case Kind::LogNormal:
        if (d.a <= 0 || d.b < 0)
            return fail(u"lognormal(median, sigma) needs median > 0 and sigma >= 0, got '%1'"_s.arg(text));
        break;
    case Kind::Constant:
        break;
    }
    return Parsed<Distribution>::success(d);
}

} // namespace

Parsed<Distribution> Distribution::parseTime(QStringView text) { return parseDistribution(text, Unit::Time); }
Parsed<Distribution> Distribution::parseNumber(QStringView text) { return parseDistribution(text, Unit::Number); }

// ---- Numbers ----------------------------------------------------------------------------------

std::optional<double> parseNumber(QStringView text)
{
    const QStringView t = text.trimmed();
    if (t.isEmpty())
        return std::nullopt;
    // toDouble() would also take "inf", "nan" and surrounding blanks; a flow file means digits.
    for (QChar c : t) {
        if (!isDigitOrDot(c) && c != u'-' && c != u'+' && c != u'e' && c != u'E')
            return std::nullopt;
    }
    bool ok = false;
    const double v = t.toDouble(&ok);
    if (!ok || !std::isfinite(v))
        return std::nullopt;
    return v;
}

Parsed<double> parseProbability(QStringView text)
{
    QStringView t = text.trimmed();
    const bool percent = t.endsWith(u'%');
    if (percent)
        t.chop(1);
    std::optional<double> v = parseNumber(t);
    if (!v)
        return Parsed<double>::failure(u"expected a probability such as 0.05 or 5%, got '%1'"_s.arg(text));
    if (percent)
        *v /= 100;
    if (*v < 0 || *v > 1)
        return Parsed<double>::failure(u"a probability must be between 0 and 1 (0% and 100%), got '%1'"_s.arg(text));
    return Parsed<double>::success(*v);
}

Parsed<double> parseFactor(QStringView text)
{
    QStringView t = text.trimmed();
    if (t.endsWith(u'x') || t.endsWith(u'×'))
        t.chop(1);
    const std::optional<double> v = parseNumber(t);
    if (!v || *v <= 0)
        return Parsed<double>::failure(u"expected a positive factor such as 10x, got '%1'"_s.arg(text));
    return Parsed<double>::success(*v);
}

// ---- FieldPath --------------------------------------------------------------------------------

Parsed<FieldPath> FieldPath::parse(QStringView text)
{
    using Root = FieldPath::Root;
    static const std::pair<QStringView, Root> roots[] = {
        { u"id", Root::Id },
        { u"type", Root::Type },
        { u"source", Root::Source },
        { u"subject", Root::Subject },
        { u"time", Root::Time },
        { u"key", Root::Key },
        { u"channel", Root::Channel },
        { u"data", Root::Data },
        { u"ext", Root::Ext },
        { u"header", Root::Header },
    };
    const QStringView t = text.trimmed();
    const auto fail = [&](const QString& why) { return Parsed<FieldPath>::failure(why); };
    if (t.isEmpty())
        return fail(u"expected a path such as data.orderId, ext.correlationid or key, got nothing"_s);
    for (QChar c : t) {
        if (c.isSpace())
            return fail(u"a path has no spaces, got '%1'"_s.arg(text));
    }
    const qsizetype dot = t.indexOf(u'.');
    const QStringView head = dot < 0 ? t : t.first(dot);
    const QStringView rest = dot < 0 ? QStringView() : t.sliced(dot + 1);
    FieldPath path;
    path.text = t.toString();
    bool found = false;
    for (const auto& [name, root] : roots) {
        if (name == head) {
            path.root = root;
            found = true;
        }
    }
    if (!found)
        return fail(u"unknown path '%1': a path starts with id, type, source, subject, time, key, channel, "
                    u"data, ext or header"_s.arg(text));
    switch (path.root) {
    case Root::Data:
        if (dot >= 0) {
            for (QStringView segment : rest.tokenize(u'.')) {
                if (segment.isEmpty())
                    return fail(u"empty segment in path '%1'"_s.arg(text));
                path.segments.append(segment.toString());
            }
        }
        break;
    case Root::Ext:
        if (rest.isEmpty() || rest.contains(u'.'))
            return fail(u"ext takes one extension name, as in ext.correlationid, got '%1'"_s.arg(text));
        path.segments.append(rest.toString());
        break;
    case Root::Header:
        if (rest.isEmpty())
            return fail(u"header takes a header name, as in header.traceparent, got '%1'"_s.arg(text));
        path.segments.append(rest.toString()); // header names may contain dots
        break;
    default:
        if (dot >= 0)
            return fail(u"'%1' has no fields below it, got '%2'"_s.arg(head, text));
        break;
    }
    return Parsed<FieldPath>::success(path);
}

// ---- Templates --------------------------------------------------------------------------------

namespace {

Parsed<TemplatePart> parseTemplateExpression(QStringView expr, QStringView whole)
{
    using Kind = TemplatePart::Kind;
    const QStringView e = expr.trimmed();
    TemplatePart part;
    const auto fail = [&](const QString& why) { return Parsed<TemplatePart>::failure(why); };
    if (e == u"id") {
        part.kind = Kind::Id;
        return Parsed<TemplatePart>::success(part);
    }
    if (e == u"seq") {
        part.kind = Kind::Seq;
        return Parsed<TemplatePart>::success(part);
    }
    QStringView name;
    QList<QStringView> args;
    if (splitCall(e, &name, &args)) {
        if (name == u"int") {
            bool okA = false;
            bool okB = false;
            if (args.size() == 2) {
                part.min = args[0].toLongLong(&okA);
                part.max = args[1].toLongLong(&okB);
            }
            if (!okA || !okB || part.min > part.max)
                return fail(u"int(a, b) takes two whole numbers a <= b, got '${%1}' in '%2'"_s.arg(expr, whole));
            part.kind = Kind::Int;
            return Parsed<TemplatePart>::success(part);
        }
        if (name == u"choice") {
            for (QStringView arg : args) {
                if (arg.isEmpty())
                    return fail(u"choice(a, b, ...) takes non-empty words, got '${%1}' in '%2'"_s.arg(expr, whole));
                part.choices.append(arg.toString());
            }
            if (part.choices.isEmpty())
                return fail(u"choice(a, b, ...) needs at least one word, got '${%1}' in '%2'"_s.arg(expr, whole));
            part.kind = Kind::Choice;
            return Parsed<TemplatePart>::success(part);
        }
        if (name == u"uniform" || name == u"normal" || name == u"lognormal" || name == u"exp") {
            const Parsed<Distribution> d = Distribution::parseNumber(e);
            if (!d)
                return fail(d.error());
            part.kind = Kind::Random;
            part.distribution = *d;
            return Parsed<TemplatePart>::success(part);
        }
    }
    return fail(
        u"unknown template expression '${%1}' in '%2': expected ${id}, ${seq}, ${int(a,b)}, "
        u"${uniform(a,b)}, ${normal(m,s)}, ${lognormal(m,s)}, ${exp(m)} or ${choice(a,b,...)}"_s.arg(expr, whole));
}

} // namespace

Parsed<ValueTemplate> ValueTemplate::parse(QStringView text, bool quoted)
{
    using Kind = TemplatePart::Kind;
    ValueTemplate result;
    result.text = text.toString();
    const auto literal = [](QString s) {
        TemplatePart p;
        p.literal = std::move(s);
        return p;
    };
    if (!quoted) {
        // An unquoted YAML scalar keeps its JSON type, as it would in the event's payload.
        if (text.isEmpty() || text == u"null" || text == u"~") {
            result.type = Type::Null;
            return Parsed<ValueTemplate>::success(result);
        }
        if (text == u"true" || text == u"false") {
            result.type = Type::Bool;
            result.parts.append(literal(text.toString()));
            return Parsed<ValueTemplate>::success(result);
        }
        if (parseNumber(text)) {
            result.type = Type::Number;
            result.parts.append(literal(text.toString()));
            return Parsed<ValueTemplate>::success(result);
        }
    }
    QString pending;
    qsizetype i = 0;
    while (i < text.size()) {
        if (text.sliced(i).startsWith(u"$${")) {
            pending += u"${";
            i += 3;
            continue;
        }
        if (!text.sliced(i).startsWith(u"${")) {
            pending += text[i];
            ++i;
            continue;
        }
        const qsizetype close = text.indexOf(u'}', i + 2);
        if (close < 0)
            return Parsed<ValueTemplate>::failure(u"unterminated '${' in template '%1'"_s.arg(text));
        const Parsed<TemplatePart> part = parseTemplateExpression(text.sliced(i + 2, close - i - 2), text);
        if (!part)
            return Parsed<ValueTemplate>::failure(part.error());
        if (!pending.isEmpty())
            result.parts.append(literal(std::exchange(pending, {})));
        result.parts.append(*part);
        i = close + 1;
    }
    if (!pending.isEmpty())
        result.parts.append(literal(pending));
    const bool numeric = result.parts.size() == 1
        && (result.parts[0].kind == Kind::Seq || result.parts[0].kind == Kind::Int
            || result.parts[0].kind == Kind::Random);
    result.type = numeric ? Type::Number : Type::String;
    return Parsed<ValueTemplate>::success(result);
}

// ---- Hints ------------------------------------------------------------------------------------

int editDistance(QStringView a, QStringView b)
{
    // Optimal string alignment distance: a swapped pair of letters ("wehn") counts as one edit.
    const QString x = a.toString().toLower();
    const QString y = b.toString().toLower();
    const qsizetype n = x.size();
    const qsizetype m = y.size();
    std::vector<std::vector<int>> d(size_t(n + 1), std::vector<int>(size_t(m + 1), 0));
    for (qsizetype i = 0; i <= n; ++i)
        d[size_t(i)][0] = int(i);
    for (qsizetype j = 0; j <= m; ++j)
        d[0][size_t(j)] = int(j);
    for (qsizetype i = 1; i <= n; ++i) {
        for (qsizetype j = 1; j <= m; ++j) {
            const size_t si = size_t(i);
            const size_t sj = size_t(j);
            const int cost = x[i - 1] == y[j - 1] ? 0 : 1;
            d[si][sj] = std::min({ d[si - 1][sj] + 1, d[si][sj - 1] + 1, d[si - 1][sj - 1] + cost });
            if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1])
                d[si][sj] = std::min(d[si][sj], d[si - 2][sj - 2] + 1);
        }
    }
    return d[size_t(n)][size_t(m)];
}

QString closestMatch(QStringView word, const QStringList& candidates)
{
    const int limit = std::max<int>(1, int(word.size() / 3));
    int best = std::numeric_limits<int>::max();
    QString match;
    for (const QString& candidate : candidates) {
        const int d = editDistance(word, candidate);
        if (d < best && d <= limit) {
            best = d;
            match = candidate;
        }
    }
    return match;
}

} // namespace FlowScope
