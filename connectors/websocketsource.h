// SPDX-License-Identifier: MIT
#pragma once

#include "source.h"
#include "sourcethread.h"

#include <QUrl>

#include <atomic>
#include <memory>
#include <mutex>

namespace FlowScope {
class Engine;
} // namespace FlowScope

namespace FlowScope::Connectors {

class WebSocketClient;

// Reads events from a WebSocket server as a client, with Qt WebSockets (docs/connectors.md
// "WebSocket").
//
// - Each text or binary message is one event, parsed by EventParser::parseKafkaRecord as the
//   webhook parses a request body: a structured CloudEvent, plain JSON, or bytes flagged unparsed
//   (kept and counted, never dropped). The channel is Options::channel, or the URL's path
//   without its leading '/'.
// - Reconnects by itself: after a lost connection or a failed attempt it waits, starting at
//   `initialBackoffMs` and doubling up to `maxBackoffMs`. The wait starts over from
//   `initialBackoffMs` once a connection has proved itself (it delivered a message, or stayed up
//   a second): a server that accepts and at once hangs up is not hammered twice a second.
//   A connection that does not complete its handshake in `connectTimeoutMs`, or a peer silent
//   for two ping intervals without answering a ping, counts as lost.
// - Status: Connecting until the first connection; Live while connected; Retrying with the
//   socket's error (or the peer's close code) and the URL while it waits to reconnect; Stopped.
// - Push source: a server cannot be made to wait. Messages are gathered into batches (by size,
//   or every `flushIntervalMs`) that are handed over with Engine::offer (offerTo()), which never
//   waits; when the engine is full the batch is counted in counters().refused. With a limit,
//   messages past it are counted as refused too, and the source closes the connection.
//
// Threads: the socket lives on a QThread of its own (SourceThread), whose event loop reads,
// parses and calls the sink; start() returns once the first connection attempt is under way,
// stop() hands over what was read, closes the connection and joins the thread.
class WebSocketSource final : public Source {
public:
    struct Options {
        QUrl url; // ws:// or wss://
        QByteArray channel; // null: the URL's path without its leading '/'
        int initialBackoffMs = 500;
        int maxBackoffMs = 30000;
        int connectTimeoutMs = 10000;
        int pingIntervalMs = 30000; // 0: no pings
        int batchSize = 4096;
        int flushIntervalMs = 20;
        qint64 maxMessageBytes = 64 * 1024 * 1024; // larger messages close the connection (1009)
    };

    explicit WebSocketSource(Options options);
    ~WebSocketSource() override;

    // Hands batches over with Engine::offer: what a full engine cannot take is counted as refused.
    void handOverTo(Engine& engine) override { offerTo(engine); }

    bool start(QString* error) override;
    void stop() override;
    QString describe() const override;
    QJsonObject details() const override;
    QStringList summary() const override;

    // Connections made so far (1 + successful reconnections).
    qint64 connections() const { return m_connections.load(); }
    // Connections that ended while up (the server closed, the network went), and why the last
    // one did: messages the server sent after a close (a protocol error) never arrive, and this
    // is what shows it once the source is live again.
    qint64 disconnects() const { return m_disconnects.load(); }
    QString lastDisconnect() const;
    // Messages received and not handed over because the engine was full or the limit reached:
    // the same as counters().refused, kept as one number for the UI.
    qint64 refused() const { return m_counters.refused.load(); }

    // The events' channel for `url` when none is given: its path without the leading '/'.
    static QByteArray channelFor(const QUrl& url);

private:
    friend class WebSocketClient;

    Options m_options;
    QByteArray m_channel;
    SourceThread m_thread;
    WebSocketClient* m_client = nullptr; // lives on m_thread
    std::atomic<qint64> m_connections { 0 };
    std::atomic<qint64> m_disconnects { 0 };
    mutable std::mutex m_disconnectMutex;
    QString m_lastDisconnect;
};

} // namespace FlowScope::Connectors
