// SPDX-License-Identifier: MIT
#include "eventlogmodel.h"

#include "recording.h"
#include "timeformat.h"

#include <QElapsedTimer>
#include <QTimer>

#include <algorithm>

namespace FlowScope {

EventLogModel::EventLogModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

EventLogModel::~EventLogModel() = default;

void EventLogModel::beginScanReset()
{
    beginResetModel();
    m_pages.clear();
    m_matches.clear();
    m_scannedTo = 0;
    m_wanted = 0;
    m_sliceQueued = false;
    ++m_generation; // a slice queued before does nothing
}

void EventLogModel::endScanReset(bool scan)
{
    m_busy = true;
    endResetModel();
    m_busy = false;
    if (scan && isFiltered())
        want(PageSize);
    Q_EMIT scanProgress();
}

bool EventLogModel::open(const QString& path, QString* error)
{
    beginScanReset();
    m_lastError.clear();
    m_recording = Recording::open(path, error);
    m_total = m_recording ? std::min(m_recording->eventCount(), m_lastSeq) : 0;
    resetRows();
    endScanReset(true);
    return m_recording != nullptr;
}

void EventLogModel::resetRows()
{
    // a recording that keeps only its newest events starts later than seq 1
    m_base = std::max<qint64>({ 0, m_total - m_maxRows, m_recording ? m_recording->firstSeq() - 1 : 0 });
    m_rows = int(std::max<qint64>(0, m_total - m_base));
}

void EventLogModel::setLastSeq(qint64 seq)
{
    const qint64 last = seq < 0 ? std::numeric_limits<qint64>::max() : seq;
    if (last == m_lastSeq)
        return;
    m_lastSeq = last;
    if (!m_recording)
        return;
    if (last >= m_total) {
        refresh();
        return;
    }
    beginScanReset();
    m_total = last;
    resetRows();
    endScanReset(true);
}

void EventLogModel::close()
{
    beginScanReset();
    m_recording.reset();
    m_rows = 0;
    m_base = 0;
    m_total = 0;
    endScanReset(false);
}

void EventLogModel::setFilter(const EventFilter& filter)
{
    if (filter == m_filter)
        return;
    beginScanReset();
    m_filter = filter;
    endScanReset(true);
}

void EventLogModel::refresh()
{
    if (!m_recording)
        return;
    const qint64 total = std::min(m_recording->eventCount(), m_lastSeq);
    if (total <= m_total)
        return;
    const qint64 before = m_total;
    const bool caughtUp = m_scannedTo >= before;
    m_total = total;
    // the last page may have been read while it was still filling
    for (qint64 p = std::max<qint64>(0, before - 1) / PageSize; p <= (total - 1) / PageSize; ++p)
        m_pages.remove(int(p));
    // The window slides in steps of a tenth of itself: removing rows costs the view time in
    // proportion to all its rows (its header moves them), so it must happen rarely.
    const qint64 newBase = total - m_base <= m_maxRows ? m_base : total - m_maxRows + m_maxRows / 10;
    if (!isFiltered()) {
        m_busy = true;
        if (newBase > m_base) { // the window slides: the oldest rows go first
            const int gone = int(std::min<qint64>(newBase - m_base, m_rows));
            if (gone > 0) {
                beginRemoveRows({}, 0, gone - 1);
                m_rows -= gone;
                m_base += gone;
                endRemoveRows();
            }
            m_base = newBase; // past the old rows too when more than a window arrived at once
        }
        const int rows = int(total - m_base);
        if (rows > m_rows) {
            beginInsertRows({}, m_rows, rows - 1);
            m_rows = rows;
            endInsertRows();
        }
        m_busy = false;
        Q_EMIT scanProgress();
        return;
    }
    m_base = newBase;
    m_rows = int(total - m_base);
    // Matches of events the recording no longer keeps (RecordingWriter::setRetention) go in
    // steps of a tenth, as the unfiltered window slides: each removal costs the view time in
    // proportion to all its rows. Until then their rows are blank.
    if (!m_matches.isEmpty()) {
        const qint64 first = m_recording->firstSeq();
        const qsizetype gone = std::lower_bound(m_matches.cbegin(), m_matches.cend(), first) - m_matches.cbegin();
        if (gone > 0 && (gone >= m_matches.size() / 10 || gone >= GrowingMaxRows / 10)) {
            m_busy = true;
            beginRemoveRows({}, 0, int(gone) - 1);
            m_matches.remove(0, gone);
            m_pages.clear();
            endRemoveRows();
            m_busy = false;
        }
    }
    if (caughtUp) // following a live recording: the new events are few, scan them all
        want(int(std::min<qint64>(qint64(m_matches.size()) + (total - before), INT_MAX)));
    else
        Q_EMIT scanProgress();
}

bool EventLogModel::canFetchMore(const QModelIndex& parent) const
{
    return !parent.isValid() && m_recording && isFiltered() && m_scannedTo < m_total;
}

void EventLogModel::fetchMore(const QModelIndex& parent)
{
    if (!parent.isValid() && isFiltered())
        want(int(std::min<qint64>(qint64(m_matches.size()) + PageSize, INT_MAX)));
}

void EventLogModel::want(int rows)
{
    m_wanted = std::max(m_wanted, rows);
    // Called from a handler of our own reset or insert: the scan waits for the event loop, so
    // that an insert never nests inside another change.
    if (m_busy)
        queueSlice();
    else
        scanSlice();
}

void EventLogModel::queueSlice()
{
    if (m_sliceQueued)
        return;
    m_sliceQueued = true;
    QTimer::singleShot(0, this, [this, generation = m_generation] {
        if (generation == m_generation)
            scanSlice();
    });
}

void EventLogModel::scanSlice()
{
    m_sliceQueued = false;
    if (!m_recording || !isFiltered())
        return;
    QElapsedTimer clock;
    clock.start();
    QList<qint64> found;
    const qint64 have = m_matches.size();
    // at least one chunk per call, so that every fetchMore() moves the scan on
    while (m_scannedTo < m_total && have + found.size() < m_wanted) {
        const qint64 to = std::min(m_total, m_scannedTo + ChunkEvents);
        const int limit = int(std::min<qint64>(m_wanted - have - found.size(), INT_MAX));
        QList<qint64> chunk;
        QString error;
        if (!m_recording->matchingSeqs(m_filter, m_scannedTo, to, limit, &chunk, &error)) {
            reportError(error);
            m_scannedTo = m_total; // a damaged file: stop here rather than fail on every slice
            break;
        }
        m_scannedTo = chunk.size() == limit ? chunk.last() : to;
        found += chunk;
        if (clock.elapsed() >= SliceMillis)
            break;
    }
    if (!found.isEmpty()) {
        const int first = int(m_matches.size());
        const int last = first + int(found.size()) - 1;
        m_busy = true;
        beginInsertRows({}, first, last);
        m_matches += found;
        // pages read so far (even during rowsAboutToBeInserted) may lack the new rows
        for (int p = std::max(0, first - 1) / PageSize; p <= last / PageSize; ++p)
            m_pages.remove(p);
        endInsertRows();
        m_busy = false;
    }
    if (m_scannedTo < m_total && m_matches.size() < m_wanted)
        queueSlice(); // more to scan: yield to the event loop first, so the window stays responsive
    Q_EMIT scanProgress();
}

void EventLogModel::setMaxRows(int rows) { m_maxRows = std::max(1, rows); }

void EventLogModel::reportError(const QString& error) const
{
    if (error == m_lastError)
        return; // once, not once per row painted
    m_lastError = error;
    QMetaObject::invokeMethod(
        const_cast<EventLogModel*>(this), [this, error] { Q_EMIT const_cast<EventLogModel*>(this)->readFailed(error); },
        Qt::QueuedConnection);
}

const QList<Event>* EventLogModel::page(qint64 position) const
{
    const int p = int(position / PageSize);
    if (QList<Event>* cached = m_pages.object(p))
        return cached;
    auto* events = new QList<Event>;
    events->reserve(PageSize);
    QString error;
    auto sink = [events](Event&& e) {
        e.payload.clear(); // the table shows no payloads; event() reads them when asked
        events->append(std::move(e));
        return true;
    };
    bool ok;
    if (!isFiltered()) {
        ok = m_recording->readSeqRange(qint64(p) * PageSize + 1, qint64(p + 1) * PageSize, sink, &error);
    } else {
        // the matches between the page's first and last seq are exactly the page's rows
        const int first = p * PageSize;
        const int last = std::min(first + PageSize, int(m_matches.size())) - 1;
        ok = last < first || m_recording->readMatching(m_filter, m_matches[first], m_matches[last], sink, &error);
    }
    if (!ok)
        reportError(error);
    m_pages.insert(p, events);
    return events;
}

qint64 EventLogModel::seqAt(int row) const
{
    if (row < 0 || row >= rowCount())
        return 0;
    return isFiltered() ? m_matches[row] : m_base + row + 1;
}

std::optional<Event> EventLogModel::event(int row) const
{
    const qint64 seq = seqAt(row);
    if (!m_recording || seq <= 0)
        return std::nullopt;
    std::optional<Event> found;
    QString error;
    if (!m_recording->readSeqRange(seq, seq, [&found](Event&& e) {
            found = std::move(e);
            return false;
        }, &error))
        reportError(error);
    return found;
}

int EventLogModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid())
        return 0;
    return isFiltered() ? int(m_matches.size()) : m_rows;
}

int EventLogModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant EventLogModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid) || !m_recording)
        return {};
    const QList<Event>* events = page(position(index.row()));
    // by seq, not by place in the page: a page can lack events (a recording that keeps only its
    // newest ones dropped the first of them; a match dropped since it was found)
    const qint64 seq = seqAt(index.row());
    const auto it = std::lower_bound(events->cbegin(), events->cend(), seq,
                                     [](const Event& e, qint64 s) { return e.seq < s; });
    if (it == events->cend() || it->seq != seq)
        return {};
    const Event& e = *it;
    if (role == SeqRole || (role == SortRole && index.column() == Seq))
        return e.seq;
    if (role == SortRole && index.column() == Time)
        return e.time;
    if (role != Qt::DisplayRole && role != SortRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case Seq: return e.seq;
    case Time: return e.hasTime() ? TimeFormat::toRfc3339String(e.time) : QString();
    case Type: return e.isUnparsed() ? QStringLiteral("(unparsed) ") + QString::fromUtf8(e.error()) : QString::fromUtf8(e.type);
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
