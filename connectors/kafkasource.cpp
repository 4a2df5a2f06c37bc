// SPDX-License-Identifier: MIT
#include "kafkasource.h"
#include "kafkaconf.h"

#include <eventparser.h>
#include <threadpriority.h>
#include <timeformat.h>

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSet>

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <set>
#include <unordered_map>

namespace {
Q_LOGGING_CATEGORY(LOG_KAFKA, "flowscope.kafka", QtInfoMsg) // debug: QT_LOGGING_RULES=flowscope.kafka.debug=true
}

namespace FlowScope::Connectors {

namespace {

constexpr std::size_t MaxReadyBatches = 2; // between the poll and the hand-over threads
constexpr qsizetype MaxGaps = 100;         // ranges deleted before they were read, kept for the report

struct PartitionListDeleter {
    void operator()(rd_kafka_topic_partition_list_t* list) const { rd_kafka_topic_partition_list_destroy(list); }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

QString fromKafka(const char* text) { return QString::fromUtf8(text ? text : ""); }

} // namespace

struct KafkaSource::Private {
    KafkaSource* q = nullptr;
    rd_kafka_t* rk = nullptr;
    EventParser parser; // poll thread only
    std::unordered_map<const rd_kafka_topic_t*, QByteArray> topicNames;
    std::set<std::pair<QByteArray, qint32>> seenPartitions; // group: first assignment of each
    std::set<std::pair<QByteArray, qint32>> startPartitions; // group: what existed at the start
    bool startKnown = false;                                 // group: startPartitions was read
    EventBatch* pending = nullptr; // poll thread: the batch being filled (pollLoop's), for revokes
    std::set<std::pair<QByteArray, qint32>> assigned;       // assign-only: what is assigned
    bool metadataRead = false; // assign-only: the first metadata (what exists at the start) was read
    QStringList missing;       // assign-only: topics and patterns with nothing found yet
    std::atomic<bool> fatal { false };
    QString fatalReason;
    qint64 ingestTime = 0; // poll thread: when the messages being taken arrived (pollLoop sets it)
    bool paused = false;   // poll thread: the assigned partitions are paused (the engine is behind)

    static void onError(rd_kafka_t* rk, int err, const char* reason, void* opaque);
    static void onLog(const rd_kafka_t* rk, int level, const char* fac, const char* buf);
    static void onRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                            void* opaque);

