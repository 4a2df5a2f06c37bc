// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

#include <memory>
#include <vector>

namespace FlowScope::Sim {

// Objects kept by index and reused: take() hands out a default-constructed one (a slot given
// back, else a new one at the end), give() resets it and keeps its index for the next take().
// The simulator's messages, flows and work slots: no allocation per event once warm, and the
// same indexes in the same order on every run (given-back slots are reused last in, first out).
template <typename T>
class Slots final {
public:
    int take()
    {
        if (m_freeCount > 0)
            return m_free[--m_freeCount];
        m_items.emplace_back();
        m_free.resize(m_items.size()); // room for every index: give() never grows it
        return int(m_items.size() - 1);
    }
    // A fresh object in its place: cheaper than assigning each member.
    void give(int index)
    {
        T& item = m_items[size_t(index)];
        std::destroy_at(&item);
        std::construct_at(&item);
        Q_ASSERT(m_freeCount < m_free.size()); // a slot given back twice
        m_free[m_freeCount++] = index;
    }
    T& operator[](size_t index) { return m_items[index]; }
    const T& operator[](size_t index) const { return m_items[index]; }

private:
    std::vector<T> m_items;
    std::vector<int> m_free; // the free indexes are its first m_freeCount
    size_t m_freeCount = 0;
};

} // namespace FlowScope::Sim
