// SPDX-License-Identifier: MIT
// Replay into Kafka against a real peer on loopback: librdkafka's mock cluster, started here. A
// recording of 20 000 events is made by the test, replayed by KafkaSink and by `flowscope replay`
// (with chaos), and read back with a plain librdkafka consumer.
#include <eventparser.h>
#include <kafkamock.h>
#include <kafkasink.h>
#include <recording.h>
#include <replaychaos.h>

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <librdkafka/rdkafka.h>

#include <csignal>
#include <map>

#include <sys/types.h>

using namespace FlowScope;
using Connectors::ChaosOptions;
using Connectors::KafkaSink;
using Connectors::ReplayChaos;

namespace {

constexpr int N = 20000;
constexpr int Keys = 500;
constexpr int Partitions = 8;
constexpr qint64 T0 = 1714564800000000; // 2024-05-01T12:00:00Z

QByteArray seqOf(const QList<Header>& headers)
{
    for (const Header& h : headers)
        if (h.name == "x-seq")
            return h.value;
    return {};
}

// Event i: structured CloudEvent on "orders" (i % 3 == 0), binary mode on "payments" (1), and on
// "payments" a plain JSON object or (every 10th of those) bytes that are not JSON (2). Keys
// k<i % Keys>, every 1000th without a key; header x-seq = i on all, x-null (null value) on every
// 100th; event time 1 ms apart.
Event makeEvent(EventParser& parser, int i)
{
    KafkaRecord r;
    const QByteArray seq = QByteArray::number(i);
    r.key = i % 1000 == 7 ? QByteArray() : "k" + QByteArray::number(i % Keys);
    r.partition = i % 3;
    r.offset = i;
    r.brokerTime = T0 + i * 1000;
    r.headers.append(Header { "x-seq", seq, false });
    if (i % 100 == 0)
        r.headers.append(Header { "x-null", {}, true });
    const QByteArray time = "2024-05-01T12:00:" + QByteArray::number(i / 1000).rightJustified(2, '0') + "."
        + QByteArray::number(i % 1000).rightJustified(3, '0') + "Z";
    const QByteArray data = R"({"orderId":"o)" + seq + R"(","amount":)" + QByteArray::number(i % 97) + "}";
    if (i % 3 == 0) {
        r.topic = "orders";
        r.value = R"({"specversion":"1.0","id":"e)" + seq + R"(","type":"OrderCreated","source":"/orders","time":")"
            + time + R"(","datacontenttype":"application/json","correlationid":"c)" + seq + R"(","data":)" + data + "}";
    } else if (i % 3 == 1) {
        r.topic = "payments";
        r.headers.append(Header { "ce_specversion", "1.0", false });
        r.headers.append(Header { "ce_id", "e" + seq, false });
        r.headers.append(Header { "ce_type", "PaymentAuthorized", false });
        r.headers.append(Header { "ce_source", "/payment", false });
        r.headers.append(Header { "ce_time", time, false });
        r.headers.append(Header { "content-type", "application/json", false });
        r.value = data;
    } else {
        r.topic = "payments";
        r.value = i % 10 == 2 ? QByteArray("not json #" + seq)
                              : QByteArray(R"({"kind":"plain","n":)" + seq + R"(,"time":")" + time + "\"}");
    }
    Event e = parser.parseKafkaRecord(std::move(r));
    e.ingestTime = T0 + i * 1000;
    return e;
}

// A recording of these Kafka records, parsed as a live recording parses them.
bool writeRecording(const QString& path, QList<KafkaRecord> records, QString* error)
{
    auto writer = RecordingWriter::create(path, error, WriteMode::Bulk);
    if (!writer)
        return false;
    EventParser parser;
    EventBatch batch;
    for (KafkaRecord& r : records)
        batch.append(parser.parseKafkaRecord(std::move(r)));
    return writer->append(batch, error) && writer->finish(error);
}

struct Message {
    QByteArray topic;
    qint32 partition = -1;
    QByteArray key;
    QList<Header> headers;
    QByteArray value;
};

} // namespace

class TestKafkaSink : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void chaosIsSeededAndCounted();
    void chaosSpecParsing();
    void sinkReplaysExactly();
    void replayCommandDuplicates();
    void replayCommandDrops();
    void replayCommandPacedWithDelayAndReorder();
    void replayCommandBadInput();
    void replayCommandInterruptedCountsWhatWasHeld();
    void replayCommandReadErrorStillReports();
    void chaosLeftoverWindowsAreNotDelayed();
    void replayCommandUnreachableBrokerSaysWhy();
    void replayCommandPacesByBrokerTime();
    void replayCommandNamesTheEventThatFailed();

