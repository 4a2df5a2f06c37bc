// SPDX-License-Identifier: MIT
#include "websocketsource.h"

#include <engine.h>
#include <eventparser.h>
#include <timeformat.h>

#include <QElapsedTimer>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QTimer>
#include <QWebSocket>

#include <algorithm>

namespace {
Q_LOGGING_CATEGORY(LOG_WEBSOCKET, "flowscope.websocket", QtInfoMsg)
}

namespace FlowScope::Connectors {

// The client: created, used and destroyed on the source's thread. One QWebSocket per connection
// attempt, so that nothing of a lost connection (its buffers, a late signal) reaches the next.
class WebSocketClient final : public QObject {
public:
    explicit WebSocketClient(WebSocketSource* source)
        : q(source)
        , m_url(redactedUrl(source->m_options.url))
        , m_backoffMs(source->m_options.initialBackoffMs)
    {
        m_reconnect.setSingleShot(true);
        connect(&m_reconnect, &QTimer::timeout, this, &WebSocketClient::open);
        m_handshake.setSingleShot(true);
        connect(&m_handshake, &QTimer::timeout, this,
            [this] { lost(QStringLiteral("no WebSocket handshake within %1 ms").arg(q->m_options.connectTimeoutMs)); });
        m_flush.setSingleShot(true);
        connect(&m_flush, &QTimer::timeout, this, &WebSocketClient::flush);
        connect(&m_ping, &QTimer::timeout, this, &WebSocketClient::keepAlive);
        m_batch.reserve(q->m_options.batchSize);
    }

    ~WebSocketClient() override { dropSocket(); }

    // Opens a connection; on failure lost() schedules the next attempt.
    void open()
    {
        if (m_done)
            return;
        dropSocket();
        m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
        m_socket->setMaxAllowedIncomingMessageSize(quint64(q->m_options.maxMessageBytes));
        connect(m_socket, &QWebSocket::connected, this, &WebSocketClient::onConnected);
        connect(m_socket, &QWebSocket::disconnected, this, [this] { lost(closeReason()); });
        // Qt 6.4 still calls it error() (errorOccurred() comes in 6.5).
        connect(m_socket, QOverload<QAbstractSocket::SocketError>::of(&QWebSocket::error), this,
            [this](QAbstractSocket::SocketError) { lost(m_socket->errorString()); });
        connect(m_socket, &QWebSocket::textMessageReceived, this,
            [this](const QString& message) { take(message.toUtf8()); });
        connect(m_socket, &QWebSocket::binaryMessageReceived, this, &WebSocketClient::take);
        connect(m_socket, &QWebSocket::pong, this, [this] { m_awaitingPong = false; });
        m_handshake.start(q->m_options.connectTimeoutMs);
        m_socket->open(q->m_options.url);
    }

    // Hands over what was read and closes: stop(), the limit reached, or the sink closed.
    void finish(bool byItself)
    {
        flush();
        m_done = true;
        m_reconnect.stop();
        m_handshake.stop();
        m_ping.stop();
        if (m_socket && m_socket->state() == QAbstractSocket::ConnectedState) {
            // A close frame, written out before the socket goes, so the server sees a clean end.
            m_socket->close(byItself ? QWebSocketProtocol::CloseCodeNormal : QWebSocketProtocol::CloseCodeGoingAway,
                QStringLiteral("FlowScope stopped recording"));
            m_socket->flush();
        }
        dropSocket();
    }

private:
    // Forgets the socket: no signal of it reaches us any more; it is deleted once its own signal
    // (we may be inside one) has returned.
    void dropSocket()
    {
        if (!m_socket)
            return;
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket->deleteLater();
        m_socket = nullptr;
    }

    void onConnected()
    {
        m_handshake.stop();
        m_connected = true;
        m_messagesThisConnection = 0;
        m_upFor.start();
        m_awaitingPong = false;
        if (q->m_options.pingIntervalMs > 0)
            m_ping.start(q->m_options.pingIntervalMs);
        q->m_connections.fetch_add(1, std::memory_order_relaxed);
        qCDebug(LOG_WEBSOCKET) << "connected to" << m_url;
        q->setStatus(SourceState::Live);
    }

