// SPDX-License-Identifier: MIT
#include "eventparser.h"

#include "namepool.h"

#include "jsonwriter.h"
#include "timeformat.h"

#include <QScopeGuard>

#include <simdjson.h>

#include <charconv>
#include <string>
#include <vector>

namespace FlowScope {
namespace sj = simdjson::ondemand;

namespace {

// One member of a JSON object as the first pass saw it. Views point into the parser's
// buffers and stay valid until that parser is used again.
struct FieldView {
    std::string_view key;
    sj::json_type type;
    std::string_view text; // strings: unescaped; everything else: the raw JSON token or text
};

struct HeaderView {
    std::string_view name;
    std::string_view value;
    bool isNull = false;
};

struct ObjectScan {
    std::vector<FieldView> fields;
    std::vector<HeaderView> headers;
    bool hasHeaders = false;
    std::string_view json; // the whole object text

    const FieldView* find(std::string_view key) const
    {
        for (const FieldView& f : fields)
            if (f.key == key)
                return &f;
        return nullptr;
    }
};

QByteArray bytes(std::string_view v) { return QByteArray(v.data(), static_cast<qsizetype>(v.size())); }

std::string_view trimRight(std::string_view v)
{
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\n' || v.back() == '\r'))
        v.remove_suffix(1);
    return v;
}

const char* typeName(sj::json_type t)
{
    switch (t) {
    case sj::json_type::array: return "an array";
    case sj::json_type::object: return "an object";
    case sj::json_type::number: return "a number";
    case sj::json_type::string: return "a string";
    case sj::json_type::boolean: return "a boolean";
    case sj::json_type::null: return "null";
    }
    return "?";
}

std::optional<qint64> toInt(const FieldView& f)
{
    if (f.type != sj::json_type::number)
        return std::nullopt;
    qint64 v = 0;
    const auto r = std::from_chars(f.text.data(), f.text.data() + f.text.size(), v);
    if (r.ec != std::errc() || r.ptr != f.text.data() + f.text.size())
        return std::nullopt;
    return v;
}

// A JSON string of base64 (FlowScope's `key_base64` / `payload_base64`), decoded.
std::optional<QByteArray> base64(const FieldView& f)
{
    if (f.type != sj::json_type::string)
        return std::nullopt;
    auto decoded = QByteArray::fromBase64Encoding(
        QByteArray::fromRawData(f.text.data(), qsizetype(f.text.size())), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    return std::move(*decoded);
}

bool isJsonContentType(const QByteArray& ct)
{
    // application/json, application/cloudevents+json, text/json, anything/+json; parameters ignored
    const qsizetype semi = ct.indexOf(';');
    const QByteArray base = (semi < 0 ? ct : ct.left(semi)).trimmed().toLower();
    return base.isEmpty() || base.endsWith("/json") || base.endsWith("+json");
}

// Makes an Event that could not be understood: the bytes are kept as they came.
Event unparsed(QByteArrayView original, EventFormat format, QByteArray reason)
{
    Event e;
    e.format = format;
    e.flags = Unparsed;
    e.payload = original.toByteArray();
    e.setError(std::move(reason));
    return e;
}

} // namespace

struct EventParser::Private {
    // Level 0 parses a line; level 1 parses a Kafka value found inside it (kcat -J), so the
    // views of the outer object stay valid while the inner one is read.
    sj::parser parser[2];
    std::string scratch[2];
    ObjectScan scan[2];

