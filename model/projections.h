// SPDX-License-Identifier: MIT
#pragma once

#include "event.h"
#include "eventfields.h"
#include "metrics.h"
#include "namedvalues.h"
#include "topology.h"

#include <QHash>
#include <QJsonObject>

#include <memory>
#include <vector>

namespace FlowScope {

struct Flow;
class SagaTracker;
class ViewEngine;

// Everything FlowScope knows about a stream, folded from its events in order: the summary
// (`inspect`'s counts), the topology, the sagas, the views and the metrics. Deterministic: the
// same events in the same order give the same state and the same bytes from save(), however
// they were batched. Not thread-safe: the engine thread owns one.
class Projections final {
public:
    // `flow` may be null (then only the summary, topology and metrics are kept). It must
    // outlive the projections.
    explicit Projections(std::shared_ptr<const Flow> flow = {});
    ~Projections();
    Projections(const Projections&) = delete;
    Projections& operator=(const Projections&) = delete;

    void apply(const Event& e);
    void apply(const EventBatch& batch);
    // Folds `batch` and leaves it empty, destroying its events right behind the fold, while they
    // are still in the cache. Events whose seq is 0 are numbered from `nextSeq` on, and `nextSeq`
    // moves past the last event's seq. A batch somebody else holds is copied first (as numbering
    // it would); to fold a batch that must stay as it is, use apply().
    void consume(EventBatch&& batch, qint64& nextSeq);
    // Live consumer-group facts for the topology (Topology::applyGroupFacts): shown by toJson(),
    // not saved (a checkpoint holds only what the events say).
    void applyGroupFacts(const GroupFacts& facts) { m_topology.applyGroupFacts(facts); }
    // Allocates the causation memory's first table now and has the kernel fill it in on another
    // thread, rather than in the first events' folds (Topology::reserveCausation).
    void reserveCausation() { m_topology.reserveCausation(); }

    qint64 eventCount() const { return m_events; }
    qint64 lastSeq() const { return m_lastSeq; }
    qint64 clock() const { return m_clock; } // the latest event time seen
    const std::shared_ptr<const Flow>& flow() const { return m_flow; }
    const Topology& topology() const { return m_topology; }
    const std::vector<std::unique_ptr<SagaTracker>>& sagas() const { return m_sagas; }
    const std::vector<std::unique_ptr<ViewEngine>>& views() const { return m_views; }

    // The `inspect --json` object: events, unparsed, types, sources, channels, first_time,
    // last_time; with a flow also topology, sagas, views; always metrics. Without a flow the
    // topology is there too once group facts were applied.
    // `viewSample`: rows per view in `sample` (the contract says 10; the GUI asks for more).
    QJsonObject toJson(int viewSample = 10) const;

    // A checkpoint: the whole state as bytes. load() accepts only what save() wrote for the
    // same flow file (checked by its fingerprint) and leaves the state empty otherwise.
    QByteArray save() const;
    bool load(const QByteArray& state);
    // Identifies the flow file's content, so that checkpoints are never applied to another flow.
    static QByteArray fingerprint(const Flow* flow);

private:
    void apply(const Event& e, quint64 idKey); // idKey: Topology::prefetch's, or 0
    void reset();
    QByteArray correlationOf(const Event& e);

    std::shared_ptr<const Flow> m_flow;
    QByteArray m_fingerprint;
    PayloadCache m_cache;
    Topology m_topology;
    Metrics m_metrics;
    std::vector<std::unique_ptr<SagaTracker>> m_sagas;
    std::vector<std::unique_ptr<ViewEngine>> m_views;
    QHash<QByteArray, std::shared_ptr<FieldAccessor>> m_correlationByType;
    std::shared_ptr<FieldAccessor> m_defaultCorrelation;

    qint64 m_events = 0;
    qint64 m_unparsed = 0;
    qint64 m_lastSeq = 0;
    qint64 m_clock = NoTime;
    qint64 m_firstTime = NoTime;
    qint64 m_lastTime = NoTime;
    NamedValues<qint64> m_types, m_sources, m_channels;

    // What an event's (type, source, channel) come to: its three counts and, once it has been
    // placed in time, its three metric series (NamedValues' values stay put). A stream repeats a
    // few such shapes; one lookup here replaces six by name. Forgotten when the counts or metrics
    // are replaced (reset, load).
    struct Shape {
        qint64* counts[3] {};          // null where the name is null
        Metrics::Series* series[3] {}; // null where the name is empty
        bool seriesMade = false;
        Topology::Shape topology;      // its shape in the topology, once folded there
        bool topologyMade = false;
    };
    NameTripleCache<Shape> m_shapes;
    Shape& shapeOf(const Event& e);
};

} // namespace FlowScope
