// SPDX-License-Identifier: MIT
#include "cli/cli.h"
#include "gui/gui.h"

#include <recording.h>
#include <source.h>

#include <QCoreApplication>

namespace {

const char* const Usage = R"(Usage: flowscope [COMMAND] [OPTIONS]

See, record and replay event-driven systems. With no command, on a machine with a display,
the window opens on the built-in demo; without a display the demo runs headless.

Commands:
  gui [FLOW] open the window on FLOW's simulation (default: the built-in demo);
            --screenshot OUT.png [--after 5s] [--pane NAME] saves a picture and exits
  demo      run the built-in shop demo in the simulator and summarise it (the default)
  import    read a JSONL / kcat -J file into a recording
  export    write a recording's events as CloudEvents JSONL, kcat -J lines or CSV
  inspect   summarise a recording; with --flow its topology, sagas and views (--json for scripts)
  checkpoint store projection checkpoints in a recording, for fast seeking
  sim       run a flow file's simulation (faults included) and summarise it
  record    record a live source (Kafka, webhook) into a recording
  replay    re-publish a recording into Kafka, optionally with chaos (dup, drop, delay, reorder)

Run 'flowscope COMMAND --help' for the options of a command.
Options:
  -h, --help     this text
  -v, --version  versions of FlowScope and of the libraries it runs with
)";

} // namespace

int main(int argc, char* argv[])
{
    if (FlowScope::Gui::wantsGui(argc, argv))
        return FlowScope::Gui::run(argc, argv);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("flowscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FLOWSCOPE_VERSION));
    using namespace FlowScope;

    QStringList args = QCoreApplication::arguments();
    const QString command = args.size() > 1 ? args.at(1) : QStringLiteral("demo");
    if (command == u"-h" || command == u"--help" || command == u"help") {
        Cli::out(QByteArray(Usage));
        return Cli::Ok;
    }
    if (command == u"-v" || command == u"--version") {
        Cli::out(QStringLiteral("FlowScope %1\nQt %2 (built with %3)\nlibrdkafka %4\nSQLite %5\n")
                     .arg(QStringLiteral(FLOWSCOPE_VERSION), QString::fromLatin1(qVersion()),
                          QStringLiteral(QT_VERSION_STR), Connectors::kafkaVersion(),
                          Recording::sqliteVersion()));
        return Cli::Ok;
    }
    if (args.size() > 1)
        args.removeAt(1); // the subcommand sees [program, its own arguments...]
    if (command == u"demo")
        return Cli::demoCommand(args);
    if (command == u"import")
        return Cli::importCommand(args);
    if (command == u"export")
        return Cli::exportCommand(args);
    if (command == u"inspect")
        return Cli::inspectCommand(args);
    if (command == u"checkpoint")
        return Cli::checkpointCommand(args);
    if (command == u"sim")
        return Cli::simCommand(args);
    if (command == u"record")
        return Cli::recordCommand(args);
    if (command == u"replay")
        return Cli::replayCommand(args);
    Cli::err(QStringLiteral("flowscope: unknown command '%1'\n\n").arg(command));
    Cli::err(QString::fromUtf8(Usage));
    return Cli::Usage;
}
