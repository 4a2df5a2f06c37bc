// SPDX-License-Identifier: MIT
#include "cli/cli.h"

#include <recording.h>
#include <source.h>

#include <QCoreApplication>

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// True when the command line asks for the window: no arguments on a machine with a display,
// `gui`, or `--screenshot`.
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

// The window lives in libflowscope-gui.so, loaded only here: the commands start without the
// forty-odd libraries under Qt Widgets, Charts and OpenGL (about 14 ms of every command). It
// sits beside the executable in a build tree and in FLOWSCOPE_GUI_MODULE_DIR (relative to it)
// once installed.
int runGui(int argc, char* argv[])
{
    // the executable's directory: from /proc, else from where the loader mapped it
    std::string dir;
    char self[4096];
    if (const ssize_t n = readlink("/proc/self/exe", self, sizeof self); n > 0 && size_t(n) < sizeof self) {
        dir.assign(self, size_t(n));
    } else if (Dl_info info; dladdr(reinterpret_cast<void*>(&wantsGui), &info) && info.dli_fname) {
        dir = info.dli_fname;
    }
    if (dir.find('/') == std::string::npos) {
        std::fprintf(stderr, "flowscope: cannot open the window: cannot tell where this program is, to load its module\n"
                             "The commands work without it: flowscope --help\n");
        return 1;
    }
    dir.erase(dir.find_last_of('/') + 1); // never a bare name: never the library search path
    std::string tried;
    for (const std::string& path : { dir + "libflowscope-gui.so", dir + FLOWSCOPE_GUI_MODULE_DIR "/libflowscope-gui.so" }) {
        void* module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!module) {
            tried += std::string("\n  ") + dlerror();
            continue;
        }
        using Run = int (*)(int, char**);
        if (const auto run = reinterpret_cast<Run>(dlsym(module, "flowscope_gui_run")))
            return run(argc, argv);
        tried += "\n  " + path + ": no flowscope_gui_run";
    }
    std::fprintf(stderr, "flowscope: cannot open the window: its module did not load:%s\n"
                         "The commands work without it: flowscope --help\n", tried.c_str());
    return 1;
}

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
    if (wantsGui(argc, argv))
        return runGui(argc, argv);
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