    bool assignFromMetadata(int timeoutMs, QString* reason);
    void readStartPartitions();
    void revoke(const rd_kafka_topic_partition_list_t* partitions);
    bool applyStartPositions(rd_kafka_topic_partition_list_t* list, bool onlyNew, QString* reason);
    bool matches(const QString& topic) const;
    Event toEvent(const rd_kafka_message_t* msg);
    QString restartAfterReset(const rd_kafka_message_t* msg);
    void commit(bool async);
};

// --- lifecycle --------------------------------------------------------------------------------

KafkaSource::KafkaSource(Options options)
    : m_options(std::move(options))
    , d(std::make_unique<Private>())
{
    d->q = this;
}

KafkaSource::~KafkaSource() { stop(); }

QString KafkaSource::describe() const
{
    QString text = QStringLiteral("kafka %1 topics %2").arg(m_options.bootstrapServers, m_options.topics.join(u','));
    text += m_options.group.isEmpty() ? QStringLiteral(" (assign-only)") : QStringLiteral(" group %1").arg(m_options.group);
    switch (m_options.startAt) {
    case StartAt::Beginning:
        text += QStringLiteral(" from beginning");
        break;
    case StartAt::End:
        text += QStringLiteral(" from end");
        break;
    case StartAt::Time:
        text += QStringLiteral(" from ") + TimeFormat::toRfc3339String(m_options.startTime);
        break;
    case StartAt::Stored:
        text += QStringLiteral(" from stored offsets");
        break;
    }
    for (const auto& [key, value] : m_options.properties)
        text += u' ' + QString::fromUtf8(key) + u'=' + (isSecret(key) ? QStringLiteral("***") : QString::fromUtf8(value));
    return text;
}

// What the broker deleted before it was read (the source was paused or stopped too long).
QJsonObject KafkaSource::details() const
{
    return QJsonObject { { QStringLiteral("deleted_before_read"), deletedBeforeRead() },
                         { QStringLiteral("gaps"), QJsonArray::fromStringList(gaps()) } };
}

QStringList KafkaSource::summary() const
{
    const QStringList positions = gaps();
    if (positions.isEmpty())
        return {};
    QStringList lines { deletedBeforeRead() > 0
                            ? QStringLiteral("%1 events were deleted by the broker before they were read:")
                                  .arg(deletedBeforeRead())
                            : QStringLiteral("positions no longer on the broker:") };
    for (const QString& gap : positions)
        lines.append(QStringLiteral("  ") + gap);
    return lines;
}

bool KafkaSource::start(QString* error)
{
    if (d->rk) {
        *error = QStringLiteral("already started");
        return false;
    }
    if (m_options.bootstrapServers.isEmpty() || m_options.topics.isEmpty()) {
        *error = QStringLiteral("bootstrap servers and at least one topic are needed");
        return false;
    }
    const bool group = !m_options.group.isEmpty();
    if (!group && m_options.startAt == StartAt::Stored) {
        *error = QStringLiteral("stored offsets need a consumer group");
        return false;
    }
    for (const QString& t : std::as_const(m_options.topics)) {
        if (t.startsWith(u'^') && !QRegularExpression(t).isValid()) {
            *error = QStringLiteral("topic pattern %1: %2").arg(t, QRegularExpression(t).errorString());
            return false;
        }
    }

    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    auto set = [&](const QByteArray& key, const QByteArray& value) {
        return setKafkaProperty(conf, key, value, &m_skipped, error);
    };
    // auto.offset.reset decides where a partition goes when its position is not on the broker:
    // mostly when the broker deleted (retention) what the source had not read yet, because it
    // was paused behind a slow engine or stopped (SIGSTOP, a laptop asleep). "latest" would then
    // skip everything still on the broker, silently. Assign-only positions are explicit, so the
    // reset only ever means "fell off the log": "error" hands it to the poll loop, which counts
    // and reports the deleted offsets and goes on at the earliest offset (restartAfterReset). A
    // group reads from the earliest offset still there (a partition without a committed offset
    // too, as documented for --from stored).
    const QByteArray reset = group ? QByteArrayLiteral("earliest") : QByteArrayLiteral("error");
    // Defaults first, the user's properties after them (they win). queued.min.messages: with the
    // default of 100 k, librdkafka 2.0 stalls about a second each time its queue passes it.
    const QList<QPair<QByteArray, QByteArray>> defaults {
        { "client.id", "flowscope" },
        { "bootstrap.servers", m_options.bootstrapServers.toUtf8() },
        { "enable.auto.commit", "false" },
        { "enable.auto.offset.store", "false" },
        { "enable.partition.eof", "false" },
        { "auto.offset.reset", reset },
        { "queued.min.messages", "1000000" },
        { "queued.max.messages.kbytes", "262144" },
    };
    bool ok = true;
    for (const auto& [k, v] : defaults)
        ok = ok && set(k, v);
    // librdkafka 2.0 refuses rd_kafka_assign() without a group.id ("Unknown group"). Assign-only
    // sets a placeholder: assign() never joins a group (no JoinGroup, no member, no rebalance), the
    // start positions are explicit so no committed offset is fetched, and nothing is committed.
    ok = ok && set("group.id", group ? m_options.group.toUtf8() : QByteArrayLiteral("flowscope-assign-only"));
    for (const auto& [k, v] : std::as_const(m_options.properties)) {
        if (k == "group.id" || k == "enable.auto.commit" || k == "enable.auto.offset.store"
            || (!group && k == "auto.offset.reset")) {
            // FlowScope decides these: assign-only must not commit, a group commits what was
            // stored, and assign-only reports what fell off the log instead of jumping (above)
            m_skipped.append(QString::fromUtf8(k));
            continue;
        }
        ok = ok && set(k, v);
    }
    if (!ok) {
        rd_kafka_conf_destroy(conf);
        return false;
    }
    rd_kafka_conf_set_opaque(conf, d.get());
    rd_kafka_conf_set_error_cb(conf, &Private::onError);
    rd_kafka_conf_set_log_cb(conf, &Private::onLog);
    if (group)
        rd_kafka_conf_set_rebalance_cb(conf, &Private::onRebalance);

    d->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!d->rk) {
        rd_kafka_conf_destroy(conf);
        *error = QString::fromUtf8(errstr);
        return false;
    }
    rd_kafka_poll_set_consumer(d->rk); // callbacks are served by rd_kafka_consumer_poll
    if (!m_skipped.isEmpty())
        qCWarning(LOG_KAFKA) << "ignored client properties:" << m_skipped.join(QStringLiteral(", "));

    if (group) {
        PartitionList topics(rd_kafka_topic_partition_list_new(m_options.topics.size()));
        for (const QString& t : std::as_const(m_options.topics))
            rd_kafka_topic_partition_list_add(topics.get(), t.toUtf8().constData(), RD_KAFKA_PARTITION_UA);
        const rd_kafka_resp_err_t err = rd_kafka_subscribe(d->rk, topics.get());
        if (err) {
            *error = QStringLiteral("subscribe: %1").arg(fromKafka(rd_kafka_err2str(err)));
            rd_kafka_destroy(d->rk);
            d->rk = nullptr;
            return false;
        }
    }

