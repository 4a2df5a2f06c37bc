// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArrayView>

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

} // namespace FlowScope
