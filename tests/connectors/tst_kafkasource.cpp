// SPDX-License-Identifier: MIT
// KafkaSource against a real peer on loopback: librdkafka's mock cluster, started here, fed by
// this test's own producer (and by kcat where it is installed).
#include <engine.h>
#include <kafkamock.h>
#include <kafkasource.h>
#include <recording.h>

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <librdkafka/rdkafka.h>

#include <map>
#include <mutex>

#include <signal.h>

using namespace FlowScope;
using Connectors::KafkaSource;
using Connectors::SourceState;

namespace {

constexpr int Keys = 5000;

// Event number `i`: even ones structured CloudEvents, odd ones binary mode (ce_* headers); every
// 1000th a value that is not JSON (unparsed). All carry key k<i % Keys> and header x-seq = i;
// every 100th also a null-valued header.
bool isGarbage(int i) { return i % 1000 == 999; }
QByteArray keyOf(int i) { return "k" + QByteArray::number(i % Keys); }
QByteArray idOf(int i) { return "e" + QByteArray::number(i); }

struct Collected {
    std::mutex mutex;
    QList<SourceState> states;
    void add(SourceState s)
    {
        std::lock_guard lock(mutex);
        if (states.isEmpty() || states.last() != s)
            states.append(s);
    }
    bool saw(SourceState s)
    {
        std::lock_guard lock(mutex);
        return states.contains(s);
    }
};

} // namespace

class TestKafkaSource : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void records100kExactly();
    void brokerOutageResumes();
    void fullEngineQueuePauses();
    void kcatProducedIsRecorded();
    void propertiesFileAndSecrets();
    void propertiesFileJavaSyntax_data();
    void propertiesFileJavaSyntax();
    void propertiesFileErrors_data();
    void propertiesFileErrors();
    void groupCommitsWhatWasHandedOver();
    void groupCommitsNothingUnstored();
    void recordCommandMaxEvents();
    void recordCommandInterrupted();
    void recordCommandReportsDeletedEvents();
    void badSettingsFailAtStart();

private:
    void createTopic(const QByteArray& topic, int partitions);
    void produce(const QByteArray& topic, int from, int to, bool flush = true);
    // Records `topic` from the beginning until `expected` events were handed over; returns them
    // in recorded order, read back from the recording file. `holdEngine`: the engine starts only
    // once the source has paused its partitions (its queue full).
    void record(QList<Event>* events, const QByteArray& topic, qint64 expected, Engine::Options engineOptions,
                const std::function<void(KafkaSource&)>& whileRunning = {}, Collected* states = nullptr,
                qint64* pauses = nullptr, bool holdEngine = false);
    void checkComplete(const QList<Event>& events, int from, int to);

    std::unique_ptr<Connectors::KafkaMockCluster> m_cluster;
    rd_kafka_t* m_producer = nullptr;
    QByteArray m_bootstrap;
    QTemporaryDir m_dir;
};

void TestKafkaSource::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QString error;
    m_cluster = Connectors::KafkaMockCluster::start(3, &error);
    QVERIFY2(m_cluster, qPrintable(error));
    m_bootstrap = m_cluster->bootstrap();
    QVERIFY(m_bootstrap.startsWith("127.0.0.1:") || m_bootstrap.startsWith("localhost:")); // loopback only

    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    for (const auto& [k, v] : { std::pair { "bootstrap.servers", m_bootstrap.constData() },
                                std::pair { "linger.ms", "5" },
                                std::pair { "queue.buffering.max.messages", "500000" },
                                std::pair { "log_level", "0" } })
        QCOMPARE(rd_kafka_conf_set(conf, k, v, errstr, sizeof errstr), RD_KAFKA_CONF_OK);
    m_producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    QVERIFY2(m_producer, errstr);
}

void TestKafkaSource::cleanupTestCase()
{
    if (m_producer)
        rd_kafka_destroy(m_producer);
    m_cluster.reset();
}

void TestKafkaSource::createTopic(const QByteArray& topic, int partitions)
{
    QString error;
    QVERIFY2(m_cluster->createTopic(topic, partitions, &error), qPrintable(error));
}

