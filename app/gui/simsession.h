// SPDX-License-Identifier: MIT
#pragma once

#include "session.h"

#include <engine.h>
#include <flowfile.h>
#include <simulator.h>

#include <QString>
#include <QTemporaryDir>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace FlowScope {
class RecordingWriter;
}

namespace FlowScope::Gui {

// A flow file's simulation running live for the window: the simulator on its own thread,
// paced to wall time x speed, feeding an Engine that records into a recording (so the event
// log can page through it). The GUI reads snapshots; it never receives a call per event.
class SimSession final : public Session {
public:
    // Returns null with *error set when the recording cannot be created.
    static std::unique_ptr<SimSession> start(std::shared_ptr<const Flow> flow, QString* error);
    ~SimSession() override;

    void setSpeed(double speed) override; // x wall time
    double speed() const override { return m_speed.load(); }
    void setPaused(bool paused) override;
    bool isPaused() const override { return m_paused.load(); }
    QString kind() const override { return QStringLiteral("simulated"); }
    // Applied on the simulator's thread at its next step. `fault.at` counts from the start of
    // the simulation; one in the past (0, say) starts now, and its length counts from now.
    void injectFault(Fault fault);

    std::shared_ptr<const EngineSnapshot> snapshot() const override { return m_engine->snapshot(); }
    std::vector<Sim::ServiceStats> services() const;
    QJsonObject servicesJson() const override;
    QJsonObject faults() const override;
    qint64 streamStart() const override { return m_sim->startTime(); }
    double simSeconds() const { return double(m_simNow.load()) / 1e6; }
    const std::shared_ptr<const Flow>& flow() const override { return m_flow; }
    QString recordingPath() const override { return m_recordingPath; }
    qint64 retention() const override { return SessionRetention; }
    QString error() const override { return m_engine->error(); }

private:
    SimSession() = default;
    void run();
    void publishState(); // the services' counts, the faults and the clock, for the GUI thread
    static constexpr qint64 MaxSliceMicros = 1'000'000;

    std::shared_ptr<const Flow> m_flow;
    QTemporaryDir m_dir;
    QString m_recordingPath;
    std::unique_ptr<RecordingWriter> m_writer;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Sim::Simulator> m_sim;
    std::thread m_thread;
    std::atomic<bool> m_stop { false };
    std::atomic<bool> m_paused { false };
    std::atomic<double> m_speed { 1.0 };
    std::atomic<qint64> m_simNow { 0 };
    mutable std::mutex m_mutex; // guards the two below
    std::vector<Fault> m_pendingFaults;
    std::vector<Sim::ServiceStats> m_services;
    QJsonObject m_faults;
};

} // namespace FlowScope::Gui
