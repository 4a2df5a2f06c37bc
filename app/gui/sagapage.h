// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>
#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QSplitter;
class QTableView;
class QTableWidget;

namespace FlowScope {
struct Flow;
struct SagaInstanceSet;
class Recording;
class SagaInstanceModel;
}

namespace FlowScope::Gui {

class GraphView;

// Each saga's state machine (from the flow file, laid out by Graphviz) with live counts: how
// many instances sit in each state (heat colour), how often each transition was taken, final
// states ringed and coloured by outcome, compensation paths in amber; and the outcome totals.
// Below it the saga's instances (filtered by outcome and id) and, for the selected one, its
// timeline: its events from the recording, in order, with the time between them.
class SagaPage final : public QWidget {
    Q_OBJECT
public:
    // How far past an instance's last saga event its timeline looks for more of its events
    // (late answers, duplicates): a bounded scan, whatever the recording's size.
    static constexpr qint64 TimelineLookahead = 100000;
    static constexpr int MaxTimelineEvents = 1000;

    explicit SagaPage(QWidget* parent = nullptr);
    ~SagaPage() override;
    void setFlow(std::shared_ptr<const Flow> flow);
    // The recording the timelines read (the session's); empty: none.
    void setRecording(const QString& path);
    void update(const QJsonObject& state);
    void updateInstances(std::shared_ptr<const SagaInstanceSet> set);
    GraphView* view() const { return m_view; }
    QString summary() const;
    QString currentSaga() const;

    SagaInstanceModel* instanceModel() const { return m_instances; }
    QTableView* instanceTable() const { return m_instanceTable; }
    QComboBox* outcomeFilter() const { return m_outcome; }
    QLineEdit* idFilter() const { return m_idFilter; }
    // Selects the instance with this id (if the table shows it) and shows its timeline.
    bool selectInstance(const QString& correlationId);
    // The timeline shown now: the seqs of its events, in order, and the gap texts.
    QList<qint64> timelineSeqs() const;
    QStringList timelineGaps() const;
    QTableWidget* timeline() const { return m_timeline; }

Q_SIGNALS:
    // "Show events" on an instance: the event log should filter on this correlation id.
    void showEventsRequested(const QString& correlationId);

protected:
    void changeEvent(QEvent* event) override;

private:
    void showSaga();
    void showSelected();
    void loadTimeline(const QByteArray& correlationId);
    void updateInstanceLabels();
    QString selectedId() const;
    bool selectRow(const QByteArray& id, bool scroll);

    std::shared_ptr<const Flow> m_flow;
    QComboBox* m_choice;
    QSplitter* m_split;
    GraphView* m_view;
    QLabel* m_summary;
    QComboBox* m_outcome;
    QLineEdit* m_idFilter;
    QLabel* m_shown;
    SagaInstanceModel* m_instances;
    QSortFilterProxyModel* m_sorted;
    QTableView* m_instanceTable;
    QLabel* m_timelineTitle;
    QTableWidget* m_timeline;
    std::unique_ptr<Recording> m_recording;
    QJsonObject m_state;
    // The diagram's edges: one per pair of states, with what moves an instance along it (event
    // types, "timeout"). Two ways from one state to another (a reply and the timeout) are one
    // edge: the state's counts are per pair, and two edges of a pair showed one count twice.
    struct Arrow {
        QString from, to;
        QStringList triggers; // as shown
        QStringList triggerKeys; // as transitions_by_trigger names them: the type, or "timeout"
        bool timeoutOnly = true;
    };
    QList<Arrow> m_arrows;
    // what the timeline shows, to reload it only when its instance moved on
    QByteArray m_timelineId;
    static constexpr qint64 Gone = -2; // m_timelineLastSeq: the instance was not in the set
    qint64 m_timelineLastSeq = -1;
    qint64 m_positionSeq = -1; // the last event folded into the instances shown; -1: unknown
    qint64 m_timelineAnomalies = -1;
    bool m_updating = false; // a new instance set is going in
};

} // namespace FlowScope::Gui