    m_stopRequested = false;
    m_pollDone = m_handOverDone = false;
    setStatus(SourceState::Connecting);
    m_handOverThread = std::thread([this] { handOverLoop(); });
    m_pollThread = std::thread([this] { pollLoop(); });
    return true;
}

void KafkaSource::stop()
{
    m_stopRequested = true;
    m_readyChanged.notify_all();
    if (m_pollThread.joinable())
        m_pollThread.join();
}

// --- librdkafka callbacks (poll thread) -------------------------------------------------------

void KafkaSource::Private::onError(rd_kafka_t* rk, int err, const char* reason, void* opaque)
{
    auto* self = static_cast<Private*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[512];
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        self->fatalReason = QString::fromUtf8(buf);
        self->fatal = true;
        return;
    }
    qCDebug(LOG_KAFKA) << "client error:" << rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)) << reason;
    self->q->setStatus(SourceState::Retrying, fromKafka(reason));
}

void KafkaSource::Private::onLog(const rd_kafka_t*, int level, const char* fac, const char* buf)
{
    // librdkafka's own lines (connection attempts in an outage are many): debug output only;
    // what matters reaches the status through onError.
    if (level <= 3)
        qCDebug(LOG_KAFKA) << fac << buf;
}

void KafkaSource::Private::onRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                       rd_kafka_topic_partition_list_t* partitions, void* opaque)
{
    auto* self = static_cast<Private*>(opaque);
    const bool cooperative = QByteArrayView(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE";
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        QString reason;
        if (!self->applyStartPositions(partitions, true, &reason))
            qCWarning(LOG_KAFKA).noquote() << reason;
        {
            // A partition started at an offset counts as handed over up to there: if it is
            // revoked before anything was read from it, that offset is committed, and its next
            // owner (this member again, too) goes on from it instead of the reset position.
            std::lock_guard lock(self->q->m_readyMutex);
            for (int i = 0; i < partitions->cnt; ++i) {
                const rd_kafka_topic_partition_t& p = partitions->elems[i];
                if (p.offset < 0)
                    continue;
                auto [it, inserted] = self->q->m_handedOffsets.try_emplace({ QByteArray(p.topic), p.partition }, p.offset);
                if (!inserted)
                    it->second = std::max<qint64>(it->second, p.offset);
            }
        }
        if (cooperative)
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, partitions));
        else
            rd_kafka_assign(rk, partitions);
        self->q->setStatus(SourceState::Live);
    } else {
        self->revoke(partitions);
        if (cooperative)
            rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, partitions));
        else
            rd_kafka_assign(rk, nullptr);
    }
    rd_kafka_topic_partition_list_t* now = nullptr;
    if (!rd_kafka_assignment(rk, &now) && now) {
        self->q->m_assignedCount = now->cnt;
        rd_kafka_topic_partition_list_destroy(now);
    }
}

// Group, poll thread (the rebalance callback): `partitions` go to another member, which starts
// at what this one commits now. Their events that were read but not handed over are dropped
// (the next owner reads them: handing them over later as well would record them twice); the
// batch being handed over is waited for (m_deliverMutex), what was handed over is stored
// (drain) and committed, and the revoked partitions are forgotten, so that a later assignment
// of one of them starts from its committed offset, never from a stale handed one.
void KafkaSource::Private::revoke(const rd_kafka_topic_partition_list_t* partitions)
{
    q->m_revokes.fetch_add(1, std::memory_order_relaxed);
    std::set<std::pair<QByteArray, qint32>> revoked;
    for (int i = 0; i < partitions->cnt; ++i)
        revoked.emplace(QByteArray(partitions->elems[i].topic), partitions->elems[i].partition);
    auto isRevoked = [&](const Event& e) { return revoked.count({ e.channel, e.partition }) > 0; };
    {
        std::lock_guard lock(q->m_readyMutex);
        q->m_revoking = true; // the hand-over thread takes no other batch (a mutex is not fair)
    }
    {
        std::lock_guard deliverLock(q->m_deliverMutex);
        if (pending)
            pending->removeIf(isRevoked);
        {
            std::lock_guard lock(q->m_readyMutex);
            for (EventBatch& b : q->m_ready)
                b.removeIf(isRevoked);
            std::erase_if(q->m_ready, [](const EventBatch& b) { return b.isEmpty(); });
        }
        if (q->drain()) // else not all of it was stored (the recording failed): nothing is acknowledged
            commit(false);
        std::lock_guard lock(q->m_readyMutex);
        for (const auto& key : revoked)
            q->m_handedOffsets.erase(key);
        q->m_revoking = false;
    }
    q->m_readyChanged.notify_all();
}

// --- assignment -------------------------------------------------------------------------------

