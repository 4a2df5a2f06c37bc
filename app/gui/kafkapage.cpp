// SPDX-License-Identifier: MIT
#include "kafkapage.h"

#include <QComboBox>
#include <QDateTimeEdit>
#include <QLineEdit>

namespace FlowScope::Gui {

KafkaPage::KafkaPage(QWidget* parent)
    : SourcePage(QStringLiteral("Kafka"), QStringLiteral("kafka"), parent)
    , m_servers(lineEdit(QStringLiteral("servers"), QStringLiteral("localhost:9092")))
    , m_topics(lineEdit(QStringLiteral("topics"), tr("orders, payments, ^shop\\..*")))
    , m_group(lineEdit(QStringLiteral("group"), tr("empty: assign-only, no group joined, nothing committed")))
    , m_startAt(new QComboBox(this))
    , m_time(new QDateTimeEdit(this))
    , m_properties(
          lineEdit(QStringLiteral("propertiesFile"), tr("optional: a Java-style client.properties (security, SASL)")))
    , m_watchGroups(lineEdit(QStringLiteral("watchGroups"), tr("empty: every group the cluster lists")))
{
    m_startAt->setObjectName(QStringLiteral("startAt"));
    m_startAt->addItem(tr("the beginning"), Beginning);
    m_startAt->addItem(tr("the end (new events only)"), End);
    m_startAt->addItem(tr("the group's stored offsets"), Stored);
    m_startAt->addItem(tr("a time"), Time);
    m_time->setObjectName(QStringLiteral("startTime"));
    m_time->setCalendarPopup(true);
    m_time->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm:ss"));


    addRow(tr("Bootstrap &servers:"), m_servers, tr("host:port[,host:port…]"));
    addRow(tr("&Topics:"), m_topics,
        tr("Comma separated. A topic starting with ^ is a regular expression: topics created later that match "
           "it are read too."));
    addRow(tr("Consumer &group:"), m_group);
    addRow(tr("Start &at:"), m_startAt);
    addRow(tr("T&ime:"), m_time, tr("Local time: each partition starts at its first message stamped at or after it"));
    addRow(tr("&Properties file:"),
        withBrowse(m_properties, tr("Kafka client properties"), tr("Properties (*.properties *.conf);;All files (*)")));

    addRow(tr("&Watch groups:"), m_watchGroups,
        tr("Consumer groups whose members and lag the topology shows (read-only: nothing joined or committed). "
           "Comma separated; empty: every group the cluster lists."));

    keep(m_servers, QStringLiteral("servers"));
    keep(m_watchGroups, QStringLiteral("watchGroups"));
    keep(m_topics, QStringLiteral("topics"));
    keep(m_group, QStringLiteral("group"));
    // as `flowscope record --kafka`: assign-only starts at the end unless told otherwise
    keep(m_startAt, QStringLiteral("startAt"), End);
    keep(m_time, QStringLiteral("startTime"), QDateTime::currentDateTime().addSecs(-3600)); // an hour ago, the first time
    keep(m_properties, QStringLiteral("properties"));
    auto updateTime = [this] { m_time->setEnabled(m_startAt->currentData().toInt() == Time); };
    connect(m_startAt, &QComboBox::currentIndexChanged, this, updateTime);
    updateTime();
}

QStringList KafkaPage::watchGroups() const
{
    QStringList groups;
    for (const QString& g : m_watchGroups->text().split(u',', Qt::SkipEmptyParts))
        if (const QString group = g.trimmed(); !group.isEmpty())
            groups.append(group);
    return groups;
}

Connectors::KafkaSource::Options KafkaPage::options() const
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

QString KafkaPage::propertiesFile() const { return m_properties->text().trimmed(); }

std::unique_ptr<Connectors::Source> KafkaPage::createSource(QString* error) const
{
    return createSource(options(), propertiesFile(), error);
}

std::unique_ptr<Connectors::KafkaSource> KafkaPage::createSource(
    Connectors::KafkaSource::Options options, const QString& propertiesFile, QString* error)
{
    if (!propertiesFile.isEmpty()) {
        QList<QPair<QByteArray, QByteArray>> properties;
        if (!Connectors::KafkaSource::readProperties(propertiesFile, &properties, error))
            return nullptr;
        options.properties = properties + options.properties; // those given here win
    }
    // Settings librdkafka refuses (no servers, a bad pattern) are start()'s to tell.
    return std::make_unique<Connectors::KafkaSource>(std::move(options));
}

} // namespace FlowScope::Gui
