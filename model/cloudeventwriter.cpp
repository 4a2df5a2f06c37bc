// SPDX-License-Identifier: MIT
#include "cloudeventwriter.h"

#include "eventparser.h"
#include "jsonwriter.h"
#include "timeformat.h"

#include <QStringDecoder>

namespace FlowScope::CloudEventWriter {
namespace {

void member(QByteArray& out, const char* name, const QByteArray& value)
{
    if (value.isNull())
        return;
    out.append(out.size() > 1 ? ",\"" : "\"").append(name).append("\":");
    Json::appendString(out, value);
}

bool payloadIsJsonText(const Event& e)
{
    if (e.flags & PayloadJson)
        return true;
    if (e.flags & DataBase64 || e.payload.isNull())
        return false;
    const QByteArray ct = e.dataContentType.toLower();
    const bool jsonType = ct.isEmpty() || ct.contains("/json") || ct.contains("+json");
    return jsonType && Json::isValidJson(std::string_view(e.payload.constData(), static_cast<size_t>(e.payload.size())));
}

// In valid JSON a raw CR or LF can only be whitespace between tokens (inside a string it must
// be escaped), so a space in its place keeps the value and puts it on one line.
QByteArray onOneLine(const QByteArray& json)
{
    if (!json.contains('\n') && !json.contains('\r'))
        return json;
    QByteArray flat = json;
    for (char& c : flat)
        if (c == '\n' || c == '\r')
            c = ' ';
    return flat;
}

// Whether bytes written as a line come back from `import` as the same bytes: it splits at LF,
// drops a CR before it and skips lines that are empty or blank (spaces, tabs, CRs).
bool survivesAsALine(const QByteArray& bytes)
{
    if (bytes.isNull() || bytes.contains('\n') || bytes.contains('\r'))
        return false;
    for (char c : bytes)
        if (c != ' ' && c != '\t')
            return true;
    return false; // empty or blank
}

// oneLine: for a JSONL line (raw line breaks in JSON become spaces); else the bytes as they are,
// for a kcat envelope, which embeds the event as an escaped string.
QByteArray structuredJson(const Event& e, bool oneLine)
{
    // Not CloudEvents: written back as they came rather than dressed up with invented attributes.
    if (e.isUnparsed()) {
        if (!oneLine || survivesAsALine(e.payload))
            return e.payload;
        // A line break, or nothing at all (a Kafka tombstone): as a raw line it would split into
        // several events or be skipped as blank. A kcat envelope holds the bytes as a JSON string
        // (or null) and reads back as the same unparsed event.
        return toKcatJson(e);
    }
    if (e.format == EventFormat::PlainJson)
        return oneLine ? onOneLine(e.payload) : e.payload;
    QByteArray out;
    out.reserve(e.payload.size() + 256);
    out.append('{');
    member(out, "specversion", e.specVersion.isNull() ? QByteArray("1.0") : e.specVersion);
    member(out, "id", e.id);
    member(out, "source", e.source);
    member(out, "type", e.type);
    member(out, "subject", e.subject());
    if (e.hasTime())
        member(out, "time", TimeFormat::toRfc3339(e.time));
    member(out, "datacontenttype", e.dataContentType);
    member(out, "dataschema", e.dataSchema());
    member(out, "correlationid", e.correlationId);
    member(out, "causationid", e.causationId);
    member(out, "traceparent", e.traceParent());
    if (e.extensions().size() > 2) // {"k":v,...}: splice the members in
        out.append(',').append(e.extensions().constData() + 1, e.extensions().size() - 2);
    if (!e.payload.isNull()) {
        if (payloadIsJsonText(e)) {
            out.append(",\"data\":").append(oneLine ? onOneLine(e.payload) : e.payload);
        } else {
            out.append(",\"data_base64\":\"").append(e.payload.toBase64()).append('"');
        }
    }
    out.append('}');
    return out;
}

} // namespace

QByteArray toStructuredJson(const Event& e) { return structuredJson(e, true); }

namespace {
// Stateless: a stateful decoder holds a sequence cut off at the end back for the next call
// instead of calling it an error, so "\xD2" at the end passed as UTF-8.
bool isValidUtf8(const QByteArray& v)
{
    auto decoder = QStringDecoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    [[maybe_unused]] const QString s = decoder(v);
    return !decoder.hasError();
}

// `"name":"text"` for UTF-8 bytes; else `"name_base64":"..."` (a JSON string holds only text,
// and kcat's own form would turn the other bytes into U+FFFD: an Avro key would not come back)
void bytesMember(QByteArray& out, const char* name, const QByteArray& v)
{
    out.append('"').append(name);
    if (isValidUtf8(v)) {
        out.append("\":");
        Json::appendString(out, v);
    } else {
        out.append("_base64\":\"").append(v.toBase64()).append('"');
    }
}
} // namespace

QByteArray toKcatJson(const Event& e)
{
    QByteArray out;
    out.append("{\"topic\":");
    if (e.channel.isNull())
        out.append("null"); // no channel, not an empty one
    else
        Json::appendString(out, e.channel);
    out.append(",\"partition\":").append(QByteArray::number(e.partition));
    out.append(",\"offset\":").append(QByteArray::number(e.offset));
    if (e.brokerTime != NoTime)
        out.append(",\"tstype\":\"create\",\"ts\":").append(QByteArray::number(e.brokerTime / 1000));
    out.append(",\"broker\":-1,\"headers\":[");
    for (qsizetype i = 0; i < e.headers().size(); ++i) {
        if (i)
            out.append(',');
        Json::appendString(out, e.headers()[i].name);
        out.append(',');
        if (e.headers()[i].isNull)
            out.append("null");
        else
            Json::appendString(out, e.headers()[i].value);
    }
    out.append("],");
    if (e.key.isNull())
        out.append("\"key\":null");
    else
        bytesMember(out, "key", e.key);
    out.append(',');
    if (e.format == EventFormat::Binary || e.isUnparsed()) {
        if (e.payload.isNull())
            out.append("\"payload\":null");
        else
            bytesMember(out, "payload", e.payload);
    } else {
        out.append("\"payload\":");
        Json::appendString(out, structuredJson(e, false)); // exact: line breaks are escaped in the string
    }
    out.append('}');
    return out;
}

QByteArray csvHeader()
{
    return "seq,time,id,type,source,subject,correlationid,causationid,channel,partition,offset,key,format,unparsed,"
           "error,payload";
}

namespace {
void csvField(QByteArray& out, const QByteArray& v)
{
    if (!out.isEmpty())
        out.append(',');
    if (v.contains(',') || v.contains('"') || v.contains('\n') || v.contains('\r')) {
        QByteArray q = v;
        q.replace("\"", "\"\"");
        out.append('"').append(q).append('"');
    } else {
        out.append(v);
    }
}

bool isUtf8Text(const QByteArray& v) { return isValidUtf8(v) && !v.contains('\0'); }

// A key or payload as a CSV field: text as it is; bytes that are not (a NUL, not UTF-8), and
// text that itself starts with "base64:", as "base64:" and the bytes' Base64, so that a field
// starting with "base64:" is always encoded and can be told apart.
QByteArray textOrBase64(const QByteArray& v)
{
    return isUtf8Text(v) && !v.startsWith("base64:") ? v : "base64:" + v.toBase64();
}
} // namespace

QByteArray toCsvRow(const Event& e)
{
    QByteArray out;
    out.append(QByteArray::number(e.seq)); // never empty, so csvField's separator logic holds
    csvField(out, e.hasTime() ? TimeFormat::toRfc3339(e.time) : QByteArray());
    csvField(out, e.id);
    csvField(out, e.type);
    csvField(out, e.source);
    csvField(out, e.subject());
    csvField(out, e.correlationId);
    csvField(out, e.causationId);
    csvField(out, e.channel);
    csvField(out, e.partition >= 0 ? QByteArray::number(e.partition) : QByteArray());
    csvField(out, e.offset >= 0 ? QByteArray::number(e.offset) : QByteArray());
    csvField(out, textOrBase64(e.key));
    csvField(out, formatName(e.format).toLatin1());
    csvField(out, e.isUnparsed() ? "1" : "0");
    csvField(out, e.error());
    csvField(out, textOrBase64(e.payload));
    return out;
}

} // namespace FlowScope::CloudEventWriter
