// SPDX-License-Identifier: MIT
#pragma once

#include "event.h"
#include "ratewindow.h"

#include <QHash>
#include <QJsonObject>
#include <QList>

#include <unordered_map>
#include <vector>

class QDataStream;

namespace FlowScope {

struct Flow;

// Services and channels, and who emits to / consumes from which channel (DESIGN.md
// "Projections"). Declared edges come from the flow file; observed ones from events:
//  - emits: an event's source published on its channel (the event's own channel, else the
//    flow file's channel for its type, else a channel named after the source);
//  - consumes: an event whose `causationid` names an earlier event A (or, without one, whose
//    traceparent continues A's span) shows that its source consumed A's type from A's channel.
// Folding is per event and deterministic; rates are over event time.
class Topology final {
public:
    enum class NodeKind : quint8 { Service, Channel };
    enum class EdgeKind : quint8 { Emits, Consumes };

    struct Node {
        QByteArray name;
        NodeKind kind = NodeKind::Service;
        bool declared = false;
        bool observed = false;
        qint64 events = 0; // emitted by a service / carried by a channel
    };
    struct Edge {
        int from = -1; // node indexes
        int to = -1;
        EdgeKind kind = EdgeKind::Emits;
        bool declared = false;
        bool observed = false;
        qint64 count = 0;
        qint64 errors = 0;
        RateWindow rate;
    };

    // How many recent events are remembered to resolve causation; older causes are not found.
    static constexpr int CausationMemory = 200000;

    explicit Topology(const Flow* flow = nullptr);

    // Returns the event time of the event that caused `e`, when it is known (else NoTime).
    qint64 fold(const Event& e, qint64 time);
    void advanceTo(qint64 clock);

    const QList<Node>& nodes() const { return m_nodes; }
    const QList<Edge>& edges() const { return m_edges; }
    QJsonObject toJson() const;

    void save(QDataStream& out) const;
    bool load(QDataStream& in);

    // An event counts as an error on its edge when it was not understood, or when its type says
    // so: it contains "Failed", "Error" or "DeadLetter".
    static bool isError(const Event& e);

private:
    struct Cause {
        int channel;
        qint64 time;
    };
    // The last CausationMemory ids (as 64-bit FNV-1a hashes: a collision among 200 000 ids has a
    // chance of about 1e-9) with where and when their events were. A ring of keys and one hash
    // map: this runs once per event, and string-keyed maps here cost more than the rest of the fold.
    class CauseMemory {
    public:
        void remember(quint64 key, Cause c);
        const Cause* find(quint64 key) const;
        void save(QDataStream& out) const;
        bool load(QDataStream& in);

    private:
        std::unordered_map<quint64, Cause> m_map;
        std::vector<quint64> m_ring; // keys in the order they were first remembered
        size_t m_next = 0;           // the oldest, once the ring is full
    };
    static quint64 keyOf(const QByteArray& id);
    int node(const QByteArray& name, NodeKind kind);
    int edge(int from, int to, EdgeKind kind);
    QByteArray serviceName(const QByteArray& source) const;
    QByteArray channelFor(const Event& e, const QByteArray& service) const;

    const Flow* m_flow;
    bool m_hasDeclared = false;
    QList<Node> m_nodes;
    QList<Edge> m_edges;
    QHash<QPair<QByteArray, quint8>, int> m_nodeIndex;
    QHash<quint64, int> m_edgeIndex;
    QHash<QByteArray, QByteArray> m_declaredChannelOfType; // from `channels:`
    QHash<QByteArray, QByteArray> m_serviceOfSource;       // cache of serviceName()
    // recent events by id and by trace span, to resolve causation
    CauseMemory m_byId;
    CauseMemory m_bySpan;
    qint64 m_clock = NoTime;
};

} // namespace FlowScope
