// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

namespace FlowScope::Connectors {

// Reads an Atom feed (RFC 4287) into CloudEvents, for the HTTP polling source.
//
// Each <entry> becomes one structured-mode CloudEvent (JSON text), so that it is parsed,
// recorded, exported and replayed like any other event:
// - `id`: the entry's <id>; `source`: the feed's <id>, else `fallbackSource` (the URL polled);
// - `type`: the term of the entry's first <category>, else "atom.entry";
// - `time`: <updated>, else <published> (when it is an RFC 3339 time);
// - `data` (application/json): `title`, `summary`, `content` (text; `content_src` for
//   out-of-line content), `link` (the alternate link, else the first), `published`, `updated`,
//   `author` (the first author's name), `categories` (every term): those the entry has.
// Text constructs of type html are kept as the markup text; xhtml ones as their text only.
class AtomFeed final {
public:
    // Entries in document order. False with *error set ("line L, column C: ...") when `xml` is
    // not well-formed or not an Atom feed; `events` then holds nothing.
    static bool toCloudEvents(
        const QByteArray& xml, const QString& fallbackSource, QList<QByteArray>* events, QString* error);
    // True when `contentType` or the first bytes of `body` say XML.
    static bool looksLikeXml(const QByteArray& contentType, const QByteArray& body);
};

} // namespace FlowScope::Connectors
