// SPDX-License-Identifier: MIT
#include "replaysession.h"

#include <recording.h>
#include <replayer.h>
#include <seeker.h>
#include <threadpriority.h>

#include <chrono>

namespace FlowScope::Gui {

std::unique_ptr<ReplaySession> ReplaySession::open(const QString& path, std::shared_ptr<const Flow> flow,
                                                   QString* error)
{
    std::unique_ptr<ReplaySession> s(new ReplaySession);
    s->m_path = path;
    s->m_flow = std::move(flow);
    s->m_recording = Recording::open(path, error);
    s->m_seekRecording = s->m_recording ? Recording::open(path, error) : nullptr;
    if (!s->m_recording || !s->m_seekRecording)
        return nullptr;
    s->m_length = s->m_recording->eventCount();
    // One query over the batches, before the replayer's thread uses the connection. A recording
    // that cannot say this still replays; the window shows why the strip is empty.
    QString densityError;
    if (!s->m_recording->density(DensityBuckets, &s->m_density, &densityError))
        s->m_error = QStringLiteral("cannot read how the events spread over time: %1").arg(densityError);
    const qint64 first = s->m_recording->firstSeq();
    QString firstError;
    s->m_recording->readSeqRange(first, first + 999, [&s](Event&& e) {
        s->m_firstTime = e.hasTime() ? e.time : e.brokerTime;
        return s->m_firstTime == NoTime; // on to the next one while none has a time
    }, &firstError);
    if (s->m_firstTime == NoTime && s->m_density.byTime)
        s->m_firstTime = s->m_density.from;
    s->m_engine = std::make_unique<Engine>(s->m_flow, nullptr, sessionEngineOptions(8));
    s->m_engine->start();
    s->m_replayer = std::make_unique<Sim::Replayer>(*s->m_recording, [engine = s->m_engine.get()](EventBatch&& b) {
        engine->push(std::move(b));
    });
    s->m_replayer->play();
    s->m_thread = std::thread([raw = s.get()] { raw->run(); });
    return s;
}

ReplaySession::~ReplaySession()
{
    m_stop = true;
    if (m_thread.joinable())
        m_thread.join();
    if (m_engine)
        m_engine->stop();
}

QString ReplaySession::error() const
{
    const QString engine = m_engine->error();
    if (!engine.isEmpty())
        return engine;
    std::lock_guard lock(m_errorMutex);
    return m_replayError.isEmpty() ? m_error : m_replayError;
}

void ReplaySession::run()
{
    setCurrentThreadName("fs-replay");
    lowerCurrentThreadPriority(WorkerNice);
    double speed = -1;
    bool paused = false;
    while (!m_stop.load()) {
        // Read before the target: a seek() that lands between the two is taken now but counted
        // done only on the next turn (seekPending() errs on the side of pending), never the reverse.
        const quint64 requests = m_seekRequests.load(std::memory_order_acquire);
        if (const qint64 to = m_seekTo.exchange(-1); to >= 0) {
            QString error;
            if (auto state = Seeker::stateAt(*m_seekRecording, m_flow, to, &error)) {
                m_engine->restore(std::move(state));
                m_replayer->seek(to);
            } else {
                std::lock_guard lock(m_errorMutex);
                if (m_error.isEmpty())
                    m_error = QStringLiteral("cannot seek to event %1: %2").arg(to).arg(error);
            }
        }
        m_seeksDone.store(requests); // restore() published its state before returning
        if (m_speed.load() != speed) {
            speed = m_speed.load();
            m_replayer->setSpeed(speed);
        }
        if (m_paused.load() != paused) {
            paused = m_paused.load();
            paused ? m_replayer->pause() : m_replayer->play();
        }
        for (int n = m_steps.exchange(0); n > 0; --n)
            m_replayer->step();
        m_replayer->pump(20000);
        m_position = m_replayer->position();
        m_wait = m_replayer->waitMicros();
        if (QString replayError = m_replayer->error(); !replayError.isEmpty()) {
            // the replay stopped at a damaged part of the file: the window says so
            std::lock_guard lock(m_errorMutex);
            m_replayError = std::move(replayError);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(m_replayer->atEnd() ? 50 : 5));
    }
}

} // namespace FlowScope::Gui
