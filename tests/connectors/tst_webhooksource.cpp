// SPDX-License-Identifier: MIT
// WebhookSource against a real peer on loopback: QNetworkAccessManager POSTing to the source's
// Qt HTTP server on 127.0.0.1, on a port the system chose.
#include "collector.h"

#include <engine.h>
#include <recording.h>
#include <webhooksource.h>

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <otherconnection.h>

#include <memory>
#include <mutex>

using namespace FlowScope;
using Testing::Collector;
using Connectors::WebhookSource;

namespace {

const QByteArray Structured = R"({"specversion":"1.0","id":"s-1","type":"OrderCreated","source":"/shop",)"
                              R"("time":"2024-05-01T12:00:00Z","datacontenttype":"application/json",)"
                              R"("data":{"orderId":"o1","amount":12}})";

} // namespace

class TestWebhookSource : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void structuredAndBinaryMode();
    void batchMode();
    void signatureAcceptedAndRefused();
    void oversizeBodyRefused();
    void fullEngineRefuses();
    void failedRecordingStopsTheSource();
    void notPostAndBadBatch();
    void listenErrorAtStart();
    void splitArray_data();
    void splitArray();
    void recordCommandWebhook();

private:
    // POSTs `body` to the source; returns the HTTP status (0: no answer).
    int post(quint16 port, const QByteArray& path, const QByteArray& body,
        const QList<QPair<QByteArray, QByteArray>>& headers, QByteArray* answer = nullptr);
    QNetworkAccessManager m_nam;
    QTemporaryDir m_dir;
};

void TestWebhookSource::initTestCase() { QVERIFY(m_dir.isValid()); }

int TestWebhookSource::post(quint16 port, const QByteArray& path, const QByteArray& body,
    const QList<QPair<QByteArray, QByteArray>>& headers, QByteArray* answer)
{
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(QString::fromUtf8(path))));
    for (const auto& [name, value] : headers)
        request.setRawHeader(name, value);
    std::unique_ptr<QNetworkReply> reply(m_nam.post(request, body));
    [&] { QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000); }();
    if (answer)
        *answer = reply->readAll();
    return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
}

void TestWebhookSource::structuredAndBinaryMode()
{
    WebhookSource source(WebhookSource::Options {});
    Collector collected;
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QVERIFY(source.port() != 0);
    QCOMPARE(source.status().state, Connectors::SourceState::Live);
    QVERIFY(source.describe().contains(QStringLiteral("http://127.0.0.1:%1/").arg(source.port())));

    QByteArray answer;
    QCOMPARE(post(source.port(), "/orders", Structured,
                 { { "Content-Type", "application/cloudevents+json; charset=utf-8" } }, &answer),
        202);
    QCOMPARE(answer, QByteArray(R"({"accepted":1})"));
    QList<Event> events = collected.take();
    QCOMPARE(events.size(), 1);
    const Event& s = events.first();
    QVERIFY2(!s.isUnparsed(), s.error().constData());
    QCOMPARE(s.format, EventFormat::Structured);
    QCOMPARE(s.id, QByteArray("s-1"));
    QCOMPARE(s.type, QByteArray("OrderCreated"));
    QCOMPARE(s.channel, QByteArray("orders"));
    QCOMPARE(s.payload, QByteArray(R"({"orderId":"o1","amount":12})"));
    QVERIFY(s.hasTime());
    QVERIFY(s.ingestTime != NoTime);

    // binary mode: attributes in ce-* headers (percent-encoded values), data in the body
    QCOMPARE(post(source.port(), "/payments", R"({"amount":12})",
                 { { "ce-specversion", "1.0" }, { "ce-id", "b-1" }, { "ce-type", "PaymentAuthorized" },
                     { "ce-source", "/payment" }, { "ce-subject", "order%20o1" }, { "ce-time", "2024-05-01T12:00:01Z" },
                     { "ce-correlationid", "c-1" }, { "ce-tenant", "eu" }, { "Content-Type", "application/json" } }),
        202);
    events = collected.take();
    QCOMPARE(events.size(), 1);
    const Event& b = events.first();
    QVERIFY2(!b.isUnparsed(), b.error().constData());
    QCOMPARE(b.format, EventFormat::Binary);
    QCOMPARE(b.id, QByteArray("b-1"));
    QCOMPARE(b.type, QByteArray("PaymentAuthorized"));
    QCOMPARE(b.subject(), QByteArray("order o1"));
    QCOMPARE(b.correlationId, QByteArray("c-1"));
    QCOMPARE(b.dataContentType, QByteArray("application/json"));
    QCOMPARE(b.extensions(), QByteArray(R"({"tenant":"eu"})"));
    QCOMPARE(b.payload, QByteArray(R"({"amount":12})"));
    QCOMPARE(b.channel, QByteArray("payments"));
    QVERIFY(b.flags & PayloadJson);
    // the Kafka binding's headers, so that a replay into Kafka writes binary mode
    bool hasCeId = false;
    for (const Header& h : b.headers())
        hasCeId = hasCeId || (h.name == "ce_id" && h.value == "b-1");
    QVERIFY(hasCeId);

    // not a CloudEvent: kept and counted, never dropped
    QCOMPARE(post(source.port(), "/", "hello", { { "Content-Type", "text/plain" } }), 202);
    events = collected.take();
    QCOMPARE(events.size(), 1);
    QVERIFY(events.first().isUnparsed());
    QCOMPARE(events.first().payload, QByteArray("hello"));
    QCOMPARE(source.counters().received.load(), 3);
    QCOMPARE(source.counters().handedOver.load(), 3);
    QCOMPARE(source.counters().unparsed.load(), 1);
    source.stop();
    QCOMPARE(source.status().state, Connectors::SourceState::Stopped);
    source.stop(); // twice is fine
}

