// SPDX-License-Identifier: MIT
// Where KafkaSource starts and what it picks up later (issue #5): a start time (offsets for
// times) and, in assign-only mode, topics created after the start that match a pattern. Against
// librdkafka's mock cluster through KafkaMockCluster.
#include <kafkamock.h>
#include <kafkasource.h>

#include <QDateTime>
#include <QElapsedTimer>
#include <QScopeGuard>
#include <QSet>
#include <QTest>

#include <librdkafka/rdkafka.h>

#include <condition_variable>
#include <mutex>

using namespace FlowScope;
using Connectors::KafkaMockCluster;
using Connectors::KafkaSource;
using Connectors::SourceState;

namespace {

// What the source handed over, taken from its sink (on the source's hand-over thread).
struct Sink {
    std::mutex mutex;
    QList<Event> events;
    void attach(KafkaSource& source)
    {
        source.setSink([this](EventBatch&& batch) {
            std::lock_guard lock(mutex);
            events.append(batch);
            return true;
        });
    }
    QList<Event> taken()
    {
        std::lock_guard lock(mutex);
        return events;
    }
    int count()
    {
        std::lock_guard lock(mutex);
        return int(events.size());
    }
};

// A sink that can be shut: while it is, the hand-over waits in it, as behind a slow engine, so
// the source fills its two batches and pauses its partitions.
struct GatedSink : Sink {
    std::condition_variable changed;
    bool shut = false;
    bool waiting = false; // a batch waits at the gate
    QList<int> batchSizes; // of the batches taken, in order
    void attach(KafkaSource& source)
    {
        source.setSink([this](EventBatch&& batch) {
            std::unique_lock lock(mutex);
            waiting = true;
            changed.wait(lock, [this] { return !shut; });
            waiting = false;
            batchSizes.append(int(batch.size()));
            events.append(batch);
            return true;
        });
    }
    void setShut(bool s)
    {
        {
            std::lock_guard lock(mutex);
            shut = s;
        }
        changed.notify_all();
    }
    bool isWaiting()
    {
        std::lock_guard lock(mutex);
        return waiting;
    }
};

// The lowest and the next offset of a partition, asked of the cluster by a consumer of its own.
bool watermarks(const QByteArray& bootstrap, const QByteArray& topic, int partition, qint64* low, qint64* high)
{
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.constData(), errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk)
        return false;
    int64_t lo = -1, hi = -1;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, topic.constData(), partition, &lo, &hi, 5000);
    rd_kafka_destroy(rk);
    *low = lo;
    *high = hi;
    return !err;
}

QSet<QByteArray> keysOf(const QList<Event>& events, const QByteArray& channel = {})
{
    QSet<QByteArray> keys;
    for (const Event& e : events)
        if (channel.isNull() || e.channel == channel)
            keys.insert(e.key);
    return keys;
}

} // namespace

class TestKafkaPositions : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void fromTimeStartsAtTheTimestamp();
    void fromTimeThatCannotBeLookedUpIsNotTheEnd();
    void assignOnlyPicksUpNewTopics();
    void deletedBeforeReadIsReported();
    void fromEndReadsEachTopicOnceItExists();
    void groupReadsNewTopicFromItsBeginning();
    void groupRevokeHandsNothingOverTwice();

private:
    std::unique_ptr<KafkaMockCluster> m_mock;
};

void TestKafkaPositions::initTestCase()
{
    QString error;
    m_mock = KafkaMockCluster::start(1, &error);
    QVERIFY2(m_mock, qPrintable(error));
}

