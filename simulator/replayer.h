// SPDX-License-Identifier: MIT
#pragma once

#include "replayclock.h"

#include <event.h>

#include <QList>

#include <deque>
#include <functional>

namespace FlowScope {
class Recording;
}

namespace FlowScope::Sim {

// A recording as a source: hands its events, in recording order, to a sink at the pace of a
// ReplayClock (x0.1 ... x1000 of event time, or flat out), with pause, step and seek.
// Not a thread: its owner calls pump() from whatever loop it runs (a timer in the GUI, a loop
// in the CLI) and waits waitMicros() in between; tests drive it with an injected wall clock.
//
// Seeking moves where events come from; putting the projections at that point is the
// Seeker's job (Engine::restore(Seeker::stateAt(...))).
class Replayer final {
public:
    using Sink = std::function<void(EventBatch&&)>;

    Replayer(const Recording& recording, Sink sink, ReplayClock::WallClock wall = {});

    void setSpeed(double speed); // ReplayClock::Unpaced for flat out
    double speed() const { return m_clock.speed(); }
    void play();
    void pause();
    bool isPaused() const { return m_clock.isPaused(); }

    // Hands over every event that is due (at most `maxEvents`); returns how many.
    qint64 pump(qint64 maxEvents = 8192);
    // Hands over the next event now, due or not (the transport bar's "step"). False at the end.
    bool step();
    // The next event handed over is `seq + 1`; the clock jumps to its time.
    void seek(qint64 seq);

    qint64 position() const { return m_position; } // seq of the last event handed over
    // Nothing more to hand over: the end of the recording, or a read error (error()).
    bool atEnd() const;
    // Microseconds of wall time until the next event is due: 0 now, -1 while paused or at the end.
    qint64 waitMicros();
    // Why the replay stopped before the end: the recording could not be read past an event (a
    // damaged file). Events after it are not skipped to: the replay stops there, until seek().
    QString error() const { return m_error; }

private:
    bool fill();
    const Event* next();
    void startClock(qint64 eventTime); // the clock shows `eventTime` now

    const Recording& m_recording;
    Sink m_sink;
    ReplayClock m_clock;
    std::deque<Event> m_ahead; // read ahead from the recording
    qint64 m_position = 0;     // last handed over
    qint64 m_readUpTo = 0;     // last read into m_ahead
    qint64 m_total = 0;        // the highest seq
    qint64 m_first = 1;        // the lowest seq (later than 1 in a recording with retention)
    bool m_clockStarted = false; // set to an event's time: until then the next one with a time is due
    QString m_error;
};

} // namespace FlowScope::Sim
