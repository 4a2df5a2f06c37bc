// SPDX-License-Identifier: MIT
#include "webhooksource.h"

#include <engine.h>
#include <eventparser.h>
#include <timeformat.h>

#include <QAbstractHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QLoggingCategory>
#include <QMessageAuthenticationCode>
#include <QTcpServer>

namespace {
Q_LOGGING_CATEGORY(LOG_WEBHOOK, "flowscope.webhook", QtInfoMsg)
}

namespace FlowScope::Connectors {

// The HTTP server: created, used and destroyed on the source's thread.
class WebhookServer final : public QAbstractHttpServer {
public:
    explicit WebhookServer(WebhookSource* source)
        : m_source(source)
    {
    }

protected:
    bool handleRequest(const QHttpServerRequest& request, QTcpSocket* socket) override
    {
        const auto [status, body] = m_source->handle(request.method() == QHttpServerRequest::Method::Post,
            request.url().path().toUtf8(), request.headers(), request.body());
        auto responder = makeResponder(request, socket);
        const auto code = static_cast<QHttpServerResponder::StatusCode>(status);
        if (status == 405)
            responder.write(body, { { "Content-Type", "application/json" }, { "Allow", "POST" } }, code);
        else
            responder.write(body, { { "Content-Type", "application/json" } }, code);
        return true;
    }

