// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace FlowScope::Sim {

// A first-in, first-out queue in a ring that doubles when full: the services' queues and held
// deliveries (and, taken from the back as well, a function's idle instances). What std::deque does, for the few operations the simulator uses, without its
// per-block bookkeeping (its size() alone is a dozen instructions, and the simulator asks for
// the size on every delivery).
template <typename T>
class Fifo final {
public:
    Fifo() = default;
    // Moved from, it is empty and can be used again (its kept capacity must go with its items).
    Fifo(Fifo&& other) noexcept { *this = std::move(other); }
    Fifo& operator=(Fifo&& other) noexcept
    {
        m_items = std::exchange(other.m_items, {});
        m_capacity = std::exchange(other.m_capacity, 0);
        m_mask = std::exchange(other.m_mask, 0);
        m_head = std::exchange(other.m_head, 0);
        m_size = std::exchange(other.m_size, 0);
        return *this;
    }
    Fifo(const Fifo&) = default;
    Fifo& operator=(const Fifo&) = default;

    bool empty() const { return m_size == 0; }
    size_t size() const { return m_size; }
    const T& front() const { return m_items[m_head]; }
    const T& back() const { return m_items[(m_head + m_size - 1) & m_mask]; }

    void push_back(T value)
    {
        if (m_size == m_capacity)
            grow();
        m_items[(m_head + m_size) & m_mask] = std::move(value);
        ++m_size;
    }
    void push_front(T value)
    {
        if (m_size == m_capacity)
            grow();
        m_head = (m_head + m_mask) & m_mask;
        m_items[m_head] = std::move(value);
        ++m_size;
    }
    void pop_front()
    {
        m_head = (m_head + 1) & m_mask;
        --m_size;
    }
    void pop_back() { --m_size; }

private:
    void grow()
    {
        std::vector<T> items(m_items.empty() ? 16 : 2 * m_items.size());
        for (size_t i = 0; i < m_size; ++i)
            items[i] = std::move(m_items[(m_head + i) & m_mask]);
        m_items = std::move(items);
        m_head = 0;
        m_capacity = m_items.size();
        m_mask = m_capacity - 1;
    }

    std::vector<T> m_items; // a power of two long, or empty
    // Its size and size - 1, kept: a vector's size is a division (by 24 for the agenda's items).
    size_t m_capacity = 0;
    size_t m_mask = 0;
    size_t m_head = 0;
    size_t m_size = 0;
};

} // namespace FlowScope::Sim
