// SPDX-License-Identifier: MIT
#include "sagainstancemodel.h"

#include <algorithm>

#include "engine.h"
#include "flowfile.h"

#include <QLatin1String>

namespace FlowScope {

SagaInstanceModel::SagaInstanceModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

SagaInstanceModel::~SagaInstanceModel() = default;

QString SagaInstanceModel::filterName(Filter filter)
{
    switch (filter) {
    case Filter::All: return QStringLiteral("all");
    case Filter::Running: return QStringLiteral("running");
    case Filter::Stuck: return QStringLiteral("stuck");
    case Filter::Completed: return QStringLiteral("completed");
    case Filter::Compensated: return QStringLiteral("compensated");
    case Filter::Failed: return QStringLiteral("failed");
    }
    return {};
}

QString SagaInstanceModel::durationText(qint64 micros)
{
    if (micros < 0)
        return {};
    if (micros < 1000)
        return QStringLiteral("%1 µs").arg(micros);
    if (micros < 10000)
        return QStringLiteral("%1 ms").arg(double(micros) / 1000, 0, 'f', 1);
    if (micros < 1000000)
        return QStringLiteral("%1 ms").arg(micros / 1000);
    const double s = double(micros) / 1e6;
    if (s < 60)
        return QStringLiteral("%1 s").arg(s, 0, 'f', 1);
    const qint64 whole = micros / 1000000;
    if (whole < 3600)
        return QStringLiteral("%1 m %2 s").arg(whole / 60).arg(whole % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1 h %2 m").arg(whole / 3600).arg((whole / 60) % 60, 2, 10, QLatin1Char('0'));
}

void SagaInstanceModel::setSaga(std::shared_ptr<const Flow> flow, int sagaIndex)
{
    m_flow = std::move(flow);
    m_saga = m_flow && sagaIndex >= 0 && sagaIndex < m_flow->sagas.size() ? sagaIndex : -1;
    rebuild(true);
}

void SagaInstanceModel::setInstances(std::shared_ptr<const SagaInstanceSet> set)
{
    // Within a generation rows are diffed by instance (rebuild()); a new generation starts over.
    const bool sameLine = m_set && set && m_set->generation == set->generation;
    m_set = std::move(set);
    rebuild(!sameLine);
}

void SagaInstanceModel::setFilter(Filter filter)
{
    if (filter == m_filter)
        return;
    m_filter = filter;
    rebuild(true);
}

void SagaInstanceModel::setIdFilter(const QString& text)
{
    const QByteArray f = text.trimmed().toUtf8();
    if (f == m_idFilter)
        return;
    m_idFilter = f;
    rebuild(true);
}

const std::vector<SagaTracker::Instance>* SagaInstanceModel::instances() const
{
    if (!m_set || m_saga < 0 || size_t(m_saga) >= m_set->sagas.size())
        return nullptr;
    return &m_set->sagas[size_t(m_saga)];
}

qint64 SagaInstanceModel::clock() const { return m_set ? m_set->clock : NoTime; }

SagaInstanceModel::Filter SagaInstanceModel::categoryOf(const SagaTracker::Instance& in) const
{
    const Saga& saga = m_flow->sagas[m_saga];
    switch (in.state >= 0 && in.state < saga.states.size() ? saga.states[in.state].outcome : SagaOutcome::None) {
    case SagaOutcome::Completed: return Filter::Completed;
    case SagaOutcome::Compensated: return Filter::Compensated;
    case SagaOutcome::Failed: return Filter::Failed;
    case SagaOutcome::None: break;
    }
    return in.stuck ? Filter::Stuck : Filter::Running;
}

std::vector<int> SagaInstanceModel::select(qint64 counts[FilterCount], qint64* matches) const
{
    std::vector<int> rows;
    const std::vector<SagaTracker::Instance>* all = instances();
    if (!all)
        return rows;
    const QLatin1String needle(m_idFilter.constData(), m_idFilter.size());
    for (size_t i = 0; i < all->size(); ++i) {
        const SagaTracker::Instance& in = (*all)[i];
        const Filter category = categoryOf(in);
        ++counts[int(Filter::All)];
        ++counts[int(category)];
        if (m_filter != Filter::All && category != m_filter)
            continue;
        if (!needle.isEmpty()
            && !QLatin1String(in.correlationId.constData(), in.correlationId.size()).contains(needle, Qt::CaseInsensitive))
            continue;
        ++*matches;
        rows.push_back(int(i));
    }
    // The engine copies only the newest instances of each kind: the counts are the tracker's.
    if (m_saga >= 0 && size_t(m_saga) < m_set->kept.size()) {
        const std::array<qint64, 6>& kept = m_set->kept[size_t(m_saga)];
        std::copy(kept.begin(), kept.end(), counts);
        if (needle.isEmpty())
            *matches = kept[size_t(m_filter)];
    }
    if (rows.size() > size_t(MaxRows)) // the newest
        rows.erase(rows.begin(), rows.end() - MaxRows);
    return rows;
}

int SagaInstanceModel::changedRuns(const std::vector<qint64>& old, const std::vector<qint64>& rows)
{
    int runs = 0;
    size_t i = 0, j = 0;
    bool inRun = false;
    while (i < old.size() || j < rows.size()) {
        const bool same = i < old.size() && j < rows.size() && old[i] == rows[j];
        if (same) {
            ++i;
            ++j;
        } else if (i < old.size() && (j >= rows.size() || old[i] < rows[j])) {
            ++i;
        } else {
            ++j;
        }
        runs += !same && !inRun;
        inRun = !same;
    }
    return runs;
}

void SagaInstanceModel::rebuild(bool reset)
{
    qint64 counts[FilterCount] = {};
    qint64 matches = 0;
    std::vector<int> rows = select(counts, &matches);
    std::copy(std::begin(counts), std::end(counts), std::begin(m_counts));
    m_matches = matches;
    // A row is an instance: its start event's seq, which ascends with start order. Positions in
    // the set do not identify it: each copy holds the newest of each kind, so they shift.
    const std::vector<SagaTracker::Instance>* all = instances(); // null only when rows is empty
    std::vector<qint64> keys(rows.size());
    for (size_t r = 0; r < rows.size(); ++r) {
        const SagaTracker::Instance& in = (*all)[size_t(rows[r])];
        keys[r] = in.seqs.isEmpty() ? 0 : in.seqs.first();
    }
    const bool keyed = std::adjacent_find(keys.begin(), keys.end(), std::greater_equal<qint64>()) == keys.end()
        && (keys.empty() || keys.front() > 0); // events without seqs (never recorded): start over
    if (reset || !keyed) {
        beginResetModel();
        m_rows = std::move(rows);
        m_keys = std::move(keys);
        endResetModel();
        return;
    }
    // Few runs of rows that left or came (a quiet saga): remove and insert them. Many (instances
    // end all over the table while new ones start): each remove or insert costs the view time in
    // proportion to all its rows, so move every row at once instead, as a layout change that
    // keeps the selection on its instance.
    if (changedRuns(m_keys, keys) > MaxIncrementalRuns) {
        Q_EMIT layoutAboutToBeChanged({}, QAbstractItemModel::NoLayoutChangeHint);
        const QModelIndexList before = persistentIndexList();
        QModelIndexList after;
        after.reserve(before.size());
        for (const QModelIndex& index : before) {
            const qint64 key = m_keys[size_t(index.row())];
            const auto it = std::lower_bound(keys.begin(), keys.end(), key);
            after.append(it != keys.end() && *it == key ? createIndex(int(it - keys.begin()), index.column())
                                                        : QModelIndex());
        }
        m_rows = std::move(rows);
        m_keys = std::move(keys);
        changePersistentIndexList(before, after);
        Q_EMIT layoutChanged({}, QAbstractItemModel::NoLayoutChangeHint);
        return;
    }
    // Rows that stay point into the new set at once; rows about to go point nowhere (-1).
    {
        size_t i = 0, j = 0;
        while (i < m_keys.size()) {
            while (j < keys.size() && keys[j] < m_keys[i])
                ++j;
            m_rows[i] = j < keys.size() && keys[j] == m_keys[i] ? rows[j] : -1;
            ++i;
        }
    }
    size_t i = 0, j = 0;
    int pos = 0;
    const std::vector<qint64> old = m_keys;
    while (i < old.size() || j < keys.size()) {
        if (i < old.size() && (j >= keys.size() || old[i] < keys[j])) {
            const size_t start = i;
            while (i < old.size() && (j >= keys.size() || old[i] < keys[j]))
                ++i;
            const int n = int(i - start);
            beginRemoveRows({}, pos, pos + n - 1);
            m_rows.erase(m_rows.begin() + pos, m_rows.begin() + pos + n);
            m_keys.erase(m_keys.begin() + pos, m_keys.begin() + pos + n);
            endRemoveRows();
        } else if (j < keys.size() && (i >= old.size() || keys[j] < old[i])) {
            const size_t start = j;
            while (j < keys.size() && (i >= old.size() || keys[j] < old[i]))
                ++j;
            const int n = int(j - start);
            beginInsertRows({}, pos, pos + n - 1);
            m_rows.insert(m_rows.begin() + pos, rows.begin() + qsizetype(start), rows.begin() + qsizetype(j));
            m_keys.insert(m_keys.begin() + pos, keys.begin() + qsizetype(start), keys.begin() + qsizetype(j));
            endInsertRows();
            pos += n;
        } else {
            ++i;
            ++j;
            ++pos;
        }
    }
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

const SagaTracker::Instance* SagaInstanceModel::instance(int row) const
{
    const std::vector<SagaTracker::Instance>* all = instances();
    if (!all || row < 0 || size_t(row) >= m_rows.size() || m_rows[size_t(row)] < 0
        || size_t(m_rows[size_t(row)]) >= all->size())
        return nullptr;
    return &(*all)[size_t(m_rows[size_t(row)])];
}

const SagaTracker::Instance* SagaInstanceModel::find(const QByteArray& correlationId) const
{
    const std::vector<SagaTracker::Instance>* all = instances();
    if (!all)
        return nullptr;
    // newest first: the one a user just looked at is most likely recent
    for (auto it = all->rbegin(); it != all->rend(); ++it)
        if (it->correlationId == correlationId)
            return &*it;
    return nullptr;
}

int SagaInstanceModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }
int SagaInstanceModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant SagaInstanceModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const SagaTracker::Instance* in = instance(index.row());
    if (!in)
        return {};
    if (role == CorrelationRole)
        return in->correlationId;
    const qint64 end = in->endedAt != NoTime ? in->endedAt : clock();
    const qint64 age = in->startedAt != NoTime && end != NoTime ? end - in->startedAt : -1;
    const Saga& saga = m_flow->sagas[m_saga];
    if (role == SortRole) {
        switch (index.column()) {
        case Correlation: return m_keys[size_t(index.row())]; // start order
        case Age: return age;
        case Anomalies: return in->anomalyCount;
        default: break;
        }
        role = Qt::DisplayRole;
    }
    if (role == Qt::TextAlignmentRole)
        return index.column() == Age || index.column() == Anomalies ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    if (role == Qt::ToolTipRole && index.column() == Anomalies) {
        QStringList lines;
        for (const SagaTracker::AnomalyRecord& a : in->anomalies)
            lines.append(QStringLiteral("%1 %2 (seq %3)")
                             .arg(SagaTracker::anomalyName(a.kind), QString::fromUtf8(a.type))
                             .arg(a.seq));
        if (in->anomalyCount > in->anomalies.size())
            lines.append(QStringLiteral("… %1 more").arg(in->anomalyCount - in->anomalies.size()));
        return lines.join(u'\n');
    }
    if (role == Qt::ToolTipRole && index.column() == Age)
        return in->endedAt != NoTime ? QStringLiteral("from start to end") : QStringLiteral("since it started");
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case Correlation: return QString::fromUtf8(in->correlationId);
    case State: return in->state >= 0 && in->state < saga.states.size() ? saga.states[in->state].name : QString();
    case Age: return durationText(age);
    case LastEvent: return QString::fromUtf8(in->lastType);
    case Outcome: return filterName(categoryOf(*in));
    case Anomalies: return in->anomalyCount;
    }
    return {};
}

QVariant SagaInstanceModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    static const char* const names[] = { "correlation", "state", "age", "last event", "outcome", "anomalies" };
    return section >= 0 && section < ColumnCount ? QString::fromLatin1(names[section]) : QVariant();
}

} // namespace FlowScope
