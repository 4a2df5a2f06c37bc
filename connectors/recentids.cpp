// SPDX-License-Identifier: MIT
#include "recentids.h"

#include <algorithm>

namespace FlowScope::Connectors {

RecentIds::RecentIds(qsizetype capacity)
    : m_capacity(std::max<qsizetype>(1, capacity))
{
}

bool RecentIds::insert(const QByteArray& key)
{
    if (m_set.contains(key))
        return false;
    if (m_set.size() >= m_capacity) {
        m_set.remove(m_order.front());
        m_order.pop_front();
    }
    m_set.insert(key);
    m_order.push_back(key);
    return true;
}

} // namespace FlowScope::Connectors