void TestKafkaSource::produce(const QByteArray& topic, int from, int to, bool flush)
{
    for (int i = from; i < to; ++i) {
        const QByteArray key = keyOf(i);
        const QByteArray seq = QByteArray::number(i);
        QByteArray value;
        rd_kafka_headers_t* headers = rd_kafka_headers_new(8);
        rd_kafka_header_add(headers, "x-seq", -1, seq.constData(), seq.size());
        if (i % 100 == 0)
            rd_kafka_header_add(headers, "x-null", -1, nullptr, 0);
        const QByteArray data = R"({"orderId":")" + key + R"(","n":)" + seq + "}";
        if (isGarbage(i)) {
            value = "not json #" + seq;
        } else if (i % 2 == 0) {
            value = R"({"specversion":"1.0","id":")" + idOf(i)
                + R"(","type":"OrderCreated","source":"/orders","time":"2024-05-01T12:00:00Z",)"
                  R"("datacontenttype":"application/json","data":)"
                + data + "}";
        } else {
            const QByteArray id = idOf(i);
            rd_kafka_header_add(headers, "ce_specversion", -1, "1.0", 3);
            rd_kafka_header_add(headers, "ce_id", -1, id.constData(), id.size());
            rd_kafka_header_add(headers, "ce_type", -1, "PaymentAuthorized", -1);
            rd_kafka_header_add(headers, "ce_source", -1, "/payment", -1);
            rd_kafka_header_add(headers, "content-type", -1, "application/json", -1);
            value = data;
        }
        rd_kafka_vu_t vu[5];
        vu[0].vtype = RD_KAFKA_VTYPE_TOPIC;
        vu[0].u.cstr = topic.constData();
        vu[1].vtype = RD_KAFKA_VTYPE_KEY;
        vu[1].u.mem.ptr = const_cast<char*>(key.constData());
        vu[1].u.mem.size = size_t(key.size());
        vu[2].vtype = RD_KAFKA_VTYPE_VALUE;
        vu[2].u.mem.ptr = value.data();
        vu[2].u.mem.size = size_t(value.size());
        vu[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
        vu[3].u.i = RD_KAFKA_MSG_F_COPY;
        vu[4].vtype = RD_KAFKA_VTYPE_HEADERS;
        vu[4].u.headers = headers;
        for (;;) {
            rd_kafka_error_t* error = rd_kafka_produceva(m_producer, vu, 5);
            if (!error)
                break;
            const rd_kafka_resp_err_t code = rd_kafka_error_code(error);
            const QByteArray text = rd_kafka_error_string(error);
            rd_kafka_error_destroy(error);
            QVERIFY2(code == RD_KAFKA_RESP_ERR__QUEUE_FULL, text.constData());
            rd_kafka_poll(m_producer, 50);
        }
        rd_kafka_poll(m_producer, 0);
    }
    if (flush)
        QCOMPARE(rd_kafka_flush(m_producer, 60000), RD_KAFKA_RESP_ERR_NO_ERROR);
}

void TestKafkaSource::record(QList<Event>* events, const QByteArray& topic, qint64 expected,
                             Engine::Options engineOptions, const std::function<void(KafkaSource&)>& whileRunning,
                             Collected* states, qint64* pauses, bool holdEngine)
{
    static int n = 0;
    const QString path = m_dir.filePath(QStringLiteral("rec%1.fsrec").arg(++n));
    QString error;
    auto writer = RecordingWriter::create(path, &error, WriteMode::Live);
    QVERIFY2(writer, qPrintable(error));
    Engine engine({}, writer.get(), engineOptions);
    if (!holdEngine)
        engine.start();
    {
        KafkaSource::Options options;
        options.bootstrapServers = QString::fromUtf8(m_bootstrap);
        options.topics = { QString::fromUtf8(topic) };
        options.startAt = KafkaSource::StartAt::Beginning;
        options.batchSize = 1024;
        KafkaSource source(options);
        source.setEngine(engine);
        if (states)
            source.setStatusHandler([states](const Connectors::SourceStatus& s) { states->add(s.state); });
        QVERIFY2(source.start(&error), qPrintable(error));
        if (whileRunning)
            whileRunning(source);
        if (QTest::currentTestFailed())
            return;
        if (holdEngine) {
            QTRY_VERIFY_WITH_TIMEOUT(source.pauses() > 0, 30000);
            engine.start();
        }
        QElapsedTimer timer;
        timer.start();
        QTRY_COMPARE_WITH_TIMEOUT(source.counters().handedOver.load(), expected, 60000);
        qInfo() << "recorded" << expected << "events in" << timer.elapsed() << "ms (with parsing, projections, SQLite)";
        source.stop();
        if (pauses)
            *pauses = source.pauses();
        // nothing beyond the expected events arrived meanwhile
        QCOMPARE(source.counters().received.load(), expected);
    }
    engine.flush();
    engine.stop();
    QVERIFY2(writer->finish(&error), qPrintable(error));
    auto recording = Recording::open(path, &error);
    QVERIFY2(recording, qPrintable(error));
    QVERIFY2(recording->readSeqRange(
                 1, recording->eventCount(),
                 [&](Event&& e) {
                     events->append(std::move(e));
                     return true;
                 },
                 &error),
             qPrintable(error));
}

