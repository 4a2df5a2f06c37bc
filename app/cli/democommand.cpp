// SPDX-License-Identifier: MIT
#include "cli.h"

namespace FlowScope::Cli {

// The built-in demo, headless: the shop's order saga (resources/demo/shop.yaml) in the
// simulator for a minute of simulated time, summarised. The GUI will show the same run.
int demoCommand(const QStringList& args)
{
    QCommandLineParser parser;
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("Also record the demo's events to REC."),
                                       QStringLiteral("REC"));
    const QCommandLineOption jsonOption(QStringLiteral("json"), QStringLiteral("Print the summary as JSON."));
    const QCommandLineOption durationOption(QStringLiteral("duration"),
                                            QStringLiteral("Simulated time to run (default 60s)."), QStringLiteral("D"),
                                            QStringLiteral("60s"));
    const QCommandLineOption speedOption(QStringLiteral("speed"),
                                         QStringLiteral("max (default) or Nx of wall time."), QStringLiteral("max|Nx"),
                                         QStringLiteral("max"));
    const QCommandLineOption forceOption(QStringLiteral("force"), QStringLiteral("Replace REC if it exists."));
    parser.addOptions({ outOption, forceOption, jsonOption, durationOption, speedOption });
    if (!parseArguments(parser, QStringLiteral("demo"),
                        QStringLiteral("Runs the built-in shop demo (an order saga of four services, 200 orders/s) in "
                                       "the simulator and shows its services, sagas, views and topology."),
                        args, 0, 0))
        return Usage;
    QStringList sim { args.first(), QStringLiteral(":/demo/shop.yaml"), QStringLiteral("--duration"),
                      parser.value(durationOption), QStringLiteral("--speed"), parser.value(speedOption) };
    if (parser.isSet(outOption)) {
        // checked here, for the messages to name --out
        if (const int rc = checkOutput(QStringLiteral("demo"), QStringLiteral("--out"), parser.value(outOption),
                                       parser.isSet(forceOption));
            rc != Ok)
            return rc;
        sim << QStringLiteral("--record") << parser.value(outOption) << QStringLiteral("--force");
    }
    if (parser.isSet(jsonOption))
        sim << QStringLiteral("--json");
    return simCommand(sim, QStringLiteral("demo"));
}

} // namespace FlowScope::Cli
