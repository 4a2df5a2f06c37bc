// SPDX-License-Identifier: MIT
#include "inspector.h"

#include "recording.h"
#include "timeformat.h"

#include <QJsonArray>

namespace FlowScope {

QJsonObject Inspector::summary(const Recording& recording, QString* error)
{
    // One pass over the events; the summary is a fold like any other projection.
    qint64 events = 0, unparsed = 0;
    qint64 first = NoTime, last = NoTime;
    QHash<QByteArray, qint64> types, sources, channels;
    const bool ok = recording.readSeqRange(
        1, std::numeric_limits<qint64>::max(),
        [&](Event&& e) {
            ++events;
            if (e.isUnparsed())
                ++unparsed;
            if (!e.type.isNull())
                ++types[e.type];
            if (!e.source.isNull())
                ++sources[e.source];
            if (!e.channel.isNull())
                ++channels[e.channel];
            if (e.hasTime()) {
                first = first == NoTime ? e.time : std::min(first, e.time);
                last = last == NoTime ? e.time : std::max(last, e.time);
            }
            return true;
        },
        error);
    if (!ok)
        return {};
    auto toObject = [](const QHash<QByteArray, qint64>& counts) {
        QJsonObject o;
        for (auto it = counts.cbegin(); it != counts.cend(); ++it)
            o.insert(QString::fromUtf8(it.key()), it.value());
        return o;
    };
    QJsonObject out;
    out.insert(QStringLiteral("events"), events);
    out.insert(QStringLiteral("unparsed"), unparsed);
    out.insert(QStringLiteral("types"), toObject(types));
    out.insert(QStringLiteral("sources"), toObject(sources));
    out.insert(QStringLiteral("channels"), toObject(channels));
    out.insert(QStringLiteral("first_time"), first == NoTime ? QJsonValue() : TimeFormat::toRfc3339String(first));
    out.insert(QStringLiteral("last_time"), last == NoTime ? QJsonValue() : TimeFormat::toRfc3339String(last));
    out.insert(QStringLiteral("format_version"), recording.formatVersion());
    return out;
}

QString Inspector::toText(const QJsonObject& s)
{
    QString out;
    auto line = [&out](const QString& label, const QString& value) {
        out += label.leftJustified(12) + value + u'\n';
    };
    auto time = [](const QJsonValue& v) { return v.isNull() ? QStringLiteral("-") : v.toString(); };
    line(QStringLiteral("events"), QString::number(s.value(u"events").toInteger()));
    line(QStringLiteral("unparsed"), QString::number(s.value(u"unparsed").toInteger()));
    line(QStringLiteral("first time"), time(s.value(u"first_time")));
    line(QStringLiteral("last time"), time(s.value(u"last_time")));
    for (const QString& key : { QStringLiteral("types"), QStringLiteral("sources"), QStringLiteral("channels") }) {
        const QJsonObject counts = s.value(key).toObject();
        // most frequent first, the way people scan such a list
        QList<std::pair<qint64, QString>> rows;
        for (auto it = counts.begin(); it != counts.end(); ++it)
            rows.append({ it.value().toInteger(), it.key() });
        std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
            return a.first != b.first ? a.first > b.first : a.second < b.second;
        });
        out += key + QStringLiteral(" (%1)\n").arg(rows.size());
        for (const auto& [n, name] : rows)
            out += QStringLiteral("  %1  %2\n").arg(n, 10).arg(name);
    }
    return out;
}

} // namespace FlowScope
