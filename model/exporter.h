// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

#include <atomic>
#include <limits>
#include <optional>

class QIODevice;

namespace FlowScope {

class Recording;

enum class ExportFormat {
    Jsonl, // structured CloudEvents, one per line; unparsed events as the bytes they came as
    Kcat,  // kcat -J envelopes: keeps topic, partition, offset, key, headers, broker time
    Csv,   // one row per event, for spreadsheets
};

class Exporter final {
public:
    static std::optional<ExportFormat> formatFromName(const QString& name);
    // Writes events fromSeq..toSeq (all by default). Returns the number written, or -1 with *error
    // (a damaged recording: which event the reading stopped after). `stop`, when given and set
    // (Ctrl-C), ends the export early: -1 with *error "interrupted after event N".
    static qint64 exportTo(const Recording& recording, ExportFormat format, QIODevice& out, QString* error,
                           qint64 fromSeq = 1, qint64 toSeq = std::numeric_limits<qint64>::max(),
                           const std::atomic<bool>* stop = nullptr);
};

} // namespace FlowScope
