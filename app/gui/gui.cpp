// SPDX-License-Identifier: MIT
#include "gui.h"

#include "mainwindow.h"
#include "simsession.h"

#include <flowfile.h>
#include <flowfileparser.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>

#include <cstdlib>
#include <cstring>

namespace FlowScope::Gui {

bool wantsGui(int argc, char* argv[])
{
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--screenshot") == 0)
            return true;
    if (argc > 1)
        return std::strcmp(argv[1], "gui") == 0;
    // no arguments: the window where there is a screen, the headless demo elsewhere
    // (an offscreen or minimal platform is no screen: that is how tests and CI run)
    const char* platform = std::getenv("QT_QPA_PLATFORM");
    const bool headlessPlatform = platform && (std::strncmp(platform, "offscreen", 9) == 0
                                               || std::strncmp(platform, "minimal", 7) == 0);
    if (headlessPlatform)
        return false;
    return std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY") || platform;
}

int run(int argc, char* argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("flowscope"));
    QApplication::setOrganizationName(QStringLiteral("FlowScope"));
    QApplication::setApplicationVersion(QStringLiteral(FLOWSCOPE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("FlowScope: see, record, replay and disturb event-driven systems."));
    parser.addHelpOption();
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
                                        QStringLiteral("Only this pane: topology, sagas, views, events, services, charts."),
                                        QStringLiteral("NAME"));
    const QCommandLineOption speedOption(QStringLiteral("speed"), QStringLiteral("Start at this speed (e.g. 10x)."),
                                         QStringLiteral("Nx"));
    const QCommandLineOption faultOption(QStringLiteral("fault"),
                                         QStringLiteral("Schedule a fault, as in a faults: entry (repeatable)."),
                                         QStringLiteral("SPEC"));
    parser.addOptions({ shotOption, afterOption, paneOption, speedOption, faultOption, flowOption });
    parser.process(app);
    QStringList positional = parser.positionalArguments();
    if (!positional.isEmpty() && positional.first() == u"gui")
        positional.removeFirst();
    const QString file = positional.isEmpty() ? QStringLiteral(":/demo/shop.yaml") : positional.first();
    const bool isRecording = file.endsWith(u".fsrec");

    MainWindow window;
    window.resize(1500, 950);
    auto readFlow = [&window](const QString& path) -> std::shared_ptr<const Flow> {
        const FlowParseResult parsed = FlowFileParser::parseFile(path);
        if (!parsed.ok()) {
            QMessageBox::critical(&window, QStringLiteral("FlowScope"),
                                  QStringLiteral("%1 has errors:\n\n%2").arg(path, parsed.errorText()));
            return nullptr;
        }
        return std::make_shared<const Flow>(*parsed.flow);
    };
    if (isRecording) {
        std::shared_ptr<const Flow> flow = std::make_shared<const Flow>();
        if (parser.isSet(flowOption) && !(flow = readFlow(parser.value(flowOption))))
            return 1;
        window.show();
        if (!window.openRecording(file, flow))
            return 1;
        if (parser.isSet(speedOption))
            if (const auto f = parseFactor(parser.value(speedOption)))
                window.setSpeed(*f);
        if (parser.isSet(shotOption)) {
            const auto after = Duration::parse(parser.value(afterOption));
            window.screenshotLater(parser.value(shotOption), after ? int(after->micros / 1000) : 5000,
                                   parser.value(paneOption));
        }
        return QApplication::exec();
    }
    auto flow = readFlow(file);
    if (!flow)
        return 1;
    if (!flow->simulation) {
        QMessageBox::critical(&window, QStringLiteral("FlowScope"),
                              QStringLiteral("%1 has no simulation: section. To watch a recording with it, run "
                                             "flowscope gui REC.fsrec --flow %1").arg(file));
        return 1;
    }
    std::vector<Fault> faults;
    for (const QString& spec : parser.values(faultOption)) {
        QList<FlowError> errors;
        const auto fault = FlowFileParser::parseFault(spec, *flow, &errors);
        if (!fault) {
            QString text;
            for (const FlowError& e : std::as_const(errors))
                text += e.toString() + u'\n';
            QMessageBox::critical(&window, QStringLiteral("FlowScope"), text);
            return 2;
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
        return 1;
    if (parser.isSet(speedOption))
        if (const auto f = parseFactor(parser.value(speedOption)))
            window.setSpeed(*f);
    if (parser.isSet(shotOption)) {
        const auto after = Duration::parse(parser.value(afterOption));
        window.screenshotLater(parser.value(shotOption), after ? int(after->micros / 1000) : 5000, parser.value(paneOption));
    }
    return QApplication::exec();
}

} // namespace FlowScope::Gui
