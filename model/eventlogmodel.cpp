// SPDX-License-Identifier: MIT
#include "eventlogmodel.h"

#include "recording.h"
#include "timeformat.h"

namespace FlowScope {

EventLogModel::EventLogModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

EventLogModel::~EventLogModel() = default;

bool EventLogModel::open(const QString& path, QString* error)
{
    beginResetModel();
    m_pages.clear();
    m_recording = Recording::open(path, error);
    m_rows = m_recording ? int(std::min<qint64>(m_recording->eventCount(), INT_MAX)) : 0;
    endResetModel();
    return m_recording != nullptr;
}

void EventLogModel::refresh()
{
    if (!m_recording)
        return;
    const int rows = int(std::min<qint64>(m_recording->eventCount(), INT_MAX));
    if (rows <= m_rows)
        return;
    // the last page may have been read while it was still filling
    m_pages.remove((m_rows - 1) / PageSize);
    beginInsertRows({}, m_rows, rows - 1);
    m_rows = rows;
    endInsertRows();
}

const QList<Event>* EventLogModel::page(int row) const
{
    const int p = row / PageSize;
    if (QList<Event>* cached = m_pages.object(p))
        return cached;
    auto* events = new QList<Event>;
    events->reserve(PageSize);
    QString error;
    m_recording->readSeqRange(qint64(p) * PageSize + 1, qint64(p + 1) * PageSize, [events](Event&& e) {
        e.payload.clear(); // the table shows no payloads; event() reads them when asked
        events->append(std::move(e));
        return true;
    }, &error);
    m_pages.insert(p, events);
    return events;
}

std::optional<Event> EventLogModel::event(int row) const
{
    if (!m_recording || row < 0 || row >= m_rows)
        return std::nullopt;
    std::optional<Event> found;
    QString error;
    m_recording->readSeqRange(row + 1, row + 1, [&found](Event&& e) {
        found = std::move(e);
        return false;
    }, &error);
    return found;
}

int EventLogModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : m_rows; }
int EventLogModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant EventLogModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid) || !m_recording)
        return {};
    const QList<Event>* events = page(index.row());
    const int offset = index.row() % PageSize;
    if (offset >= events->size())
        return {};
    const Event& e = events->at(offset);
    if (role == SeqRole || (role == SortRole && index.column() == Seq))
        return e.seq;
    if (role == SortRole && index.column() == Time)
        return e.time;
    if (role != Qt::DisplayRole && role != SortRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case Seq: return e.seq;
    case Time: return e.hasTime() ? TimeFormat::toRfc3339String(e.time) : QString();
    case Type: return e.isUnparsed() ? QStringLiteral("(unparsed) ") + QString::fromUtf8(e.error) : QString::fromUtf8(e.type);
    case Source: return QString::fromUtf8(e.source);
    case Channel:
        return e.partition >= 0 ? QStringLiteral("%1 [%2] @%3").arg(QString::fromUtf8(e.channel)).arg(e.partition).arg(e.offset)
                                : QString::fromUtf8(e.channel);
    case Correlation: return QString::fromUtf8(e.correlationId);
    case Id: return QString::fromUtf8(e.id);
    }
    return {};
}

QVariant EventLogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    static const char* const names[] = { "seq", "time", "type", "source", "channel", "correlation", "id" };
    return section >= 0 && section < ColumnCount ? QString::fromLatin1(names[section]) : QVariant();
}

} // namespace FlowScope
