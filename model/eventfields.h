// SPDX-License-Identifier: MIT
#pragma once

#include "event.h"
#include "flowvalues.h"

#include <QJsonValue>

#include <memory>
#include <string>
#include <vector>

namespace FlowScope {

// One value read out of an event by a flow-file path (`data.orderId`, `ext.region`, `time`).
struct FieldValue {
    enum class Kind : quint8 { Missing, Null, String, Number, Bool, Json };
    Kind kind = Kind::Missing;
    QByteArray text; // String: the text; Number: its JSON spelling; Bool: true/false; Json: compact JSON
    double number = 0; // Number; Bool as 0/1

    bool isPresent() const { return kind != Kind::Missing && kind != Kind::Null; }
    // As a key or a label: the text for strings, the JSON spelling for everything else.
    const QByteArray& asText() const { return text; }
    QJsonValue toJson() const;
    friend bool operator==(const FieldValue&, const FieldValue&) = default;
};

// Parses an event's payload at most once, however many paths read from it. One per thread,
// reset for each event.
class PayloadCache final {
public:
    PayloadCache();
    ~PayloadCache();
    PayloadCache(const PayloadCache&) = delete;
    PayloadCache& operator=(const PayloadCache&) = delete;

    void reset(const Event* event);
    const Event& event() const { return *m_event; }

private:
    friend class FieldAccessor;
    struct Private;
    std::unique_ptr<Private> d;
    const Event* m_event = nullptr;
};

// A FieldPath prepared for evaluation on the hot path.
class FieldAccessor final {
public:
    explicit FieldAccessor(const FieldPath& path);
    FieldValue get(PayloadCache& cache) const;
    const QString& text() const { return m_text; }
    // The path is `time`: get() gives the event's time as RFC 3339 text.
    bool isTime() const { return m_root == FieldPath::Root::Time; }

private:
    FieldPath::Root m_root;
    std::vector<std::string> m_segments;
    QByteArray m_name; // ext / header name
    QString m_text;
};

// The time an event carries: its own, else the broker's; NoTime when it has neither (an
// unparsed line, a plain object without a time). When it arrived is not such a time: an
// imported file arrives today, its events happened long ago.
inline qint64 carriedTime(const Event& e) { return e.time != NoTime ? e.time : e.brokerTime; }

// The time to place an event at: the time it carries, else `clock` (the stream's time so far),
// else, for a stream that carries no times at all, when it arrived.
inline qint64 placedTime(const Event& e, qint64 clock)
{
    const qint64 own = carriedTime(e);
    return own != NoTime ? own : clock != NoTime ? clock : e.ingestTime;
}

} // namespace FlowScope
