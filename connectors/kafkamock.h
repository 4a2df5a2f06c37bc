// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

#include <memory>

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace FlowScope::Connectors {

// librdkafka's mock cluster in this process (rdkafka_mock.h), with a producer into it: the real
// Kafka protocol on loopback, for tests and benchmarks. Other processes (flowscope record, kcat)
// reach it at bootstrap() for as long as this object lives.
//
// What the mock does not do (../shared/ENVIRONMENT.md): each partition keeps only its last ~5 MiB
// (spread large runs over many partitions); leaders do not move when a broker is down.
class KafkaMockCluster final {
public:
    ~KafkaMockCluster();
    KafkaMockCluster(const KafkaMockCluster&) = delete;
    KafkaMockCluster& operator=(const KafkaMockCluster&) = delete;

    // Null with *error set when librdkafka could not start it.
    static std::unique_ptr<KafkaMockCluster> start(int brokers, QString* error);

    QByteArray bootstrap() const { return m_bootstrap; } // "127.0.0.1:PORT,..."
    bool createTopic(const QByteArray& topic, int partitions, QString* error);
    bool setBrokerDown(int broker, bool down, QString* error); // brokers count from 1
    // The next `count` requests of Kafka API `apiKey` (2: ListOffsets, 3: Metadata, ...) to any
    // broker are answered with the error `kafkaError` (an rd_kafka_resp_err_t broker error).
    void failRequests(int apiKey, int count, int kafkaError);

    using Headers = QList<QPair<QByteArray, QByteArray>>;
    // Queues one record (partition from the key, or -1 for the producer's choice); returns
    // false with *error set when the producer's queue refused it even after waiting.
    // `timestampMs` > 0 sets the record's CreateTime (milliseconds since the epoch); 0: now.
    bool produce(const QByteArray& topic, const QByteArray& key, const QByteArray& value, const Headers& headers,
                 QString* error, int partition = -1, qint64 timestampMs = 0);
    // Waits until everything produced is acknowledged by the cluster; false on timeout or when a
    // record failed for good (*error says which error, and how many).
    bool flush(int timeoutMs, QString* error);
    // Commits `offsets` (per partition from 0; -1: none) of `topic` for `group` without joining
    // it, as a tool or an assign-and-commit consumer does: the group then has offsets and no
    // members. How tests make a consumer group with a known lag.
    bool commitOffsets(const QByteArray& group, const QByteArray& topic, const QList<qint64>& offsets, QString* error);
    // A consumer of `group` at `bootstrap` (this cluster's, or any): reads from the earliest
    // offset, commits only when told, logs nothing. Null with *error set when librdkafka refused;
    // the caller destroys it (rd_kafka_destroy).
    static rd_kafka_s* newGroupConsumer(const QByteArray& bootstrap, const QByteArray& group, QString* error);

private:
    KafkaMockCluster() = default;
    rd_kafka_s* m_handle = nullptr;
    rd_kafka_mock_cluster_s* m_cluster = nullptr;
    rd_kafka_s* m_producer = nullptr;
    QByteArray m_bootstrap;
};

} // namespace FlowScope::Connectors
