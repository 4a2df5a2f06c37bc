// SPDX-License-Identifier: MIT
// A second connection to a recording, as another process (the sqlite3 shell, a backup tool)
// would hold it: what the tests of a recording whose write lock is taken, or whose rows are
// changed behind the writer's back, open with exec("BEGIN IMMEDIATE") and the like.
#pragma once

#include <QString>

#include <sqlite3.h>

namespace FlowScope::Test {

class OtherConnection final {
public:
    explicit OtherConnection(const QString& path)
    {
        m_ok = sqlite3_open_v2(path.toUtf8().constData(), &m_db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK;
    }
    ~OtherConnection() { sqlite3_close_v2(m_db); }
    OtherConnection(const OtherConnection&) = delete;
    OtherConnection& operator=(const OtherConnection&) = delete;

    bool isOpen() const { return m_ok; }
    bool exec(const char* sql) { return m_ok && sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

private:
    sqlite3* m_db = nullptr;
    bool m_ok = false;
};

} // namespace FlowScope::Test
