// SPDX-License-Identifier: MIT
#include "kafkamock.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <utility>
#include <vector>

namespace FlowScope::Connectors {

namespace {
// Delivery failures, counted by the producer's delivery-report callback (on its poll thread).
struct Failures {
    std::atomic<qint64> count { 0 };
    std::atomic<int> last { 0 }; // rd_kafka_resp_err_t
};

bool set(rd_kafka_conf_t* conf, const char* key, const char* value, QString* error)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) == RD_KAFKA_CONF_OK)
        return true;
    *error = QString::fromUtf8(errstr);
    return false;
}
} // namespace

KafkaMockCluster::~KafkaMockCluster()
{
    if (m_producer) {
        rd_kafka_flush(m_producer, 10000);
        delete static_cast<Failures*>(rd_kafka_opaque(m_producer));
        rd_kafka_destroy(m_producer);
    }
    if (m_cluster)
        rd_kafka_mock_cluster_destroy(m_cluster);
    if (m_handle)
        rd_kafka_destroy(m_handle);
}

std::unique_ptr<KafkaMockCluster> KafkaMockCluster::start(int brokers, QString* error)
{
    std::unique_ptr<KafkaMockCluster> c(new KafkaMockCluster);
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    if (!set(conf, "log_level", "0", error)) {
        rd_kafka_conf_destroy(conf);
        return nullptr;
    }
    c->m_handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr); // takes conf
    if (!c->m_handle) {
        *error = QString::fromUtf8(errstr);
        return nullptr;
    }
    c->m_cluster = rd_kafka_mock_cluster_new(c->m_handle, brokers);
    if (!c->m_cluster) {
        *error = QStringLiteral("librdkafka could not start its mock cluster");
        return nullptr;
    }
    c->m_bootstrap = rd_kafka_mock_cluster_bootstraps(c->m_cluster);

    conf = rd_kafka_conf_new();
    for (const auto& [k, v] : { std::pair { "bootstrap.servers", c->m_bootstrap.constData() },
                                std::pair { "linger.ms", "5" },
                                std::pair { "queue.buffering.max.messages", "500000" },
                                std::pair { "log_level", "0" } })
        if (!set(conf, k, v, error)) {
            rd_kafka_conf_destroy(conf);
            return nullptr;
        }
    auto* failures = new Failures;
    rd_kafka_conf_set_opaque(conf, failures);
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
        if (m->err) {
            auto* f = static_cast<Failures*>(opaque);
            ++f->count;
            f->last = m->err;
        }
    });
    c->m_producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!c->m_producer) {
        delete failures;
        *error = QString::fromUtf8(errstr);
        return nullptr;
    }
    return c;
}

bool KafkaMockCluster::createTopic(const QByteArray& topic, int partitions, QString* error)
{
    const rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(m_cluster, topic.constData(), partitions, 1);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
        return true;
    *error = QStringLiteral("creating topic %1: %2").arg(QString::fromUtf8(topic), QString::fromUtf8(rd_kafka_err2str(err)));
    return false;
}

bool KafkaMockCluster::setBrokerDown(int broker, bool down, QString* error)
{
    const rd_kafka_resp_err_t err = down ? rd_kafka_mock_broker_set_down(m_cluster, broker)
                                         : rd_kafka_mock_broker_set_up(m_cluster, broker);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
        return true;
    *error = QStringLiteral("broker %1: %2").arg(broker).arg(QString::fromUtf8(rd_kafka_err2str(err)));
    return false;
}

void KafkaMockCluster::failRequests(int apiKey, int count, int kafkaError)
{
    const std::vector<rd_kafka_resp_err_t> errors(static_cast<size_t>(count), static_cast<rd_kafka_resp_err_t>(kafkaError));
    rd_kafka_mock_push_request_errors_array(m_cluster, static_cast<int16_t>(apiKey), errors.size(), errors.data());
}

