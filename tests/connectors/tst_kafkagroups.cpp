// SPDX-License-Identifier: MIT
// Consumer-group facts (issue #5): KafkaGroupWatcher against librdkafka's mock cluster, with a
// real group member that consumes and commits, the facts laid over the engine's topology, and
// `flowscope record --groups`. What the mock cannot answer (it has no ListGroups and no
// DescribeGroups, so no members) is tested on hand-built reads through KafkaGroupWatcher::combine.
#include <engine.h>
#include <kafkagroupwatcher.h>
#include <kafkamock.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

using namespace FlowScope;
using namespace Qt::StringLiterals;
using Connectors::KafkaGroupWatcher;
using Connectors::KafkaMockCluster;

namespace {

// A real member of a consumer group, polled on its own thread as a service would be: it joins,
// consumes up to the target it is given, commits synchronously what it consumed (every partition
// of the topic: the next offset to read, 0 where it read nothing), then holds with its partitions
// paused, still a member, until it is given a higher target.
class GroupMember {
public:
    GroupMember(const QByteArray& bootstrap, const QByteArray& group, const QByteArray& topic, int partitions)
        : m_topic(topic)
        , m_next(size_t(partitions), 0)
    {
        m_rk = KafkaMockCluster::newGroupConsumer(bootstrap, group, &m_error);
        if (!m_rk)
            return;
        rd_kafka_poll_set_consumer(m_rk);
        rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, topic.constData(), RD_KAFKA_PARTITION_UA);
        const rd_kafka_resp_err_t err = rd_kafka_subscribe(m_rk, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (err) {
            m_error = QString::fromUtf8(rd_kafka_err2str(err));
            return;
        }
        m_thread = std::thread([this] { run(); });
    }
    ~GroupMember()
    {
        m_stop = true;
        if (m_thread.joinable())
            m_thread.join();
        if (m_rk) {
            rd_kafka_consumer_close(m_rk);
            rd_kafka_destroy(m_rk);
        }
    }
    QString error() const
    {
        std::lock_guard lock(m_mutex);
        return m_error;
    }
    void consumeUpTo(qint64 target) { m_target = target; }
    qint64 committed() const { return m_committed.load(); }

private:
    void setPaused(bool paused)
    {
        rd_kafka_topic_partition_list_t* assigned = nullptr;
        if (rd_kafka_assignment(m_rk, &assigned) || !assigned)
            return;
        if (paused)
            rd_kafka_pause_partitions(m_rk, assigned);
        else
            rd_kafka_resume_partitions(m_rk, assigned);
        rd_kafka_topic_partition_list_destroy(assigned);
    }
    void run()
    {
        qint64 consumed = 0;
        bool paused = false;
        while (!m_stop) {
            if (consumed >= m_target.load()) {
                if (rd_kafka_message_t* m = rd_kafka_consumer_poll(m_rk, 50)) // keeps it a member
                    rd_kafka_message_destroy(m); // paused: only events, no messages
                continue;
            }
            if (paused) {
                setPaused(false);
                paused = false;
            }
            rd_kafka_message_t* m = rd_kafka_consumer_poll(m_rk, 100);
            if (!m)
                continue;
            if (!m->err) {
                m_next[size_t(m->partition)] = m->offset + 1;
                ++consumed;
            }
            rd_kafka_message_destroy(m);
            if (consumed < m_target.load())
                continue;
            rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(int(m_next.size()));
            for (size_t p = 0; p < m_next.size(); ++p)
                rd_kafka_topic_partition_list_add(offsets, m_topic.constData(), int(p))->offset = m_next[p];
            const rd_kafka_resp_err_t err = rd_kafka_commit(m_rk, offsets, 0); // synchronous
            rd_kafka_topic_partition_list_destroy(offsets);
            setPaused(true);
            paused = true;
            if (err) {
                std::lock_guard lock(m_mutex);
                m_error = QStringLiteral("commit: ") + QString::fromUtf8(rd_kafka_err2str(err));
            } else {
                m_committed = consumed;
            }
        }
    }

    QByteArray m_topic;
    rd_kafka_t* m_rk = nullptr;
    std::thread m_thread;
    std::vector<qint64> m_next; // per partition: the next offset to read (member thread only)
    std::atomic<qint64> m_target { 0 };
    std::atomic<qint64> m_committed { 0 };
    std::atomic<bool> m_stop { false };
    mutable std::mutex m_mutex;
    QString m_error;
};

// The consumes edge `from` -> `to` of the engine's last snapshot, or an empty object.
QJsonObject consumesEdge(const Engine& engine, const QString& from, const QString& to)
{
    const QJsonArray edges = engine.snapshot()->state.value(u"topology").toObject().value(u"edges").toArray();
    for (const QJsonValue& v : edges) {
        const QJsonObject e = v.toObject();
        if (e.value(u"from").toString() == from && e.value(u"to").toString() == to
            && e.value(u"kind").toString() == u"consumes")
            return e;
    }
    return {};
}

GroupFact factOf(const GroupFacts& facts, const QByteArray& group, const QByteArray& topic)
{
    for (const GroupFact& f : facts)
        if (f.group == group && f.topic == topic)
            return f;
    return GroupFact { group, topic, -2, -2 }; // -2: no such fact
}

} // namespace

