// SPDX-License-Identifier: MIT
#include "recordingsql.h"

#include <sqlite3.h>

namespace FlowScope::RecordingSql {

int open(const QString& path, sqlite3** db, int flags)
{
    static const bool configured = [] {
        // SQLITE_MISUSE if something in the process initialized SQLite first: harmless.
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        return true;
    }();
    Q_UNUSED(configured);
    return sqlite3_open_v2(path.toUtf8().constData(), db, flags, nullptr);
}

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

bool bindText(sqlite3_stmt* s, int col, const QByteArray& v)
{
    if (v.isNull())
        return sqlite3_bind_null(s, col) == SQLITE_OK;
    // The 64-bit length: an int would wrap above 2 GiB. SQLITE_TOOBIG above SQLite's limit (1e9
    // bytes by default) must reach the caller, or the column would be NULL without a word.
    return sqlite3_bind_text64(s, col, v.constData(), sqlite3_uint64(v.size()), SQLITE_STATIC, SQLITE_UTF8)
        == SQLITE_OK;
}

bool bindBlob(sqlite3_stmt* s, int col, const QByteArray& v)
{
    if (v.isNull())
        return sqlite3_bind_null(s, col) == SQLITE_OK;
    // constData() is never null for a non-null QByteArray, so an empty one stays a zero-length
    // blob. The 64-bit length and the result checked as in bindText().
    return sqlite3_bind_blob64(s, col, v.constData(), sqlite3_uint64(v.size()), SQLITE_STATIC) == SQLITE_OK;
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
static void putU32(QByteArray& out, quint32 v)
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

static bool getU32(const QByteArray& in, qsizetype& pos, quint32* v)
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

} // namespace FlowScope::RecordingSql
