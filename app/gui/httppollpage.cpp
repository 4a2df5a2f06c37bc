// SPDX-License-Identifier: MIT
#include "httppollpage.h"

#include <httppollsource.h>

#include <QDoubleSpinBox>
#include <QLineEdit>

namespace FlowScope::Gui {

HttpPollPage::HttpPollPage(QWidget* parent)
    : SourcePage(QStringLiteral("HTTP poll"), QStringLiteral("poll"), parent)
    , m_url(lineEdit(QStringLiteral("url"), QStringLiteral("https://example.com/events")))
    , m_interval(new QDoubleSpinBox(this))
    , m_channel(lineEdit(QStringLiteral("channel"), tr("optional: the URL's path")))
{
    m_interval->setObjectName(QStringLiteral("interval"));
    m_interval->setRange(0.1, 3600);
    m_interval->setDecimals(1);
    m_interval->setSuffix(tr(" s"));
    addRow(tr("&URL:"), m_url, tr("http:// or https://. A token in the query is not saved with the URL."));
    addRow(tr("Poll &every:"), m_interval, tr("Time between the start of two requests"));
    addRow(tr("&Channel:"), m_channel, tr("The channel the events are shown on; by default the URL's path"));
    addNote(tr("An answer may be a JSON array of events or an Atom feed: told apart by its content. Each event "
               "is recorded once, however often it is served; ETag and Last-Modified make repeated requests "
               "cheap."));
    keepUrl(m_url, QStringLiteral("url"));
    keep(m_channel, QStringLiteral("channel"));
    keep(m_interval, QStringLiteral("interval"), 5.0); // as `flowscope record --poll`
}

std::unique_ptr<Connectors::Source> HttpPollPage::createSource(QString* error) const
{
    Connectors::HttpPollSource::Options o;
    if (m_url->text().trimmed().isEmpty()) {
        *error = tr("no URL: the address to poll is http://HOST:PORT/PATH or https://…");
        return nullptr;
    }
    const QString text = m_url->text().trimmed();
    if (const QString problem = Connectors::urlProblem(text); !problem.isEmpty()) { // as `record` says it
        *error = tr("not a usable URL (%1): %2").arg(problem, Connectors::redactedUrlText(text));
        return nullptr;
    }
    o.url = QUrl(text, QUrl::StrictMode);
    o.intervalMs = int(m_interval->value() * 1000);
    o.channel = channel(m_channel);
    return std::make_unique<Connectors::HttpPollSource>(std::move(o)); // start() checks the URL
}

} // namespace FlowScope::Gui
