// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QList>
#include <QMetaType>
#include <QSharedData>
#include <QString>

#include <limits>

namespace FlowScope {

// Event time and ingest time are microseconds since the Unix epoch, UTC.
inline constexpr qint64 NoTime = std::numeric_limits<qint64>::min();

// How an event reached us. Kept so that an export can write an event back the way it came
// and so that the UI can say why an event has no type.
enum class EventFormat : quint8 {
    Structured = 0, // CloudEvents 1.0 structured JSON
    Binary = 1,     // CloudEvents Kafka binary mode: ce_* headers + payload
    PlainJson = 2,  // a JSON object that is not a CloudEvent
    Opaque = 3,     // anything else: kept as bytes, flagged unparsed
};

enum EventFlag : quint8 {
    Unparsed = 0x01,    // not understood as an event; payload holds the bytes as they came
    PayloadJson = 0x02, // payload is JSON text (CloudEvents `data` as it appeared, or the whole plain object)
    DataBase64 = 0x04,  // payload came from `data_base64` (decoded bytes) and goes back out that way
};

// A Kafka-style record header. A header may carry a null value, which differs from an empty one.
struct Header {
    QByteArray name;
    QByteArray value;
    bool isNull = false;
    friend bool operator==(const Header&, const Header&) = default;
};

// The attributes that most events lack (DESIGN.md "Event"), kept out of line and shared on
// copy: a simulated event, or a typical parsed one, has none of them. Every byte of an Event is
// written by one thread and read and freed by another; with these six inline an Event was 440
// bytes, and 160 bytes more made `flowscope sim` 24 % slower (docs/benchmarks.md).
struct EventExtras : QSharedData {
    QByteArray subject;
    QByteArray dataSchema;
    QByteArray traceParent; // extension `traceparent` (W3C trace context)
    // The remaining extension attributes as a compact JSON object text ({"name":value,...}), or null.
    QByteArray extensions;
    QList<Header> headers;
    QByteArray error; // why it is unparsed, for the user; empty otherwise

    friend bool operator==(const EventExtras& a, const EventExtras& b)
    {
        return a.subject == b.subject && a.dataSchema == b.dataSchema && a.traceParent == b.traceParent
            && a.extensions == b.extensions && a.headers == b.headers && a.error == b.error;
    }
};

// An Event's EventExtras: none until one is set, then copy-on-write. Events without them
// compare equal to events whose extras are all absent.
class EventExtrasRef {
public:
    const EventExtras& get() const { return d ? *d.constData() : none(); }
    EventExtras& edit()
    {
        if (!d)
            d = new EventExtras;
        return *d.data(); // detaches when shared
    }
    bool isEmpty() const { return !d; }
    friend bool operator==(const EventExtrasRef& a, const EventExtrasRef& b)
    {
        return a.d.constData() == b.d.constData() || a.get() == b.get();
    }

private:
    static const EventExtras& none()
    {
        static const EventExtras empty;
        return empty;
    }
    QSharedDataPointer<EventExtras> d;
};

// One immutable record as FlowScope sees it (DESIGN.md "Event"). Text fields are UTF-8 bytes:
// parsing stays allocation-light on the hot path and nothing is re-encoded that is not shown.
// A null QByteArray means "absent"; an empty one means "present and empty". The rarely-set
// attributes are behind accessors (subject() ... error()), in `extras`.
//
// Simulator::publish builds Events positionally: a change to the members' order changes it too.
struct Event {
    qint64 seq = 0; // 1-based arrival order once recorded; 0 before

    // CloudEvents context attributes
    QByteArray id;
    QByteArray type;
    QByteArray source;
    qint64 time = NoTime; // event time
    QByteArray specVersion;
    QByteArray dataContentType;
    QByteArray correlationId; // extension `correlationid`
    QByteArray causationId;   // extension `causationid`

    // Where it was read from
    qint64 ingestTime = NoTime;
    QByteArray channel; // Kafka topic, or the flow file's channel for the type
    qint32 partition = -1;
    EventFormat format = EventFormat::Opaque;
    quint8 flags = 0;
    qint64 offset = -1;
    QByteArray key; // null when the record had no key
    qint64 brokerTime = NoTime;

    QByteArray payload;

    EventExtrasRef extras;

    const QByteArray& subject() const { return extras.get().subject; }
    const QByteArray& dataSchema() const { return extras.get().dataSchema; }
    const QByteArray& traceParent() const { return extras.get().traceParent; }
    const QByteArray& extensions() const { return extras.get().extensions; }
    const QList<Header>& headers() const { return extras.get().headers; }
    const QByteArray& error() const { return extras.get().error; }
    void setSubject(QByteArray v) { setExtra(&EventExtras::subject, std::move(v)); }
    void setDataSchema(QByteArray v) { setExtra(&EventExtras::dataSchema, std::move(v)); }
    void setTraceParent(QByteArray v) { setExtra(&EventExtras::traceParent, std::move(v)); }
    void setExtensions(QByteArray v) { setExtra(&EventExtras::extensions, std::move(v)); }
    void setHeaders(QList<Header> v) { setExtra(&EventExtras::headers, std::move(v)); }
    void setError(QByteArray v) { setExtra(&EventExtras::error, std::move(v)); }

    bool isUnparsed() const { return flags & Unparsed; }
    bool hasTime() const { return time != NoTime; }

    friend bool operator==(const Event&, const Event&) = default;

private:
    static bool isAbsent(const QByteArray& v) { return v.isNull(); }
    static bool isAbsent(const QList<Header>& v) { return v.isEmpty(); }
    // Setting an absent value on an event without extras leaves it without: nothing allocated.
    template <typename T>
    void setExtra(T EventExtras::*member, T value)
    {
        if (!isAbsent(value) || !extras.isEmpty())
            extras.edit().*member = std::move(value);
    }
};
// Grows only with a measurement: see EventExtras.
static_assert(sizeof(void*) != 8 || sizeof(Event) == 296);

using EventBatch = QList<Event>;

// "structured", "binary", "json" or "opaque": the names the CLI and the UI show.
QString formatName(EventFormat format);

} // namespace FlowScope

Q_DECLARE_TYPEINFO(FlowScope::Header, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::EventExtrasRef, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::Event, Q_RELOCATABLE_TYPE);
Q_DECLARE_METATYPE(FlowScope::Event)
Q_DECLARE_METATYPE(FlowScope::EventBatch)
