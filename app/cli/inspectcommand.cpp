// SPDX-License-Identifier: MIT
#include "cli.h"

#include <inspector.h>
#include <recording.h>

#include <QJsonDocument>

namespace FlowScope::Cli {

int inspectCommand(const QStringList& args)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("REC"), QStringLiteral("Recording to summarise."));
    const QCommandLineOption jsonOption(
        QStringLiteral("json"),
        QStringLiteral("Print one JSON object: events, unparsed, types, sources, channels, first_time, last_time."));
    parser.addOption(jsonOption);
    if (!parseArguments(parser, QStringLiteral("inspect"), QStringLiteral("Summarises a recording."), args, 1, 1))
        return Usage;
    QString error;
    const auto recording = Recording::open(parser.positionalArguments().first(), &error);
    if (!recording) {
        err(QStringLiteral("%1 inspect: %2\n").arg(programName(), error));
        return Failed;
    }
    const QJsonObject summary = Inspector::summary(*recording, &error);
    if (summary.isEmpty()) {
        err(QStringLiteral("%1 inspect: %2\n").arg(programName(), error));
        return Failed;
    }
    if (parser.isSet(jsonOption))
        out(QJsonDocument(summary).toJson(QJsonDocument::Indented));
    else
        out(Inspector::toText(summary));
    return Ok;
}

} // namespace FlowScope::Cli
