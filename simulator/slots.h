// SPDX-License-Identifier: MIT
#pragma once

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
        if (!m_free.empty()) {
            const int index = m_free.back();
            m_free.pop_back();
            return index;
        }
        m_items.emplace_back();
        return int(m_items.size() - 1);
    }
    // A fresh object in its place: cheaper than assigning each member.
    void give(int index)
    {
        T& item = m_items[size_t(index)];
        std::destroy_at(&item);
        std::construct_at(&item);
        m_free.push_back(index);
    }
    T& operator[](size_t index) { return m_items[index]; }
    const T& operator[](size_t index) const { return m_items[index]; }

private:
    std::vector<T> m_items;
    std::vector<int> m_free;
};

} // namespace FlowScope::Sim
