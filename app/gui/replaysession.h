// SPDX-License-Identifier: MIT
#pragma once

#include "session.h"

#include <recording.h>

#include <QString>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

namespace FlowScope::Sim {
class Replayer;
}

namespace FlowScope::Gui {

// A recording replayed into the window: the Replayer paces it by event time on its own thread
// and feeds an Engine; a seek restores the projections from the nearest checkpoint (Seeker)
// and moves the replayer, so every pane shows the state after that event.
class ReplaySession final : public Session {
public:
    static constexpr int DensityBuckets = 200; // for a strip some 300-600 pixels wide
    static std::unique_ptr<ReplaySession> open(const QString& path, std::shared_ptr<const Flow> flow, QString* error);
    ~ReplaySession() override;

    std::shared_ptr<const EngineSnapshot> snapshot() const override { return m_engine->snapshot(); }
    const std::shared_ptr<const Flow>& flow() const override { return m_flow; }
    QString recordingPath() const override { return m_path; }
    QString kind() const override { return QStringLiteral("replay"); }
    QString error() const override;

    void setSpeed(double speed) override { m_speed = speed; }
    double speed() const override { return m_speed.load(); }
    void setPaused(bool paused) override { m_paused = paused; }
    bool isPaused() const override { return m_paused.load(); }

    bool canSeek() const override { return true; }
    qint64 length() const override { return m_length; }
    qint64 position() const override { return m_position.load(); }
    void seek(qint64 seq) override
    {
        m_seekTo = seq;
        m_seekRequests.fetch_add(1, std::memory_order_release); // after the target: see run()
    }
    bool seekPending() const override { return m_seeksDone.load() != m_seekRequests.load(); }
    qint64 waitMicros() const override { return m_wait.load(); }
    void step() override { m_steps.fetch_add(1); }
    const EventDensity* density() const override { return &m_density; }
    // The first event's time (of the first thousand, the first that has one): the charts count
    // seconds from it. Not the earliest time in the recording, which one event stamped an hour
    // early would move, squeezing everything else against the right edge.
    qint64 streamStart() const override { return m_firstTime; }

private:
    ReplaySession() = default;
    void run();

    QString m_path;
    std::shared_ptr<const Flow> m_flow;
    std::unique_ptr<Recording> m_recording; // read by the replayer (its thread)
    std::unique_ptr<Recording> m_seekRecording; // read by seeks (the same thread, another cursor)
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Sim::Replayer> m_replayer;
    qint64 m_length = 0;
    EventDensity m_density; // read in open(), constant afterwards
    qint64 m_firstTime = NoTime; // likewise
    std::thread m_thread;
    std::atomic<bool> m_stop { false };
    std::atomic<bool> m_paused { false };
    std::atomic<double> m_speed { 1.0 };
    std::atomic<qint64> m_position { 0 };
    std::atomic<qint64> m_seekTo { -1 };
    std::atomic<qint64> m_wait { -1 };        // the replayer's waitMicros() after its last pump
    std::atomic<quint64> m_seekRequests { 0 }; // seek() calls
    std::atomic<quint64> m_seeksDone { 0 };    // of those, the ones whose state is published
    std::atomic<int> m_steps { 0 };
    mutable std::mutex m_errorMutex;
    QString m_error; // the first seek that failed
    QString m_replayError; // where the replayer stopped reading: shown before m_error
};

} // namespace FlowScope::Gui
