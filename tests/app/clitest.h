// SPDX-License-Identifier: MIT
// What the `flowscope` command tests share: running it as a user does, and the files they feed it.
#pragma once

#include <event.h>
#include <recording.h>

#include <QFile>
#include <QProcess>
#include <QTest>

#include <limits>

namespace FlowScope::CliTest {

struct Run {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

inline Run flowscope(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment())
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(FLOWSCOPE_BINARY), args);
    Run r;
    if (!p.waitForFinished(120000)) {
        p.kill();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

inline void writeFile(const QString& path, const QByteArray& data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QCOMPARE(f.write(data), data.size());
}

inline QList<Event> readAll(const QString& rec)
{
    QString error;
    auto r = Recording::open(rec, &error);
    if (!r) {
        qWarning("%s", qPrintable(error));
        return {};
    }
    QList<Event> out;
    r->readSeqRange(1, std::numeric_limits<qint64>::max(), [&](Event&& e) {
        out.append(std::move(e));
        return true;
    }, &error);
    return out;
}

inline QByteArray ce(int i, const QByteArray& type = "OrderCreated", const QByteArray& extra = {})
{
    return R"({"specversion":"1.0","id":"e)" + QByteArray::number(i) + R"(","source":"orders","type":")" + type
        + R"(","time":"2026-11-27T10:00:)" + QByteArray::number(10 + i % 50) + R"(Z","correlationid":"o)"
        + QByteArray::number(i / 3) + '"' + extra + R"(,"data":{"orderId":"o)" + QByteArray::number(i / 3) + R"("}})";
}

} // namespace FlowScope::CliTest
