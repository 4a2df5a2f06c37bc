// SPDX-License-Identifier: MIT
#include "recording.h"

#include "eventfields.h"
#include "recordingsql.h"
#include "threadpriority.h"
#include "timeformat.h"

#include <QElapsedTimer>
#include <QFile>

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace FlowScope {

using namespace RecordingSql;

namespace {
// How every connection writes a live recording, and how every recording ends (DESIGN.md:
// WAL; NORMAL: a committed batch survives the process being killed).
constexpr const char* LiveJournal = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";

constexpr const char* Schema = R"sql(
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE events (
    seq               INTEGER PRIMARY KEY,
    ingest_time       INTEGER NOT NULL,
    time              INTEGER,
    id                TEXT,
    type              TEXT,
    source            TEXT,
    subject           TEXT,
    spec_version      TEXT,
    data_content_type TEXT,
    data_schema       TEXT,
    correlation_id    TEXT,
    causation_id      TEXT,
    trace_parent      TEXT,
    extensions        TEXT,
    channel           TEXT,
    partition         INTEGER,
    "offset"          INTEGER,
    key               BLOB,
    broker_time       INTEGER,
    headers           BLOB,
    format            INTEGER NOT NULL,
    flags             INTEGER NOT NULL,
    error             TEXT,
    payload           BLOB
);
CREATE TABLE segments (
    first_seq INTEGER PRIMARY KEY,
    last_seq  INTEGER NOT NULL,
    min_time  INTEGER,
    max_time  INTEGER
);
CREATE TABLE checkpoints (
    kind    TEXT NOT NULL,
    seq     INTEGER NOT NULL,
    time    INTEGER,
    state   BLOB NOT NULL,
    UNIQUE (kind, seq)
);
)sql";
} // namespace

// Copies a live recording's WAL into its main file on a thread and a connection of its own
// (RecordingWriter::WalCopyPages): SQLite's automatic checkpoints would do it, and their fsyncs,
// on the writer's thread right after a commit.
class RecordingWriter::WalCopier final {
public:
    // Takes over the WAL hook of the writer's connection and turns off its automatic checkpoints.
    static std::unique_ptr<WalCopier> start(sqlite3* writer, const QString& path, QString* error)
    {
        std::unique_ptr<WalCopier> c(new WalCopier(writer, path));
        if (RecordingSql::open(path, &c->m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX) != SQLITE_OK) {
            *error = sqliteError(c->m_db, QStringLiteral("cannot open %1 for its checkpoints").arg(path));
            return nullptr;
        }
        sqlite3_busy_timeout(c->m_db, 10000);
        QString err;
        // journal_mode makes the new connection open the WAL: a checkpoint on a connection that
        // has not read the file yet does nothing
        if (!exec(c->m_db, LiveJournal, &err)
            || !exec(writer, "PRAGMA wal_autocheckpoint = 0;", &err)) {
            *error = QStringLiteral("%1: %2").arg(path, err);
            return nullptr;
        }
        c->m_thread = std::thread([c = c.get()] { c->run(); });
        sqlite3_wal_hook(writer, &WalCopier::walHook, c.get()); // after: a copier without a thread is never hooked
        return c;
    }

    // Stops the thread (a writer waiting for a copy stops waiting); SQLite's own checkpoints, and
    // its hook instead of ours, resume on the writer's connection.
    ~WalCopier()
    {
        if (m_thread.joinable()) {
            {
                std::lock_guard lock(m_mutex);
                m_stopping = true;
            }
            m_wanted.notify_all();
            m_thread.join();
            sqlite3_wal_autocheckpoint(m_writer, WalCopyPages);
        }
        sqlite3_close_v2(m_db);
    }

    void setNice(int increment) { m_nice = increment; }

private:
    WalCopier(sqlite3* writer, const QString& path)
        : m_writer(writer)
        , m_path(path)
    {
    }

    // On the writer's thread after a commit, its write lock released.
    static int walHook(void* self, sqlite3*, const char*, int pages)
    {
        auto* c = static_cast<WalCopier*>(self);
        if (pages < c->m_walPages) // the WAL started afresh
            c->m_asked = 0;
        c->m_walPages = pages;
        if (pages < c->m_asked + WalCopyPages)
            return SQLITE_OK; // a copy every WalCopyPages new pages: each costs two fsyncs
        c->m_asked = pages;
        std::unique_lock lock(c->m_mutex);
        c->m_due = true;
        c->m_wanted.notify_one();
        if (pages >= WalLimitPages)
            c->m_done.wait(lock, [c] { return (!c->m_due && !c->m_busy) || c->m_stopping; });
        return SQLITE_OK;
    }

