// SPDX-License-Identifier: MIT
// The simulator's faults (DESIGN.md "Simulator"): scheduled from the file or injected while it
// runs, started and ended on the agenda, and what they do to services, the broker and channels.
#include "simulator_p.h"

#include <QJsonArray>

#include <algorithm>

namespace FlowScope::Sim {

// When a fault that starts at `at` ends: at the end of time rather than before its start, when
// the sum passes what 64 bits hold (the parser takes `at` and `for` up to 9e18 µs each).
static qint64 faultEnd(qint64 at, qint64 length)
{
    length = std::max<qint64>(0, length);
    return length > std::numeric_limits<qint64>::max() - at ? std::numeric_limits<qint64>::max() : at + length;
}

int Simulator::injectFault(const Fault& fault)
{
    m_faults.push_back(fault);
    m_faultActive.push_back(false);
    const int index = int(m_faults.size() - 1);
    const qint64 at = std::max(m_now, fault.at.micros);
    schedule(at, Kind::FaultOn, index);
    schedule(faultEnd(at, fault.length.micros), Kind::FaultOff, index);
    return index;
}

void Simulator::startFault(int index, bool on, qint64 t)
{
    const Fault& f = m_faults[size_t(index)];
    m_faultActive[size_t(index)] = on;
    const int sign = on ? 1 : -1;
    const qint64 end = faultEnd(std::max(m_now, f.at.micros), f.length.micros);
    if (f.target == FaultTarget::Broker && (f.kind == FaultKind::Down || f.kind == FaultKind::Partition)) {
        m_brokerDown += sign;
        if (on) // when it ends (at its start: at its end, `end` would count from then)
            m_brokerBackUp = std::max(m_brokerBackUp, end);
        if (!on)
            for (size_t i = 0; i < m_services.size(); ++i) {
                admitHeld(int(i), t);
                tryStart(int(i), t);
            }
        return;
    }
    if (f.target == FaultTarget::Service) {
        for (size_t i = 0; i < m_services.size(); ++i) {
            Service& s = m_services[i];
            if (s.name != f.name.toUtf8())
                continue;
            switch (f.kind) {
            case FaultKind::Down:
                s.down += sign;
                if (on)
                    s.downUntil = std::max(s.downUntil, end);
                break;
            case FaultKind::Partition:
                s.partitioned += sign;
                if (on)
                    s.partitionedUntil = std::max(s.partitionedUntil, end);
                break;
            case FaultKind::Slow: s.slow = on ? s.slow * f.factor : s.slow / f.factor; break;
            case FaultKind::Error: s.errorRate += sign * f.probability; break;
            default: break;
            }
            if (!on) {
                // back: take in what waited, start what queued
                admitHeld(int(i), t);
                tryStart(int(i), t);
            }
        }
        return;
    }
    // channel (or broker-wide channel) faults act where events are published; a broker-wide one
    // also acts on the channels made while it is on (channel())
    if (f.target == FaultTarget::Broker) {
        for (ChannelState& c : m_channels)
            applyChannelFault(index, on, c);
    } else {
        applyChannelFault(index, on, m_channels[size_t(channel(f.name.toUtf8()))]);
    }
}

void Simulator::applyChannelFault(int index, bool on, ChannelState& c)
{
    const Fault& f = m_faults[size_t(index)];
    const int sign = on ? 1 : -1;
    switch (f.kind) {
    case FaultKind::Drop: c.drop += sign * f.probability; break;
    case FaultKind::Duplicate: c.duplicate += sign * f.probability; break;
    case FaultKind::Delay:
        // each delay fault on at once adds its own draw, and its end takes away its own
        if (on) {
            c.delays.push_back(index);
        } else if (const auto it = std::find(c.delays.begin(), c.delays.end(), index); it != c.delays.end()) {
            c.delays.erase(it);
        }
        break;
    default: break;
    }
}

QJsonObject Simulator::faultsJson() const
{
    QJsonArray list;
    for (size_t i = 0; i < m_faults.size(); ++i) {
        const Fault& f = m_faults[i];
        QJsonObject fault { { QStringLiteral("at_s"), f.at.toSeconds() },
                            { QStringLiteral("for_s"), f.length.toSeconds() },
                            { QStringLiteral("target"), f.target == FaultTarget::Service ? QStringLiteral("service")
                                                       : f.target == FaultTarget::Channel ? QStringLiteral("channel")
                                                                                          : QStringLiteral("broker") },
                            { QStringLiteral("name"), f.name },
                            { QStringLiteral("kind"), faultKindName(f.kind) },
                            { QStringLiteral("active"), bool(m_faultActive[i]) } };
        // how strong it is, for the kinds that say
        switch (f.kind) {
        case FaultKind::Slow: fault.insert(QStringLiteral("factor"), f.factor); break;
        case FaultKind::Error:
        case FaultKind::Drop:
        case FaultKind::Duplicate: fault.insert(QStringLiteral("probability"), f.probability); break;
        case FaultKind::Delay: fault.insert(QStringLiteral("delay"), f.delay.toString()); break;
        default: break;
        }
        list.append(fault);
    }
    return { { QStringLiteral("faults"), list } };
}

} // namespace FlowScope::Sim