// Events [from, to) each exactly once, everything kept, per-partition offsets contiguous and in order.
void TestKafkaSource::checkComplete(const QList<Event>& events, int from, int to)
{
    QCOMPARE(events.size(), qsizetype(to - from));
    QSet<int> seen;
    std::map<qint32, qint64> lastOffset;
    int unparsed = 0, binary = 0, structured = 0;
    for (const Event& e : events) {
        QByteArray seqText;
        bool nullHeader = false;
        for (const Header& h : e.headers()) {
            if (h.name == "x-seq")
                seqText = h.value;
            if (h.name == "x-null")
                nullHeader = h.isNull;
        }
        bool ok = false;
        const int i = seqText.toInt(&ok);
        QVERIFY2(ok, "x-seq header kept");
        QVERIFY2(!seen.contains(i), qPrintable(QStringLiteral("event %1 recorded twice").arg(i)));
        seen.insert(i);
        QCOMPARE(e.key, keyOf(i));
        QCOMPARE(nullHeader, i % 100 == 0);
        QVERIFY(e.brokerTime != NoTime);
        QVERIFY(e.partition >= 0);
        const auto last = lastOffset.find(e.partition);
        if (last != lastOffset.end())
            QCOMPARE(e.offset, last->second + 1);
        lastOffset[e.partition] = e.offset;
        if (isGarbage(i)) {
            QVERIFY(e.isUnparsed());
            QCOMPARE(e.payload, "not json #" + seqText);
            // where it is, as file sources say file:line: (review finding 3), then the reason
            const QByteArray where = e.channel + '[' + QByteArray::number(e.partition) + "]@" + QByteArray::number(e.offset) + ": ";
            QVERIFY2(e.error().startsWith(where) && e.error().size() > where.size(), e.error().constData());
            ++unparsed;
        } else {
            QVERIFY2(!e.isUnparsed(), e.error().constData());
            QCOMPARE(e.id, idOf(i));
            QCOMPARE(e.format, i % 2 == 0 ? EventFormat::Structured : EventFormat::Binary);
            QCOMPARE(e.type, i % 2 == 0 ? QByteArray("OrderCreated") : QByteArray("PaymentAuthorized"));
            (i % 2 == 0 ? structured : binary)++;
        }
    }
    for (int i = from; i < to; ++i)
        QVERIFY2(seen.contains(i), qPrintable(QStringLiteral("event %1 missing").arg(i)));
    int expectedUnparsed = 0;
    for (int i = from; i < to; ++i)
        expectedUnparsed += isGarbage(i) ? 1 : 0;
    QCOMPARE(unparsed, expectedUnparsed);
    QVERIFY(binary > 0 && structured > 0);
}

void TestKafkaSource::records100kExactly()
{
    constexpr int N = 100000;
    const QByteArray topic = "orders100k";
    createTopic(topic, 16); // ~1.6 MB per partition: under the mock's ~5 MiB retention
    produce(topic, 0, N);
    if (QTest::currentTestFailed())
        return;
    QList<Event> events;
    record(&events, topic, N, Engine::Options {});
    if (QTest::currentTestFailed())
        return;
    checkComplete(events, 0, N);
    if (QTest::currentTestFailed())
        return;
    QSet<QByteArray> topics;
    for (const Event& e : events)
        topics.insert(e.channel);
    QCOMPARE(topics, QSet<QByteArray> { topic });
    QCOMPARE(std::count_if(events.cbegin(), events.cend(), [](const Event& e) { return e.isUnparsed(); }), N / 1000);
}

void TestKafkaSource::brokerOutageResumes()
{
    constexpr int Half = 10000;
    const QByteArray topic = "outage";
    createTopic(topic, 6); // leaders spread over the three brokers
    produce(topic, 0, Half);
    if (QTest::currentTestFailed())
        return;
    Collected states;
    QList<Event> events;
    record(
        &events, topic, 2 * Half, Engine::Options {},
        [&](KafkaSource& source) {
            QTRY_COMPARE_WITH_TIMEOUT(source.counters().handedOver.load(), qint64(Half), 30000);
            QString error;
            QVERIFY2(m_cluster->setBrokerDown(1, true, &error), qPrintable(error));
            QTRY_VERIFY_WITH_TIMEOUT(states.saw(SourceState::Retrying), 30000);
            qInfo() << "while down:" << Connectors::stateName(source.status().state) << source.status().reason;
            produce(topic, Half, 2 * Half, false); // partitions led by broker 1 wait in the producer
            QVERIFY2(m_cluster->setBrokerDown(1, false, &error), qPrintable(error));
            QCOMPARE(rd_kafka_flush(m_producer, 60000), RD_KAFKA_RESP_ERR_NO_ERROR);
        },
        &states);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(states.saw(SourceState::Retrying));
    QVERIFY(states.saw(SourceState::Live));
    checkComplete(events, 0, 2 * Half);
}

