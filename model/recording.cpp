// SPDX-License-Identifier: MIT
#include "recording.h"

#include "timeformat.h"

#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

Q_LOGGING_CATEGORY(LOG_RECORDING, "flowscope.recording")

namespace FlowScope {
namespace {

// Column order of the events table; the insert and every select use it.
constexpr const char* EventColumns = "seq, ingest_time, time, id, type, source, subject, spec_version, "
                                     "data_content_type, data_schema, correlation_id, causation_id, trace_parent, "
                                     "extensions, channel, partition, \"offset\", key, broker_time, headers, format, "
                                     "flags, error, payload";
constexpr int EventColumnCount = 24;

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

QString sqliteError(sqlite3* db, const QString& what)
{
    return what + QStringLiteral(": ") + QString::fromUtf8(db ? sqlite3_errmsg(db) : "out of memory");
}

bool exec(sqlite3* db, const char* sql, QString* error)
{
    char* msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK)
        return true;
    if (error)
        *error = QString::fromUtf8(msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return false;
}

void bindText(sqlite3_stmt* s, int col, const QByteArray& v)
{
    if (v.isNull())
        sqlite3_bind_null(s, col);
    else
        sqlite3_bind_text(s, col, v.constData(), static_cast<int>(v.size()), SQLITE_STATIC);
}

void bindBlob(sqlite3_stmt* s, int col, const QByteArray& v)
{
    if (v.isNull())
        sqlite3_bind_null(s, col);
    else // constData() is never null for a non-null QByteArray, so an empty one stays a zero-length blob
        sqlite3_bind_blob(s, col, v.constData(), static_cast<int>(v.size()), SQLITE_STATIC);
}

void bindTime(sqlite3_stmt* s, int col, qint64 t)
{
    if (t == NoTime)
        sqlite3_bind_null(s, col);
    else
        sqlite3_bind_int64(s, col, t);
}

QByteArray columnBytes(sqlite3_stmt* s, int col)
{
    const int type = sqlite3_column_type(s, col);
    if (type == SQLITE_NULL)
        return {};
    const void* p = type == SQLITE_BLOB ? sqlite3_column_blob(s, col) : sqlite3_column_text(s, col);
    const int n = sqlite3_column_bytes(s, col);
    if (n == 0)
        return QByteArray(""); // present but empty
    return QByteArray(static_cast<const char*>(p), n);
}

qint64 columnTime(sqlite3_stmt* s, int col)
{
    return sqlite3_column_type(s, col) == SQLITE_NULL ? NoTime : sqlite3_column_int64(s, col);
}

// Headers as a blob: u32 count, then per header u32 name length, name, i32 value length
// (-1 for a null value), value. Little-endian. See docs/recording-format.md.
void putU32(QByteArray& out, quint32 v)
{
    char b[4] = { char(v & 0xFF), char((v >> 8) & 0xFF), char((v >> 16) & 0xFF), char((v >> 24) & 0xFF) };
    out.append(b, 4);
}

QByteArray encodeHeaders(const QList<Header>& headers)
{
    if (headers.isEmpty())
        return {};
    QByteArray out;
    putU32(out, static_cast<quint32>(headers.size()));
    for (const Header& h : headers) {
        putU32(out, static_cast<quint32>(h.name.size()));
        out.append(h.name);
        putU32(out, h.isNull ? 0xFFFFFFFFu : static_cast<quint32>(h.value.size()));
        if (!h.isNull)
            out.append(h.value);
    }
    return out;
}

bool getU32(const QByteArray& in, qsizetype& pos, quint32* v)
{
    if (pos + 4 > in.size())
        return false;
    const auto* p = reinterpret_cast<const unsigned char*>(in.constData() + pos);
    *v = quint32(p[0]) | (quint32(p[1]) << 8) | (quint32(p[2]) << 16) | (quint32(p[3]) << 24);
    pos += 4;
    return true;
}

bool decodeHeaders(const QByteArray& in, QList<Header>* out)
{
    qsizetype pos = 0;
    quint32 count;
    if (in.isEmpty())
        return true;
    if (!getU32(in, pos, &count))
        return false;
    for (quint32 i = 0; i < count; ++i) {
        quint32 n, vn;
        if (!getU32(in, pos, &n) || pos + n > in.size())
            return false;
        Header h;
        h.name = in.mid(pos, n);
        if (h.name.isNull())
            h.name = QByteArray("");
        pos += n;
        if (!getU32(in, pos, &vn))
            return false;
        if (vn == 0xFFFFFFFFu) {
            h.isNull = true;
        } else {
            if (pos + vn > in.size())
                return false;
            h.value = vn ? in.mid(pos, vn) : QByteArray("");
            pos += vn;
        }
        out->append(std::move(h));
    }
    return pos == in.size();
}

// An EventFilter as a SQL condition on the events table, with its values to bind as text, in
// order, to ?first, ?first+1, ... Values are always bound, never spliced into the SQL.
struct Where {
    QByteArray sql;
    QList<QByteArray> values;
};

Where whereOf(const EventFilter& f, int first)
{
    Where w;
    int next = first;
    auto param = [&](const QByteArray& value) -> QByteArray {
        w.values.append(value);
        return '?' + QByteArray::number(next++);
    };
    QList<QByteArray> terms;
    if (!f.type.isEmpty())
        terms.append("type = " + param(f.type.toUtf8()));
    if (!f.source.isEmpty())
        terms.append("source = " + param(f.source.toUtf8()));
    if (!f.channel.isEmpty())
        terms.append("channel = " + param(f.channel.toUtf8()));
    if (!f.correlation.isEmpty()) {
        const QByteArray c = param(f.correlation.toUtf8());
        QByteArray path = "$";
        for (const QString& segment : f.correlationDataPath) {
            if (segment.contains(u'"')) { // not expressible as a JSON path: the attribute only
                path.clear();
                break;
            }
            path += ".\"" + segment.toUtf8() + '"';
        }
        if (f.correlationDataPath.isEmpty() || path.isEmpty()) {
            terms.append("correlation_id = " + c);
        } else {
            // The attribute when the event has one; otherwise the flow file's place in the data.
            // CASE keeps json_extract away from payloads that are not JSON (it would fail the query).
            const QByteArray p = param(path);
            terms.append("CASE WHEN correlation_id IS NOT NULL THEN correlation_id = " + c
                         + " WHEN json_valid(CAST(payload AS TEXT)) THEN CAST(json_extract(CAST(payload AS TEXT), " + p
                         + ") AS TEXT) = " + c + " ELSE 0 END");
        }
    }
    if (!f.text.isEmpty()) {
        QByteArray pattern = f.text.toUtf8();
        pattern.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        const QByteArray p = param('%' + pattern + '%');
        QList<QByteArray> any;
        for (const char* column : { "type", "source", "id", "subject", "correlation_id", "causation_id", "channel",
                                    "error", "CAST(payload AS TEXT)" })
            any.append(QByteArray(column) + " LIKE " + p + " ESCAPE '\\'");
        terms.append('(' + any.join(" OR ") + ')');
    }
    w.sql = terms.isEmpty() ? QByteArray("1") : terms.join(" AND ");
    return w;
}

void bindWhere(sqlite3_stmt* s, const Where& w, int first)
{
    for (int i = 0; i < w.values.size(); ++i)
        sqlite3_bind_text(s, first + i, w.values[i].constData(), int(w.values[i].size()), SQLITE_TRANSIENT);
}

} // namespace

// ---------------------------------------------------------------- writer

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
    if (sqlite3_open_v2(path.toUtf8().constData(), &w->m_db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr)
        != SQLITE_OK) {
        *error = sqliteError(w->m_db, QStringLiteral("cannot create %1").arg(path));
        return nullptr;
    }
    sqlite3_busy_timeout(w->m_db, 10000); // readers may hold a shared lock for a moment
    // Live: WAL + NORMAL, so a committed batch survives the process being killed and readers
    // never block the writer. Bulk: a rollback journal, which writes each page once instead of
    // twice (WAL, then checkpoint) and is just as safe against a killed process; readers wait
    // for a commit instead. Page size goes first, before anything is written.
    const QByteArray setup = QByteArray("PRAGMA page_size = 8192;")
        + (mode == WriteMode::Live ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                                   // no fsync per batch; finish() syncs once. A killed process loses
                                   // nothing committed either way; a power cut mid-import means importing again.
                                   : "PRAGMA journal_mode = DELETE; PRAGMA synchronous = OFF;")
        + "PRAGMA cache_size = -65536;"
          "PRAGMA application_id = "
        + QByteArray::number(RecordingApplicationId) + ";PRAGMA user_version = " + QByteArray::number(RecordingFormatVersion)
        + ";BEGIN;" + Schema + "COMMIT;";
    QString err;
    if (!exec(w->m_db, setup.constData(), &err)) {
        *error = QStringLiteral("cannot create %1: %2").arg(path, err);
        return nullptr;
    }
    if (!w->prepare(error))
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
    if (sqlite3_open_v2(path.toUtf8().constData(), &w->m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr)
        != SQLITE_OK) {
        *error = sqliteError(w->m_db, QStringLiteral("%1: cannot open for writing").arg(path));
        return nullptr;
    }
    sqlite3_busy_timeout(w->m_db, 10000);
    QString err;
    if (!exec(w->m_db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", &err)) {
        *error = QStringLiteral("%1: %2").arg(path, err);
        return nullptr;
    }
    sqlite3_stmt* s = nullptr;
    if (!w->prepare(error) || sqlite3_prepare_v2(w->m_db, "SELECT coalesce(max(seq), 0) FROM events", -1, &s, nullptr) != SQLITE_OK
        || sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        if (error->isEmpty())
            *error = sqliteError(w->m_db, QStringLiteral("%1: cannot open for writing").arg(path));
        return nullptr;
    }
    w->m_lastSeq = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
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
    bindText(s, 1, kind);
    sqlite3_bind_int64(s, 2, seq);
    bindTime(s, 3, time);
    bindBlob(s, 4, state);
    const int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        *error = sqliteError(m_db, QStringLiteral("cannot write %1").arg(m_path));
        return false;
    }
    return true;
}

