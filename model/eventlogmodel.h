// SPDX-License-Identifier: MIT
#pragma once

#include "event.h"

#include <QAbstractTableModel>
#include <QCache>

#include <memory>

namespace FlowScope {

class Recording;

// The event log: a virtual table over a recording. Only the pages on screen are read, so it
// stays fast at millions of rows; refresh() picks up events appended since (a live recording).
class EventLogModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Seq, Time, Type, Source, Channel, Correlation, Id, ColumnCount };
    enum Role { SortRole = Qt::UserRole, SeqRole };

    explicit EventLogModel(QObject* parent = nullptr);
    ~EventLogModel() override;

    bool open(const QString& path, QString* error);
    void refresh();
    // The whole event at `row` (read from the recording), for a detail pane.
    std::optional<Event> event(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static constexpr int PageSize = 256;

private:
    const QList<Event>* page(int row) const;

    std::unique_ptr<Recording> m_recording;
    int m_rows = 0;
    mutable QCache<int, QList<Event>> m_pages { 64 };
};

} // namespace FlowScope
