// SPDX-License-Identifier: MIT
#include "replayer.h"

#include <eventfields.h>
#include <recording.h>

#include <algorithm>

namespace FlowScope::Sim {

namespace {
constexpr qint64 ReadAhead = 2048;
}

Replayer::Replayer(const Recording& recording, Sink sink, ReplayClock::WallClock wall)
    : m_recording(recording)
    , m_sink(std::move(sink))
    , m_clock(std::move(wall))
    , m_total(recording.eventCount())
    , m_first(std::max<qint64>(1, recording.firstSeq()))
{
    m_readUpTo = m_first - 1; // a recording that keeps only its newest events starts later than 1
    m_clock.pause(); // nothing moves until play()
}

void Replayer::setSpeed(double speed) { m_clock.setSpeed(speed); }

void Replayer::play()
{
    // The clock starts at the first event that carries a time: events before it that carry
    // none (unparsed lines) are due at once, and pump() sets the clock when it meets that one.
    if (const Event* e = next(); !m_clockStarted && e && carriedTime(*e) != NoTime)
        startClock(carriedTime(*e));
    m_clock.resume();
}

void Replayer::startClock(qint64 eventTime)
{
    m_clock.seek(eventTime);
    m_clockStarted = true;
}

void Replayer::pause() { m_clock.pause(); }

bool Replayer::fill()
{
    // A stretch of seqs may hold nothing (before a retained copy's first event, or a gap): read on
    // until there is an event or the recording ends. A read that fails (a damaged page) stops the
    // replay after the last event read before it, and error() says where: going on with the next
    // stretch would hand over a stream with a hole in it, and nobody would know.
    while (m_ahead.empty() && m_readUpTo < m_total && m_error.isEmpty()) {
        const qint64 to = std::min(m_total, m_readUpTo + ReadAhead);
        qint64 lastRead = m_readUpTo;
        QString error;
        const bool ok = m_recording.readSeqRange(m_readUpTo + 1, to, [&](Event&& e) {
            lastRead = e.seq;
            m_ahead.push_back(std::move(e));
            return true;
        }, &error);
        if (!ok) {
            m_readUpTo = lastRead;
            m_error = QStringLiteral("cannot read the recording after event %1: %2").arg(lastRead).arg(error);
            break;
        }
        m_readUpTo = to;
    }
    return !m_ahead.empty();
}

const Event* Replayer::next() { return fill() ? &m_ahead.front() : nullptr; }

bool Replayer::atEnd() const { return m_ahead.empty() && (m_readUpTo >= m_total || !m_error.isEmpty()); }

qint64 Replayer::pump(qint64 maxEvents)
{
    if (m_clock.isPaused())
        return 0;
    EventBatch batch;
    qint64 now = m_clock.now();
    const bool unpaced = m_clock.speed() == ReplayClock::Unpaced;
    while (batch.size() < maxEvents) {
        const Event* e = next();
        if (!e)
            break;
        if (!m_clockStarted && carriedTime(*e) != NoTime) { // the first event with a time: due now
            startClock(carriedTime(*e));
            now = m_clock.now();
        }
        // Events earlier than the clock (out of order in time) are due at once; recording
        // order is never changed.
        // an event that carries no time is due with the one before it
        if (!unpaced && carriedTime(*e) != NoTime && carriedTime(*e) > now)
            break;
        m_position = e->seq;
        batch.append(std::move(m_ahead.front()));
        m_ahead.pop_front();
    }
    if (unpaced && !batch.isEmpty() && carriedTime(batch.last()) != NoTime)
        startClock(carriedTime(batch.last())); // the clock shows where the replay is
    const qint64 n = batch.size();
    if (n)
        m_sink(std::move(batch));
    return n;
}

bool Replayer::step()
{
    const Event* e = next();
    if (!e)
        return false;
    if (carriedTime(*e) != NoTime)
        startClock(m_clockStarted ? std::max(m_clock.now(), carriedTime(*e)) : carriedTime(*e));
    m_position = e->seq;
    EventBatch batch { std::move(m_ahead.front()) };
    m_ahead.pop_front();
    m_sink(std::move(batch));
    return true;
}

void Replayer::seek(qint64 seq)
{
    m_ahead.clear();
    m_error.clear(); // read again from the new place (past the damage, or up to it again)
    m_position = std::clamp<qint64>(seq, 0, m_total);
    m_readUpTo = std::max(m_position, m_first - 1);
    // the clock stands at the next event; without a time there, at the first one after it with one
    m_clockStarted = false;
    if (const Event* e = next(); e && carriedTime(*e) != NoTime)
        startClock(carriedTime(*e));
}

qint64 Replayer::waitMicros()
{
    const Event* e = next();
    if (!e || m_clock.isPaused())
        return -1;
    return carriedTime(*e) == NoTime || !m_clockStarted ? 0 : m_clock.waitFor(carriedTime(*e));
}

} // namespace FlowScope::Sim
