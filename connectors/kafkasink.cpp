// SPDX-License-Identifier: MIT
#include "kafkasink.h"

#include "kafkaconf.h"

#include "kafkasource.h"

#include <cloudeventwriter.h>
#include <timeformat.h>

#include <QElapsedTimer>
#include <QLoggingCategory>

#include <librdkafka/rdkafka.h>

#include <algorithm>

namespace {
Q_LOGGING_CATEGORY(LOG_KAFKA_SINK, "flowscope.kafka.sink", QtInfoMsg)
}

namespace FlowScope::Connectors {

namespace {
// How errors name a message: by the seq of the event it came from (its per-message opaque).
QString eventName(qint64 seq) { return seq > 0 ? QStringLiteral("event %1").arg(seq) : QStringLiteral("an event"); }
} // namespace

struct KafkaSink::Private {
    KafkaSink* q = nullptr;
    rd_kafka_t* rk = nullptr;
    mutable std::mutex mutex; // firstError, perTopic, clusterError, purgeReason
    QString firstError;
    QHash<QByteArray, qint64> perTopic;
    // The client's last error about the cluster (error_cb: "127.0.0.1:1/bootstrap: Connect to
    // ipv4#127.0.0.1:1 failed: Connection refused ..."): why messages time out or are purged,
    // which their delivery reports alone do not say.
    QString clusterError;
    QString purgeReason; // set by stop() before it purges: why those messages go undelivered

    void fail(const QString& reason)
    {
        q->m_counters.deliveryErrors.fetch_add(1, std::memory_order_relaxed);
        std::lock_guard lock(mutex);
        if (firstError.isEmpty())
            firstError = reason;
    }

    static void onDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque)
    {
        auto* self = static_cast<Private*>(opaque);
        if (msg->err) {
            QString why = QString::fromUtf8(rd_kafka_err2str(msg->err));
            const bool purged = msg->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || msg->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT;
            const bool unreached = purged || msg->err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT
                || msg->err == RD_KAFKA_RESP_ERR__TIMED_OUT || msg->err == RD_KAFKA_RESP_ERR__TRANSPORT;
            {
                std::lock_guard lock(self->mutex);
                if (purged && !self->purgeReason.isEmpty())
                    why = self->purgeReason;
                if (unreached && !self->clusterError.isEmpty())
                    why += QStringLiteral("; the client's last error about the cluster: ") + self->clusterError;
            }
            self->fail(QStringLiteral("%1 to %2: %3")
                           .arg(eventName(qint64(reinterpret_cast<intptr_t>(msg->_private))),
                                QString::fromUtf8(rd_kafka_topic_name(msg->rkt)), why));
            return;
        }
        self->q->m_counters.delivered.fetch_add(1, std::memory_order_relaxed);
        std::lock_guard lock(self->mutex);
        ++self->perTopic[QByteArray(rd_kafka_topic_name(msg->rkt))];
    }

    static void onError(rd_kafka_t*, int err, const char* reason, void* opaque)
    {
        auto* self = static_cast<Private*>(opaque);
        std::lock_guard lock(self->mutex);
        // "1/1 brokers are down" says less than the connection error that came before it
        if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && !self->clusterError.isEmpty())
            return;
        self->clusterError = QString::fromUtf8(reason);
    }

    static void onLog(const rd_kafka_t*, int level, const char* fac, const char* buf)
    {
        if (level <= 3)
            qCDebug(LOG_KAFKA_SINK) << fac << buf;
    }
};

KafkaSink::KafkaSink(Options options)
    : m_options(std::move(options))
    , d(std::make_unique<Private>())
{
    d->q = this;
}

KafkaSink::~KafkaSink() { stop(0); }

QString KafkaSink::describe() const
{
    QString text = QStringLiteral("kafka %1").arg(m_options.bootstrapServers);
    QStringList map;
    for (auto it = m_options.topicMap.cbegin(); it != m_options.topicMap.cend(); ++it)
        map.append(QString::fromUtf8(it.key()) + u'=' + QString::fromUtf8(it.value()));
    map.sort();
    if (!map.isEmpty())
        text += QStringLiteral(" topic-map ") + map.join(u',');
    for (const auto& [key, value] : m_options.properties)
        text += u' ' + QString::fromUtf8(key) + u'='
            + (KafkaSource::isSecret(key) ? QStringLiteral("***") : QString::fromUtf8(value));
    return text;
}