    QString closeReason() const
    {
        if (!m_socket)
            return {};
        if (m_socket->error() != QAbstractSocket::UnknownSocketError)
            return m_socket->errorString();
        const auto code = m_socket->closeCode();
        // Either side may have closed (the client does, code 1009, for a message over the limit).
        QString text = QStringLiteral("connection closed (code %1").arg(int(code));
        if (!m_socket->closeReason().isEmpty())
            text += QStringLiteral(": ") + m_socket->closeReason();
        return text + u')';
    }

    // The connection is gone or never came: hand over what it brought, wait, try again.
    void lost(const QString& reported)
    {
        if (m_done || m_reconnect.isActive())
            return; // already planned (a failed attempt reports both error() and disconnected())
        const QString why = reported.isEmpty() ? QStringLiteral("connection lost") : reported;
        flush();
        m_handshake.stop();
        m_ping.stop();
        // A connection that proved itself starts the waits over; one that was refused, or hung
        // up at once without a word, makes the next wait longer.
        if (m_connected && (m_messagesThisConnection > 0 || m_upFor.elapsed() >= 1000))
            m_backoffMs = q->m_options.initialBackoffMs;
        if (m_connected) {
            q->m_disconnects.fetch_add(1, std::memory_order_relaxed);
            std::lock_guard lock(q->m_disconnectMutex);
            q->m_lastDisconnect = why;
        }
        m_connected = false;
        const int delay = m_backoffMs;
        m_backoffMs = std::min(q->m_options.maxBackoffMs, m_backoffMs * 2);
        const QString reason = QStringLiteral("%1: %2; next attempt in %3 s")
                                   .arg(m_url, why)
                                   .arg(double(delay) / 1000.0, 0, 'f', 1);
        qCDebug(LOG_WEBSOCKET) << reason;
        q->setStatus(SourceState::Retrying, reason);
        dropSocket(); // a failed attempt reports both error() and disconnected(): hear only one
        m_reconnect.start(delay);
    }

    void take(const QByteArray& message)
    {
        if (m_done)
            return;
        m_awaitingPong = false; // the peer is alive
        ++m_messagesThisConnection;
        const qint64 n = q->m_counters.received.fetch_add(1, std::memory_order_relaxed) + 1;
        q->m_counters.bytes.fetch_add(message.size(), std::memory_order_relaxed);
        KafkaRecord r;
        r.topic = q->m_channel;
        r.value = message.isNull() ? QByteArray("") : message;
        Event e = m_parser.parseKafkaRecord(std::move(r));
        e.ingestTime = TimeFormat::nowMicros();
        if (e.isUnparsed())
            e.setError(m_url.toUtf8() + " message " + QByteArray::number(n) + ": " + e.error());
        m_batch.append(std::move(e));
        if (m_batch.size() >= q->m_options.batchSize)
            flush();
        else if (!m_flush.isActive())
            m_flush.start(q->m_options.flushIntervalMs);
    }

    void flush()
    {
        m_flush.stop();
        if (m_batch.isEmpty())
            return;
        const qint64 n = m_batch.size();
        if (q->finished() || q->limitReached()) {
            q->m_counters.refused.fetch_add(n, std::memory_order_relaxed);
        } else {
            const qint64 before = q->m_counters.handedOver.load();
            const bool more = q->deliver(m_batch);
            const qint64 taken = q->m_counters.handedOver.load() - before;
            if (taken < n) // the engine was full (nothing taken), or the rest is past the limit
                q->m_counters.refused.fetch_add(n - taken, std::memory_order_relaxed);
            if (taken == 0 && q->finished()) {
                // The recording failed (the status says how): nothing more is wanted.
                m_batch.clear();
                finish(true);
                return;
            }
            if (taken == 0)
                qCDebug(LOG_WEBSOCKET) << "engine full:" << n << "messages refused";
            if (taken > 0 && !more) {
                // The limit is reached: nothing more is wanted from the server.
                q->markFinished();
                m_batch.clear();
                finish(true);
                q->setStatus(SourceState::Stopped);
                return;
            }
        }
        m_batch.clear();
        m_batch.reserve(q->m_options.batchSize);
    }

