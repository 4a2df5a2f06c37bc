// SPDX-License-Identifier: MIT
#include "seeker.h"

#include "recording.h"

namespace FlowScope {

std::unique_ptr<Projections> Seeker::stateAt(const Recording& recording, std::shared_ptr<const Flow> flow, qint64 seq,
                                             QString* error, Stats* stats)
{
    auto p = std::make_unique<Projections>(flow);
    const QByteArray kind = Projections::fingerprint(flow.get());
    qint64 from = 1;
    if (seq > 0) {
        if (const auto cp = recording.checkpointAtOrBefore(kind, seq)) {
            if (p->load(cp->state)) {
                from = cp->seq + 1;
                if (stats)
                    stats->checkpointSeq = cp->seq;
            }
            // a checkpoint that does not load (damaged) is ignored: fold from the start instead
        }
    }
    qint64 folded = 0;
    if (seq >= from) {
        const bool ok = recording.readSeqRange(from, seq, [&](Event&& e) {
            p->apply(e);
            ++folded;
            return true;
        }, error);
        if (!ok)
            return nullptr;
    }
    if (stats)
        stats->folded = folded;
    return p;
}

qint64 Seeker::buildCheckpoints(const QString& path, std::shared_ptr<const Flow> flow, qint64 every, QString* error,
                                const std::atomic<bool>* stop)
{
    auto recording = Recording::open(path, error);
    if (!recording)
        return -1;
    auto writer = RecordingWriter::openExisting(path, error);
    if (!writer)
        return -1;
    const QByteArray kind = Projections::fingerprint(flow.get());
    Projections p(flow);
    qint64 stored = 0;
    bool writeOk = true, stopped = false;
    const bool ok = recording->readSeqRange(1, std::numeric_limits<qint64>::max(), [&](Event&& e) {
        p.apply(e);
        if (p.eventCount() % every == 0) {
            writeOk = writer->storeCheckpoint(kind, e.seq, p.clock(), p.save(), error);
            ++stored;
        }
        stopped = stop && stop->load();
        return writeOk && !stopped;
    }, error);
    if (stopped) {
        *error = QStringLiteral("interrupted after event %1").arg(p.lastSeq());
        return stored;
    }
    if (!writeOk)
        return -1;
    if (!ok) {
        *error += (p.lastSeq() > 0 ? QStringLiteral("; the events after event %1 were not read").arg(p.lastSeq())
                                   : QStringLiteral("; no event was read"))
            + QStringLiteral("; the %1 checkpoints stored before are kept").arg(stored);
        return -1;
    }
    if (p.eventCount() % every != 0 && p.eventCount() > 0) {
        if (!writer->storeCheckpoint(kind, p.lastSeq(), p.clock(), p.save(), error))
            return -1;
        ++stored;
    }
    return stored;
}

} // namespace FlowScope
