// SPDX-License-Identifier: MIT
#include "httppollsource.h"
#include "atomfeed.h"
#include "recentids.h"
#include "webhooksource.h"

#include <eventparser.h>
#include <timeformat.h>

#include <QCryptographicHash>
#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>

#include <algorithm>

namespace {
Q_LOGGING_CATEGORY(LOG_POLL, "flowscope.poll", QtInfoMsg)
}

namespace FlowScope::Connectors {

// The poller: created, used and destroyed on the source's thread.
class HttpPoller final : public QObject {
public:
    explicit HttpPoller(HttpPollSource* source)
        : q(source)
        , m_url(redactedUrl(source->m_options.url))
        , m_nam(this)
        , m_ids(source->m_options.rememberIds)
    {
        m_next.setSingleShot(true);
        connect(&m_next, &QTimer::timeout, this, &HttpPoller::poll);
    }

    void poll()
    {
        if (m_done || m_reply)
            return;
        QNetworkRequest request(q->m_options.url);
        request.setRawHeader(
            "Accept", "application/cloudevents-batch+json, application/json, application/atom+xml;q=0.9, */*;q=0.1");
        request.setHeader(QNetworkRequest::UserAgentHeader, QByteArrayLiteral("FlowScope/" FLOWSCOPE_VERSION));
        if (!m_etag.isEmpty())
            request.setRawHeader("If-None-Match", m_etag);
        if (!m_lastModified.isEmpty())
            request.setRawHeader("If-Modified-Since", m_lastModified);
        request.setTransferTimeout(q->m_options.timeoutMs);
        request.setMaximumRedirectsAllowed(MaxRedirects); // Qt's 50 made a redirect loop a request storm
        m_tooLarge = false;
        m_sent.start();
        m_reply = m_nam.get(request);
        connect(m_reply, &QNetworkReply::downloadProgress, this, [this](qint64 received, qint64) {
            if (received > q->m_options.maxBodyBytes && m_reply && !m_tooLarge) {
                m_tooLarge = true;
                m_reply->abort(); // finished() follows, with the reason above
            }
        });
        connect(m_reply, &QNetworkReply::finished, this, &HttpPoller::answered);
    }

    // stop(): no more requests; one under way is cancelled.
    void finish()
    {
        m_done = true;
        m_next.stop();
        if (m_reply) {
            QNetworkReply* reply = std::exchange(m_reply, nullptr);
            reply->disconnect(this);
            reply->abort();
            delete reply;
        }
    }

private:
    void answered()
    {
        std::unique_ptr<QNetworkReply, void (*)(QNetworkReply*)> reply(
            std::exchange(m_reply, nullptr), [](QNetworkReply* r) { r->deleteLater(); });
        q->m_polls.fetch_add(1, std::memory_order_relaxed);
        if (m_done)
            return;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QString phrase = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
        const QString statusLine = QStringLiteral("HTTP %1%2").arg(status).arg(phrase.isEmpty() ? QString() : u' ' + phrase);
        qint64 waitMs = 0; // beyond the interval: what the server asked for (Retry-After)
        if (m_tooLarge) {
            fail(QStringLiteral("the answer is larger than %1 bytes").arg(q->m_options.maxBodyBytes));
        } else if (status == 304) {
            q->m_notModified.fetch_add(1, std::memory_order_relaxed);
            q->setStatus(SourceState::Live);
        } else if (status >= 200 && status < 300 && reply->error() == QNetworkReply::NoError) {
            take(*reply);
            if (m_done)
                return;
            q->setStatus(SourceState::Live);
        } else if (status >= 400 || (status > 0 && reply->error() == QNetworkReply::NoError)) {
            QString why = statusLine;
            if (status == 429 || status == 503) {
                waitMs = retryAfterMs(reply->rawHeader("Retry-After"));
                if (waitMs > q->m_options.intervalMs)
                    why += QStringLiteral("; the next request in %1 s, as Retry-After asks").arg(waitMs / 1000);
            }
            fail(why);
        } else if (status > 0) {
            // The transfer failed after a status came (an answer cut short, too many redirects):
            // the status line alone ("HTTP 200 OK") would read as success.
            fail(QStringLiteral("%1 (after %2)").arg(reply->errorString(), statusLine));
        } else {
            fail(reply->errorString());
        }
        // The next request starts an interval after this one did (at once if that is past).
        m_next.start(int(std::max<qint64>(0, std::max<qint64>(q->m_options.intervalMs, waitMs) - m_sent.elapsed())));
    }

