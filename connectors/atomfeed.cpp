// SPDX-License-Identifier: MIT
#include "atomfeed.h"

#include <timeformat.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>
#include <QXmlStreamReader>

namespace FlowScope::Connectors {

namespace {

const QString AtomNamespace = QStringLiteral("http://www.w3.org/2005/Atom");

struct Entry {
    QString id, title, summary, content, contentSrc, link, published, updated, author;
    QStringList categories;
    bool alternateLink = false;
};

// Atom's own elements; extensions (media:*, georss:*, ...) live in other namespaces.
bool isAtom(const QXmlStreamReader& xml) { return xml.namespaceUri().isEmpty() || xml.namespaceUri() == AtomNamespace; }

QString text(QXmlStreamReader& xml)
{
    // xhtml content is markup as elements: its text is kept, the tags are not
    return xml.readElementText(QXmlStreamReader::IncludeChildElements).trimmed();
}

void readAuthor(QXmlStreamReader& xml, Entry& entry)
{
    while (xml.readNextStartElement()) {
        if (isAtom(xml) && xml.name() == u"name" && entry.author.isEmpty())
            entry.author = text(xml);
        else
            xml.skipCurrentElement();
    }
}

Entry readEntry(QXmlStreamReader& xml)
{
    Entry e;
    while (xml.readNextStartElement()) {
        if (!isAtom(xml)) {
            xml.skipCurrentElement();
            continue;
        }
        const auto name = xml.name();
        if (name == u"id") {
            e.id = text(xml);
        } else if (name == u"title") {
            e.title = text(xml);
        } else if (name == u"summary") {
            e.summary = text(xml);
        } else if (name == u"updated") {
            e.updated = text(xml);
        } else if (name == u"published") {
            e.published = text(xml);
        } else if (name == u"content") {
            const QString src = xml.attributes().value(QLatin1StringView("src")).toString();
            if (!src.isEmpty()) {
                e.contentSrc = src;
                xml.skipCurrentElement();
            } else {
                e.content = text(xml);
            }
        } else if (name == u"link") {
            const auto attributes = xml.attributes();
            const QString rel = attributes.hasAttribute(QLatin1StringView("rel"))
                ? attributes.value(QLatin1StringView("rel")).toString()
                : QStringLiteral("alternate");
            const QString href = attributes.value(QLatin1StringView("href")).toString();
            if (!href.isEmpty() && rel == u"alternate" && !e.alternateLink) {
                e.link = href;
                e.alternateLink = true;
            } else if (!href.isEmpty() && e.link.isEmpty()) {
                e.link = href;
            }
            xml.skipCurrentElement();
        } else if (name == u"category") {
            const QString term = xml.attributes().value(QLatin1StringView("term")).toString();
            if (!term.isEmpty())
                e.categories.append(term);
            xml.skipCurrentElement();
        } else if (name == u"author") {
            readAuthor(xml, e);
        } else {
            xml.skipCurrentElement();
        }
    }
    return e;
}

QByteArray toCloudEvent(const Entry& e, const QString& source)
{
    QJsonObject data;
    auto put = [&data](const char* key, const QString& value) {
        if (!value.isEmpty())
            data.insert(QLatin1StringView(key), value);
    };
    put("title", e.title);
    put("summary", e.summary);
    put("content", e.content);
    put("content_src", e.contentSrc);
    put("link", e.link);
    put("published", e.published);
    put("updated", e.updated);
    put("author", e.author);
    if (!e.categories.isEmpty())
        data.insert(QStringLiteral("categories"), QJsonArray::fromStringList(e.categories));

    QJsonObject ce {
        { QStringLiteral("specversion"), QStringLiteral("1.0") },
        { QStringLiteral("source"), source },
        { QStringLiteral("type"), e.categories.isEmpty() ? QStringLiteral("atom.entry") : e.categories.first() },
        { QStringLiteral("datacontenttype"), QStringLiteral("application/json") },
        { QStringLiteral("data"), data },
    };
    // A CloudEvent without an id is not one: left out, the parser keeps the entry as unparsed
    // with that reason rather than us inventing an id.
    if (!e.id.isEmpty())
        ce.insert(QStringLiteral("id"), e.id);
    // `time` must be RFC 3339; a feed's odd date stays in `data` only.
    for (const QString* t : { &e.updated, &e.published }) {
        if (!t->isEmpty() && TimeFormat::parseRfc3339(t->toUtf8())) {
            ce.insert(QStringLiteral("time"), *t);
            break;
        }
    }
    return QJsonDocument(ce).toJson(QJsonDocument::Compact);
}

} // namespace

bool AtomFeed::looksLikeXml(const QByteArray& contentType, const QByteArray& body)
{
    if (contentType.toLower().contains("xml"))
        return true;
    for (char c : body) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        return c == '<';
    }
    return false;
}

bool AtomFeed::toCloudEvents(
    const QByteArray& bytes, const QString& fallbackSource, QList<QByteArray>* events, QString* error)
{
    QXmlStreamReader xml(bytes);
    auto where = [&xml] { return QStringLiteral("line %1, column %2").arg(xml.lineNumber()).arg(xml.columnNumber()); };
    if (!xml.readNextStartElement()) {
        *error = xml.hasError() ? where() + QStringLiteral(": ") + xml.errorString()
                                : QStringLiteral("not an Atom feed: no XML element");
        return false;
    }
    if (xml.name() != u"feed" || !isAtom(xml)) {
        *error = QStringLiteral("not an Atom feed: the root element is <%1>").arg(xml.qualifiedName());
        return false;
    }
    QString feedId;
    QList<Entry> entries;
    while (xml.readNextStartElement()) {
        if (isAtom(xml) && xml.name() == u"id")
            feedId = text(xml);
        else if (isAtom(xml) && xml.name() == u"entry")
            entries.append(readEntry(xml));
        else
            xml.skipCurrentElement();
    }
    if (xml.hasError()) {
        *error = where() + QStringLiteral(": ") + xml.errorString();
        return false;
    }
    const QString source = feedId.isEmpty() ? fallbackSource : feedId;
    for (const Entry& e : std::as_const(entries))
        events->append(toCloudEvent(e, source));
    return true;
}

} // namespace FlowScope::Connectors
