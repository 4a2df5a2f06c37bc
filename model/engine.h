// SPDX-License-Identifier: MIT
#pragma once

#include "event.h"
#include "groupfact.h"
#include "sagatracker.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QString>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace FlowScope {

struct Flow;
class Projections;
class RecordingWriter;

// Every saga instance at one moment, for the window's instance table. A copy of the trackers'
// instances: their strings and lists are shared, not copied, so it costs a reference count each.
struct SagaInstanceSet {
    quint64 generation = 0; // changes when the projections are replaced (a seek): start over
    qint64 events = 0;      // the state after this many events (EngineSnapshot::events)
    qint64 lastSeq = 0;
    qint64 clock = NoTime;  // the projections' clock, for the age of running instances
    // per flow saga, in start order: of each kind the newest Options::instancesPerKind
    std::vector<std::vector<SagaTracker::Instance>> sagas;
    // per flow saga: how many the tracker keeps in all, then running, stuck, completed,
    // compensated, failed (the copy above may hold fewer)
    std::vector<std::array<qint64, 6>> kept;
};

// What readers (GUI, CLI) see of the engine: immutable, versioned, taken without stalling it.
struct EngineSnapshot {
    quint64 version = 0; // grows with every publication
    quint64 generation = 0; // changes when the projections are replaced (restore(): a seek)
    qint64 events = 0;   // folded so far
    qint64 lastSeq = 0;
    qint64 refused = 0;  // batches' events a push source could not hand over
    qint64 clock = NoTime;
    QJsonObject state;   // Projections::toJson()
    // Null unless Options::instancesIntervalMs; may be older than `state` (compare `events`).
    std::shared_ptr<const SagaInstanceSet> instances;
};

// The one thread that folds batches into the projections (DESIGN.md "Threads"), with a second
// one behind it that writes them to the recorder, so that folding and SQLite's writes (and its
// fsyncs) overlap instead of taking turns.
// Sources hand batches over through a bounded queue: a pull source (file, Kafka, recording)
// calls push() and waits while the queue is full; a push source (webhook, WebSocket) calls
// offer(), which refuses and counts instead of waiting. Snapshots are published at most every
// `publishIntervalMs` and whenever the queue runs empty, never once per event.
class Engine final {
public:
    struct Options {
        int queueBatches = 64;
        qint64 checkpointEvery = 100000; // events between checkpoints in the recording; 0: none
        // ... and at least (bytes of the last checkpoint) / checkpointBytesPerEvent events: as the
        // state grows (every order a view row), saving it costs at most this much per event
        // folded, instead of the whole state every checkpointEvery events. 0: fixed spacing.
        qint64 checkpointBytesPerEvent = 64;
        int publishIntervalMs = 33;
        int viewSample = 10; // rows per view in snapshots
        // Copy the saga instances into snapshots (0: never): with every snapshot while there are
        // at most instancesAlwaysUpTo, else at most every instancesIntervalMs; the copy follows
        // the state within that interval also when the stream stops.
        int instancesIntervalMs = 0;
        int instancesAlwaysUpTo = 20000;
        // ... of each kind (running, stuck, completed, compensated, failed) the newest this many
        int instancesPerKind = 10000;
        // Added to the nice value of the engine's threads (lowerCurrentThreadPriority): a window
        // sets it so that folding and writing never keep the GUI thread waiting for a core.
        int threadNice = 0;
    };

    // `recorder` may be null; otherwise the engine numbers every batch's events after what the
    // recorder holds, hands the batch to its writer thread, folds it, and stores checkpoints
    // through the same thread (so a checkpoint never lands before the events it covers). The
    // recorder belongs to the engine's threads between start() and stop().
    Engine(std::shared_ptr<const Flow> flow, RecordingWriter* recorder, Options options);
    explicit Engine(std::shared_ptr<const Flow> flow = {}, RecordingWriter* recorder = nullptr);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    void start();
    // Folds what is queued, publishes a last snapshot and stops the thread.
    void stop();

