// SPDX-License-Identifier: MIT
#include "namepool.h"

#include "fnv.h"

#include <array>
#include <mutex>
#include <string>
#include <unordered_set>

namespace FlowScope {

QByteArray internName(QByteArrayView name)
{
    static std::mutex mutex;
    static auto* names = new std::unordered_set<std::string>; // never destroyed: events may outlive statics
    const std::string text(name.data(), size_t(name.size()));
    std::lock_guard lock(mutex);
    auto it = names->find(text);
    if (it == names->end()) {
        if (names->size() >= MaxPooledNames)
            return name.toByteArray();
        it = names->insert(text).first;
    }
    // unordered_set nodes never move, and a std::string's bytes move only with its node
    return QByteArray::fromRawData(it->data(), qsizetype(it->size()));
}

QByteArray repeatedName(QByteArrayView text)
{
    constexpr qsizetype Longest = 160;
    if (text.size() > Longest)
        return text.toByteArray();
    thread_local std::array<QByteArray, 256> recent; // by a hash of the text
    QByteArray& slot = recent[size_t(fnv1a64(text) >> 56)];
    if (!slot.isNull() && QByteArrayView(slot) == text)
        return slot;
    slot = internName(text);
    return slot;
}

} // namespace FlowScope