void TestKafkaSource::fullEngineQueuePauses()
{
    constexpr int N = 50000;
    const QByteArray topic = "backpressure";
    createTopic(topic, 8);
    produce(topic, 0, N);
    if (QTest::currentTestFailed())
        return;
    Engine::Options tiny;
    tiny.queueBatches = 1;
    qint64 pauses = 0;
    QList<Event> events;
    // The engine starts only once the source has paused: a full queue, whatever the machine's speed.
    record(&events, topic, N, tiny, {}, nullptr, &pauses, true);
    if (QTest::currentTestFailed())
        return;
    checkComplete(events, 0, N);
    qInfo() << "partitions paused" << pauses << "times";
    QVERIFY(pauses > 0);
}

void TestKafkaSource::kcatProducedIsRecorded()
{
    const QString kcat = QStringLiteral("/usr/bin/kcat");
    if (!QFile::exists(kcat))
        QSKIP("kcat is not installed (packaging/install-deps.sh installs it)");
    constexpr int N = 2000;
    const QByteArray topic = "fromkcat";
    createTopic(topic, 4);
    const QString file = m_dir.filePath(QStringLiteral("kcat-input.jsonl"));
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        for (int i = 0; i < N; ++i)
            f.write(R"({"specversion":"1.0","id":"kcat-)" + QByteArray::number(i)
                    + R"(","type":"OrderShipped","source":"/shipping","data":{"n":)" + QByteArray::number(i) + "}}\n");
    }
    QProcess p;
    p.start(kcat, { QStringLiteral("-b"), QString::fromUtf8(m_bootstrap), QStringLiteral("-t"),
                    QString::fromUtf8(topic), QStringLiteral("-P"), QStringLiteral("-l"), file });
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    QList<Event> events;
    record(&events, topic, N, Engine::Options {});
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(events.size(), qsizetype(N));
    QSet<QByteArray> ids;
    for (const Event& e : events) {
        QVERIFY(!e.isUnparsed());
        QCOMPARE(e.type, QByteArray("OrderShipped"));
        ids.insert(e.id);
    }
    QCOMPARE(ids.size(), qsizetype(N));
}

// A group member commits exactly what it handed over: a second run from the stored offsets reads
// only what came after.
void TestKafkaSource::groupCommitsWhatWasHandedOver()
{
    const QByteArray topic = "grouped";
    createTopic(topic, 4);
    produce(topic, 0, 3000);
    if (QTest::currentTestFailed())
        return;
    std::mutex mutex;
    QList<Event> events;
    auto run = [&](KafkaSource::StartAt startAt, qint64 expected) {
        KafkaSource::Options options;
        options.bootstrapServers = QString::fromUtf8(m_bootstrap);
        options.topics = { QStringLiteral("^group.*") };
        options.group = QStringLiteral("flowscope-test");
        options.startAt = startAt;
        // the mock cluster makes a new member wait for the old one's session to time out
        options.properties = { { "session.timeout.ms", "6000" }, { "heartbeat.interval.ms", "500" } };
        KafkaSource source(options);
        source.setSink([&](EventBatch&& batch) {
            std::lock_guard lock(mutex);
            events.append(batch);
            return true;
        });
        QString error;
        QVERIFY2(source.start(&error), qPrintable(error));
        QElapsedTimer timer;
        timer.start();
        QTRY_COMPARE_WITH_TIMEOUT(source.counters().handedOver.load(), expected, 60000);
        qInfo() << "group member read" << expected << "events in" << timer.elapsed() << "ms";
        QCOMPARE(source.assignedPartitions(), 4);
        source.stop();
        QCOMPARE(source.counters().handedOver.load(), expected);
    };
    run(KafkaSource::StartAt::Beginning, 3000);
    if (QTest::currentTestFailed())
        return;
    checkComplete(events, 0, 3000);
    produce(topic, 3000, 4000);
    events.clear();
    run(KafkaSource::StartAt::Stored, 1000);
    if (QTest::currentTestFailed())
        return;
    checkComplete(events, 3000, 4000);
}

