// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>

#include <string_view>

namespace FlowScope::Json {

// Appends `text` as a JSON string literal (quotes included). Bytes that are not valid UTF-8
// are written as U+FFFD so that the output is always valid JSON.
void appendString(QByteArray& out, std::string_view text);
inline void appendString(QByteArray& out, const QByteArray& text)
{
    appendString(out, std::string_view(text.constData(), static_cast<size_t>(text.size())));
}

// True when `text` is one complete JSON value (used to decide whether bytes can be embedded verbatim).
bool isValidJson(std::string_view text);

} // namespace FlowScope::Json