    void run()
    {
        setCurrentThreadName("fs-wal-copy");
        std::unique_lock lock(m_mutex);
        int applied = 0; // nice increment applied to this thread so far
        bool warned = false;
        while (true) {
            m_wanted.wait(lock, [this] { return m_due || m_stopping; });
            if (m_stopping)
                break;
            m_due = false;
            m_busy = true;
            const int nice = m_nice;
            lock.unlock();
            if (nice > applied && lowerCurrentThreadPriority(nice - applied))
                applied = nice;
            // PASSIVE: copies what no reader still needs, never waits for the writer or a reader
            const int rc = sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
            if (rc != SQLITE_OK && !warned) { // e.g. a full disk: the next batch's commit says so too
                qWarning("%s", qPrintable(sqliteError(m_db, QStringLiteral("cannot copy the WAL into %1").arg(m_path))));
                warned = true;
            }
            lock.lock();
            m_busy = false;
            m_done.notify_all();
        }
        m_done.notify_all();
    }

    sqlite3* m_writer; // the writer's connection, whose hook this is
    QString m_path;
    sqlite3* m_db = nullptr; // the copier's own connection
    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_wanted, m_done;
    bool m_due = false;      // a copy was asked for
    bool m_busy = false;     // ... and is being made
    bool m_stopping = false;
    int m_asked = 0;         // the WAL's size in pages when a copy was last asked for
    int m_walPages = 0;      // ... and at the last commit
    std::atomic<int> m_nice { 0 };
};

QByteArray RecordingWriter::creationPragmas(WriteMode mode)
{
    // Live: WAL + NORMAL, so a committed batch survives the process being killed and readers
    // never block the writer. Bulk: a rollback journal, which writes each page once instead of
    // twice (WAL, then checkpoint) and is just as safe against a killed process; readers wait
    // for a commit instead. Page size goes first, before anything is written.
    return "PRAGMA page_size = " + QByteArray::number(PageSize) + ';'
        + (mode == WriteMode::Live ? LiveJournal
                                   // no fsync per batch; finish() syncs once. A killed process loses
                                   // nothing committed either way; a power cut mid-import means importing again.
                                   : "PRAGMA journal_mode = DELETE; PRAGMA synchronous = OFF;")
        + "PRAGMA cache_size = -65536;";
}

std::unique_ptr<RecordingWriter> RecordingWriter::create(const QString& path, QString* error, WriteMode mode)
{
    for (const char* suffix : { "", "-wal", "-shm", "-journal" }) {
        const QString f = path + QLatin1String(suffix);
        if (QFile::exists(f) && !QFile::remove(f)) {
            *error = QStringLiteral("cannot replace %1").arg(f);
            return nullptr;
        }
    }
    std::unique_ptr<RecordingWriter> w(new RecordingWriter);
    w->m_path = path;
    w->m_mode = mode;
    // NOMUTEX: one writer thread owns this connection, so SQLite's own locking is pure cost.
    if (RecordingSql::open(path, &w->m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX) != SQLITE_OK) {
        *error = sqliteError(w->m_db, QStringLiteral("cannot create %1").arg(path));
        return nullptr;
    }
    // readers may hold a shared lock for a moment; another writer, longer (appendNumbered)
    sqlite3_busy_timeout(w->m_db, w->m_busyTimeoutMs);
    const QByteArray setup = creationPragmas(mode) + "PRAGMA application_id = "
        + QByteArray::number(RecordingApplicationId) + ";PRAGMA user_version = " + QByteArray::number(RecordingFormatVersion)
        + ";BEGIN;" + Schema + "COMMIT;";
    QString err;
    if (!exec(w->m_db, setup.constData(), &err)) {
        *error = QStringLiteral("cannot create %1: %2").arg(path, err);
        return nullptr;
    }
    if (!w->prepare(error))
        return nullptr;
    if (mode == WriteMode::Live && !(w->m_walCopier = WalCopier::start(w->m_db, path, error)))
        return nullptr;
    if (!w->setMeta(QStringLiteral("created_by"), QStringLiteral("FlowScope " FLOWSCOPE_VERSION), error)
        || !w->setMeta(QStringLiteral("created_at"), TimeFormat::toRfc3339String(TimeFormat::nowMicros()), error))
        return nullptr;
    return w;
}

