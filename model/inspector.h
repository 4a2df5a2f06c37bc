// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>
#include <QString>

#include <memory>

namespace FlowScope {

class Recording;
struct Flow;

// What `flowscope inspect` prints (keys are a contract: DESIGN.md "The CLI and its JSON"):
// events, unparsed, types, sources, channels, first_time, last_time; with a flow file also
// topology, sagas and views; and metrics.
class Inspector final {
public:
    // The state after the first `atSeq` events (all of them when negative), through the
    // recording's checkpoints where it has them. Empty object and *error on failure.
    static QJsonObject inspect(const Recording& recording, std::shared_ptr<const Flow> flow, QString* error,
                               qint64 atSeq = -1);
    // The same as aligned text for people.
    static QString toText(const QJsonObject& summary);
};

} // namespace FlowScope
