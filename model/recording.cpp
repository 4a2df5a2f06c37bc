// SPDX-License-Identifier: MIT
#include "recording.h"

#include "recordingsql.h"
#include "timeformat.h"

#include <QFile>
#include <QFileInfo>

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace FlowScope {

using namespace RecordingSql;

namespace {

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

std::unique_ptr<Recording> Recording::open(const QString& path, QString* error)
{
    if (!QFile::exists(path)) {
        *error = QStringLiteral("%1: no such file").arg(path);
        return nullptr;
    }
    if (QFileInfo(path).isDir()) { // SQLite says "disk I/O error"
        *error = QStringLiteral("%1: is a directory, not a FlowScope recording").arg(path);
        return nullptr;
    }
    if (QFileInfo(path).size() == 0) { // SQLite would take it for an empty database
        *error = QStringLiteral("%1: the file is empty, not a FlowScope recording").arg(path);
        return nullptr;
    }
    std::unique_ptr<Recording> r(new Recording);
    r->m_path = path;
    // Read-write so that a WAL left by a killed writer is recovered, as any SQLite reader would.
    int rc = RecordingSql::open(path, &r->m_db, SQLITE_OPEN_READWRITE);
    if (rc != SQLITE_OK) {
        sqlite3_close_v2(r->m_db);
        r->m_db = nullptr;
        rc = RecordingSql::open(path, &r->m_db, SQLITE_OPEN_READONLY);
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

bool Recording::saveCopy(const QString& path, QString* error) const
{
    if (QFile::exists(path)) {
        *error = QStringLiteral("%1 exists already").arg(path);
        return false;
    }
    sqlite3_stmt* s = nullptr;
    const QByteArray target = path.toUtf8();
    int rc = sqlite3_prepare_v2(m_db, "VACUUM INTO ?1", -1, &s, nullptr);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, target.constData(), int(target.size()), SQLITE_STATIC);
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        *error = sqliteError(m_db, QStringLiteral("cannot save a copy as %1").arg(path));
        QFile::remove(path); // never a partial copy that looks like a recording
        return false;
    }
    return true;
}

QString Recording::sqliteVersion() { return QString::fromLatin1(sqlite3_libversion()); }

QString Recording::meta(const QString& key) const
{
    sqlite3_stmt* s = nullptr;
    QString value;
    if (sqlite3_prepare_v2(m_db, "SELECT value FROM meta WHERE key = ?", -1, &s, nullptr) == SQLITE_OK) {
        const QByteArray k = key.toUtf8();
        if (bindText(s, 1, k) && sqlite3_step(s) == SQLITE_ROW)
            value = QString::fromUtf8(columnBytes(s, 0));
    }
    sqlite3_finalize(s);
    return value;
}

qint64 Recording::selectInteger(const char* sql) const
{
    sqlite3_stmt* s = nullptr;
    qint64 n = 0;
    if (sqlite3_prepare_v2(m_db, sql, -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

qint64 Recording::eventCount() const { return selectInteger("SELECT coalesce(max(seq), 0) FROM events"); }

qint64 Recording::firstSeq() const { return selectInteger("SELECT coalesce(min(seq), 0) FROM events"); }

std::optional<Recording::Checkpoint> Recording::checkpointAtOrBefore(const QByteArray& kind, qint64 seq) const
{
    sqlite3_stmt* s = nullptr;
    std::optional<Checkpoint> found;
    if (sqlite3_prepare_v2(m_db,
                           "SELECT seq, time, state FROM checkpoints WHERE kind = ? AND seq <= ? ORDER BY seq DESC LIMIT 1",
                           -1, &s, nullptr)
        == SQLITE_OK) {
        sqlite3_bind_int64(s, 2, seq);
        if (bindText(s, 1, kind) && sqlite3_step(s) == SQLITE_ROW)
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
        if (bindText(s, 1, kind) && sqlite3_step(s) == SQLITE_ROW)
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
                           "WHERE coalesce(e.time, e.broker_time) <= ?1",
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
          " WHERE s.max_time >= ?1 AND s.min_time < ?2 AND coalesce(e.time, e.broker_time) >= ?1"
          " AND coalesce(e.time, e.broker_time) < ?2 ORDER BY e.seq";
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
        e.setSubject(columnBytes(s, 6));
        e.specVersion = columnBytes(s, 7);
        e.dataContentType = columnBytes(s, 8);
        e.setDataSchema(columnBytes(s, 9));
        e.correlationId = columnBytes(s, 10);
        e.causationId = columnBytes(s, 11);
        e.setTraceParent(columnBytes(s, 12));
        e.setExtensions(columnBytes(s, 13));
        e.channel = columnBytes(s, 14);
        e.partition = sqlite3_column_type(s, 15) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 15);
        e.offset = sqlite3_column_type(s, 16) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 16);
        e.key = columnBytes(s, 17);
        e.brokerTime = columnTime(s, 18);
        QList<Header> headers;
        if (!decodeHeaders(columnBytes(s, 19), &headers)) {
            *error = QStringLiteral("%1: event %2 has damaged headers").arg(m_path).arg(e.seq);
            sqlite3_finalize(s);
            return false;
        }
        const int format = sqlite3_column_int(s, 20);
        e.format = format >= 0 && format <= 3 ? static_cast<EventFormat>(format) : EventFormat::Opaque;
        e.setHeaders(std::move(headers));
        e.flags = static_cast<quint8>(sqlite3_column_int(s, 21));
        e.setError(columnBytes(s, 22));
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