// 100 records an hour old, one a second (CreateTime set by the producer), on two partitions; the
// source starts at the 50th second: exactly records 50..99 are read, then everything produced
// after the start, also a record whose own timestamp is older (positions, not timestamps, decide
// after the start, as in Kafka).
void TestKafkaPositions::fromTimeStartsAtTheTimestamp()
{
    QString error;
    QVERIFY2(m_mock->createTopic("timed", 2, &error), qPrintable(error));
    const qint64 t0 = (QDateTime::currentMSecsSinceEpoch() / 1000 - 3600) * 1000;
    auto produce = [&](int i, qint64 timestampMs) {
        QVERIFY2(m_mock->produce("timed", "k" + QByteArray::number(i), "{\"i\":" + QByteArray::number(i) + "}", {},
                     &error, i % 2, timestampMs),
            qPrintable(error));
    };
    for (int i = 0; i < 100; ++i)
        produce(i, t0 + i * 1000);
    QVERIFY2(m_mock->flush(10000, &error), qPrintable(error));
    const qint64 startMs = t0 + 50 * 1000;

    // Does this cluster look offsets up by time? The first record at or after startMs is record
    // 50: offset 25 on partition 0, record 51 offset 25 on partition 1.
    bool looksUp = false;
    {
        char errstr[512];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", m_mock->bootstrap().constData(), errstr, sizeof errstr);
        rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);
        rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
        QVERIFY2(rk, errstr);
        rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(2);
        rd_kafka_topic_partition_list_add(list, "timed", 0)->offset = startMs;
        rd_kafka_topic_partition_list_add(list, "timed", 1)->offset = startMs;
        const rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, list, 5000);
        looksUp = !err && list->elems[0].offset == 25 && list->elems[1].offset == 25;
        qInfo() << "ListOffsets by timestamp answers" << rd_kafka_err2str(err) << list->elems[0].offset
                << list->elems[1].offset;
        rd_kafka_topic_partition_list_destroy(list);
        rd_kafka_destroy(rk);
    }

    KafkaSource::Options o;
    o.bootstrapServers = QString::fromUtf8(m_mock->bootstrap());
    o.topics = { QStringLiteral("timed") };
    o.startAt = KafkaSource::StartAt::Time;
    o.startTime = startMs * 1000;
    KafkaSource source(o);
    Sink sink;
    sink.attach(source);
    QVERIFY2(source.start(&error), qPrintable(error));
    // Live: assigned, start offsets resolved to offsets (not the logical end), so what is
    // produced from now on is read whatever the timing.
    QTRY_COMPARE_WITH_TIMEOUT(source.status().state, SourceState::Live, 10000);
    for (int i = 100; i < 110; ++i)
        produce(i, t0 + i * 1000);
    produce(110, t0 - 60 * 1000); // produced after the start, stamped before it
    QVERIFY2(m_mock->flush(10000, &error), qPrintable(error));

    QSet<QByteArray> after;
    for (int i = 100; i <= 110; ++i)
        after.insert("k" + QByteArray::number(i));
    QTRY_VERIFY_WITH_TIMEOUT(keysOf(sink.taken()).contains(after), 15000);
    source.stop();
    const QList<Event> events = sink.taken();
    QSet<QByteArray> before = keysOf(events) - after;
    QSet<QByteArray> expected;
    for (int i = 50; i < 100; ++i)
        expected.insert("k" + QByteArray::number(i));
    for (const Event& e : events) // each once, with the broker's timestamp
        QCOMPARE(e.brokerTime / 1000, t0 + (e.key == "k110" ? -60 : e.key.mid(1).toInt()) * 1000);
    QCOMPARE(events.size(), before.size() + after.size());
    if (!looksUp)
        QEXPECT_FAIL("",
            "librdkafka 2.0.2's mock cluster answers ListOffsets by timestamp with offset -1 ('FIXME: by "
            "timestamp' in rdkafka_mock_handlers.c), so the source starts at the end",
            Continue);
    QCOMPARE(before, expected);
    if (!looksUp)
        QCOMPARE(before, QSet<QByteArray>()); // at the end, as documented for "nothing that recent"
}

