// SPDX-License-Identifier: MIT
#pragma once

#include "event.h"
#include "eventfilter.h"

#include <QString>

#include <functional>
#include <memory>
#include <optional>

struct sqlite3;
struct sqlite3_stmt;

namespace FlowScope {

// The recording file format (docs/recording-format.md). Bump on any incompatible change; readers
// refuse newer files with a clear message instead of misreading them.
inline constexpr int RecordingFormatVersion = 1;
inline constexpr int RecordingApplicationId = 0x464C5343; // "FLSC"

enum class WriteMode {
    Live, // WAL: readers (the GUI, inspect) read while events arrive
    Bulk, // imports: a rollback journal while writing (each page written once), WAL once finished
};

// How many events fall in each stretch of a recording: the density strip under the window's seek
// slider. Read from the `segments` table (one row per written batch) with one query, never from
// the events: each batch's events are spread evenly over its [min_time, max_time], so a bucket
// narrower than a batch's span is an estimate; the counts add up to the recording's events.
struct EventDensity {
    bool byTime = false; // false: no event carries a time, the buckets divide the seq range
    qint64 from = 0;     // the first bucket's start: µs since the epoch (byTime), else seq 1
    qint64 to = 0;       // the last bucket's end, inclusive
    QList<qint64> counts;
    qint64 total() const;
    // The bucket holding `value` (a time, or a seq), clamped to the range.
    int bucketOf(qint64 value) const;
};

// Appends events to a recording. One transaction per batch, so a crash (even SIGKILL) leaves
// every batch that append() returned from in the file. Not thread-safe: one writer thread.
class RecordingWriter final {
public:
    // Creates a new recording at `path`, replacing any file there. Returns null and sets *error
    // when the file cannot be created.
    static std::unique_ptr<RecordingWriter> create(const QString& path, QString* error,
                                                   WriteMode mode = WriteMode::Live);
    // Opens an existing recording to add to it (checkpoints built afterwards, or more events).
    static std::unique_ptr<RecordingWriter> openExisting(const QString& path, QString* error);
    ~RecordingWriter();

    // Assigns seq (1, 2, ...) in arrival order to the events and stores them. On failure nothing
    // of this batch is stored, earlier batches stay, and *error says why.
    bool append(EventBatch& batch, QString* error);
    // Stores events numbered already: their seqs must be count() + 1, count() + 2, ... (a batch
    // that would leave a gap is refused). For a caller that numbers on one thread and writes on
    // another without copying the batch. A database locked by another connection is waited for
    // and the batch tried again, up to busyTimeoutMs(); then it fails as any other error does.
    bool appendNumbered(const EventBatch& batch, QString* error);
    // How long a write waits for a lock that another connection holds (another process writing,
    // a tool that has the file open) before it fails.
    static constexpr int DefaultBusyTimeoutMs = 60000;
    void setBusyTimeout(int ms);
    int busyTimeoutMs() const { return m_busyTimeoutMs; }
    bool setMeta(const QString& key, const QString& value, QString* error);
    // Stores a projection checkpoint: the state after event `seq` for the projections of kind
    // `kind` (a flow file's fingerprint). Replaces one stored for the same kind and seq.
    bool storeCheckpoint(const QByteArray& kind, qint64 seq, qint64 time, const QByteArray& state, QString* error);
    // Checkpoints the WAL into the main file (a bulk write switches to WAL here).
    bool finish(QString* error);
    // Keeps only about the newest `events` events (0, the default: all). Once the recording
    // holds a sixteenth more (at most 65536 more), the oldest rows, with the segments and
    // checkpoints before them, are deleted in the transaction of the batch that went past, so the
    // file stops growing: SQLite reuses the freed pages. The meta key `retention` records it.
    // For a window's session recording, which would otherwise grow by gigabytes an hour.
    bool setRetention(qint64 events, QString* error);
    qint64 firstSeq() const { return m_firstSeq; } // the oldest seq kept (1 without retention)

    qint64 count() const { return m_lastSeq; } // the last seq stored
    QString path() const { return m_path; }

