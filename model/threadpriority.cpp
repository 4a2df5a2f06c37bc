// SPDX-License-Identifier: MIT
#include "threadpriority.h"

#include <cerrno>
#include <cstring>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

namespace FlowScope {

int currentThreadNice()
{
    errno = 0;
    return getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
}

bool lowerCurrentThreadPriority(int increment)
{
    if (increment <= 0)
        return true;
    return setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), currentThreadNice() + increment) == 0;
}

void setCurrentThreadName(const char* name)
{
    char cut[16] = {};
    std::strncpy(cut, name, sizeof cut - 1);
    pthread_setname_np(pthread_self(), cut);
}

} // namespace FlowScope
