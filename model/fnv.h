// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArrayView>

#include <cstring>

namespace FlowScope {

// 64-bit FNV-1a of some bytes: our own hash where the value must not change with Qt's hash
// function or its per-process seed (partitions, saved causation keys), or must be cheap to
// compute on short names.
inline quint64 fnv1a64(QByteArrayView bytes)
{
    quint64 h = 0xcbf29ce484222325ull;
    for (char c : bytes)
        h = (h ^ quint8(c)) * 0x100000001b3ull;
    return h;
}

// A 64-bit hash of some bytes taken eight at a time, with MurmurHash3's finalizer: for ids,
// hashed several times per event, where FNV-1a's byte-by-byte chain costs more than the rest of
// the lookup. Stable across processes and builds (little-endian machines), like fnv1a64; not the
// same values. Always inlined (GCC left it a call in the fold: 4 M instructions more on the
// benchmark's tandem).
[[gnu::always_inline]] inline quint64 wordHash64(QByteArrayView bytes)
{
    constexpr quint64 M = 0x9e3779b97f4a7c15ull;
    quint64 h = quint64(bytes.size()) * M;
    const char* p = bytes.data();
    qsizetype n = bytes.size();
    auto mix = [&h](quint64 w) {
        h = (h ^ w) * M;
        h ^= h >> 29;
    };
    for (; n >= 8; p += 8, n -= 8) {
        quint64 w;
        std::memcpy(&w, p, 8);
        mix(w);
    }
    if (n > 0) {
        // The last 1-7 bytes as a little-endian word, zero above: what memcpy into a zeroed word
        // gives, without its library call (ids end here, so this ran on every hash). From four
        // bytes on, two overlapping 4-byte loads.
        const auto byte = [p](qsizetype i) { return quint64(quint8(p[i])); };
        quint64 w;
        if (n >= 4) {
            quint32 lo, hi;
            std::memcpy(&lo, p, 4);
            std::memcpy(&hi, p + n - 4, 4);
            w = quint64(lo) | ((quint64(hi) >> (8 * (8 - n))) << 32);
        } else {
            w = byte(0) | (n > 1 ? byte(1) << 8 : 0) | (n > 2 ? byte(2) << 16 : 0);
        }
        mix(w);
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

} // namespace FlowScope