// The sink took every batch but could not store them all (a recording that failed: its drain
// says so): nothing is committed, so the group's next member reads them again instead of going
// on after events that were never stored.
void TestKafkaSource::groupCommitsNothingUnstored()
{
    const QByteArray topic = "unstored";
    createTopic(topic, 2);
    produce(topic, 0, 500);
    if (QTest::currentTestFailed())
        return;
    auto run = [&](bool stored, qint64 expected) {
        KafkaSource::Options options;
        options.bootstrapServers = QString::fromUtf8(m_bootstrap);
        options.topics = { QString::fromUtf8(topic) };
        options.group = QStringLiteral("flowscope-unstored");
        options.startAt = KafkaSource::StartAt::Stored;
        options.commitIntervalMs = 100;
        options.properties = { { "session.timeout.ms", "6000" }, { "heartbeat.interval.ms", "500" } };
        KafkaSource source(options);
        source.setSink([](EventBatch&&) { return true; }, [stored] { return stored; });
        QString error;
        QVERIFY2(source.start(&error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(source.counters().handedOver.load(), expected, 60000);
        QTest::qWait(300); // commit intervals pass
        source.stop();
        QCOMPARE(source.counters().handedOver.load(), expected);
    };
    run(false, 500); // handed over, not stored
    if (QTest::currentTestFailed())
        return;
    run(true, 500); // all of them again: nothing was committed
}

// `flowscope record` as a user runs it, against this process's mock cluster.
void TestKafkaSource::recordCommandMaxEvents()
{
    const QByteArray topic = "cli";
    createTopic(topic, 4);
    produce(topic, 0, 3000);
    if (QTest::currentTestFailed())
        return;
    const QString rec = m_dir.filePath(QStringLiteral("cli.fsrec"));
    const QString props = m_dir.filePath(QStringLiteral("cli.properties"));
    {
        QFile f(props);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("# librdkafka ignores credentials on a plaintext connection\nsasl.password=do-not-print-me\n");
    }
    QProcess p;
    p.start(QStringLiteral(FLOWSCOPE_BINARY),
            { QStringLiteral("record"), QStringLiteral("--kafka"), QString::fromUtf8(m_bootstrap), QStringLiteral("--topic"),
              QStringLiteral("^cl.$"), QStringLiteral("--from"), QStringLiteral("beginning"), QStringLiteral("--config"),
              props, QStringLiteral("--max-events"), QStringLiteral("2500"), QStringLiteral("--out"), rec,
              QStringLiteral("--json") });
    QVERIFY(p.waitForFinished(60000));
    const QByteArray output = p.readAllStandardOutput();
    const QByteArray errors = p.readAllStandardError();
    QVERIFY2(p.exitCode() == 0, errors.constData());
    QVERIFY(!output.contains("do-not-print-me") && !errors.contains("do-not-print-me"));
    const QJsonObject o = QJsonDocument::fromJson(output).object();
    QCOMPARE(o.value(u"events").toInteger(), 2500);
    const QJsonObject source = o.value(u"source").toObject();
    QCOMPARE(source.value(u"recorded").toInteger(), 2500);
    QCOMPARE(source.value(u"state").toString(), QStringLiteral("stopped"));
    QString error;
    auto recording = Recording::open(rec, &error);
    QVERIFY2(recording, qPrintable(error));
    QCOMPARE(recording->eventCount(), 2500);
    qint64 unparsed = 0;
    QVERIFY(recording->readSeqRange(
        1, 2500,
        [&](Event&& e) {
            unparsed += e.isUnparsed() ? 1 : 0;
            return true;
        },
        &error));
    QCOMPARE(o.value(u"unparsed").toInteger(), unparsed);
    QCOMPARE(source.value(u"unparsed").toInteger(), unparsed);
    QVERIFY(unparsed > 0);
    // Their errors, each saying where the record is (topic[partition]@offset: ), in recorded order.
    QJsonArray bad;
    qint64 located = 0;
    QVERIFY(recording->readSeqRange(
        1, 2500,
        [&](Event&& e) {
            if (e.isUnparsed()) {
                bad.append(QJsonObject { { QStringLiteral("error"), QString::fromUtf8(e.error()) } });
                const QByteArray where = "cli[" + QByteArray::number(e.partition) + "]@" + QByteArray::number(e.offset) + ": ";
                located += e.error().startsWith(where) ? 1 : 0;
            }
            return true;
        },
        &error));
    QCOMPARE(located, unparsed);
    QCOMPARE(o.value(u"bad_events").toArray(), bad);
    QVERIFY(recording->meta(QStringLiteral("source")).contains(u"sasl.password=***"));
    QVERIFY(!recording->meta(QStringLiteral("source")).contains(u"do-not-print-me"));
}

void TestKafkaSource::recordCommandInterrupted()
{
    const QString rec = m_dir.filePath(QStringLiteral("cli-int.fsrec"));
    QProcess p;
    p.start(QStringLiteral(FLOWSCOPE_BINARY),
            { QStringLiteral("record"), QStringLiteral("--kafka"), QString::fromUtf8(m_bootstrap), QStringLiteral("--topic"),
              QStringLiteral("cli"), QStringLiteral("--from"), QStringLiteral("beginning"), QStringLiteral("--out"), rec });
    QVERIFY(p.waitForStarted());
    // all 3000 are read, then it waits for more until SIGTERM
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(rec), 30000);
    QString error;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            auto r = Recording::open(rec, &error);
            return r && r->eventCount() == 3000;
        }(),
        30000);
    p.terminate();
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 130);
    const QByteArray output = p.readAllStandardOutput();
    QVERIFY2(output.contains("3000 events recorded (3 unparsed)"), output.constData());
    auto recording = Recording::open(rec, &error);
    QVERIFY2(recording, qPrintable(error));
    QCOMPARE(recording->eventCount(), 3000);
    // The summary lists them, as import lists its bad lines, each saying where it is.
    QByteArray listed = "unparsed events:\n";
    int bad = 0;
    QVERIFY(recording->readSeqRange(
        1, 3000,
        [&](Event&& e) {
            if (e.isUnparsed()) {
                ++bad;
                listed += "  cli[" + QByteArray::number(e.partition) + "]@" + QByteArray::number(e.offset) + ": ";
                listed += e.error().mid(e.error().indexOf(": ") + 2) + '\n';
            }
            return true;
        },
        &error));
    QCOMPARE(bad, 3);
    QVERIFY2(output.contains(listed), output.constData());
    QVERIFY(recording->meta(QStringLiteral("source")).startsWith(u"kafka "));
}

