// SPDX-License-Identifier: MIT
#pragma once

#include <event.h>

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <mutex>

class QUrl;

namespace FlowScope {
class Engine;
}

namespace FlowScope::Connectors {

enum class SourceState : quint8 {
    Idle,       // constructed, not started
    Connecting, // started, nothing received and no verdict yet
    Live,       // connected and reading
    Retrying,   // lost the peer (SourceStatus::reason says why); reconnects by itself
    Stopped,    // stopped: by stop(), at its event limit, or on a fatal error (SourceStatus::reason)
};

// "idle", "connecting", "live", "retrying", "stopped": the names the CLI and the UI show.
QString stateName(SourceState state);

// The version of the librdkafka the program runs with (rd_kafka_version_str()), for --version.
QString kafkaVersion();

// A URL as sources show it in descriptions, statuses and errors: without a password, and with
// the values of query items whose names look like credentials (token, key, secret, password,
// auth, sig...) replaced by "***". WebSocket and HTTP endpoints often carry a token there.
QString redactedUrl(const QUrl& url);
// A URL as the user typed it, for messages and saved settings: redactedUrl() when QUrl (strict)
// can read it; else, since what QUrl cannot read it cannot redact, with the user info and the
// query blinded ("//***@", "?***"): a typo keeps what was typed, and never shows a secret.
QString redactedUrlText(const QString& text);
// Why `text` is not a URL QUrl (strict) can read: its reason without the URL it quotes ("Invalid
// path (character ' ' not permitted)"), or "no host"; empty when it is usable.
QString urlProblem(const QString& text);

struct SourceStatus {
    SourceState state = SourceState::Idle;
    // Retrying: the last transport error, as the client library reported it. Stopped: the fatal
    // error, or empty when the source was stopped or reached its limit. Live: usually empty; a
    // file source says there that it started over (the file was truncated or replaced).
    // Never holds a secret.
    QString reason;
};

// Counters of a source, readable from any thread at any time (relaxed atomics: each one is exact,
// two read one after the other may be from slightly different moments).
struct SourceCounters {
    std::atomic<qint64> received { 0 }; // records/messages read from the peer
    std::atomic<qint64> handedOver { 0 }; // events the sink accepted (the recorded ones)
    std::atomic<qint64> refused { 0 };  // push sources: what the full engine could not take
    std::atomic<qint64> unparsed { 0 }; // events kept as bytes because they were not understood
    std::atomic<qint64> bytes { 0 };    // key + value + header bytes received
};

// A live source of events (DESIGN.md "Threads"). A source reads and decodes on threads of its own
// and hands events over in batches (flushed by size or every few tens of milliseconds, never one
// call per event) to a sink: usually Engine::push.
//
// Thread contract:
// - setSink(), setEngine(), setLimit() and setStatusHandler() are called before start(), from the
//   thread that owns the source; start() and stop() from that same thread. The destructor stops.
// - The sink and the drain function are called on one of the source's own threads, never two at
//   once, batches in order. A pull source (Kafka, HTTP polling, file) calls a sink that may wait
//   (Engine::push): waiting is its back-pressure and it stops reading meanwhile; nothing is
//   dropped. A push source (webhook, WebSocket) cannot make its peer wait; it hands over with
//   Engine::offer and counts what it refuses.
// - The sink returns false when it takes no more (engine stopped): the source then stops.
// - status(), counters() and finished() may be called from any thread at any time.
// - The status handler runs on a source thread at each change of state or reason; it must be
//   quick and must not call back into the source.
class Source {
public:
    using BatchSink = std::function<bool(EventBatch&& batch)>;
    using StatusHandler = std::function<void(const SourceStatus& status)>;

    virtual ~Source();
    Source(const Source&) = delete;
    Source& operator=(const Source&) = delete;

    // `drain` (optional) waits until everything handed to `sink` so far is stored, and says
    // whether it all was; a source that acknowledges to its peer (Kafka group commits) calls it
    // before acknowledging, and acknowledges nothing once it returned false.
    void setSink(BatchSink sink, std::function<bool()> drain = {});
    // Sink = engine.push, drain = engine.flush. The engine must outlive the source's stop().
    void setEngine(Engine& engine);
    // Hands over to `engine` the way this kind of source should: a pull source waits for room
    // (setEngine), a push source, whose peer cannot be made to wait, offers and counts what a
    // full engine refuses (offerTo). What a caller that
    // does not care which kind it holds uses (the record command, the window's live session).
    virtual void handOverTo(Engine& engine) { setEngine(engine); }
    // Sink = engine.offer, which never waits: a full engine refuses, and the source counts it.
    // Once the engine takes nothing more for good (its recorder failed), the source is finished,
    // Stopped with the engine's error, rather than answering "busy" until somebody stops it.
    void offerTo(Engine& engine);
    // Whether this source, running, holds something `next` needs in order to start: the webhook's
    // port. Whoever replaces one source by another (the window) stops this one first then;
    // otherwise it keeps it until the next one runs.
    virtual bool blocks(const Source& /*next*/) const { return false; }
    // Hands over at most `maxEvents` events (0: no limit), then stops by itself.
    void setLimit(qint64 maxEvents);
    void setStatusHandler(StatusHandler handler);

    // Returns false with *error set when the settings are unusable (nothing started then);
    // connection problems are not errors here: they show as Retrying.
    virtual bool start(QString* error) = 0;
    // Hands over what was read, acknowledges it where the source does so, closes the connection
    // and joins the threads. Safe to call twice, and after the source stopped by itself.
    virtual void stop() = 0;

    SourceStatus status() const;
    const SourceCounters& counters() const { return m_counters; }
    // True once the source stopped by itself (limit reached, sink closed, fatal error).
    bool finished() const { return m_finished.load(); }
    // A description for logs and recordings' metadata: never contains a secret.
    virtual QString describe() const = 0;
    // After stop(), what this kind of source can say beyond the counters about what it read and
    // what it left out or lost (a poll's repeated answers, a WebSocket's dropped connections,
    // Kafka's deleted offsets, a followed file's unread rest): keys for `record --json`'s
    // "source" object, lines for its text summary, and warnings for stderr. Empty by default.
    virtual QJsonObject details() const { return {}; }
    virtual QStringList summary() const { return {}; }
    virtual QStringList warnings() const { return {}; }

protected:
    Source() = default;
    void setStatus(SourceState state, const QString& reason = {});
    // Hands `batch` to the sink, trimmed to the limit; counts it. Returns false when the source
    // must stop reading: the sink refused, or the limit is reached (then `batch` holds what was
    // handed over, so the caller can acknowledge exactly that).
    bool deliver(EventBatch& batch);
    bool drain();
    void markFinished() { m_finished.store(true); }
    bool limitReached() const;

    SourceCounters m_counters;

private:
    BatchSink m_sink;
    std::function<bool()> m_drain;
    StatusHandler m_statusHandler;
    qint64 m_limit = 0;
    std::atomic<bool> m_finished { false };
    mutable std::mutex m_statusMutex;
    SourceStatus m_status;
};

} // namespace FlowScope::Connectors