    // Reads the top-level object of `json` into scan[level]. Returns an error message, or an
    // empty array on success.
    QByteArray scanObject(int level, std::string_view json)
    {
        ObjectScan& out = scan[level];
        out.fields.clear();
        out.headers.clear();
        out.hasHeaders = false;
        out.json = trimRight(json);

        // simdjson reads SIMDJSON_PADDING bytes past the end: copy into a padded buffer we reuse.
        std::string& buf = scratch[level];
        if (buf.capacity() < json.size() + simdjson::SIMDJSON_PADDING)
            buf.reserve(json.size() + simdjson::SIMDJSON_PADDING);
        buf.assign(json.data(), json.size());
        out.json = trimRight(std::string_view(buf.data(), buf.size()));

        sj::document doc;
        auto error = parser[level].iterate(buf.data(), buf.size(), buf.capacity()).get(doc);
        if (error)
            return describe(error, nullptr, buf); // no document to ask for a location
        sj::object obj;
        if ((error = doc.get_object().get(obj))) {
            if (error == simdjson::INCORRECT_TYPE)
                return notAnObject(out.json);
            return describe(error, &doc, buf);
        }
        for (auto field : obj) {
            FieldView f;
            sj::value v;
            if ((error = field.unescaped_key().get(f.key)) || (error = field.value().get(v))
                || (error = v.type().get(f.type)))
                return describe(error, &doc, buf);
            switch (f.type) {
            case sj::json_type::string:
                error = v.get_string().get(f.text);
                break;
            case sj::json_type::object:
            case sj::json_type::array:
                if (level == 0 && f.key == "headers") {
                    // say which forms are read: simdjson alone says "does not have the requested type"
                    if ((error = readHeaders(v, out)))
                        return R"("headers" is neither kcat's ["name","value",...] nor {"name":["value",...]}: )"
                            + describe(error, &doc, buf);
                    f.text = {};
                } else {
                    error = rawJson(v, f.type, f.text);
                }
                break;
            default:
                f.text = trimRight(v.raw_json_token());
                break;
            }
            if (error)
                return describe(error, &doc, buf);
            out.fields.push_back(f);
        }
        // on demand stops at the end of the object: anything after it is not JSON
        const char* rest = nullptr;
        if (doc.current_location().get(rest) == simdjson::SUCCESS && rest
            && !trimRight(std::string_view(rest, static_cast<size_t>(buf.data() + buf.size() - rest))).empty())
            return "unexpected text after the JSON object at column "
                + QByteArray::number(static_cast<qsizetype>(rest - buf.data()) + 1);
        return {};
    }

    static bool isNumber(std::string_view text)
    {
        double d;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
        return !text.empty() && ec == std::errc() && end == text.data() + text.size();
    }

    // What a line that is no JSON object is. simdjson types a value by its first byte, so
    // `not json` would be "null" and `123abc` "a number": the whole text decides here.
    static QByteArray notAnObject(std::string_view text)
    {
        while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
            text.remove_prefix(1);
        const char* kind = nullptr;
        if (text.starts_with('['))
            kind = "an array"; // its own errors do not matter: it is not an event either way
        else if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
            kind = "a string";
        else if (text == "true" || text == "false")
            kind = "a boolean";
        else if (text == "null")
            kind = "null";
        else if (isNumber(text))
            kind = "a number";
        if (kind)
            return QByteArray("not a JSON object but ") + kind;
        return "not JSON (an event is a JSON object, starting with '{')";
    }

    // The exact text of an object or array member (on demand keeps no tape to rebuild it from).
    static simdjson::error_code rawJson(sj::value& v, sj::json_type type, std::string_view& text)
    {
        if (type == sj::json_type::object) {
            sj::object o;
            if (auto e = v.get_object().get(o))
                return e;
            return o.raw_json().get(text);
        }
        sj::array a;
        if (auto e = v.get_array().get(a))
            return e;
        return a.raw_json().get(text);
    }

    // Offset just past the value that opens `text`, or -1 when it never closes. Only used to
    // explain errors, so a simple string-aware bracket count is enough.
    static qsizetype topLevelEnd(std::string_view text)
    {
        int depth = 0;
        bool inString = false;
        for (size_t i = 0; i < text.size(); ++i) {
            const char c = text[i];
            if (inString) {
                if (c == '\\')
                    ++i;
                else if (c == '"')
                    inString = false;
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                ++depth;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                return static_cast<qsizetype>(i + 1);
            }
        }
        return -1;
    }