bool KafkaSource::Private::matches(const QString& topic) const
{
    for (const QString& t : std::as_const(q->m_options.topics)) {
        if (t.startsWith(u'^') ? QRegularExpression(t).match(topic).hasMatch() : t == topic)
            return true;
    }
    return false;
}

// The start position of the partitions in `list` (those not seen before, with `onlyNew`), as
// offsets asked for now: what is produced once they are assigned is read, whatever the timing
// (librdkafka would resolve a logical END only after assign() returned, while the status
// already says live). Beginning stays logical: nothing is missed by resolving it later.
// A start time that could not be looked up never becomes the end (what was written since that
// time would be skipped unseen): assign-only returns false with *reason set, and the start is
// tried again; a group's partition goes on from its committed offset, else its beginning, and
// *reason says so (returns false too, the list still usable).
bool KafkaSource::Private::applyStartPositions(rd_kafka_topic_partition_list_t* list, bool onlyNew, QString* reason)
{
    const StartAt at = q->m_options.startAt;
    if (at == StartAt::Stored)
        return true;
    PartitionList timed(rd_kafka_topic_partition_list_new(list->cnt));
    PartitionList ends(rd_kafka_topic_partition_list_new(list->cnt));
    for (int i = 0; i < list->cnt; ++i) {
        rd_kafka_topic_partition_t& p = list->elems[i];
        const auto key = std::make_pair(QByteArray(p.topic), p.partition);
        const bool isNew = seenPartitions.insert(key).second;
        if (onlyNew && !isNew)
            continue; // re-assigned after a rebalance: the committed offset is right
        if (onlyNew && startKnown && !startPartitions.count(key))
            continue; // created after the start: its committed offset, else its beginning (reset)
        if (at == StartAt::Beginning) {
            p.offset = RD_KAFKA_OFFSET_BEGINNING;
        } else if (at == StartAt::End) {
            p.offset = RD_KAFKA_OFFSET_END;
            rd_kafka_topic_partition_list_add(ends.get(), p.topic, p.partition)->offset = RD_KAFKA_OFFSET_END;
        } else {
            rd_kafka_topic_partition_list_add(timed.get(), p.topic, p.partition)->offset
                = q->m_options.startTime / 1000;
        }
    }
    QStringList failed;
    if (timed->cnt > 0) {
        const rd_kafka_resp_err_t err
            = rd_kafka_offsets_for_times(rk, timed.get(), q->m_options.metadataTimeoutMs);
        for (int i = 0; i < timed->cnt; ++i) {
            const rd_kafka_topic_partition_t& t = timed->elems[i];
            rd_kafka_topic_partition_t* p = rd_kafka_topic_partition_list_find(list, t.topic, t.partition);
            if (err || t.err) {
                failed.append(QStringLiteral("%1[%2]: %3")
                                  .arg(QString::fromUtf8(t.topic))
                                  .arg(t.partition)
                                  .arg(fromKafka(rd_kafka_err2str(err ? err : t.err))));
                p->offset = RD_KAFKA_OFFSET_INVALID; // a group: committed, else auto.offset.reset
                continue;
            }
            // -1: no message at or after that time (yet): start at the end offset
            p->offset = t.offset < 0 ? RD_KAFKA_OFFSET_END : t.offset;
            if (p->offset == RD_KAFKA_OFFSET_END)
                rd_kafka_topic_partition_list_add(ends.get(), t.topic, t.partition)->offset = RD_KAFKA_OFFSET_END;
        }
    }
    if (!failed.isEmpty()) {
        *reason = QStringLiteral("cannot find where %1 starts in %2")
                      .arg(TimeFormat::toRfc3339String(q->m_options.startTime), failed.join(QStringLiteral("; ")));
        if (!onlyNew) {
            *reason += QStringLiteral(" (tried again)");
            return false; // assign-only: nothing is assigned, the start is tried again
        }
        *reason += QStringLiteral(" - reading from the group's committed offset, else the beginning");
    }
    // ListOffsets for the latest offset (timestamp -1), one request per leader for them all.
    if (ends->cnt == 0)
        return failed.isEmpty();
    const rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, ends.get(), q->m_options.metadataTimeoutMs);
    for (int i = 0; i < ends->cnt; ++i) {
        const rd_kafka_topic_partition_t& e = ends->elems[i];
        if (!err && !e.err && e.offset >= 0)
            rd_kafka_topic_partition_list_find(list, e.topic, e.partition)->offset = e.offset;
        else // keeps the logical end, which librdkafka resolves once assigned
            qCWarning(LOG_KAFKA) << "end offset of" << e.topic << e.partition << ":"
                                 << rd_kafka_err2str(err ? err : e.err) << "- librdkafka resolves it later";
    }
    return failed.isEmpty();
}