// Review finding 1, as the reviewer found it: `record --from end` suspended (SIGSTOP) while
// retention deletes what it had not read. It used to jump to the end (auto.offset.reset=latest)
// and lose everything still on the broker, saying nothing. Now it reads on from the earliest
// offset still there, and the report says which offsets were deleted. The mock keeps ~5 MiB per
// partition: 8000 records of 1 KiB delete about 3000.
void TestKafkaSource::recordCommandReportsDeletedEvents()
{
    const QByteArray topic = "cli-falloff";
    createTopic(topic, 1);
    const QString rec = m_dir.filePath(QStringLiteral("cli-falloff.fsrec"));
    QProcess p;
    p.start(QStringLiteral(FLOWSCOPE_BINARY),
            { QStringLiteral("record"), QStringLiteral("--kafka"), QString::fromUtf8(m_bootstrap), QStringLiteral("--topic"),
              QString::fromUtf8(topic), QStringLiteral("--from"), QStringLiteral("end"), QStringLiteral("--out"), rec,
              QStringLiteral("--json") });
    QVERIFY(p.waitForStarted());
    auto cont = qScopeGuard([&] { // a failure must not leave it stopped
        ::kill(pid_t(p.processId()), SIGCONT);
        p.kill();
        p.waitForFinished();
    });
    QString error;
    auto recorded = [&] {
        auto r = Recording::open(rec, &error);
        return r ? r->eventCount() : qint64(0);
    };
    const QByteArray pad(1000, 'x');
    int produced = 0;
    auto produce = [&](int n) {
        for (int i = 0; i < n; ++i, ++produced)
            QVERIFY2(m_cluster->produce(topic, "r" + QByteArray::number(produced),
                                        R"({"n":)" + QByteArray::number(produced) + R"(,"pad":")" + pad + "\"}", {},
                                        &error, 0),
                     qPrintable(error));
        QVERIFY2(m_cluster->flush(30000, &error), qPrintable(error));
    };
    // From the end: records produced before it reads the partition are not recorded; one a
    // second until one is.
    QElapsedTimer waited;
    waited.start();
    while (recorded() == 0 && waited.elapsed() < 30000) {
        produce(1);
        if (QTest::currentTestFailed())
            return;
        for (int i = 0; i < 10 && recorded() == 0; ++i)
            QTest::qWait(100);
    }
    QVERIFY(recorded() > 0);
    const int before = produced;
    QCOMPARE(::kill(pid_t(p.processId()), SIGSTOP), 0);
    produce(8000);
    if (QTest::currentTestFailed())
        return;
    const int end = produced;
    int64_t low = -1, high = -1;
    {
        QString e;
        rd_kafka_t* rk = Connectors::KafkaMockCluster::newGroupConsumer(m_bootstrap, "watermarks", &e);
        QVERIFY2(rk, qPrintable(e));
        QCOMPARE(rd_kafka_query_watermark_offsets(rk, topic.constData(), 0, &low, &high, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_destroy(rk);
    }
    QCOMPARE(high, qint64(end));
    QVERIFY(low > before + 1000); // the premise: much of what it had not read is gone
    QCOMPARE(::kill(pid_t(p.processId()), SIGCONT), 0);

    // What was read before the stop, [first, read) with read <= before, then [low, end). The
    // first is where the end was when the source went live: 0, or later on a loaded machine.
    auto lastOffset = [&] {
        auto r = Recording::open(rec, &error);
        qint64 last = -1;
        if (r && r->eventCount() > 0)
            r->readSeqRange(r->eventCount(), r->eventCount(), [&](Event&& e) { last = e.offset; return true; }, &error);
        return last;
    };
    QTRY_COMPARE_WITH_TIMEOUT(lastOffset(), qint64(end - 1), 30000);
    p.terminate();
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 130);
    const QJsonObject o = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    auto recording = Recording::open(rec, &error);
    QVERIFY2(recording, qPrintable(error));
    QList<qint64> offsets;
    QVERIFY(recording->readSeqRange(1, recording->eventCount(), [&](Event&& e) {
        offsets.append(e.offset);
        return true;
    }, &error));
    QVERIFY(!offsets.isEmpty());
    const qint64 first = offsets.first();
    qsizetype readBeforeStop = 0; // how many were read before the stop
    while (readBeforeStop < offsets.size() && offsets[readBeforeStop] == first + readBeforeStop)
        ++readBeforeStop;
    const qint64 read = first + readBeforeStop;
    QVERIFY(readBeforeStop > 0 && read <= before);
    QCOMPARE(offsets.size(), readBeforeStop + qsizetype(end - low));
    for (qsizetype i = readBeforeStop; i < offsets.size(); ++i)
        QCOMPARE(offsets[i], low + (i - readBeforeStop));
    const QJsonObject source = o.value(u"source").toObject();
    QCOMPARE(source.value(u"recorded").toInteger(), offsets.size());
    QCOMPARE(source.value(u"deleted_before_read").toInteger(), low - read);
    QCOMPARE(source.value(u"gaps").toArray(),
             QJsonArray { QStringLiteral("cli-falloff[0] offsets %1..%2 were deleted before they were read").arg(read).arg(low - 1) });
}

