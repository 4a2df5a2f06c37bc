// SPDX-License-Identifier: MIT
#pragma once

#include "event.h"

namespace FlowScope::CloudEventWriter {

// A structured-mode CloudEvent: one JSON line, no newline, never blank, so that `import` reads
// back exactly one event for it. Unparsed events and plain JSON objects come back as the bytes
// they arrived as, so an export never invents an event nor loses one. `data` is written verbatim
// when the payload is JSON, as `data_base64` otherwise. Raw CR/LF in JSON (a pretty-printed body
// from a live source) can only be whitespace between tokens and are written as spaces. An
// unparsed event whose bytes would not survive as a line (a line break, empty, blank, or a null
// tombstone) is written as its kcat -J envelope (toKcatJson), which reads back as the same bytes;
// the envelope's topic is "" for an event without a channel (the parser needs a string there).
QByteArray toStructuredJson(const Event& e);

// A kcat -J envelope that keeps what a CloudEvent cannot carry: topic, partition, offset,
// key, headers and the broker timestamp. Its payload is the structured CloudEvent (or, for
// binary-mode events, the original value with the ce_* headers).
QByteArray toKcatJson(const Event& e);

// The CSV header and one row (RFC 4180 quoting). Payload is UTF-8 text when it is, else base64.
QByteArray csvHeader();
QByteArray toCsvRow(const Event& e);

} // namespace FlowScope::CloudEventWriter