    // Both return false once stopped, or once the recorder lost a batch (see error()).
    bool push(EventBatch batch);  // waits while the queue is full
    bool offer(EventBatch batch); // never waits; false (and counted) when the queue is full
    // Waits until everything handed over so far is folded, published and written. False when
    // the recorder failed (error()): then not all of it is stored, and nothing may be
    // acknowledged to whoever sent it (a Kafka group's commit).
    bool flush();
    // Replaces the projections, for a seek. Call between flush() and the next push().
    void restore(std::unique_ptr<Projections> state);
    // Live consumer-group facts (Connectors::KafkaGroupWatcher), from any thread: the engine
    // thread lays them over the topology before it next folds or publishes, and publishes a
    // snapshot with them even when no event comes. Each call replaces the previous facts; they
    // survive restore() and are never recorded.
    void setGroupFacts(GroupFacts facts);

    std::shared_ptr<const EngineSnapshot> snapshot() const;
    qint64 refused() const { return m_refused.load(); }
    // The recorder's failure: a batch it could not store even after waiting out a lock
    // (RecordingWriter::appendNumbered), with the seqs that were not stored. From then on the
    // engine takes no more batches (push() and offer() return false, so a source stops) and
    // stores nothing more, so that the recording holds every event up to the lost one, without
    // a gap. Batches already handed over are still folded.
    QString error() const;
    // The recorder failed (error() says how): nothing more is taken.
    bool failed() const { return m_recorderFailed.load(); }

private:
    void run();
    void publish(bool withInstances = false);
    struct WriteJob {
        EventBatch batch;      // events to append, or (when empty)
        QByteArray checkpoint; // a checkpoint's state, after event `seq`
        qint64 seq = 0;
        qint64 time = NoTime;
    };
    void write(WriteJob job); // engine thread: waits while the writer is WriterQueue jobs behind
    void runWriter();
    void recordLoss(qint64 firstSeq, qint64 lastSeq, const QString& error); // writer thread

    Options m_options;
    std::unique_ptr<Projections> m_projections;
    QByteArray m_fingerprint;
    RecordingWriter* m_recorder;
    qint64 m_nextSeq = 1;
    qint64 m_sinceCheckpoint = 0;
    qint64 m_checkpointSpacing = 0; // events; set from the options and the last checkpoint's size

    mutable std::mutex m_mutex;
    std::condition_variable m_notFull, m_notEmpty, m_idle;
    std::deque<EventBatch> m_queue;
    int m_flushWaiters = 0; // threads in flush(): publish as soon as the queue is dry
    GroupFacts m_groupFacts;        // the latest, for restore()
    bool m_groupFactsPending = false; // not yet applied by the engine thread
    bool m_stopping = false;
    quint64 m_handedOver = 0, m_folded = 0, m_publishedUpTo = 0;
    std::thread m_thread;

    static constexpr size_t WriterQueue = 16;
    std::mutex m_writeMutex;
    std::condition_variable m_writeReady, m_writeRoom, m_writeIdle;
    std::deque<WriteJob> m_writes;
    size_t m_writesPending = 0; // queued or being written
    bool m_writerStopping = false;
    std::thread m_writer;

    mutable std::mutex m_snapshotMutex;
    std::shared_ptr<const EngineSnapshot> m_snapshot;
    quint64 m_version = 0;
    std::shared_ptr<const SagaInstanceSet> m_instances; // the last copy
    QElapsedTimer m_sinceInstances;
    bool m_instancesStale = false; // the state moved on since the last copy
    quint64 m_generation = 0;
    std::atomic<qint64> m_refused { 0 };
    std::atomic<bool> m_recorderFailed { false }; // set under m_mutex, so that a waiting push() sees it
    QString m_error;                // under m_snapshotMutex, as are:
    qint64 m_lostFrom = 0, m_lostTo = 0; // the seqs not stored (0: none)
};

} // namespace FlowScope
