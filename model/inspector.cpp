// SPDX-License-Identifier: MIT
#include "inspector.h"

#include "recording.h"
#include "seeker.h"

#include <QJsonArray>
#include <QStringList>

#include <algorithm>

namespace FlowScope {

QJsonObject Inspector::inspect(const Recording& recording, std::shared_ptr<const Flow> flow, QString* error,
                               qint64 atSeq)
{
    const qint64 total = recording.eventCount();
    const qint64 seq = atSeq < 0 ? total : std::min(atSeq, total);
    Seeker::Stats stats;
    const auto state = Seeker::stateAt(recording, std::move(flow), seq, error, &stats);
    if (!state)
        return {};
    QJsonObject out = state->toJson();
    out.insert(QStringLiteral("format_version"), recording.formatVersion());
    out.insert(QStringLiteral("at"), seq);
    out.insert(QStringLiteral("recorded_events"), total);
    return out;
}

namespace {
QString counts(const QJsonObject& o)
{
    QList<std::pair<qint64, QString>> rows;
    for (auto it = o.begin(); it != o.end(); ++it)
        rows.append({ it.value().toInteger(), it.key() });
    // most frequent first, the way people scan such a list
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    QString out;
    for (const auto& [n, name] : rows)
        out += QStringLiteral("  %1  %2\n").arg(n, 10).arg(name);
    return out;
}
} // namespace

QString Inspector::toText(const QJsonObject& s)
{
    QString out;
    auto line = [&out](const QString& label, const QString& value) { out += label.leftJustified(12) + value + u'\n'; };
    auto time = [](const QJsonValue& v) { return v.isString() ? v.toString() : QStringLiteral("-"); };
    line(QStringLiteral("events"), QString::number(s.value(u"events").toInteger()));
    line(QStringLiteral("unparsed"), QString::number(s.value(u"unparsed").toInteger()));
    line(QStringLiteral("first time"), time(s.value(u"first_time")));
    line(QStringLiteral("last time"), time(s.value(u"last_time")));
    for (const QString& key : { QStringLiteral("types"), QStringLiteral("sources"), QStringLiteral("channels") }) {
        const QJsonObject c = s.value(key).toObject();
        out += key + QStringLiteral(" (%1)\n").arg(c.size()) + counts(c);
    }
    const QJsonObject sagas = s.value(u"sagas").toObject();
    for (auto it = sagas.begin(); it != sagas.end(); ++it) {
        const QJsonObject saga = it.value().toObject();
        const QJsonObject o = saga.value(u"outcomes").toObject();
        const QJsonObject lat = saga.value(u"latency_ms").toObject();
        out += QStringLiteral("saga %1: %2 instances; completed %3, compensated %4, failed %5, running %6, stuck %7; "
                              "%8 anomalies; end to end p50 %9 ms, p99 %10 ms\n")
                   .arg(it.key())
                   .arg(saga.value(u"instances").toInteger())
                   .arg(o.value(u"completed").toInteger())
                   .arg(o.value(u"compensated").toInteger())
                   .arg(o.value(u"failed").toInteger())
                   .arg(o.value(u"running").toInteger())
                   .arg(o.value(u"stuck").toInteger())
                   .arg(saga.value(u"anomalies").toInteger())
                   .arg(lat.value(u"p50").toDouble(), 0, 'f', 1)
                   .arg(lat.value(u"p99").toDouble(), 0, 'f', 1);
        out += counts(saga.value(u"states").toObject());
    }
    const QJsonObject views = s.value(u"views").toObject();
    for (auto it = views.begin(); it != views.end(); ++it)
        out += QStringLiteral("view %1: %2 rows\n").arg(it.key()).arg(it.value().toObject().value(u"rows").toInteger());
    const QJsonObject topology = s.value(u"topology").toObject();
    if (!topology.isEmpty()) {
        out += QStringLiteral("topology: %1 nodes, %2 edges\n")
                   .arg(topology.value(u"nodes").toArray().size())
                   .arg(topology.value(u"edges").toArray().size());
        const QJsonObject drift = topology.value(u"drift").toObject();
        for (const QJsonValue& e : drift.value(u"declared_unseen").toArray())
            out += QStringLiteral("  declared, never seen: %1 -> %2\n")
                       .arg(e.toObject().value(u"from").toString(), e.toObject().value(u"to").toString());
        for (const QJsonValue& e : drift.value(u"undeclared_seen").toArray())
            out += QStringLiteral("  seen, not declared:   %1 -> %2\n")
                       .arg(e.toObject().value(u"from").toString(), e.toObject().value(u"to").toString());
        // consumer-group facts (record --groups): live lag and members on consumes edges
        for (const QJsonValue& v : topology.value(u"edges").toArray()) {
            const QJsonObject e = v.toObject();
            if (!e.contains(u"groups"))
                continue;
            QStringList groups;
            for (const QJsonValue& g : e.value(u"groups").toArray())
                groups.append(g.toString());
            const QJsonValue lag = e.value(u"lag"), members = e.value(u"members");
            out += QStringLiteral("  group %1: %2 -> %3, lag %4, members %5\n")
                       .arg(groups.join(u','), e.value(u"from").toString(), e.value(u"to").toString(),
                           lag.isNull() ? QStringLiteral("unknown") : QString::number(lag.toInteger()),
                           members.isNull() ? QStringLiteral("unknown") : QString::number(members.toInteger()));
        }
    }
    return out;
}

} // namespace FlowScope