RecordingWriter::~RecordingWriter()
{
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
    if (batch.first().seq <= m_lastSeq) {
        *error = QStringLiteral("cannot write %1: event %2 comes after event %3 was stored")
                     .arg(m_path)
                     .arg(batch.first().seq)
                     .arg(m_lastSeq);
        return false;
    }
    QString err;
    if (!exec(m_db, "BEGIN", &err)) {
        *error = QStringLiteral("cannot write %1: %2").arg(m_path, err);
        return false;
    }
    qint64 seq = m_lastSeq;
    const qint64 firstSeq = batch.first().seq;
    qint64 minTime = NoTime, maxTime = NoTime;
    for (const Event& e : batch) {
        if (e.seq <= seq) {
            *error = QStringLiteral("cannot write %1: event %2 is out of order").arg(m_path).arg(e.seq);
            exec(m_db, "ROLLBACK", nullptr);
            return false;
        }
        seq = e.seq;
        if (e.time != NoTime) {
            minTime = minTime == NoTime ? e.time : std::min(minTime, e.time);
            maxTime = maxTime == NoTime ? e.time : std::max(maxTime, e.time);
        }
        sqlite3_stmt* s = m_insert;
        const QByteArray headers = encodeHeaders(e.headers);
        sqlite3_bind_int64(s, 1, e.seq);
        sqlite3_bind_int64(s, 2, e.ingestTime == NoTime ? 0 : e.ingestTime);
        bindTime(s, 3, e.time);
        bindText(s, 4, e.id);
        bindText(s, 5, e.type);
        bindText(s, 6, e.source);
        bindText(s, 7, e.subject);
        bindText(s, 8, e.specVersion);
        bindText(s, 9, e.dataContentType);
        bindText(s, 10, e.dataSchema);
        bindText(s, 11, e.correlationId);
        bindText(s, 12, e.causationId);
        bindText(s, 13, e.traceParent);
        bindText(s, 14, e.extensions);
        bindText(s, 15, e.channel);
        if (e.partition >= 0)
            sqlite3_bind_int(s, 16, e.partition);
        else
            sqlite3_bind_null(s, 16);
        if (e.offset >= 0)
            sqlite3_bind_int64(s, 17, e.offset);
        else
            sqlite3_bind_null(s, 17);
        bindBlob(s, 18, e.key);
        bindTime(s, 19, e.brokerTime);
        bindBlob(s, 20, headers);
        sqlite3_bind_int(s, 21, static_cast<int>(e.format));
        sqlite3_bind_int(s, 22, e.flags);
        bindText(s, 23, e.error);
        bindBlob(s, 24, e.payload);
        const int rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) {
            *error = sqliteError(m_db, QStringLiteral("cannot write %1").arg(m_path));
            exec(m_db, "ROLLBACK", nullptr);
            return false;
        }
    }
    // One row per batch: which seqs it holds and the span of their event times. Time-range reads
    // find their batches here, so the events table needs no index (which would halve the write rate).
    sqlite3_bind_int64(m_segment, 1, firstSeq);
    sqlite3_bind_int64(m_segment, 2, seq);
    bindTime(m_segment, 3, minTime);
    bindTime(m_segment, 4, maxTime);
    const int rc = sqlite3_step(m_segment);
    sqlite3_reset(m_segment);
    if (rc != SQLITE_DONE) {
        *error = sqliteError(m_db, QStringLiteral("cannot write %1").arg(m_path));
        exec(m_db, "ROLLBACK", nullptr);
        return false;
    }
    if (!exec(m_db, "COMMIT", &err)) {
        *error = QStringLiteral("cannot write %1: %2").arg(m_path, err);
        exec(m_db, "ROLLBACK", nullptr);
        return false;
    }
    m_lastSeq = seq;
    return true;
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
    bindText(s, 1, k);
    bindText(s, 2, v);
    const int rc = sqlite3_step(s);
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
    if (!setMeta(QStringLiteral("finished_at"), TimeFormat::toRfc3339String(TimeFormat::nowMicros()), error))
        return false;
    // A bulk write is synced to disk here, once, and ends in WAL mode like every other recording.
    if (!exec(m_db,
              m_mode == WriteMode::Bulk ? "PRAGMA synchronous = FULL; BEGIN IMMEDIATE;"
                                          "UPDATE meta SET value = value WHERE key = 'finished_at'; COMMIT;"
                                          "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                                        : "PRAGMA wal_checkpoint(TRUNCATE);",
              &err)) {
        *error = QStringLiteral("cannot finish %1: %2").arg(m_path, err);
        return false;
    }
    return true;
}