    // Retry-After: delay-seconds or an HTTP date; 0 when absent or unreadable. At most an hour:
    // a server's slip must not stop the recording for good.
    static qint64 retryAfterMs(const QByteArray& value)
    {
        const QByteArray v = value.trimmed();
        if (v.isEmpty())
            return 0;
        qint64 ms = 0;
        bool number = false;
        const qint64 seconds = v.toLongLong(&number);
        if (number) {
            ms = seconds * 1000;
        } else {
            const QDateTime at = QDateTime::fromString(QString::fromLatin1(v), Qt::RFC2822Date);
            if (at.isValid())
                ms = QDateTime::currentDateTimeUtc().msecsTo(at);
        }
        return std::clamp<qint64>(ms, 0, 3'600'000);
    }

    void fail(const QString& why)
    {
        const QString reason = QStringLiteral("%1: %2").arg(m_url, why);
        qCDebug(LOG_POLL).noquote() << reason;
        q->setStatus(SourceState::Retrying, reason);
    }

    void take(QNetworkReply& reply)
    {
        const QByteArray body = reply.readAll();
        q->m_counters.bytes.fetch_add(body.size(), std::memory_order_relaxed);
        const QByteArray contentType = reply.rawHeader("Content-Type");

        QList<QByteArray> elements;
        QByteArray whole; // set when the body is one element, not a list of them
        QString xmlError;
        bool feed = false;
        if (body.trimmed().isEmpty()) {
            // nothing to say this time (some APIs answer 200 with no body rather than 204)
        } else if (AtomFeed::looksLikeXml(contentType, body)) {
            feed = AtomFeed::toCloudEvents(body, m_url, &elements, &xmlError);
            if (!feed)
                whole = body;
        } else if (!WebhookSource::splitJsonArray(body, &elements)) {
            whole = body;
        }
        if (!whole.isNull())
            elements = { whole };

        const qint64 now = TimeFormat::nowMicros();
        EventBatch fresh;
        // Keys by bytes are remembered once the whole answer is read: two equal elements in one
        // answer are two events (two ticks, two entries alike), and only a later answer listing
        // them again repeats them.
        QList<QByteArray> byBytes;
        for (qsizetype i = 0; i < elements.size(); ++i) {
            const QByteArray& element = elements.at(i);
            KafkaRecord r;
            r.topic = q->m_channel;
            r.value = element.isNull() ? QByteArray("") : element;
            Event e = m_parser.parseKafkaRecord(std::move(r));
            e.ingestTime = now;
            if (!xmlError.isEmpty()) {
                e.flags |= Unparsed;
                e.format = EventFormat::Opaque;
                e.setError(m_url.toUtf8() + ": not a readable Atom feed: " + xmlError.toUtf8());
            } else if (e.isUnparsed()) {
                const QByteArray where = whole.isNull()
                    ? QByteArray(m_url.toUtf8() + " element " + QByteArray::number(i + 1))
                    : m_url.toUtf8();
                e.setError(where + ": " + e.error());
            }
            // A CloudEvent's identity is source + id. Anything else is known by its bytes: the
            // `id` of a plain JSON object names the entity more often than the event (an order
            // listed as "created", then as "shipped"), so it says nothing about repeats.
            const bool cloudEvent = !e.isUnparsed() && !e.id.isEmpty()
                && (e.format == EventFormat::Structured || e.format == EventFormat::Binary);
            if (cloudEvent) {
                if (!m_ids.insert("id:" + e.source + '\0' + e.id)) {
                    q->m_duplicates.fetch_add(1, std::memory_order_relaxed);
                    continue;
                }
            } else {
                QByteArray key = "sha256:" + QCryptographicHash::hash(element, QCryptographicHash::Sha256);
                if (m_ids.contains(key)) {
                    q->m_duplicates.fetch_add(1, std::memory_order_relaxed);
                    continue;
                }
                byBytes.append(std::move(key));
            }
            fresh.append(std::move(e));
        }
        for (const QByteArray& key : std::as_const(byBytes))
            m_ids.insert(key);
        if (feed) {
            // Feeds list the newest entry first; the recording wants them in the order they
            // happened. By time when every entry has one, else the feed's order reversed.
            if (std::all_of(fresh.cbegin(), fresh.cend(), [](const Event& e) { return e.hasTime(); }))
                std::stable_sort(
                    fresh.begin(), fresh.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
            else
                std::reverse(fresh.begin(), fresh.end());
        }
        q->m_counters.received.fetch_add(fresh.size(), std::memory_order_relaxed);
        for (qsizetype from = 0; from < fresh.size(); from += q->m_options.batchSize) {
            EventBatch batch = fresh.mid(from, q->m_options.batchSize);
            if (!q->deliver(batch)) {
                // The limit is reached, or the engine takes no more.
                finish();
                q->markFinished();
                q->setStatus(SourceState::Stopped);
                return;
            }
        }
        // Only now: had the hand-over been cut short, the next answer must not be a 304.
        m_etag = reply.rawHeader("ETag");
        m_lastModified = reply.rawHeader("Last-Modified");
    }

    HttpPollSource* q;
    const QString m_url; // as shown: without credentials
    QNetworkAccessManager m_nam;
    QNetworkReply* m_reply = nullptr;
    QTimer m_next;
    QElapsedTimer m_sent;
    EventParser m_parser;
    RecentIds m_ids;
    QByteArray m_etag, m_lastModified;
    bool m_tooLarge = false;
    bool m_done = false;
    static constexpr int MaxRedirects = 10;
};

HttpPollSource::HttpPollSource(Options options)
    : m_options(std::move(options))
{
    if (!m_options.channel.isNull()) {
        m_channel = m_options.channel;
    } else {
        m_channel = m_options.url.path(QUrl::FullyDecoded).toUtf8();
        if (m_channel.startsWith('/'))
            m_channel.remove(0, 1);
        if (m_channel.isNull())
            m_channel = QByteArray("");
    }
}

HttpPollSource::~HttpPollSource() { stop(); }

QString HttpPollSource::describe() const
{
    return QStringLiteral("poll %1 every %2 s (channel \"%3\")")
        .arg(redactedUrl(m_options.url))
        .arg(double(m_options.intervalMs) / 1000.0)
        .arg(QString::fromUtf8(m_channel));
}

// What was answered again and left out (received counts the new events only).
QJsonObject HttpPollSource::details() const
{
    return QJsonObject { { QStringLiteral("polls"), polls() },
                         { QStringLiteral("not_modified"), notModified() },
                         { QStringLiteral("duplicates"), duplicates() } };
}

QStringList HttpPollSource::summary() const
{
    if (duplicates() == 0)
        return {};
    return { QStringLiteral("%1 events answered again were left out (%2 requests, %3 answered 304 Not Modified)")
                 .arg(duplicates())
                 .arg(polls())
                 .arg(notModified()) };
}

bool HttpPollSource::start(QString* error)
{
    if (m_thread.isRunning()) {
        *error = QStringLiteral("already started");
        return false;
    }
    const QString scheme = m_options.url.scheme().toLower();
    if (!m_options.url.isValid() || (scheme != u"http" && scheme != u"https") || m_options.url.host().isEmpty()) {
        *error = QStringLiteral("%1: a URL to poll is http://HOST[:PORT]/PATH or https://...")
                     .arg(redactedUrl(m_options.url));
        return false;
    }
    if (m_options.intervalMs <= 0 || m_options.timeoutMs <= 0 || m_options.maxBodyBytes <= 0
        || m_options.rememberIds <= 0 || m_options.batchSize <= 0) {
        *error = QStringLiteral("poll %1: the interval, timeout and limits must be positive")
                     .arg(redactedUrl(m_options.url));
        return false;
    }
    setStatus(SourceState::Connecting);
    m_thread.start(QStringLiteral("http-poll"), [this] {
        m_poller = new HttpPoller(this);
        m_poller->poll();
    });
    return true;
}

void HttpPollSource::stop()
{
    if (!m_thread.isRunning())
        return;
    m_thread.finish([this] {
        m_poller->finish();
        delete m_poller;
        m_poller = nullptr;
    });
    setStatus(SourceState::Stopped);
}

} // namespace FlowScope::Connectors
