// SPDX-License-Identifier: MIT
#include "eventfields.h"

#include "timeformat.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <simdjson.h>

#include <charconv>

namespace FlowScope {

struct PayloadCache::Private {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    bool parsed = false;
    bool valid = false;
};

PayloadCache::PayloadCache()
    : d(std::make_unique<Private>())
{
}

PayloadCache::~PayloadCache() = default;

void PayloadCache::reset(const Event* event)
{
    m_event = event;
    d->parsed = false;
    d->valid = false;
}

QJsonValue FieldValue::toJson() const
{
    switch (kind) {
    case Kind::Missing:
    case Kind::Null: return QJsonValue(QJsonValue::Null);
    case Kind::String: return QString::fromUtf8(text);
    case Kind::Number: return number;
    case Kind::Bool: return number != 0;
    case Kind::Json: {
        const QJsonDocument doc = QJsonDocument::fromJson(text);
        return doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(doc.object());
    }
    }
    return {};
}

namespace {

FieldValue stringValue(const QByteArray& s)
{
    if (s.isNull())
        return {};
    return FieldValue { FieldValue::Kind::String, s, 0 };
}

FieldValue fromElement(simdjson::dom::element el)
{
    using T = simdjson::dom::element_type;
    FieldValue v;
    switch (el.type()) {
    case T::STRING: {
        const std::string_view s = el.get_string().value_unsafe();
        v.kind = FieldValue::Kind::String;
        v.text = QByteArray(s.data(), static_cast<qsizetype>(s.size()));
        break;
    }
    case T::INT64:
        v.kind = FieldValue::Kind::Number;
        v.number = static_cast<double>(el.get_int64().value_unsafe());
        v.text = QByteArray::number(el.get_int64().value_unsafe());
        break;
    case T::UINT64:
        v.kind = FieldValue::Kind::Number;
        v.number = static_cast<double>(el.get_uint64().value_unsafe());
        v.text = QByteArray::number(el.get_uint64().value_unsafe());
        break;
    case T::DOUBLE:
        v.kind = FieldValue::Kind::Number;
        v.number = el.get_double().value_unsafe();
        v.text = QByteArray::number(v.number, 'g', 17);
        break;
    case T::BOOL:
        v.kind = FieldValue::Kind::Bool;
        v.number = el.get_bool().value_unsafe() ? 1 : 0;
        v.text = v.number != 0 ? "true" : "false";
        break;
    case T::NULL_VALUE: v.kind = FieldValue::Kind::Null; break;
    case T::ARRAY:
    case T::OBJECT: {
        const std::string json = simdjson::minify(el);
        v.kind = FieldValue::Kind::Json;
        v.text = QByteArray(json.data(), static_cast<qsizetype>(json.size()));
        break;
    }
    }
    return v;
}

bool parseJson(simdjson::dom::parser& parser, const QByteArray& text, simdjson::dom::element* out)
{
    return parser.parse(text.constData(), static_cast<size_t>(text.size()), true).get(*out) == simdjson::SUCCESS;
}

} // namespace

FieldAccessor::FieldAccessor(const FieldPath& path)
    : m_root(path.root)
    , m_text(path.text)
{
    for (const QString& s : path.segments)
        m_segments.push_back(s.toStdString());
    if (!path.segments.isEmpty())
        m_name = path.segments.first().toUtf8();
}

FieldValue FieldAccessor::get(PayloadCache& cache) const
{
    const Event& e = cache.event();
    using Root = FieldPath::Root;
    switch (m_root) {
    case Root::Id: return stringValue(e.id);
    case Root::Type: return stringValue(e.type);
    case Root::Source: return stringValue(e.source);
    case Root::Subject: return stringValue(e.subject());
    case Root::Key: return stringValue(e.key);
    case Root::Channel: return stringValue(e.channel);
    case Root::Time: { // the time the event carries: its own, else the broker's
        const qint64 t = carriedTime(e);
        return t != NoTime ? FieldValue { FieldValue::Kind::String, TimeFormat::toRfc3339(t), 0 } : FieldValue {};
    }
    case Root::Header:
        for (const Header& h : e.headers())
            if (h.name == m_name)
                return h.isNull ? FieldValue { FieldValue::Kind::Null, {}, 0 } : stringValue(h.value);
        return {};
    case Root::Ext: {
        if (m_name == "correlationid")
            return stringValue(e.correlationId);
        if (m_name == "causationid")
            return stringValue(e.causationId);
        if (m_name == "traceparent")
            return stringValue(e.traceParent());
        if (e.extensions().isEmpty())
            return {};
        // Extensions are few and short: parse them here rather than keep them in the cache.
        thread_local simdjson::dom::parser parser;
        simdjson::dom::element root;
        if (!parseJson(parser, e.extensions(), &root))
            return {};
        simdjson::dom::element v;
        if (root.at_key(m_segments.front()).get(v) != simdjson::SUCCESS)
            return {};
        return fromElement(v);
    }
    case Root::Data: {
        auto& c = *cache.d;
        if (!c.parsed) {
            c.parsed = true;
            // data is JSON for structured events with JSON data, plain objects, and binary-mode
            // events whose payload happens to be JSON
            c.valid = !e.isUnparsed() && !e.payload.isEmpty() && !(e.flags & DataBase64)
                && parseJson(c.parser, e.payload, &c.root);
        }
        if (!c.valid)
            return {};
        simdjson::dom::element el = c.root;
        for (const std::string& seg : m_segments) {
            simdjson::dom::element next;
            if (el.is_object()) {
                if (el.at_key(seg).get(next) != simdjson::SUCCESS)
                    return {};
            } else if (el.is_array()) {
                size_t index = 0;
                const auto r = std::from_chars(seg.data(), seg.data() + seg.size(), index);
                if (r.ec != std::errc() || r.ptr != seg.data() + seg.size()
                    || el.at(index).get(next) != simdjson::SUCCESS)
                    return {};
            } else {
                return {};
            }
            el = next;
        }
        return fromElement(el);
    }
    }
    return {};
}

} // namespace FlowScope
