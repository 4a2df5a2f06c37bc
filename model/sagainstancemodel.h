// SPDX-License-Identifier: MIT
#pragma once

#include "sagatracker.h"

#include <QAbstractTableModel>

#include <memory>
#include <vector>

namespace FlowScope {

struct Flow;
struct SagaInstanceSet;

// One saga's instances as a table (correlation id, state, age, last event, outcome, anomalies),
// from the engine's copies of the trackers (SagaInstanceSet, about twice a second). Filtered by
// outcome and by a substring of the id; at most MaxRows rows, the newest matches, so a run with
// a million instances costs no more than one with ten thousand. Updates keep rows in place: the
// rows are instances in start order (known by their start event's seq), and a new copy becomes
// inserts and removals plus dataChanged, or one layout change when rows left and came in many
// places; the selection stays on its instance. A reset only when the filter or the saga changes.
class SagaInstanceModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Correlation, State, Age, LastEvent, Outcome, Anomalies, ColumnCount };
    enum Role { SortRole = Qt::UserRole, CorrelationRole };
    // the outcome categories of SagaTracker::toJson(): `running` excludes `stuck`
    enum class Filter { All, Running, Stuck, Completed, Compensated, Failed };
    static constexpr int FilterCount = 6;
    static constexpr int MaxRows = 10000;
    // More runs of rows leaving or coming than this in one update: one layout change instead.
    static constexpr int MaxIncrementalRuns = 8;

    explicit SagaInstanceModel(QObject* parent = nullptr);
    ~SagaInstanceModel() override;

    void setSaga(std::shared_ptr<const Flow> flow, int sagaIndex);
    void setInstances(std::shared_ptr<const SagaInstanceSet> set);
    void setFilter(Filter filter);
    void setIdFilter(const QString& text); // case-insensitive substring
    Filter filter() const { return m_filter; }

    // Instances of each category in the whole set (the id filter aside).
    qint64 count(Filter filter) const { return m_counts[int(filter)]; }
    // Instances that pass both filters; rowCount() is at most MaxRows of them.
    qint64 matchCount() const { return m_matches; }
    qint64 totalCount() const { return m_counts[int(Filter::All)]; }
    const SagaTracker::Instance* instance(int row) const;
    // The instance with this id in the current set, or null.
    const SagaTracker::Instance* find(const QByteArray& correlationId) const;
    qint64 clock() const;
    Filter categoryOf(const SagaTracker::Instance& in) const;

    static QString filterName(Filter filter);
    static QString durationText(qint64 micros);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    const std::vector<SagaTracker::Instance>* instances() const;
    std::vector<int> select(qint64 counts[FilterCount], qint64* matches) const;
    static int changedRuns(const std::vector<qint64>& old, const std::vector<qint64>& rows);
    void rebuild(bool reset);

    std::shared_ptr<const Flow> m_flow;
    int m_saga = -1;
    std::shared_ptr<const SagaInstanceSet> m_set;
    Filter m_filter = Filter::All;
    QByteArray m_idFilter;
    std::vector<int> m_rows;    // indexes into the set's instances of the saga
    std::vector<qint64> m_keys; // the rows' instances: their start events' seqs, ascending
    qint64 m_counts[FilterCount] = {};
    qint64 m_matches = 0;
};

} // namespace FlowScope
