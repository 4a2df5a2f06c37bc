// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QHash>

#include <algorithm>
#include <array>
#include <deque>
#include <utility>
#include <vector>

namespace FlowScope {

// A QByteArray's own data pointer: null for a null array, else the bytes (an empty array's
// too). constData() maps null to a static "" with a branch; the fold compares names by address
// several times an event, and address and size alone tell two arrays' bytes apart.
inline const char* rawData(const QByteArray& a)
{
    return const_cast<QByteArray&>(a).data_ptr().data(); // reads the pointer, changes nothing
}

// Values keyed by the names events repeat on every record (types, sources, channels, services),
// for the projections' per-event folding.
//
// Looking a name up by its text costs a hash of its bytes and a compare: on the hot path that is
// most of a fold. Events from one producer share their names' bytes (the simulator hands every
// event of a type the same QByteArray; a parser may do the same), so a small cache keyed by the
// bytes' address answers those lookups with one pointer compare. The cache holds a reference to
// what it saw, so an address it remembers cannot be freed and reused for other text; anything it
// misses (names in bytes of their own, as a parser without interning produces) takes the hash.
//
// Values live in a deque: a reference stays valid while names are added. Iteration is in the
// order names were first seen; sorted() gives name order for output that must not depend on it.
// Not thread-safe, not even find(): a lookup updates the cache.
template <typename T>
class NamedValues final {
public:
    // The value for `name`, default-constructed the first time.
    T& operator[](const QByteArray& name) { return m_values[size_t(indexOf(name, true))]; }
    // Null when `name` was never added.
    const T* find(const QByteArray& name) const
    {
        const int i = const_cast<NamedValues*>(this)->indexOf(name, false);
        return i < 0 ? nullptr : &m_values[size_t(i)];
    }

    qsizetype size() const { return qsizetype(m_names.size()); }
    bool isEmpty() const { return m_names.empty(); }
    const QByteArray& name(qsizetype i) const { return m_names[size_t(i)]; }
    T& value(qsizetype i) { return m_values[size_t(i)]; }
    const T& value(qsizetype i) const { return m_values[size_t(i)]; }

    // Indexes in name order (bytewise).
    std::vector<int> sorted() const
    {
        std::vector<int> order(m_names.size());
        for (size_t i = 0; i < order.size(); ++i)
            order[i] = int(i);
        std::sort(order.begin(), order.end(), [this](int a, int b) { return m_names[size_t(a)] < m_names[size_t(b)]; });
        return order;
    }

    void clear() { *this = NamedValues(); }

private:
    static constexpr size_t RecentSlots = 64;
    static constexpr int Unused = -1, Absent = -2;
    struct Recent {
        QByteArray name; // a reference to the bytes seen: keeps their address from being reused
        int index = Unused; // or Absent: looked up and not there (names that are never added)
    };

    int indexOf(const QByteArray& name, bool insert)
    {
        const char* bytes = rawData(name);
        Recent& recent = m_recent[(quintptr(bytes) >> 4) % RecentSlots];
        if (recent.index != Unused && rawData(recent.name) == bytes && recent.name.size() == name.size()) {
            if (recent.index >= 0 || !insert)
                return recent.index >= 0 ? recent.index : -1;
        }
        int index;
        if (const auto it = m_index.constFind(name); it != m_index.cend()) {
            index = it.value();
        } else if (!insert) {
            index = Absent;
        } else {
            index = int(m_names.size());
            m_names.push_back(name);
            m_values.emplace_back();
            m_index.insert(name, index);
            for (Recent& r : m_recent) // what was absent may be this name
                if (r.index == Absent)
                    r = Recent {};
        }
        recent.name = name;
        recent.index = index;
        return index >= 0 ? index : -1;
    }

    QHash<QByteArray, int> m_index;
    std::vector<QByteArray> m_names;
    std::deque<T> m_values;
    std::array<Recent, RecentSlots> m_recent;
};

// Values for triples of names (an event's type, source and channel, say), found by the addresses
// of the names' bytes as in NamedValues' cache: a small direct-mapped table for a fold that looks
// up the same few triples on every event. An entry keeps references to the names it was made for,
// so an address it remembers cannot be freed and reused for other text meanwhile (names from the
// pool are never freed). Misses cost the caller one computation of the value, never a wrong one.
template <typename T, size_t Slots = 64>
class NameTripleCache final {
public:
    // The value for (a, b, c). `*made` is true when the entry was just made for this triple, its
    // value default-constructed for the caller to fill in. Inlined: it runs twice per event, and
    // as a call it cost two folds ~60 instructions an event more (cachegrind).
    [[gnu::always_inline]] T& find(const QByteArray& a, const QByteArray& b, const QByteArray& c, bool* made)
    {
        const quintptr x = quintptr(rawData(a)) >> 4, y = quintptr(rawData(b)) >> 4, z = quintptr(rawData(c)) >> 4;
        Entry& e = m_entries[size_t(((x * 31 + y) * 31 + z) % Slots)];
        *made = !(e.used && same(e.a, a) && same(e.b, b) && same(e.c, c));
        if (*made)
            e = Entry { a, b, c, T {}, true };
        return e.value;
    }
    void clear() { m_entries.fill(Entry {}); }

private:
    static bool same(const QByteArray& x, const QByteArray& y)
    {
        return rawData(x) == rawData(y) && x.size() == y.size();
    }
    struct Entry {
        QByteArray a, b, c;
        T value {};
        bool used = false;
    };
    std::array<Entry, Slots> m_entries;
};

} // namespace FlowScope