// ---------------------------------------------------------------- reader

std::unique_ptr<Recording> Recording::open(const QString& path, QString* error)
{
    if (!QFile::exists(path)) {
        *error = QStringLiteral("%1: no such file").arg(path);
        return nullptr;
    }
    if (QFileInfo(path).size() == 0) { // SQLite would take it for an empty database
        *error = QStringLiteral("%1: the file is empty, not a FlowScope recording").arg(path);
        return nullptr;
    }
    std::unique_ptr<Recording> r(new Recording);
    r->m_path = path;
    // Read-write so that a WAL left by a killed writer is recovered, as any SQLite reader would.
    int rc = sqlite3_open_v2(path.toUtf8().constData(), &r->m_db, SQLITE_OPEN_READWRITE, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_close_v2(r->m_db);
        r->m_db = nullptr;
        rc = sqlite3_open_v2(path.toUtf8().constData(), &r->m_db, SQLITE_OPEN_READONLY, nullptr);
    }
    if (rc != SQLITE_OK) {
        *error = sqliteError(r->m_db, QStringLiteral("%1: cannot open").arg(path));
        return nullptr;
    }
    sqlite3_busy_timeout(r->m_db, 10000); // a bulk writer holds its lock while it commits a batch
    sqlite3_stmt* s = nullptr;
    rc = sqlite3_prepare_v2(r->m_db, "SELECT application_id, user_version FROM pragma_application_id, pragma_user_version",
                            -1, &s, nullptr);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        const int code = sqlite3_extended_errcode(r->m_db);
        sqlite3_finalize(s);
        if ((code & 0xFF) == SQLITE_NOTADB)
            *error = QStringLiteral("%1: not a FlowScope recording (not a SQLite database)").arg(path);
        else if ((code & 0xFF) == SQLITE_CORRUPT)
            *error = QStringLiteral("%1: the recording is damaged (%2)").arg(path, QString::fromUtf8(sqlite3_errmsg(r->m_db)));
        else
            *error = sqliteError(r->m_db, QStringLiteral("%1: cannot read").arg(path));
        return nullptr;
    }
    const int appId = sqlite3_column_int(s, 0);
    r->m_version = sqlite3_column_int(s, 1);
    sqlite3_finalize(s);
    if (appId != RecordingApplicationId) {
        *error = QStringLiteral("%1: not a FlowScope recording (a SQLite database of another kind)").arg(path);
        return nullptr;
    }
    if (r->m_version > RecordingFormatVersion) {
        *error = QStringLiteral("%1: recording format version %2 is newer than this FlowScope reads (%3); "
                                "open it with a newer FlowScope")
                     .arg(path)
                     .arg(r->m_version)
                     .arg(RecordingFormatVersion);
        return nullptr;
    }
    if (r->m_version < 1) {
        *error = QStringLiteral("%1: recording has no format version: it was never completely created").arg(path);
        return nullptr;
    }
    // Touch the tables once so that a damaged schema is reported here rather than later.
    rc = sqlite3_prepare_v2(r->m_db, "SELECT count(*) FROM meta", -1, &s, nullptr);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW) {
        *error = sqliteError(r->m_db, QStringLiteral("%1: the recording is damaged").arg(path));
        return nullptr;
    }
    return r;
}