bool RecordingWriter::prepare(QString* error)
{
    const QByteArray insert = QByteArray("INSERT INTO events (") + EventColumns
        + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    if (sqlite3_prepare_v3(m_db, insert.constData(), -1, SQLITE_PREPARE_PERSISTENT, &m_insert, nullptr) != SQLITE_OK
        || sqlite3_prepare_v3(m_db, "INSERT INTO segments (first_seq, last_seq, min_time, max_time) VALUES (?,?,?,?)",
                              -1, SQLITE_PREPARE_PERSISTENT, &m_segment, nullptr)
            != SQLITE_OK) {
        *error = sqliteError(m_db, QStringLiteral("cannot prepare %1 for writing").arg(m_path));
        return false;
    }
    return true;
}

std::unique_ptr<RecordingWriter> RecordingWriter::openExisting(const QString& path, QString* error)
{
    // Validate it the way a reader does first: same messages for the same problems.
    {
        auto check = Recording::open(path, error);
        if (!check)
            return nullptr;
    }
    std::unique_ptr<RecordingWriter> w(new RecordingWriter);
    w->m_path = path;
    w->m_mode = WriteMode::Live;
    if (RecordingSql::open(path, &w->m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX) != SQLITE_OK) {
        *error = sqliteError(w->m_db, QStringLiteral("%1: cannot open for writing").arg(path));
        return nullptr;
    }
    sqlite3_busy_timeout(w->m_db, w->m_busyTimeoutMs);
    QString err;
    if (!exec(w->m_db, LiveJournal, &err)) {
        *error = QStringLiteral("%1: %2").arg(path, err);
        return nullptr;
    }
    sqlite3_stmt* s = nullptr;
    if (!w->prepare(error) || sqlite3_prepare_v2(w->m_db, "SELECT coalesce(max(seq), 0), coalesce(min(seq), 1) FROM events", -1, &s, nullptr) != SQLITE_OK
        || sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        if (error->isEmpty())
            *error = sqliteError(w->m_db, QStringLiteral("%1: cannot open for writing").arg(path));
        return nullptr;
    }
    w->m_lastSeq = sqlite3_column_int64(s, 0);
    w->m_firstSeq = sqlite3_column_int64(s, 1);
    sqlite3_finalize(s);
    if (!(w->m_walCopier = WalCopier::start(w->m_db, path, error)))
        return nullptr;
    return w;
}

bool RecordingWriter::storeCheckpoint(const QByteArray& kind, qint64 seq, qint64 time, const QByteArray& state,
                                      QString* error)
{
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(m_db, "INSERT OR REPLACE INTO checkpoints (kind, seq, time, state) VALUES (?,?,?,?)", -1,
                           &s, nullptr)
        != SQLITE_OK) {
        *error = sqliteError(m_db, QStringLiteral("cannot write %1").arg(m_path));
        return false;
    }
    sqlite3_bind_int64(s, 2, seq);
    bindTime(s, 3, time);
    const int rc = bindText(s, 1, kind) && bindBlob(s, 4, state) ? sqlite3_step(s) : SQLITE_TOOBIG;
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        *error = sqliteError(m_db, QStringLiteral("cannot write %1").arg(m_path));
        return false;
    }
    return true;
}

void RecordingWriter::setCheckpointerNice(int increment)
{
    if (m_walCopier)
        m_walCopier->setNice(increment);
}

RecordingWriter::~RecordingWriter()
{
    m_walCopier.reset();
    sqlite3_finalize(m_insert);
    sqlite3_finalize(m_segment);
    sqlite3_close_v2(m_db);
}

bool RecordingWriter::append(EventBatch& batch, QString* error)
{
    qint64 seq = m_lastSeq;
    for (Event& e : batch)
        e.seq = ++seq;
    if (appendNumbered(batch, error))
        return true;
    for (Event& undo : batch)
        undo.seq = 0;
    return false;
}