void TestWebhookSource::batchMode()
{
    WebhookSource source(WebhookSource::Options {});
    Collector collected;
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QByteArray second = Structured;
    second.replace("s-1", "s-2");
    const QByteArray body = "[ " + Structured + ",\n" + second + R"(, {"specversion":"1.0","id":"s-3"} ])";
    QByteArray answer;
    QCOMPARE(
        post(source.port(), "/orders", body, { { "Content-Type", "application/cloudevents-batch+json" } }, &answer),
        202);
    QCOMPARE(answer, QByteArray(R"({"accepted":3})"));
    const QList<Event> events = collected.take();
    QCOMPARE(events.size(), 3);
    QCOMPARE(events.at(0).id, QByteArray("s-1"));
    QCOMPARE(events.at(1).id, QByteArray("s-2"));
    QVERIFY(events.at(2).isUnparsed()); // no type, no source: kept as it came
    QCOMPARE(events.at(2).payload, QByteArray(R"({"specversion":"1.0","id":"s-3"})"));
    QCOMPARE(post(source.port(), "/orders", "[]", { { "Content-Type", "application/cloudevents-batch+json" } }), 202);
}

void TestWebhookSource::signatureAcceptedAndRefused()
{
    WebhookSource::Options options;
    options.secret = "It's a Secret to Everybody";
    WebhookSource source(options);
    Collector collected;
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QVERIFY(!source.describe().contains(u"Secret to Everybody"));
    // GitHub's documented example: "Hello, World!" with this secret
    QCOMPARE(WebhookSource::signature(options.secret, "Hello, World!"),
        QByteArray("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));
    const QList<QPair<QByteArray, QByteArray>> ok { { "Content-Type", "application/cloudevents+json" },
        { "X-Signature-256", WebhookSource::signature(options.secret, Structured) } };
    QCOMPARE(post(source.port(), "/orders", Structured, ok), 202);
    QByteArray tampered = Structured;
    tampered.replace("12", "99");
    QByteArray answer;
    QCOMPARE(post(source.port(), "/orders", tampered, ok, &answer), 401);
    QVERIFY(answer.contains("signature mismatch"));
    QCOMPARE(
        post(source.port(), "/orders", Structured, { { "Content-Type", "application/cloudevents+json" } }, &answer),
        401);
    QVERIFY(answer.contains("missing"));
    QCOMPARE(post(source.port(), "/orders", Structured,
                 { { "Content-Type", "application/cloudevents+json" }, { "X-Signature-256", "sha256=zz" } }),
        401);
    QCOMPARE(source.unauthorized(), 3);
    QCOMPARE(collected.take().size(), 1);
    QCOMPARE(source.counters().handedOver.load(), 1);

    QVERIFY(WebhookSource::verifySignature(
        "k", "body", WebhookSource::signature("k", "body").toUpper().replace("SHA256=", "sha256=")));
    QVERIFY(!WebhookSource::verifySignature("k", "body", WebhookSource::signature("other", "body")));
    QVERIFY(!WebhookSource::verifySignature("k", "body", "sha1=abc"));
}

void TestWebhookSource::oversizeBodyRefused()
{
    WebhookSource::Options options;
    options.maxBodyBytes = 4096;
    WebhookSource source(options);
    Collector collected;
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QByteArray big = Structured;
    big.replace(R"("amount":12)", QByteArray(R"("amount":12,"pad":")" + QByteArray(5000, 'x') + "\""));
    QCOMPARE(post(source.port(), "/orders", big, { { "Content-Type", "application/cloudevents+json" } }), 413);
    QCOMPARE(source.oversize(), 1);
    QByteArray fits = Structured;
    fits.replace(
        R"("amount":12)", QByteArray(R"("amount":12,"pad":")" + QByteArray(4096 - Structured.size() - 9, 'x') + "\""));
    QCOMPARE(fits.size(), 4096);
    QCOMPARE(post(source.port(), "/orders", fits, { { "Content-Type", "application/cloudevents+json" } }), 202);
    QCOMPARE(collected.take().size(), 1);
    // the default limit is 1 MiB
    QCOMPARE(WebhookSource::Options {}.maxBodyBytes, 1024 * 1024);
}

