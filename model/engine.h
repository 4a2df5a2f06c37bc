// SPDX-License-Identifier: MIT
#pragma once

#include "event.h"

#include <QJsonObject>
#include <QString>

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

// What readers (GUI, CLI) see of the engine: immutable, versioned, taken without stalling it.
struct EngineSnapshot {
    quint64 version = 0; // grows with every publication
    qint64 events = 0;   // folded so far
    qint64 lastSeq = 0;
    qint64 refused = 0;  // batches' events a push source could not hand over
    qint64 clock = NoTime;
    QJsonObject state;   // Projections::toJson()
};

// The one thread that folds batches into the projections and the recorder (DESIGN.md "Threads").
// Sources hand batches over through a bounded queue: a pull source (file, Kafka, recording)
// calls push() and waits while the queue is full; a push source (webhook, WebSocket) calls
// offer(), which refuses and counts instead of waiting. Snapshots are published at most every
// `publishIntervalMs` and whenever the queue runs empty, never once per event.
class Engine final {
public:
    struct Options {
        int queueBatches = 64;
        qint64 checkpointEvery = 100000; // events between checkpoints in the recording; 0: none
        int publishIntervalMs = 33;
        int viewSample = 10; // rows per view in snapshots
    };

    // `recorder` may be null; otherwise the engine appends every batch to it (which numbers the
    // events) before folding it, and stores checkpoints in it.
    Engine(std::shared_ptr<const Flow> flow, RecordingWriter* recorder, Options options);
    explicit Engine(std::shared_ptr<const Flow> flow = {}, RecordingWriter* recorder = nullptr);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    void start();
    // Folds what is queued, publishes a last snapshot and stops the thread.
    void stop();

    bool push(EventBatch batch);  // waits while the queue is full; false once stopped
    bool offer(EventBatch batch); // never waits; false (and counted) when the queue is full
    // Waits until everything handed over so far is folded and published.
    void flush();
    // Replaces the projections, for a seek. Call between flush() and the next push().
    void restore(std::unique_ptr<Projections> state);

    std::shared_ptr<const EngineSnapshot> snapshot() const;
    qint64 refused() const { return m_refused.load(); }
    QString error() const; // the recorder's first failure; folding goes on without it

private:
    void run();
    void publish();

    Options m_options;
    std::unique_ptr<Projections> m_projections;
    QByteArray m_fingerprint;
    RecordingWriter* m_recorder;
    qint64 m_nextSeq = 1;
    qint64 m_sinceCheckpoint = 0;

    mutable std::mutex m_mutex;
    std::condition_variable m_notFull, m_notEmpty, m_idle;
    std::deque<EventBatch> m_queue;
    int m_flushWaiters = 0; // threads in flush(): publish as soon as the queue is dry
    bool m_stopping = false;
    quint64 m_handedOver = 0, m_folded = 0, m_publishedUpTo = 0;
    std::thread m_thread;

    mutable std::mutex m_snapshotMutex;
    std::shared_ptr<const EngineSnapshot> m_snapshot;
    quint64 m_version = 0;
    std::atomic<qint64> m_refused { 0 };
    QString m_error;
};

} // namespace FlowScope