// Assign-only: reads the metadata and assigns the matching partitions that are not assigned yet,
// each topic as soon as it exists. Those in the first metadata read (what exists at the start)
// start at the start position; everything that appears later (a topic created, a partition
// added) arrived after the start, so it is read from its beginning and nothing written to it is
// missed. Fills `missing`. Returns false with *reason set when the metadata could not be read or
// the partitions not assigned.
bool KafkaSource::Private::assignFromMetadata(int timeoutMs, QString* reason)
{
    const bool patterns = std::any_of(q->m_options.topics.cbegin(), q->m_options.topics.cend(),
                                      [](const QString& t) { return t.startsWith(u'^'); });
    // Named topics that are all assigned: the topics this client knows are enough to see them
    // grow. A pattern, or a topic not found yet, needs every topic (asking for an unknown topic
    // by name could create it on a broker that creates topics automatically).
    const bool all = !metadataRead || patterns || !missing.isEmpty();
    const rd_kafka_metadata_t* md = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, all ? 1 : 0, nullptr, &md, timeoutMs);
    if (err) {
        *reason = QStringLiteral("metadata: %1").arg(fromKafka(rd_kafka_err2str(err)));
        return false;
    }
    PartitionList fresh(rd_kafka_topic_partition_list_new(16));
    QSet<QString> found;
    for (int i = 0; i < md->topic_cnt; ++i) {
        const rd_kafka_metadata_topic_t& t = md->topics[i];
        const QString name = QString::fromUtf8(t.topic);
        if (t.err || !matches(name))
            continue;
        found.insert(name);
        for (int p = 0; p < t.partition_cnt; ++p)
            if (!assigned.count({ QByteArray(t.topic), t.partitions[p].id }))
                rd_kafka_topic_partition_list_add(fresh.get(), t.topic, t.partitions[p].id)->offset
                    = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_metadata_destroy(md);
    if (all) {
        missing.clear();
        for (const QString& t : std::as_const(q->m_options.topics)) {
            const bool present = t.startsWith(u'^')
                ? std::any_of(found.cbegin(), found.cend(),
                              [&](const QString& f) { return QRegularExpression(t).match(f).hasMatch(); })
                : found.contains(t);
            if (!present)
                missing.append(t);
        }
    }
    const bool atStart = !metadataRead;
    if (fresh->cnt > 0) {
        if (atStart && !applyStartPositions(fresh.get(), false, reason))
            return false; // the start is tried again
        // Incremental: the partitions already assigned keep their positions.
        if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk, fresh.get())) {
            *reason = QStringLiteral("assign: %1").arg(fromKafka(rd_kafka_error_string(e)));
            rd_kafka_error_destroy(e);
            return false; // the start, if it was, is tried again
        }
        for (int i = 0; i < fresh->cnt; ++i) {
            assigned.emplace(QByteArray(fresh->elems[i].topic), fresh->elems[i].partition);
            qCDebug(LOG_KAFKA) << "assigned" << fresh->elems[i].topic << fresh->elems[i].partition << "at"
                               << fresh->elems[i].offset;
        }
        q->m_assignedCount = int(assigned.size());
    }
    metadataRead = true;
    return true;
}

// Group: the partitions of the matching topics that exist at the start. Only they start at the
// start position when first assigned; a partition created later is read from its committed
// offset, else (auto.offset.reset=earliest) from its beginning, so that --from end or a time
// does not skip what was written to it before this member got it. Unknown (every first
// assignment starts at the start position) when the cluster cannot be read now.
void KafkaSource::Private::readStartPartitions()
{
    const rd_kafka_metadata_t* md = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &md, q->m_options.metadataTimeoutMs);
    if (err) {
        qCWarning(LOG_KAFKA) << "metadata at the start:" << rd_kafka_err2str(err)
                             << "- partitions created later start at the start position too";
        return;
    }
    for (int i = 0; i < md->topic_cnt; ++i) {
        const rd_kafka_metadata_topic_t& t = md->topics[i];
        if (t.err || !matches(QString::fromUtf8(t.topic)))
            continue;
        for (int p = 0; p < t.partition_cnt; ++p)
            startPartitions.emplace(QByteArray(t.topic), t.partitions[p].id);
    }
    rd_kafka_metadata_destroy(md);
    startKnown = true;
}

namespace {
// What the status says about the topics not found yet (empty: none).
QString missingText(const QStringList& missing, bool nothingAssigned)
{
    QStringList parts;
    for (const QString& t : missing)
        parts.append(t.startsWith(u'^') ? QStringLiteral("no topic matches %1").arg(t)
                                        : QStringLiteral("topic %1 not found").arg(t));
    QString text = parts.join(QStringLiteral("; "));
    if (!text.isEmpty() && !nothingAssigned)
        text += QStringLiteral(" (read from its beginning once it exists)");
    return text;
}
} // namespace

// --- reading ----------------------------------------------------------------------------------