    void missingHandler(const QHttpServerRequest& request, QTcpSocket* socket) override
    {
        makeResponder(request, socket).write(QHttpServerResponder::StatusCode::NotFound);
    }

private:
    WebhookSource* m_source;
};

namespace {

QByteArray baseContentType(const QByteArray& value)
{
    const qsizetype semi = value.indexOf(';');
    return (semi < 0 ? value : value.left(semi)).trimmed().toLower();
}

QByteArray jsonReply(const char* key, qint64 value)
{
    return "{\"" + QByteArray(key) + "\":" + QByteArray::number(value) + "}";
}

QByteArray errorReply(const QByteArray& message)
{
    QByteArray escaped = message;
    escaped.replace('\\', "\\\\").replace('"', "\\\"");
    return "{\"error\":\"" + escaped + "\"}";
}

} // namespace

WebhookSource::WebhookSource(Options options)
    : m_options(std::move(options))
    , m_parser(std::make_unique<EventParser>())
{
}

WebhookSource::~WebhookSource() { stop(); }

QString WebhookSource::describe() const
{
    const QString host = m_options.address.protocol() == QAbstractSocket::IPv6Protocol
        ? u'[' + m_options.address.toString() + u']'
        : m_options.address.toString();
    const quint16 p = m_port.load() ? m_port.load() : m_options.port;
    return QStringLiteral("webhook http://%1:%2/ (%3, max body %4 bytes)")
        .arg(host)
        .arg(p)
        .arg(m_options.secret.isEmpty() ? QStringLiteral("unsigned") : QStringLiteral("signed: X-Signature-256"))
        .arg(m_options.maxBodyBytes);
}

bool WebhookSource::blocks(const Source& next) const
{
    const auto* other = dynamic_cast<const WebhookSource*>(&next);
    return other && other->m_options.port != 0 && other->m_options.port == port();
}

bool WebhookSource::start(QString* error)
{
    if (m_thread.isRunning()) {
        *error = QStringLiteral("already started");
        return false;
    }
    if (m_options.maxBodyBytes <= 0) {
        *error = QStringLiteral("the body size limit must be positive");
        return false;
    }
    setStatus(SourceState::Connecting);
    quint16 port = 0;
    QString listenError;
    m_thread.start(QStringLiteral("webhook"), [&] {
        m_server = new WebhookServer(this);
        // Our own QTcpServer: QAbstractHttpServer::listen() does not say why it failed.
        auto* tcp = new QTcpServer(m_server);
        if (tcp->listen(m_options.address, m_options.port)) {
            port = tcp->serverPort();
            m_server->bind(tcp);
        } else {
            listenError = tcp->errorString();
            delete m_server;
            m_server = nullptr;
        }
    });
    if (port == 0) {
        m_thread.finish({});
        *error = QStringLiteral("webhook: cannot listen on %1:%2: %3")
                     .arg(m_options.address.toString())
                     .arg(m_options.port)
                     .arg(listenError);
        setStatus(SourceState::Idle);
        return false;
    }
    m_port = port;
    setStatus(SourceState::Live);
    return true;
}

void WebhookSource::stop()
{
    if (!m_thread.isRunning())
        return;
    // The server is destroyed on its own thread, between two events: no handler is running, its
    // sockets close; then the thread's loop ends.
    m_thread.finish([this] {
        delete m_server;
        m_server = nullptr;
    });
    setStatus(SourceState::Stopped);
}

QByteArray WebhookSource::signature(const QByteArray& secret, const QByteArray& body)
{
    return "sha256=" + QMessageAuthenticationCode::hash(body, secret, QCryptographicHash::Sha256).toHex();
}

bool WebhookSource::readAddress(const QString& text, QHostAddress* address)
{
    QString h = text.trimmed();
    if (h.startsWith(u'[') && h.endsWith(u']'))
        h = h.mid(1, h.size() - 2);
    if (h == u"localhost")
        h = QStringLiteral("127.0.0.1");
    return address->setAddress(h);
}

bool WebhookSource::verifySignature(const QByteArray& secret, const QByteArray& body, const QByteArray& header)
{
    const QByteArray value = header.trimmed();
    if (!value.startsWith("sha256=") || value.size() != 7 + 64)
        return false;
    const QByteArray hex = value.mid(7).toLower();
    for (char c : hex)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    const QByteArray given = QByteArray::fromHex(hex);
    const QByteArray expected = QMessageAuthenticationCode::hash(body, secret, QCryptographicHash::Sha256);
    if (given.size() != expected.size())
        return false;
    // constant time: every byte is compared, whatever the first difference
    unsigned char diff = 0;
    for (qsizetype i = 0; i < given.size(); ++i)
        diff |= static_cast<unsigned char>(given.at(i) ^ expected.at(i));
    return diff == 0;
}

bool WebhookSource::splitJsonArray(const QByteArray& json, QList<QByteArray>* elements)
{
    auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    qsizetype i = 0;
    const qsizetype n = json.size();
    while (i < n && isSpace(json.at(i)))
        ++i;
    if (i == n || json.at(i) != '[')
        return false;
    ++i;
    int depth = 0;
    bool inString = false;
    qsizetype start = -1;
    bool expectElement = true; // after '[' or ','
    for (; i < n; ++i) {
        const char c = json.at(i);
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (depth == 0 && (c == ',' || c == ']')) {
            if (start >= 0) {
                elements->append(json.mid(start, i - start).trimmed());
                start = -1;
            } else if (c == ',' || !expectElement || !elements->isEmpty()) {
                return false; // "[,", "[1,]", "[1,,2]"
            }
            if (c == ']') {
                for (++i; i < n; ++i)
                    if (!isSpace(json.at(i)))
                        return false; // text after the array
                return true;
            }
            expectElement = true;
            continue;
        }
        if (isSpace(c))
            continue;
        if (start < 0) {
            if (!expectElement)
                return false;
            start = i;
            expectElement = false;
        }
        if (c == '"')
            inString = true;
        else if (c == '{' || c == '[')
            ++depth;
        else if (c == '}' || c == ']') {
            if (--depth < 0)
                return false;
        }
    }
    return false; // never closed
}

std::pair<int, QByteArray> WebhookSource::handle(
    bool isPost, const QByteArray& path, const QList<QPair<QByteArray, QByteArray>>& headers, const QByteArray& body)
{
    if (!isPost)
        return { 405, errorReply("POST CloudEvents here") };
    if (body.size() > m_options.maxBodyBytes) {
        m_oversize.fetch_add(1, std::memory_order_relaxed);
        return { 413, errorReply("body larger than " + QByteArray::number(m_options.maxBodyBytes) + " bytes") };
    }
    QByteArray contentType, signatureHeader;
    bool binary = false;
    for (const auto& [name, value] : headers) {
        const QByteArray lower = name.toLower();
        if (lower == "content-type")
            contentType = value.trimmed();
        else if (lower == "x-signature-256")
            signatureHeader = value;
        else if (lower == "ce-specversion")
            binary = true;
    }
    if (!m_options.secret.isEmpty() && !verifySignature(m_options.secret, body, signatureHeader)) {
        m_unauthorized.fetch_add(1, std::memory_order_relaxed);
        return { 401, errorReply(signatureHeader.isEmpty() ? "X-Signature-256 is missing" : "signature mismatch") };
    }
    QByteArray channel = path.startsWith('/') ? path.mid(1) : path;
    if (channel.isNull())
        channel = QByteArray("");
    const QByteArray type = baseContentType(contentType);

    EventBatch batch;
    const qint64 now = TimeFormat::nowMicros();
    auto add = [&](KafkaRecord r) {
        r.topic = channel;
        Event e = m_parser->parseKafkaRecord(std::move(r));
        e.ingestTime = now;
        batch.append(std::move(e));
    };
    if (type == "application/cloudevents-batch+json") {
        QList<QByteArray> elements;
        if (!splitJsonArray(body, &elements)) {
            m_badRequests.fetch_add(1, std::memory_order_relaxed);
            return { 400, errorReply("a batch must be a JSON array of events") };
        }
        for (const QByteArray& element : std::as_const(elements)) {
            KafkaRecord r;
            r.value = element;
            add(std::move(r));
        }
    } else if (binary && type != "application/cloudevents+json") {
        // HTTP binary mode -> the Kafka binding's headers: ce-id -> ce_id, Content-Type -> content-type
        KafkaRecord r;
        for (const auto& [name, value] : headers) {
            const QByteArray lower = name.toLower();
            if (lower.startsWith("ce-") && lower.size() > 3)
                r.headers.append(
                    Header { "ce_" + lower.mid(3), QByteArray::fromPercentEncoding(value.trimmed()), false });
        }
        if (!contentType.isEmpty())
            r.headers.append(Header { QByteArrayLiteral("content-type"), contentType, false });
        r.value = body.isNull() ? QByteArray("") : body;
        add(std::move(r));
    } else {
        // structured mode, or not a CloudEvent at all (kept: plain JSON, or bytes flagged unparsed)
        KafkaRecord r;
        r.value = body.isNull() ? QByteArray("") : body;
        add(std::move(r));
    }

    const qint64 n = batch.size();
    if (n == 0)
        return { 202, jsonReply("accepted", 0) }; // an empty batch
    m_counters.received.fetch_add(n, std::memory_order_relaxed);
    m_counters.bytes.fetch_add(body.size(), std::memory_order_relaxed);
    if (limitReached()) {
        m_counters.refused.fetch_add(n, std::memory_order_relaxed);
        return { 503, errorReply("the recording is complete (--max-events)") };
    }
    const qint64 before = m_counters.handedOver.load();
    const bool more = deliver(batch);
    const qint64 taken = m_counters.handedOver.load() - before;
    if (taken == 0 && finished()) { // the recording failed: nothing more is taken, now or later
        m_counters.refused.fetch_add(n, std::memory_order_relaxed);
        return { 503, errorReply("the recording has stopped: " + status().reason.toUtf8()) };
    }
    if (taken == 0) {
        m_counters.refused.fetch_add(n, std::memory_order_relaxed);
        qCDebug(LOG_WEBHOOK) << "engine full:" << n << "events refused";
        return { 503, errorReply("busy: the engine's queue is full, retry later") };
    }
    if (taken < n) // the rest is past --max-events
        m_counters.refused.fetch_add(n - taken, std::memory_order_relaxed);
    if (!more)
        markFinished();
    return { 202, jsonReply("accepted", taken) };
}

} // namespace FlowScope::Connectors
