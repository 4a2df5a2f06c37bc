// SPDX-License-Identifier: MIT
#include "kafkagroupwatcher.h"
#include "kafkaconf.h"

#include <threadpriority.h>

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSet>

#include <librdkafka/rdkafka.h>

#include <algorithm>

namespace {
Q_LOGGING_CATEGORY(
    LOG_GROUPS, "flowscope.kafka.groups", QtInfoMsg) // debug: QT_LOGGING_RULES=flowscope.kafka.groups.debug=true
}

namespace FlowScope::Connectors {

namespace {

QString fromKafka(const char* text) { return QString::fromUtf8(text ? text : ""); }

struct PartitionListDeleter {
    void operator()(rd_kafka_topic_partition_list_t* list) const { rd_kafka_topic_partition_list_destroy(list); }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
struct EventDeleter {
    void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
struct QueueDeleter {
    void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
struct OptionsDeleter {
    void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
using AdminOptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter>;

// No broker answered in time, or none could be reached: the rest of the round would only wait.
bool unreachable(rd_kafka_resp_err_t err)
{
    return err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT
        || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE;
}

} // namespace

struct KafkaGroupWatcher::Client {
    rd_kafka_t* rk = nullptr;
    QList<QRegularExpression> patterns; // the topics starting with '^'
    QSet<QByteArray> names; // the other topics