// Assign-only, auto.offset.reset=error: the partition's position is not on the broker, and
// librdkafka stopped fetching it (its fetch state is NONE, where even a seek is refused, so it is
// assigned again). Usually retention deleted offsets [position, low watermark) before they were
// read: they are counted and named, and reading goes on at the low watermark. Returns what the
// status says about it.
QString KafkaSource::Private::restartAfterReset(const rd_kafka_message_t* msg)
{
    const QByteArray topic = msg->rkt ? QByteArray(rd_kafka_topic_name(msg->rkt)) : QByteArray();
    const QString where = QStringLiteral("%1[%2]").arg(QString::fromUtf8(topic)).arg(msg->partition);
    if (topic.isEmpty() || !q->m_options.group.isEmpty()) // a group resets by itself (earliest)
        return QStringLiteral("%1: %2").arg(where, fromKafka(rd_kafka_message_errstr(msg)));
    int64_t low = -1, high = -1;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, topic.constData(), msg->partition, &low,
                                                                     &high, q->m_options.metadataTimeoutMs);
    PartitionList list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic.constData(), msg->partition)->offset
        = err ? RD_KAFKA_OFFSET_BEGINNING : low;
    rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, list.get());
    if (!e)
        e = rd_kafka_incremental_assign(rk, list.get());
    if (!e && paused) // taken while the others wait for the engine: this one waits too
        rd_kafka_pause_partitions(rk, list.get());
    if (e) {
        const QString why = QStringLiteral("%1: %2; reading it again failed: %3")
                                .arg(where, fromKafka(rd_kafka_message_errstr(msg)), fromKafka(rd_kafka_error_string(e)));
        rd_kafka_error_destroy(e);
        return why;
    }
    const qint64 from = msg->offset;
    QString text;
    if (err) {
        text = QStringLiteral("%1: offset %2 is no longer on the broker; reading from its earliest offset (%3)")
                   .arg(where)
                   .arg(from)
                   .arg(fromKafka(rd_kafka_err2str(err)));
    } else if (from >= 0 && from < low) {
        text = QStringLiteral("%1 offsets %2..%3 were deleted before they were read").arg(where).arg(from).arg(low - 1);
        q->m_deletedBeforeRead.fetch_add(low - from, std::memory_order_relaxed);
    } else if (from >= 0) {
        // past the end: the partition was emptied or the topic recreated; what is there is new
        text = QStringLiteral("%1: offset %2 is past the end (%3); reading again from offset %4")
                   .arg(where)
                   .arg(from)
                   .arg(high)
                   .arg(low);
    } else {
        text = QStringLiteral("%1: no position; reading from offset %2").arg(where).arg(low);
    }
    qCWarning(LOG_KAFKA).noquote() << text;
    std::lock_guard lock(q->m_gapsMutex);
    if (q->m_gaps.size() < MaxGaps)
        q->m_gaps.append(text);
    return text;
}

Event KafkaSource::Private::toEvent(const rd_kafka_message_t* msg)
{
    KafkaRecord r;
    auto it = topicNames.find(msg->rkt);
    if (it == topicNames.end())
        it = topicNames.emplace(msg->rkt, QByteArray(rd_kafka_topic_name(msg->rkt))).first;
    r.topic = it->second;
    r.partition = msg->partition;
    r.offset = msg->offset;
    qint64 bytes = qint64(msg->len) + qint64(msg->key_len);
    if (msg->key)
        r.key = QByteArray(static_cast<const char*>(msg->key), qsizetype(msg->key_len));
    rd_kafka_timestamp_type_t tsType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    const int64_t ts = rd_kafka_message_timestamp(msg, &tsType);
    if (tsType != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && ts >= 0)
        r.brokerTime = TimeFormat::fromMillis(ts);
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(msg, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR && headers) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
            Header h;
            h.name = QByteArray(name);
            if (value)
                h.value = QByteArray(static_cast<const char*>(value), qsizetype(size));
            else
                h.isNull = true;
            bytes += h.name.size() + h.value.size();
            r.headers.append(std::move(h));
        }
    }
    if (msg->payload)
        r.value = QByteArray(static_cast<const char*>(msg->payload), qsizetype(msg->len));
    q->m_counters.bytes.fetch_add(bytes, std::memory_order_relaxed);
    Event e = parser.parseKafkaRecord(std::move(r));
    e.ingestTime = ingestTime;
    // Where a bad record is, as file sources say file:line: (kcat -t T -p P -o O -c 1 fetches it)
    if (!e.error().isEmpty())
        e.setError(it->second + '[' + QByteArray::number(msg->partition) + "]@" + QByteArray::number(msg->offset)
                   + ": " + e.error());
    return e;
}

