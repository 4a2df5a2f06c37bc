// SPDX-License-Identifier: MIT
#include "cli/cli.h"

#include <recording.h>

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
    // set but empty (DISPLAY= flowscope) is no display either
    auto set = [](const char* name) {
        const char* value = std::getenv(name);
        return value && *value;
    };
    return set("DISPLAY") || set("WAYLAND_DISPLAY") || (platform && *platform);
}

// Parts of the program live in modules that it loads only when they are needed: the window
// (libflowscope-gui.so: Qt Widgets, Charts, OpenGL and the forty-odd libraries beneath them, ~14 ms
// of every command) and the commands that read or write a source (libflowscope-connectors.so:
// Qt Network, HTTP Server, WebSockets, librdkafka, TLS and Kerberos, ~5 ms). A module sits beside
// the executable in a build tree and in FLOWSCOPE_MODULE_DIR (relative to it) once installed.
// Returns `symbol` from module `file`, or null after `why` and the reasons on stderr.
void* moduleSymbol(const char* file, const char* symbol, const std::string& why)
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
        std::fprintf(stderr, "flowscope: %s: cannot tell where this program is, to load its module %s\n", why.c_str(), file);
        return nullptr;
    }
    dir.erase(dir.find_last_of('/') + 1); // never a bare name: never the library search path
    std::string tried;
    for (const std::string& path : { dir + file, dir + FLOWSCOPE_MODULE_DIR + "/" + file }) {
        void* module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!module) {
            tried += std::string("\n  ") + dlerror();
            continue;
        }
        if (void* found = dlsym(module, symbol))
            return found;
        tried += "\n  " + path + ": no " + symbol;
    }
    std::fprintf(stderr, "flowscope: %s: its module did not load:%s\n", why.c_str(), tried.c_str());
    return nullptr;
}

int runGui(int argc, char* argv[])
{
    using Run = int (*)(int, char**);
    const auto run = reinterpret_cast<Run>(moduleSymbol("libflowscope-gui.so", "flowscope_gui_run", "cannot open the window"));
    if (!run) {
        std::fprintf(stderr, "The commands work without it: flowscope --help\n");
        return 1;
    }
    return run(argc, argv);
}

// import, record and replay, from libflowscope-connectors.so, with `args` as a command gets them
// (the program name, then the command's own arguments).
int runWithConnectors(const QString& command, const QStringList& args)
{
    using Run = int (*)(const char*, const QStringList*);
    const QByteArray name = command.toUtf8();
    const auto run = reinterpret_cast<Run>(moduleSymbol("libflowscope-connectors.so", "flowscope_connectors_run",
                                                        "cannot run `" + name.toStdString() + "`"));
    return run ? run(name.constData(), &args) : FlowScope::Cli::Failed;
}

QString kafkaVersion()
{
    using Version = const char* (*)();
    const auto version = reinterpret_cast<Version>(
        moduleSymbol("libflowscope-connectors.so", "flowscope_connectors_kafka_version", "cannot tell librdkafka's version"));
    return version ? QString::fromUtf8(version()) : QStringLiteral("(not loaded)");
}

const char* const Usage = R"(Usage: flowscope [COMMAND] [OPTIONS]

See, record and replay event-driven systems. With no command, on a machine with a display,
the window opens on the built-in demo; without a display the demo runs headless.

Commands:
  gui [FLOW|REC]
            open the window on FLOW's simulation (default: the built-in demo) or on a recording;
            --screenshot OUT.png [--after 5s] [--pane NAME] saves a picture and exits
  demo      run the built-in shop demo in the simulator and summarise it (the default)
  import    read a JSONL / kcat -J file into a recording
  export    write a recording's events as CloudEvents JSONL, kcat -J lines or CSV
  inspect   summarise a recording; with --flow its topology, sagas and views (--json for scripts)
  checkpoint store projection checkpoints in a recording, for fast seeking
  sim       run a flow file's simulation (faults included) and summarise it
  record    record a live source (Kafka, a webhook, a WebSocket, an HTTP feed, a growing file)
  replay    re-publish a recording into Kafka, optionally with chaos (dup, drop, delay, reorder)

Run 'flowscope COMMAND --help' (or 'flowscope help COMMAND') for the options of a command.
Options:
  -h, --help     this text
  -v, --version  versions of FlowScope and of the libraries it runs with
)";

} // namespace

int main(int argc, char* argv[])
{
    // `help gui` is `gui --help`, which needs no screen: the window's options are printed
    // by its module, offscreen where there is no display
    char guiWord[] = "gui", helpWord[] = "--help";
    char* helpGuiArgv[] = { argv[0], guiWord, helpWord, nullptr };
    if (argc == 3 && std::strcmp(argv[1], "help") == 0 && std::strcmp(argv[2], "gui") == 0) {
        argc = 3;
        argv = helpGuiArgv;
    }
    if (wantsGui(argc, argv)) {
        for (int i = 1; i < argc; ++i)
            if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0)
                qputenv("QT_QPA_PLATFORM", "offscreen"); // help text only: no window, no display needed
        return runGui(argc, argv);
    }
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("flowscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FLOWSCOPE_VERSION));
    using namespace FlowScope;

    QStringList args = QCoreApplication::arguments();
    QString command = args.size() > 1 ? args.at(1) : QStringLiteral("demo");
    if (command == u"help" && args.size() > 2) { // `help sim` is `sim --help`
        command = args.at(2);
        args = QStringList { args.first(), command, QStringLiteral("--help") };
    }
    if (command == u"-h" || command == u"--help" || command == u"help") {
        Cli::out(QByteArray(Usage));
        return Cli::Ok;
    }
    if (command == u"-v" || command == u"--version") {
        Cli::out(QStringLiteral("FlowScope %1\nQt %2 (built with %3)\nlibrdkafka %4\nSQLite %5\n")
                     .arg(QStringLiteral(FLOWSCOPE_VERSION), QString::fromLatin1(qVersion()),
                          QStringLiteral(QT_VERSION_STR), kafkaVersion(),
                          Recording::sqliteVersion()));
        return Cli::Ok;
    }
    if (args.size() > 1)
        args.removeAt(1); // the subcommand sees [program, its own arguments...]
    if (command == u"import" || command == u"record" || command == u"replay")
        return runWithConnectors(command, args);
    if (command == u"demo")
        return Cli::demoCommand(args);
    if (command == u"export")
        return Cli::exportCommand(args);
    if (command == u"inspect")
        return Cli::inspectCommand(args);
    if (command == u"checkpoint")
        return Cli::checkpointCommand(args);
    if (command == u"sim")
        return Cli::simCommand(args);
    Cli::err(QStringLiteral("flowscope: unknown command '%1'\n\n").arg(command));
    Cli::err(QString::fromUtf8(Usage));
    return Cli::Usage;
}
