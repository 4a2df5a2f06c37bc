// SPDX-License-Identifier: MIT
// WebSocketSource against real peers on loopback: a QWebSocketServer the test runs on
// 127.0.0.1 (and a second one on the same port after the first went away), a TCP server that
// never answers the handshake, and `flowscope record --websocket`.
#include "collector.h"

#include <engine.h>
#include <recording.h>
#include <websocketsource.h>

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketServer>

#include <memory>
#include <mutex>

using namespace FlowScope;
using Testing::Collector;
using Connectors::SourceState;
using Connectors::WebSocketSource;

namespace {

QByteArray ce(int i)
{
    return R"({"specversion":"1.0","id":"w)" + QByteArray::number(i)
        + R"(","source":"/feed","type":"PriceChanged","time":"2024-05-01T12:00:00Z","data":{"n":)"
        + QByteArray::number(i) + "}}";
}

// A WebSocket server on 127.0.0.1 that keeps the connections it accepts.
struct Server {
    QWebSocketServer server { QStringLiteral("test"), QWebSocketServer::NonSecureMode };
    QList<QWebSocket*> peers; // owned by `server`
    explicit Server(quint16 port = 0)
    {
        if (!server.listen(QHostAddress::LocalHost, port))
            qWarning("cannot listen on %u: %s", unsigned(port), qPrintable(server.errorString()));
        QObject::connect(&server, &QWebSocketServer::newConnection, &server, [this] {
            while (server.hasPendingConnections())
                peers.append(server.nextPendingConnection());
        });
    }
    quint16 port() const { return server.serverPort(); }
    QUrl url(const QString& path) const { return QUrl(QStringLiteral("ws://127.0.0.1:%1%2").arg(port()).arg(path)); }
};

// Every status the source went through, in order.
struct StatusLog {
    std::mutex mutex;
    QList<Connectors::SourceStatus> seen;
    void attach(Connectors::Source& source)
    {
        source.setStatusHandler([this](const Connectors::SourceStatus& s) {
            std::lock_guard lock(mutex);
            seen.append(s);
        });
    }
    QList<SourceState> states()
    {
        std::lock_guard lock(mutex);
        QList<SourceState> out;
        for (const auto& s : std::as_const(seen))
            if (out.isEmpty() || out.last() != s.state)
                out.append(s.state);
        return out;
    }
};

WebSocketSource::Options fast(const QUrl& url)
{
    WebSocketSource::Options o;
    o.url = url;
    o.initialBackoffMs = 100; // 500 ms by default; the tests wait less
    o.maxBackoffMs = 400;
    return o;
}

} // namespace

class TestWebSocketSource : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void reconnectsAndRecordsEverythingInOrder();
    void malformedMessageIsKeptAndCounted();
    void fullEngineRefuses();
    void silentServerTimesOut();
    void oversizeMessageReconnects();
    void badSettingsFailAtStart();
    void recordCommandWebSocket();

private:
    QTemporaryDir m_dir;
};

