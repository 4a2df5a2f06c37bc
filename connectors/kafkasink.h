// SPDX-License-Identifier: MIT
#pragma once

#include <event.h>

#include <QHash>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

namespace FlowScope::Connectors {

// Publishes recorded events into Kafka through librdkafka (docs/connectors.md "Replay into
// Kafka"): the one sink of FlowScope, used by `flowscope replay --to-kafka`.
//
// What goes out for each event (messageFor()):
// - topic: the event's channel mapped through `topicMap` (a `*` entry maps every channel that
//   has no entry of its own, the empty one included); unmapped channels keep their name.
// - key: the recorded key (none when it had none). The recorded partition is not forced: the
//   partitioner (murmur2_random by default, the Java client's) places the key, so every event of
//   one key lands in one partition and per-key order is kept.
// - CloudEvents binary mode (EventFormat::Binary): the recorded value with the recorded headers
//   (ce_* and content-type among them). A binary event without a ce_specversion header gets its
//   ce_* headers written from its attributes.
// - CloudEvents structured mode: CloudEventWriter::toStructuredJson with the recorded headers and
//   `content-type: application/cloudevents+json` when no content-type header was recorded.
// - plain JSON, opaque and unparsed events: the bytes as they came, with the recorded headers; a
//   tombstone (null value) stays a tombstone.
//
// Ordering: the producer is idempotent by default (enable.idempotence=true), so librdkafka's
// retries neither reorder nor double a partition's messages.
//
// Thread contract: not thread-safe. start(), send(), poll(), flush() and stop() are called from
// one thread; delivery reports are served by send(), poll() and flush() on that thread. The
// counters may be read from any thread.
class KafkaSink final {
public:
    struct Options {
        QString bootstrapServers;
        // Client properties, applied in order after FlowScope's own defaults (later ones win).
        QList<QPair<QByteArray, QByteArray>> properties;
        // recorded channel -> topic to publish to; "*": every channel without an entry of its own
        QHash<QByteArray, QByteArray> topicMap;
        // Asked while send() waits for room in librdkafka's queue and while stop() waits for the
        // last delivery reports: true gives up waiting (Ctrl-C), optional.
        std::function<bool()> cancelled;
    };

    struct Message {
        QByteArray topic;
        QByteArray key; // null: no key
        QList<Header> headers;
        QByteArray value; // null: a tombstone
    };

    struct Counters {
        std::atomic<qint64> produced { 0 }; // handed to librdkafka
        std::atomic<qint64> delivered { 0 }; // acknowledged by the cluster
        std::atomic<qint64> deliveryErrors { 0 }; // failed for good (delivery report with an error, or refused)
        std::atomic<qint64> unsent { 0 }; // given up while waiting for room in the queue (Options::cancelled)
    };

    explicit KafkaSink(Options options);
    ~KafkaSink();
    KafkaSink(const KafkaSink&) = delete;
    KafkaSink& operator=(const KafkaSink&) = delete;

    // Returns false with *error set when the settings are unusable. Connection problems are not
    // errors here: librdkafka retries, and what cannot be delivered in time shows as delivery errors.
    bool start(QString* error);
    // Produces one event; waits (serving delivery reports) while librdkafka's queue is full.
    // Returns false when the message could not even be queued (counted as a delivery error; the
    // reason, naming the event by its seq, is kept in firstError()), or when Options::cancelled
    // said so while it waited for room (not counted: it was never sent).
    bool send(const Event& event);
    // Serves delivery reports for up to `timeoutMs`.
    void poll(int timeoutMs = 0);
    // Waits until every produced message has its delivery report (rd_kafka_flush). False when
    // some are still outstanding after `timeoutMs` (they are counted as delivery errors).
    bool flush(int timeoutMs);
    // Flushes for up to `timeoutMs` (less when Options::cancelled says so), then purges what is
    // still outstanding (each one a delivery error that says why) and destroys the client. Safe
    // to call twice. False when it was cancelled while messages were outstanding.
    bool stop(int timeoutMs = 10000);

    Message messageFor(const Event& event) const;
    QByteArray topicFor(const QByteArray& channel) const;

    const Counters& counters() const { return m_counters; }
    // The first delivery error librdkafka reported (or why a message could not be queued), with
    // the event's seq and, when the cluster could not be reached, the client's last word on why.
    QString firstError() const;
    // Messages delivered per topic (after mapping).
    QHash<QByteArray, qint64> deliveredPerTopic() const;
    // Properties librdkafka did not know and that were skipped.
    QStringList skippedProperties() const { return m_skipped; }
    // For logs and reports: secrets (KafkaSource::isSecret) shown as ***.
    QString describe() const;

private:
    bool cancelRequested() const { return m_options.cancelled && m_options.cancelled(); }
    struct Private;
    Options m_options;
    QStringList m_skipped;
    std::unique_ptr<Private> d;
    Counters m_counters;
};

} // namespace FlowScope::Connectors
