// SPDX-License-Identifier: MIT
#include "jsontablemodel.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

namespace FlowScope {

JsonTableModel::JsonTableModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void JsonTableModel::setData(const QStringList& columns, const QJsonArray& rows)
{
    // Rows keep their identity (the first column) where they can: when the old rows are still
    // the first rows, in order, new ones are inserted after them and the rest is dataChanged.
    // Otherwise (a sample whose membership moved) the model resets.
    bool prefix = columns == m_columns && rows.size() >= m_rows.size();
    if (prefix && !m_columns.isEmpty()) {
        const QString key = m_columns.first();
        for (qsizetype i = 0; i < m_rows.size() && prefix; ++i)
            prefix = m_rows.at(i).toObject().value(key) == rows.at(i).toObject().value(key);
    }
    if (!prefix) {
        beginResetModel();
        m_columns = columns;
        m_rows = rows;
        endResetModel();
        return;
    }
    const qsizetype old = m_rows.size();
    if (rows.size() > old) {
        beginInsertRows({}, int(old), int(rows.size() - 1));
        m_rows = rows;
        endInsertRows();
    } else {
        m_rows = rows;
    }
    if (old > 0 && !m_columns.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(old - 1), int(m_columns.size() - 1)));
}

int JsonTableModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }
int JsonTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_columns.size()); }

QVariant JsonTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const QJsonValue v = m_rows.at(index.row()).toObject().value(m_columns.at(index.column()));
    if (role == SortRole)
        return v.isDouble() ? QVariant(v.toDouble()) : QVariant(v.toVariant().toString());
    if (role == Qt::TextAlignmentRole)
        return v.isDouble() ? QVariant(int(Qt::AlignRight | Qt::AlignVCenter)) : QVariant();
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    if (v.isNull() || v.isUndefined())
        return QString();
    if (v.isDouble()) {
        const double d = v.toDouble();
        return d == std::floor(d) && std::abs(d) < 1e15 ? QString::number(qint64(d)) : QString::number(d, 'g', 10);
    }
    if (v.isBool())
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (v.isString())
        return v.toString();
    return QString::fromUtf8(QJsonDocument(v.isArray() ? QJsonDocument(v.toArray()) : QJsonDocument(v.toObject())).toJson(QJsonDocument::Compact));
}

QVariant JsonTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::DisplayRole && section >= 0 && section < m_columns.size())
        return m_columns.at(section);
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace FlowScope
