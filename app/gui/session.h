// SPDX-License-Identifier: MIT
#pragma once

#include <engine.h>

#include <QJsonObject>
#include <QString>

#include <memory>

class QTemporaryDir;

namespace FlowScope {
class RecordingWriter;
struct EventDensity;
struct Flow;
}

namespace FlowScope::Gui {

// How much lower than the GUI thread a session's workers (source, engine, writer) run: enough
// that the GUI thread gets a core as soon as it wakes, while the workers still have the rest.
constexpr int WorkerNice = 5;

// The newest events a window's own temporary recording keeps: about 1 GB of disk at the demo's
// ~220 bytes an event, and an hour and more of most live streams.
constexpr qint64 SessionRetention = 4'000'000;

// How a window's engine runs: a large sample of each view for its table, the saga instances for
// their table, threads below the GUI thread's priority.
Engine::Options sessionEngineOptions(int queueBatches);

// The temporary recording a simulated or live session writes into `dir`, keeping the newest
// SessionRetention events. Null with *error set when it cannot be created.
std::unique_ptr<RecordingWriter> createSessionRecording(const QTemporaryDir& dir, const QString& name, QString* error);

// What the window shows: a source of events folded by an engine on threads of its own. The
// window only reads snapshots and sends commands (speed, pause, seek); every call returns at once.
class Session {
public:
    virtual ~Session() = default;

    virtual std::shared_ptr<const EngineSnapshot> snapshot() const = 0;
    virtual const std::shared_ptr<const Flow>& flow() const = 0;
    virtual QString recordingPath() const = 0; // what the event log pages through
    // How many of the newest events a temporary recording keeps (0: all of them): a simulated or
    // live session running for hours at high speed would otherwise fill the disk. Non-zero means
    // the recording is the session's own and goes with it: File > Save session recording copies it.
    virtual qint64 retention() const { return 0; }
    virtual QString kind() const = 0;          // "simulated", "replay", "Kafka"
    // A live source's state for the status bar ("live", "retrying (reason)"); empty otherwise.
    virtual QString sourceStatus() const { return {}; }

    // Whether speed and pause mean anything: not for a live source, which comes as it comes.
    virtual bool canPace() const { return true; }
    virtual void setSpeed(double speed) = 0;
    virtual double speed() const = 0;
    virtual void setPaused(bool paused) = 0;
    virtual bool isPaused() const = 0;

    // Replays can move: position and length in events.
    virtual bool canSeek() const { return false; }
    virtual qint64 length() const { return 0; }
    virtual qint64 position() const { return 0; }
    virtual void seek(qint64 /*seq*/) { }
    // A seek asked for is not in the snapshot yet (its state is being restored): the window
    // leaves the slider where the user put it, so that the next key press moves on from there.
    virtual bool seekPending() const { return false; }
    // A replay: wall-clock microseconds until its next event is due at this speed (0: due now,
    // -1: paused or at the end). A long one (a clock error: an event stamped 2099) says why the
    // replay stands still.
    virtual qint64 waitMicros() const { return -1; }
    virtual void step() { }
    // Replays: how the events spread over the recording's time (read once when it opens).
    virtual const EventDensity* density() const { return nullptr; }
    // Where the stream's own time starts (µs since the epoch): the simulation's start, a
    // recording's first event. The charts count their seconds from it. NoTime: not known
    // beforehand (a live source); the charts count from the first time they see.
    virtual qint64 streamStart() const { return NoTime; }

    // The first failure the window should show (the recorder could not write, a seek could not
    // read the recording), or empty.
    virtual QString error() const = 0;

    // The simulator's own view of its services and faults (empty for a replay).
    virtual QJsonObject servicesJson() const { return {}; }
    virtual QJsonObject faults() const { return {}; }
};

} // namespace FlowScope::Gui