void KafkaSource::Private::commit(bool async)
{
    if (q->m_options.group.isEmpty())
        return; // assign-only commits nothing
    PartitionList list(rd_kafka_topic_partition_list_new(16));
    {
        std::lock_guard lock(q->m_readyMutex);
        for (const auto& [key, next] : q->m_handedOffsets)
            rd_kafka_topic_partition_list_add(list.get(), key.first.constData(), key.second)->offset = next;
    }
    if (list->cnt == 0)
        return;
    const rd_kafka_resp_err_t err = rd_kafka_commit(rk, list.get(), async ? 1 : 0);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        qCWarning(LOG_KAFKA) << "commit:" << rd_kafka_err2str(err);
}

void KafkaSource::pollLoop()
{
    setCurrentThreadName("fs-kafka-poll");
    const bool group = !m_options.group.isEmpty();
    rd_kafka_t* rk = d->rk;
    // Assign-only: the partitions come from the metadata, each topic as soon as it exists. Live
    // once something is assigned at offsets (what is produced from then on is read); the reason
    // names the topics not found yet, which are looked for every second.
    bool live = false, wasLive = false;
    QString note;
    auto refresh = [&](int timeoutMs) {
        QString reason;
        const bool read = d->assignFromMetadata(timeoutMs, &reason);
        if (m_assignedCount == 0) {
            setStatus(SourceState::Retrying, read ? missingText(d->missing, true) : reason);
            live = false;
            return;
        }
        if (!read) {
            qCDebug(LOG_KAFKA) << "metadata refresh:" << reason; // tried again next time
            return;
        }
        const QString text = missingText(d->missing, false);
        if (!wasLive || (live && text != note)) {
            setStatus(SourceState::Live, text);
            live = wasLive = true;
        }
        note = text;
    };
    if (group && m_options.startAt != StartAt::Stored)
        d->readStartPartitions(); // before the first poll, which serves the first assignment
    if (!group) {
        while (!m_stopRequested && !d->fatal && m_assignedCount == 0) {
            refresh(m_options.metadataTimeoutMs);
            for (int i = 0; i < 10 && !m_stopRequested && m_assignedCount == 0; ++i)
                rd_kafka_poll(rk, 100);
        }
    }

    EventBatch batch;
    batch.reserve(m_options.batchSize);
    d->pending = &batch;
    QElapsedTimer sinceFlush, sinceRefresh;
    sinceFlush.start();
    sinceRefresh.start();

    auto takeMessage = [&](rd_kafka_message_t* msg) {
        if (msg->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) {
            // still live: the other partitions go on, and this one at once from its earliest offset
            setStatus(SourceState::Live, d->restartAfterReset(msg));
            live = true;
        } else if (msg->err) {
            if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                setStatus(SourceState::Retrying, fromKafka(rd_kafka_message_errstr(msg)));
                live = false;
            }
        } else {
            m_counters.received.fetch_add(1, std::memory_order_relaxed);
            batch.append(d->toEvent(msg));
            if (!live) {
                setStatus(SourceState::Live);
                live = true;
            }
        }
        rd_kafka_message_destroy(msg);
    };
    // Hands `batch` to the hand-over thread; while two batches wait there, pauses the partitions
    // (and keeps serving librdkafka, so that a group member stays in its group).
    auto queueBatch = [&]() {
        std::unique_lock lock(m_readyMutex);
        if (m_ready.size() >= MaxReadyBatches && !m_handOverDone && !m_stopRequested) {
            rd_kafka_topic_partition_list_t* paused = nullptr;
            if (rd_kafka_assignment(rk, &paused) == RD_KAFKA_RESP_ERR_NO_ERROR && paused) {
                rd_kafka_pause_partitions(rk, paused);
                m_pauses.fetch_add(1, std::memory_order_relaxed);
                d->paused = true;
            }
            while (m_ready.size() >= MaxReadyBatches && !m_handOverDone && !m_stopRequested) {
                lock.unlock();
                // Only messages of partitions assigned since the pause can come here: keep them.
                if (rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk, 0)) {
                    d->ingestTime = TimeFormat::nowMicros();
                    takeMessage(msg);
                }
                lock.lock();
                m_readyChanged.wait_for(lock, std::chrono::milliseconds(20));
            }
            if (paused) {
                lock.unlock();
                d->paused = false;
                rd_kafka_resume_partitions(rk, paused);
                rd_kafka_topic_partition_list_destroy(paused);
                lock.lock();
            }
        }
        if (!batch.isEmpty() && !m_handOverDone)
            m_ready.push_back(std::move(batch));
        batch = EventBatch();
        batch.reserve(m_options.batchSize);
        m_readyChanged.notify_all();
        sinceFlush.restart();
    };

    // Messages that are there already are taken without looking at a clock or a lock: reading
    // the clocks per message was the poll thread's largest cost (~11 % at 300 k messages/s). The
    // clocks, the ingest time and the hand-over's end are looked at after every wait and every
    // ClockEvery messages (~0.1 ms of a burst, finer than the ingest time's milliseconds).
    constexpr int ClockEvery = 64;
    int sinceClock = ClockEvery;
    while (!m_stopRequested && !d->fatal) {
        rd_kafka_message_t* msg = sinceClock < ClockEvery ? rd_kafka_consumer_poll(rk, 0) : nullptr;
        if (!msg || ++sinceClock >= ClockEvery) {
            sinceClock = 0;
            if (msg) // taken now, before a flush below may wait for room
                d->ingestTime = TimeFormat::nowMicros();
            {
                std::lock_guard lock(m_readyMutex);
                if (m_handOverDone) {
                    if (msg)
                        rd_kafka_message_destroy(msg); // past the end: not handed over
                    break;
                }
            }
            // Topics not found yet are looked for every second, whatever metadataRefreshMs says.
            const int refreshMs = d->missing.isEmpty() ? m_options.metadataRefreshMs : 1000;
            if (!group && refreshMs > 0 && sinceRefresh.elapsed() >= refreshMs) {
                refresh(std::min(1000, m_options.metadataTimeoutMs));
                sinceRefresh.restart();
            }
            if (!batch.isEmpty() && sinceFlush.elapsed() >= m_options.flushIntervalMs)
                queueBatch();
            if (!msg) {
                const int wait = batch.isEmpty() ? 100 : std::max(0, m_options.flushIntervalMs - int(sinceFlush.elapsed()));
                msg = rd_kafka_consumer_poll(rk, wait);
                d->ingestTime = TimeFormat::nowMicros();
            }
        }
        if (msg)
            takeMessage(msg);
        if (batch.size() >= m_options.batchSize)
            queueBatch();
    }
    if (!batch.isEmpty())
        queueBatch(); // does not wait: m_stopRequested or m_handOverDone is set, or room was made
    {
        std::lock_guard lock(m_readyMutex);
        m_pollDone = true;
    }
    m_readyChanged.notify_all();
    // No more fetching while what was read is handed over and committed.
    rd_kafka_topic_partition_list_t* assigned = nullptr;
    if (rd_kafka_assignment(rk, &assigned) == RD_KAFKA_RESP_ERR_NO_ERROR && assigned) {
        rd_kafka_pause_partitions(rk, assigned);
        rd_kafka_topic_partition_list_destroy(assigned);
    }
    m_handOverThread.join();
    if (group)
        rd_kafka_consumer_close(rk); // leaves the group; the revoke callback commits once more
    d->pending = nullptr;
    rd_kafka_destroy(rk);
    d->rk = nullptr;
    m_assignedCount = 0;
    if (!m_stopRequested)
        markFinished();
    setStatus(SourceState::Stopped, d->fatal ? d->fatalReason : QString());
}

