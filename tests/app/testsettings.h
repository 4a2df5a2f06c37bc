// SPDX-License-Identifier: MIT
#pragma once

#include <QCoreApplication>
#include <QSettings>
#include <QStandardPaths>
#include <QString>
#include <QTemporaryDir>

namespace FlowScope::Tests {

// Never the user's settings: test mode, and every settings file under `dir` (this run's temporary
// directory), for the application `name`. Returns whether QSettings now writes there.
inline bool isolateSettings(const QTemporaryDir& dir, const QString& name)
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir.filePath(QStringLiteral("settings")));
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.filePath(QStringLiteral("settings")));
    QCoreApplication::setOrganizationName(QStringLiteral("FlowScopeTests"));
    QCoreApplication::setApplicationName(name);
    return QSettings().fileName().startsWith(dir.path());
}

} // namespace FlowScope::Tests
