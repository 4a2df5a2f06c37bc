// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>
#include <QString>

namespace FlowScope {

class Recording;

// The summary `flowscope inspect --json` prints (keys are a contract: DESIGN.md "The CLI and
// its JSON"): events, unparsed, types, sources, channels, first_time, last_time.
class Inspector final {
public:
    // Returns an empty object and sets *error when the recording cannot be read.
    static QJsonObject summary(const Recording& recording, QString* error);
    // The same summary as aligned text for people.
    static QString toText(const QJsonObject& summary);
};

} // namespace FlowScope
