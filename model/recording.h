// SPDX-License-Identifier: MIT
#pragma once

#include "event.h"

#include <QString>

#include <functional>
#include <memory>

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

// Appends events to a recording. One transaction per batch, so a crash (even SIGKILL) leaves
// every batch that append() returned from in the file. Not thread-safe: one writer thread.
class RecordingWriter final {
public:
    // Creates a new recording at `path`, replacing any file there. Returns null and sets *error
    // when the file cannot be created.
    static std::unique_ptr<RecordingWriter> create(const QString& path, QString* error,
                                                   WriteMode mode = WriteMode::Live);
    ~RecordingWriter();

    // Assigns seq (1, 2, ...) in arrival order to the events and stores them. On failure nothing
    // of this batch is stored, earlier batches stay, and *error says why.
    bool append(EventBatch& batch, QString* error);
    bool setMeta(const QString& key, const QString& value, QString* error);
    // Checkpoints the WAL into the main file (a bulk write switches to WAL here).
    bool finish(QString* error);

    qint64 count() const { return m_lastSeq; }
    QString path() const { return m_path; }

private:
    RecordingWriter() = default;
    QString m_path;
    sqlite3* m_db = nullptr;
    sqlite3_stmt* m_insert = nullptr;
    sqlite3_stmt* m_segment = nullptr;
    qint64 m_lastSeq = 0;
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

    int formatVersion() const { return m_version; }
    QString path() const { return m_path; }
    QString meta(const QString& key) const;
    qint64 eventCount() const; // the highest seq; seqs are dense from 1

    // Calls `sink` for each event with fromSeq <= seq <= toSeq, in seq order, until it returns
    // false. Returns false and sets *error when the file cannot be read (damage shows up here).
    using Sink = std::function<bool(Event&&)>;
    bool readSeqRange(qint64 fromSeq, qint64 toSeq, const Sink& sink, QString* error) const;
    // Events whose event time is in [fromMicros, toMicros), in seq order.
    bool readTimeRange(qint64 fromMicros, qint64 toMicros, const Sink& sink, QString* error) const;

private:
    Recording() = default;
    bool readQuery(sqlite3_stmt* stmt, const Sink& sink, QString* error) const;
    QString m_path;
    sqlite3* m_db = nullptr;
    int m_version = 0;
};

} // namespace FlowScope
