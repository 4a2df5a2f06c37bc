// SPDX-License-Identifier: MIT
#include "viewengine.h"

#include "flowfile.h"
#include "timeformat.h"

#include <QDataStream>
#include <QJsonArray>

#include <algorithm>

namespace FlowScope {

ViewEngine::ViewEngine(const View& view)
    : m_view(&view)
    , m_key(view.key)
{
    for (const ViewColumn& c : view.columns) {
        Column col;
        col.fold = static_cast<int>(c.fold);
        if (c.path)
            col.path.emplace(*c.path);
        col.lazyTime = col.path && col.path->isTime() && (c.fold == Fold::Last || c.fold == Fold::First);
        for (const QString& t : c.from)
            col.from.insert(t.toUtf8());
        m_columns.push_back(std::move(col));
    }
}

void ViewEngine::fold(PayloadCache& cache)
{
    const Event& e = cache.event();
    const FieldValue key = m_key.get(cache);
    if (!key.isPresent())
        return;
    auto it = m_rows.find(key.text);
    const qint64 fold = ++m_folds;
    for (size_t i = 0; i < m_columns.size(); ++i) {
        const Column& col = m_columns[i];
        if (!col.from.isEmpty() && !col.from.contains(e.type))
            continue;
        FieldValue v;
        if (col.lazyTime) {
            if (carriedTime(e) == NoTime)
                continue;
        } else if (col.path) {
            v = col.path->get(cache);
            if (!v.isPresent())
                continue; // an event without the value leaves the cell as it was
        }
        if (it == m_rows.end())
            it = m_rows.emplace(key.text, Row { std::vector<Cell>(m_columns.size()), fold }); // moved in, not copied
        it->touched = fold;
        Cell& cell = it->cells[i];
        if (col.lazyTime) {
            if (col.fold == int(Fold::Last) || cell.count == 0) {
                cell.value = FieldValue { FieldValue::Kind::String, {}, 0 };
                cell.time = carriedTime(e);
            }
            ++cell.count;
            continue;
        }
        switch (static_cast<Fold>(col.fold)) {
        case Fold::Last:
            cell.value = std::move(v);
            ++cell.count;
            break;
        case Fold::First:
            if (cell.count++ == 0)
                cell.value = std::move(v);
            break;
        case Fold::Count: ++cell.count; break;
        case Fold::Sum:
            if (v.kind == FieldValue::Kind::Number) {
                cell.number += v.number;
                ++cell.count;
            }
            break;
        case Fold::Min:
            if (v.kind == FieldValue::Kind::Number) {
                cell.number = cell.count++ == 0 ? v.number : std::min(cell.number, v.number);
            }
            break;
        case Fold::Max:
            if (v.kind == FieldValue::Kind::Number) {
                cell.number = cell.count++ == 0 ? v.number : std::max(cell.number, v.number);
            }
            break;
        }
    }
    if (m_rows.size() > 2 * m_rowsKept)
        dropLeastRecent();
}

void ViewEngine::dropLeastRecent()
{
    std::vector<qint64> touched;
    touched.reserve(size_t(m_rows.size()));
    for (auto it = m_rows.cbegin(); it != m_rows.cend(); ++it)
        touched.push_back(it->touched);
    // folds are numbered one by one, so `touched` values are distinct: the cut is exact
    const size_t drop = touched.size() - size_t(m_rowsKept);
    std::nth_element(touched.begin(), touched.begin() + qsizetype(drop), touched.end());
    const qint64 keepFrom = touched[drop];
    for (auto it = m_rows.begin(); it != m_rows.end();)
        it = it->touched < keepFrom ? m_rows.erase(it) : std::next(it);
    m_dropped += qint64(drop);
}

FieldValue ViewEngine::valueOf(const Cell& cell)
{
    if (cell.time != NoTime)
        return FieldValue { FieldValue::Kind::String, TimeFormat::toRfc3339(cell.time), 0 };
    return cell.value;
}

QJsonObject ViewEngine::rowJson(const QByteArray& key, const Row& row) const
{
    QJsonObject o { { QStringLiteral("key"), QString::fromUtf8(key) } };
    for (size_t i = 0; i < m_columns.size(); ++i) {
        const Cell& c = row.cells[i];
        QJsonValue v;
        switch (static_cast<Fold>(m_columns[i].fold)) {
        case Fold::Last:
        case Fold::First: v = c.count ? valueOf(c).toJson() : QJsonValue(); break;
        case Fold::Count: v = c.count; break;
        case Fold::Sum:
        case Fold::Min:
        case Fold::Max: v = c.count ? QJsonValue(c.number) : QJsonValue(); break;
        }
        o.insert(m_view->columns[qsizetype(i)].name, v);
    }
    return o;
}

QJsonObject ViewEngine::toJson(int sampleSize) const
{
    std::vector<const QByteArray*> keys;
    keys.reserve(size_t(m_rows.size()));
    for (auto it = m_rows.cbegin(); it != m_rows.cend(); ++it)
        keys.push_back(&it.key());
    const size_t n = std::min(keys.size(), size_t(sampleSize));
    std::partial_sort(keys.begin(), keys.begin() + qsizetype(n), keys.end(),
                      [](const QByteArray* a, const QByteArray* b) { return *a < *b; });
    QJsonArray sample;
    for (size_t i = 0; i < n; ++i)
        sample.append(rowJson(*keys[i], m_rows[*keys[i]]));
    return { { QStringLiteral("rows"), qint64(m_rows.size()) },
             { QStringLiteral("rows_dropped"), m_dropped },
             { QStringLiteral("sample"), sample } };
}

void ViewEngine::save(QDataStream& out) const
{
    // In key order, so that the same state always saves to the same bytes.
    QList<QByteArray> keys = m_rows.keys();
    std::sort(keys.begin(), keys.end());
    out << m_folds << m_dropped << m_rowsKept << qint64(keys.size());
    for (const QByteArray& k : keys) {
        const Row& row = m_rows[k];
        out << k << row.touched;
        for (const Cell& c : row.cells) {
            const FieldValue value = valueOf(c); // a lazy time saves as the text it stands for
            out << quint8(value.kind) << value.text << value.number << c.number << c.count;
        }
    }
}

bool ViewEngine::load(QDataStream& in)
{
    m_rows.clear();
    qint64 n = 0;
    in >> m_folds >> m_dropped >> m_rowsKept >> n;
    if (m_rowsKept < 1)
        return false;
    for (qint64 r = 0; r < n && in.status() == QDataStream::Ok; ++r) {
        QByteArray k;
        Row row { std::vector<Cell>(m_columns.size()), 0 };
        in >> k >> row.touched;
        for (Cell& c : row.cells) {
            quint8 kind;
            in >> kind >> c.value.text >> c.value.number >> c.number >> c.count;
            c.value.kind = static_cast<FieldValue::Kind>(kind);
        }
        m_rows.insert(k, std::move(row));
    }
    return in.status() == QDataStream::Ok;
}

} // namespace FlowScope
