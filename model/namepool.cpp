// SPDX-License-Identifier: MIT
#include "namepool.h"

#include <mutex>
#include <string>
#include <unordered_set>

namespace FlowScope {

QByteArray internName(const QByteArray& name)
{
    static std::mutex mutex;
    static auto* names = new std::unordered_set<std::string>; // never destroyed: events may outlive statics
    std::lock_guard lock(mutex);
    // unordered_set nodes never move, and a std::string's bytes move only with its node
    const std::string& kept = *names->emplace(name.constData(), size_t(name.size())).first;
    return QByteArray::fromRawData(kept.data(), qsizetype(kept.size()));
}

} // namespace FlowScope