    static QByteArray describe(simdjson::error_code error, sj::document* doc, const std::string& buf)
    {
        QByteArray message;
        switch (error) {
        case simdjson::UTF8_ERROR: message = "invalid UTF-8"; break;
        case simdjson::INCOMPLETE_ARRAY_OR_OBJECT: {
            // simdjson says the same for "{..." and "{...} more": tell the user which it is
            qsizetype end = topLevelEnd(buf);
            if (end >= 0 && !trimRight(std::string_view(buf).substr(static_cast<size_t>(end))).empty()) {
                while (buf[static_cast<size_t>(end)] == ' ' || buf[static_cast<size_t>(end)] == '\t')
                    ++end;
                return "unexpected text after the JSON object at column " + QByteArray::number(end + 1);
            }
            // it ends too early: a column would only point where simdjson stopped looking
            return "truncated JSON (an object or array is not closed at the end of the line)";
        }
        case simdjson::UNCLOSED_STRING: return "truncated JSON (a string is not closed at the end of the line)";
        case simdjson::EMPTY: message = "empty"; break;
        case simdjson::TRAILING_CONTENT: message = "unexpected text after the JSON object"; break;
        case simdjson::INCORRECT_TYPE: message = "a value of another type than expected"; break; // valid JSON
        default: message = QByteArray("invalid JSON: ") + simdjson::error_message(error); break;
        }
        const char* where = nullptr;
        if (doc && doc->current_location().get(where) == simdjson::SUCCESS && where && where >= buf.data()
            && where < buf.data() + buf.size())
            message += " near column " + QByteArray::number(static_cast<qsizetype>(where - buf.data()) + 1);
        return message;
    }

    // kcat writes headers as ["name","value",...] (or, with -j, {"name":["value",...]}).
    static simdjson::error_code readHeaders(sj::value& v, ObjectScan& out)
    {
        out.hasHeaders = true;
        sj::json_type t;
        if (auto e = v.type().get(t))
            return e;
        if (t == sj::json_type::array) {
            sj::array arr;
            if (auto e = v.get_array().get(arr))
                return e;
            HeaderView h;
            bool wantName = true;
            for (auto item : arr) {
                sj::value iv;
                if (auto e = item.get(iv))
                    return e;
                bool isNull = false;
                if (auto e = iv.is_null().get(isNull))
                    return e;
                std::string_view s;
                if (!isNull)
                    if (auto e = iv.get_string().get(s))
                        return e;
                if (wantName) {
                    h = HeaderView { s, {}, false };
                } else {
                    h.value = s;
                    h.isNull = isNull;
                    out.headers.push_back(h);
                }
                wantName = !wantName;
            }
            if (!wantName)
                out.headers.push_back(HeaderView { h.name, {}, true });
            return simdjson::SUCCESS;
        }
        sj::object obj;
        if (auto e = v.get_object().get(obj))
            return e;
        for (auto field : obj) {
            std::string_view name;
            sj::array values;
            if (auto e = field.unescaped_key().get(name))
                return e;
            if (auto e = field.value().get_array().get(values))
                return e;
            for (auto item : values) {
                sj::value iv;
                bool isNull = false;
                std::string_view s;
                if (auto e = item.get(iv))
                    return e;
                if (auto e = iv.is_null().get(isNull))
                    return e;
                if (!isNull)
                    if (auto e = iv.get_string().get(s))
                        return e;
                out.headers.push_back(HeaderView { name, s, isNull });
            }
        }
        return simdjson::SUCCESS;
    }

