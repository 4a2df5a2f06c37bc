// SPDX-License-Identifier: MIT
#include "exporter.h"

#include "cloudeventwriter.h"
#include "recording.h"

#include <QIODevice>

namespace FlowScope {

std::optional<ExportFormat> Exporter::formatFromName(const QString& name)
{
    if (name == u"jsonl" || name == u"cloudevents")
        return ExportFormat::Jsonl;
    if (name == u"kcat")
        return ExportFormat::Kcat;
    if (name == u"csv")
        return ExportFormat::Csv;
    return std::nullopt;
}

qint64 Exporter::exportTo(const Recording& recording, ExportFormat format, QIODevice& out, QString* error,
                          qint64 fromSeq, qint64 toSeq, const std::atomic<bool>* stop)
{
    qint64 written = 0, lastSeq = 0;
    bool stopped = false;
    QByteArray buffer;
    bool writeFailed = false;
    auto drain = [&] {
        if (out.write(buffer) != buffer.size())
            writeFailed = true;
        buffer.clear();
    };
    if (format == ExportFormat::Csv)
        buffer.append(CloudEventWriter::csvHeader()).append('\n');
    const bool ok = recording.readSeqRange(
        fromSeq, toSeq,
        [&](Event&& e) {
            switch (format) {
            case ExportFormat::Jsonl: buffer.append(CloudEventWriter::toStructuredJson(e)); break;
            case ExportFormat::Kcat: buffer.append(CloudEventWriter::toKcatJson(e)); break;
            case ExportFormat::Csv: buffer.append(CloudEventWriter::toCsvRow(e)); break;
            }
            buffer.append('\n');
            ++written;
            lastSeq = e.seq;
            if (buffer.size() > (1 << 20))
                drain();
            stopped = stop && stop->load();
            return !writeFailed && !stopped;
        },
        error);
    drain();
    if (writeFailed) {
        *error = QStringLiteral("cannot write the export: %1").arg(out.errorString());
        return -1;
    }
    if (stopped) {
        *error = QStringLiteral("interrupted after event %1").arg(lastSeq);
        return -1;
    }
    if (!ok)
        *error += lastSeq > 0 ? QStringLiteral("; the events after event %1 were not read").arg(lastSeq)
                              : QStringLiteral("; no event was read");
    return ok ? written : -1;
}

} // namespace FlowScope
