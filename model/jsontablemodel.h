// SPDX-License-Identifier: MIT
#pragma once

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QJsonObject>
#include <QStringList>

namespace FlowScope {

// A table of JSON objects (a view's rows from a snapshot): one row per object, one column
// per name; the first column identifies a row. Updating keeps rows where they are when it can
// (inserts after them, dataChanged for them) and resets only when rows moved.
class JsonTableModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Role { SortRole = Qt::UserRole };

    explicit JsonTableModel(QObject* parent = nullptr);

    void setData(const QStringList& columns, const QJsonArray& rows);
    QJsonObject row(int r) const { return m_rows.at(r).toObject(); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QStringList m_columns;
    QJsonArray m_rows;
};

} // namespace FlowScope
