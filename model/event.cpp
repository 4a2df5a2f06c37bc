// SPDX-License-Identifier: MIT
#include "event.h"

#include <QString>

namespace FlowScope {

QString formatName(EventFormat format)
{
    switch (format) {
    case EventFormat::Structured: return QStringLiteral("structured");
    case EventFormat::Binary: return QStringLiteral("binary");
    case EventFormat::PlainJson: return QStringLiteral("json");
    case EventFormat::Opaque: return QStringLiteral("opaque");
    }
    return QStringLiteral("opaque");
}

} // namespace FlowScope
