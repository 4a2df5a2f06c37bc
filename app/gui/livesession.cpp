// SPDX-License-Identifier: MIT
#include "livesession.h"

#include <flowfile.h>
#include <recording.h>

#include <QSet>

namespace FlowScope::Gui {

std::unique_ptr<LiveSession> LiveSession::start(
    const QString& kind, std::unique_ptr<Connectors::Source> source, std::shared_ptr<const Flow> flow, QString* error)
{
    std::unique_ptr<LiveSession> s(new LiveSession);
    s->m_kind = kind;
    s->m_flow = flow ? std::move(flow) : std::make_shared<const Flow>();
    s->m_writer = createSessionRecording(s->m_dir, QStringLiteral("live.fsrec"), error);
    if (!s->m_writer)
        return nullptr;
    s->m_recordingPath = s->m_writer->path();
    s->m_engine = std::make_unique<Engine>(s->m_flow, s->m_writer.get(), sessionEngineOptions(16));
    s->m_engine->start();
    s->m_source = std::move(source);
    s->m_source->handOverTo(*s->m_engine);
    if (!s->m_source->start(error)) {
        s->m_engine->stop();
        return nullptr;
    }
    return s;
}

LiveSession::~LiveSession()
{
    if (m_watcher)
        m_watcher->stop();
    if (m_source)
        m_source->stop(); // hands over what was read (and acknowledges it, where the source does)
    if (m_engine) {
        m_engine->flush();
        m_engine->stop();
    }
    if (m_writer) {
        QString error;
        m_writer->finish(&error); // a temporary file: nothing to tell about it any more
    }
}

bool LiveSession::watchGroups(const Connectors::KafkaGroupWatcher::Options& options, QString* error)
{
    auto watcher = std::make_unique<Connectors::KafkaGroupWatcher>(options);
    watcher->setHandler([engine = m_engine.get()](const GroupFacts& facts) { engine->setGroupFacts(facts); });
    if (!watcher->start(error))
        return false;
    m_watcher = std::move(watcher);
    return true;
}

QString LiveSession::sourceStatus() const
{
    const Connectors::SourceStatus status = m_source->status();
    QString text = Connectors::stateName(status.state);
    if (!status.reason.isEmpty())
        text += QStringLiteral(" (%1)").arg(status.reason);
    const Connectors::SourceCounters& c = m_source->counters();
    if (const qint64 unparsed = c.unparsed.load(); unparsed > 0)
        text += QStringLiteral(" · %1 unparsed").arg(unparsed);
    if (const qint64 refused = c.refused.load(); refused > 0)
        text += QStringLiteral(" · %1 refused").arg(refused);
    if (m_watcher && m_watcher->rounds() > 0) {
        if (const QString problem = m_watcher->error(); !problem.isEmpty()) {
            text += QStringLiteral(" · consumer groups: %1").arg(problem);
        } else {
            QSet<QByteArray> groups;
            for (const GroupFact& f : m_watcher->facts())
                groups.insert(f.group);
            text += QStringLiteral(" · %1 consumer group(s)").arg(groups.size());
        }
    }
    return text;
}

QString LiveSession::error() const
{
    if (const QString engine = m_engine->error(); !engine.isEmpty())
        return engine;
    const Connectors::SourceStatus status = m_source->status();
    if (status.state == Connectors::SourceState::Stopped && !status.reason.isEmpty())
        return QStringLiteral("%1: %2").arg(m_kind, status.reason);
    return {};
}

} // namespace FlowScope::Gui
