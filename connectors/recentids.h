// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QSet>

#include <deque>

namespace FlowScope::Connectors {

// The last `capacity` keys seen, for de-duplicating what a polled endpoint returns again and
// again. Memory is bounded: past the capacity the oldest key is forgotten (first in, first out),
// so an id that comes back after `capacity` newer ones counts as new again.
class RecentIds final {
public:
    explicit RecentIds(qsizetype capacity);

    // True when `key` was not among the remembered ones; it is remembered from now on.
    bool insert(const QByteArray& key);
    bool contains(const QByteArray& key) const { return m_set.contains(key); }
    qsizetype size() const { return m_set.size(); }
    qsizetype capacity() const { return m_capacity; }

private:
    qsizetype m_capacity;
    QSet<QByteArray> m_set;
    std::deque<QByteArray> m_order; // oldest first
};

} // namespace FlowScope::Connectors