Recording::~Recording() { sqlite3_close_v2(m_db); }

QString Recording::sqliteVersion() { return QString::fromLatin1(sqlite3_libversion()); }

QString Recording::meta(const QString& key) const
{
    sqlite3_stmt* s = nullptr;
    QString value;
    if (sqlite3_prepare_v2(m_db, "SELECT value FROM meta WHERE key = ?", -1, &s, nullptr) == SQLITE_OK) {
        const QByteArray k = key.toUtf8();
        bindText(s, 1, k);
        if (sqlite3_step(s) == SQLITE_ROW)
            value = QString::fromUtf8(columnBytes(s, 0));
    }
    sqlite3_finalize(s);
    return value;
}

qint64 Recording::eventCount() const
{
    sqlite3_stmt* s = nullptr;
    qint64 n = 0;
    if (sqlite3_prepare_v2(m_db, "SELECT max(seq) FROM events", -1, &s, nullptr) == SQLITE_OK
        && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

std::optional<Recording::Checkpoint> Recording::checkpointAtOrBefore(const QByteArray& kind, qint64 seq) const
{
    sqlite3_stmt* s = nullptr;
    std::optional<Checkpoint> found;
    if (sqlite3_prepare_v2(m_db,
                           "SELECT seq, time, state FROM checkpoints WHERE kind = ? AND seq <= ? ORDER BY seq DESC LIMIT 1",
                           -1, &s, nullptr)
        == SQLITE_OK) {
        bindText(s, 1, kind);
        sqlite3_bind_int64(s, 2, seq);
        if (sqlite3_step(s) == SQLITE_ROW)
            found = Checkpoint { sqlite3_column_int64(s, 0), columnTime(s, 1), columnBytes(s, 2) };
    }
    sqlite3_finalize(s);
    return found;
}

qint64 Recording::checkpointCount(const QByteArray& kind) const
{
    sqlite3_stmt* s = nullptr;
    qint64 n = 0;
    if (sqlite3_prepare_v2(m_db, "SELECT count(*) FROM checkpoints WHERE kind = ?", -1, &s, nullptr) == SQLITE_OK) {
        bindText(s, 1, kind);
        if (sqlite3_step(s) == SQLITE_ROW)
            n = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    return n;
}

qint64 Recording::lastSeqAtOrBefore(qint64 micros, QString* error) const
{
    // The batches that hold any event at or before the time, newest first; the answer is in the
    // first of them that has one (their seq ranges do not overlap).
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(m_db,
                           "SELECT max(e.seq) FROM (SELECT first_seq, last_seq FROM segments WHERE min_time <= ?1 "
                           "ORDER BY first_seq DESC LIMIT 1) g JOIN events e ON e.seq BETWEEN g.first_seq AND g.last_seq "
                           "WHERE e.time <= ?1",
                           -1, &s, nullptr)
        != SQLITE_OK) {
        *error = sqliteError(m_db, QStringLiteral("%1: cannot read").arg(m_path));
        return -1;
    }
    sqlite3_bind_int64(s, 1, micros);
    qint64 seq = 0;
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        seq = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        *error = sqliteError(m_db, QStringLiteral("%1: cannot read").arg(m_path));
        return -1;
    }
    return seq;
}

qint64 EventDensity::total() const
{
    qint64 n = 0;
    for (qint64 c : counts)
        n += c;
    return n;
}

int EventDensity::bucketOf(qint64 value) const
{
    if (counts.isEmpty())
        return -1;
    // in double: a span of event times times the buckets can pass 2^63 (times decades apart)
    const double span = double(to) - double(from) + 1.0;
    const double at = (double(value) - double(from)) * double(counts.size()) / span;
    return int(std::clamp(at, 0.0, double(counts.size() - 1)));
}

bool Recording::density(int buckets, EventDensity* out, QString* error) const
{
    *out = {};
    out->counts = QList<qint64>(std::max(1, buckets), 0);
    struct Segment {
        qint64 first, last, minTime, maxTime;
        bool timed;
    };
    std::vector<Segment> segments;
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(m_db, "SELECT first_seq, last_seq, min_time, max_time FROM segments ORDER BY first_seq", -1,
                           &s, nullptr)
        != SQLITE_OK) {
        *error = sqliteError(m_db, QStringLiteral("%1: cannot read").arg(m_path));
        return false;
    }
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const bool timed = sqlite3_column_type(s, 2) != SQLITE_NULL && sqlite3_column_type(s, 3) != SQLITE_NULL;
        segments.push_back({ sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                             timed ? sqlite3_column_int64(s, 2) : 0, timed ? sqlite3_column_int64(s, 3) : 0, timed });
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        *error = sqliteError(m_db, QStringLiteral("%1: cannot read").arg(m_path));
        return false;
    }
    if (segments.empty())
        return true;
    // A batch without times (lines that were not understood) goes where the stream was then:
    // the end of the batch before it, or the start of the first batch with times.
    qint64 known = NoTime;
    out->from = std::numeric_limits<qint64>::max();
    out->to = std::numeric_limits<qint64>::min();
    for (Segment& g : segments) {
        if (g.timed) {
            out->from = std::min(out->from, g.minTime);
            out->to = std::max(out->to, g.maxTime);
            if (known == NoTime)
                for (Segment& before : segments) {
                    if (&before == &g)
                        break;
                    before.minTime = before.maxTime = g.minTime;
                }
            known = g.maxTime;
        } else if (known != NoTime) {
            g.minTime = g.maxTime = known;
        }
    }
    out->byTime = known != NoTime;
    if (!out->byTime) {
        out->from = segments.front().first;
        out->to = segments.back().last;
    }
    const int n = int(out->counts.size());
    const double span = double(out->to) - double(out->from) + 1.0;
    for (const Segment& g : segments) {
        const qint64 events = g.last - g.first + 1;
        const qint64 a = out->byTime ? g.minTime : g.first;
        const qint64 b = out->byTime ? std::max(g.minTime, g.maxTime) : g.last;
        const int ia = out->bucketOf(a), ib = out->bucketOf(b);
        // spread evenly over [a, b]: each bucket gets its share of the span, rounded so that the
        // shares add up to the batch's events exactly
        qint64 given = 0;
        const double length = double(b) - double(a) + 1.0;
        for (int k = ia; k < ib; ++k) {
            const double end = double(out->from) + span * double(k + 1) / double(n);
            const qint64 upTo
                = std::clamp<qint64>(std::llround(double(events) * (end - double(a)) / length), given, events);
            out->counts[k] += upTo - given;
            given = upTo;
        }
        out->counts[ib] += events - given;
    }
    return true;
}

