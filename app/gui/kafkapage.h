// SPDX-License-Identifier: MIT
#pragma once

#include "sourcepage.h"

#include <kafkasource.h>

class QComboBox;
class QDateTimeEdit;
class QLineEdit;

namespace FlowScope::Gui {

// The Kafka page of the Connect dialog (File > Connect to Kafka opens the dialog on it):
// bootstrap servers, topics (comma separated; one starting with '^' is a regular expression, as
// with `flowscope record --topic`), a consumer group (empty: assign-only, nothing committed),
// where to start (beginning, end, the group's stored offsets, a time) and a client properties
// file, read when the source is made.
class KafkaPage final : public SourcePage {
    Q_OBJECT
public:
    enum StartChoice { Beginning, End, Stored, Time };

    explicit KafkaPage(QWidget* parent = nullptr);

    // What the fields say, as KafkaSource takes it (properties not read yet: see propertiesFile()).
    Connectors::KafkaSource::Options options() const;
    QString propertiesFile() const;
    // The consumer groups to watch; empty: every group the cluster lists.
    QStringList watchGroups() const;
    // The properties file read (its properties before those of options()), then the source.
    std::unique_ptr<Connectors::Source> createSource(QString* error) const override;
    // The same for settings given in code (MainWindow::connectKafka): null with *error set when
    // the properties file cannot be read.
    static std::unique_ptr<Connectors::KafkaSource> createSource(
        Connectors::KafkaSource::Options options, const QString& propertiesFile, QString* error);

private:
    QLineEdit* m_servers;
    QLineEdit* m_topics;
    QLineEdit* m_group;
    QComboBox* m_startAt;
    QDateTimeEdit* m_time;
    QLineEdit* m_properties;
    QLineEdit* m_watchGroups;
};

} // namespace FlowScope::Gui
