// SPDX-License-Identifier: MIT
#pragma once

// What the recording's reader (recording.cpp) and writer (recordingwriter.cpp) share: the events
// table's columns and how values go into SQLite and come out. Internal to the model library.

#include "event.h"

#include <QByteArray>
#include <QList>
#include <QString>

struct sqlite3;
struct sqlite3_stmt;

namespace FlowScope::RecordingSql {

// Column order of the events table; the insert and every select use it.
inline constexpr const char* EventColumns = "seq, ingest_time, time, id, type, source, subject, spec_version, "
                                            "data_content_type, data_schema, correlation_id, causation_id, "
                                            "trace_parent, extensions, channel, partition, \"offset\", key, "
                                            "broker_time, headers, format, flags, error, payload";
inline constexpr int EventColumnCount = 24;

// sqlite3_open_v2 for every connection FlowScope opens: the first call configures SQLite for
// the process before it initializes (no memory statistics: they take a global mutex around
// every allocation, ~5 % of an insert here, and nothing reads them). Returns SQLite's code.
int open(const QString& path, sqlite3** db, int flags);
QString sqliteError(sqlite3* db, const QString& what);
bool exec(sqlite3* db, const char* sql, QString* error); // error may be null

// A null QByteArray binds as NULL, an empty one as '' (text) or a zero-length blob. False when
// SQLite refuses the value (SQLITE_TOOBIG: larger than its length limit); sqlite3_errmsg says why.
[[nodiscard]] bool bindText(sqlite3_stmt* s, int col, const QByteArray& v);
[[nodiscard]] bool bindBlob(sqlite3_stmt* s, int col, const QByteArray& v);
void bindTime(sqlite3_stmt* s, int col, qint64 t); // NoTime binds as NULL
QByteArray columnBytes(sqlite3_stmt* s, int col);
qint64 columnTime(sqlite3_stmt* s, int col);

// The headers column (docs/recording-format.md).
QByteArray encodeHeaders(const QList<Header>& headers);
bool decodeHeaders(const QByteArray& in, QList<Header>* out);

} // namespace FlowScope::RecordingSql
