// SPDX-License-Identifier: MIT
#include "cli.h"

#include <flowfile.h>
#include <seeker.h>

#include <QElapsedTimer>

namespace FlowScope::Cli {

int checkpointCommand(const QStringList& args)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("REC"), QStringLiteral("Recording to add checkpoints to."));
    const QCommandLineOption flowOption(QStringLiteral("flow"), QStringLiteral("Flow file (required)."),
                                        QStringLiteral("FLOW"));
    const QCommandLineOption everyOption(QStringLiteral("every"),
                                         QStringLiteral("Events between checkpoints (default 100000)."),
                                         QStringLiteral("N"), QStringLiteral("100000"));
    parser.addOptions({ flowOption, everyOption });
    if (!parseArguments(parser, QStringLiteral("checkpoint"),
                        QStringLiteral("Folds a recording through a flow file's projections and stores checkpoints "
                                       "in it, so that seeking (inspect --at, the window's seeks) starts near its target."),
                        args, 1, 1))
        return Usage;
    if (!parser.isSet(flowOption)) {
        err(QStringLiteral("%1 checkpoint: --flow FLOW is required\n").arg(programName()));
        return Usage;
    }
    bool ok = false;
    const qint64 every = parser.value(everyOption).toLongLong(&ok);
    if (!ok || every <= 0) {
        err(QStringLiteral("%1 checkpoint: --every takes a positive number of events\n").arg(programName()));
        return Usage;
    }
    const auto flow = loadFlow(QStringLiteral("checkpoint"), parser.value(flowOption));
    if (!flow)
        return Failed;
    QElapsedTimer timer;
    timer.start();
    QString error;
    const QString rec = parser.positionalArguments().first();
    const std::atomic<bool>& interrupted = interruptFlag(); // Ctrl-C: keep what is stored, stop
    const qint64 n = Seeker::buildCheckpoints(rec, flow, every, &error, &interrupted);
    if (n < 0) {
        err(QStringLiteral("%1 checkpoint: %2\n").arg(programName(), error));
        return Failed;
    }
    if (!error.isEmpty()) { // stopped by the interrupt
        err(QStringLiteral("%1 checkpoint: %2; the %3 checkpoints stored before are kept\n").arg(programName(), error).arg(n));
        return Interrupted;
    }
    out(QStringLiteral("%1: %2 checkpoints stored (%3 s)\n").arg(rec).arg(n).arg(timer.elapsed() / 1000.0, 0, 'f', 2));
    return Ok;
}

} // namespace FlowScope::Cli
