// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

#include <functional>

namespace FlowScope::Sim {

// Maps event time to wall time for paced replay and simulation: at speed k, one second of
// event time takes 1/k seconds of wall time. Speed changes and pauses keep the current event
// time where it is, so nothing jumps. The wall clock is injected so tests need no sleeps.
class ReplayClock final {
public:
    using WallClock = std::function<qint64()>; // microseconds, monotonic
    static constexpr double Unpaced = 0;       // as fast as possible

    explicit ReplayClock(WallClock wall = {});

    void start(qint64 eventTime); // event time shown at this wall instant
    void setSpeed(double speed);  // 0.1 ... 1000, or Unpaced
    double speed() const { return m_speed; }
    void pause();
    void resume();
    bool isPaused() const { return m_paused; }
    // Moves the clock to `eventTime` (a seek) without changing speed or pause state.
    void seek(qint64 eventTime);

    // The event time the clock shows now.
    qint64 now() const;
    // Wall microseconds to wait until `eventTime` is due; 0 when due, -1 while paused.
    qint64 waitFor(qint64 eventTime) const;

private:
    void rebase();
    WallClock m_wall;
    double m_speed = 1.0;
    bool m_paused = false;
    qint64 m_baseWall = 0;  // wall time at the last rebase
    qint64 m_baseEvent = 0; // event time at the last rebase
};

} // namespace FlowScope::Sim