bool Recording::readSeqRange(qint64 fromSeq, qint64 toSeq, const Sink& sink, QString* error) const
{
    sqlite3_stmt* s = nullptr;
    const QByteArray sql = QByteArray("SELECT ") + EventColumns + " FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq";
    if (sqlite3_prepare_v2(m_db, sql.constData(), -1, &s, nullptr) != SQLITE_OK) {
        *error = sqliteError(m_db, QStringLiteral("%1: cannot read").arg(m_path));
        return false;
    }
    sqlite3_bind_int64(s, 1, fromSeq);
    sqlite3_bind_int64(s, 2, toSeq);
    return readQuery(s, sink, error);
}

bool Recording::readTimeRange(qint64 fromMicros, qint64 toMicros, const Sink& sink, QString* error) const
{
    sqlite3_stmt* s = nullptr;
    QByteArray columns = QByteArray("e.") + EventColumns;
    columns.replace(", ", ", e.");
    const QByteArray sql = "SELECT " + columns
        + " FROM segments s JOIN events e ON e.seq BETWEEN s.first_seq AND s.last_seq"
          " WHERE s.max_time >= ?1 AND s.min_time < ?2 AND e.time >= ?1 AND e.time < ?2 ORDER BY e.seq";
    if (sqlite3_prepare_v2(m_db, sql.constData(), -1, &s, nullptr) != SQLITE_OK) {
        *error = sqliteError(m_db, QStringLiteral("%1: cannot read").arg(m_path));
        return false;
    }
    sqlite3_bind_int64(s, 1, fromMicros);
    sqlite3_bind_int64(s, 2, toMicros);
    return readQuery(s, sink, error);
}

