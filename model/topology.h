// SPDX-License-Identifier: MIT
#pragma once

#include "event.h"
#include "groupfact.h"
#include "zeroedtable.h"
#include "namedvalues.h"
#include "ratewindow.h"

#include <QHash>
#include <QJsonObject>
#include <QList>

#include <array>

#include <bit>
#include <optional>
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
//
// Consumer-group facts (applyGroupFacts) are laid over the folded state rather than folded into
// it: a group consuming topic T shows as an observed `consumes` edge from channel T to the
// group's service, carrying `lag` and `members`. They come from the cluster, not from the events,
// so they are left out of save() (checkpoints stay a function of the events) and only toJson()
// shows them.
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
    // Not copyable by accident: its causation memory is 17 MB once full.
    Topology(const Topology&) = delete;
    Topology& operator=(const Topology&) = delete;
    // A moved-from Topology may only be destroyed or assigned to (its shape caches still point
    // at nodes and edges it no longer has).
    Topology(Topology&&) = default;
    Topology& operator=(Topology&&) = default;

    // Returns the event time of the event that caused `e`, when it is known (else NoTime).
    // `idKey`: what prefetch(e) returned, if it was called (0: not known).
    // What an event's (source, channel, type) come to: its service and channel nodes, its emits
    // edge and whether its type counts as an error. Most streams repeat a few such shapes, so one
    // pointer compare each replaces two name lookups, an edge lookup and three substring searches.
    struct Shape {
        int service = -1, channelNode = -1, emits = -1;
        bool error = false;
    };
    // `e`'s shape: made (its nodes and edge added) the first time, then found. Stays valid
    // until load().
    const Shape& shapeOf(const Event& e);

    qint64 fold(const Event& e, qint64 time, quint64 idKey = 0);
    // The same, for an event with a source whose shapeOf() the caller kept (Projections keeps
    // it with its own per-shape state: one lookup per event instead of two).
    qint64 fold(const Event& e, qint64 time, const Shape& shape, quint64 idKey = 0);
    // A hint: `e` will be folded soon. Starts loading the memory its fold will touch (the
    // causation table is larger than the caches); changes nothing. Returns the key of e's id,
    // which fold() then need not compute again, or 0.
    quint64 prefetch(const Event& e) const;
    // For a long stream about to start: the id memory's first table allocated now (8 MB) and
    // faulted in on another thread, which took the fold 18-26 ms on a fresh VM (docs/benchmarks.md).
    // Saves the same bytes as before; the table is used as it fills in.
    void reserveCausation() { m_byId.reserve(); }
    void advanceTo(qint64 clock)
    {
        if (clock != NoTime && (m_clock == NoTime || clock > m_clock))
            m_clock = clock;
    }

    const QList<Node>& nodes() const { return m_nodes; }
    const QList<Edge>& edges() const { return m_edges; }
    // `streamStart`: the stream's first time (NoTime: unknown), for the rates of a young stream.
    QJsonObject toJson(qint64 streamStart = NoTime) const;

    // Replaces the consumer-group facts (the whole picture, as one watcher round saw it). A group
    // is the service the flow file names for it (a service's `group:`), else the declared service
    // its id names (as an event source names one), else a service named after the group id.
    void applyGroupFacts(const GroupFacts& facts) { m_groupFacts = facts; }
    const GroupFacts& groupFacts() const { return m_groupFacts; }
    QByteArray serviceOfGroup(const QByteArray& group) const;

    void save(QDataStream& out) const;
    bool load(QDataStream& in);

    // An event counts as an error on its edge when it was not understood, or when its type says
    // so: it contains "Failed", "Error" or "DeadLetter".
    static bool isError(const Event& e) { return e.isUnparsed() || isErrorType(e.type); }
    static bool isErrorType(const QByteArray& type);