class TestKafkaGroups : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void combineCountsMembersAndLag();
    void mockDoesNotListGroups();
    void lagOfARealMember();
    void lagFromCommittedOffsetsAlone();
    void recordCommandShowsGroups();
    void recordCommandRefusesGroupsWithoutKafka();

private:
    void produce(const QByteArray& topic, int partitions, int count);

    std::unique_ptr<KafkaMockCluster> m_mock;
    QTemporaryDir m_dir;
};

void TestKafkaGroups::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QString error;
    m_mock = KafkaMockCluster::start(1, &error);
    QVERIFY2(m_mock, qPrintable(error));
}

// `count` records spread evenly: record i goes to partition i % partitions.
void TestKafkaGroups::produce(const QByteArray& topic, int partitions, int count)
{
    QString error;
    for (int i = 0; i < count; ++i)
        QVERIFY2(m_mock->produce(topic, "k" + QByteArray::number(i), "{\"i\":" + QByteArray::number(i) + "}", {},
                     &error, i % partitions),
            qPrintable(error));
    QVERIFY2(m_mock->flush(10000, &error), qPrintable(error));
}

// What a real cluster answers and the mock cannot (members and their assignments), on hand-built
// reads: members count per topic, lag only over partitions with a committed offset.
void TestKafkaGroups::combineCountsMembersAndLag()
{
    KafkaGroupWatcher::Round r;
    r.groups = {
        { "billing", true,
            { { "m1", { { "payments", 0 }, { "payments", 1 } } },
                { "m2", { { "payments", 2 }, { "payments", 3 }, { "refunds", 0 } } } } },
        { "reports", false, {} }, // not described: members unknown
        { "idle", true, {} }, // described, empty, no offsets: no fact
    };
    r.committed["billing"] = { { { "payments", 0 }, 100 }, { { "payments", 1 }, 250 }, { { "payments", 3 }, 70 } };
    r.committed["reports"] = { { { "payments", 0 }, 150 }, { { "audit", 0 }, 5 } };
    // payments 2 has no commit (left out of the lag); 3's end was read before its commit landed
    r.ends = { { { "payments", 0 }, 150 }, { { "payments", 1 }, 250 }, { { "payments", 2 }, 300 },
        { { "payments", 3 }, 60 }, { { "audit", 0 }, 9 } };
    const GroupFacts all = KafkaGroupWatcher::combine(r, [](const QByteArray&) { return true; });
    const GroupFacts expected {
        { "billing", "payments", 2, 50 }, // 150-100 + 250-250 + max(0, 60-70)
        { "billing", "refunds", 1, -1 }, // assigned, nothing committed: lag unknown
        { "reports", "audit", -1, 4 },
        { "reports", "payments", -1, 0 },
    };
    QCOMPARE(all, expected);
    const GroupFacts payments = KafkaGroupWatcher::combine(r, [](const QByteArray& t) { return t == "payments"; });
    QCOMPARE(payments, (GroupFacts { expected[0], expected[3] }));
}