// Where a start time begins could not be looked up (ListOffsets refused): the source does not
// start at the end instead, which would skip what was written since that time unseen. It says
// so in its status, and tries again; once the broker answers it is live.
void TestKafkaPositions::fromTimeThatCannotBeLookedUpIsNotTheEnd()
{
    QString error;
    QVERIFY2(m_mock->createTopic("timedfail", 1, &error), qPrintable(error));
    QVERIFY2(m_mock->produce("timedfail", "k0", "{}", {}, &error, 0), qPrintable(error));
    QVERIFY2(m_mock->flush(10000, &error), qPrintable(error));
    m_mock->failRequests(2 /* ListOffsets */, 3, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);

    KafkaSource::Options o;
    o.bootstrapServers = QString::fromUtf8(m_mock->bootstrap());
    o.topics = { QStringLiteral("timedfail") };
    o.startAt = KafkaSource::StartAt::Time;
    o.startTime = QDateTime::fromString(QStringLiteral("2026-01-02T03:04:05Z"), Qt::ISODate).toMSecsSinceEpoch() * 1000;
    KafkaSource source(o);
    Sink sink;
    sink.attach(source);
    QVERIFY2(source.start(&error), qPrintable(error));
    const QString expected = QStringLiteral("cannot find where 2026-01-02T03:04:05Z starts in timedfail[0]: ");
    QTRY_VERIFY_WITH_TIMEOUT(source.status().reason.startsWith(expected), 10000);
    QCOMPARE(source.status().state, SourceState::Retrying);
    QCOMPARE(source.assignedPartitions(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(source.status().state, SourceState::Live, 15000); // the errors ran out
    QCOMPARE(source.assignedPartitions(), 1);
    source.stop();
}

// Assign-only with a pattern: a topic created after the start that matches is assigned within a
// metadata refresh and read from its beginning (even though the source started at the end), so
// records produced into it before it was noticed are kept; one that does not match is not.
void TestKafkaPositions::assignOnlyPicksUpNewTopics()
{
    QString error;
    QVERIFY2(m_mock->createTopic("metrics.cpu", 2, &error), qPrintable(error));
    for (int i = 0; i < 10; ++i)
        QVERIFY2(
            m_mock->produce("metrics.cpu", "old" + QByteArray::number(i), "{}", {}, &error, i % 2), qPrintable(error));
    QVERIFY2(m_mock->flush(10000, &error), qPrintable(error));

    KafkaSource::Options o;
    o.bootstrapServers = QString::fromUtf8(m_mock->bootstrap());
    o.topics = { QStringLiteral("^metrics\\.") };
    o.startAt = KafkaSource::StartAt::End;
    o.metadataRefreshMs = 200;
    KafkaSource source(o);
    Sink sink;
    sink.attach(source);
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(source.assignedPartitions(), 2, 10000);

    QVERIFY2(m_mock->createTopic("other.cpu", 2, &error), qPrintable(error)); // does not match
    QVERIFY2(m_mock->createTopic("metrics.disk", 3, &error), qPrintable(error));
    for (int i = 0; i < 30; ++i) {
        QVERIFY2(
            m_mock->produce("metrics.disk", "d" + QByteArray::number(i), "{}", {}, &error, i % 3), qPrintable(error));
        QVERIFY2(m_mock->produce("other.cpu", "o" + QByteArray::number(i), "{}", {}, &error, i % 2), qPrintable(error));
    }
    QVERIFY2(m_mock->flush(10000, &error), qPrintable(error));

    QTRY_COMPARE_WITH_TIMEOUT(sink.count(), 30, 10000);
    QCOMPARE(source.assignedPartitions(), 5); // other.cpu was in the same metadata, and left out
    QSet<QByteArray> disk;
    for (int i = 0; i < 30; ++i)
        disk.insert("d" + QByteArray::number(i));
    const QList<Event> events = sink.taken();
    QCOMPARE(keysOf(events, "metrics.disk"), disk);
    QCOMPARE(keysOf(events, "metrics.cpu"), QSet<QByteArray>()); // before the start, which was at the end
    QCOMPARE(keysOf(events, "other.cpu"), QSet<QByteArray>());
    source.stop();
    QCOMPARE(source.counters().received.load(), 30);
}

// Review finding 1: a source paused behind a slow engine (or stopped) while retention deletes
// what it has not read. Its position is then off the log; with auto.offset.reset=latest it used
// to jump to the end, silently skipping everything still on the broker, and stay "live". Now it
// counts and names the deleted offsets and reads on from the earliest offset still there.
// The mock keeps ~5 MiB per partition: 8000 records of 1 KiB on one partition delete ~3000.
void TestKafkaPositions::deletedBeforeReadIsReported()
{
    QString error;
    const QByteArray topic = "falloff";
    QVERIFY2(m_mock->createTopic(topic, 1, &error), qPrintable(error));
    KafkaSource::Options o;
    o.bootstrapServers = QString::fromUtf8(m_mock->bootstrap());
    o.topics = { QString::fromUtf8(topic) };
    o.startAt = KafkaSource::StartAt::End;
    o.batchSize = 100; // paused with a few hundred read
    KafkaSource source(o);
    GatedSink sink;
    sink.attach(source);
    const auto reopen = qScopeGuard([&] { sink.setShut(false); }); // else a failure would hang in stop()
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(source.status().state, SourceState::Live, 10000);

    sink.setShut(true);
    constexpr int N = 8000;
    const QByteArray pad(1000, 'x');
    int produced = 0;
    auto produce = [&](int to) {
        for (; produced < to; ++produced)
            QVERIFY2(m_mock->produce(topic, "r" + QByteArray::number(produced),
                                     R"({"n":)" + QByteArray::number(produced) + R"(,"pad":")" + pad + "\"}", {},
                                     &error, 0),
                     qPrintable(error));
        QVERIFY2(m_mock->flush(30000, &error), qPrintable(error));
    };
    // Read from the end: one record at a time until one is read.
    for (int i = 0; i < 50 && source.counters().received.load() == 0; ++i) {
        produce(produced + 1);
        if (QTest::currentTestFailed())
            return;
        QTest::qWait(200);
    }
    QVERIFY(source.counters().received.load() > 0);
    // A few batches are read, then the source pauses (the hand-over waits at the gate) ...
    produce(produced + 500);
    if (QTest::currentTestFailed())
        return;
    QTRY_VERIFY_WITH_TIMEOUT(source.pauses() > 0, 10000);
    // ... while retention deletes what it has not read yet.
    produce(N);
    if (QTest::currentTestFailed())
        return;
    qint64 low = -1, high = -1;
    QVERIFY(watermarks(m_mock->bootstrap(), topic, 0, &low, &high));
    QCOMPARE(high, qint64(N));
    qInfo() << "the broker keeps offsets" << low << "to" << high - 1;
    QVERIFY(low > 1000); // the premise: a good part was deleted

    sink.setShut(false);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const QList<Event> e = sink.taken();
            return !e.isEmpty() && e.last().offset == N - 1;
        }(),
        30000);
    const Connectors::SourceStatus status = source.status();
    source.stop();
    // Offsets [first, read) were read before the pause, [read, low) deleted, [low, N) read after
    // it: each exactly once, in order, nothing else.
    const QList<Event> events = sink.taken();
    QVERIFY(!events.isEmpty());
    const qint64 first = events.first().offset;
    qint64 read = first;
    while (read - first < events.size() && events[read - first].offset == read)
        ++read;
    QVERIFY(read > first);
    QVERIFY(read < low);
    QCOMPARE(events.size(), qsizetype(read - first + (N - low)));
    for (qsizetype i = read - first; i < events.size(); ++i) {
        QCOMPARE(events[i].offset, low + (i - (read - first)));
        QCOMPARE(events[i].key, "r" + QByteArray::number(events[i].offset));
    }
    QCOMPARE(source.counters().received.load(), qint64(events.size()));
    QCOMPARE(source.deletedBeforeRead(), low - read);
    const QString gap = QStringLiteral("falloff[0] offsets %1..%2 were deleted before they were read").arg(read).arg(low - 1);
    QCOMPARE(source.gaps(), QStringList { gap });
    QCOMPARE(status.state, SourceState::Live); // reading on, and saying what was lost
    QCOMPARE(status.reason, gap);
}

