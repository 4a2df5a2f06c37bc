// SPDX-License-Identifier: MIT
#include "websocketpage.h"

#include <websocketsource.h>

#include <QLineEdit>

namespace FlowScope::Gui {

WebSocketPage::WebSocketPage(QWidget* parent)
    : SourcePage(QStringLiteral("WebSocket"), QStringLiteral("websocket"), parent)
    , m_url(lineEdit(QStringLiteral("url"), QStringLiteral("ws://localhost:8080/events")))
    , m_channel(lineEdit(QStringLiteral("channel"), tr("optional: the URL's path")))
{
    addRow(tr("&URL:"), m_url, tr("ws:// or wss://. A token in the query is not saved with the URL."));
    addRow(tr("&Channel:"), m_channel, tr("The channel the events are shown on; by default the URL's path"));
    addNote(tr("Each text or binary message is one event: a CloudEvent, plain JSON, or bytes kept as "
               "unparsed. A lost connection is retried by itself."));
    keepUrl(m_url, QStringLiteral("url"));
    keep(m_channel, QStringLiteral("channel"));
}

std::unique_ptr<Connectors::Source> WebSocketPage::createSource(QString* error) const
{
    Connectors::WebSocketSource::Options o;
    if (m_url->text().trimmed().isEmpty()) {
        *error = tr("no URL: the server's address is ws://HOST:PORT/PATH or wss://…");
        return nullptr;
    }
    const QString text = m_url->text().trimmed();
    if (const QString problem = Connectors::urlProblem(text); !problem.isEmpty()) { // as `record` says it
        *error = tr("not a usable URL (%1): %2").arg(problem, Connectors::redactedUrlText(text));
        return nullptr;
    }
    o.url = QUrl(text, QUrl::StrictMode);
    o.channel = channel(m_channel);
    return std::make_unique<Connectors::WebSocketSource>(std::move(o)); // start() checks the URL
}

} // namespace FlowScope::Gui