// N messages, the server goes away (the reconnection is refused a while), a new server on the
// same port, M more: the recording holds exactly N + M events, in order; the status went
// Live -> Retrying (with the reason) -> Live.
void TestWebSocketSource::reconnectsAndRecordsEverythingInOrder()
{
    constexpr int N = 120, M = 80;
    auto first = std::make_unique<Server>();
    const quint16 port = first->port();
    QVERIFY(port != 0);
    const QString rec = m_dir.filePath(QStringLiteral("ws.fsrec"));
    QString error;
    auto writer = RecordingWriter::create(rec, &error);
    QVERIFY2(writer, qPrintable(error));
    Engine engine({}, writer.get());
    engine.start();
    StatusLog log; // outlives the source, which reports to it until it is destroyed
    WebSocketSource source(fast(first->url(QStringLiteral("/prices"))));
    source.offerTo(engine);
    log.attach(source);
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(first->peers.size(), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(source.status().state, SourceState::Live, 10000);
    for (int i = 0; i < N; ++i) {
        if (i % 10 == 9)
            first->peers.first()->sendBinaryMessage(ce(i)); // binary frames are events too
        else
            first->peers.first()->sendTextMessage(QString::fromUtf8(ce(i)));
    }
    QTRY_COMPARE_WITH_TIMEOUT(source.counters().handedOver.load(), N, 10000);

    first->peers.first()->close();
    first.reset(); // no server on the port now: reconnecting is refused
    QTRY_VERIFY_WITH_TIMEOUT(source.status().reason.contains(u"refused", Qt::CaseInsensitive), 10000);
    const auto retrying = source.status();
    QCOMPARE(retrying.state, SourceState::Retrying);
    QVERIFY2(retrying.reason.startsWith(QStringLiteral("ws://127.0.0.1:%1/prices: ").arg(port)),
        qPrintable(retrying.reason));

    Server second(port);
    QCOMPARE(second.port(), port);
    QTRY_COMPARE_WITH_TIMEOUT(second.peers.size(), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(source.status().state, SourceState::Live, 10000);
    for (int i = N; i < N + M; ++i)
        second.peers.first()->sendTextMessage(QString::fromUtf8(ce(i)));
    QTRY_COMPARE_WITH_TIMEOUT(source.counters().handedOver.load(), N + M, 10000);
    source.stop();
    engine.flush();
    engine.stop();
    QVERIFY2(writer->finish(&error), qPrintable(error));

    QCOMPARE(source.connections(), 2);
    QCOMPARE(source.disconnects(), 1); // the refused attempts after it were never up
    QCOMPARE(source.counters().received.load(), N + M);
    QCOMPARE(source.counters().refused.load(), 0);
    QCOMPARE(source.counters().unparsed.load(), 0);
    const QList<SourceState> states = log.states();
    const qsizetype live = states.indexOf(SourceState::Live);
    const qsizetype retry = states.indexOf(SourceState::Retrying, live);
    QVERIFY(live >= 0 && retry > live && states.indexOf(SourceState::Live, retry) > retry);
    QCOMPARE(states.last(), SourceState::Stopped);

    auto recording = Recording::open(rec, &error);
    QVERIFY2(recording, qPrintable(error));
    QCOMPARE(recording->eventCount(), N + M);
    int i = 0;
    QVERIFY(recording->readSeqRange(
        1, N + M,
        [&](Event&& e) {
            [&] {
                QCOMPARE(e.id, QByteArray("w" + QByteArray::number(i)));
                QCOMPARE(e.channel, QByteArray("prices"));
                QCOMPARE(e.type, QByteArray("PriceChanged"));
            }();
            ++i;
            return !QTest::currentTestFailed();
        },
        &error));
    QCOMPARE(i, N + M);
}

// Whatever a message holds is kept: one that is not an event is recorded as bytes, flagged,
// counted, and its error names the URL.
void TestWebSocketSource::malformedMessageIsKeptAndCounted()
{
    Server server;
    WebSocketSource::Options o = fast(server.url(QStringLiteral("/feed")));
    o.channel = "quotes";
    Collector collected;
    WebSocketSource source(o);
    collected.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(server.peers.size(), 1, 10000);
    server.peers.first()->sendTextMessage(QString::fromUtf8(ce(1)));
    server.peers.first()->sendTextMessage(QStringLiteral("{\"specversion\":\"1.0\", oops"));
    server.peers.first()->sendTextMessage(QStringLiteral(R"({"price":12.5,"symbol":"ACME"})"));
    QTRY_COMPARE_WITH_TIMEOUT(source.counters().handedOver.load(), 3, 10000);
    const QList<Event> events = collected.all();
    QCOMPARE(events.size(), 3);
    QVERIFY(!events.at(0).isUnparsed());
    QCOMPARE(events.at(0).channel, QByteArray("quotes"));
    QVERIFY(events.at(1).isUnparsed());
    QCOMPARE(events.at(1).payload, QByteArray("{\"specversion\":\"1.0\", oops"));
    QCOMPARE(events.at(1).channel, QByteArray("quotes"));
    QVERIFY2(events.at(1).error().startsWith(
                 QByteArray(server.url(QStringLiteral("/feed")).toString().toUtf8() + " message 2: ")),
        events.at(1).error().constData());
    QCOMPARE(events.at(2).format, EventFormat::PlainJson); // plain JSON is an event, not an error
    QCOMPARE(source.counters().unparsed.load(), 1);
    QCOMPARE(source.counters().received.load(), 3);
}

// A push source cannot make the server wait: what a full engine cannot take is counted.
void TestWebSocketSource::fullEngineRefuses()
{
    Server server;
    Engine::Options tiny;
    tiny.queueBatches = 1;
    Engine engine({}, nullptr, tiny); // not started: the first batch fills the queue
    WebSocketSource source(fast(server.url(QStringLiteral("/"))));
    source.offerTo(engine);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(server.peers.size(), 1, 10000);
    QWebSocket* peer = server.peers.first();
    peer->sendTextMessage(QString::fromUtf8(ce(1)));
    QTRY_COMPARE_WITH_TIMEOUT(source.counters().handedOver.load(), 1, 10000);
    peer->sendTextMessage(QString::fromUtf8(ce(2)));
    peer->sendTextMessage(QString::fromUtf8(ce(3)));
    QTRY_COMPARE_WITH_TIMEOUT(source.counters().refused.load(), 2, 10000);
    QCOMPARE(engine.refused(), 2);
    QCOMPARE(source.refused(), 2);
    engine.start(); // room again
    engine.flush();
    peer->sendTextMessage(QString::fromUtf8(ce(4)));
    QTRY_COMPARE_WITH_TIMEOUT(source.counters().handedOver.load(), 2, 10000);
    source.stop();
    engine.flush();
    QCOMPARE(engine.snapshot()->events, 2);
    QCOMPARE(source.counters().received.load(), 4);
    engine.stop();
}

// A server that takes the TCP connection but never answers the handshake: Retrying, and the
// source keeps trying.
void TestWebSocketSource::silentServerTimesOut()
{
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    QList<QTcpSocket*> accepted;
    connect(&silent, &QTcpServer::newConnection, &silent, [&] {
        while (silent.hasPendingConnections())
            accepted.append(silent.nextPendingConnection());
    });
    WebSocketSource::Options o = fast(QUrl(QStringLiteral("ws://127.0.0.1:%1/x").arg(silent.serverPort())));
    o.connectTimeoutMs = 300;
    WebSocketSource source(o);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QCOMPARE(source.status().state, SourceState::Connecting);
    QTRY_COMPARE_WITH_TIMEOUT(source.status().state, SourceState::Retrying, 10000);
    QVERIFY2(
        source.status().reason.contains(u"no WebSocket handshake within 300 ms"), qPrintable(source.status().reason));
    QTRY_VERIFY_WITH_TIMEOUT(accepted.size() >= 2, 10000); // it tried again
    source.stop();
    QCOMPARE(source.status().state, SourceState::Stopped);
    QCOMPARE(source.connections(), 0);
}

// A message over the size limit is refused by closing the connection (1009, too much data); the
// source connects again and goes on.
void TestWebSocketSource::oversizeMessageReconnects()
{
    Server server;
    WebSocketSource::Options o = fast(server.url(QStringLiteral("/big")));
    o.maxMessageBytes = 1000;
    Collector collected;
    StatusLog log;
    WebSocketSource source(o);
    collected.attach(source);
    log.attach(source);
    QString error;
    QVERIFY2(source.start(&error), qPrintable(error));
    QTRY_COMPARE_WITH_TIMEOUT(server.peers.size(), 1, 10000);
    server.peers.first()->sendTextMessage(QString::fromUtf8(ce(1)));
    QTRY_COMPARE_WITH_TIMEOUT(source.counters().handedOver.load(), 1, 10000);
    server.peers.first()->sendBinaryMessage(QByteArray(2000, 'x'));
    QTRY_COMPARE_WITH_TIMEOUT(server.peers.size(), 2, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(source.status().state, SourceState::Live, 10000);
    server.peers.last()->sendTextMessage(QString::fromUtf8(ce(2)));
    QTRY_COMPARE_WITH_TIMEOUT(source.counters().handedOver.load(), 2, 10000);
    source.stop();
    QCOMPARE(source.connections(), 2);
    const auto retry = std::find_if(log.seen.cbegin(), log.seen.cend(),
        [](const Connectors::SourceStatus& s) { return s.state == SourceState::Retrying; });
    QVERIFY(retry != log.seen.cend());
    QVERIFY2(retry->reason.contains(u"(code 1009"), qPrintable(retry->reason));
    // live again, its status says nothing now: the counts keep what happened
    QCOMPARE(source.disconnects(), 1);
    QVERIFY2(source.lastDisconnect().startsWith(u"connection closed (code 1009"), qPrintable(source.lastDisconnect()));
}

void TestWebSocketSource::badSettingsFailAtStart()
{
    QString error;
    WebSocketSource http(fast(QUrl(QStringLiteral("http://127.0.0.1:1/x"))));
    QVERIFY(!http.start(&error));
    QVERIFY2(error.contains(u"http://127.0.0.1:1/x"), qPrintable(error));
    QCOMPARE(http.status().state, SourceState::Idle);
    // credentials never show, in errors or descriptions
    WebSocketSource secret(fast(QUrl(QStringLiteral("wss://user:hunter2@example.invalid/x?token=abc&page=2"))));
    QVERIFY(!secret.describe().contains(u"hunter2"));
    QVERIFY(!secret.describe().contains(u"abc"));
    QVERIFY2(secret.describe().contains(u"page=2"), qPrintable(secret.describe()));
    QCOMPARE(WebSocketSource::channelFor(QUrl(QStringLiteral("ws://h/a/b?x=1"))), QByteArray("a/b"));
    QCOMPARE(WebSocketSource::channelFor(QUrl(QStringLiteral("ws://h"))), QByteArray(""));
}

// `flowscope record --websocket URL --max-events 3` against the test's server; a token in the
// URL stays out of every output.
void TestWebSocketSource::recordCommandWebSocket()
{
    Server server;
    connect(&server.server, &QWebSocketServer::newConnection, &server.server, [&server] {
        for (int i = 0; i < 5; ++i)
            server.peers.last()->sendTextMessage(QString::fromUtf8(ce(i)));
    });
    const QString rec = m_dir.filePath(QStringLiteral("cli.fsrec"));
    QProcess p;
    p.start(QStringLiteral(FLOWSCOPE_BINARY),
        { QStringLiteral("record"), QStringLiteral("--websocket"),
            QStringLiteral("ws://127.0.0.1:%1/ticks?token=s3cret").arg(server.port()), QStringLiteral("--max-events"),
            QStringLiteral("3"), QStringLiteral("--out"), rec, QStringLiteral("--json") });
    QVERIFY(p.waitForStarted());
    // the server lives in this process: its event loop must run while the command does
    QTRY_COMPARE_WITH_TIMEOUT(p.state(), QProcess::NotRunning, 30000);
    const QByteArray errors = p.readAllStandardError();
    const QByteArray output = p.readAllStandardOutput();
    QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, errors.constData());
    QVERIFY(!errors.contains("s3cret"));
    QVERIFY(!output.contains("s3cret"));
    const QJsonObject o = QJsonDocument::fromJson(output).object();
    QCOMPARE(o.value(u"events").toInteger(), 3);
    QCOMPARE(o.value(u"source").toObject().value(u"recorded").toInteger(), 3);
    QCOMPARE(o.value(u"source").toObject().value(u"connections").toInteger(), 1);
    QCOMPARE(o.value(u"source").toObject().value(u"disconnects").toInteger(), 0);
    QCOMPARE(o.value(u"source").toObject().value(u"last_disconnect").toString(), QString());
    QString error;
    auto recording = Recording::open(rec, &error);
    QVERIFY2(recording, qPrintable(error));
    QCOMPARE(recording->eventCount(), 3);
    const QString description = recording->meta(QStringLiteral("source"));
    QVERIFY2(description.startsWith(QStringLiteral("websocket ws://127.0.0.1:%1/ticks?token=***").arg(server.port())),
        qPrintable(description));
}

QTEST_GUILESS_MAIN(TestWebSocketSource)
#include "tst_websocketsource.moc"
