// SPDX-License-Identifier: MIT
#include "cli.h"

#include <flowfileparser.h>
#include <recording.h>
#include <timeformat.h>

#include <QCoreApplication>
#include <QFileInfo>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace FlowScope::Cli {
namespace {
std::atomic<bool> g_interrupted { false };
std::atomic<int> g_interrupts { 0 }; // lock-free, as a signal handler needs

extern "C" void onSignal(int)
{
    g_interrupted.store(true);
    g_interrupts.fetch_add(1);
}

// QCommandLineParser names the program by argv[0]; users type "flowscope import".
QString helpFor(const QCommandLineParser& parser, const QString& command)
{
    QString text = parser.helpText();
    const qsizetype optionsAt = text.indexOf(u"[options]");
    if (text.startsWith(u"Usage: ") && optionsAt > 0)
        text.replace(7, optionsAt - 7, programName() + u' ' + command + u' ');
    return text;
}
} // namespace

bool parseArguments(QCommandLineParser& parser, const QString& command, const QString& description,
                    const QStringList& args, int minPositional, int maxPositional)
{
    parser.setApplicationDescription(description);
    // -h/--help only: addHelpOption() would offer --help-all too, for Qt options the commands do
    // not have (and an unhandled --help-all ran the command)
    const QCommandLineOption helpOption({ QStringLiteral("h"), QStringLiteral("help") },
                                        QStringLiteral("Displays help on commandline options."));
    parser.addOption(helpOption);
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    if (!parser.parse(args)) {
        err(programName() + u' ' + command + QStringLiteral(": ") + parser.errorText() + u'\n');
        err(QStringLiteral("Try '%1 %2 --help'.\n").arg(programName(), command));
        return false;
    }
    if (parser.isSet(helpOption)) {
        out(helpFor(parser, command));
        std::exit(Ok);
    }
    const auto n = parser.positionalArguments().size();
    if (n < minPositional || n > maxPositional) {
        err(programName() + u' ' + command
            + (n < minPositional ? QStringLiteral(": missing argument\n") : QStringLiteral(": too many arguments\n")));
        err(helpFor(parser, command));
        return false;
    }
    return true;
}

void out(const QByteArray& text)
{
    std::fwrite(text.constData(), 1, static_cast<size_t>(text.size()), stdout);
    std::fflush(stdout);
}

void out(const QString& text) { out(text.toUtf8()); }

void err(const QString& text)
{
    const QByteArray b = text.toUtf8();
    std::fwrite(b.constData(), 1, static_cast<size_t>(b.size()), stderr);
    std::fflush(stderr);
}

void exitNow(int code)
{
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(code);
}

bool finishRecording(const QString& command, RecordingWriter& writer, const Engine& engine, const QString& source)
{
    QString error;
    bool ok = writer.setMeta(QStringLiteral("source"), source, &error);
    ok = writer.finish(&error) && ok;
    if (!ok)
        err(command + QStringLiteral(": ") + error + u'\n');
    if (!engine.error().isEmpty()) {
        err(command + QStringLiteral(": ") + engine.error() + u'\n');
        ok = false;
    }
    return ok;
}

QJsonObject recordedStateJson(const Engine& engine, const RecordingWriter* writer)
{
    const auto snapshot = engine.snapshot();
    QJsonObject result = snapshot->state;
    if (writer) {
        result.insert(QStringLiteral("format_version"), RecordingFormatVersion);
        result.insert(QStringLiteral("at"), snapshot->lastSeq);
        result.insert(QStringLiteral("recorded_events"), writer->count());
    }
    return result;
}

Engine::Options commandEngineOptions()
{
    Engine::Options options;
    options.publishIntervalMs = 3'600'000;
    return options;
}

std::shared_ptr<const Flow> loadFlow(const QString& command, const QString& path)
{
    FlowParseResult result = FlowFileParser::parseFile(path);
    if (!result.ok()) {
        err(result.errorText() + u'\n');
        err(QStringLiteral("%1 %2: %3 has errors; see docs/flow-file.md\n").arg(programName(), command, path));
        return nullptr;
    }
    return std::make_shared<const Flow>(std::move(*result.flow));
}

qint64 resolveAt(const QString& command, const Recording& recording, const QString& at, int* failure)
{
    *failure = Usage;
    bool isNumber = false;
    const qint64 seq = at.toLongLong(&isNumber);
    if (isNumber && seq >= 0) {
        const qint64 last = recording.eventCount();
        if (seq > last) {
            err(QStringLiteral("%1 %2: --at %3: %4 ends at event %5 (--at takes 0 to %5)\n")
                    .arg(programName(), command, at, recording.path())
                    .arg(last));
            return -1;
        }
        return seq;
    }
    if (const auto t = TimeFormat::parseRfc3339(at.toUtf8())) {
        QString error;
        const qint64 found = recording.lastSeqAtOrBefore(*t, &error);
        if (found < 0) {
            err(QStringLiteral("%1 %2: %3\n").arg(programName(), command, error));
            *failure = Failed;
        }
        return found;
    }
    err(QStringLiteral("%1 %2: --at takes a sequence number (0 or more) or an RFC 3339 time such as "
                       "2026-11-27T10:00:00Z, got '%3'\n")
            .arg(programName(), command, at));
    return -1;
}

int checkOutput(const QString& command, const QString& option, const QString& path, bool force, const QStringList& reads)
{
    if (path.isEmpty()) {
        err(QStringLiteral("%1 %2: %3 takes a file name, got an empty one\n").arg(programName(), command, option));
        return Usage;
    }
    const QFileInfo target(path);
    if (target.exists()) {
        for (const QString& read : reads)
            if (QFileInfo(read).exists() && QFileInfo(read).canonicalFilePath() == target.canonicalFilePath()) {
                err(QStringLiteral("%1 %2: %3 %4 is the file this command reads; write elsewhere\n")
                        .arg(programName(), command, option, path));
                return Usage;
            }
        if (target.isDir()) {
            err(QStringLiteral("%1 %2: %3 %4 is a directory\n").arg(programName(), command, option, path));
            return Usage;
        }
        if (!force) {
            err(QStringLiteral("%1 %2: %3 exists; use --force to replace it\n").arg(programName(), command, path));
            return Failed;
        }
    }
    return Ok;
}

bool stderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

QString programName()
{
    const QStringList a = QCoreApplication::arguments();
    return a.isEmpty() ? QStringLiteral("flowscope") : QFileInfo(a.first()).fileName();
}

const std::atomic<bool>& interruptFlag()
{
    static const bool installed = [] {
        std::signal(SIGINT, onSignal);
        std::signal(SIGTERM, onSignal);
        return true;
    }();
    Q_UNUSED(installed);
    return g_interrupted;
}

int interruptCount()
{
    interruptFlag();
    return g_interrupts.load();
}

} // namespace FlowScope::Cli
