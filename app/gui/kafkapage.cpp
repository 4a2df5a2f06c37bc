// SPDX-License-Identifier: MIT
#include "kafkadialog.h"

#include <QComboBox>
#include <QDateTimeEdit>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QToolButton>
#include <QVBoxLayout>

namespace FlowScope::Gui {

KafkaDialog::KafkaDialog(QWidget* parent)
    : QDialog(parent)
    , m_servers(new QLineEdit(this))
    , m_topics(new QLineEdit(this))
    , m_group(new QLineEdit(this))
    , m_startAt(new QComboBox(this))
    , m_time(new QDateTimeEdit(this))
    , m_properties(new QLineEdit(this))
{
    setWindowTitle(tr("Connect to Kafka"));
    // object names: tests fill the fields as a user does
    m_servers->setObjectName(QStringLiteral("servers"));
    m_servers->setPlaceholderText(QStringLiteral("localhost:9092"));
    m_topics->setObjectName(QStringLiteral("topics"));
    m_topics->setPlaceholderText(tr("orders, payments, ^shop\\..*"));
    m_topics->setToolTip(tr("Comma separated. A topic starting with ^ is a regular expression: topics created "
                            "later that match it are read too."));
    m_group->setObjectName(QStringLiteral("group"));
    m_group->setPlaceholderText(tr("empty: assign-only, no group joined, nothing committed"));
    m_startAt->setObjectName(QStringLiteral("startAt"));
    m_startAt->addItem(tr("the beginning"), Beginning);
    m_startAt->addItem(tr("the end (new events only)"), End);
    m_startAt->addItem(tr("the group's stored offsets"), Stored);
    m_startAt->addItem(tr("a time"), Time);
    m_time->setObjectName(QStringLiteral("startTime"));
    m_time->setCalendarPopup(true);
    m_time->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    m_time->setDateTime(QDateTime::currentDateTime().addSecs(-3600));
    m_time->setToolTip(tr("Local time: each partition starts at its first message stamped at or after it"));
    m_properties->setObjectName(QStringLiteral("propertiesFile"));
    m_properties->setPlaceholderText(tr("optional: a Java-style client.properties (security, SASL)"));
    auto* browse = new QToolButton(this);
    browse->setText(tr("Browse…"));
    connect(browse, &QToolButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Kafka client properties"), m_properties->text(),
            tr("Properties (*.properties *.conf);;All files (*)"));
        if (!path.isEmpty())
            m_properties->setText(path);
    });
    auto* propertiesRow = new QHBoxLayout;
    propertiesRow->addWidget(m_properties, 1);
    propertiesRow->addWidget(browse);

    auto* form = new QFormLayout;
    form->addRow(tr("Bootstrap &servers:"), m_servers);
    form->addRow(tr("&Topics:"), m_topics);
    form->addRow(tr("Consumer &group:"), m_group);
    form->addRow(tr("Start &at:"), m_startAt);
    form->addRow(tr("T&ime:"), m_time);
    form->addRow(tr("&Properties file:"), propertiesRow);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);

    auto updateTime = [this] { m_time->setEnabled(m_startAt->currentData().toInt() == Time); };
    connect(m_startAt, &QComboBox::currentIndexChanged, this, updateTime);

    QSettings settings;
    settings.beginGroup(QStringLiteral("kafka"));
    m_servers->setText(settings.value(QStringLiteral("servers")).toString());
    m_topics->setText(settings.value(QStringLiteral("topics")).toString());
    m_group->setText(settings.value(QStringLiteral("group")).toString());
    // as `flowscope record --kafka`: assign-only starts at the end unless told otherwise
    m_startAt->setCurrentIndex(m_startAt->findData(settings.value(QStringLiteral("startAt"), int(End)).toInt()));
    m_properties->setText(settings.value(QStringLiteral("properties")).toString());
    updateTime();
    resize(520, sizeHint().height());
}

Connectors::KafkaSource::Options KafkaDialog::options() const
{
    using Connectors::KafkaSource;
    KafkaSource::Options o;
    o.bootstrapServers = m_servers->text().trimmed();
    for (const QString& t : m_topics->text().split(u',', Qt::SkipEmptyParts))
        if (const QString topic = t.trimmed(); !topic.isEmpty())
            o.topics.append(topic);
    o.group = m_group->text().trimmed();
    switch (m_startAt->currentData().toInt()) {
    case Beginning:
        o.startAt = KafkaSource::StartAt::Beginning;
        break;
    case Stored:
        o.startAt = KafkaSource::StartAt::Stored;
        break;
    case Time:
        o.startAt = KafkaSource::StartAt::Time;
        o.startTime = m_time->dateTime().toMSecsSinceEpoch() * 1000;
        break;
    default:
        o.startAt = KafkaSource::StartAt::End;
        break;
    }
    return o;
}

QString KafkaDialog::propertiesFile() const { return m_properties->text().trimmed(); }

void KafkaDialog::remember() const
{
    QSettings settings;
    settings.beginGroup(QStringLiteral("kafka"));
    settings.setValue(QStringLiteral("servers"), m_servers->text().trimmed());
    settings.setValue(QStringLiteral("topics"), m_topics->text().trimmed());
    settings.setValue(QStringLiteral("group"), m_group->text().trimmed());
    settings.setValue(QStringLiteral("startAt"), m_startAt->currentData().toInt());
    settings.setValue(QStringLiteral("properties"), propertiesFile());
}

} // namespace FlowScope::Gui
