// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <new>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>

#include "threadpriority.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace FlowScope {

// A fixed-size table of trivially copyable T for large tables that are probed at random (the
// causation memory), starting out as all zero bytes.
//  - Blocks of 2 MiB or more are mapped straight from the kernel, aligned to 2 MiB and offered as
//    transparent huge pages, so a probe costs a cache miss and not also a TLB miss (a 12 MB table
//    spans 3,000 small pages; the page walks showed up as the fold's most expensive instruction,
//    a prefetch). Where huge pages are off, they are ordinary pages.
//  - Those pages are zero when first touched, so nothing writes zeros over the table first: a
//    std::vector of it wrote every byte once more, right after the kernel had zeroed them, and on
//    this VM fresh memory is the slowest thing a short run touches (docs/benchmarks.md).
//  - prefault() has another thread take those first touches ahead of use: on a VM whose host
//    backs a huge page only when the guest first writes it, that costs ~4 ms per 2 MB
//    (docs/benchmarks.md), and whoever touches the page first waits for it.
template <typename T>
class ZeroedTable final {
    static_assert(std::is_trivially_copyable_v<T>);

public:
    static constexpr std::size_t HugePage = std::size_t(2) << 20;

    ZeroedTable() = default;
    explicit ZeroedTable(std::size_t n)
        : m_size(n)
    {
        const std::size_t bytes = n * sizeof(T);
        if (bytes == 0)
            return;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        if (bytes >= HugePage) {
            const std::size_t rounded = (bytes + HugePage - 1) / HugePage * HugePage;
            m_mappedBytes = rounded + HugePage; // room to align the start
            m_mapped = mmap(nullptr, m_mappedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (m_mapped == MAP_FAILED) {
                m_mapped = nullptr;
                throw std::bad_alloc();
            }
            const auto start = (reinterpret_cast<std::uintptr_t>(m_mapped) + HugePage - 1) / HugePage * HugePage;
            m_data = reinterpret_cast<T*>(start);
            madvise(m_data, rounded, MADV_HUGEPAGE); // a hint: failing it changes nothing but speed
            return;
        }
#endif
        m_data = static_cast<T*>(std::calloc(n, sizeof(T)));
        if (!m_data)
            throw std::bad_alloc();
    }
    ~ZeroedTable() { release(); }
    // Starts faulting in the whole table on a thread of its own (MADV_POPULATE_WRITE), so that the
    // kernel zeroes its pages there and not in the first probes that reach them. Changes no byte:
    // the table may be used meanwhile. Only for mapped tables (2 MiB or more) on Linux 5.14+;
    // elsewhere, or when no thread can be started, it does nothing. The thread is joined when
    // the table goes (until then a finished one keeps its stack's address space).
    void prefault()
    {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        constexpr int PopulateWrite = 23; // MADV_POPULATE_WRITE, Linux 5.14 (older kernels: EINVAL)
        if (m_mapped && !m_prefaulting.joinable()) {
            const std::size_t rounded = m_mappedBytes - HugePage;
            try {
                m_prefaulting = std::thread([p = static_cast<void*>(m_data), rounded] {
                    setCurrentThreadName("fs-prefault");
                    madvise(p, rounded, PopulateWrite);
                });
            } catch (const std::system_error&) {
                // no thread to be had (a process limit): the first touches fault the pages in
            }
        }
#endif
    }
    ZeroedTable(ZeroedTable&& o) noexcept { take(o); }
    ZeroedTable& operator=(ZeroedTable&& o) noexcept
    {
        if (this != &o) {
            release();
            take(o);
        }
        return *this;
    }
    ZeroedTable(const ZeroedTable&) = delete;
    ZeroedTable& operator=(const ZeroedTable&) = delete;

    std::size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    T& operator[](std::size_t i) { return m_data[i]; }
    const T& operator[](std::size_t i) const { return m_data[i]; }
    void zero()
    {
        if (m_data)
            std::memset(static_cast<void*>(m_data), 0, m_size * sizeof(T));
    }

private:
    void release()
    {
        if (m_prefaulting.joinable())
            m_prefaulting.join(); // before the mapping goes
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        if (m_mapped) {
            munmap(m_mapped, m_mappedBytes);
            m_mapped = nullptr;
            m_data = nullptr;
        }
#endif
        std::free(m_data);
        m_data = nullptr;
        m_size = 0;
    }
    void take(ZeroedTable& o)
    {
        m_data = std::exchange(o.m_data, nullptr);
        m_size = std::exchange(o.m_size, 0);
        m_mapped = std::exchange(o.m_mapped, nullptr);
        m_mappedBytes = std::exchange(o.m_mappedBytes, 0);
        m_prefaulting = std::move(o.m_prefaulting);
    }

    T* m_data = nullptr;
    std::size_t m_size = 0;
    void* m_mapped = nullptr; // the whole mapping, when mapped
    std::size_t m_mappedBytes = 0;
    std::thread m_prefaulting;
};

} // namespace FlowScope