void KafkaSource::handOverLoop()
{
    setCurrentThreadName("fs-kafka-hand");
    const bool group = !m_options.group.isEmpty();
    QElapsedTimer sinceCommit;
    sinceCommit.start();
    for (;;) {
        {
            std::unique_lock lock(m_readyMutex);
            m_readyChanged.wait(lock, [this] { return (!m_ready.empty() && !m_revoking) || m_pollDone; });
            if (m_ready.empty())
                break; // m_pollDone and nothing left
        }
        // Held from taking a batch to recording its offsets: a revoke (Private::revoke) waits
        // for the batch in hand and takes the revoked partitions' events out of those waiting.
        std::unique_lock deliverLock(m_deliverMutex);
        EventBatch batch;
        {
            std::lock_guard lock(m_readyMutex);
            if (m_ready.empty() || m_revoking)
                continue; // a revoke takes them out first
            batch = std::move(m_ready.front());
            m_ready.pop_front();
        }
        m_readyChanged.notify_all(); // room for the poll thread
        const qint64 before = m_counters.handedOver.load();
        const bool more = deliver(batch);
        const bool handed = m_counters.handedOver.load() > before;
        if (group && handed) {
            std::lock_guard lock(m_readyMutex);
            for (const Event& e : std::as_const(batch)) {
                qint64& next = m_handedOffsets[{ e.channel, e.partition }];
                next = std::max(next, e.offset + 1); // never back
            }
        }
        if (group && sinceCommit.elapsed() >= m_options.commitIntervalMs) {
            if (drain()) // everything handed over is stored: now it may be acknowledged
                d->commit(true);
            sinceCommit.restart();
        }
        if (!more) {
            std::lock_guard lock(m_readyMutex);
            m_handOverDone = true;
            m_ready.clear(); // read but not handed over: not committed either, so not lost to a group
            break;
        }
    }
    m_readyChanged.notify_all();
    if (group && drain())
        d->commit(false);
}

} // namespace FlowScope::Connectors
