// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>

namespace FlowScope {

// Names that events repeat (types, sources, channels), kept for the life of the process and
// handed out as QByteArray::fromRawData: copying or dropping such an array touches no reference
// count. An ordinary shared array would have its count changed by two threads on every event
// (the simulator filling a batch, the engine thread freeing it), and that one contended cache
// line costs more than the rest of building the event. Interning the same text twice gives the
// same address, which NamedValues' lookups by address then find at once.
//
// Thread-safe. Meant for a bounded vocabulary (a flow file's names): nothing is ever freed, and
// past MaxPooledNames distinct names (a "vocabulary" that is really data) further names come
// back as ordinary copies.
QByteArray internName(QByteArrayView name);
inline constexpr size_t MaxPooledNames = 65536;

// For parsers: `text` (an event's type, source, specversion, content type) as the pooled name,
// through a small per-thread cache so that the usual case takes no lock and allocates nothing.
// Long texts are copied as they are.
QByteArray repeatedName(QByteArrayView text);

} // namespace FlowScope
