// SPDX-License-Identifier: MIT
#include "engine.h"

#include "threadpriority.h"

#include "projections.h"
#include "recording.h"

#include <QElapsedTimer>

#include <algorithm>
#include <utility>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(LOG_ENGINE, "flowscope.engine")

namespace FlowScope {

Engine::Engine(std::shared_ptr<const Flow> flow, RecordingWriter* recorder, Options options)
    : m_options(options)
    , m_projections(std::make_unique<Projections>(flow))
    , m_fingerprint(Projections::fingerprint(flow.get()))
    , m_recorder(recorder)
{
    if (m_recorder)
        m_nextSeq = m_recorder->count() + 1;
    // Before anything is folded, the state of nothing (every key, the declared topology), not an
    // empty object: a run that sees no events still reports its zeros.
    auto first = std::make_shared<EngineSnapshot>();
    first->clock = m_projections->clock();
    first->state = m_projections->toJson(m_options.viewSample);
    m_snapshot = std::move(first);
}

Engine::Engine(std::shared_ptr<const Flow> flow, RecordingWriter* recorder)
    : Engine(std::move(flow), recorder, Options {})
{
}

Engine::~Engine() { stop(); }

void Engine::start()
{
    std::lock_guard lock(m_mutex);
    if (m_thread.joinable())
        return;
    m_stopping = false;
    if (m_recorder) {
        {
            std::lock_guard writeLock(m_writeMutex);
            m_writerStopping = false;
        }
        m_writer = std::thread([this] { runWriter(); });
    }
    m_thread = std::thread([this] { run(); });
}

void Engine::stop()
{
    {
        std::lock_guard lock(m_mutex);
        if (!m_thread.joinable())
            return;
        m_stopping = true;
        m_notEmpty.notify_all();
        m_notFull.notify_all();
    }
    m_thread.join();
    if (m_writer.joinable()) { // after the engine thread: it hands over its last jobs first
        {
            std::lock_guard lock(m_writeMutex);
            m_writerStopping = true;
        }
        m_writeReady.notify_all();
        m_writer.join();
    }
}

bool Engine::push(EventBatch batch)
{
    if (batch.isEmpty())
        return true;
    std::unique_lock lock(m_mutex);
    m_notFull.wait(lock, [&] {
        return m_queue.size() < size_t(m_options.queueBatches) || m_stopping || m_recorderFailed.load();
    });
    if (m_stopping || m_recorderFailed.load())
        return false;
    m_queue.push_back(std::move(batch));
    ++m_handedOver;
    m_notEmpty.notify_one();
    return true;
}

bool Engine::offer(EventBatch batch)
{
    if (batch.isEmpty())
        return true;
    std::lock_guard lock(m_mutex);
    if (m_stopping || m_recorderFailed.load() || m_queue.size() >= size_t(m_options.queueBatches)) {
        m_refused += batch.size();
        return false;
    }
    m_queue.push_back(std::move(batch));
    ++m_handedOver;
    m_notEmpty.notify_one();
    return true;
}

bool Engine::flush()
{
    std::unique_lock lock(m_mutex);
    if (!m_thread.joinable())
        return !m_recorderFailed.load();
    ++m_flushWaiters;
    m_notEmpty.notify_all(); // publish now, not at the end of the interval
    m_idle.wait(lock, [&] { return m_publishedUpTo == m_handedOver; });
    --m_flushWaiters;
    lock.unlock();
    std::unique_lock writeLock(m_writeMutex);
    m_writeIdle.wait(writeLock, [&] { return m_writesPending == 0; });
    return !m_recorderFailed.load();
}

void Engine::setGroupFacts(GroupFacts facts)
{
    std::lock_guard lock(m_mutex);
    m_groupFacts = std::move(facts);
    m_groupFactsPending = true;
    m_notEmpty.notify_all();
}

void Engine::restore(std::unique_ptr<Projections> state)
{
    flush();
    std::lock_guard lock(m_mutex);
    m_projections = std::move(state);
    m_projections->applyGroupFacts(m_groupFacts); // live facts, not part of the restored state
    m_nextSeq = m_projections->lastSeq() + 1;
    m_sinceCheckpoint = 0;
    ++m_generation;
    publish(true);
}

std::shared_ptr<const EngineSnapshot> Engine::snapshot() const
{
    std::lock_guard lock(m_snapshotMutex);
    return m_snapshot;
}

QString Engine::error() const
{
    std::lock_guard lock(m_snapshotMutex);
    if (m_lostFrom == 0)
        return m_error;
    const QString lost = m_lostTo > m_lostFrom ? QStringLiteral("events %1-%2 were").arg(m_lostFrom).arg(m_lostTo)
                                               : QStringLiteral("event %1 was").arg(m_lostFrom);
    return QStringLiteral("%1; %2 not stored, and the recording ends at event %3").arg(m_error, lost).arg(m_lostFrom - 1);
}

void Engine::write(WriteJob job)
{
    std::unique_lock lock(m_writeMutex);
    m_writeRoom.wait(lock, [&] { return m_writes.size() < WriterQueue; });
    m_writes.push_back(std::move(job));
    ++m_writesPending;
    m_writeReady.notify_one();
}

void Engine::runWriter()
{
    setCurrentThreadName("fs-writer");
    lowerCurrentThreadPriority(m_options.threadNice);
    while (true) {
        WriteJob job;
        {
            std::unique_lock lock(m_writeMutex);
            m_writeReady.wait(lock, [&] { return !m_writes.empty() || m_writerStopping; });
            if (m_writes.empty())
                return; // stopping, and everything is written
            job = std::move(m_writes.front());
            m_writes.pop_front();
            m_writeRoom.notify_one();
        }
        QString err;
        if (m_recorderFailed.load()) {
            // After a lost batch nothing more is stored: a later one would leave a gap in the
            // seqs, a checkpoint would stand for events that are not there. What was handed over
            // before the engine stopped taking batches is counted as not stored.
            if (!job.batch.isEmpty()) {
                std::lock_guard lock(m_snapshotMutex);
                m_lostTo = std::max(m_lostTo, job.batch.last().seq);
            }
        } else if (!job.batch.isEmpty()) {
            // appendNumbered has already waited out a lock held by another connection
            if (!m_recorder->appendNumbered(job.batch, &err))
                recordLoss(job.batch.first().seq, job.batch.last().seq, err);
        } else if (!m_recorder->storeCheckpoint(m_fingerprint, job.seq, job.time, job.checkpoint, &err)) {
            qCWarning(LOG_ENGINE) << err;
        }
        job = WriteJob {}; // the batch is freed here, not under the lock
        std::lock_guard lock(m_writeMutex);
        if (--m_writesPending == 0)
            m_writeIdle.notify_all();
    }
}

void Engine::recordLoss(qint64 firstSeq, qint64 lastSeq, const QString& error)
{
    qCWarning(LOG_ENGINE).noquote() << error << "- events" << firstSeq << "to" << lastSeq << "not stored";
    {
        std::lock_guard lock(m_snapshotMutex);
        m_error = error;
        m_lostFrom = firstSeq;
        m_lostTo = lastSeq;
    }
    {
        std::lock_guard lock(m_mutex);
        m_recorderFailed = true; // push() and offer() refuse from now on
    }
    m_notFull.notify_all(); // a push() waiting for room returns false
}

void Engine::publish(bool withInstances)
{
    auto s = std::make_shared<EngineSnapshot>();
    s->version = ++m_version;
    s->generation = m_generation;
    s->events = m_projections->eventCount();
    s->lastSeq = m_projections->lastSeq();
    s->clock = m_projections->clock();
    s->refused = m_refused.load();
    s->state = m_projections->toJson(m_options.viewSample);
    if (m_options.instancesIntervalMs > 0) {
        size_t count = 0;
        for (const auto& tracker : m_projections->sagas())
            count += tracker->instances().size();
        // few instances: copy with every snapshot (the table matches the counts exactly); many:
        // at most once an interval, so the copy never costs the engine more than a sliver
        const bool due = count <= size_t(m_options.instancesAlwaysUpTo) || !m_sinceInstances.isValid()
            || m_sinceInstances.elapsed() >= m_options.instancesIntervalMs;
        if (withInstances || due || !m_instances || m_instances->generation != m_generation) {
            auto set = std::make_shared<SagaInstanceSet>();
            set->generation = m_generation;
            set->events = s->events;
            set->lastSeq = s->lastSeq;
            set->clock = s->clock;
            for (const auto& tracker : m_projections->sagas()) {
                std::array<qint64, 6> kept {};
                set->sagas.push_back(tracker->recentInstances(size_t(m_options.instancesPerKind), kept.data()));
                set->kept.push_back(kept);
            }
            m_instances = std::move(set);
            m_sinceInstances.restart();
            m_instancesStale = false;
        } else {
            m_instancesStale = true;
        }
        s->instances = m_instances;
    }
    // The previous snapshot, when nobody holds it any more, is freed after the lock: freeing a
    // large state inside it would keep the GUI thread waiting in snapshot().
    std::shared_ptr<const EngineSnapshot> previous;
    {
        std::lock_guard lock(m_snapshotMutex);
        previous = std::exchange(m_snapshot, std::move(s));
    }
}

void Engine::run()
{
    setCurrentThreadName("fs-engine");
    lowerCurrentThreadPriority(m_options.threadNice);
    {
        std::lock_guard lock(m_mutex); // restore() swaps the projections under it
        m_projections->reserveCausation(); // while the first batch is being made
    }
    QElapsedTimer sincePublish;
    sincePublish.start();
    bool dirty = false;
    while (true) {
        EventBatch batch;
        {
            std::unique_lock lock(m_mutex);
            if (m_groupFactsPending) {
                // Applied here, on the thread that owns the projections. Cheap: a list is stored.
                m_groupFactsPending = false;
                m_projections->applyGroupFacts(m_groupFacts);
                dirty = true;
            }
            if (m_queue.empty() && dirty && m_flushWaiters == 0 && !m_stopping) {
                // A producer a little slower than the fold leaves the queue dry after every batch;
                // a snapshot each time would cost more than the folding. Wait out the rest of the
                // publish interval for more, unless somebody waits for the state.
                const qint64 left = m_options.publishIntervalMs - sincePublish.elapsed();
                if (left > 0)
                    m_notEmpty.wait_for(lock, std::chrono::milliseconds(left),
                                        [&] { return !m_queue.empty() || m_stopping || m_flushWaiters > 0; });
            }
            if (m_queue.empty()) {
                // the queue ran dry: readers get the latest state now, not at the next tick
                const quint64 folded = m_folded;
                if (dirty) {
                    lock.unlock();
                    publish();
                    dirty = false;
                    sincePublish.restart();
                    lock.lock();
                }
                m_publishedUpTo = folded;
                m_idle.notify_all();
            }
            const auto ready = [&] { return !m_queue.empty() || m_stopping || m_groupFactsPending; };
            while (!ready()) {
                if (!m_instancesStale) {
                    m_notEmpty.wait(lock);
                    continue;
                }
                // idle with an old copy of the instances: copy them once the interval is over.
                // Under the lock, so that a restore() cannot swap the projections meanwhile.
                if (!m_notEmpty.wait_for(lock, std::chrono::milliseconds(m_options.instancesIntervalMs), ready))
                    publish(true);
            }
            if (m_queue.empty()) {
                if (m_groupFactsPending)
                    continue; // applied and published at the top of the loop (stopping or not)
                break; // stopping, and everything is folded
            }
            batch = std::move(m_queue.front());
            m_queue.pop_front();
            m_notFull.notify_one();
        }
        const qsizetype batchSize = batch.size();
        if (m_recorder) {
            for (Event& e : batch)
                e.seq = m_nextSeq++; // the recorder's numbering: after what it holds, in arrival order
            write(WriteJob { batch, {}, 0, NoTime }); // shared, not copied: both threads only read it
            m_projections->apply(batch);
        } else {
            m_projections->consume(std::move(batch), m_nextSeq);
        }
        dirty = true;
        if (m_recorder && m_options.checkpointEvery > 0) {
            m_sinceCheckpoint += batchSize;
            if (m_sinceCheckpoint >= std::max(m_options.checkpointEvery, m_checkpointSpacing)) {
                m_sinceCheckpoint = 0;
                QByteArray state = m_projections->save();
                if (m_options.checkpointBytesPerEvent > 0)
                    m_checkpointSpacing = qint64(state.size()) / m_options.checkpointBytesPerEvent;
                write(WriteJob { {}, std::move(state), m_projections->lastSeq(), m_projections->clock() });
            }
        }
        if (sincePublish.elapsed() >= m_options.publishIntervalMs) {
            publish();
            dirty = false;
            sincePublish.restart();
        }
        std::lock_guard lock(m_mutex);
        ++m_folded;
    }
    if (dirty)
        publish();
    std::lock_guard lock(m_mutex);
    m_publishedUpTo = m_folded;
    m_idle.notify_all();
}

} // namespace FlowScope