bool Recording::readSeqs(QList<qint64> seqs, const Sink& sink, QString* error) const
{
    if (seqs.isEmpty())
        return true;
    std::sort(seqs.begin(), seqs.end());
    QByteArray list;
    for (qint64 seq : std::as_const(seqs))
        list += (list.isEmpty() ? "" : ",") + QByteArray::number(seq); // numbers: safe to splice
    sqlite3_stmt* s = nullptr;
    const QByteArray sql = QByteArray("SELECT ") + EventColumns + " FROM events WHERE seq IN (" + list + ") ORDER BY seq";
    if (sqlite3_prepare_v2(m_db, sql.constData(), -1, &s, nullptr) != SQLITE_OK) {
        *error = sqliteError(m_db, QStringLiteral("%1: cannot read").arg(m_path));
        return false;
    }
    return readQuery(s, sink, error);
}

bool Recording::matchingSeqs(const EventFilter& filter, qint64 afterSeq, qint64 toSeq, int limit, QList<qint64>* out,
                             QString* error) const
{
    const Where w = whereOf(filter, 4);
    const QByteArray sql = "SELECT seq FROM events WHERE seq > ?1 AND seq <= ?2 AND (" + w.sql + ") ORDER BY seq LIMIT ?3";
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(m_db, sql.constData(), -1, &s, nullptr) != SQLITE_OK) {
        *error = sqliteError(m_db, QStringLiteral("%1: cannot read").arg(m_path));
        return false;
    }
    sqlite3_bind_int64(s, 1, afterSeq);
    sqlite3_bind_int64(s, 2, toSeq);
    sqlite3_bind_int(s, 3, limit);
    bindWhere(s, w, 4);
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        out->append(sqlite3_column_int64(s, 0));
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        *error = sqliteError(m_db, QStringLiteral("%1: cannot read").arg(m_path));
        return false;
    }
    return true;
}

