// SPDX-License-Identifier: MIT
#pragma once

#include "event.h"

#include <QByteArrayView>

#include <memory>

namespace FlowScope {

// A record as a Kafka client hands it over, before we know what is inside the value.
struct KafkaRecord {
    QByteArray topic;
    qint32 partition = -1;
    qint64 offset = -1;
    QByteArray key; // null: no key
    qint64 brokerTime = NoTime;
    QList<Header> headers;
    QByteArray value; // null: tombstone
};

// Turns bytes into Events. Never throws and never drops: whatever is not understood comes back
// as an Event flagged Unparsed with the original bytes and a reason in Event::error.
//
// One parser per thread: it owns simdjson's buffers, which are reused from one call to the
// next (that reuse is most of why it is fast).
class EventParser final {
public:
    EventParser();
    ~EventParser();
    EventParser(const EventParser&) = delete;
    EventParser& operator=(const EventParser&) = delete;

    // One line of a JSONL file: a CloudEvent in structured mode, a kcat -J envelope (whose value
    // may be a structured or binary-mode CloudEvent), or any other JSON object.
    Event parseLine(QByteArrayView line);

    // A Kafka record: CloudEvents binary mode when it carries a ce_specversion header, else the
    // value is parsed as a structured CloudEvent, a plain JSON object, or kept opaque.
    Event parseKafkaRecord(KafkaRecord record);

    // Maximum size of one line or value that is parsed as JSON; larger ones are kept opaque.
    static constexpr qsizetype MaxJsonSize = 64 * 1024 * 1024;

    // A line longer than MaxJsonSize of which a file reader kept only the first MaxJsonSize
    // bytes (`head`): an unparsed event that says so, rather than a "truncated JSON" one.
    static Event cutLine(QByteArrayView head);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace FlowScope