bool RecordingWriter::appendNumbered(const EventBatch& batch, QString* error)
{
    if (batch.isEmpty())
        return true;
    // Seqs are dense (docs/recording-format.md): a batch that does not follow the last one
    // stored would leave a gap that readers take for a damaged file.
    qint64 expected = m_lastSeq + 1;
    for (const Event& e : batch) {
        if (e.seq != expected) {
            *error = &e == &batch.first()
                ? QStringLiteral("cannot write %1: event %2 does not follow event %3, the last one stored")
                      .arg(m_path)
                      .arg(e.seq)
                      .arg(m_lastSeq)
                : QStringLiteral("cannot write %1: event %2 comes where event %3 belongs")
                      .arg(m_path)
                      .arg(e.seq)
                      .arg(expected);
            return false;
        }
        ++expected;
    }
    // Another connection holding the write lock (another process writing, a tool that has the file
    // open) makes SQLite wait up to the busy timeout; a lock it cannot wait for without risking a
    // deadlock fails at once instead. Either way the batch is tried again, with pauses that double,
    // until the busy timeout has passed: a lock held for a moment costs no events.
    QElapsedTimer waited;
    waited.start();
    for (int pauseMs = 5;; pauseMs = std::min(pauseMs * 2, 500)) {
        bool busy = false;
        if (writeBatch(batch, error, &busy))
            return true;
        if (!busy || waited.elapsed() + pauseMs > m_busyTimeoutMs)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(pauseMs));
    }
}

void RecordingWriter::setBusyTimeout(int ms)
{
    m_busyTimeoutMs = std::max(0, ms);
    sqlite3_busy_timeout(m_db, m_busyTimeoutMs);
}

namespace {

// The name of the events table's column `col` (from 1), for errors.
QString columnName(int col)
{
    const QList<QByteArray> names = QByteArray(EventColumns).split(',');
    return QString::fromLatin1(col >= 1 && col <= names.size() ? names.at(col - 1).trimmed() : QByteArray::number(col));
}

// Binds e's values to the insert; returns 0, or the first column whose value SQLite refused.
// SQLITE_STATIC: e and `headers` (e's, encoded) must live until the statement has run.
int bindEvent(sqlite3_stmt* s, const Event& e, const QByteArray& headers)
{
    sqlite3_bind_int64(s, 1, e.seq);
    sqlite3_bind_int64(s, 2, e.ingestTime == NoTime ? 0 : e.ingestTime);
    bindTime(s, 3, e.time);
    if (e.partition >= 0)
        sqlite3_bind_int(s, 16, e.partition);
    else
        sqlite3_bind_null(s, 16);
    if (e.offset >= 0)
        sqlite3_bind_int64(s, 17, e.offset);
    else
        sqlite3_bind_null(s, 17);
    bindTime(s, 19, e.brokerTime);
    sqlite3_bind_int(s, 21, static_cast<int>(e.format));
    sqlite3_bind_int(s, 22, e.flags);
    const std::pair<int, const QByteArray*> texts[] = { { 4, &e.id }, { 5, &e.type }, { 6, &e.source },
        { 7, &e.subject() }, { 8, &e.specVersion }, { 9, &e.dataContentType }, { 10, &e.dataSchema() },
        { 11, &e.correlationId }, { 12, &e.causationId }, { 13, &e.traceParent() }, { 14, &e.extensions() },
        { 15, &e.channel }, { 23, &e.error() } };
    for (const auto& [col, v] : texts)
        if (!bindText(s, col, *v))
            return col;
    const std::pair<int, const QByteArray*> blobs[] = { { 18, &e.key }, { 20, &headers }, { 24, &e.payload } };
    for (const auto& [col, v] : blobs)
        if (!bindBlob(s, col, *v))
            return col;
    return 0;
}

} // namespace

