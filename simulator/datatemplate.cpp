// SPDX-License-Identifier: MIT
#include "datatemplate.h"

#include <jsonwriter.h>

#include <charconv>
#include <cmath>

namespace FlowScope::Sim {

namespace {

void appendInteger(QByteArray& out, qint64 n)
{
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    out.append(digits, end - digits);
}

// A ${...} number: rounded to hundredths and written as QByteArray::number(x, 'g', 12) writes it
// (1.5, 48.75, 0.05, -3, 0), from whole hundredths below 10^10 (that call was most of a
// payload's cost); larger ones, infinities and NaN through QByteArray::number itself.
void appendHundredths(QByteArray& out, double v)
{
    const double hundredths = std::round(v * 100);
    if (!(std::fabs(hundredths) < 1e12)) {
        out += QByteArray::number(hundredths / 100, 'g', 12);
        return;
    }
    qint64 h = qint64(hundredths);
    if (h < 0) {
        out += '-';
        h = -h;
    }
    appendInteger(out, h / 100);
    if (const int fraction = int(h % 100)) {
        out += '.';
        out += char('0' + fraction / 10);
        if (fraction % 10)
            out += char('0' + fraction % 10);
    }
}

} // namespace

struct DataTemplate::Field {
    struct Part {
        TemplatePart::Kind kind;
        QByteArray literal;
        qint64 min = 0, max = 0;
        Distribution distribution;
        std::vector<QByteArray> choices;
    };
    QByteArray key; // "name":
    bool isObject = false;
    std::vector<Field> fields;
    std::vector<Part> parts;
    ValueTemplate::Type type = ValueTemplate::Type::String;
};

DataTemplate::DataTemplate() = default;
DataTemplate::DataTemplate(const std::vector<DataField>& fields) : m_fields(compile(fields)) { }
DataTemplate::DataTemplate(DataTemplate&&) noexcept = default;
DataTemplate& DataTemplate::operator=(DataTemplate&&) noexcept = default;
DataTemplate::~DataTemplate() = default;

std::vector<DataTemplate::Field> DataTemplate::compile(const std::vector<DataField>& fields)
{
    std::vector<Field> out;
    for (const DataField& f : fields) {
        Field c;
        Json::appendString(c.key, f.name.toUtf8());
        c.key.append(':');
        c.isObject = f.isObject;
        c.fields = compile(f.fields);
        c.type = f.value.type;
        for (const TemplatePart& p : f.value.parts) {
            Field::Part part { p.kind, p.literal.toUtf8(), p.min, p.max, p.distribution, {} };
            for (const QString& choice : p.choices)
                part.choices.push_back(choice.toUtf8());
            c.parts.push_back(std::move(part));
        }
        out.push_back(std::move(c));
    }
    return out;
}

QByteArray DataTemplate::render(Rng& rng, qint64 seq, const QByteArray& id)
{
    if (m_fields.empty())
        return QByteArrayLiteral("{}"); // static: events share it without a reference count
    QByteArray out;
    out.reserve(256);
    renderObject(out, m_fields, rng, seq, id);
    return out;
}

// Every value's parts are drawn in file order whatever its type (a null still draws), so the
// random stream does not depend on the types.
void DataTemplate::renderObject(QByteArray& out, const std::vector<Field>& fields, Rng& rng, qint64 seq,
                                const QByteArray& id)
{
    out.append('{');
    bool first = true;
    for (const Field& f : fields) {
        if (!first)
            out.append(',');
        first = false;
        out.append(f.key);
        if (f.isObject) {
            renderObject(out, f.fields, rng, seq, id);
            continue;
        }
        // numbers and bools go straight out; a string is escaped from the scratch array, and a
        // null's parts are drawn into it and dropped
        const bool direct = f.type == ValueTemplate::Type::Number || f.type == ValueTemplate::Type::Bool;
        QByteArray& text = direct ? out : m_scratch;
        if (!direct)
            m_scratch.clear();
        for (const Field::Part& p : f.parts) {
            switch (p.kind) {
            case TemplatePart::Kind::Literal: text += p.literal; break;
            case TemplatePart::Kind::Id: text += id; break;
            case TemplatePart::Kind::Seq: appendInteger(text, seq); break;
            case TemplatePart::Kind::Int: appendInteger(text, rng.integer(p.min, p.max)); break;
            case TemplatePart::Kind::Random: appendHundredths(text, rng.sample(p.distribution)); break;
            case TemplatePart::Kind::Choice:
                if (!p.choices.empty())
                    text += p.choices[size_t(rng.integer(0, qint64(p.choices.size()) - 1))];
                break;
            }
        }
        if (f.type == ValueTemplate::Type::String)
            Json::appendString(out, m_scratch);
        else if (f.type == ValueTemplate::Type::Null)
            out.append("null");
    }
    out.append('}');
}

} // namespace FlowScope::Sim
