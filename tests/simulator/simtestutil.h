// SPDX-License-Identifier: MIT
// What the simulator's tests share: times in microseconds, parsing a flow from text, and an
// event written out whole for a failure message.
#pragma once

#include <event.h>
#include <flowfileparser.h>

#include <QString>
#include <QTest>

#include <memory>

namespace FlowScope::SimTest {

using namespace Qt::StringLiterals;

constexpr qint64 Ms = 1000;
constexpr qint64 S = 1'000'000;

// Parses `yaml`; on failure returns null and puts the errors into `why`.
inline std::shared_ptr<const Flow> parseFlow(const QByteArray& yaml, QString* why)
{
    FlowParseResult r = FlowFileParser::parseText(yaml, u"sim.yaml"_s);
    if (!r.ok()) {
        *why = r.errorText();
        return nullptr;
    }
    return std::make_shared<const Flow>(std::move(*r.flow));
}

#define PARSE(var, yaml)                                                                                               \
    QString var##Errors;                                                                                               \
    const std::shared_ptr<const Flow> var = parseFlow(yaml, &var##Errors);                                             \
    QVERIFY2(var, qPrintable(var##Errors))

// Every field of an event, for a failure message.
inline QString describe(const Event& e)
{
    return u"seq=%1 id=%2 type=%3 source=%4 subject=%5 time=%6 spec=%7 dct=%8 schema=%9 corr=%10 cause=%11 trace=%12 "
           "ext=%13 ingest=%14 channel=%15 partition=%16 offset=%17 key=%18 brokerTime=%19 headers=%20 payload=%21 "
           "format=%22 flags=%23 error=%24"_s.arg(e.seq)
               .arg(QString::fromUtf8(e.id), QString::fromUtf8(e.type), QString::fromUtf8(e.source),
                   QString::fromUtf8(e.subject()))
               .arg(e.time)
               .arg(QString::fromUtf8(e.specVersion), QString::fromUtf8(e.dataContentType),
                   QString::fromUtf8(e.dataSchema()), QString::fromUtf8(e.correlationId),
                   QString::fromUtf8(e.causationId), QString::fromUtf8(e.traceParent()), QString::fromUtf8(e.extensions()))
               .arg(e.ingestTime)
               .arg(QString::fromUtf8(e.channel))
               .arg(e.partition)
               .arg(e.offset)
               .arg(QString::fromUtf8(e.key))
               .arg(e.brokerTime)
               .arg(e.headers().size())
               .arg(QString::fromUtf8(e.payload))
               .arg(int(e.format))
               .arg(int(e.flags))
               .arg(QString::fromUtf8(e.error()));
}

} // namespace FlowScope::SimTest
