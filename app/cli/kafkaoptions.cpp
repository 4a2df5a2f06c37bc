// SPDX-License-Identifier: MIT
// Kafka client settings from the command line: in the connectors' module with the commands that
// use them (record, replay), since it reads them through the Kafka source.
#include "cli.h"

#include <kafkasource.h>

namespace FlowScope::Cli {

int kafkaProperties(const QString& command, const QCommandLineParser& parser, const QCommandLineOption& config,
                    const QCommandLineOption& property, QList<QPair<QByteArray, QByteArray>>* properties)
{
    QString error;
    if (parser.isSet(config) && !Connectors::KafkaSource::readProperties(parser.value(config), properties, &error)) {
        err(command + QStringLiteral(": ") + error + u'\n');
        return Failed;
    }
    for (const QString& p : parser.values(property)) {
        const qsizetype eq = p.indexOf(u'=');
        if (eq <= 0) {
            err(command + QStringLiteral(": --property takes KEY=VALUE\n"));
            return Usage;
        }
        properties->append({ p.left(eq).trimmed().toUtf8(), p.mid(eq + 1).trimmed().toUtf8() });
    }
    return Ok;
}

} // namespace FlowScope::Cli