    // Fills `e` from a structured-mode CloudEvent. Returns an error message or empty.
    static QByteArray fillStructured(const ObjectScan& scan, Event& e)
    {
        e.format = EventFormat::Structured;
        bool haveData = false;
        // read into locals (they live out of line in the Event), kept whatever this returns
        QByteArray subject, dataSchema, traceParent, extensions;
        const auto keep = qScopeGuard([&] { // only what was there: an absent one leaves e's as it is
            if (!subject.isNull())
                e.setSubject(std::move(subject));
            if (!dataSchema.isNull())
                e.setDataSchema(std::move(dataSchema));
            if (!traceParent.isNull())
                e.setTraceParent(std::move(traceParent));
            if (!extensions.isNull())
                e.setExtensions(std::move(extensions));
        });
        for (const FieldView& f : scan.fields) {
            const std::string_view k = f.key;
            // JSON format §2.4: a null attribute is an absent one (required ones are then missing)
            if (f.type == sj::json_type::null)
                continue;
            auto str = [&](QByteArray& into, bool repeats = false) -> QByteArray {
                if (f.type != sj::json_type::string)
                    return "attribute `" + bytes(k) + "` must be a string, not " + typeName(f.type);
                into = repeats ? repeatedName(QByteArrayView(f.text.data(), qsizetype(f.text.size()))) : bytes(f.text);
                return {};
            };
            // extensions may be strings, integers or booleans: keep their text
            auto scalar = [&](QByteArray& into) -> QByteArray {
                if (f.type == sj::json_type::object || f.type == sj::json_type::array || f.type == sj::json_type::null)
                    return "attribute `" + bytes(k) + "` must be a string, integer or boolean, not "
                        + typeName(f.type);
                into = bytes(f.text);
                return {};
            };
            QByteArray err;
            if (k == "specversion")
                err = str(e.specVersion, true);
            else if (k == "id")
                err = str(e.id);
            else if (k == "source")
                err = str(e.source, true);
            else if (k == "type")
                err = str(e.type, true);
            else if (k == "subject")
                err = str(subject);
            else if (k == "datacontenttype")
                err = str(e.dataContentType, true);
            else if (k == "dataschema")
                err = str(dataSchema);
            else if (k == "time") {
                if (f.type != sj::json_type::string)
                    err = "attribute `time` must be a string, not " + QByteArray(typeName(f.type));
                else if (auto t = TimeFormat::parseRfc3339(f.text))
                    e.time = *t;
                else
                    err = "attribute `time` is not an RFC 3339 timestamp: " + bytes(f.text.substr(0, 64));
            } else if (k == "data") {
                if (haveData)
                    return "both `data` and `data_base64` are present";
                haveData = true;
                if (f.type == sj::json_type::string) {
                    e.payload.clear();
                    Json::appendString(e.payload, f.text);
                } else {
                    e.payload = bytes(f.text);
                }
                e.flags |= PayloadJson;
            } else if (k == "data_base64") {
                if (haveData)
                    return "both `data` and `data_base64` are present";
                haveData = true;
                if (f.type != sj::json_type::string)
                    return "attribute `data_base64` must be a string, not " + QByteArray(typeName(f.type));
                auto decoded = QByteArray::fromBase64Encoding(bytes(f.text), QByteArray::AbortOnBase64DecodingErrors);
                if (!decoded)
                    return "attribute `data_base64` is not valid base64";
                e.payload = std::move(*decoded);
                e.flags |= DataBase64;
            } else if (k == "correlationid")
                err = scalar(e.correlationId);
            else if (k == "causationid")
                err = scalar(e.causationId);
            else if (k == "traceparent")
                err = str(traceParent);
            else {
                QByteArray ignored;
                err = scalar(ignored);
                if (err.isEmpty()) {
                    extensions.append(extensions.isEmpty() ? '{' : ',');
                    Json::appendString(extensions, k);
                    extensions.append(':');
                    if (f.type == sj::json_type::string)
                        Json::appendString(extensions, f.text);
                    else
                        extensions.append(f.text.data(), static_cast<qsizetype>(f.text.size()));
                }
            }
            if (!err.isEmpty())
                return err;
        }
        if (!extensions.isEmpty())
            extensions.append('}');
        return validateRequired(e);
    }

    static QByteArray validateRequired(const Event& e)
    {
        if (e.specVersion != "1.0")
            return e.specVersion.isNull() ? QByteArray("required attribute `specversion` is missing")
                                          : "specversion `" + e.specVersion + "` is not supported (only 1.0)";
        if (e.id.isEmpty())
            return e.id.isNull() ? "required attribute `id` is missing" : "attribute `id` is empty";
        if (e.source.isEmpty())
            return e.source.isNull() ? "required attribute `source` is missing" : "attribute `source` is empty";
        if (e.type.isEmpty())
            return e.type.isNull() ? "required attribute `type` is missing" : "attribute `type` is empty";
        return {};
    }

    // A JSON object that is not a CloudEvent: keep it whole and pick the usual names out of it.
    static void fillPlain(const ObjectScan& scan, Event& e)
    {
        e.format = EventFormat::PlainJson;
        e.flags |= PayloadJson;
        e.payload = bytes(scan.json);
        for (const FieldView& f : scan.fields) {
            const bool isString = f.type == sj::json_type::string;
            const bool isScalar = isString || f.type == sj::json_type::number;
            if (f.key == "type" && isString)
                e.type = repeatedName(QByteArrayView(f.text.data(), qsizetype(f.text.size())));
            else if (f.key == "id" && isScalar)
                e.id = bytes(f.text);
            else if (f.key == "source" && isString)
                e.source = repeatedName(QByteArrayView(f.text.data(), qsizetype(f.text.size())));
            else if (f.key == "subject" && isString)
                e.setSubject(bytes(f.text));
            else if (f.key == "correlationid" && isScalar)
                e.correlationId = bytes(f.text);
            else if (f.key == "causationid" && isScalar)
                e.causationId = bytes(f.text);
            else if ((f.key == "time" || f.key == "timestamp") && e.time == NoTime) {
                if (isString) {
                    if (auto t = TimeFormat::parseRfc3339(f.text))
                        e.time = *t;
                } else if (auto n = toInt(f)) {
                    e.time = TimeFormat::fromEpochNumber(*n); // s, ms, µs or ns since the epoch, by size
                }
            }
        }
    }

