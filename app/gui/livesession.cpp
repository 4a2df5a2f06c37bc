// SPDX-License-Identifier: MIT
#include "livesession.h"

#include <flowfile.h>
#include <recording.h>

namespace FlowScope::Gui {

std::unique_ptr<LiveSession> LiveSession::start(
    Connectors::KafkaSource::Options options, std::shared_ptr<const Flow> flow, QString* error)
{
    std::unique_ptr<LiveSession> s(new LiveSession);
    s->m_flow = flow ? std::move(flow) : std::make_shared<const Flow>();
    if (!s->m_dir.isValid()) {
        *error
            = QStringLiteral("cannot create a temporary directory for the recording: %1").arg(s->m_dir.errorString());
        return nullptr;
    }
    s->m_recordingPath = s->m_dir.filePath(QStringLiteral("kafka.fsrec"));
    s->m_writer = RecordingWriter::create(s->m_recordingPath, error, WriteMode::Live);
    if (!s->m_writer)
        return nullptr;
    Engine::Options engineOptions;
    engineOptions.viewSample = 500;
    engineOptions.queueBatches = 16;
    engineOptions.instancesIntervalMs = 250; // the saga instance table
    s->m_engine = std::make_unique<Engine>(s->m_flow, s->m_writer.get(), engineOptions);
    s->m_engine->start();
    s->m_source = std::make_unique<Connectors::KafkaSource>(std::move(options));
    s->m_source->setEngine(*s->m_engine); // a pull source: it waits while the engine is full
    if (!s->m_source->start(error)) {
        s->m_engine->stop();
        return nullptr;
    }
    return s;
}

LiveSession::~LiveSession()
{
    if (m_source)
        m_source->stop(); // hands over what was read (and commits it, with a group)
    if (m_engine) {
        m_engine->flush();
        m_engine->stop();
    }
    if (m_writer) {
        QString error;
        m_writer->finish(&error); // a temporary file: nothing to tell about it any more
    }
}

QString LiveSession::sourceStatus() const
{
    const Connectors::SourceStatus status = m_source->status();
    const QString name = Connectors::stateName(status.state);
    return status.reason.isEmpty() ? name : QStringLiteral("%1 (%2)").arg(name, status.reason);
}

QString LiveSession::error() const
{
    if (const QString engine = m_engine->error(); !engine.isEmpty())
        return engine;
    const Connectors::SourceStatus status = m_source->status();
    if (status.state == Connectors::SourceState::Stopped && !status.reason.isEmpty())
        return QStringLiteral("Kafka: %1").arg(status.reason);
    return {};
}

} // namespace FlowScope::Gui