bool Recording::readMatching(const EventFilter& filter, qint64 fromSeq, qint64 toSeq, const Sink& sink,
                             QString* error) const
{
    const Where w = whereOf(filter, 3);
    const QByteArray sql = QByteArray("SELECT ") + EventColumns + " FROM events WHERE seq BETWEEN ?1 AND ?2 AND ("
        + w.sql + ") ORDER BY seq";
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(m_db, sql.constData(), -1, &s, nullptr) != SQLITE_OK) {
        *error = sqliteError(m_db, QStringLiteral("%1: cannot read").arg(m_path));
        return false;
    }
    sqlite3_bind_int64(s, 1, fromSeq);
    sqlite3_bind_int64(s, 2, toSeq);
    bindWhere(s, w, 3);
    return readQuery(s, sink, error);
}

qint64 Recording::countMatching(const EventFilter& filter, QString* error) const
{
    const Where w = whereOf(filter, 1);
    const QByteArray sql = "SELECT count(*) FROM events WHERE " + w.sql;
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(m_db, sql.constData(), -1, &s, nullptr) != SQLITE_OK) {
        *error = sqliteError(m_db, QStringLiteral("%1: cannot read").arg(m_path));
        return -1;
    }
    bindWhere(s, w, 1);
    qint64 n = -1;
    if (sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    else
        *error = sqliteError(m_db, QStringLiteral("%1: cannot read").arg(m_path));
    sqlite3_finalize(s);
    return n;
}

