// SPDX-License-Identifier: MIT
#pragma once

#include "eventfields.h"

#include <QHash>
#include <QJsonObject>
#include <QSet>

#include <optional>
#include <vector>

class QDataStream;

namespace FlowScope {

struct View;

// One materialized view of the flow file: rows keyed by a path, columns folded from the events
// that carry the key (last, first, count, sum, min, max), optionally only `from` some types.
// Events of several types from several services join on the key. O(1) per event.
//
// Memory stays bounded: past twice rowsKept() rows, the rows updated least recently are dropped
// at once, down to rowsKept() (amortised O(1) per event); `rows_dropped` counts them. A dropped
// key that comes back starts a fresh row.
class ViewEngine final {
public:
    struct Cell {
        FieldValue value; // last / first
        double number = 0; // sum / min / max
        qint64 count = 0;  // count, and how many values went into sum / min / max
        // last / first of `time`: the event time, turned into value's text only when read (a
        // view's `updated: last(time)` formatted a time on every event); else NoTime
        qint64 time = NoTime;
        friend bool operator==(const Cell&, const Cell&) = default;
    };
    // A cell's last / first value as get() gave it.
    static FieldValue valueOf(const Cell& cell);
    struct Row {
        std::vector<Cell> cells;
        qint64 touched = 0; // the fold that last changed it
    };
    static constexpr qint64 DefaultRowsKept = 100000;

    explicit ViewEngine(const View& view);

    void fold(PayloadCache& event);

    const View& view() const { return *m_view; }
    qint64 rowCount() const { return m_rows.size(); }
    qint64 rowsDropped() const { return m_dropped; }
    qint64 rowsKept() const { return m_rowsKept; }
    void setRowsKept(qint64 n) { m_rowsKept = std::max<qint64>(1, n); } // before the first fold
    const QHash<QByteArray, Row>& rows() const { return m_rows; }
    QJsonObject rowJson(const QByteArray& key, const Row& row) const;
    // {rows, sample: the first `sampleSize` rows in key order}
    QJsonObject toJson(int sampleSize = 10) const;

    void save(QDataStream& out) const;
    bool load(QDataStream& in);

private:
    struct Column {
        int fold; // Fold
        std::optional<FieldAccessor> path;
        bool lazyTime = false; // last / first of `time`: Cell::time
        QSet<QByteArray> from;
    };
    const View* m_view;
    FieldAccessor m_key;
    std::vector<Column> m_columns;
    QHash<QByteArray, Row> m_rows;
    qint64 m_folds = 0;
    qint64 m_dropped = 0;
    qint64 m_rowsKept = DefaultRowsKept;

    void dropLeastRecent();
};

} // namespace FlowScope
