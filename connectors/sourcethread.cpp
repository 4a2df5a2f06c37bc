// SPDX-License-Identifier: MIT
#include "sourcethread.h"

#include <QThread>

namespace FlowScope::Connectors {

SourceThread::~SourceThread() { finish({}); }

void SourceThread::start(const QString& name, const std::function<void()>& setUp)
{
    Q_ASSERT(!m_thread);
    m_thread = new QThread;
    m_thread->setObjectName(name);
    m_thread->start();
    // A plain object living on the thread: the target of every call made into it.
    m_context = new QObject;
    m_context->moveToThread(m_thread);
    if (setUp)
        QMetaObject::invokeMethod(m_context, setUp, Qt::BlockingQueuedConnection);
}

void SourceThread::finish(const std::function<void()>& tearDown)
{
    if (!m_thread)
        return;
    Q_ASSERT(QThread::currentThread() != m_thread);
    QMetaObject::invokeMethod(
        m_context,
        [&tearDown] {
            if (tearDown)
                tearDown();
            QThread::currentThread()->quit();
        },
        Qt::BlockingQueuedConnection);
    m_thread->wait();
    delete m_context; // its thread has ended: no event can reach it any more
    m_context = nullptr;
    delete m_thread;
    m_thread = nullptr;
}

} // namespace FlowScope::Connectors
