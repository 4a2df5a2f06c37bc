// SPDX-License-Identifier: MIT
#pragma once

#include "source.h"
#include "sourcethread.h"

#include <QHostAddress>
#include <QList>
#include <QPair>

#include <atomic>
#include <memory>
#include <utility>


namespace FlowScope {
class Engine;
class EventParser;
} // namespace FlowScope

namespace FlowScope::Connectors {

class WebhookServer;

// Receives CloudEvents POSTed over HTTP (docs/connectors.md "Webhook"), with Qt HttpServer.
//
// - Structured mode: `Content-Type: application/cloudevents+json`, the body one event; a batch:
//   `application/cloudevents-batch+json`, the body a JSON array of events. Binary mode: the
//   attributes in `ce-*` headers (percent-decoded, as the HTTP binding writes them) and the
//   data in the body, its Content-Type becoming `datacontenttype`. Binary-mode requests are
//   turned into a KafkaRecord whose headers are the Kafka binding's (`ce_id`, ...,
//   `content-type`) and parsed by EventParser::parseKafkaRecord, so that an event recorded from
//   a webhook replays into Kafka as a binary-mode Kafka message. Anything else is kept too:
//   plain JSON, or bytes flagged unparsed.
// - The event's channel is the request path without its leading '/' ("" for "/").
// - Answers: 202 taken; 401 bad or missing signature (when a secret is set); 413 body over
//   `maxBodyBytes`; 400 a batch that is not a JSON array; 405 not a POST; 503 the engine is
//   full (counted in counters().refused: the peer is expected to retry).
// - Signature (optional): `X-Signature-256: sha256=HEX`, HEX the HMAC-SHA256 of the body with
//   the shared secret, as GitHub's X-Hub-Signature-256; compared in constant time.
// - Push source: each request's events are one batch, handed over before the answer, so that the
//   answer says whether they were taken. Use offerTo(engine) (Engine::offer, which never waits);
//   Source::setEngine would make the HTTP thread wait for room instead of answering 503.
//
// Threads: the server lives on a QThread of its own (its event loop serves the sockets, parses,
// and calls the sink); start() and stop() block until the server listens / is closed.
// Qt HttpServer 6.4 reads a request whole before handing it over: the size limit bounds what is
// parsed and recorded, not what one request can make the process read.
class WebhookSource final : public Source {
public:
    struct Options {
        QHostAddress address = QHostAddress::LocalHost; // 127.0.0.1 unless told otherwise
        quint16 port = 0; // 0: any free port (see port())
        QByteArray secret; // empty: no signature check
        qint64 maxBodyBytes = 1024 * 1024;
    };

    explicit WebhookSource(Options options);
    ~WebhookSource() override;

    // Hands batches over with Engine::offer: a full engine refuses them, the peer gets 503.
    void handOverTo(Engine& engine) override { offerTo(engine); }

    bool start(QString* error) override;
    void stop() override;
    QString describe() const override;
    // Another webhook asking for the port this one listens on (on any address: conservative).
    bool blocks(const Source& next) const override;

    // The port listened on (the one chosen when Options::port was 0); 0 before start().
    quint16 port() const { return m_port.load(); }

    // Requests answered with an error (never events): 401, 413, 400, 405.
    qint64 unauthorized() const { return m_unauthorized.load(); }
    qint64 oversize() const { return m_oversize.load(); }
    qint64 badRequests() const { return m_badRequests.load(); }

    // A bind address as a user writes it: an IPv4 or IPv6 address (in brackets or not), or
    // "localhost" for 127.0.0.1. False when it is none of those (host names are not resolved).
    static bool readAddress(const QString& text, QHostAddress* address);
    // Verifies `X-Signature-256` against the body: "sha256=" and 64 hex digits; constant time.
    static bool verifySignature(const QByteArray& secret, const QByteArray& body, const QByteArray& header);
    static QByteArray signature(const QByteArray& secret, const QByteArray& body); // "sha256=HEX"
    // The top-level elements of a JSON array, as their text; false when `json` is not an array.
    static bool splitJsonArray(const QByteArray& json, QList<QByteArray>* elements);

private:
    friend class WebhookServer;
    // One request, on the server's thread: returns the HTTP status and a small JSON body.
    std::pair<int, QByteArray> handle(bool isPost, const QByteArray& path,
        const QList<QPair<QByteArray, QByteArray>>& headers, const QByteArray& body);

    Options m_options;
    SourceThread m_thread;
    WebhookServer* m_server = nullptr; // lives on m_thread
    std::unique_ptr<EventParser> m_parser; // used on m_thread only
    std::atomic<quint16> m_port { 0 };
    std::atomic<qint64> m_unauthorized { 0 }, m_oversize { 0 }, m_badRequests { 0 };
};

} // namespace FlowScope::Connectors
