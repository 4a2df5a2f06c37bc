// SPDX-License-Identifier: MIT
#include "simsession.h"

#include <recording.h>
#include <threadpriority.h>

#include <chrono>

namespace FlowScope::Gui {

std::unique_ptr<SimSession> SimSession::start(std::shared_ptr<const Flow> flow, QString* error)
{
    std::unique_ptr<SimSession> s(new SimSession);
    s->m_flow = std::move(flow);
    s->m_writer = createSessionRecording(s->m_dir, QStringLiteral("session.fsrec"), error);
    if (!s->m_writer)
        return nullptr;
    s->m_recordingPath = s->m_writer->path();
    // Two batches queued at most: the simulator runs no further ahead of what the panes show than
    // that (a batch holds at most one slice, a simulated second). With 16 of 2048 events, at 1000x
    // the clock, the services and the faults ran ~20 s ahead of the folded events.
    s->m_engine = std::make_unique<Engine>(s->m_flow, s->m_writer.get(), sessionEngineOptions(2));
    s->m_engine->start();
    const quint64 seed = s->m_flow->simulation ? s->m_flow->simulation->seed : 1;
    s->m_sim = std::make_unique<Sim::Simulator>(s->m_flow, seed);
    s->m_sim->setSink([engine = s->m_engine.get()](EventBatch&& batch) { engine->push(std::move(batch)); }, 2048);
    s->m_thread = std::thread([raw = s.get()] { raw->run(); });
    return s;
}

SimSession::~SimSession()
{
    m_stop = true;
    if (m_thread.joinable())
        m_thread.join();
    if (m_engine)
        m_engine->stop();
}

void SimSession::setSpeed(double speed) { m_speed = speed; }
void SimSession::setPaused(bool paused) { m_paused = paused; }

void SimSession::injectFault(Fault fault)
{
    std::lock_guard lock(m_mutex);
    m_pendingFaults.push_back(std::move(fault));
}

std::vector<Sim::ServiceStats> SimSession::services() const
{
    std::lock_guard lock(m_mutex);
    return m_services;
}

QJsonObject SimSession::servicesJson() const
{
    QJsonObject services;
    for (const Sim::ServiceStats& s : this->services())
        services.insert(s.name, s.toJson());
    return services;
}

QJsonObject SimSession::faults() const
{
    std::lock_guard lock(m_mutex);
    return m_faults;
}

// Made outside the lock and swapped in: the GUI thread must never wait for this thread, which
// runs at a lower priority and may lose its core while holding the lock.
void SimSession::publishState()
{
    std::vector<Sim::ServiceStats> services = m_sim->stats();
    QJsonObject faults = m_sim->faultsJson();
    {
        std::lock_guard lock(m_mutex);
        std::swap(m_services, services);
        std::swap(m_faults, faults);
    }
    m_simNow = m_sim->now();
}

void SimSession::run()
{
    setCurrentThreadName("fs-simulator");
    lowerCurrentThreadPriority(WorkerNice);
    using Clock = std::chrono::steady_clock;
    auto last = Clock::now();
    double simNow = 0; // µs, advanced by wall time x speed
    while (!m_stop.load()) {
        const auto now = Clock::now();
        const double wallMicros = double(std::chrono::duration_cast<std::chrono::microseconds>(now - last).count());
        last = now;
        {
            std::vector<Fault> faults;
            {
                std::lock_guard lock(m_mutex);
                faults.swap(m_pendingFaults);
            }
            for (Fault& f : faults) {
                f.at = Duration { std::max(f.at.micros, m_sim->now()) }; // one in the past starts now
                m_sim->injectFault(f);
            }
            // paused, one that starts now does so at once (its start is an item on the agenda)
            if (!faults.empty() && m_paused.load())
                m_sim->runUntil(m_sim->now());
        }
        if (!m_paused.load()) {
            // never more than 100 ms of wall time in one step, so a stall does not become a burst
            const double speed = m_speed.load();
            simNow += std::min(wallMicros, 100000.0) * speed;
            // In slices of at most a simulated second, each published: at 1000x a step is 100 s,
            // and published only at its end the clock and the services' counts lagged the events
            // the engine had folded meanwhile by up to that much (three moments on one screen).
            // A pause or a new speed ends the step: the rest of a step at 1000x ran flat out after
            // a change to 1x (70 simulated seconds in 2.5 s), or after a pause.
            while (!m_stop.load() && !m_paused.load() && m_speed.load() == speed && m_sim->now() < qint64(simNow)) {
                m_sim->runUntil(std::min(qint64(simNow), m_sim->now() + MaxSliceMicros));
                publishState();
            }
            simNow = std::min(simNow, double(m_sim->now()));
        } else {
            publishState(); // faults injected while paused show at once
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

} // namespace FlowScope::Gui
