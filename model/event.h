// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QList>
#include <QMetaType>
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

// One immutable record as FlowScope sees it (DESIGN.md "Event"). Text fields are UTF-8 bytes:
// parsing stays allocation-light on the hot path and nothing is re-encoded that is not shown.
// A null QByteArray means "absent"; an empty one means "present and empty".
struct Event {
    qint64 seq = 0; // 1-based arrival order once recorded; 0 before

    // CloudEvents context attributes
    QByteArray id;
    QByteArray type;
    QByteArray source;
    QByteArray subject;
    qint64 time = NoTime; // event time
    QByteArray specVersion;
    QByteArray dataContentType;
    QByteArray dataSchema;
    QByteArray correlationId; // extension `correlationid`
    QByteArray causationId;   // extension `causationid`
    QByteArray traceParent;   // extension `traceparent` (W3C trace context)
    // The remaining extension attributes as a compact JSON object text ({"name":value,...}), or null.
    QByteArray extensions;

    // Where it was read from
    qint64 ingestTime = NoTime;
    QByteArray channel; // Kafka topic, or the flow file's channel for the type
    qint32 partition = -1;
    qint64 offset = -1;
    QByteArray key; // null when the record had no key
    qint64 brokerTime = NoTime;
    QList<Header> headers;

    QByteArray payload;
    EventFormat format = EventFormat::Opaque;
    quint8 flags = 0;
    QByteArray error; // why it is unparsed, for the user; empty otherwise

    bool isUnparsed() const { return flags & Unparsed; }
    bool hasTime() const { return time != NoTime; }

    friend bool operator==(const Event&, const Event&) = default;
};

using EventBatch = QList<Event>;

// "structured", "binary", "json" or "opaque": the names the CLI and the UI show.
QString formatName(EventFormat format);

} // namespace FlowScope

Q_DECLARE_TYPEINFO(FlowScope::Header, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::Event, Q_RELOCATABLE_TYPE);
Q_DECLARE_METATYPE(FlowScope::Event)
Q_DECLARE_METATYPE(FlowScope::EventBatch)