// Review finding 2: --from end with two topics, one not created yet. The source used to assign
// nothing until every topic existed, then started all of them at their end: the events written
// to the first topic meanwhile, and the first ones of the late topic, were lost. Now each topic
// is read once it exists: those there at the start from their end, as offsets asked for before
// the status says live (so what is produced from then on is read), a later one from its
// beginning. The late topic is looked for every second, however seldom the metadata is
// refreshed otherwise.
void TestKafkaPositions::fromEndReadsEachTopicOnceItExists()
{
    QString error;
    QVERIFY2(m_mock->createTopic("early", 2, &error), qPrintable(error));
    for (int i = 0; i < 10; ++i) // before the start, which is at the end
        QVERIFY2(m_mock->produce("early", "old" + QByteArray::number(i), "{}", {}, &error, i % 2), qPrintable(error));
    QVERIFY2(m_mock->flush(10000, &error), qPrintable(error));

    KafkaSource::Options o;
    o.bootstrapServers = QString::fromUtf8(m_mock->bootstrap());
    o.topics = { QStringLiteral("early"), QStringLiteral("late") };
    o.startAt = KafkaSource::StartAt::End;
    o.metadataRefreshMs = 60000;
    KafkaSource source(o);
    Sink sink;
    sink.attach(source);
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(source.status().state, SourceState::Live, 10000);
    QCOMPARE(source.assignedPartitions(), 2);
    QCOMPARE(source.status().reason, QStringLiteral("topic late not found (read from its beginning once it exists)"));

    // Produced as soon as it is live: read.
    for (int i = 0; i < 10; ++i)
        QVERIFY2(m_mock->produce("early", "e" + QByteArray::number(i), "{}", {}, &error, i % 2), qPrintable(error));
    QVERIFY2(m_mock->flush(10000, &error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(sink.count(), 10, 10000);

    // Written to before the source notices it: read from its beginning.
    QVERIFY2(m_mock->createTopic("late", 3, &error), qPrintable(error));
    for (int i = 0; i < 30; ++i)
        QVERIFY2(m_mock->produce("late", "l" + QByteArray::number(i), "{}", {}, &error, i % 3), qPrintable(error));
    QVERIFY2(m_mock->flush(10000, &error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(sink.count(), 40, 10000);
    QCOMPARE(source.assignedPartitions(), 5);
    QTRY_COMPARE_WITH_TIMEOUT(source.status().reason, QString(), 5000);
    QCOMPARE(source.status().state, SourceState::Live);
    source.stop();

    QSet<QByteArray> early, late;
    for (int i = 0; i < 10; ++i)
        early.insert("e" + QByteArray::number(i));
    for (int i = 0; i < 30; ++i)
        late.insert("l" + QByteArray::number(i));
    const QList<Event> events = sink.taken();
    QCOMPARE(keysOf(events, "early"), early);
    QCOMPARE(keysOf(events, "late"), late);
    QCOMPARE(events.size(), 40);
    QCOMPARE(source.counters().received.load(), 40);
}

// Review finding 5: a group member subscribed to a pattern, from the end. A topic created later
// that matches is assigned at the next rebalance; its partitions used to get the start position
// too (the end, then), so what was written to them before that rebalance was lost. Partitions
// that did not exist at the start now start at their committed offset, else their beginning.
void TestKafkaPositions::groupReadsNewTopicFromItsBeginning()
{
    QString error;
    QVERIFY2(m_mock->createTopic("grp.a", 2, &error), qPrintable(error));
    auto produce = [&](const QByteArray& topic, const QByteArray& prefix, int from, int to) {
        for (int i = from; i < to; ++i)
            QVERIFY2(m_mock->produce(topic, prefix + QByteArray::number(i), "{}", {}, &error, i % 2), qPrintable(error));
        QVERIFY2(m_mock->flush(10000, &error), qPrintable(error));
    };
    produce("grp.a", "a", 0, 10); // before the start, which is at the end
    KafkaSource::Options o;
    o.bootstrapServers = QString::fromUtf8(m_mock->bootstrap());
    o.topics = { QStringLiteral("^grp\\.") };
    o.group = QStringLiteral("flowscope-newtopic");
    o.startAt = KafkaSource::StartAt::End;
    // a new matching topic is seen at librdkafka's next metadata refresh, then the group rebalances
    o.properties = { { "session.timeout.ms", "6000" },
                     { "heartbeat.interval.ms", "500" },
                     { "topic.metadata.refresh.interval.ms", "1000" } };
    KafkaSource source(o);
    Sink sink;
    sink.attach(source);
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(source.assignedPartitions(), 2, 20000);
    QTRY_COMPARE_WITH_TIMEOUT(source.status().state, SourceState::Live, 5000);
    produce("grp.a", "a", 10, 20); // once live: read
    QVERIFY2(m_mock->createTopic("grp.b", 2, &error), qPrintable(error));
    produce("grp.b", "b", 0, 10); // before this member has it: read too
    QTRY_COMPARE_WITH_TIMEOUT(source.assignedPartitions(), 4, 30000);
    QTRY_COMPARE_WITH_TIMEOUT(sink.count(), 20, 20000);
    source.stop();
    QSet<QByteArray> a, b;
    for (int i = 10; i < 20; ++i)
        a.insert("a" + QByteArray::number(i));
    for (int i = 0; i < 10; ++i)
        b.insert("b" + QByteArray::number(i));
    const QList<Event> events = sink.taken();
    QCOMPARE(keysOf(events, "grp.a"), a);
    QCOMPARE(keysOf(events, "grp.b"), b);
    QCOMPARE(events.size(), 20);
    QCOMPARE(source.counters().received.load(), 20);
}

// Review finding 5: a rebalance while a member holds events it read but has not handed over (its
// engine is behind). The revoke used to commit what had been handed over and then hand the rest
// over anyway, although the partitions' next owners read them again from the committed offsets:
// recorded twice. Now the revoke waits for the batch in hand, then drops the revoked partitions'
// events that wait, commits and forgets those partitions.
//
// What this mock cannot show: librdkafka 2.0.2's mock refuses OffsetCommit while the group is
// joining (REBALANCE_IN_PROGRESS, where a real broker takes a commit of the current generation),
// so the revoke's commit fails here and both members start again from the beginning. What it can
// show: after the batch in hand, the first member hands over nothing read before the rebalance,
// so every event recorded twice is one of that first batch (the old code also handed over the
// two batches waiting behind it and the one being filled).
void TestKafkaPositions::groupRevokeHandsNothingOverTwice()
{
    QString error;
    constexpr int N = 2000;
    QVERIFY2(m_mock->createTopic("split", 2, &error), qPrintable(error));
    for (int i = 0; i < N; ++i)
        QVERIFY2(m_mock->produce("split", "s" + QByteArray::number(i), "{}", {}, &error, i % 2), qPrintable(error));
    QVERIFY2(m_mock->flush(10000, &error), qPrintable(error));

    KafkaSource::Options o;
    o.bootstrapServers = QString::fromUtf8(m_mock->bootstrap());
    o.topics = { QStringLiteral("split") };
    o.group = QStringLiteral("flowscope-split");
    o.startAt = KafkaSource::StartAt::Stored; // nothing committed yet: the beginning
    o.batchSize = 100;
    o.properties = { { "session.timeout.ms", "6000" }, { "heartbeat.interval.ms", "500" } };
    KafkaSource first(o), second(o);
    GatedSink firstSink;
    Sink secondSink;
    firstSink.attach(first);
    secondSink.attach(second);
    const auto reopen = qScopeGuard([&] { firstSink.setShut(false); });
    firstSink.setShut(true); // its engine is behind: a batch in hand, two waiting, paused
    QVERIFY2(first.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(first.assignedPartitions(), 2, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(first.pauses() > 0 && firstSink.isWaiting(), 20000);

    QVERIFY2(second.start(&error), qPrintable(error)); // the group rebalances
    QTRY_VERIFY_WITH_TIMEOUT(first.revokes() > 0, 30000);
    firstSink.setShut(false); // the revoke waits for the batch in hand, then goes on
    QTRY_VERIFY_WITH_TIMEOUT(first.assignedPartitions() == 1 && second.assignedPartitions() == 1, 30000);
    // each member reads its partition to the end (1000 records each)
    auto done = [&](Sink& sink) {
        qint64 ends = 0;
        for (const Event& e : sink.taken())
            ends += e.offset == N / 2 - 1 ? 1 : 0;
        return ends;
    };
    QTRY_VERIFY_WITH_TIMEOUT(done(firstSink) >= 1 && done(secondSink) >= 1, 30000);
    const qint64 revokes = first.revokes(), secondRevokes = second.revokes(); // before stop(), whose leaving revokes too
    first.stop();
    second.stop();

    const QList<Event> a = firstSink.taken(), b = secondSink.taken();
    QVERIFY(!firstSink.batchSizes.isEmpty());
    const qsizetype inHand = firstSink.batchSizes.first();
    QVERIFY(inHand > 0 && inHand <= 100);
    QVERIFY(a.size() > inHand);
    QVERIFY(!b.isEmpty());
    const qint32 kept = a[inHand].partition; // the first member's partition after the rebalance
    // After the batch in hand, each member hands over only its own partition's events, in order
    // to the end. The mock refuses the revoke's commit while the group rejoins (a broker takes
    // it), so when a later rebalance revokes a member's partition too, it comes back at the last
    // commit and what was handed over since is read again: a step back only after a revoke (CI
    // saw the group rebalance twice more: three revokes, two steps back, and one after the end
    // had been reached), never a gap.
    struct Walk {
        qsizetype stepsBack = 0;
        QString wrong; // empty when the walk is as described
    };
    auto walk = [&](const QList<Event>& events, qsizetype from, qint32 partition, qint64 revoked) -> Walk {
        qsizetype steps = 0;
        qint64 highest = -1;
        for (qsizetype i = from; i < events.size(); ++i) {
            if (events[i].partition != partition)
                return { steps, QStringLiteral("partition %1 at %2").arg(events[i].partition).arg(i) };
            if (i > from && events[i].offset != events[i - 1].offset + 1) {
                if (events[i].offset > events[i - 1].offset)
                    return { steps, QStringLiteral("a gap after offset %1").arg(events[i - 1].offset) };
                ++steps;
            }
            highest = std::max(highest, events[i].offset);
        }
        if (steps > revoked)
            return { steps, QStringLiteral("%1 steps back after %2 revokes").arg(steps).arg(revoked) };
        if (highest != N / 2 - 1)
            return { steps, QStringLiteral("read to offset %1").arg(highest) };
        return { steps, {} };
    };
    const Walk firstWalk = walk(a, inHand, kept, revokes), secondWalk = walk(b, 0, 1 - kept, secondRevokes);
    QVERIFY2(firstWalk.wrong.isEmpty(), qPrintable(QStringLiteral("first member: ") + firstWalk.wrong));
    QVERIFY2(secondWalk.wrong.isEmpty(), qPrintable(QStringLiteral("second member: ") + secondWalk.wrong));
    const qsizetype stepsBack = firstWalk.stepsBack, secondStepsBack = secondWalk.stepsBack;
    // Nothing lost; whatever was recorded more than once is in the batch that was in hand (the
    // revoked partition's next owner starts at the last commit) or the kept partition read again,
    // once per step back.
    QSet<QByteArray> firstBatch;
    for (qsizetype i = 0; i < inHand; ++i)
        firstBatch.insert(a[i].key);
    QHash<QByteArray, int> seen;
    for (const Event& e : a + b) {
        const qsizetype again = e.partition == kept ? stepsBack : secondStepsBack;
        if (seen.contains(e.key))
            QVERIFY2(firstBatch.contains(e.key) || again > 0, e.key.constData());
        const qsizetype most = 1 + (firstBatch.contains(e.key) ? 1 : 0) + again;
        QVERIFY2(++seen[e.key] <= most, e.key.constData());
    }
    QCOMPARE(seen.size(), qsizetype(N));
    qInfo() << "in hand at the revoke" << inHand << "; recorded more than once (the mock refuses the revoke's commit)"
            << a.size() + b.size() - N << "; revokes" << revokes << secondRevokes << "; steps back" << stepsBack << secondStepsBack;
}

QTEST_GUILESS_MAIN(TestKafkaPositions)
#include "tst_kafkapositions.moc"