    ~Client()
    {
        if (rk)
            rd_kafka_destroy(rk);
    }
    AdminOptionsPtr adminOptions(rd_kafka_admin_op_t op, int timeoutMs) const
    {
        AdminOptionsPtr o(rd_kafka_AdminOptions_new(rk, op));
        char errstr[256];
        rd_kafka_AdminOptions_set_request_timeout(o.get(), timeoutMs, errstr, sizeof errstr);
        return o;
    }
};

// --- combining --------------------------------------------------------------------------------

GroupFacts KafkaGroupWatcher::combine(const Round& round, const std::function<bool(const QByteArray&)>& wanted)
{
    struct Acc {
        QSet<QByteArray> members;
        bool described = false;
        qint64 lag = -1;
    };
    std::map<std::pair<QByteArray, QByteArray>, Acc> acc; // (group, topic)
    for (const Group& g : round.groups) {
        for (const Member& m : g.members)
            for (const auto& [topic, partition] : m.partitions)
                if (wanted(topic))
                    acc[{ g.id, topic }].members.insert(m.id);
        const auto committed = round.committed.find(g.id);
        if (committed == round.committed.end())
            continue;
        for (const auto& [tp, offset] : committed->second) {
            if (offset < 0 || !wanted(tp.first))
                continue;
            Acc& a = acc[{ g.id, tp.first }];
            if (const auto end = round.ends.find(tp); end != round.ends.end())
                a.lag = std::max<qint64>(a.lag, 0) + std::max<qint64>(0, end->second - offset);
        }
    }
    QSet<QByteArray> described;
    for (const Group& g : round.groups)
        if (g.described)
            described.insert(g.id);
    GroupFacts facts;
    for (const auto& [key, a] : acc)
        facts.append(
            GroupFact { key.first, key.second, described.contains(key.first) ? int(a.members.size()) : -1, a.lag });
    return facts;
}

// --- lifecycle --------------------------------------------------------------------------------

KafkaGroupWatcher::KafkaGroupWatcher(Options options)
    : m_options(std::move(options))
{
}

KafkaGroupWatcher::~KafkaGroupWatcher() { stop(); }

void KafkaGroupWatcher::setHandler(Handler handler) { m_handler = std::move(handler); }

QString KafkaGroupWatcher::describe() const
{
    QString text = QStringLiteral("kafka %1 consumer groups").arg(m_options.bootstrapServers);
    if (!m_options.groups.isEmpty())
        text += u' ' + m_options.groups.join(u',');
    if (!m_options.topics.isEmpty())
        text += QStringLiteral(" on topics ") + m_options.topics.join(u',');
    text += QStringLiteral(" every %1 s").arg(double(m_options.intervalMs) / 1000.0);
    return text;
}

bool KafkaGroupWatcher::start(QString* error)
{
    if (m_thread.joinable()) {
        *error = QStringLiteral("already started");
        return false;
    }
    if (m_options.bootstrapServers.isEmpty()) {
        *error = QStringLiteral("bootstrap servers are needed");
        return false;
    }
    if (m_options.intervalMs <= 0 || m_options.requestTimeoutMs <= 0) {
        *error = QStringLiteral("the interval and the request timeout must be positive");
        return false;
    }
    auto client = std::make_unique<Client>();
    for (const QString& t : std::as_const(m_options.topics)) {
        if (!t.startsWith(u'^')) {
            client->names.insert(t.toUtf8());
            continue;
        }
        QRegularExpression re(t);
        if (!re.isValid()) {
            *error = QStringLiteral("topic pattern %1: %2").arg(t, re.errorString());
            return false;
        }
        client->patterns.append(re);
    }

    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    bool ok = true;
    const QList<QPair<QByteArray, QByteArray>> defaults {
        { "client.id", "flowscope-groups" },
        { "bootstrap.servers", m_options.bootstrapServers.toUtf8() },
    };
    for (const auto& [k, v] : defaults)
        ok = ok && setKafkaProperty(conf, k, v, &m_skipped, error);
    for (const auto& [k, v] : std::as_const(m_options.properties)) {
        // Consumer settings mean nothing to this read-only client; librdkafka would warn about each.
        if (k == "group.id" || k == "enable.auto.commit" || k == "enable.auto.offset.store" || k == "auto.offset.reset"
            || k.startsWith("queued.") || k == "enable.partition.eof")
            continue;
        ok = ok && setKafkaProperty(conf, k, v, &m_skipped, error);
    }
    if (!ok) {
        rd_kafka_conf_destroy(conf);
        return false;
    }
    rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t*, int level, const char* fac, const char* buf) {
        if (level <= 3)
            qCDebug(LOG_GROUPS) << fac << buf;
    });
    char errstr[512];
    // A producer handle: the lightest client that can send admin requests; it starts no consumer
    // group machinery, so it can never join, rebalance or commit anything.
    client->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!client->rk) {
        rd_kafka_conf_destroy(conf);
        *error = QString::fromUtf8(errstr);
        return false;
    }
    m_client = std::move(client);
    {
        std::lock_guard lock(m_mutex);
        m_stopRequested = false;
        m_rounds = 0;
    }
    m_thread = std::thread([this] { run(); });
    return true;
}

void KafkaGroupWatcher::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopRequested = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
    m_client.reset();
}

GroupFacts KafkaGroupWatcher::facts() const
{
    std::lock_guard lock(m_mutex);
    return m_facts;
}

QString KafkaGroupWatcher::error() const
{
    std::lock_guard lock(m_mutex);
    return m_error;
}

qint64 KafkaGroupWatcher::rounds() const
{
    std::lock_guard lock(m_mutex);
    return m_rounds;
}

bool KafkaGroupWatcher::stopping() const
{
    std::lock_guard lock(m_mutex);
    return m_stopRequested && m_rounds > 0; // the first round always completes
}

bool KafkaGroupWatcher::wanted(const QByteArray& topic) const
{
    if (m_options.topics.isEmpty())
        return !topic.startsWith("__"); // not Kafka's own (__consumer_offsets, __transaction_state)
    if (m_client->names.contains(topic))
        return true;
    const QString name = QString::fromUtf8(topic);
    return std::any_of(m_client->patterns.cbegin(), m_client->patterns.cend(),
        [&](const QRegularExpression& re) { return re.match(name).hasMatch(); });
}

// --- one round --------------------------------------------------------------------------------

void KafkaGroupWatcher::run()
{
    setCurrentThreadName("fs-kafka-groups");
    QString logged;
    for (;;) {
        Round round;
        QString problem;
        const bool complete = readRound(&round, &problem);
        GroupFacts facts;
        if (complete)
            facts = combine(round, [this](const QByteArray& topic) { return wanted(topic); });
        {
            std::lock_guard lock(m_mutex);
            ++m_rounds;
            m_error = problem;
            if (complete)
                m_facts = facts;
        }
        if (problem != logged) { // once per new problem, not every round; the owner shows error()
            if (!problem.isEmpty())
                qCDebug(LOG_GROUPS).noquote() << problem;
            logged = problem;
        }
        if (complete && m_handler)
            m_handler(facts);
        rd_kafka_poll(m_client->rk, 0); // serve the client's own events (errors) so they do not pile up
        std::unique_lock lock(m_mutex);
        if (m_wake.wait_for(lock, std::chrono::milliseconds(m_options.intervalMs), [this] { return m_stopRequested; }))
            break;
    }
}

bool KafkaGroupWatcher::readRound(Round* round, QString* problem)
{
    rd_kafka_t* rk = m_client->rk;
    const int timeout = m_options.requestTimeoutMs;
    QStringList problems;
    auto finish = [&](bool complete) {
        *problem = problems.join(QStringLiteral("; "));
        return complete;
    };
    // A fresh queue each round: a result that arrives after its round gave up on it is dropped
    // with the queue instead of being taken for the next round's.
    QueuePtr queue(rd_kafka_queue_new(rk));
    // Waits for the result of the admin request just sent (it carries its own timeout; the
    // slack is for the answer to come back), in short steps so that stop() is not kept waiting.
    auto await = [&](rd_kafka_event_type_t type) -> EventPtr {
        QElapsedTimer waited;
        waited.start();
        while (waited.elapsed() < timeout + 2000 && !stopping()) {
            EventPtr ev(rd_kafka_queue_poll(queue.get(), 100));
            if (ev && rd_kafka_event_type(ev.get()) == type)
                return ev;
        }
        return nullptr;
    };

    // 1. Which groups. The cluster lists them (ListGroups, asked of every broker); a cluster
    // that cannot still lets the groups named in the options be watched by their offsets.
    QList<QByteArray> ids;
    bool listed = false;
    {
        auto options = m_client->adminOptions(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout);
        rd_kafka_ListConsumerGroups(rk, options.get(), queue.get());
        EventPtr ev = await(RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT);
        if (!ev) {
            problems.append(QStringLiteral("listing consumer groups: no answer"));
            return finish(false);
        }
        QString failure;
        rd_kafka_resp_err_t failureCode = rd_kafka_event_error(ev.get());
        if (failureCode) {
            failure = fromKafka(rd_kafka_event_error_string(ev.get()));
        } else {
            const auto* result = rd_kafka_event_ListConsumerGroups_result(ev.get());
            size_t valid = 0, errors = 0;
            const rd_kafka_ConsumerGroupListing_t** listings = rd_kafka_ListConsumerGroups_result_valid(result, &valid);
            const rd_kafka_error_t** errs = rd_kafka_ListConsumerGroups_result_errors(result, &errors);
            for (size_t i = 0; i < valid; ++i)
                ids.append(QByteArray(rd_kafka_ConsumerGroupListing_group_id(listings[i])));
            if (errors > 0) {
                failureCode = rd_kafka_error_code(errs[0]);
                failure = fromKafka(rd_kafka_error_string(errs[0]));
            }
            listed = errors == 0 || valid > 0; // some brokers answered: what they listed is real
        }
        if (!failure.isEmpty() && unreachable(failureCode) && !listed) {
            problems.append(QStringLiteral("listing consumer groups: %1").arg(failure));
            return finish(false);
        }
        if (!failure.isEmpty() && listed)
            problems.append(QStringLiteral("listing consumer groups (some brokers): %1").arg(failure));
        else if (!failure.isEmpty())
            problems.append(m_options.groups.isEmpty()
                    ? QStringLiteral("the cluster does not list consumer groups (%1): name the groups "
                                     "to watch")
                          .arg(failure)
                    : QStringLiteral("the cluster does not list consumer groups (%1): watching %2 "
                                     "by their committed offsets, members unknown")
                          .arg(failure, m_options.groups.join(QStringLiteral(", "))));
    }
    if (!m_options.groups.isEmpty()) {
        ids.clear();
        for (const QString& g : std::as_const(m_options.groups))
            ids.append(g.toUtf8());
    }
    ids.erase(std::remove_if(ids.begin(), ids.end(),
                  [&](const QByteArray& id) { return m_options.ignoreGroups.contains(QString::fromUtf8(id)); }),
        ids.end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (const QByteArray& id : std::as_const(ids))
        round->groups.append(Group { id, false, {} });
    if (ids.isEmpty())
        return finish(true); // nothing consumes, as far as the cluster says

    // 2. Members and what each is assigned. Only asked of a cluster that listed groups: a broker
    // without DescribeGroups makes librdkafka 2.0.2's client hang (see the header).
    if (listed && !stopping()) {
        std::vector<const char*> names;
        for (const QByteArray& id : std::as_const(ids))
            names.push_back(id.constData());
        auto options = m_client->adminOptions(RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout);
        rd_kafka_DescribeConsumerGroups(rk, names.data(), names.size(), options.get(), queue.get());
        EventPtr ev = await(RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT);
        if (!ev) {
            problems.append(QStringLiteral("describing consumer groups: no answer"));
            return finish(false);
        }
        if (const rd_kafka_resp_err_t err = rd_kafka_event_error(ev.get())) {
            problems.append(
                QStringLiteral("describing consumer groups: %1").arg(fromKafka(rd_kafka_event_error_string(ev.get()))));
            if (unreachable(err))
                return finish(false);
        } else {
            const auto* result = rd_kafka_event_DescribeConsumerGroups_result(ev.get());
            size_t n = 0;
            const rd_kafka_ConsumerGroupDescription_t** descs
                = rd_kafka_DescribeConsumerGroups_result_groups(result, &n);
            for (size_t i = 0; i < n; ++i) {
                const QByteArray id(rd_kafka_ConsumerGroupDescription_group_id(descs[i]));
                auto g = std::find_if(
                    round->groups.begin(), round->groups.end(), [&](const Group& x) { return x.id == id; });
                if (g == round->groups.end())
                    continue;
                if (const rd_kafka_error_t* e = rd_kafka_ConsumerGroupDescription_error(descs[i])) {
                    problems.append(QStringLiteral("describing group %1: %2")
                                        .arg(QString::fromUtf8(id), fromKafka(rd_kafka_error_string(e))));
                    continue;
                }
                g->described = true;
                const size_t members = rd_kafka_ConsumerGroupDescription_member_count(descs[i]);
                for (size_t m = 0; m < members; ++m) {
                    const rd_kafka_MemberDescription_t* md = rd_kafka_ConsumerGroupDescription_member(descs[i], m);
                    Member member { QByteArray(rd_kafka_MemberDescription_consumer_id(md)), {} };
                    // librdkafka decodes the consumer protocol's MemberAssignment for us.
                    if (const rd_kafka_MemberAssignment_t* a = rd_kafka_MemberDescription_assignment(md))
                        if (const rd_kafka_topic_partition_list_t* parts = rd_kafka_MemberAssignment_partitions(a))
                            for (int p = 0; p < parts->cnt; ++p)
                                member.partitions.append(
                                    { QByteArray(parts->elems[p].topic), parts->elems[p].partition });
                    g->members.append(member);
                }
            }
        }
    }

    // 3. The partitions of the watched topics.
    PartitionList partitions(rd_kafka_topic_partition_list_new(64));
    {
        const rd_kafka_metadata_t* md = nullptr;
        const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &md, timeout);
        if (err) {
            problems.append(QStringLiteral("metadata: %1").arg(fromKafka(rd_kafka_err2str(err))));
            return finish(false);
        }
        for (int i = 0; i < md->topic_cnt; ++i) {
            const rd_kafka_metadata_topic_t& t = md->topics[i];
            if (t.err || !wanted(QByteArray(t.topic)))
                continue;
            for (int p = 0; p < t.partition_cnt; ++p)
                rd_kafka_topic_partition_list_add(partitions.get(), t.topic, t.partitions[p].id);
        }
        rd_kafka_metadata_destroy(md);
    }
    if (partitions->cnt == 0 || stopping())
        return finish(!stopping());

    // 4. Each group's committed offsets on them (OffsetFetch; one group per request in 2.0.2, so
    // all are sent at once and gathered).
    {
        auto options = m_client->adminOptions(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout);
        for (const QByteArray& id : std::as_const(ids)) {
            rd_kafka_ListConsumerGroupOffsets_t* request
                = rd_kafka_ListConsumerGroupOffsets_new(id.constData(), partitions.get());
            rd_kafka_ListConsumerGroupOffsets(rk, &request, 1, options.get(), queue.get());
            rd_kafka_ListConsumerGroupOffsets_destroy(request);
        }
        for (qsizetype answered = 0; answered < ids.size(); ++answered) {
            EventPtr ev = await(RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT);
            if (!ev) {
                problems.append(QStringLiteral("committed offsets: no answer"));
                return finish(false);
            }
            if (const rd_kafka_resp_err_t err = rd_kafka_event_error(ev.get())) {
                problems.append(
                    QStringLiteral("committed offsets: %1").arg(fromKafka(rd_kafka_event_error_string(ev.get()))));
                if (unreachable(err))
                    return finish(false);
                continue;
            }
            size_t n = 0;
            const rd_kafka_group_result_t** groups = rd_kafka_ListConsumerGroupOffsets_result_groups(
                rd_kafka_event_ListConsumerGroupOffsets_result(ev.get()), &n);
            for (size_t i = 0; i < n; ++i) {
                const QByteArray id(rd_kafka_group_result_name(groups[i]));
                if (const rd_kafka_error_t* e = rd_kafka_group_result_error(groups[i])) {
                    problems.append(QStringLiteral("committed offsets of %1: %2")
                                        .arg(QString::fromUtf8(id), fromKafka(rd_kafka_error_string(e))));
                    continue;
                }
                Offsets& committed = round->committed[id];
                if (const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(groups[i]))
                    for (int p = 0; p < parts->cnt; ++p)
                        if (!parts->elems[p].err && parts->elems[p].offset >= 0)
                            committed[{ QByteArray(parts->elems[p].topic), parts->elems[p].partition }]
                                = parts->elems[p].offset;
            }
        }
    }
    if (stopping())
        return finish(false);

    // 5. Where each partition ends: ListOffsets for the latest offset (timestamp -1), batched per
    // leader, rather than one watermark request per partition.
    for (int i = 0; i < partitions->cnt; ++i)
        partitions->elems[i].offset = RD_KAFKA_OFFSET_END;
    if (const rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, partitions.get(), timeout)) {
        problems.append(QStringLiteral("end offsets: %1").arg(fromKafka(rd_kafka_err2str(err))));
        return finish(false);
    }
    int missing = 0;
    for (int i = 0; i < partitions->cnt; ++i) {
        const rd_kafka_topic_partition_t& p = partitions->elems[i];
        if (!p.err && p.offset >= 0)
            round->ends[{ QByteArray(p.topic), p.partition }] = p.offset;
        else
            ++missing;
    }
    if (missing > 0)
        problems.append(QStringLiteral("end offsets: %1 partitions did not say (their lag is left out)").arg(missing));
    return finish(true);
}

KafkaGroupWatcher::Options KafkaGroupWatcher::forSource(const QString& bootstrapServers, const QStringList& topics,
                                                      const QString& ownGroup,
                                                      const QList<QPair<QByteArray, QByteArray>>& properties)
{
    Options w;
    w.bootstrapServers = bootstrapServers;
    w.topics = topics;
    if (!ownGroup.isEmpty())
        w.ignoreGroups.append(ownGroup);
    w.properties = properties;
    return w;
}

} // namespace FlowScope::Connectors