// A push source cannot make its peer wait: with the engine's queue full it answers 503 and counts.
void TestWebhookSource::fullEngineRefuses()
{
    Engine::Options tiny;
    tiny.queueBatches = 1;
    Engine engine({}, nullptr, tiny); // not started: the first batch fills the queue
    WebhookSource source(WebhookSource::Options {});
    source.offerTo(engine);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    const QList<QPair<QByteArray, QByteArray>> ce { { "Content-Type", "application/cloudevents+json" } };
    QCOMPARE(post(source.port(), "/orders", Structured, ce), 202);
    QByteArray answer;
    QCOMPARE(post(source.port(), "/orders", Structured, ce, &answer), 503);
    QVERIFY(answer.contains("busy"));
    QCOMPARE(post(source.port(), "/orders", "[" + Structured + "," + Structured + "]",
                 { { "Content-Type", "application/cloudevents-batch+json" } }),
        503);
    QCOMPARE(source.counters().refused.load(), 3);
    QCOMPARE(source.counters().handedOver.load(), 1);
    QCOMPARE(engine.refused(), 3);
    // room again: accepted
    engine.start();
    engine.flush();
    QCOMPARE(post(source.port(), "/orders", Structured, ce), 202);
    engine.flush();
    QCOMPARE(engine.snapshot()->events, 2);
    source.stop();
    engine.stop();
}

// The recording failed (another writer held its lock too long): the source stops at once, Stopped
// with the engine's error, and answers what happened instead of "busy, retry later" forever.
void TestWebhookSource::failedRecordingStopsTheSource()
{
    const QString path = m_dir.filePath(QStringLiteral("failed.fsrec"));
    QString error;
    auto writer = RecordingWriter::create(path, &error);
    QVERIFY2(writer, qPrintable(error));
    writer->setBusyTimeout(300);
    Engine engine({}, writer.get(), Engine::Options {});
    engine.start();
    WebhookSource source(WebhookSource::Options {});
    source.handOverTo(engine);
    QVERIFY2(source.start(&error), qPrintable(error));
    const QList<QPair<QByteArray, QByteArray>> ce { { "Content-Type", "application/cloudevents+json" } };
    QCOMPARE(post(source.port(), "/orders", Structured, ce), 202);
    engine.flush();
    FlowScope::Test::OtherConnection other(path);
    QVERIFY(other.exec("BEGIN IMMEDIATE")); // the write lock, held to the end
    QCOMPARE(post(source.port(), "/orders", Structured, ce), 202); // taken; its write waits, then fails
    QTRY_VERIFY_WITH_TIMEOUT(engine.failed(), 10000);
    QByteArray answer;
    QCOMPARE(post(source.port(), "/orders", Structured, ce, &answer), 503);
    QVERIFY2(answer.startsWith(R"({"error":"the recording has stopped: )") && answer.contains("event 2 was not stored"),
        answer.constData());
    QVERIFY(source.finished());
    QCOMPARE(source.status().state, Connectors::SourceState::Stopped);
    QCOMPARE(source.status().reason, engine.error());
    QCOMPARE(source.counters().handedOver.load(), 2);
    QCOMPARE(source.counters().refused.load(), 1);
    source.stop();
    engine.stop();
    QCOMPARE(writer->count(), 1);
}

void TestWebhookSource::notPostAndBadBatch()
{
    WebhookSource source(WebhookSource::Options {});
    Collector collected;
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    std::unique_ptr<QNetworkReply> reply(
        m_nam.get(QNetworkRequest(QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(source.port())))));
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 405);
    QCOMPARE(reply->rawHeader("Allow"), QByteArray("POST"));
    for (const QByteArray& bad :
        { QByteArray("{}"), QByteArray("[1,]"), QByteArray("[{\"a\":1}"), QByteArray("[1] x"), QByteArray("") })
        QCOMPARE(post(source.port(), "/", bad, { { "Content-Type", "application/cloudevents-batch+json" } }), 400);
    QCOMPARE(source.badRequests(), 5);
    QCOMPARE(collected.take().size(), 0);
}