// librdkafka 2.0.2's mock cluster has no ListGroups (nor DescribeGroups): the watcher says so,
// keeps going, and has no facts unless groups are named.
void TestKafkaGroups::mockDoesNotListGroups()
{
    KafkaGroupWatcher::Options o;
    o.bootstrapServers = QString::fromUtf8(m_mock->bootstrap());
    o.intervalMs = 100;
    KafkaGroupWatcher watcher(o);
    QString error;
    QVERIFY2(watcher.start(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(watcher.rounds() >= 2, 15000); // the client does not hang after it
    QVERIFY2(watcher.error().contains(u"does not list consumer groups"), qPrintable(watcher.error()));
    QVERIFY2(watcher.error().contains(u"Required feature not supported by broker"), qPrintable(watcher.error()));
    QVERIFY2(watcher.error().contains(u"name the groups"), qPrintable(watcher.error()));
    QVERIFY(watcher.facts().isEmpty());
    watcher.stop();
}

// The scenario: 1000 events on 4 partitions, a real member of group "billing" consumes 600
// and commits: lag exactly 400, and the topology shows payments -> billing with it; the member
// consumes and commits the rest: lag 0.
void TestKafkaGroups::lagOfARealMember()
{
    QString error;
    QVERIFY2(m_mock->createTopic("payments", 4, &error), qPrintable(error));
    produce("payments", 4, 1000);
    if (QTest::currentTestFailed())
        return;
    GroupMember member(m_mock->bootstrap(), "billing", "payments", 4);
    QVERIFY2(member.error().isEmpty(), qPrintable(member.error()));
    member.consumeUpTo(600);
    QTRY_COMPARE_WITH_TIMEOUT(member.committed(), qint64(600), 15000); // the first join takes ~3 s
    QVERIFY2(member.error().isEmpty(), qPrintable(member.error()));

    Engine engine; // no flow: the topology shows because there are group facts
    engine.start();
    KafkaGroupWatcher::Options o;
    o.bootstrapServers = QString::fromUtf8(m_mock->bootstrap());
    o.topics = { QStringLiteral("payments") };
    o.groups = { QStringLiteral("billing") }; // the mock lists no groups: name it
    o.intervalMs = 200;
    KafkaGroupWatcher watcher(o);
    watcher.setHandler([&engine](const GroupFacts& facts) { engine.setGroupFacts(facts); });
    QVERIFY2(watcher.start(&error), qPrintable(error));

    QTRY_COMPARE_WITH_TIMEOUT(factOf(watcher.facts(), "billing", "payments").lag, qint64(400), 10000);
    QCOMPARE(watcher.facts().size(), 1);
    // the mock does not describe groups: the member is there but cannot be counted
    QCOMPARE(factOf(watcher.facts(), "billing", "payments").members, -1);
    QTRY_COMPARE(consumesEdge(engine, u"payments"_s, u"billing"_s).value(u"lag").toInteger(-1), 400);
    QJsonObject edge = consumesEdge(engine, u"payments"_s, u"billing"_s);
    QCOMPARE(edge.value(u"observed").toBool(), true);
    QCOMPARE(edge.value(u"count").toInteger(), 0); // no event folded: a fact, not a count
    QCOMPARE(edge.value(u"groups").toArray(), QJsonArray { u"billing"_s });
    QVERIFY(edge.value(u"members").isNull());

    member.consumeUpTo(1000);
    QTRY_COMPARE_WITH_TIMEOUT(member.committed(), qint64(1000), 15000);
    QTRY_COMPARE_WITH_TIMEOUT(factOf(watcher.facts(), "billing", "payments").lag, qint64(0), 10000);
    QTRY_COMPARE(consumesEdge(engine, u"payments"_s, u"billing"_s).value(u"lag").toInteger(-1), 0);
    watcher.stop();
    engine.stop();
    QVERIFY2(member.error().isEmpty(), qPrintable(member.error()));
}

// A group with committed offsets and no member: lag over the partitions it committed on; topics by
// pattern; a named group with nothing anywhere has no fact.
void TestKafkaGroups::lagFromCommittedOffsetsAlone()
{
    QString error;
    QVERIFY2(m_mock->createTopic("ledger", 4, &error), qPrintable(error));
    QVERIFY2(m_mock->createTopic("ledger-archive", 2, &error), qPrintable(error));
    produce("ledger", 4, 100); // 25 a partition
    produce("ledger-archive", 2, 10);
    if (QTest::currentTestFailed())
        return;
    // caught up on partition 1, 15 behind on 0, nothing committed on 2 and 3
    QVERIFY2(
        m_mock->commitOffsets("audit", "ledger", { 10, 25, -1, -1 }, &error), qPrintable(error));

    KafkaGroupWatcher::Options o;
    o.bootstrapServers = QString::fromUtf8(m_mock->bootstrap());
    o.topics = { QStringLiteral("^ledger") };
    o.groups = { QStringLiteral("audit"), QStringLiteral("nobody") };
    o.intervalMs = 200;
    KafkaGroupWatcher watcher(o);
    QVERIFY2(watcher.start(&error), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(watcher.rounds() >= 1, 15000);
    QCOMPARE(watcher.facts(), (GroupFacts { { "audit", "ledger", -1, 15 } }));

    QVERIFY2(
        m_mock->commitOffsets("audit", "ledger", { 25, 25, 20, 25 }, &error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(factOf(watcher.facts(), "audit", "ledger").lag, qint64(5), 10000);
    watcher.stop();
}

// flowscope record --groups: the printed topology has the group's edge with its lag; the
// recording does not (group facts are live only).
void TestKafkaGroups::recordCommandShowsGroups()
{
    QString error;
    QVERIFY2(m_mock->createTopic("shipments", 4, &error), qPrintable(error));
    produce("shipments", 4, 400); // 100 a partition
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(m_mock->commitOffsets("shipping", "shipments", { 100, 100, 100, 70 }, &error),
        qPrintable(error));
    const QString rec = m_dir.filePath(QStringLiteral("groups.fsrec"));
    QProcess p;
    p.start(QStringLiteral(FLOWSCOPE_BINARY),
        { QStringLiteral("record"), QStringLiteral("--kafka"), QString::fromUtf8(m_mock->bootstrap()),
            QStringLiteral("--topic"), QStringLiteral("shipments"), QStringLiteral("--from"),
            QStringLiteral("beginning"), QStringLiteral("--watch-group"), QStringLiteral("shipping"),
            QStringLiteral("--groups-interval"), QStringLiteral("200ms"), QStringLiteral("--max-events"),
            QStringLiteral("400"), QStringLiteral("--out"), rec, QStringLiteral("--json") });
    QVERIFY(p.waitForFinished(60000));
    const QByteArray output = p.readAllStandardOutput();
    const QByteArray errors = p.readAllStandardError();
    QVERIFY2(p.exitCode() == 0, errors.constData());
    // the mock lists no groups: said once on stderr, and in the JSON
    QVERIFY2(errors.contains("consumer groups: the cluster does not list consumer groups"), errors.constData());
    const QJsonObject o = QJsonDocument::fromJson(output).object();
    QCOMPARE(o.value(u"events").toInteger(), 400);
    QJsonObject edge;
    for (const QJsonValue& v : o.value(u"topology").toObject().value(u"edges").toArray())
        if (v[u"from"].toString() == u"shipments" && v[u"to"].toString() == u"shipping")
            edge = v.toObject();
    QCOMPARE(edge.value(u"kind").toString(), u"consumes"_s);
    QCOMPARE(edge.value(u"lag").toInteger(), 30);
    QCOMPARE(edge.value(u"observed").toBool(), true);
    const QJsonObject groups = o.value(u"groups").toObject();
    QVERIFY(groups.value(u"rounds").toInteger() >= 1);
    QVERIFY(groups.value(u"error").toString().contains(u"does not list consumer groups"));
    const QJsonArray facts = groups.value(u"facts").toArray();
    QCOMPARE(facts.size(), 1);
    QCOMPARE(facts[0][u"group"].toString(), u"shipping"_s);
    QCOMPARE(facts[0][u"topic"].toString(), u"shipments"_s);
    QCOMPARE(facts[0][u"lag"].toInteger(), 30);
    QVERIFY(facts[0][u"members"].isNull());

    // inspect reads the recording alone: no group, no lag
    QProcess inspect;
    inspect.start(QStringLiteral(FLOWSCOPE_BINARY), { QStringLiteral("inspect"), rec, QStringLiteral("--json") });
    QVERIFY(inspect.waitForFinished(30000));
    QCOMPARE(inspect.exitCode(), 0);
    const QByteArray inspected = inspect.readAllStandardOutput();
    const QJsonObject i = QJsonDocument::fromJson(inspected).object();
    QCOMPARE(i.value(u"events").toInteger(), 400);
    QVERIFY(!i.contains(u"topology"));
    QVERIFY2(!inspected.contains("shipping"), inspected.constData());
}

void TestKafkaGroups::recordCommandRefusesGroupsWithoutKafka()
{
    const QString file = m_dir.filePath(QStringLiteral("events.jsonl"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.close();
    for (const QStringList& extra : { QStringList { QStringLiteral("--groups") },
             QStringList { QStringLiteral("--watch-group"), QStringLiteral("billing") } }) {
        QProcess p;
        p.start(QStringLiteral(FLOWSCOPE_BINARY),
            QStringList { QStringLiteral("record"), QStringLiteral("--follow"), file, QStringLiteral("--out"),
                m_dir.filePath(QStringLiteral("never.fsrec")) }
                + extra);
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 2);
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(err.contains(QByteArray(extra.constFirst().toUtf8() + " goes with --kafka")), err.constData());
    }
    // a bad interval is refused too
    QProcess p;
    p.start(QStringLiteral(FLOWSCOPE_BINARY),
        { QStringLiteral("record"), QStringLiteral("--kafka"), QString::fromUtf8(m_mock->bootstrap()),
            QStringLiteral("--topic"), QStringLiteral("t"), QStringLiteral("--groups-interval"), QStringLiteral("soon"),
            QStringLiteral("--out"), m_dir.filePath(QStringLiteral("never.fsrec")) });
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(p.readAllStandardError().contains("--groups-interval takes a duration"));
}

QTEST_GUILESS_MAIN(TestKafkaGroups)
#include "tst_kafkagroups.moc"
