// SPDX-License-Identifier: MIT
#include "source.h"

#include <engine.h>

#include <QRegularExpression>
#include <QUrl>
#include <QUrlQuery>

#include <librdkafka/rdkafka.h>

namespace FlowScope::Connectors {

QString stateName(SourceState state)
{
    switch (state) {
    case SourceState::Idle:
        return QStringLiteral("idle");
    case SourceState::Connecting:
        return QStringLiteral("connecting");
    case SourceState::Live:
        return QStringLiteral("live");
    case SourceState::Retrying:
        return QStringLiteral("retrying");
    case SourceState::Stopped:
        return QStringLiteral("stopped");
    }
    return {};
}

QString kafkaVersion() { return QString::fromLatin1(rd_kafka_version_str()); }

QString redactedUrl(const QUrl& url)
{
    QUrl shown = url.adjusted(QUrl::RemovePassword);
    if (shown.hasQuery()) {
        static const char* const secretish[]
            = { "token", "key", "secret", "password", "passwd", "pwd", "auth", "sig", "credential", "session" };
        QUrlQuery query(shown);
        auto items = query.queryItems(QUrl::FullyEncoded);
        for (auto& [name, value] : items) {
            const QString lower = name.toLower();
            for (const char* word : secretish) {
                if (lower.contains(QLatin1StringView(word))) {
                    value = QStringLiteral("***");
                    break;
                }
            }
        }
        query.setQueryItems(items);
        shown.setQuery(query);
    }
    return shown.toString();
}

QString redactedUrlText(const QString& text)
{
    const QUrl url(text, QUrl::StrictMode);
    if (url.isValid())
        return redactedUrl(url);
    static const QRegularExpression userInfo(QStringLiteral("//[^/@]*@")), query(QStringLiteral("\\?.*$"));
    return QString(text).replace(userInfo, QStringLiteral("//***@")).replace(query, QStringLiteral("?***"));
}

QString urlProblem(const QString& text)
{
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid())
        return url.errorString().section(u';', 0, 0);
    return url.host().isEmpty() ? QStringLiteral("no host") : QString();
}

Source::~Source() = default;

void Source::setSink(BatchSink sink, std::function<bool()> drain)
{
    m_sink = std::move(sink);
    m_drain = std::move(drain);
}

void Source::setEngine(Engine& engine)
{
    setSink([&engine](EventBatch&& batch) { return engine.push(std::move(batch)); }, [&engine] { return engine.flush(); });
}

void Source::offerTo(Engine& engine)
{
    setSink([this, &engine](EventBatch&& batch) {
        if (engine.offer(std::move(batch)))
            return true;
        if (engine.failed()) {
            markFinished();
            setStatus(SourceState::Stopped, engine.error());
        }
        return false;
    });
}

void Source::setLimit(qint64 maxEvents) { m_limit = std::max<qint64>(0, maxEvents); }

void Source::setStatusHandler(StatusHandler handler) { m_statusHandler = std::move(handler); }

SourceStatus Source::status() const
{
    std::lock_guard lock(m_statusMutex);
    return m_status;
}

void Source::setStatus(SourceState state, const QString& reason)
{
    SourceStatus copy;
    {
        std::lock_guard lock(m_statusMutex);
        if (m_status.state == state && m_status.reason == reason)
            return;
        m_status = SourceStatus { state, reason };
        copy = m_status;
    }
    if (m_statusHandler)
        m_statusHandler(copy);
}

bool Source::limitReached() const { return m_limit > 0 && m_counters.handedOver.load() >= m_limit; }

bool Source::deliver(EventBatch& batch)
{
    if (m_limit > 0) {
        const qint64 room = m_limit - m_counters.handedOver.load();
        if (room <= 0) {
            batch.clear();
            return false;
        }
        if (batch.size() > room)
            batch.resize(room);
    }
    if (batch.isEmpty())
        return !limitReached();
    qint64 unparsed = 0;
    for (const Event& e : std::as_const(batch))
        unparsed += e.isUnparsed() ? 1 : 0;
    const qint64 n = batch.size();
    EventBatch copyForSink = batch; // implicitly shared: the caller keeps what was handed over
    if (!m_sink || !m_sink(std::move(copyForSink)))
        return false;
    m_counters.unparsed.fetch_add(unparsed, std::memory_order_relaxed);
    m_counters.handedOver.fetch_add(n, std::memory_order_relaxed);
    return !limitReached();
}

bool Source::drain() { return !m_drain || m_drain(); }

} // namespace FlowScope::Connectors
