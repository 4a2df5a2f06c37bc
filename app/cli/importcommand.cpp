// SPDX-License-Identifier: MIT
#include "cli.h"

#include <importer.h>
#include <jsonlfilesource.h>
#include <recording.h>

#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace FlowScope::Cli {

int importCommand(const QStringList& args)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("FILE"),
                                 QStringLiteral("JSONL file: CloudEvents (structured), kcat -J lines, or JSON objects."));
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("Recording to write (required)."),
                                       QStringLiteral("REC"));
    const QCommandLineOption forceOption(QStringLiteral("force"), QStringLiteral("Replace REC if it exists."));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print the report as JSON."));
    parser.addOptions({ outOption, forceOption, jsonOption });
    if (!parseArguments(parser, QStringLiteral("import"),
                        QStringLiteral("Reads events from FILE into a new recording. Every non-empty line becomes one "
                                       "event; lines that are not events are kept as unparsed events and reported."),
                        args, 1, 1))
        return Usage;
    const QString input = parser.positionalArguments().first();
    const QString rec = parser.value(outOption);
    if (rec.isEmpty()) {
        err(QStringLiteral("%1 import: --out REC is required\n").arg(programName()));
        return Usage;
    }
    // Before the recording is created: a directory would otherwise leave an empty one behind.
    if (const QString problem = Connectors::JsonlFileSource::checkFile(input); !problem.isEmpty()) {
        err(QStringLiteral("%1 import: %2\n").arg(programName(), problem));
        return Failed;
    }
    if (const int rc = checkOutput(QStringLiteral("import"), QStringLiteral("--out"), rec, parser.isSet(forceOption), { input });
        rc != Ok)
        return rc;

    QString error;
    auto writer = RecordingWriter::create(rec, &error, WriteMode::Bulk);
    if (!writer) {
        err(QStringLiteral("%1 import: %2\n").arg(programName(), error));
        return Failed;
    }
    const bool progress = stderrIsTerminal() && !parser.isSet(jsonOption);
    QElapsedTimer timer;
    timer.start();
    Connectors::ImportReport report;
    const bool ok = Connectors::Importer::importFile(
        input, *writer, &report, &error,
        [&](qint64 done, qint64 total) {
            if (!progress)
                return;
            const double secs = std::max(timer.elapsed(), qint64(1)) / 1000.0;
            err(QStringLiteral("\rimporting %1: %2%  %3 MB/s ")
                    .arg(QFileInfo(input).fileName())
                    .arg(done * 100 / total, 3)
                    .arg(static_cast<double>(done) / 1e6 / secs, 0, 'f', 1));
        },
        &interruptFlag());
    if (progress)
        err(QStringLiteral("\r\x1b[K"));
    QString finishError;
    const bool finished = writer->finish(&finishError);
    const bool interrupted = interruptFlag().load();

    if (parser.isSet(jsonOption)) {
        QJsonArray bad;
        for (const auto& b : std::as_const(report.firstBadLines))
            bad.append(QJsonObject { { QStringLiteral("line"), b.line },
                                     { QStringLiteral("error"), QString::fromUtf8(b.error) } });
        const QJsonObject o { { QStringLiteral("file"), input },
                              { QStringLiteral("recording"), rec },
                              { QStringLiteral("lines"), report.lines },
                              { QStringLiteral("empty_lines"), report.emptyLines },
                              { QStringLiteral("events"), report.events },
                              { QStringLiteral("unparsed"), report.unparsed },
                              { QStringLiteral("bad_lines"), bad },
                              { QStringLiteral("complete"), ok && finished && !interrupted },
                              { QStringLiteral("seconds"), timer.elapsed() / 1000.0 } };
        out(QJsonDocument(o).toJson(QJsonDocument::Indented));
    } else {
        out(QStringLiteral("%1: %2 lines read, %3 events stored (%4 unparsed), %5 empty lines skipped\n")
                .arg(input)
                .arg(report.lines)
                .arg(report.events)
                .arg(report.unparsed)
                .arg(report.emptyLines));
        if (!report.firstBadLines.isEmpty()) {
            out(report.unparsed > report.firstBadLines.size() ? QStringLiteral("first unparsed lines:\n")
                                                              : QStringLiteral("unparsed lines:\n"));
            for (const auto& b : std::as_const(report.firstBadLines))
                out(QStringLiteral("  %1:%2: %3\n").arg(input).arg(b.line).arg(QString::fromUtf8(b.error)));
        }
        out(QStringLiteral("recording: %1 (%2 s)\n").arg(rec).arg(timer.elapsed() / 1000.0, 0, 'f', 2));
    }
    if (!ok) {
        err(QStringLiteral("%1 import: %2 (the %3 events stored before this are in %4)\n")
                .arg(programName(), error)
                .arg(report.events)
                .arg(rec));
        return Failed;
    }
    if (!finished) {
        err(QStringLiteral("%1 import: %2\n").arg(programName(), finishError));
        return Failed;
    }
    if (interrupted) {
        err(QStringLiteral("%1 import: interrupted; %2 events stored\n").arg(programName()).arg(report.events));
        return Interrupted;
    }
    return Ok;
}

} // namespace FlowScope::Cli
