// SPDX-License-Identifier: MIT
// What the window's tests (tst_gui_window, tst_gui_recording, tst_gui_sessions) share: settings
// of their own in this run's temporary directory, the demo's two flows, orders.jsonl imported into
// a recording once, and raw counts on a recording, independent of the code under test.
#pragma once

#include <flowfile.h>

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace FlowScope {
class Recording;
namespace Gui {
class MainWindow;
} // namespace Gui
} // namespace FlowScope

namespace FlowScope::Tests {

// The base of the tst_gui_* test classes: its initTestCase (Qt Test runs it for the derived class)
// isolates the settings for the application `name` and parses shop.yaml and order-saga.yaml.
class GuiTestFixture : public QObject {
    Q_OBJECT
public:
    explicit GuiTestFixture(const QString& name);

private Q_SLOTS:
    void initTestCase();

protected:
    QString demoRecording(); // orders.jsonl imported once
    // A raw count on the recording, independent of the code under test.
    static qint64 sqlCount(const QString& path, const char* where, const QList<QByteArray>& values);
    static QList<qint64> sqlSeqs(const QString& path, const char* where, const QByteArray& value);
    static bool settled(Gui::MainWindow& w, const Recording& recording);

    std::shared_ptr<const Flow> m_flow;
    std::shared_ptr<const Flow> m_orderFlow;
    QTemporaryDir m_dir; // the settings and the recordings of this run
    QString m_recording;

private:
    const QString m_name; // the application's name in the settings
};

} // namespace FlowScope::Tests
