// SPDX-License-Identifier: MIT
#pragma once

#include "session.h"

#include <engine.h>
#include <kafkagroupwatcher.h>
#include <source.h>

#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace FlowScope {
class RecordingWriter;
}

namespace FlowScope::Gui {

// A live stream in the window: a Connectors::Source (Kafka, WebSocket, webhook, HTTP polling,
// a followed file; each reads on threads of its own) feeds an Engine that records into a
// temporary recording, as `flowscope record` does into a file and as SimSession does for the
// simulator, so the event log pages through it and the topology, sagas (with the flow file
// given, if any) and views follow. The GUI reads snapshots and the source's status and counters;
// it never receives a call per event. Speed and pause do not apply: the stream comes as it comes.
class LiveSession final : public Session {
public:
    // Starts `source`, handing over to the engine as its kind wants (Source::handOverTo: a push
    // source offers, a pull source waits). `kind` names it in the status bar ("Kafka",
    // "WebSocket", "Webhook", "HTTP poll", "File"). Returns null with *error set when the source
    // refuses its settings (a bad URL, a port in use) or the recording cannot be created. A peer
    // that cannot be reached is not an error here: the status says "retrying" and why.
    static std::unique_ptr<LiveSession> start(const QString& kind, std::unique_ptr<Connectors::Source> source,
        std::shared_ptr<const Flow> flow, QString* error);
    ~LiveSession() override; // stops the source, then the engine; the recording goes with it

    std::shared_ptr<const EngineSnapshot> snapshot() const override { return m_engine->snapshot(); }
    const std::shared_ptr<const Flow>& flow() const override { return m_flow; }
    QString recordingPath() const override { return m_recordingPath; }
    qint64 retention() const override { return SessionRetention; }
    QString kind() const override { return m_kind; }
    // "live", "retrying (reason)", followed by what was kept aside when there was any:
    // "live · 3 unparsed · 12 refused" (unparsed: kept as bytes; refused: a full engine).
    QString sourceStatus() const override;
    // The engine's failure (the recording could not be written), or the source's fatal error.
    QString error() const override;

    bool canPace() const override { return false; }
    void setSpeed(double /*speed*/) override { }
    double speed() const override { return 1.0; }
    void setPaused(bool /*paused*/) override { }
    bool isPaused() const override { return false; }

    const Connectors::Source& source() const { return *m_source; }

    // Also watches the Kafka cluster's consumer groups (read-only), laying their members and lag
    // over the topology's consumes edges. What it cannot read (a mock cluster, missing ACLs)
    // shows in sourceStatus(), not as an error: the stream itself is fine.
    bool watchGroups(const Connectors::KafkaGroupWatcher::Options& options, QString* error);
    const Connectors::KafkaGroupWatcher* groupWatcher() const { return m_watcher.get(); }

private:
    LiveSession() = default;

    QString m_kind;
    std::shared_ptr<const Flow> m_flow;
    QTemporaryDir m_dir;
    QString m_recordingPath;
    std::unique_ptr<RecordingWriter> m_writer;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<Connectors::Source> m_source;
    std::unique_ptr<Connectors::KafkaGroupWatcher> m_watcher;
};

} // namespace FlowScope::Gui