QString KafkaSink::firstError() const
{
    std::lock_guard lock(d->mutex);
    return d->firstError;
}

QHash<QByteArray, qint64> KafkaSink::deliveredPerTopic() const
{
    std::lock_guard lock(d->mutex);
    return d->perTopic;
}

bool KafkaSink::start(QString* error)
{
    if (d->rk) {
        *error = QStringLiteral("already started");
        return false;
    }
    if (m_options.bootstrapServers.isEmpty()) {
        *error = QStringLiteral("bootstrap servers are needed");
        return false;
    }
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    auto set = [&](const QByteArray& key, const QByteArray& value) {
        return setKafkaProperty(conf, key, value, &m_skipped, error);
    };
    // Defaults first, the user's properties after them (they win). murmur2_random: the Java
    // client's partitioner, so a key lands where the users' own producers put it; idempotence:
    // retries neither reorder nor double a partition's messages.
    const QList<QPair<QByteArray, QByteArray>> defaults {
        { "client.id", "flowscope-replay" },
        { "bootstrap.servers", m_options.bootstrapServers.toUtf8() },
        { "partitioner", "murmur2_random" },
        { "enable.idempotence", "true" },
        { "linger.ms", "5" },
        { "queue.buffering.max.messages", "200000" },
    };
    bool ok = true;
    for (const auto& [k, v] : defaults)
        ok = ok && set(k, v);
    for (const auto& [k, v] : std::as_const(m_options.properties)) {
        // Consumer-only settings in a shared properties file: librdkafka would warn on every start.
        if (k == "group.id" || k == "auto.offset.reset" || k.startsWith("enable.auto.")) {
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
    rd_kafka_conf_set_dr_msg_cb(conf, &Private::onDelivery);
    rd_kafka_conf_set_log_cb(conf, &Private::onLog);
    rd_kafka_conf_set_error_cb(conf, &Private::onError);
    d->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!d->rk) {
        rd_kafka_conf_destroy(conf);
        *error = QString::fromUtf8(errstr);
        return false;
    }
    return true;
}

QByteArray KafkaSink::topicFor(const QByteArray& channel) const
{
    auto it = m_options.topicMap.constFind(channel);
    if (it != m_options.topicMap.cend())
        return it.value();
    it = m_options.topicMap.constFind(QByteArrayLiteral("*"));
    if (it != m_options.topicMap.cend())
        return it.value();
    return channel;
}

KafkaSink::Message KafkaSink::messageFor(const Event& e) const
{
    Message m;
    m.topic = topicFor(e.channel);
    m.key = e.key;
    m.headers = e.headers();
    auto hasHeader = [&](QByteArrayView name) {
        return std::any_of(m.headers.cbegin(), m.headers.cend(), [&](const Header& h) { return h.name == name; });
    };
    if (e.format == EventFormat::Binary) {
        m.value = e.payload;
        if (!e.isUnparsed() && !hasHeader("ce_specversion")) {
            // recorded without its headers (an older file, a hand-made event): write them
            auto add = [&](const char* name, const QByteArray& value) {
                if (!value.isNull())
                    m.headers.append(Header { QByteArray(name), value, false });
            };
            add("ce_specversion", e.specVersion.isNull() ? QByteArrayLiteral("1.0") : e.specVersion);
            add("ce_id", e.id);
            add("ce_source", e.source);
            add("ce_type", e.type);
            add("ce_subject", e.subject());
            if (e.hasTime())
                add("ce_time", TimeFormat::toRfc3339(e.time));
            add("ce_dataschema", e.dataSchema());
            add("ce_correlationid", e.correlationId);
            add("ce_causationid", e.causationId);
            add("ce_traceparent", e.traceParent());
            if (!hasHeader("content-type"))
                add("content-type", e.dataContentType);
        }
    } else if (e.format == EventFormat::Structured && !e.isUnparsed()) {
        m.value = CloudEventWriter::toStructuredJson(e);
        if (!hasHeader("content-type"))
            m.headers.append(
                Header { QByteArrayLiteral("content-type"), QByteArrayLiteral("application/cloudevents+json"), false });
    } else {
        m.value = e.payload; // plain JSON, opaque, unparsed: the bytes as they came
    }
    return m;
}

bool KafkaSink::send(const Event& event)
{
    if (!d->rk) {
        d->fail(QStringLiteral("the sink is not started"));
        return false;
    }
    const Message m = messageFor(event);
    if (m.topic.isEmpty()) {
        d->fail(eventName(event.seq) + QStringLiteral(" has no channel, and there is no --topic-map '*=TOPIC'"));
        return false;
    }
    rd_kafka_vu_t vu[6];
    int n = 0;
    vu[n].vtype = RD_KAFKA_VTYPE_TOPIC;
    vu[n++].u.cstr = m.topic.constData();
    if (!m.key.isNull()) {
        vu[n].vtype = RD_KAFKA_VTYPE_KEY;
        vu[n].u.mem.ptr = const_cast<char*>(m.key.constData());
        vu[n++].u.mem.size = size_t(m.key.size());
    }
    vu[n].vtype = RD_KAFKA_VTYPE_VALUE;
    vu[n].u.mem.ptr = m.value.isNull() ? nullptr : const_cast<char*>(m.value.constData());
    vu[n++].u.mem.size = size_t(m.value.size());
    vu[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vu[n++].u.i = RD_KAFKA_MSG_F_COPY;
    vu[n].vtype = RD_KAFKA_VTYPE_OPAQUE; // its delivery report names the event
    vu[n++].u.ptr = reinterpret_cast<void*>(intptr_t(event.seq));
    rd_kafka_headers_t* headers = nullptr;
    if (!m.headers.isEmpty()) {
        headers = rd_kafka_headers_new(size_t(m.headers.size()));
        for (const Header& h : m.headers)
            rd_kafka_header_add(headers, h.name.constData(), h.name.size(), h.isNull ? nullptr : h.value.constData(),
                h.isNull ? 0 : h.value.size());
        vu[n].vtype = RD_KAFKA_VTYPE_HEADERS;
        vu[n++].u.headers = headers;
    }
    for (;;) {
        rd_kafka_error_t* error = rd_kafka_produceva(d->rk, vu, size_t(n));
        if (!error)
            break;
        const rd_kafka_resp_err_t code = rd_kafka_error_code(error);
        const QString text = QString::fromUtf8(rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        if (code == RD_KAFKA_RESP_ERR__QUEUE_FULL && !cancelRequested()) {
            rd_kafka_poll(d->rk, 50); // delivery reports make room
            continue;
        }
        if (headers)
            rd_kafka_headers_destroy(headers); // not taken over on failure
        if (code == RD_KAFKA_RESP_ERR__QUEUE_FULL) // cancelled while waiting for room: not sent
            m_counters.unsent.fetch_add(1, std::memory_order_relaxed);
        else
            d->fail(QStringLiteral("%1 to %2: %3").arg(eventName(event.seq), QString::fromUtf8(m.topic), text));
        return false;
    }
    m_counters.produced.fetch_add(1, std::memory_order_relaxed);
    rd_kafka_poll(d->rk, 0);
    return true;
}

void KafkaSink::poll(int timeoutMs)
{
    if (d->rk)
        rd_kafka_poll(d->rk, timeoutMs);
}

bool KafkaSink::flush(int timeoutMs)
{
    if (!d->rk)
        return true;
    return rd_kafka_flush(d->rk, timeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

bool KafkaSink::stop(int timeoutMs)
{
    if (!d->rk)
        return true;
    // In slices, so that a cancel (Ctrl-C) need not wait out the whole timeout.
    QElapsedTimer waited;
    waited.start();
    bool delivered = false, cancelled = false;
    while (!delivered) {
        const qint64 left = qint64(timeoutMs) - waited.elapsed();
        delivered = rd_kafka_flush(d->rk, int(std::clamp<qint64>(left, 0, 100))) == RD_KAFKA_RESP_ERR_NO_ERROR;
        cancelled = !delivered && cancelRequested();
        if (cancelled || left <= 100)
            break;
    }
    if (!delivered) {
        // Undelivered in time: purge, so that their reports (errors that say why) arrive and
        // destroy does not hang.
        const QString reason = cancelled ? QStringLiteral("interrupted before its delivery report")
                                         : QStringLiteral("no delivery report within %1 s").arg(double(timeoutMs) / 1000.0);
        {
            std::lock_guard lock(d->mutex);
            d->purgeReason = reason;
        }
        qCDebug(LOG_KAFKA_SINK) << rd_kafka_outq_len(d->rk) << "messages outstanding:" << reason;
        rd_kafka_purge(d->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(d->rk, 1000);
    }
    rd_kafka_destroy(d->rk);
    d->rk = nullptr;
    return !cancelled;
}

} // namespace FlowScope::Connectors