void TestKafkaSource::propertiesFileAndSecrets()
{
    const QString file = m_dir.filePath(QStringLiteral("client.properties"));
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("# a comment\n! another\n\nsecurity.protocol=SASL_SSL\nsasl.mechanism: PLAIN\n"
                "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
                "username=\"alice\" password=\"s3cr3t-pw\";\n"
                "ssl.key.password = hunter2\nkey.deserializer=org.apache.kafka.common.serialization.StringDeserializer\n");
    }
    QList<QPair<QByteArray, QByteArray>> props;
    QString error;
    QVERIFY2(KafkaSource::readProperties(file, &props, &error), qPrintable(error));
    const QList<QPair<QByteArray, QByteArray>> expected {
        { "security.protocol", "SASL_SSL" },
        { "sasl.mechanism", "PLAIN" },
        { "ssl.key.password", "hunter2" },
        { "key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer" },
        { "sasl.username", "alice" },
        { "sasl.password", "s3cr3t-pw" },
    };
    QCOMPARE(props, expected);
    KafkaSource::Options options;
    options.bootstrapServers = QStringLiteral("127.0.0.1:1");
    options.topics = { QStringLiteral("t") };
    options.properties = props;
    const KafkaSource source(options);
    const QString text = source.describe();
    QVERIFY(text.contains(u"sasl.username=alice"));
    QVERIFY(text.contains(u"sasl.password=***"));
    QVERIFY(!text.contains(u"s3cr3t-pw"));
    QVERIFY(!text.contains(u"hunter2"));

    QVERIFY(!KafkaSource::readProperties(m_dir.filePath(QStringLiteral("missing")), &props, &error));
    QFile bad(m_dir.filePath(QStringLiteral("bad.properties")));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write("ok=1\njust words\n");
    bad.close();
    QVERIFY(!KafkaSource::readProperties(bad.fileName(), &props, &error));
    QVERIFY2(error.endsWith(u"bad.properties:2: expected key=value"), qPrintable(error));
}

using Properties = QList<QPair<QByteArray, QByteArray>>;

