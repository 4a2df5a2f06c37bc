// SPDX-License-Identifier: MIT
#pragma once

#include "source.h"
#include "sourcethread.h"

#include <QUrl>

#include <atomic>

namespace FlowScope::Connectors {

class HttpPoller;

// Polls an HTTP(S) URL for events (docs/connectors.md "HTTP polling"), with
// QNetworkAccessManager.
//
// - What an answer may hold: a JSON array (each element one event: a structured CloudEvent or
//   a plain JSON object; an element that is neither is kept, flagged unparsed), an Atom feed
//   (AtomFeed: each <entry> a CloudEvent; entries are taken oldest first), or anything else,
//   which becomes one event (plain JSON, or bytes flagged unparsed). The channel is
//   Options::channel, or the URL's path without its leading '/'.
// - Conditional requests: the last answer's ETag goes back as If-None-Match (and its
//   Last-Modified as If-Modified-Since); a 304 brings nothing.
// - De-duplication across polls: an event is recorded once per key, the key being its source
//   and id (CloudEvents' identity), or, for an event without an id, a digest of its bytes. The
//   last `rememberIds` keys are remembered (RecentIds: bounded memory).
// - HTTP errors (4xx, 5xx), refused connections, timeouts, bodies over `maxBodyBytes`: status
//   Retrying with the URL and the reason, and polling goes on at the same interval; the next
//   good answer makes it Live again.
// - Pull source: the next request waits until the events of the last one are handed over
//   (Engine::push may wait); requests start `intervalMs` apart, never two at once.
//
// Threads: the network access manager lives on a QThread of its own (SourceThread) whose
// event loop polls, parses and calls the sink. start() returns once the first request is sent;
// stop() hands over what was read, cancels a request under way and joins the thread.
class HttpPollSource final : public Source {
public:
    struct Options {
        QUrl url; // http:// or https://
        int intervalMs = 5000;
        QByteArray channel; // null: the URL's path without its leading '/'
        int timeoutMs = 30000; // one request, from sending it to the end of the answer
        qint64 maxBodyBytes = 64 * 1024 * 1024;
        int rememberIds = 100000;
        int batchSize = 4096;
    };

    explicit HttpPollSource(Options options);
    ~HttpPollSource() override;

    bool start(QString* error) override;
    void stop() override;
    QString describe() const override;
    QJsonObject details() const override;
    QStringList summary() const override;

    // Requests answered (any way, errors included); of which 304 Not Modified.
    qint64 polls() const { return m_polls.load(); }
    qint64 notModified() const { return m_notModified.load(); }
    // Events seen again and left out.
    qint64 duplicates() const { return m_duplicates.load(); }

private:
    friend class HttpPoller;

    Options m_options;
    QByteArray m_channel;
    SourceThread m_thread;
    HttpPoller* m_poller = nullptr; // lives on m_thread
    std::atomic<qint64> m_polls { 0 }, m_notModified { 0 }, m_duplicates { 0 };
};

} // namespace FlowScope::Connectors