    // Live mode: the WAL is copied into the main file whenever it has grown by WalCopyPages
    // pages (8 MB), by a thread of the writer's own on a connection of its own, so that the copy
    // and its fsyncs do not hold up the next batch. Past WalLimitPages the writer waits for a
    // copy after its commit, so that the next batch starts the WAL afresh: it stays bounded
    // however fast batches come, as long as no reader holds an old snapshot (a long read, a
    // saveCopy(), keeps the pages it may still need, as SQLite's own checkpoints did).
    static constexpr int PageSize = 8192;
    static constexpr int WalCopyPages = 1000;
    static constexpr int WalLimitPages = 8 * WalCopyPages;
    // Added to the nice value of the thread that copies the WAL, from its next copy on (a
    // window's sessions lower their workers: lowerCurrentThreadPriority). Live mode, before
    // finish(), from the thread that owns the writer; otherwise there is no such thread: no-op.
    void setCheckpointerNice(int increment);
    // The pragmas a new recording starts with (page size, journal, synchronous, cache size).
    static QByteArray creationPragmas(WriteMode mode);

private:
    class WalCopier; // the thread that copies the WAL (recordingwriter.cpp)
    RecordingWriter() = default;
    bool prepare(QString* error); // the statements append() uses
    // One transaction for the batch; *busy says whether it failed on a lock (worth trying again).
    bool writeBatch(const EventBatch& batch, QString* error, bool* busy);
    QString m_path;
    sqlite3* m_db = nullptr;
    std::unique_ptr<WalCopier> m_walCopier; // Live mode, until finish()
    sqlite3_stmt* m_insert = nullptr;
    sqlite3_stmt* m_segment = nullptr;
    bool dropBefore(qint64 seq, QString* error);
    qint64 m_lastSeq = 0;
    qint64 m_firstSeq = 1;
    qint64 m_retention = 0;
    int m_busyTimeoutMs = DefaultBusyTimeoutMs;
    WriteMode m_mode = WriteMode::Live;
};

// Reads a recording. Safe to use while a writer appends in another process or thread (WAL).
class Recording final {
public:
    // Returns null and sets *error for a missing file, a file that is not SQLite, a SQLite file
    // that is not a recording, a newer format version, or a damaged file.
    static std::unique_ptr<Recording> open(const QString& path, QString* error);
    ~Recording();

    static QString sqliteVersion();

    // Writes a consistent copy of the recording as it is now to `path` (SQLite's VACUUM INTO:
    // compacted, and readable while a writer keeps appending to this one). `path` must not exist.
    bool saveCopy(const QString& path, QString* error) const;

    int formatVersion() const { return m_version; }
    QString path() const { return m_path; }
    QString meta(const QString& key) const;
    qint64 eventCount() const; // the highest seq; seqs are dense from firstSeq()
    // The lowest seq stored: 1 unless the recording keeps only its newest events
    // (RecordingWriter::setRetention); 0 when it holds none.
    qint64 firstSeq() const;

    // Calls `sink` for each event with fromSeq <= seq <= toSeq, in seq order, until it returns
    // false. Returns false and sets *error when the file cannot be read (damage shows up here).
    using Sink = std::function<bool(Event&&)>;
    bool readSeqRange(qint64 fromSeq, qint64 toSeq, const Sink& sink, QString* error) const;
    // Events whose time (their own, else the broker's: carriedTime) is in [fromMicros, toMicros),
    // in seq order.
    bool readTimeRange(qint64 fromMicros, qint64 toMicros, const Sink& sink, QString* error) const;
    // The events with these seqs, in seq order (the order given does not matter).
    bool readSeqs(QList<qint64> seqs, const Sink& sink, QString* error) const;

    // Filtered reads (the event log). The events table has no index but its primary key (an
    // index would halve the write rate), so a filter is a scan along seq: callers keep each call
    // short by bounding the seq range, and page on with the last seq they got (never OFFSET).
    // The seqs of the events in (afterSeq, toSeq] that `filter` accepts, in order, at most `limit`.
    bool matchingSeqs(const EventFilter& filter, qint64 afterSeq, qint64 toSeq, int limit, QList<qint64>* out,
                      QString* error) const;
    // The events in [fromSeq, toSeq] that `filter` accepts, in seq order, until `sink` returns false.
    bool readMatching(const EventFilter& filter, qint64 fromSeq, qint64 toSeq, const Sink& sink, QString* error) const;
    // How many events `filter` accepts: a scan of the whole recording (tests, the CLI).
    qint64 countMatching(const EventFilter& filter, QString* error) const;

    struct Checkpoint {
        qint64 seq = 0;
        qint64 time = NoTime;
        QByteArray state;
    };
    // The latest checkpoint of `kind` at or before `seq`, if there is one.
    std::optional<Checkpoint> checkpointAtOrBefore(const QByteArray& kind, qint64 seq) const;
    qint64 checkpointCount(const QByteArray& kind) const;
    // The seq of the last event, in arrival order, whose time (its own, else the broker's) is at
    // or before `micros`; 0 when there is none. Recordings written before broker times counted
    // in `segments` find only events with a time of their own.
    qint64 lastSeqAtOrBefore(qint64 micros, QString* error) const;
    // The events per `buckets` equal stretches of the recording's event time (EventDensity).
    // False with *error set when the file cannot be read.
    bool density(int buckets, EventDensity* out, QString* error) const;

private:
    Recording() = default;
    qint64 selectInteger(const char* sql) const; // the first column of the first row; 0 if none
    bool readQuery(sqlite3_stmt* stmt, const Sink& sink, QString* error) const;
    QString m_path;
    sqlite3* m_db = nullptr;
    int m_version = 0;
};

} // namespace FlowScope