// Review finding 4: files as java.util.Properties.load reads them. A sasl.jaas.config spread
// over three lines with '\' continuations (as Confluent's and Kafka's examples write it) used
// to be refused ("line 4: expected key=value"), and escapes such as "\:" were kept as they were.
void TestKafkaSource::propertiesFileJavaSyntax_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<Properties>("expected");
    QTest::newRow("jaas over three lines")
        << QByteArray("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
                      "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\\n"
                      "    username=\"alice\" \\\n"
                      "    password=\"s3cr3t\";\n")
        << Properties { { "security.protocol", "SASL_PLAINTEXT" }, { "sasl.mechanism", "PLAIN" },
                        { "sasl.username", "alice" }, { "sasl.password", "s3cr3t" } };
    QTest::newRow("escapes")
        << QByteArray("bootstrap.servers=broker1\\:9092,broker2\\:9092\n"
                      "ssl.ca.location = C\\:\\\\certs\\\\ca.pem\n"
                      "client.id=caf\\u00e9 \\ud83d\\ude00\\t.\n"
                      "odd\\ key\\=name=x\\y\n")
        << Properties { { "bootstrap.servers", "broker1:9092,broker2:9092" },
                        { "ssl.ca.location", "C:\\certs\\ca.pem" },
                        { "client.id", "caf\xc3\xa9 \xf0\x9f\x98\x80\t." },
                        { "odd key=name", "xy" } };
    QTest::newRow("separators and space")
        << QByteArray("a : b\nc= d\n  e =f  \ng:h\nkey==v\ntab\t=\tt\ntrailing=kept\\ \n")
        << Properties { { "a", "b" }, { "c", "d" }, { "e", "f" }, { "g", "h" }, { "key", "=v" }, { "tab", "t" },
                        { "trailing", "kept " } };
    QTest::newRow("where continuations end")
        << QByteArray("even=ends\\\\\\\\\nnext=1\n" // two escaped backslashes: no continuation
                      "blank=1\\\n\nafter=2\n"       // a blank line ends it
                      "hash=x\\\n  #not a comment\n" // inside a property, # is text
                      "last=y\\")                    // a continuation at the end of the file
        << Properties { { "even", "ends\\\\" }, { "next", "1" }, { "blank", "1" }, { "after", "2" },
                        { "hash", "x#not a comment" }, { "last", "y" } };
    QTest::newRow("CRLF") << QByteArray("a=1\r\n# c\r\nb=2\\\r\n   3\r\n")
                          << Properties { { "a", "1" }, { "b", "23" } };
}

void TestKafkaSource::propertiesFileJavaSyntax()
{
    QFETCH(QByteArray, text);
    QFETCH(Properties, expected);
    const QString file = m_dir.filePath(QStringLiteral("java.properties"));
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(text);
    }
    Properties props;
    QString error;
    QVERIFY2(KafkaSource::readProperties(file, &props, &error), qPrintable(error));
    QCOMPARE(props, expected);
}

// Errors name the line the property starts on.
void TestKafkaSource::propertiesFileErrors_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("error");
    QTest::newRow("no separator") << QByteArray("ok=1\njust words\n") << QStringLiteral(":2: expected key=value");
    QTest::newRow("lone key") << QByteArray("ok=1\n\nkey\n") << QStringLiteral(":3: expected key=value");
    QTest::newRow("no key") << QByteArray("=1\n") << QStringLiteral(":1: expected key=value");
    QTest::newRow("bad \\u on a continued line")
        << QByteArray("ok=1\nsasl.jaas.config=a \\\n  b \\\n  \\u12x4\n") << QStringLiteral(":2: malformed \\uXXXX escape");
}

void TestKafkaSource::propertiesFileErrors()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, error);
    const QString file = m_dir.filePath(QStringLiteral("bad-java.properties"));
    {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(text);
    }
    Properties props;
    QString message;
    QVERIFY(!KafkaSource::readProperties(file, &props, &message));
    QCOMPARE(message, file + error);
}

void TestKafkaSource::badSettingsFailAtStart()
{
    KafkaSource::Options options;
    options.bootstrapServers = QString::fromUtf8(m_bootstrap);
    options.topics = { QStringLiteral("t") };
    options.startAt = KafkaSource::StartAt::Stored; // needs a group
    QString error;
    QVERIFY(!KafkaSource(options).start(&error));
    QVERIFY(error.contains(u"group"));

    options.startAt = KafkaSource::StartAt::End;
    options.properties = { { "sasl.password", "very-secret" }, { "ssl.key.password", "x" },
                           { "fetch.wait.max.ms", "not-a-number" } };
    KafkaSource source(options);
    QVERIFY(!source.start(&error));
    QVERIFY(error.contains(u"fetch.wait.max.ms"));
    QVERIFY(!error.contains(u"very-secret"));
    QCOMPARE(source.status().state, SourceState::Idle);
}

QTEST_GUILESS_MAIN(TestKafkaSource)
#include "tst_kafkasource.moc"
