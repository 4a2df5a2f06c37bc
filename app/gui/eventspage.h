// SPDX-License-Identifier: MIT
#pragma once

#include <eventfilter.h>

#include <QJsonObject>
#include <QStringList>
#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSplitter;
class QTableView;
class QTimer;
class QToolButton;

namespace FlowScope {
struct Event;
struct Flow;
class EventLogModel;
}

namespace FlowScope::Gui {

// The event log: every event of the session's recording (a virtual table, 256 rows a page),
// filtered by type, source, channel, correlation id and free text (a SQL WHERE on the
// recording, scanned only as far as the table needs), and a detail pane with the selected
// event's attributes, headers and pretty-printed data.
class EventsPage final : public QWidget {
    Q_OBJECT
public:
    explicit EventsPage(QWidget* parent = nullptr);

    // retention: the recording keeps only its newest events (a session's temporary recording).
    bool open(const QString& recordingPath, std::shared_ptr<const Flow> flow, QString* error, qint64 retention = 0);
    void refresh(); // picks up appended events (twice a second)
    // The types, sources and channels seen so far (inspect's counts) become the filters' choices.
    void updateChoices(const QJsonObject& state);

    // Fills the filter fields and applies them at once.
    void setFilter(const EventFilter& filter);
    // Only this correlation id (the jump from a saga instance or a view row).
    void showCorrelation(const QString& id);
    EventFilter filter() const;

    EventLogModel* model() const { return m_model; }
    QTableView* table() const { return m_table; }
    QPlainTextEdit* detail() const { return m_detail; }
    QLabel* status() const { return m_status; }

    // A filter on `id` as the flow file finds correlation ids: the recorded attribute, or the
    // `data` path of its `correlation:` for events recorded without one.
    static EventFilter correlationFilter(const Flow* flow, const QString& id);
    // What the detail pane shows for an event.
    static QString describe(const Event& e);

Q_SIGNALS:
    void errorOccurred(const QString& message);

private:
    void applyFilter();
    void showDetail();
    void updateStatus();
    void selectFirstIfAsked();
    static void setChoices(QComboBox* box, const QStringList& items);

    std::shared_ptr<const Flow> m_flow;
    QComboBox* m_type;
    QComboBox* m_source;
    QComboBox* m_channel;
    QLineEdit* m_correlation;
    QLineEdit* m_text;
    QToolButton* m_clear;
    QLabel* m_status;
    EventLogModel* m_model;
    QTableView* m_table;
    QPlainTextEdit* m_detail;
    QSplitter* m_split;
    QTimer* m_debounce;
    bool m_selectFirst = false;
    qint64 m_retention = 0;
};

} // namespace FlowScope::Gui
