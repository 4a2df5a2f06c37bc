// SPDX-License-Identifier: MIT
#pragma once

#include <kafkasource.h>

#include <QDialog>

class QComboBox;
class QDateTimeEdit;
class QLineEdit;

namespace FlowScope::Gui {

// File > Connect to Kafka: bootstrap servers, topics (comma separated; one starting with '^' is
// a regular expression, as with `flowscope record --topic`), a consumer group (empty: assign-only,
// nothing committed), where to start (beginning, end, the group's stored offsets, a time) and a
// client properties file. It only collects the settings (kept for next time): MainWindow checks
// them by starting the session, and shows what is wrong in its banner.
class KafkaDialog final : public QDialog {
    Q_OBJECT
public:
    enum StartChoice { Beginning, End, Stored, Time };

    explicit KafkaDialog(QWidget* parent = nullptr);

    // What the fields say, as KafkaSource takes it (properties not read yet: see propertiesFile()).
    Connectors::KafkaSource::Options options() const;
    QString propertiesFile() const;
    void remember() const; // into the settings, for the next time the dialog opens

private:
    QLineEdit* m_servers;
    QLineEdit* m_topics;
    QLineEdit* m_group;
    QComboBox* m_startAt;
    QDateTimeEdit* m_time;
    QLineEdit* m_properties;
};

} // namespace FlowScope::Gui
