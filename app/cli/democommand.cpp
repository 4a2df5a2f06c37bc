// SPDX-License-Identifier: MIT
#include "cli.h"

#include <importer.h>
#include <flowfile.h>
#include <inspector.h>
#include <recording.h>

#include <QDir>
#include <QJsonDocument>
#include <QTemporaryDir>

namespace FlowScope::Cli {

// The built-in demo, headless: the order saga's sample stream, recorded and summarised.
int demoCommand(const QStringList& args)
{
    QCommandLineParser parser;
    const QCommandLineOption outOption(QStringLiteral("out"),
                                       QStringLiteral("Keep the demo recording at REC (default: a temporary file)."),
                                       QStringLiteral("REC"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print the summary as JSON."));
    parser.addOptions({ outOption, jsonOption });
    if (!parseArguments(parser, QStringLiteral("demo"),
                        QStringLiteral("Records the built-in order-saga sample stream and shows its sagas, views and topology."), args, 0, 0))
        return Usage;
    QTemporaryDir tmp;
    const QString rec = parser.isSet(outOption) ? parser.value(outOption) : tmp.filePath(QStringLiteral("demo.fsrec"));
    QString error;
    auto writer = RecordingWriter::create(rec, &error, WriteMode::Bulk);
    Connectors::ImportReport report;
    if (!writer || !Connectors::Importer::importFile(QStringLiteral(":/demo/orders.jsonl"), *writer, &report, &error)
        || !writer->finish(&error)) {
        err(QStringLiteral("%1 demo: %2\n").arg(programName(), error));
        return Failed;
    }
    writer.reset();
    const auto flow = loadFlow(QStringLiteral("demo"), QStringLiteral(":/demo/order-saga.yaml"));
    if (!flow)
        return Failed;
    const auto recording = Recording::open(rec, &error);
    const QJsonObject summary = recording ? Inspector::inspect(*recording, flow, &error) : QJsonObject();
    if (summary.isEmpty()) {
        err(QStringLiteral("%1 demo: %2\n").arg(programName(), error));
        return Failed;
    }
    if (parser.isSet(jsonOption)) {
        out(QJsonDocument(summary).toJson(QJsonDocument::Indented));
    } else {
        out(QStringLiteral("FlowScope demo: the order saga of docs/flow-file.md, %1 events recorded%2\n\n")
                .arg(report.events)
                .arg(parser.isSet(outOption) ? QStringLiteral(" to ") + rec : QString()));
        out(Inspector::toText(summary));
    }
    return Ok;
}

} // namespace FlowScope::Cli
