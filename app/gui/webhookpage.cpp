// SPDX-License-Identifier: MIT
#include "webhookpage.h"

#include <webhooksource.h>

#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>

namespace FlowScope::Gui {

WebhookPage::WebhookPage(QWidget* parent)
    : SourcePage(QStringLiteral("Webhook"), QStringLiteral("webhook"), parent)
    , m_address(lineEdit(QStringLiteral("address"), QStringLiteral("127.0.0.1")))
    , m_port(new QSpinBox(this))
    , m_secret(lineEdit(QStringLiteral("secret"), tr("optional: require X-Signature-256")))
    , m_maxBody(new QSpinBox(this))
{
    m_port->setObjectName(QStringLiteral("port"));
    m_port->setRange(0, 65535);
    m_port->setSpecialValueText(tr("any free port"));
    m_secret->setEchoMode(QLineEdit::Password);
    m_maxBody->setObjectName(QStringLiteral("maxBody"));
    m_maxBody->setRange(1, 1024 * 1024);
    m_maxBody->setSuffix(tr(" KiB"));
    addRow(tr("Listen on &address:"), m_address,
        tr("An IP address. 127.0.0.1: this machine only; 0.0.0.0: every network interface"));
    addRow(tr("&Port:"), m_port);
    addRow(tr("HMAC &secret:"), m_secret,
        tr("When set, each request must carry X-Signature-256: sha256=HMAC-SHA256(body), as GitHub "
           "signs. Never saved."));
    addRow(tr("Largest &body:"), m_maxBody, tr("Larger requests are answered 413 and not recorded"));
    m_note = addNote({});
    m_note->setObjectName(QStringLiteral("webhookNote"));
    keep(m_address, QStringLiteral("address"), QStringLiteral("127.0.0.1"));
    keep(m_port, QStringLiteral("port"), 8080);
    keep(m_maxBody, QStringLiteral("maxBodyKiB"), 1024); // as `flowscope record --webhook`
    connect(m_address, &QLineEdit::textChanged, this, &WebhookPage::updateNote);
    connect(m_port, &QSpinBox::valueChanged, this, &WebhookPage::updateNote);
    updateNote();
}

void WebhookPage::updateNote()
{
    QString host = m_address->text().trimmed();
    if (host.isEmpty() || host == u"0.0.0.0")
        host = QStringLiteral("HOST");
    else if (host.contains(u':') && !host.startsWith(u'['))
        host = u'[' + host + u']';
    const QString port = m_port->value() == 0 ? QStringLiteral("PORT") : QString::number(m_port->value());
    m_note->setText(tr("POST CloudEvents to http://%1:%2/CHANNEL: the path names the channel. One event as "
                       "application/cloudevents+json, several as application/cloudevents-batch+json, or in "
                       "binary mode with ce-* headers. A full recorder answers 503.")
                        .arg(host, port));
}

std::unique_ptr<Connectors::Source> WebhookPage::createSource(QString* error) const
{
    Connectors::WebhookSource::Options o;
    const QString address = m_address->text().trimmed();
    if (!address.isEmpty() && !Connectors::WebhookSource::readAddress(address, &o.address)) {
        *error = tr("the address to listen on must be an IP address (127.0.0.1, or 0.0.0.0 for all): %1").arg(address);
        return nullptr;
    }
    o.port = quint16(m_port->value());
    o.secret = m_secret->text().toUtf8();
    o.maxBodyBytes = qint64(m_maxBody->value()) * 1024;
    return std::make_unique<Connectors::WebhookSource>(std::move(o)); // start() says when the port is taken
}

} // namespace FlowScope::Gui