bool KafkaMockCluster::produce(const QByteArray& topic, const QByteArray& key, const QByteArray& value,
                               const Headers& headers, QString* error, int partition, qint64 timestampMs)
{
    for (int attempt = 0;; ++attempt) {
        rd_kafka_headers_t* h = nullptr;
        if (!headers.isEmpty()) {
            h = rd_kafka_headers_new(size_t(headers.size()));
            for (const auto& [name, v] : headers)
                rd_kafka_header_add(h, name.constData(), name.size(), v.isNull() ? nullptr : v.constData(), v.size());
        }
        rd_kafka_vu_t vu[7];
        vu[0].vtype = RD_KAFKA_VTYPE_TOPIC;
        vu[0].u.cstr = topic.constData();
        vu[1].vtype = RD_KAFKA_VTYPE_PARTITION;
        vu[1].u.i32 = partition;
        vu[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
        vu[2].u.i = RD_KAFKA_MSG_F_COPY;
        vu[3].vtype = RD_KAFKA_VTYPE_KEY;
        vu[3].u.mem.ptr = key.isNull() ? nullptr : const_cast<char*>(key.constData());
        vu[3].u.mem.size = size_t(key.size());
        vu[4].vtype = RD_KAFKA_VTYPE_VALUE;
        vu[4].u.mem.ptr = value.isNull() ? nullptr : const_cast<char*>(value.constData());
        vu[4].u.mem.size = size_t(value.size());
        size_t n = 5;
        if (timestampMs > 0) {
            vu[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
            vu[n].u.i64 = timestampMs;
            ++n;
        }
        if (h) {
            vu[n].vtype = RD_KAFKA_VTYPE_HEADERS;
            vu[n].u.headers = h;
            ++n;
        }
        rd_kafka_error_t* failure = rd_kafka_produceva(m_producer, vu, n);
        const rd_kafka_resp_err_t err = failure ? rd_kafka_error_code(failure) : RD_KAFKA_RESP_ERR_NO_ERROR;
        if (failure)
            rd_kafka_error_destroy(failure);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
            return true; // the headers now belong to the message
        if (h)
            rd_kafka_headers_destroy(h);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || attempt > 1000) {
            *error = QStringLiteral("producing to %1: %2").arg(QString::fromUtf8(topic), QString::fromUtf8(rd_kafka_err2str(err)));
            return false;
        }
        rd_kafka_poll(m_producer, 10); // the queue is full: let deliveries make room
    }
}

bool KafkaMockCluster::flush(int timeoutMs, QString* error)
{
    const rd_kafka_resp_err_t err = rd_kafka_flush(m_producer, timeoutMs);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        *error = QStringLiteral("flushing the producer: %1").arg(QString::fromUtf8(rd_kafka_err2str(err)));
        return false;
    }
    const auto* f = static_cast<const Failures*>(rd_kafka_opaque(m_producer));
    if (f->count > 0) {
        *error = QStringLiteral("%1 records were not delivered (last error: %2)")
                     .arg(f->count.load())
                     .arg(QString::fromUtf8(rd_kafka_err2str(rd_kafka_resp_err_t(f->last.load()))));
        return false;
    }
    return true;
}

rd_kafka_t* KafkaMockCluster::newGroupConsumer(const QByteArray& bootstrap, const QByteArray& group, QString* error)
{
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    for (const auto& [k, v] : { std::pair { "bootstrap.servers", bootstrap.constData() },
                                std::pair { "group.id", group.constData() }, std::pair { "auto.offset.reset", "earliest" },
                                std::pair { "enable.auto.commit", "false" }, std::pair { "log_level", "0" } })
        if (rd_kafka_conf_set(conf, k, v, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
            *error = QString::fromUtf8(errstr);
            rd_kafka_conf_destroy(conf);
            return nullptr;
        }
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) {
        *error = QString::fromUtf8(errstr);
        rd_kafka_conf_destroy(conf);
    }
    return rk;
}

bool KafkaMockCluster::commitOffsets(const QByteArray& group, const QByteArray& topic, const QList<qint64>& offsets,
                                     QString* error)
{
    rd_kafka_t* rk = newGroupConsumer(m_bootstrap, group, error);
    if (!rk)
        return false;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(int(offsets.size()));
    for (int p = 0; p < offsets.size(); ++p)
        if (offsets[p] >= 0)
            rd_kafka_topic_partition_list_add(list, topic.constData(), p)->offset = offsets[p];
    const rd_kafka_resp_err_t err = rd_kafka_commit(rk, list, 0);
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(rk);
    if (err)
        *error = QString::fromUtf8(rd_kafka_err2str(err));
    return !err;
}

} // namespace FlowScope::Connectors
