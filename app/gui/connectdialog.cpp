// SPDX-License-Identifier: MIT
#include "connectdialog.h"

#include "filepage.h"
#include "httppollpage.h"
#include "kafkapage.h"
#include "webhookpage.h"
#include "websocketpage.h"

#include <QDialogButtonBox>
#include <QPushButton>
#include <QSettings>
#include <QTabWidget>
#include <QVBoxLayout>

namespace FlowScope::Gui {

ConnectDialog::ConnectDialog(QWidget* parent)
    : QDialog(parent)
    , m_tabs(new QTabWidget(this))
{
    setWindowTitle(tr("Connect to a source"));
    m_tabs->setObjectName(QStringLiteral("sourceTabs"));
    m_tabs->setDocumentMode(true);
    m_pages = { new KafkaPage(this), new WebSocketPage(this), new WebhookPage(this), new HttpPollPage(this),
        new FilePage(this) };
    for (SourcePage* p : std::as_const(m_pages)) {
        p->setObjectName(p->kind());
        m_tabs->addTab(p, p->kind());
    }
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_tabs);
    layout->addWidget(buttons);
    setCurrentKind(QSettings().value(QStringLiteral("connect/kind"), QStringLiteral("Kafka")).toString());
    resize(560, sizeHint().height());
}

SourcePage* ConnectDialog::currentPage() const { return static_cast<SourcePage*>(m_tabs->currentWidget()); }

SourcePage* ConnectDialog::page(const QString& kind) const
{
    for (SourcePage* p : m_pages)
        if (p->kind() == kind)
            return p;
    return nullptr;
}

void ConnectDialog::setCurrentKind(const QString& kind)
{
    if (SourcePage* p = page(kind))
        m_tabs->setCurrentWidget(p);
}

void ConnectDialog::remember() const
{
    currentPage()->remember();
    QSettings().setValue(QStringLiteral("connect/kind"), currentPage()->kind());
}

} // namespace FlowScope::Gui
