// SPDX-License-Identifier: MIT
// What a source hands over, gathered for a test to look at from the test's thread.
#pragma once

#include <source.h>

#include <event.h>

#include <mutex>
#include <utility>

namespace FlowScope::Testing {

struct Collector {
    std::mutex mutex;
    QList<Event> events;

    // The source's sink: keeps every batch, never refuses.
    void attach(Connectors::Source& source)
    {
        source.setSink([this](EventBatch&& batch) {
            std::lock_guard lock(mutex);
            events.append(batch);
            return true;
        });
    }
    qsizetype size()
    {
        std::lock_guard lock(mutex);
        return events.size();
    }
    QList<Event> all()
    {
        std::lock_guard lock(mutex);
        return events;
    }
    QList<Event> take() // and forget them
    {
        std::lock_guard lock(mutex);
        return std::exchange(events, {});
    }
};

} // namespace FlowScope::Testing
