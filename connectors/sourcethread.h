// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

#include <functional>

class QObject;
class QThread;

namespace FlowScope::Connectors {

// A thread with a Qt event loop, for a source built on Qt's own network classes (QWebSocket,
// QNetworkAccessManager): those must be created, used and destroyed on one thread, and that
// thread must run an event loop.
//
// start() runs a set-up function on the new thread and returns when it has run; finish() runs
// a tear-down function there (between two events, so no handler of the source is running), ends
// the loop and joins the thread. Anything else reaches the thread through context(): as the
// context of connect() and QTimer::singleShot, or with QMetaObject::invokeMethod.
// start() and finish() are called from the thread that owns the source, never from this one.
class SourceThread final {
public:
    SourceThread() = default;
    ~SourceThread(); // finish() without a tear-down, if still running
    SourceThread(const SourceThread&) = delete;
    SourceThread& operator=(const SourceThread&) = delete;

    void start(const QString& name, const std::function<void()>& setUp);
    void finish(const std::function<void()>& tearDown);
    bool isRunning() const { return m_thread != nullptr; }
    // Lives on the thread while it runs; null otherwise.
    QObject* context() const { return m_context; }

private:
    QThread* m_thread = nullptr;
    QObject* m_context = nullptr;
};

} // namespace FlowScope::Connectors
