// SPDX-License-Identifier: MIT
#pragma once

#include <event.h>

#include <QString>

#include <atomic>
#include <functional>

namespace FlowScope {
class RecordingWriter;
}

namespace FlowScope::Connectors {

// What an import saw. Every non-empty line becomes exactly one event (unparsed ones included):
// lines == events + emptyLines whenever the import ran to the end.
struct ImportReport {
    struct BadLine {
        qint64 line = 0;
        QByteArray error;
    };
    qint64 lines = 0;      // lines read, including empty ones
    qint64 emptyLines = 0; // skipped
    qint64 events = 0;     // events stored, unparsed ones included
    qint64 unparsed = 0;   // of which kept as bytes because they could not be understood
    qint64 bytes = 0;
    QList<BadLine> firstBadLines; // at most MaxBadLines, in file order
    static constexpr int MaxBadLines = 10;
};

// Reads a JSONL / kcat -J file line by line into a recording, in batches of BatchSize events,
// one transaction each. Stops early (keeping what it stored) when `cancel` becomes true.
class Importer final {
public:
    static constexpr int BatchSize = 8192;
    using Progress = std::function<void(qint64 bytesDone, qint64 bytesTotal)>;

    // Returns false with *error set when the file cannot be read or the recording not written;
    // `report` then still says what was stored before the failure.
    static bool importFile(const QString& path, RecordingWriter& writer, ImportReport* report, QString* error,
                           const Progress& progress = {}, const std::atomic<bool>* cancel = nullptr);
};

} // namespace FlowScope::Connectors
