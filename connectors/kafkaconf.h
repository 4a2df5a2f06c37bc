// SPDX-License-Identifier: MIT
#pragma once

#include "kafkasource.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <librdkafka/rdkafka.h>

namespace FlowScope::Connectors {

// Sets one librdkafka property. A property this librdkafka does not know is skipped and listed
// (a shared properties file may carry settings for other clients); a bad value is an error whose
// text never shows the value of a secret (librdkafka's own message quotes it).
inline bool setKafkaProperty(rd_kafka_conf_t* conf, const QByteArray& key, const QByteArray& value,
                             QStringList* skipped, QString* error)
{
    char errstr[512];
    const rd_kafka_conf_res_t res = rd_kafka_conf_set(conf, key.constData(), value.constData(), errstr, sizeof errstr);
    if (res == RD_KAFKA_CONF_OK)
        return true;
    if (res == RD_KAFKA_CONF_UNKNOWN) {
        skipped->append(QString::fromUtf8(key));
        return true;
    }
    *error = KafkaSource::isSecret(key) ? QStringLiteral("invalid value for %1").arg(QString::fromUtf8(key))
                                        : QString::fromUtf8(errstr);
    return false;
}

} // namespace FlowScope::Connectors