bool RecordingWriter::writeBatch(const EventBatch& batch, QString* error, bool* busy)
{
    // Called with the failing statement's result, before ROLLBACK replaces it.
    auto failed = [&](int rc) {
        *busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
        exec(m_db, "ROLLBACK", nullptr);
        return false;
    };
    QString err;
    if (!exec(m_db, "BEGIN", &err)) {
        *error = QStringLiteral("cannot write %1: %2").arg(m_path, err);
        return failed(sqlite3_extended_errcode(m_db));
    }
    qint64 seq = m_lastSeq;
    const qint64 firstSeq = batch.first().seq;
    qint64 minTime = NoTime, maxTime = NoTime;
    for (const Event& e : batch) {
        seq = e.seq;
        // the time the projections go by: the event's own, else the broker's
        if (const qint64 t = carriedTime(e); t != NoTime) {
            minTime = minTime == NoTime ? t : std::min(minTime, t);
            maxTime = maxTime == NoTime ? t : std::max(maxTime, t);
        }
        sqlite3_stmt* s = m_insert;
        const QByteArray headers = encodeHeaders(e.headers());
        if (const int col = bindEvent(s, e, headers)) {
            // SQLite refused a value (larger than its limit): failing says so, where storing the
            // row would have kept NULL in its place and called the event recorded.
            *error = sqliteError(m_db,
                QStringLiteral("cannot write %1: event %2, column %3").arg(m_path).arg(e.seq).arg(columnName(col)));
            const int code = sqlite3_extended_errcode(m_db);
            sqlite3_reset(s);
            return failed(code);
        }
        const int rc = sqlite3_step(s);
        if (rc != SQLITE_DONE) {
            *error = sqliteError(m_db, QStringLiteral("cannot write %1").arg(m_path));
            const int code = sqlite3_extended_errcode(m_db);
            sqlite3_reset(s);
            return failed(code);
        }
        sqlite3_reset(s);
    }
    // One row per batch: which seqs it holds and the span of their event times. Time-range reads
    // find their batches here, so the events table needs no index (which would halve the write rate).
    sqlite3_bind_int64(m_segment, 1, firstSeq);
    sqlite3_bind_int64(m_segment, 2, seq);
    bindTime(m_segment, 3, minTime);
    bindTime(m_segment, 4, maxTime);
    const int rc = sqlite3_step(m_segment);
    if (rc != SQLITE_DONE) {
        *error = sqliteError(m_db, QStringLiteral("cannot write %1").arg(m_path));
        const int code = sqlite3_extended_errcode(m_db);
        sqlite3_reset(m_segment);
        return failed(code);
    }
    sqlite3_reset(m_segment);
    const qint64 slack = std::clamp<qint64>(m_retention / 16, 1, 65536);
    const qint64 firstKept = m_firstSeq;
    if (m_retention > 0 && seq - m_firstSeq + 1 > m_retention + slack && !dropBefore(seq - m_retention + 1, error))
        return failed(sqlite3_extended_errcode(m_db));
    if (!exec(m_db, "COMMIT", &err)) {
        *error = QStringLiteral("cannot write %1: %2").arg(m_path, err);
        m_firstSeq = firstKept; // the rows dropBefore() deleted are back
        return failed(sqlite3_extended_errcode(m_db));
    }
    m_lastSeq = seq;
    return true;
}

bool RecordingWriter::dropBefore(qint64 seq, QString* error)
{
    // A segment that straddles the cut starts at it; those wholly before go with their events.
    const QByteArray n = QByteArray::number(seq);
    const QByteArray sql = "DELETE FROM events WHERE seq < " + n + "; DELETE FROM segments WHERE last_seq < " + n
        + "; UPDATE segments SET first_seq = " + n + " WHERE first_seq < " + n
        + "; DELETE FROM checkpoints WHERE seq < " + n + ";";
    QString err;
    if (!exec(m_db, sql.constData(), &err)) {
        *error = QStringLiteral("cannot drop old events from %1: %2").arg(m_path, err);
        return false;
    }
    m_firstSeq = seq;
    return true;
}

bool RecordingWriter::setRetention(qint64 events, QString* error)
{
    m_retention = std::max<qint64>(0, events);
    return setMeta(QStringLiteral("retention"), QString::number(m_retention), error);
}

bool RecordingWriter::setMeta(const QString& key, const QString& value, QString* error)
{
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(m_db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", -1, &s, nullptr)
        != SQLITE_OK) {
        *error = sqliteError(m_db, QStringLiteral("cannot write %1").arg(m_path));
        return false;
    }
    const QByteArray k = key.toUtf8(), v = value.toUtf8();
    const int rc = bindText(s, 1, k) && bindText(s, 2, v) ? sqlite3_step(s) : SQLITE_TOOBIG;
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        *error = sqliteError(m_db, QStringLiteral("cannot write %1").arg(m_path));
        return false;
    }
    return true;
}

bool RecordingWriter::finish(QString* error)
{
    QString err;
    m_walCopier.reset(); // the last copy is below, on this connection
    if (!setMeta(QStringLiteral("finished_at"), TimeFormat::toRfc3339String(TimeFormat::nowMicros()), error))
        return false;
    // A bulk write is synced to disk here, once, and ends in WAL mode like every other recording.
    const QByteArray sql = m_mode == WriteMode::Bulk
        ? QByteArray("PRAGMA synchronous = FULL; BEGIN IMMEDIATE;"
                     "UPDATE meta SET value = value WHERE key = 'finished_at'; COMMIT;")
            + LiveJournal
        : QByteArray("PRAGMA wal_checkpoint(TRUNCATE);");
    if (!exec(m_db, sql.constData(), &err)) {
        *error = QStringLiteral("cannot finish %1: %2").arg(m_path, err);
        return false;
    }
    return true;
}

} // namespace FlowScope