    // Pings a quiet peer; one that did not answer the previous ping (nor sent anything since) is
    // taken for gone: a half-open TCP connection would otherwise look Live forever.
    void keepAlive()
    {
        if (!m_socket)
            return;
        if (m_awaitingPong) {
            lost(QStringLiteral("no answer to a ping in %1 ms").arg(q->m_options.pingIntervalMs));
            return;
        }
        m_awaitingPong = true;
        m_socket->ping();
    }

    WebSocketSource* q;
    const QString m_url; // as shown: without credentials
    EventParser m_parser;
    QWebSocket* m_socket = nullptr;
    QTimer m_reconnect, m_handshake, m_flush, m_ping;
    QElapsedTimer m_upFor;
    EventBatch m_batch;
    int m_backoffMs;
    qint64 m_messagesThisConnection = 0;
    bool m_connected = false;
    bool m_awaitingPong = false;
    bool m_done = false;
};

WebSocketSource::WebSocketSource(Options options)
    : m_options(std::move(options))
    , m_channel(m_options.channel.isNull() ? channelFor(m_options.url) : m_options.channel)
{
}

WebSocketSource::~WebSocketSource() { stop(); }

QByteArray WebSocketSource::channelFor(const QUrl& url)
{
    QByteArray path = url.path(QUrl::FullyDecoded).toUtf8();
    if (path.startsWith('/'))
        path.remove(0, 1);
    return path.isNull() ? QByteArray("") : path;
}

QString WebSocketSource::lastDisconnect() const
{
    std::lock_guard lock(m_disconnectMutex);
    return m_lastDisconnect;
}

QString WebSocketSource::describe() const
{
    return QStringLiteral("websocket %1 (channel \"%2\")")
        .arg(redactedUrl(m_options.url), QString::fromUtf8(m_channel));
}

// A connection the server closed (a protocol error) loses what it sent after: say so.
QJsonObject WebSocketSource::details() const
{
    return QJsonObject { { QStringLiteral("connections"), connections() },
                         { QStringLiteral("disconnects"), disconnects() },
                         { QStringLiteral("last_disconnect"), lastDisconnect() } };
}

QStringList WebSocketSource::summary() const
{
    if (disconnects() == 0)
        return {};
    return { QStringLiteral("the connection ended %1 times while up, the last: %2 (what the server sent after that "
                            "was not received)")
                 .arg(disconnects())
                 .arg(lastDisconnect()) };
}

bool WebSocketSource::start(QString* error)
{
    if (m_thread.isRunning()) {
        *error = QStringLiteral("already started");
        return false;
    }
    const QString scheme = m_options.url.scheme().toLower();
    if (!m_options.url.isValid() || (scheme != u"ws" && scheme != u"wss") || m_options.url.host().isEmpty()) {
        *error = QStringLiteral("%1: a WebSocket URL is ws://HOST[:PORT]/PATH or wss://...")
                     .arg(redactedUrl(m_options.url));
        return false;
    }
    if (m_options.initialBackoffMs <= 0 || m_options.maxBackoffMs < m_options.initialBackoffMs
        || m_options.connectTimeoutMs <= 0 || m_options.batchSize <= 0 || m_options.flushIntervalMs < 0
        || m_options.pingIntervalMs < 0 || m_options.maxMessageBytes <= 0) {
        *error = QStringLiteral("websocket %1: invalid timing or size settings").arg(redactedUrl(m_options.url));
        return false;
    }
    setStatus(SourceState::Connecting);
    m_thread.start(QStringLiteral("websocket"), [this] {
        m_client = new WebSocketClient(this);
        m_client->open();
    });
    return true;
}

void WebSocketSource::stop()
{
    if (!m_thread.isRunning())
        return;
    m_thread.finish([this] {
        m_client->finish(false);
        delete m_client;
        m_client = nullptr;
    });
    setStatus(SourceState::Stopped);
}

} // namespace FlowScope::Connectors
