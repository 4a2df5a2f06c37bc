// SPDX-License-Identifier: MIT
#pragma once

#include "session.h"

#include <engine.h>
#include <kafkasource.h>

#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace FlowScope {
class RecordingWriter;
}

namespace FlowScope::Gui {

// A live Kafka stream in the window: a KafkaSource (its own poll and hand-over threads) feeds an
// Engine that records into a temporary recording, as `flowscope record --kafka` does into a file
// and as SimSession does for the simulator, so the event log pages through it and the topology,
// sagas (with the flow file given, if any) and views follow. The GUI reads snapshots and the
// source's status; it never receives a call per event. Speed and pause do not apply: the stream
// comes as it comes.
class LiveSession final : public Session {
public:
    // Returns null with *error set when the settings are unusable (no servers, no topic, a bad
    // pattern or property) or the recording cannot be created. An unreachable cluster is not an
    // error here: the status says "retrying" with librdkafka's reason.
    static std::unique_ptr<LiveSession> start(
        Connectors::KafkaSource::Options options, std::shared_ptr<const Flow> flow, QString* error);
    ~LiveSession() override; // stops the source, then the engine; the recording goes with it

    std::shared_ptr<const EngineSnapshot> snapshot() const override { return m_engine->snapshot(); }
    const std::shared_ptr<const Flow>& flow() const override { return m_flow; }
    QString recordingPath() const override { return m_recordingPath; }
    QString kind() const override { return QStringLiteral("Kafka"); }
    QString sourceStatus() const override;
    // The engine's failure (the recording could not be written), or the source's fatal error.
    QString error() const override;

    bool canPace() const override { return false; }
    void setSpeed(double /*speed*/) override { }
    double speed() const override { return 1.0; }
    void setPaused(bool /*paused*/) override { }
    bool isPaused() const override { return false; }

    const Connectors::KafkaSource& source() const { return *m_source; }

private:
    LiveSession() = default;

    std::shared_ptr<const Flow> m_flow;
    QTemporaryDir m_dir;
    QString m_recordingPath;
    std::unique_ptr<RecordingWriter> m_writer;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Connectors::KafkaSource> m_source;
};

} // namespace FlowScope::Gui