private:
    struct ReplayRun {
        int exitCode = -1;
        QJsonObject report;
        QByteArray errors;
    };
    // Runs `flowscope replay REC` into topics prefix+... with --json, whatever its exit status;
    // with `interruptAfterMs`, sends it SIGINT (Ctrl-C) that long after it started.
    // `bootstrap`: another cluster than the test's (an address nobody listens on).
    ReplayRun runReplayOf(const QString& rec, const QByteArray& prefix, const QStringList& extra, int interruptAfterMs = 0,
                          const QByteArray& bootstrap = {});
    void createTopics(const QByteArray& prefix);
    // Reads every message of prefix+orders and prefix+payments from the beginning until
    // `expected` arrived, in partition order; checks that the topics hold no more than that.
    void readBack(const QByteArray& prefix, qint64 expected, QList<Message>* messages);
    // Runs `flowscope replay` into topics prefix+...; returns its JSON report.
    QJsonObject runReplay(const QByteArray& prefix, const QStringList& extra);
    // Every read-back message is a recorded event as KafkaSink::messageFor makes it; per-key order
    // kept. Returns how often each event was read.
    void checkMessages(const QList<Message>& messages, const QByteArray& prefix, std::map<int, int>* seen);

    std::unique_ptr<Connectors::KafkaMockCluster> m_cluster;
    QByteArray m_bootstrap;
    QTemporaryDir m_dir;
    QString m_recPath;
    QList<Event> m_events; // as recorded (seq assigned), index = x-seq
};

void TestKafkaSink::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QString error;
    m_cluster = Connectors::KafkaMockCluster::start(3, &error);
    QVERIFY2(m_cluster, qPrintable(error));
    m_bootstrap = m_cluster->bootstrap();
    QVERIFY(m_bootstrap.startsWith("127.0.0.1:") || m_bootstrap.startsWith("localhost:"));

    // the recording: RecordingWriter + EventParser, as an import or a live recording makes it
    m_recPath = m_dir.filePath(QStringLiteral("source.fsrec"));
    auto writer = RecordingWriter::create(m_recPath, &error, WriteMode::Bulk);
    QVERIFY2(writer, qPrintable(error));
    EventParser parser;
    for (int from = 0; from < N; from += 1000) {
        EventBatch batch;
        for (int i = from; i < from + 1000; ++i)
            batch.append(makeEvent(parser, i));
        QVERIFY2(writer->append(batch, &error), qPrintable(error));
        m_events.append(batch);
    }
    QVERIFY2(writer->finish(&error), qPrintable(error));
    int structured = 0, binary = 0, unparsed = 0;
    for (const Event& e : std::as_const(m_events)) {
        structured += e.format == EventFormat::Structured ? 1 : 0;
        binary += e.format == EventFormat::Binary ? 1 : 0;
        unparsed += e.isUnparsed() ? 1 : 0;
    }
    QCOMPARE(structured, (N + 2) / 3);
    QCOMPARE(binary, (N + 1) / 3);
    QVERIFY(unparsed > 0);
}

void TestKafkaSink::cleanupTestCase()
{
    m_cluster.reset();
}

void TestKafkaSink::createTopics(const QByteArray& prefix)
{
    for (const QByteArray& t : { QByteArray("orders"), QByteArray("payments") })
    {
        QString error;
        QVERIFY2(m_cluster->createTopic(prefix + t, Partitions, &error), qPrintable(error));
    }
}

