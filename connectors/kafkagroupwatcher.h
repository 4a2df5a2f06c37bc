// SPDX-License-Identifier: MIT
#pragma once

#include <groupfact.h>

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace FlowScope::Connectors {

// Watches Kafka consumer groups and says, every few seconds, which group consumes which topic,
// with how many members and how much lag (docs/connectors.md "Consumer groups").
//
// - Read-only: it never joins, subscribes or commits. One librdkafka client (a producer handle,
//   which starts no consumer machinery) asks, each round: ListConsumerGroups, then
//   DescribeConsumerGroups (members and their assignments, decoded by librdkafka), the topics'
//   metadata, ListConsumerGroupOffsets per group for every partition of the watched topics, and
//   the end offsets (ListOffsets for the latest offset, one batched request per leader).
// - A fact per (group, topic) the group has members on or has committed offsets on: lag is the sum,
//   over the partitions with a committed offset, of end offset - committed offset.
// - Where the cluster does not list or describe groups (librdkafka's mock cluster; brokers
//   that refuse it), the groups named in Options::groups are still watched from their committed
//   offsets alone, and their members are unknown (-1). DescribeConsumerGroups is asked only of a
//   cluster that answered ListConsumerGroups: in librdkafka 2.0.2 a DescribeConsumerGroups the
//   broker does not support leaves the client hanging (every later request times out).
// - A round that fails on the way (timeout, no broker) keeps the previous facts and says why in
//   error(); a round that read the cluster replaces them, with nothing if no group consumes.
// - Threads: start()/stop() on the owner's thread; the rounds run on the watcher's own thread,
//   and the handler is called there after each complete round. The first round starts at once
//   and always completes (bounded by the request timeout); stop() cuts later ones short.
class KafkaGroupWatcher final {
public:
    struct Options {
        QString bootstrapServers;
        QStringList topics; // facts only for these (a name starting with '^' is a regex); empty: all
        QStringList groups; // only these groups; empty: every group the cluster lists
        QStringList ignoreGroups; // never these (FlowScope's own group when it records as one)
        // Client properties (security), applied after FlowScope's defaults, as for KafkaSource.
        QList<QPair<QByteArray, QByteArray>> properties;
        int intervalMs = 5000; // between the starts of two rounds
        int requestTimeoutMs = 5000; // per request
    };
    using Handler = std::function<void(const GroupFacts&)>;
    // Watching what a source with these settings reads: its servers, topics and client
    // properties; its own consumer group (when it joins one) is not part of the system watched.
    static Options forSource(const QString& bootstrapServers, const QStringList& topics, const QString& ownGroup,
                             const QList<QPair<QByteArray, QByteArray>>& properties);

    // What one round read, before it is combined into facts (public for tests).
    struct Member {
        QByteArray id;
        QList<QPair<QByteArray, qint32>> partitions; // assigned (topic, partition)
    };
    struct Group {
        QByteArray id;
        bool described = false; // false: members unknown
        QList<Member> members;
    };
    using Offsets = std::map<std::pair<QByteArray, qint32>, qint64>; // (topic, partition) -> offset
    struct Round {
        QList<Group> groups;
        std::map<QByteArray, Offsets> committed; // group -> committed offsets (only those >= 0)
        Offsets ends; // the partitions' end offsets
    };
    // One fact per (group, topic) with a member assigned to it or a committed offset on it, for
    // the topics `wanted` accepts; sorted by group, then topic.
    static GroupFacts combine(const Round& round, const std::function<bool(const QByteArray&)>& wanted);

    explicit KafkaGroupWatcher(Options options);
    ~KafkaGroupWatcher();
    KafkaGroupWatcher(const KafkaGroupWatcher&) = delete;
    KafkaGroupWatcher& operator=(const KafkaGroupWatcher&) = delete;

    void setHandler(Handler handler); // before start()
    // Fails only on unusable settings (no servers, a bad property, a bad regex).
    bool start(QString* error);
    void stop();
    QString describe() const;
    // Properties librdkafka did not know (skipped), for a warning.
    QStringList skippedProperties() const { return m_skipped; }

    // Any thread:
    GroupFacts facts() const; // the latest complete round's
    QString error() const; // what the latest round could not read; empty when it read everything
    qint64 rounds() const; // rounds finished (complete or not)

private:
    struct Client;
    void run();
    bool readRound(Round* round, QString* problem);
    bool wanted(const QByteArray& topic) const;
    bool stopping() const;

    Options m_options;
    QStringList m_skipped;
    Handler m_handler;
    std::unique_ptr<Client> m_client;
    std::thread m_thread;

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stopRequested = false;
    GroupFacts m_facts;
    QString m_error;
    qint64 m_rounds = 0;
};

} // namespace FlowScope::Connectors