private:
    struct Cause {
        int channel;
        qint64 time;
    };
    // Recent ids (as 64-bit hashes, wordHash64: a collision among 400 000 ids has a chance of about
    // 4e-9) with where and when their events were. This runs once or twice per event, so it
    // forgets in generations instead of id by id: every id goes into the young table; when that
    // holds CausationMemory ids it becomes the old one and the old one is forgotten at once (a
    // memset). Lookups try the young table, then the old. So the last CausationMemory ids are
    // always remembered, and never more than twice that. Each table is flat open addressing
    // with linear probing and no deletion: no allocation per event, no eviction work, and a
    // lookup touches one cache line, or two.
    class CauseMemory {
    public:
        // Allocates the young table now and has another thread fault it in (see prepare()).
        void reserve();
        void remember(quint64 key, Cause c);
        std::optional<Cause> find(quint64 key) const;
        // `key` will be remembered soon: load what that will touch.
        void prefetch(quint64 key) const;
        void save(QDataStream& out) const;
        bool load(QDataStream& in);

    private:
        // 16 bytes, four to a cache line and none across two: the cause packed into one word, its
        // channel in the low ChannelBits and its time above them, as an offset from the
        // generation's first time (±101 days). A cause that does not pack (a channel index past
        // a million, a time that far off) is kept aside, found through its slot's channel
        // Unpacked. 24-byte slots made the two generations 25 MB instead of 17. Should a
        // generation's first time be an outlier (a bogus year), the causes after it go aside:
        // slower, still exact, until that generation is forgotten.
        struct Slot {
            quint64 key = 0; // 0: empty (keyOf() never gives 0)
            quint64 cause = 0;
        };
        static constexpr int ChannelBits = 20;
        static constexpr quint64 Unpacked = (quint64(1) << ChannelBits) - 1;
        static constexpr qint64 MaxOffset = qint64(1) << (63 - ChannelBits);
        struct Generation {
            // None until the first id or prepare(), then FullCapacity at once: growing by doubling
            // re-inserted every id about once more and faulted in twice the memory, a tenth of a
            // short run.
            static constexpr size_t FullCapacity = std::bit_ceil(size_t(2 * CausationMemory));
            ZeroedTable<Slot> slots;
            size_t count = 0;
            int shift = 64; // 64 - log2(slots.size())
            qint64 base = 0;      // the time packed causes count from: the first one's
            bool hasBase = false;
            QHash<quint64, Cause> unpacked;

            size_t home(quint64 key) const { return size_t((key * 0x9e3779b97f4a7c15ull) >> shift); }
            size_t slotOf(quint64 key) const; // where `key` is, or the empty slot where it would go
            void insert(quint64 key, Cause c);
            void set(Slot& s, Cause c);
            Cause causeOf(const Slot& s) const;
            void clear();
            void resize(size_t capacity);
            // Allocated at full size and being faulted in on another thread, if it is not yet.
            void prepare();
        };
        // Once the young table holds this many and the other one is not there yet, that one is
        // prepared: it is needed at CausationMemory ids, and on a fresh VM its 8 MB took the fold
        // 18-24 ms to fault in, which stopped the simulator as long (docs/benchmarks.md).
        static constexpr size_t PrepareOtherAt = CausationMemory / 4;
        Generation m_generations[2];
        int m_young = 0;
    };
    static quint64 keyOf(const QByteArray& id); // never 0: CauseMemory keys are never 0
    int node(const QByteArray& name, NodeKind kind);
    int edge(int from, int to, EdgeKind kind);
    bool emitsTo(int service, int channel) const; // an observed emits edge
    void forgetShapes(); // after the node or edge indexes change wholesale (load)
    QByteArray serviceName(const QByteArray& source) const;
    int channelNodeFor(const Event& e, int serviceNode);

    const Flow* m_flow;
    bool m_hasDeclared = false;
    QList<Node> m_nodes;
    QList<Edge> m_edges;
    struct NodeRef {
        int index = -1;
    };
    NamedValues<NodeRef> m_nodeIndex[2]; // by NodeKind, then name
    QHash<quint64, int> m_edgeIndex;
    // The edges found last, by a hash of their key: an event's two edges are nearly always among
    // the few its stream repeats, and this answers them without the QHash.
    struct RecentEdge {
        quint64 key = ~0ull;
        int index = -1;
    };
    std::array<RecentEdge, 64> m_recentEdges;
    NameTripleCache<Shape> m_shapes;
    QHash<QByteArray, QByteArray> m_declaredChannelOfType; // from `channels:`
    NamedValues<NodeRef> m_serviceOfSource;                // source -> its service's node
    // recent events by id and by trace span, to resolve causation
    CauseMemory m_byId;
    CauseMemory m_bySpan;
    qint64 m_clock = NoTime;
    GroupFacts m_groupFacts; // live, not saved
};

} // namespace FlowScope