void TestKafkaSink::readBack(const QByteArray& prefix, qint64 expected, QList<Message>* messages)
{
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    for (const auto& [k, v] : { std::pair { "bootstrap.servers", m_bootstrap.constData() },
             std::pair { "group.id", "tst-kafkasink-assign-only" }, std::pair { "enable.auto.commit", "false" },
             std::pair { "enable.partition.eof", "false" }, std::pair { "log_level", "0" } })
        QCOMPARE(rd_kafka_conf_set(conf, k, v, errstr, sizeof errstr), RD_KAFKA_CONF_OK);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    QVERIFY2(rk, errstr);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(2 * Partitions);
    const QByteArray topics[] = { prefix + "orders", prefix + "payments" };
    for (const QByteArray& t : topics)
        for (int p = 0; p < Partitions; ++p)
            rd_kafka_topic_partition_list_add(list, t.constData(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    QCOMPARE(rd_kafka_assign(rk, list), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(list);
    // what the cluster holds: the sum of the high watermarks (the topics were empty before)
    qint64 held = 0;
    for (const QByteArray& t : topics) {
        for (int p = 0; p < Partitions; ++p) {
            int64_t low = 0, high = 0;
            QCOMPARE(
                rd_kafka_query_watermark_offsets(rk, t.constData(), p, &low, &high, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
            held += high - low;
        }
    }
    QCOMPARE(held, expected);
    QElapsedTimer sinceLast;
    sinceLast.start();
    while (messages->size() < expected && sinceLast.elapsed() < 30000) {
        rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk, 100);
        if (!msg)
            continue;
        if (!msg->err) {
            sinceLast.restart();
            Message m;
            m.topic = rd_kafka_topic_name(msg->rkt);
            m.partition = msg->partition;
            if (msg->key)
                m.key = QByteArray(static_cast<const char*>(msg->key), qsizetype(msg->key_len));
            if (msg->payload)
                m.value = QByteArray(static_cast<const char*>(msg->payload), qsizetype(msg->len));
            rd_kafka_headers_t* hdrs = nullptr;
            if (rd_kafka_message_headers(msg, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
                const char* name = nullptr;
                const void* value = nullptr;
                size_t size = 0;
                for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
                     ++i)
                    m.headers.append(Header { QByteArray(name),
                        value ? QByteArray(static_cast<const char*>(value), qsizetype(size)) : QByteArray(),
                        value == nullptr });
            }
            messages->append(std::move(m));
        }
        rd_kafka_message_destroy(msg);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    QCOMPARE(messages->size(), expected);
}

void TestKafkaSink::checkMessages(const QList<Message>& messages, const QByteArray& prefix, std::map<int, int>* seen)
{
    KafkaSink::Options o;
    o.topicMap = { { "orders", prefix + "orders" }, { "payments", prefix + "payments" } };
    const KafkaSink shape(o); // messageFor() only: never started
    EventParser parser;
    std::map<std::pair<QByteArray, QByteArray>, int> lastOfKey; // (topic, key) -> last x-seq read
    std::map<std::pair<QByteArray, QByteArray>, qint32> partitionOfKey;
    for (const Message& m : messages) {
        bool ok = false;
        const int i = seqOf(m.headers).toInt(&ok);
        QVERIFY2(ok && i >= 0 && i < N, "x-seq header kept");
        ++(*seen)[i];
        const Event& original = m_events.at(i);
        const KafkaSink::Message want = shape.messageFor(original);
        QCOMPARE(m.topic, want.topic);
        QCOMPARE(m.key, original.key);
        QCOMPARE(m.key.isNull(), original.key.isNull());
        QCOMPARE(m.headers, want.headers);
        QCOMPARE(m.value, want.value);
        // and it reads back as the same event
        const Event again
            = parser.parseKafkaRecord(KafkaRecord { original.channel, -1, -1, m.key, NoTime, m.headers, m.value });
        QCOMPARE(again.format, original.format);
        QCOMPARE(again.id, original.id);
        QCOMPARE(again.type, original.type);
        QCOMPARE(again.time, original.time);
        QCOMPARE(again.payload, original.payload);
        QCOMPARE(again.isUnparsed(), original.isUnparsed());
        if (m.key.isNull())
            continue; // no key, no order promised
        const auto k = std::make_pair(m.topic, m.key);
        if (const auto p = partitionOfKey.find(k); p != partitionOfKey.end())
            QCOMPARE(m.partition, p->second); // one key, one partition
        partitionOfKey[k] = m.partition;
        if (const auto last = lastOfKey.find(k); last != lastOfKey.end())
            QVERIFY2(last->second <= i,
                qPrintable(
                    QStringLiteral("key %1: %2 after %3").arg(QString::fromUtf8(m.key)).arg(i).arg(last->second)));
        lastOfKey[k] = i;
    }
}

// The chaos stages on their own: the same seed gives the same stream; the counts are exact.
void TestKafkaSink::chaosIsSeededAndCounted()
{
    auto run = [&](const ChaosOptions& o, ReplayChaos* chaos) {
        QList<Event> out;
        for (const Event& e : std::as_const(m_events)) {
            chaos->push(e, e.hasTime() ? e.time : NoTime);
            Event taken;
            while (chaos->takeDue(e.time, &taken))
                out.append(taken);
        }
        chaos->finish();
        Event taken;
        while (chaos->takeDue(std::numeric_limits<qint64>::max(), &taken))
            out.append(taken);
        Q_UNUSED(o)
        return out;
    };
    ChaosOptions reorder;
    reorder.reorder = 4;
    reorder.seed = 7;
    ReplayChaos a(reorder), b(reorder);
    const QList<Event> first = run(reorder, &a);
    const QList<Event> second = run(reorder, &b);
    QCOMPARE(first.size(), qsizetype(N));
    QCOMPARE(first, second); // deterministic
    // reordered = events no longer at their place in their key's sequence
    std::map<QByteArray, QList<int>> recorded, replayed;
    for (int i = 0; i < N; ++i)
        recorded[m_events.at(i).key.isNull() ? QByteArray("<none>") : m_events.at(i).key].append(i);
    for (const Event& e : first)
        replayed[e.key.isNull() ? QByteArray("<none>") : e.key].append(seqOf(e.headers()).toInt());
    qint64 moved = 0;
    for (const auto& [key, seqs] : recorded) {
        const QList<int>& got = replayed[key];
        QCOMPARE(got.size(), seqs.size());
        for (qsizetype j = 0; j < seqs.size(); ++j)
            moved += got.at(j) != seqs.at(j) ? 1 : 0;
    }
    QCOMPARE(a.counts().reordered, moved);
    QVERIFY(moved > N / 2);
    qInfo() << "reorder=4:" << moved << "of" << N << "events moved within their key";

    ChaosOptions delay;
    delay.delayMicros = 50000; // 50 ms of event time; events are 1 ms apart
    delay.seed = 3;
    ReplayChaos d(delay);
    const QList<Event> delayed = run(delay, &d);
    QCOMPARE(delayed.size(), qsizetype(N));
    qint64 overtaken = 0, maxSeen = -1;
    for (const Event& e : delayed) {
        const int i = seqOf(e.headers()).toInt();
        overtaken += i < maxSeen ? 1 : 0;
        maxSeen = std::max<qint64>(maxSeen, i);
    }
    QCOMPARE(d.counts().delayed, overtaken);
    QVERIFY(overtaken > 0);
    qInfo() << "delay=50ms:" << overtaken << "events went out after a later one";

    ChaosOptions dupDrop;
    dupDrop.dup = 0.1;
    dupDrop.drop = 0.1;
    dupDrop.seed = 7;
    ReplayChaos c(dupDrop);
    const QList<Event> mixed = run(dupDrop, &c);
    QCOMPARE(mixed.size(), qsizetype(N - c.counts().dropped + c.counts().duplicated));
    QVERIFY(c.counts().dropped > N / 20 && c.counts().dropped < N / 5);
    QVERIFY(c.counts().duplicated > N / 20 && c.counts().duplicated < N / 5);
}

void TestKafkaSink::chaosSpecParsing()
{
    QString error;
    const auto o = ChaosOptions::parse(QStringLiteral("dup=0.1, drop=0.05,delay=250ms,reorder=4"), &error);
    QVERIFY2(o, qPrintable(error));
    QCOMPARE(o->dup, 0.1);
    QCOMPARE(o->drop, 0.05);
    QCOMPARE(o->delayMicros, 250000);
    QCOMPARE(o->reorder, 4);
    QCOMPARE(o->toString(), QStringLiteral("dup=0.1,drop=0.05,delay=250ms,reorder=4"));
    for (const char* bad : { "dup=2", "drop=-0.1", "delay=soon", "reorder=x", "shuffle=3", "dup" }) {
        QVERIFY2(!ChaosOptions::parse(QString::fromLatin1(bad), &error), bad);
        QVERIFY(error.startsWith(u"chaos: "));
    }
    QVERIFY(ChaosOptions::parse(QString(), &error)->isEmpty());
}

void TestKafkaSink::sinkReplaysExactly()
{
    const QByteArray prefix = "lib-";
    createTopics(prefix);
    KafkaSink::Options o;
    o.bootstrapServers = QString::fromUtf8(m_bootstrap);
    o.topicMap = { { "orders", prefix + "orders" }, { "payments", prefix + "payments" } };
    o.properties = { { "log_level", "0" }, { "sasl.password", "never-shown" } };
    KafkaSink sink(o);
    QVERIFY(sink.describe().contains(u"sasl.password=***"));
    QVERIFY(!sink.describe().contains(u"never-shown"));
    QString error;
    QVERIFY2(sink.start(&error), qPrintable(error));
    QElapsedTimer timer;
    timer.start();
    for (const Event& e : std::as_const(m_events))
        QVERIFY(sink.send(e));
    QVERIFY(sink.flush(60000));
    qInfo() << "sent" << N << "events in" << timer.elapsed() << "ms";
    QCOMPARE(sink.counters().produced.load(), qint64(N));
    QCOMPARE(sink.counters().delivered.load(), qint64(N));
    QCOMPARE(sink.counters().deliveryErrors.load(), 0);
    const auto perTopic = sink.deliveredPerTopic();
    QCOMPARE(perTopic.value(prefix + "orders"), qint64((N + 2) / 3));
    sink.stop();

    QList<Message> messages;
    readBack(prefix, N, &messages);
    if (QTest::currentTestFailed())
        return;
    std::map<int, int> seen;
    checkMessages(messages, prefix, &seen);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(seen.size(), size_t(N));
    for (const auto& [i, count] : seen)
        QCOMPARE(count, 1);
}

QJsonObject TestKafkaSink::runReplay(const QByteArray& prefix, const QStringList& extra)
{
    QProcess p;
    QStringList args { QStringLiteral("replay"), m_recPath, QStringLiteral("--to-kafka"),
        QString::fromUtf8(m_bootstrap), QStringLiteral("--topic-map"),
        QStringLiteral("orders=") + QString::fromUtf8(prefix) + QStringLiteral("orders"), QStringLiteral("--topic-map"),
        QStringLiteral("payments=") + QString::fromUtf8(prefix) + QStringLiteral("payments"),
        QStringLiteral("--property"), QStringLiteral("log_level=0"), QStringLiteral("--json") };
    args += extra;
    p.start(QStringLiteral(FLOWSCOPE_BINARY), args);
    if (!p.waitForFinished(60000))
        return {};
    const QByteArray output = p.readAllStandardOutput();
    const QByteArray errors = p.readAllStandardError();
    if (p.exitCode() != 0) {
        qWarning() << "replay failed:" << errors;
        return {};
    }
    if (errors.contains("do-not-print-me") || output.contains("do-not-print-me"))
        return {};
    return QJsonDocument::fromJson(output).object();
}

void TestKafkaSink::replayCommandDuplicates()
{
    const QByteArray prefix = "dup-";
    createTopics(prefix);
    const QJsonObject o = runReplay(prefix,
        { QStringLiteral("--chaos"), QStringLiteral("dup=0.1"), QStringLiteral("--seed"), QStringLiteral("7"),
            QStringLiteral("--property"), QStringLiteral("sasl.password=do-not-print-me") });
    QVERIFY(!o.isEmpty());
    QVERIFY(o.value(u"to").toString().contains(u"sasl.password=***"));
    const qint64 duplicated = o.value(u"duplicated").toInteger();
    qInfo() << "dup=0.1 seed 7:" << duplicated << "duplicated";
    QCOMPARE(o.value(u"events").toInteger(), N);
    QCOMPARE(o.value(u"dropped").toInteger(), 0);
    QCOMPARE(o.value(u"delivery_errors").toInteger(), 0);
    QCOMPARE(o.value(u"sent").toInteger(), N + duplicated);
    QVERIFY(duplicated > N / 20 && duplicated < N / 5);
    QList<Message> messages;
    readBack(prefix, N + duplicated, &messages);
    if (QTest::currentTestFailed())
        return;
    std::map<int, int> seen;
    checkMessages(messages, prefix, &seen); // a copy follows its original: per-key order still holds
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(seen.size(), size_t(N));
    qint64 extra = 0;
    for (const auto& [i, count] : seen) {
        QVERIFY(count == 1 || count == 2);
        extra += count - 1;
    }
    QCOMPARE(extra, duplicated);
}

void TestKafkaSink::replayCommandDrops()
{
    const QByteArray prefix = "drop-";
    createTopics(prefix);
    const QJsonObject o = runReplay(prefix,
        { QStringLiteral("--chaos"), QStringLiteral("drop=0.1"), QStringLiteral("--seed"), QStringLiteral("7") });
    QVERIFY(!o.isEmpty());
    const qint64 dropped = o.value(u"dropped").toInteger();
    qInfo() << "drop=0.1 seed 7:" << dropped << "dropped";
    QCOMPARE(o.value(u"duplicated").toInteger(), 0);
    QCOMPARE(o.value(u"sent").toInteger(), N - dropped);
    QVERIFY(dropped > N / 20 && dropped < N / 5);
    QList<Message> messages;
    readBack(prefix, N - dropped, &messages);
    if (QTest::currentTestFailed())
        return;
    std::map<int, int> seen;
    checkMessages(messages, prefix, &seen);
    if (QTest::currentTestFailed())
        return;
    for (const auto& [i, count] : seen)
        QCOMPARE(count, 1);
    QCOMPARE(qint64(N) - qint64(seen.size()), dropped);
}

// Paced by event time (the recording spans 20 s: about 0.2 s at 100x), delay and reorder on:
// everything arrives once, and the counts are reported.
void TestKafkaSink::replayCommandPacedWithDelayAndReorder()
{
    const QByteArray prefix = "paced-";
    createTopics(prefix);
    const QJsonObject o = runReplay(prefix,
        { QStringLiteral("--speed"), QStringLiteral("100x"), QStringLiteral("--chaos"),
            QStringLiteral("delay=20ms,reorder=3"), QStringLiteral("--seed"), QStringLiteral("11") });
    QVERIFY(!o.isEmpty());
    qInfo() << "paced 100x, delay=20ms, reorder=3:" << o.value(u"delayed").toInteger() << "delayed,"
            << o.value(u"reordered").toInteger() << "reordered in" << o.value(u"seconds").toDouble() << "s";
    QCOMPARE(o.value(u"speed").toString(), QStringLiteral("100x"));
    QCOMPARE(o.value(u"chaos").toString(), QStringLiteral("delay=20ms,reorder=3"));
    QCOMPARE(o.value(u"sent").toInteger(), N);
    QVERIFY(o.value(u"delayed").toInteger() > 0);
    QVERIFY(o.value(u"reordered").toInteger() > 0);
    QList<Message> messages;
    readBack(prefix, N, &messages);
    QSet<QByteArray> seqs;
    for (const Message& m : std::as_const(messages))
        seqs.insert(seqOf(m.headers));
    QCOMPARE(seqs.size(), qsizetype(N));
}

void TestKafkaSink::replayCommandBadInput()
{
    auto run = [](const QStringList& args, QByteArray* errors) {
        QProcess p;
        p.start(QStringLiteral(FLOWSCOPE_BINARY), QStringList { QStringLiteral("replay") } + args);
        p.waitForFinished(30000);
        *errors = p.readAllStandardError();
        return p.exitCode();
    };
    QByteArray errors;
    QCOMPARE(run({ m_recPath }, &errors), 2);
    QVERIFY2(errors.contains("--to-kafka"), errors.constData());
    QCOMPARE(run({ m_recPath, QStringLiteral("--to-kafka"), QString::fromUtf8(m_bootstrap), QStringLiteral("--chaos"),
                     QStringLiteral("dup=3") },
                 &errors),
        2);
    QVERIFY2(errors.contains("probability"), errors.constData());
    QCOMPARE(run({ m_dir.filePath(QStringLiteral("missing.fsrec")), QStringLiteral("--to-kafka"),
                     QString::fromUtf8(m_bootstrap) },
                 &errors),
        1);
    QCOMPARE(run({ m_recPath, QStringLiteral("--to-kafka"), QString::fromUtf8(m_bootstrap), QStringLiteral("--speed"),
                     QStringLiteral("fast") },
                 &errors),
        2);
}

TestKafkaSink::ReplayRun TestKafkaSink::runReplayOf(const QString& rec, const QByteArray& prefix,
                                                    const QStringList& extra, int interruptAfterMs,
                                                    const QByteArray& bootstrap)
{
    QProcess p;
    QStringList args { QStringLiteral("replay"), rec, QStringLiteral("--to-kafka"),
        QString::fromUtf8(bootstrap.isEmpty() ? m_bootstrap : bootstrap),
        QStringLiteral("--topic-map"), QStringLiteral("orders=") + QString::fromUtf8(prefix) + QStringLiteral("orders"),
        QStringLiteral("--topic-map"),
        QStringLiteral("payments=") + QString::fromUtf8(prefix) + QStringLiteral("payments"), QStringLiteral("--property"),
        QStringLiteral("log_level=0"), QStringLiteral("--json") };
    p.start(QStringLiteral(FLOWSCOPE_BINARY), args + extra);
    ReplayRun r;
    if (!p.waitForStarted(10000))
        return r;
    if (interruptAfterMs > 0 && !p.waitForFinished(interruptAfterMs))
        ::kill(pid_t(p.processId()), SIGINT);
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.report = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    r.errors = p.readAllStandardError();
    return r;
}

// Ctrl-C in a paced replay with delay and reorder: the chaos stages still hold events (delayed,
// or in reorder windows that are not full). They are counted as held_unsent, so that the report
// adds up: produced + held_unsent = events - dropped + duplicated, and the cluster holds exactly
// what was reported sent.
void TestKafkaSink::replayCommandInterruptedCountsWhatWasHeld()
{
    const QByteArray prefix = "int-";
    createTopics(prefix);
    // 1x: the recording's events are 1 ms apart, so about 1500 are read before the interrupt
    const ReplayRun r = runReplayOf(m_recPath, prefix,
        { QStringLiteral("--speed"), QStringLiteral("1x"), QStringLiteral("--chaos"),
            QStringLiteral("dup=0.05,drop=0.05,delay=3s,reorder=4"), QStringLiteral("--seed"), QStringLiteral("5") },
        1500);
    QVERIFY2(r.exitCode == 130, r.errors.constData());
    const QJsonObject& o = r.report;
    QVERIFY2(!o.isEmpty(), r.errors.constData());
    QCOMPARE(o.value(u"interrupted").toBool(), true);
    const qint64 events = o.value(u"events").toInteger(), produced = o.value(u"produced").toInteger();
    const qint64 held = o.value(u"held_unsent").toInteger();
    const qint64 dropped = o.value(u"dropped").toInteger(), duplicated = o.value(u"duplicated").toInteger();
    qInfo() << "interrupted after" << events << "events:" << produced << "produced," << held << "held," << dropped
            << "dropped," << duplicated << "duplicated";
    QVERIFY(events > 100 && events < N);
    QVERIFY(held > 0);
    QCOMPARE(produced + held, events - dropped + duplicated);
    QCOMPARE(o.value(u"delivery_errors").toInteger(), 0);
    QCOMPARE(o.value(u"sent").toInteger(), produced);
    QList<Message> messages;
    readBack(prefix, produced, &messages);
}

// The recording is damaged part way: what was read before the damage goes out (what the chaos
// held included), the report is printed with the reason, and the status is 1.
void TestKafkaSink::replayCommandReadErrorStillReports()
{
    const QString damaged = m_dir.filePath(QStringLiteral("damaged.fsrec"));
    QVERIFY(QFile::copy(m_recPath, damaged));
    {
        QFile f(damaged);
        QVERIFY(f.open(QIODevice::ReadWrite));
        const qint64 pageSize = RecordingWriter::PageSize;
        const qint64 pages = f.size() / pageSize;
        for (qint64 page = pages * 3 / 4; page < pages * 3 / 4 + 4; ++page) { // leaf pages of late events
            f.seek(page * pageSize);
            f.write(QByteArray(pageSize, '\xA5'));
        }
    }
    qint64 readable = 0;
    {
        QString error;
        auto rec = Recording::open(damaged, &error);
        QVERIFY2(rec, qPrintable(error));
        QVERIFY(!rec->readSeqRange(1, N, [&](Event&&) { ++readable; return true; }, &error));
        QVERIFY(readable > 0 && readable < N);
    }
    const QByteArray prefix = "dmg-";
    createTopics(prefix);
    const ReplayRun r = runReplayOf(damaged, prefix,
        { QStringLiteral("--chaos"), QStringLiteral("dup=0.05,drop=0.05,delay=50ms,reorder=4"), QStringLiteral("--seed"),
            QStringLiteral("5") });
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.errors.contains("replay: ") && r.errors.contains(damaged.toUtf8()), r.errors.constData());
    const QJsonObject& o = r.report;
    QVERIFY2(!o.isEmpty(), r.errors.constData());
    // where the reading stopped: after the last event read
    static const QRegularExpression after(QStringLiteral("; the events after event (\\d+) were not read$"));
    const QRegularExpressionMatch where = after.match(o.value(u"read_error").toString());
    QVERIFY2(where.hasMatch(), qPrintable(o.value(u"read_error").toString()));
    QVERIFY(where.captured(1).toLongLong() > 0 && where.captured(1).toLongLong() <= readable);
    QVERIFY2(r.errors.contains(o.value(u"read_error").toString().toUtf8()), r.errors.constData());
    const qint64 events = o.value(u"events").toInteger(), produced = o.value(u"produced").toInteger();
    // every event read (in whole chunks, up to the damaged one) went out
    QVERIFY2(events > 0 && events <= readable, qPrintable(QStringLiteral("%1 of %2").arg(events).arg(readable)));
    QCOMPARE(o.value(u"held_unsent").toInteger(), 0);
    QCOMPARE(produced, events - o.value(u"dropped").toInteger() + o.value(u"duplicated").toInteger());
    QCOMPARE(o.value(u"sent").toInteger(), produced);
    QList<Message> messages;
    readBack(prefix, produced, &messages);
}

// Reorder windows still open at the end are released at the replay's last position, in the
// order their events came: they used to come due each at its own last time, out of the order they
// were released in (by key), which counted as `delayed` with no delay asked for.
void TestKafkaSink::chaosLeftoverWindowsAreNotDelayed()
{
    ChaosOptions o;
    o.reorder = 2;
    ReplayChaos chaos(o);
    const QList<QPair<QByteArray, qint64>> recorded { { "b", T0 }, { "a", T0 + 1000 }, { "c", T0 + 2000 } };
    for (const auto& [key, time] : recorded) {
        Event e;
        e.key = key;
        e.time = time;
        chaos.push(e, time);
    }
    QVERIFY(chaos.isEmpty()); // no window of 2 filled
    chaos.finish();
    QCOMPARE(chaos.nextDue(), T0 + 2000);
    QByteArrayList out;
    Event e;
    while (chaos.takeDue(T0 + 2000, &e))
        out.append(e.key);
    QCOMPARE(out, (QByteArrayList { "a", "b", "c" })); // released by key, all due at the end: that order
    QCOMPARE(chaos.counts().delayed, 0);
    QCOMPARE(chaos.counts().reordered, 0);
}

// Nobody listens at the address: every message fails, and the reason says why (the connection
// was refused), not only "Message timed out" or "Purged in queue". Ctrl-C while the replay waits
// for the last delivery reports gives up the wait; Ctrl-C while librdkafka's queue is full gives
// up the wait for room, and what was never queued is counted as held_unsent.
void TestKafkaSink::replayCommandUnreachableBrokerSaysWhy()
{
    QByteArray nobody;
    {
        QTcpServer server; // a free port, closed again: connections to it are refused
        QVERIFY(server.listen(QHostAddress::LocalHost));
        nobody = "127.0.0.1:" + QByteArray::number(server.serverPort());
    }
    const ReplayRun timedOut = runReplayOf(m_recPath, "dead-", { QStringLiteral("--delivery-timeout"), QStringLiteral("2s") },
                                           0, nobody);
    QCOMPARE(timedOut.exitCode, 1);
    const QJsonObject& t = timedOut.report;
    QCOMPARE(t.value(u"events").toInteger(), N);
    QCOMPARE(t.value(u"sent").toInteger(), 0);
    QCOMPARE(t.value(u"delivery_errors").toInteger(), N);
    QCOMPARE(t.value(u"interrupted").toBool(), false);
    const QString why = t.value(u"first_error").toString();
    QVERIFY2(why.startsWith(u"event 1 to dead-orders: no delivery report within 2 s; the client's last error about the "
                            u"cluster: ")
                 && why.contains(u"Connection refused") && why.contains(QString::fromUtf8(nobody)),
             qPrintable(why));
    QVERIFY2(timedOut.errors.contains(why.toUtf8()), timedOut.errors.constData());

    // Ctrl-C during the last wait (120 s): the rest is given up, each one an error that says so
    const ReplayRun gaveUp = runReplayOf(m_recPath, "dead-", { QStringLiteral("--delivery-timeout"), QStringLiteral("120s") },
                                         3000, nobody);
    QCOMPARE(gaveUp.exitCode, 1); // messages not delivered: that is the news (docs/cli.md)
    QCOMPARE(gaveUp.report.value(u"interrupted").toBool(), true);
    QCOMPARE(gaveUp.report.value(u"delivery_errors").toInteger(), N);
    QVERIFY2(gaveUp.report.value(u"first_error").toString().contains(u"interrupted before its delivery report"),
             qPrintable(gaveUp.report.value(u"first_error").toString()));

    // Ctrl-C while the queue (100 messages) is full: the wait for room is given up
    const ReplayRun full = runReplayOf(m_recPath, "dead-",
        { QStringLiteral("--property"), QStringLiteral("queue.buffering.max.messages=100"), QStringLiteral("--property"),
            QStringLiteral("message.timeout.ms=300000"), QStringLiteral("--delivery-timeout"), QStringLiteral("1s") },
        3000, nobody);
    QCOMPARE(full.exitCode, 1);
    const QJsonObject& f = full.report;
    QCOMPARE(f.value(u"interrupted").toBool(), true);
    QCOMPARE(f.value(u"produced").toInteger(), 100);
    QCOMPARE(f.value(u"delivery_errors").toInteger(), 100);
    QVERIFY(f.value(u"held_unsent").toInteger() >= 1);
    QCOMPARE(f.value(u"produced").toInteger() + f.value(u"held_unsent").toInteger(),
             f.value(u"events").toInteger() - f.value(u"dropped").toInteger() + f.value(u"duplicated").toInteger());
    QVERIFY(f.value(u"events").toInteger() < N);
}

// Plain JSON records have no event time, only the broker's: that is the time a replay goes by
// (as the recording's time ranges do). A delay of up to 5 s on records 1 s apart moves some after
// later ones; it did nothing when only an event's own time counted.
void TestKafkaSink::replayCommandPacesByBrokerTime()
{
    const QString path = m_dir.filePath(QStringLiteral("plain.fsrec"));
    QList<KafkaRecord> records;
    for (int i = 0; i < 20; ++i) {
        KafkaRecord r;
        r.topic = "orders";
        r.offset = i;
        r.key = "k" + QByteArray::number(i % 3);
        r.brokerTime = T0 + qint64(i) * 1000000;
        r.headers.append(Header { "x-seq", QByteArray::number(i), false });
        r.value = R"({"n":)" + QByteArray::number(i) + "}"; // plain JSON: no event time
        records.append(r);
    }
    QString error;
    QVERIFY2(writeRecording(path, records, &error), qPrintable(error));
    {
        auto recording = Recording::open(path, &error);
        QVERIFY2(recording, qPrintable(error));
        int timed = 0;
        QVERIFY(recording->readSeqRange(1, 20, [&](Event&& e) { timed += e.hasTime() ? 1 : 0; return true; }, &error));
        QCOMPARE(timed, 0);
    }
    const QByteArray prefix = "broker-time-";
    createTopics(prefix);
    const ReplayRun r = runReplayOf(path, prefix,
        { QStringLiteral("--chaos"), QStringLiteral("delay=5s"), QStringLiteral("--seed"), QStringLiteral("4") });
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.report.value(u"sent").toInteger(), 20);
    const qint64 delayed = r.report.value(u"delayed").toInteger();
    QVERIFY2(delayed > 0, r.errors.constData());
    QList<Message> messages;
    readBack(prefix, 20, &messages);
    // read back per partition: count the events that came after a later one of their key
    std::map<QByteArray, int> lastOfKey;
    int outOfOrder = 0;
    for (const Message& m : std::as_const(messages)) {
        const int seq = seqOf(m.headers).toInt();
        outOfOrder += lastOfKey.count(m.key) && lastOfKey[m.key] > seq ? 1 : 0;
        lastOfKey[m.key] = std::max(lastOfKey.count(m.key) ? lastOfKey[m.key] : -1, seq);
    }
    QVERIFY(outOfOrder > 0);
    qInfo() << "delay=5s on records 1 s apart (broker time only):" << delayed << "delayed," << outOfOrder
            << "behind a later event of their key";
}

// A message the cluster refuses, and an event with no topic to go to: the errors name the event
// by its seq, so that `export --from N --to N` shows it.
void TestKafkaSink::replayCommandNamesTheEventThatFailed()
{
    const QByteArray prefix = "named-";
    createTopics(prefix);
    const QString path = m_dir.filePath(QStringLiteral("named.fsrec"));
    QList<KafkaRecord> records;
    for (int i = 0; i < 4; ++i) {
        KafkaRecord r;
        r.topic = i == 3 ? QByteArray() : QByteArray("orders");
        r.offset = i;
        // event 2 is too large for the producer's limit, event 4 has no topic
        r.value = i == 1 ? R"({"big":")" + QByteArray(5000, 'x') + R"("})" : QByteArray(R"({"n":1})");
        records.append(r);
    }
    QString error;
    QVERIFY2(writeRecording(path, records, &error), qPrintable(error));
    const ReplayRun r = runReplayOf(path, prefix, { QStringLiteral("--property"), QStringLiteral("message.max.bytes=2000") });
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.report.value(u"sent").toInteger(), 2);
    QCOMPARE(r.report.value(u"delivery_errors").toInteger(), 2);
    const QString first = r.report.value(u"first_error").toString();
    QVERIFY2(first.startsWith(u"event 2 to named-orders: ") && first.contains(u"too large"), qPrintable(first));
    QVERIFY2(r.errors.contains("2 messages not delivered; the first: event 2 to named-orders"), r.errors.constData());
}

QTEST_GUILESS_MAIN(TestKafkaSink)
#include "tst_kafkasink.moc"
