// SPDX-License-Identifier: MIT
#pragma once

#include <QMetaType>
#include <QString>
#include <QStringList>

namespace FlowScope {

// Which events of a recording the event log shows: every condition that is set must hold.
// Type, source, channel and correlation id match exactly (they are what a user picks from a
// list or jumps to); `text` is a case-insensitive substring of any text attribute or of the
// payload. The recording turns it into a SQL WHERE with bound values (Recording::matchingSeqs).
struct EventFilter {
    QString type;
    QString source;
    QString channel;
    QString correlation;
    QString text;
    // Where the flow file finds the correlation id inside `data` (["orderId"] for
    // `correlation: data.orderId`): an event recorded without a correlation id attribute
    // matches `correlation` when its data has it there. Empty: the attribute only.
    QStringList correlationDataPath;

    bool isEmpty() const
    {
        return type.isEmpty() && source.isEmpty() && channel.isEmpty() && correlation.isEmpty() && text.isEmpty();
    }
    friend bool operator==(const EventFilter&, const EventFilter&) = default;
};

} // namespace FlowScope

Q_DECLARE_METATYPE(FlowScope::EventFilter)
