// SPDX-License-Identifier: MIT
// The fixture the window's tests (tst_gui_*) share: see guitestfixture.h.
#include "guitestfixture.h"

#include "testsettings.h"

#include <engine.h>
#include <flowfileparser.h>
#include <gui/mainwindow.h>
#include <gui/session.h>
#include <importer.h>
#include <recording.h>

#include <QLoggingCategory>
#include <QTest>

#include <sqlite3.h>

namespace FlowScope::Tests {

using namespace FlowScope::Gui;

GuiTestFixture::GuiTestFixture(const QString& name)
    : m_name(name)
{
}

// After a pause, the events already on their way still land: true once the recording holds what
// the engine folded and did not grow since the previous call (QTRY_* calls it every 50 ms).
bool GuiTestFixture::settled(MainWindow& w, const Recording& recording)
{
    static qint64 last = -1;
    const qint64 n = recording.eventCount();
    const bool same = n == last && n == w.session()->snapshot()->events;
    last = n;
    return same;
}

void GuiTestFixture::initTestCase()
{
    QVERIFY(Tests::isolateSettings(m_dir, m_name));
    QLoggingCategory::setFilterRules(QStringLiteral("qt.modeltest.debug=false")); // every insert, otherwise
    const FlowParseResult o = FlowFileParser::parseFile(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/order-saga.yaml"));
    QVERIFY(o.ok());
    m_orderFlow = std::make_shared<const Flow>(*o.flow);
    const FlowParseResult r = FlowFileParser::parseFile(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/shop.yaml"));
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    m_flow = std::make_shared<const Flow>(*r.flow);
}

QString GuiTestFixture::demoRecording()
{
    if (!m_recording.isEmpty())
        return m_recording;
    const QString rec = m_dir.filePath(QStringLiteral("orders.fsrec"));
    QString error;
    auto writer = RecordingWriter::create(rec, &error);
    if (!writer)
        return {};
    Connectors::ImportReport report;
    if (!Connectors::Importer::importFile(QStringLiteral(FLOWSCOPE_SOURCE_DIR "/resources/demo/orders.jsonl"), *writer,
                                          &report, &error)
        || !writer->finish(&error))
        return {};
    m_recording = rec;
    return rec;
}

qint64 GuiTestFixture::sqlCount(const QString& path, const char* where, const QList<QByteArray>& values)
{
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
        return -1;
    sqlite3_stmt* s = nullptr;
    const QByteArray sql = QByteArray("SELECT count(*) FROM events WHERE ") + where;
    qint64 n = -1;
    if (sqlite3_prepare_v2(db, sql.constData(), -1, &s, nullptr) == SQLITE_OK) {
        for (int i = 0; i < values.size(); ++i)
            sqlite3_bind_text(s, i + 1, values[i].constData(), int(values[i].size()), SQLITE_TRANSIENT);
        if (sqlite3_step(s) == SQLITE_ROW)
            n = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

QList<qint64> GuiTestFixture::sqlSeqs(const QString& path, const char* where, const QByteArray& value)
{
    QList<qint64> out;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
        return out;
    sqlite3_stmt* s = nullptr;
    const QByteArray sql = QByteArray("SELECT seq FROM events WHERE ") + where + " ORDER BY seq";
    if (sqlite3_prepare_v2(db, sql.constData(), -1, &s, nullptr) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, value.constData(), int(value.size()), SQLITE_TRANSIENT);
        while (sqlite3_step(s) == SQLITE_ROW)
            out.append(sqlite3_column_int64(s, 0));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
}

} // namespace FlowScope::Tests
