// SPDX-License-Identifier: MIT
#include "cli.h"

#include <flowfile.h>
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
        QStringLiteral("Print one JSON object: events, unparsed, types, sources, channels, first_time, last_time "
                       "(with --flow also topology, sagas, views), metrics."));
    const QCommandLineOption flowOption(QStringLiteral("flow"),
                                        QStringLiteral("Flow file: adds the topology, the sagas and the views."),
                                        QStringLiteral("FLOW"));
    const QCommandLineOption atOption(
        QStringLiteral("at"),
        QStringLiteral("The state after the first SEQ events, or after the last event at or before TIME (RFC 3339)."),
        QStringLiteral("SEQ|TIME"));
    parser.addOptions({ jsonOption, flowOption, atOption });
    if (!parseArguments(parser, QStringLiteral("inspect"), QStringLiteral("Summarises a recording."), args, 1, 1))
        return Usage;
    std::shared_ptr<const Flow> flow;
    if (parser.isSet(flowOption) && !(flow = loadFlow(QStringLiteral("inspect"), parser.value(flowOption))))
        return Failed;
    QString error;
    const auto recording = Recording::open(parser.positionalArguments().first(), &error);
    if (!recording) {
        err(QStringLiteral("%1 inspect: %2\n").arg(programName(), error));
        return Failed;
    }
    qint64 at = -1;
    int failure = Failed;
    if (parser.isSet(atOption)
        && (at = resolveAt(QStringLiteral("inspect"), *recording, parser.value(atOption), &failure)) < 0)
        return failure;
    const QJsonObject summary = Inspector::inspect(*recording, flow, &error, at);
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