bool Recording::readQuery(sqlite3_stmt* s, const Sink& sink, QString* error) const
{
    static_assert(EventColumnCount == 24);
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        Event e;
        e.seq = sqlite3_column_int64(s, 0);
        e.ingestTime = sqlite3_column_int64(s, 1);
        e.time = columnTime(s, 2);
        e.id = columnBytes(s, 3);
        e.type = columnBytes(s, 4);
        e.source = columnBytes(s, 5);
        e.subject = columnBytes(s, 6);
        e.specVersion = columnBytes(s, 7);
        e.dataContentType = columnBytes(s, 8);
        e.dataSchema = columnBytes(s, 9);
        e.correlationId = columnBytes(s, 10);
        e.causationId = columnBytes(s, 11);
        e.traceParent = columnBytes(s, 12);
        e.extensions = columnBytes(s, 13);
        e.channel = columnBytes(s, 14);
        e.partition = sqlite3_column_type(s, 15) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 15);
        e.offset = sqlite3_column_type(s, 16) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 16);
        e.key = columnBytes(s, 17);
        e.brokerTime = columnTime(s, 18);
        if (!decodeHeaders(columnBytes(s, 19), &e.headers)) {
            *error = QStringLiteral("%1: event %2 has damaged headers").arg(m_path).arg(e.seq);
            sqlite3_finalize(s);
            return false;
        }
        const int format = sqlite3_column_int(s, 20);
        e.format = format >= 0 && format <= 3 ? static_cast<EventFormat>(format) : EventFormat::Opaque;
        e.flags = static_cast<quint8>(sqlite3_column_int(s, 21));
        e.error = columnBytes(s, 22);
        e.payload = columnBytes(s, 23);
        if (!sink(std::move(e))) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE) {
        *error = (rc & 0xFF) == SQLITE_CORRUPT || (rc & 0xFF) == SQLITE_NOTADB
            ? QStringLiteral("%1: the recording is damaged (%2)").arg(m_path, QString::fromUtf8(sqlite3_errmsg(m_db)))
            : sqliteError(m_db, QStringLiteral("%1: cannot read").arg(m_path));
        sqlite3_finalize(s);
        return false;
    }
    sqlite3_finalize(s);
    return true;
}

} // namespace FlowScope
