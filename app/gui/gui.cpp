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
    parser.addPositionalArgument(QStringLiteral("FLOW"), QStringLiteral("Flow file to simulate (default: the built-in shop demo)."),
                                 QStringLiteral("[gui] [FLOW]"));
    const QCommandLineOption shotOption(QStringLiteral("screenshot"),
                                        QStringLiteral("Save a picture of the window to OUT.png and exit."),
                                        QStringLiteral("OUT.png"));
    const QCommandLineOption afterOption(QStringLiteral("after"), QStringLiteral("Wait this long first (default 5s)."),
                                         QStringLiteral("D"), QStringLiteral("5s"));
    const QCommandLineOption paneOption(QStringLiteral("pane"),
                                        QStringLiteral("Only this pane: topology, sagas, views, events, services."),
                                        QStringLiteral("NAME"));
    const QCommandLineOption speedOption(QStringLiteral("speed"), QStringLiteral("Start at this speed (e.g. 10x)."),
                                         QStringLiteral("Nx"));
    const QCommandLineOption faultOption(QStringLiteral("fault"),
                                         QStringLiteral("Schedule a fault, as in a faults: entry (repeatable)."),
                                         QStringLiteral("SPEC"));
    parser.addOptions({ shotOption, afterOption, paneOption, speedOption, faultOption });
    parser.process(app);
    QStringList positional = parser.positionalArguments();
    if (!positional.isEmpty() && positional.first() == u"gui")
        positional.removeFirst();
    const QString flowPath = positional.isEmpty() ? QStringLiteral(":/demo/shop.yaml") : positional.first();

    MainWindow window;
    window.resize(1500, 950);
    const FlowParseResult parsed = FlowFileParser::parseFile(flowPath);
    if (!parsed.ok()) {
        QMessageBox::critical(&window, QStringLiteral("FlowScope"),
                              QStringLiteral("%1 has errors:\n\n%2").arg(flowPath, parsed.errorText()));
        return 1;
    }
    auto flow = std::make_shared<const Flow>(*parsed.flow);
    if (!flow->simulation) {
        QMessageBox::critical(&window, QStringLiteral("FlowScope"),
                              QStringLiteral("%1 has no simulation: section; opening recordings in the window comes "
                                             "with the next version (use flowscope inspect).")
                                  .arg(flowPath));
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
