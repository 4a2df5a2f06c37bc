// SPDX-License-Identifier: MIT
// The entry points of libflowscope-connectors.so: the commands that read or write a source
// (import, record, replay), loaded only for them (app/main.cpp). The other commands then start
// without Qt Network, Qt HTTP Server, Qt WebSockets, librdkafka and the TLS and Kerberos libraries
// beneath them: ~5 ms of every `flowscope sim` or `inspect` (docs/benchmarks.md).
#include "cli.h"

#include <source.h>

#include <QStringList>

namespace {
using namespace FlowScope;

// `command` with `args`: the program name, then the command's own arguments (main() takes the
// command's name out).
int run(const QString& command, const QStringList& args)
{
    if (command == u"import")
        return Cli::importCommand(args);
    if (command == u"record")
        return Cli::recordCommand(args);
    if (command == u"replay")
        return Cli::replayCommand(args);
    return Cli::Usage;
}
} // namespace

extern "C" __attribute__((visibility("default"))) int flowscope_connectors_run(const char* command,
                                                                                const QStringList* args)
{
    return run(QString::fromUtf8(command), *args);
}

// For `flowscope --version`.
extern "C" __attribute__((visibility("default"))) const char* flowscope_connectors_kafka_version()
{
    static const QByteArray version = Connectors::kafkaVersion().toUtf8();
    return version.constData();
}
