// SPDX-License-Identifier: MIT
#pragma once

#include "projections.h"

#include <QString>

#include <atomic>
#include <memory>

namespace FlowScope {

class Recording;

// Puts projections at any point of a recording: restores the nearest stored checkpoint at or
// before it (for the same flow file) and folds the events after it. Equal, byte for byte, to
// folding the recording from its first event.
class Seeker final {
public:
    struct Stats {
        qint64 checkpointSeq = 0; // 0: started from nothing
        qint64 folded = 0;        // events folded after it
    };

    // The state after the first `seq` events (clamped to the recording). Null and *error on failure.
    static std::unique_ptr<Projections> stateAt(const Recording& recording, std::shared_ptr<const Flow> flow,
                                                qint64 seq, QString* error, Stats* stats = nullptr);

    // Folds the whole recording and stores a checkpoint every `every` events (and at the end).
    // Returns the number stored, or -1 with *error.
    // `stop`, when given and set (Ctrl-C), ends the work early: what was stored is kept, and the
    // count is returned with *error "interrupted after event N".
    static qint64 buildCheckpoints(const QString& path, std::shared_ptr<const Flow> flow, qint64 every, QString* error,
                                   const std::atomic<bool>* stop = nullptr);
};

} // namespace FlowScope