    Event parseValue(int level, QByteArrayView json, Event base)
    {
        if (json.size() > MaxJsonSize) {
            base.format = EventFormat::Opaque;
            base.flags = Unparsed;
            base.payload = json.toByteArray();
            base.setError("larger than " + QByteArray::number(MaxJsonSize / (1024 * 1024)) + " MiB: kept unparsed");
            return base;
        }
        const std::string_view view(json.data(), static_cast<size_t>(json.size()));
        QByteArray err = scanObject(level, view);
        if (!err.isEmpty()) {
            base.format = EventFormat::Opaque;
            base.flags = Unparsed;
            base.payload = json.toByteArray();
            base.setError(std::move(err));
            return base;
        }
        const ObjectScan& s = scan[level];
        if (s.find("specversion")) {
            err = fillStructured(s, base);
            if (!err.isEmpty()) {
                Event bad = std::move(base);
                bad.flags = Unparsed;
                bad.payload = json.toByteArray();
                bad.setError(std::move(err));
                return bad;
            }
            return base;
        }
        fillPlain(s, base);
        return base;
    }
};

EventParser::EventParser()
    : d(std::make_unique<Private>())
{
}

EventParser::~EventParser() = default;

Event EventParser::cutLine(QByteArrayView head)
{
    return unparsed(head, EventFormat::Opaque,
        "larger than " + QByteArray::number(MaxJsonSize / (1024 * 1024)) + " MiB: its first "
            + QByteArray::number(head.size()) + " bytes kept unparsed, the rest of the line dropped");
}

Event EventParser::parseLine(QByteArrayView line)
{
    if (line.size() > MaxJsonSize)
        return d->parseValue(0, line, Event {});
    QByteArray err = d->scanObject(0, std::string_view(line.data(), static_cast<size_t>(line.size())));
    if (!err.isEmpty())
        return unparsed(line, EventFormat::Opaque, std::move(err));
    const ObjectScan& s = d->scan[0];
    const FieldView* topic = s.find("topic");
    const FieldView* payload = s.find("payload");
    const FieldView* payload64 = s.find("payload_base64"); // FlowScope's export, for bytes that are not UTF-8
    if (s.find("specversion") || !topic || (!payload && !payload64)) {
        Event e;
        if (s.find("specversion")) {
            err = Private::fillStructured(s, e);
            if (!err.isEmpty())
                return unparsed(line, EventFormat::Structured, std::move(err));
            return e;
        }
        Private::fillPlain(s, e);
        return e;
    }

    // a kcat -J envelope: {"topic","partition","offset","tstype","ts","broker","headers","key","payload"}
    KafkaRecord r;
    if (topic->type != sj::json_type::string && topic->type != sj::json_type::null)
        return unparsed(line, EventFormat::Opaque, "kcat envelope: `topic` must be a string (or null: no channel)");
    if (topic->type == sj::json_type::string)
        r.topic = bytes(topic->text);
    if (const FieldView* f = s.find("partition")) {
        const auto v = toInt(*f);
        if (!v)
            return unparsed(line, EventFormat::Opaque, "kcat envelope: `partition` must be an integer");
        r.partition = static_cast<qint32>(*v);
    }
    if (const FieldView* f = s.find("offset")) {
        const auto v = toInt(*f);
        if (!v)
            return unparsed(line, EventFormat::Opaque, "kcat envelope: `offset` must be an integer");
        r.offset = *v;
    }
    if (const FieldView* f = s.find("ts"))
        if (const auto v = toInt(*f); v && *v >= 0) // Kafka's -1: no timestamp
            r.brokerTime = TimeFormat::fromMillis(*v);
    if (const FieldView* f = s.find("key"); f && f->type != sj::json_type::null)
        r.key = bytes(f->text);
    if (const FieldView* f = s.find("key_base64")) {
        std::optional<QByteArray> key = base64(*f);
        if (!key)
            return unparsed(line, EventFormat::Opaque, "kcat envelope: `key_base64` is not valid base64");
        r.key = std::move(*key);
    }
    for (const HeaderView& h : s.headers)
        r.headers.append(Header { bytes(h.name), h.isNull ? QByteArray() : bytes(h.value), h.isNull });
    if (payload && payload64)
        return unparsed(line, EventFormat::Opaque, "kcat envelope: both `payload` and `payload_base64` are present");
    if (payload64) {
        std::optional<QByteArray> value = base64(*payload64);
        if (!value)
            return unparsed(line, EventFormat::Opaque, "kcat envelope: `payload_base64` is not valid base64");
        r.value = value->isNull() ? QByteArray("") : std::move(*value); // empty, not a tombstone
    } else if (payload->type != sj::json_type::null) {
        r.value = bytes(payload->text);
        if (r.value.isNull())
            r.value = QByteArray("");
    }
    return parseKafkaRecord(std::move(r));
}

Event EventParser::parseKafkaRecord(KafkaRecord r)
{
    Event e;
    if (!r.topic.isNull()) // null: the envelope said no channel
        e.channel = repeatedName(r.topic);
    e.partition = r.partition;
    e.offset = r.offset;
    e.key = std::move(r.key);
    e.brokerTime = r.brokerTime;
    e.setHeaders(std::move(r.headers));

    const Header* spec = nullptr;
    for (const Header& h : e.headers())
        if (h.name == "ce_specversion")
            spec = &h;
    if (spec) {
        // CloudEvents Kafka protocol binding, binary mode: attributes in ce_* headers
        e.format = EventFormat::Binary;
        e.payload = std::move(r.value);
        QByteArray extensions;
        QByteArray error;
        const QList<Header> headers = e.headers(); // shared, not copied: e's extras change below
        for (const Header& h : headers) {
            if (h.name == "content-type") {
                e.dataContentType = repeatedName(h.value);
                continue;
            }
            if (!h.name.startsWith("ce_") || h.isNull)
                continue;
            const QByteArray attr = h.name.mid(3);
            if (attr == "specversion")
                e.specVersion = repeatedName(h.value);
            else if (attr == "id")
                e.id = h.value;
            else if (attr == "source")
                e.source = repeatedName(h.value);
            else if (attr == "type")
                e.type = repeatedName(h.value);
            else if (attr == "subject")
                e.setSubject(h.value);
            else if (attr == "dataschema")
                e.setDataSchema(h.value);
            else if (attr == "correlationid")
                e.correlationId = h.value;
            else if (attr == "causationid")
                e.causationId = h.value;
            else if (attr == "traceparent")
                e.setTraceParent(h.value);
            else if (attr == "time") {
                if (auto t = TimeFormat::parseRfc3339(h.value)) {
                    e.time = *t;
                } else {
                    e.flags |= Unparsed;
                    error = "header `ce_time` is not an RFC 3339 timestamp";
                }
            } else {
                extensions.append(extensions.isEmpty() ? '{' : ',');
                Json::appendString(extensions, attr);
                extensions.append(':');
                Json::appendString(extensions, h.value);
            }
        }
        if (!extensions.isEmpty())
            e.setExtensions(extensions + '}');
        if (error.isEmpty())
            error = Private::validateRequired(e);
        if (!error.isEmpty()) {
            e.flags |= Unparsed;
            e.setError(std::move(error));
        }
        else if (isJsonContentType(e.dataContentType) && !e.payload.isNull()
                 && Json::isValidJson(std::string_view(e.payload.constData(), static_cast<size_t>(e.payload.size()))))
            e.flags |= PayloadJson;
        return e;
    }
    if (r.value.isNull()) {
        e.format = EventFormat::Opaque;
        e.flags = Unparsed;
        e.setError("record has no value (a tombstone)");
        return e;
    }
    const QByteArray value = std::move(r.value);
    e = d->parseValue(1, value, std::move(e));
    if (e.format == EventFormat::PlainJson)
        e.payload = value; // the record's bytes as they came (a trailing newline too), not the trimmed JSON
    return e;
}

} // namespace FlowScope