void TestWebhookSource::listenErrorAtStart()
{
    WebhookSource first(WebhookSource::Options {});
    QString error;
    QVERIFY2(first.start(&error), qPrintable(error));
    WebhookSource::Options same;
    same.port = first.port();
    WebhookSource second(same);
    QVERIFY(!second.start(&error));
    QVERIFY2(error.contains(QString::number(first.port())), qPrintable(error));
    QCOMPARE(second.status().state, Connectors::SourceState::Idle);
}

void TestWebhookSource::splitArray_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<int>("count");
    QTest::newRow("empty") << QByteArray(" [ ] ") << true << 0;
    QTest::newRow("objects") << QByteArray(R"([{"a":"],}"},{"b":[1,2]}])") << true << 2;
    QTest::newRow("escaped quote") << QByteArray(R"([{"a":"x\"]"}])") << true << 1;
    QTest::newRow("scalars") << QByteArray("[1, \"two\", null]") << true << 3;
    QTest::newRow("trailing comma") << QByteArray("[1,]") << false << 0;
    QTest::newRow("double comma") << QByteArray("[1,,2]") << false << 0;
    QTest::newRow("leading comma") << QByteArray("[,1]") << false << 0;
    QTest::newRow("unclosed") << QByteArray("[{\"a\":1}") << false << 0;
    QTest::newRow("object") << QByteArray("{}") << false << 0;
    QTest::newRow("text after") << QByteArray("[1] 2") << false << 0;
    QTest::newRow("stray close") << QByteArray("[}]") << false << 0;
}

void TestWebhookSource::splitArray()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, ok);
    QFETCH(int, count);
    QList<QByteArray> elements;
    QCOMPARE(WebhookSource::splitJsonArray(json, &elements), ok);
    if (ok)
        QCOMPARE(elements.size(), count);
}

// `flowscope record --webhook 127.0.0.1:0 --secret-file F --max-events 2` as a user runs it.
void TestWebhookSource::recordCommandWebhook()
{
    const QString rec = m_dir.filePath(QStringLiteral("webhook.fsrec"));
    const QString secretFile = m_dir.filePath(QStringLiteral("secret"));
    {
        QFile f(secretFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("s3cret\n");
    }
    QProcess p;
    p.start(QStringLiteral(FLOWSCOPE_BINARY),
        { QStringLiteral("record"), QStringLiteral("--webhook"), QStringLiteral("127.0.0.1:0"),
            QStringLiteral("--secret-file"), secretFile, QStringLiteral("--max-events"), QStringLiteral("2"),
            QStringLiteral("--out"), rec, QStringLiteral("--json") });
    QVERIFY(p.waitForStarted());
    QByteArray errors;
    static const QRegularExpression listening(QStringLiteral("listening on webhook http://127\\.0\\.0\\.1:(\\d+)/"));
    QRegularExpressionMatch match;
    QTRY_VERIFY_WITH_TIMEOUT(
        (errors += p.readAllStandardError(), match = listening.match(QString::fromUtf8(errors)), match.hasMatch()),
        20000);
    const quint16 port = quint16(match.captured(1).toUInt());
    const QByteArray sig = WebhookSource::signature("s3cret", Structured);
    QCOMPARE(post(port, "/orders", Structured, { { "Content-Type", "application/cloudevents+json" } }), 401);
    QCOMPARE(post(port, "/orders", Structured,
                 { { "Content-Type", "application/cloudevents+json" }, { "X-Signature-256", sig } }),
        202);
    QCOMPARE(post(port, "/orders", Structured,
                 { { "Content-Type", "application/cloudevents+json" }, { "X-Signature-256", sig } }),
        202);
    // post() runs an event loop, in which QProcess may already have seen the exit
    QVERIFY(p.state() == QProcess::NotRunning || p.waitForFinished(30000));
    errors += p.readAllStandardError();
    QVERIFY2(p.exitCode() == 0, errors.constData());
    QVERIFY(!errors.contains("s3cret"));
    const QJsonObject o = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    QCOMPARE(o.value(u"events").toInteger(), 2);
    QCOMPARE(o.value(u"source").toObject().value(u"recorded").toInteger(), 2);
    QString error;
    auto recording = Recording::open(rec, &error);
    QVERIFY2(recording, qPrintable(error));
    QCOMPARE(recording->eventCount(), 2);
    QVERIFY(recording->meta(QStringLiteral("source")).startsWith(u"webhook http://127.0.0.1:"));
}

QTEST_GUILESS_MAIN(TestWebhookSource)
#include "tst_webhooksource.moc"
