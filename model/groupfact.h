// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QList>
#include <QMetaType>

namespace FlowScope {

// What one consumer group does with one topic, as the cluster says right now (read by
// Connectors::KafkaGroupWatcher, applied with Engine::setGroupFacts). Live facts, not folded
// from events: they are not part of a checkpoint and not stored in a recording.
struct GroupFact {
    QByteArray group; // the consumer group id
    QByteArray topic;
    // Members of the group with partitions of `topic` assigned; -1 when unknown (the cluster
    // did not describe the group).
    int members = -1;
    // Messages not yet consumed: over the partitions of `topic` with a committed offset, the sum
    // of (end offset - committed offset); -1 when no partition has a committed offset.
    qint64 lag = -1;
    friend bool operator==(const GroupFact&, const GroupFact&) = default;
};

using GroupFacts = QList<GroupFact>;

} // namespace FlowScope

Q_DECLARE_TYPEINFO(FlowScope::GroupFact, Q_RELOCATABLE_TYPE);
Q_DECLARE_METATYPE(FlowScope::GroupFact)
