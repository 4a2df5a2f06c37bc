// SPDX-License-Identifier: MIT
#pragma once

#include <QCommandLineParser>
#include <QStringList>

#include <atomic>
#include <memory>

#include <engine.h>

namespace FlowScope {
struct Flow;
class Recording;
class RecordingWriter;
}

namespace FlowScope::Cli {

enum ExitCode { Ok = 0, Failed = 1, Usage = 2, Interrupted = 130 };

// Subcommands take the arguments after the subcommand name, with the program name first.
int importCommand(const QStringList& args);
int exportCommand(const QStringList& args);
int inspectCommand(const QStringList& args);
int demoCommand(const QStringList& args);
int checkpointCommand(const QStringList& args);
// `command`: the name in messages (`demo` runs the simulation through this one)
int simCommand(const QStringList& args, const QString& command = QStringLiteral("sim"));
int recordCommand(const QStringList& args);
int replayCommand(const QStringList& args);

// Kafka client settings from --config FILE and then --property KEY=VALUE (later ones win),
// appended to `properties`. Returns Ok, or Usage / Failed after printing why.
int kafkaProperties(const QString& command, const QCommandLineParser& parser, const QCommandLineOption& config,
                    const QCommandLineOption& property, QList<QPair<QByteArray, QByteArray>>* properties);

// The engine's options for a command: it reads the state once, when it is done, so snapshots
// are taken only when asked for (a flush) and not every publish interval, which for views with
// many rows is a tenth of the fold.
Engine::Options commandEngineOptions();
// Ends the process once a command's work is saved, closed and its output written: flushes the
// standard streams and exits without running destructors. A long run's projections are hundreds
// of thousands of small allocations that the kernel takes back at once; freeing them one by one
// took 20-40 ms of the demo's 0.52 s `flowscope sim` (7 interleaved runs).
[[noreturn]] void exitNow(int code);
// After engine.stop(): stores where the events came from (meta `source`) and finishes the
// recording. False, with the reason on stderr after "`command`: ", when that or any of the
// engine's writes failed.
bool finishRecording(const QString& command, RecordingWriter& writer, const Engine& engine, const QString& source);
// The JSON of a command that folded while recording (sim --record, record): the engine's state with
// the keys `inspect --json` adds about the recording (`at`, `recorded_events`, `format_version`),
// so that both give the same keys.
QJsonObject recordedStateJson(const Engine& engine, const RecordingWriter* writer);

// Whether a command may write `path`, given as `option` (--out, --record): Ok, or after printing
// why, Usage for an empty path, a directory or a file the command reads (`reads`: its input, its
// flow file), and Failed for an existing file without `force` (--force).
int checkOutput(const QString& command, const QString& option, const QString& path, bool force,
                const QStringList& reads = {});

// Reads a flow file; on errors prints them all (file:line:column) and returns null.
std::shared_ptr<const Flow> loadFlow(const QString& command, const QString& path);
// `--at`: a sequence number (at most the recording's last), or an RFC 3339 time (the last event
// at or before it). Returns -1 after printing an error, with the exit code in `failure`: Usage for
// a value that is not one or is out of range, Failed when the recording could not be read.
qint64 resolveAt(const QString& command, const Recording& recording, const QString& at, int* failure);

// Parses `args` for one subcommand; handles --help (prints, exits 0) and reports bad usage on
// stderr. Returns false when the caller should exit with Usage.
bool parseArguments(QCommandLineParser& parser, const QString& command, const QString& description,
                    const QStringList& args, int minPositional, int maxPositional);

void out(const QByteArray& text);
void out(const QString& text);
void err(const QString& text);
bool stderrIsTerminal();

// The program's name as the user typed it, for messages.
QString programName();

// Installs SIGINT/SIGTERM handlers that set the flag instead of killing the process, so that
// long commands can commit what they have and close their files cleanly.
const std::atomic<bool>& interruptFlag();
// How many times Ctrl-C / SIGTERM came so far (installs the handlers too): a command that still
// finishes something after the first one (replay's last delivery reports) gives up at the next.
int interruptCount();

} // namespace FlowScope::Cli
