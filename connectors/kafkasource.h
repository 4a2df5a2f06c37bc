// SPDX-License-Identifier: MIT
#pragma once

#include "source.h"

#include <QList>
#include <QPair>
#include <QStringList>

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <thread>

namespace FlowScope::Connectors {

// Reads Kafka topics through librdkafka (docs/connectors.md).
//
// - Assign-only (the default, no group): reads every partition of the topics found in the
//   cluster's metadata, joins no group and commits nothing, so watching never moves a consumer
//   group's offsets. Each topic is assigned as soon as it exists; those there at the start begin
//   at the start position, resolved to offsets before the status says Live. The metadata is read
//   again every few seconds (every second while a topic is missing): partitions added since, and
//   topics created since, named or matching a pattern, are assigned too and read from their
//   beginning.
//   With a group it subscribes (topic regexes included; librdkafka follows new partitions and
//   topics itself), and commits what was handed over and stored (after Source's drain) every
//   few seconds, when partitions are revoked and when stopped. The start position applies to
//   the partitions that existed at the start; later ones start at their committed offset, else
//   their beginning. A revoke drops the revoked partitions' events not handed over yet (their
//   next owner reads them) and forgets those partitions.
// - Each message becomes a KafkaRecord (topic, partition, offset, key, broker timestamp, headers,
//   value) and then an Event through EventParser::parseKafkaRecord: CloudEvents binary mode
//   (ce_* headers), structured mode, plain JSON, or opaque bytes (counted as unparsed). An
//   unparsed event's error starts with where the record is: "topic[partition]@offset: ".
// - Back-pressure: a poll thread reads and parses; a hand-over thread calls the sink (which waits
//   while the engine is full). Between them sit at most two batches. When they are full the poll
//   thread pauses all assigned partitions (rd_kafka_pause_partitions) instead of reading on: the
//   broker keeps the data, prefetched messages are discarded by librdkafka and fetched again
//   from the position after the last message handed to us, and consumption resumes when the
//   engine catches up. A group member keeps polling meanwhile, so it is not evicted. Nothing is
//   lost or doubled, unless the broker deletes (retention) what waits there before it is read:
//   assign-only then counts and names the deleted offsets (deletedBeforeRead(), gaps(), the
//   status's reason) and goes on at the earliest offset still there; a group goes on there too.
// - A broker outage sets the status to Retrying with librdkafka's reason; librdkafka reconnects
//   by itself and fetching goes on from the positions it had (status Live again at the next
//   message).
// - Threads: start()/stop() on the owner's thread; the poll thread and the hand-over thread are
//   the source's own; librdkafka's callbacks run on the poll thread (rd_kafka_poll_set_consumer).
class KafkaSource final : public Source {
public:
    enum class StartAt {
        Beginning, // the earliest offset still on the broker
        End,       // only what arrives after the start
        Time,      // the first offset whose timestamp is at or after `startTime`
        Stored,    // the group's committed offsets (groups only); else auto.offset.reset applies
    };

    struct Options {
        QString bootstrapServers;
        QStringList topics; // a topic starting with '^' is a regular expression
        QString group;      // empty: assign-only
        StartAt startAt = StartAt::End;
        qint64 startTime = 0; // StartAt::Time, microseconds since the epoch
        // Client properties, applied in order after FlowScope's own defaults (later ones win).
        QList<QPair<QByteArray, QByteArray>> properties;
        int batchSize = 4096;      // events per batch at most
        int flushIntervalMs = 20;  // a batch is handed over at least this often
        int commitIntervalMs = 5000;
        int metadataTimeoutMs = 5000;
        // Assign-only: how often the metadata is read again for partitions and matching topics
        // created since the start (they are read from their beginning); 0: never. A topic not
        // found yet is looked for every second whatever this says.
        int metadataRefreshMs = 5000;
    };

    explicit KafkaSource(Options options);
    const Options& options() const { return m_options; }
    ~KafkaSource() override;

    bool start(QString* error) override;
    void stop() override;
    QString describe() const override;
    QJsonObject details() const override;
    QStringList summary() const override;

    // librdkafka properties that must never be printed, logged or stored.
    static bool isSecret(const QByteArray& key);
    // Reads a Java-style client properties file as java.util.Properties does: `key=value` or
    // `key: value`, `#`/`!` comments, `\` line continuations, escapes (\: \= \\ \uXXXX ...);
    // but a line without '=' or ':' is an error. A `sasl.jaas.config` with a
    // PlainLoginModule/ScramLoginModule becomes sasl.username and sasl.password, which
    // librdkafka understands. Errors name file:line (the line the property starts on).
    static bool readProperties(const QString& path, QList<QPair<QByteArray, QByteArray>>* properties,
                               QString* error);
    // Properties that librdkafka did not know and that were skipped (Java-only ones such as
    // key.deserializer), for a warning.
    QStringList skippedProperties() const { return m_skipped; }
    // Partitions assigned at the moment, for tests and progress ("topic[partition]").
    int assignedPartitions() const { return m_assignedCount.load(); }
    // How often the partitions were paused because the sink was behind.
    qint64 pauses() const { return m_pauses.load(); }
    // Group: how often partitions were taken away (revoked), counted as a revoke begins.
    qint64 revokes() const { return m_revokes.load(); }
    // Assign-only: offsets the broker deleted (retention) before the source read them, because
    // it was paused or stopped for too long; reading went on at the earliest offset still there.
    qint64 deletedBeforeRead() const { return m_deletedBeforeRead.load(); }
    // What happened, one line per time it happened (the first 100): "orders[3] offsets 120..4031
    // were deleted before they were read". Any thread.
    QStringList gaps() const
    {
        std::lock_guard lock(m_gapsMutex);
        return m_gaps;
    }

private:
    struct Private;
    void pollLoop();
    void handOverLoop();

    Options m_options;
    QStringList m_skipped;
    std::unique_ptr<Private> d;
    std::atomic<int> m_assignedCount { 0 };
    std::atomic<qint64> m_pauses { 0 };
    std::atomic<qint64> m_revokes { 0 };
    std::atomic<qint64> m_deletedBeforeRead { 0 };
    mutable std::mutex m_gapsMutex;
    QStringList m_gaps;
    std::atomic<bool> m_stopRequested { false };
    std::thread m_pollThread, m_handOverThread;

    // Batches between the poll thread and the hand-over thread.
    std::mutex m_readyMutex;
    std::condition_variable m_readyChanged;
    std::deque<EventBatch> m_ready;
    bool m_pollDone = false;     // the poll thread queues nothing more
    bool m_handOverDone = false; // the sink takes nothing more (refused, or limit reached)
    // Next offset to commit per topic/partition: what was handed over, or where the partition
    // started (groups only; m_readyMutex). Revoked partitions are taken out.
    std::map<std::pair<QByteArray, qint32>, qint64> m_handedOffsets;
    // Held by the hand-over thread from taking a batch to recording its offsets, and by a revoke.
    std::mutex m_deliverMutex;
    bool m_revoking = false; // a revoke is waiting for m_deliverMutex (m_readyMutex)
};

} // namespace FlowScope::Connectors
