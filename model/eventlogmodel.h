// SPDX-License-Identifier: MIT
#pragma once

#include "event.h"
#include "eventfilter.h"

#include <QAbstractTableModel>
#include <QCache>

#include <limits>
#include <memory>

namespace FlowScope {

class Recording;

// The event log: a virtual table over a recording. Only the pages on screen are read, so it
// stays fast at millions of rows; refresh() picks up events appended since (a live recording).
//
// Without a filter, rows are the latest maxRows() events (all of them up to ten million): Qt's
// item views keep ~8 bytes per row in their headers, so a live session that exposed every event
// as a row would grow by hundreds of megabytes an hour. Row r is event base() + r + 1. The
// window slides in steps of a tenth of itself: removing rows from the top costs the view time
// in proportion to all its rows (twice a second, with ten million rows, it stalled the window).
// A recording that keeps only its newest events (RecordingWriter::setRetention) should be shown
// with maxRows() at most its retention, so that the window never reaches rows already dropped.
//
// With a filter, rows are the matching events in seq order. They are found by scanning the
// recording along seq with the filter as a SQL WHERE (the events table has no other index), in
// slices of at most SliceMillis on the GUI thread, and only as far as the view asks
// (fetchMore): a filter over ten million events shows its first page at once and never holds
// more than the seqs of the matches scrolled past. scanProgress() says how far the scan got.
class EventLogModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Seq, Time, Type, Source, Channel, Correlation, Id, ColumnCount };
    enum Role { SortRole = Qt::UserRole, SeqRole };

    explicit EventLogModel(QObject* parent = nullptr);
    ~EventLogModel() override;

    bool open(const QString& path, QString* error);
    void close();
    void refresh();
    // Shows only the events up to seq `seq` (a replay's position: what comes after it has not
    // happened yet), or all of them with -1 (the default). Forward it adds rows as refresh()
    // does; back, the rows after it go (a reset).
    void setLastSeq(qint64 seq);
    // The whole event at `row` (read from the recording), for a detail pane.
    std::optional<Event> event(int row) const;
    qint64 seqAt(int row) const;

    void setFilter(const EventFilter& filter);
    const EventFilter& filter() const { return m_filter; }
    bool isFiltered() const { return !m_filter.isEmpty(); }
    // Unfiltered: every event is a row. Filtered: how far the scan got (events examined) and
    // whether it reached the end of the recording (then rowCount() is every match).
    qint64 scannedEvents() const { return isFiltered() ? m_scannedTo : m_total; }
    qint64 totalEvents() const { return m_total; }
    bool scanComplete() const { return !isFiltered() || m_scannedTo >= m_total; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;

    static constexpr int PageSize = 256;
    static constexpr int DefaultMaxRows = 10'000'000;
    // For a recording that keeps growing (a window's session): the window then slides every
    // 100 000 events, each slide costing the view ~1 M rows' time instead of 10 M (a stall).
    static constexpr int GrowingMaxRows = 1'000'000;
    int maxRows() const { return m_maxRows; }
    void setMaxRows(int rows); // before open()
    qint64 base() const { return m_base; } // unfiltered: the events before the first row
    static constexpr int SliceMillis = 30;   // the longest the GUI thread scans at a time
    static constexpr qint64 ChunkEvents = 65536; // one SQL query's seq range

Q_SIGNALS:
    void scanProgress();
    // A read failed (a damaged recording): the rows it concerns stay empty.
    void readFailed(const QString& error);

private:
    // A model reset that forgets every page, match and queued scan slice; the end starts the
    // scan again when filtered and `scan` says so.
    void beginScanReset();
    void resetRows(); // m_base and m_rows for m_total, unfiltered
    void endScanReset(bool scan);
    const QList<Event>* page(qint64 position) const; // position: the row, unfiltered plus base()
    qint64 position(int row) const { return isFiltered() ? row : m_base + row; }
    void want(int rows);
    void scanSlice();
    void queueSlice();
    void reportError(const QString& error) const;

    std::unique_ptr<Recording> m_recording;
    int m_rows = 0;       // unfiltered rows
    qint64 m_base = 0;    // unfiltered: the seq before row 0
    int m_maxRows = DefaultMaxRows;
    qint64 m_total = 0;   // events in the recording at the last refresh, up to m_lastSeq
    qint64 m_lastSeq = std::numeric_limits<qint64>::max();
    EventFilter m_filter;
    QList<qint64> m_matches; // filtered rows: their seqs
    qint64 m_scannedTo = 0;  // every match with seq <= this is in m_matches
    int m_wanted = 0;        // rows the view asked for
    bool m_sliceQueued = false;
    // A reset or an insert is being announced: rows must not arrive inside it (views and
    // QAbstractItemModelTester call fetchMore() from their handlers).
    bool m_busy = false;
    quint64 m_generation = 0; // a new filter or recording cancels queued slices
    mutable QString m_lastError;
    mutable QCache<int, QList<Event>> m_pages { 64 };
};

} // namespace FlowScope
