// SPDX-License-Identifier: MIT
#include "gui.h"

#include "mainwindow.h"
#include "simsession.h"
#include "theme.h"

#include <flowfile.h>
#include <flowfileparser.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <cstdio>
#include <cstdlib>
#include <cstring>


namespace FlowScope::Gui {

namespace {
// While the application starts: Qt aborts the process (a core dump, after advice to reinstall)
// when no platform plugin starts, e.g. with DISPLAY set to a display that is not there. This says
// why in one line, with what to do instead, and exits with 1.
QString g_platformWarning;
void startupMessages(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    const bool platform = context.category && std::strncmp(context.category, "qt.qpa", 6) == 0;
    if (type != QtFatalMsg) {
        if (platform && g_platformWarning.isEmpty())
            g_platformWarning = message;
        std::fprintf(stderr, "%s\n", qPrintable(message));
        return;
    }
    const char* display = std::getenv("DISPLAY");
    std::fprintf(stderr,
                 "flowscope: cannot open the window: %s\n"
                 "The commands work without one: `flowscope demo` runs the demo headless, and "
                 "QT_QPA_PLATFORM=offscreen draws the window without a display (--screenshot).\n",
                 qPrintable(g_platformWarning.isEmpty()
                                ? QStringLiteral("no display (DISPLAY=%1)").arg(QString::fromLocal8Bit(display ? display : ""))
                                : g_platformWarning));
    std::fflush(stderr);
    std::_Exit(1);
}
} // namespace

int run(int argc, char* argv[])
{
    const QtMessageHandler previous = qInstallMessageHandler(startupMessages);
    QApplication app(argc, argv);
    qInstallMessageHandler(previous);
    QApplication::setApplicationName(QStringLiteral("flowscope"));
    QApplication::setOrganizationName(QStringLiteral("FlowScope"));
    QApplication::setApplicationVersion(QStringLiteral(FLOWSCOPE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("FlowScope: see, record, replay and disturb event-driven systems."));
    // -h/--help only: addHelpOption() would offer --help-all too, for Qt options this has none of
    const QCommandLineOption helpOption({ QStringLiteral("h"), QStringLiteral("help") },
                                        QStringLiteral("Displays help on commandline options."));
    parser.addOption(helpOption);
    parser.addPositionalArgument(QStringLiteral("FILE"),
                                 QStringLiteral("A flow file to simulate (default: the built-in shop demo), or a recording "
                                                "(.fsrec) to replay."),
                                 QStringLiteral("[gui] [FLOW|REC]"));
    const QCommandLineOption flowOption(QStringLiteral("flow"),
                                        QStringLiteral("With a recording: the flow file for its sagas, views and declared "
                                                       "topology (without it, the observed topology only)."),
                                        QStringLiteral("FLOW"));
    const QCommandLineOption shotOption(QStringLiteral("screenshot"),
                                        QStringLiteral("Save a picture of the window to OUT.png and exit."),
                                        QStringLiteral("OUT.png"));
    const QCommandLineOption afterOption(QStringLiteral("after"), QStringLiteral("Wait this long first (default 5s)."),
                                         QStringLiteral("D"), QStringLiteral("5s"));
    const QCommandLineOption paneOption(QStringLiteral("pane"),
                                        QStringLiteral("Only this pane: topology, sagas, views, events, services, charts, faults."),
                                        QStringLiteral("NAME"));
    const QCommandLineOption speedOption(QStringLiteral("speed"), QStringLiteral("Start at this speed (e.g. 10x)."),
                                         QStringLiteral("Nx"));
    const QCommandLineOption faultOption(QStringLiteral("fault"),
                                         QStringLiteral("Schedule a fault, as in a faults: entry (repeatable)."),
                                         QStringLiteral("SPEC"));
    const QCommandLineOption themeOption(QStringLiteral("theme"),
                                         QStringLiteral("light or dark, for this run (View > Theme keeps one)."),
                                         QStringLiteral("NAME"));
    const QCommandLineOption correlationOption(
        QStringLiteral("correlation"),
        QStringLiteral("Once this saga instance appears: select it (its timeline) and show its events."),
        QStringLiteral("ID"));
    const QCommandLineOption exportTopologyOption(
        QStringLiteral("export-topology"),
        QStringLiteral("After --after, write the topology to FILE (.png, .svg or .dot) and exit."), QStringLiteral("FILE"));
    const QCommandLineOption exportSagaOption(
        QStringLiteral("export-saga"),
        QStringLiteral("After --after, write the saga diagram to FILE (.png, .svg or .dot) and exit."),
        QStringLiteral("FILE"));
    parser.addOptions({ shotOption, afterOption, paneOption, speedOption, faultOption, flowOption, themeOption,
                        correlationOption, exportTopologyOption, exportSagaOption });
    if (!parser.parse(QApplication::arguments())) {
        std::fprintf(stderr, "flowscope gui: %s\nTry 'flowscope gui --help'.\n", qPrintable(parser.errorText()));
        return 2;
    }
    if (parser.isSet(helpOption)) {
        // named as users type it (QCommandLineParser names the program by its path)
        QString text = parser.helpText();
        const qsizetype options = text.indexOf(u"[options]");
        if (text.startsWith(u"Usage: ") && options > 0)
            text.replace(7, options - 7, QStringLiteral("flowscope gui "));
        text.replace(QStringLiteral("[options] [gui] "), QStringLiteral("[options] "));
        std::fputs(qPrintable(text), stdout);
        return 0;
    }
    // A value that is not one is a usage error (status 2), as in the other commands, not a default.
    auto usage = [](const QString& message) {
        std::fprintf(stderr, "flowscope gui: %s\nTry 'flowscope gui --help'.\n", qPrintable(message));
        return 2;
    };
    if (parser.isSet(afterOption) && !Duration::parse(parser.value(afterOption)))
        return usage(QStringLiteral("--after: '%1' is not a duration (e.g. 5s, 500ms, 2m)").arg(parser.value(afterOption)));
    if (parser.isSet(speedOption) && !parseFactor(parser.value(speedOption)))
        return usage(QStringLiteral("--speed: '%1' is not a speed (e.g. 10x, 0.5x)").arg(parser.value(speedOption)));
    if (parser.isSet(themeOption) && parser.value(themeOption) != u"light" && parser.value(themeOption) != u"dark")
        return usage(QStringLiteral("--theme: '%1' is not a theme (light or dark)").arg(parser.value(themeOption)));
    QStringList positional = parser.positionalArguments();
    if (!positional.isEmpty() && positional.first() == u"gui")
        positional.removeFirst();
    const QString file = positional.isEmpty() ? QStringLiteral(":/demo/shop.yaml") : positional.first();
    const bool isRecording = file.endsWith(u".fsrec");
    if (isRecording && parser.isSet(faultOption)) // a recording happened as it did: faults are the simulator's
        return usage(QStringLiteral("--fault goes with a flow file to simulate, not a recording (%1)").arg(file));
    const bool exporting = parser.isSet(exportTopologyOption) || parser.isSet(exportSagaOption);
    const bool screenshot = parser.isSet(shotOption) || exporting; // both run unattended

    MainWindow window;
    window.resize(1500, 950);
    if (parser.isSet(themeOption))
        window.setTheme(Theme::fromName(parser.value(themeOption)), false); // this run: the settings keep the user's
    // A file that does not open: the window shows why (and File > Open is at hand). An
    // unattended run fails: with --screenshot it still takes the picture (of the error).
    auto failed = [&](const QString& message) {
        window.show();
        if (message != window.errorText()) // the window may have shown it already
            window.showError(message);     // on stderr too
        if (!screenshot)
            return QApplication::exec();
        if (!parser.isSet(shotOption))
            return 1;
        const auto after = Duration::parse(parser.value(afterOption));
        window.screenshotLater(parser.value(shotOption), after ? std::min(1000, int(after->micros / 1000)) : 1000,
                               parser.value(paneOption));
        QApplication::exec();
        return 1;
    };
    auto started = [&] {
        if (parser.isSet(speedOption))
            if (const auto f = parseFactor(parser.value(speedOption)))
                window.setSpeed(*f);
        if (parser.isSet(correlationOption))
            window.focusCorrelation(parser.value(correlationOption));
        const auto after = Duration::parse(parser.value(afterOption));
        const int delayMs = after ? int(after->micros / 1000) : 5000;
        if (exporting) // before the screenshot: timers of the same delay fire in the order they were made
            QTimer::singleShot(delayMs, &window, [&] {
                bool ok = true;
                if (parser.isSet(exportTopologyOption))
                    ok = window.exportTopology(parser.value(exportTopologyOption)) && ok;
                if (parser.isSet(exportSagaOption))
                    ok = window.exportSaga(parser.value(exportSagaOption)) && ok;
                if (!parser.isSet(shotOption) || !ok)
                    QApplication::exit(ok ? 0 : 1);
            });
        if (parser.isSet(shotOption))
            window.screenshotLater(parser.value(shotOption), delayMs, parser.value(paneOption));
        return QApplication::exec();
    };
    auto readFlow = [](const QString& path, QString* error) -> std::shared_ptr<const Flow> {
        const FlowParseResult parsed = FlowFileParser::parseFile(path);
        if (!parsed.ok()) {
            *error = QStringLiteral("%1 has errors:\n%2").arg(path, parsed.errorText());
            return nullptr;
        }
        return std::make_shared<const Flow>(*parsed.flow);
    };
    QString error;
    if (isRecording) {
        std::shared_ptr<const Flow> flow = std::make_shared<const Flow>();
        if (parser.isSet(flowOption) && !(flow = readFlow(parser.value(flowOption), &error)))
            return failed(error);
        window.show();
        if (!window.openRecording(file, flow))
            return failed(window.errorText());
        window.addRecentFile(file, parser.value(flowOption));
        return started();
    }
    auto flow = readFlow(file, &error);
    if (!flow)
        return failed(error);
    if (!flow->simulation)
        return failed(QStringLiteral("%1 has no simulation: section. To watch a recording with it, run "
                                     "flowscope gui REC.fsrec --flow %1").arg(file));
    std::vector<Fault> faults;
    for (const QString& spec : parser.values(faultOption)) {
        QList<FlowError> errors;
        const auto fault = FlowFileParser::parseFault(spec, *flow, &errors);
        if (!fault) {
            QString text;
            for (const FlowError& e : std::as_const(errors))
                text += e.toString() + u'\n';
            return failed(text.trimmed());
        }
        faults.push_back(*fault);
    }
    if (!faults.empty()) {
        Flow withFaults = *flow;
        if (withFaults.simulation)
            for (const Fault& f : faults)
                withFaults.simulation->faults.append(f);
        flow = std::make_shared<const Flow>(std::move(withFaults));
    }
    window.show();
    if (!window.startSimulation(flow))
        return failed(window.errorText());
    window.addRecentFile(file);
    return started();
}

} // namespace FlowScope::Gui
