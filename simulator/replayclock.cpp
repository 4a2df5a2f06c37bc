// SPDX-License-Identifier: MIT
#include "replayclock.h"

#include <chrono>
#include <cmath>

namespace FlowScope::Sim {

ReplayClock::ReplayClock(WallClock wall)
    : m_wall(wall ? std::move(wall) : WallClock([] {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }))
{
}

void ReplayClock::start(qint64 eventTime)
{
    m_baseWall = m_wall();
    m_baseEvent = eventTime;
}

void ReplayClock::rebase()
{
    const qint64 t = now();
    m_baseWall = m_wall();
    m_baseEvent = t;
}

void ReplayClock::setSpeed(double speed)
{
    rebase();
    m_speed = speed;
}

void ReplayClock::pause()
{
    if (m_paused)
        return;
    rebase();
    m_paused = true;
}

void ReplayClock::resume()
{
    if (!m_paused)
        return;
    m_paused = false;
    m_baseWall = m_wall();
}

void ReplayClock::seek(qint64 eventTime)
{
    m_baseWall = m_wall();
    m_baseEvent = eventTime;
}

qint64 ReplayClock::now() const
{
    if (m_paused || m_speed == Unpaced)
        return m_baseEvent;
    return m_baseEvent + std::llround(static_cast<double>(m_wall() - m_baseWall) * m_speed);
}

qint64 ReplayClock::waitFor(qint64 eventTime) const
{
    if (m_paused)
        return -1;
    if (m_speed == Unpaced)
        return 0;
    const qint64 ahead = eventTime - now();
    return ahead <= 0 ? 0 : static_cast<qint64>(std::ceil(static_cast<double>(ahead) / m_speed));
}

} // namespace FlowScope::Sim
