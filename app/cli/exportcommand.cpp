// SPDX-License-Identifier: MIT
#include "cli.h"

#include <exporter.h>
#include <recording.h>

#include <QFile>
#include <QSaveFile>

#include <cstdio>

namespace FlowScope::Cli {

int exportCommand(const QStringList& args)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("REC"), QStringLiteral("Recording to read."));
    const QCommandLineOption formatOption(
        QStringLiteral("format"),
        QStringLiteral("jsonl (structured CloudEvents; unparsed events as they came), kcat (kcat -J envelopes, "
                       "keeping topic, partition, offset, key and headers) or csv. Default: jsonl."),
        QStringLiteral("FORMAT"), QStringLiteral("jsonl"));
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("Write to FILE instead of stdout."),
                                       QStringLiteral("FILE"));
    const QCommandLineOption fromOption(QStringLiteral("from"), QStringLiteral("First sequence number (default 1)."),
                                        QStringLiteral("SEQ"));
    const QCommandLineOption toOption(QStringLiteral("to"), QStringLiteral("Last sequence number (default: the end)."),
                                      QStringLiteral("SEQ"));
    const QCommandLineOption forceOption(QStringLiteral("force"), QStringLiteral("Replace FILE if it exists."));
    parser.addOptions({ formatOption, outOption, forceOption, fromOption, toOption });
    if (!parseArguments(parser, QStringLiteral("export"), QStringLiteral("Writes the events of a recording out."),
                        args, 1, 1))
        return Usage;
    const auto format = Exporter::formatFromName(parser.value(formatOption));
    if (!format) {
        err(QStringLiteral("%1 export: unknown format '%2' (use jsonl, kcat or csv)\n")
                .arg(programName(), parser.value(formatOption)));
        return Usage;
    }
    bool okFrom = true, okTo = true;
    const qint64 from = parser.isSet(fromOption) ? parser.value(fromOption).toLongLong(&okFrom) : 1;
    const qint64 to = parser.isSet(toOption) ? parser.value(toOption).toLongLong(&okTo)
                                             : std::numeric_limits<qint64>::max();
    if (!okFrom || !okTo || from < 1 || to < 1) {
        err(QStringLiteral("%1 export: --from and --to take sequence numbers (1 or more)\n").arg(programName()));
        return Usage;
    }
    if (from > to) {
        err(QStringLiteral("%1 export: --from %2 is after --to %3\n").arg(programName()).arg(from).arg(to));
        return Usage;
    }
    const QString input = parser.positionalArguments().first();
    if (parser.isSet(outOption))
        if (const int rc = checkOutput(QStringLiteral("export"), QStringLiteral("--out"), parser.value(outOption),
                                       parser.isSet(forceOption), { input });
            rc != Ok)
            return rc;
    QString error;
    const auto recording = Recording::open(input, &error);
    if (!recording) {
        err(QStringLiteral("%1 export: %2\n").arg(programName(), error));
        return Failed;
    }
    // A --from past the last event is a mistake, as `inspect --at` past it is: an empty export
    // with status 0 would look like a recording with nothing there. (--to past it means "to the end".)
    if (const qint64 last = recording->eventCount(); parser.isSet(fromOption) && from > last) {
        err(QStringLiteral("%1 export: --from %2: %3 ends at event %4 (%5)\n")
                .arg(programName(), parser.value(fromOption), input)
                .arg(last)
                .arg(last > 0 ? QStringLiteral("--from takes 1 to %1").arg(last) : QStringLiteral("it holds no events")));
        return Usage;
    }
    // With retention the oldest events are gone: a range that ends before the first kept one
    // would export nothing with status 0, as if those events had never been.
    if (const qint64 first = recording->firstSeq(); parser.isSet(toOption) && to < first) {
        err(QStringLiteral("%1 export: --to %2: %3 keeps events %4 to %5 (the older ones were dropped by its retention)\n")
                .arg(programName(), parser.value(toOption), input)
                .arg(first)
                .arg(recording->eventCount()));
        return Usage;
    }
    qint64 n;
    const std::atomic<bool>& interrupted = interruptFlag(); // Ctrl-C: stop, and write no half file
    if (parser.isSet(outOption)) {
        // written beside and renamed at the end: a failed export never leaves half a file
        QSaveFile file(parser.value(outOption));
        if (!file.open(QIODevice::WriteOnly)) {
            err(QStringLiteral("%1 export: %2: %3\n").arg(programName(), file.fileName(), file.errorString()));
            return Failed;
        }
        n = Exporter::exportTo(*recording, *format, file, &error, from, to, &interrupted);
        if (n < 0) {
            error += QStringLiteral("; %1 was not written").arg(file.fileName());
        } else if (!file.commit()) {
            error = file.errorString();
            n = -1;
        }
    } else {
        QFile stdOut;
        stdOut.open(stdout, QIODevice::WriteOnly);
        n = Exporter::exportTo(*recording, *format, stdOut, &error, from, to, &interrupted);
    }
    if (n < 0) {
        err(QStringLiteral("%1 export: %2\n").arg(programName(), error));
        return interrupted.load() ? Interrupted : Failed;
    }
    return Ok;
}

} // namespace FlowScope::Cli
