// SPDX-License-Identifier: MIT
#pragma once

// A flow file as plain values (docs/flow-file.md). FlowFileParser builds a Flow and
// validates it; everything else (projections, simulator, GUI) only reads one. Every struct
// read from the file keeps its SourcePos so later code can report problems at it.
// Ordered sections are lists in file order; lookups by name are linear, which is fine at
// the sizes flow files have (tens of entries).

#include "flowvalues.h"

#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace FlowScope {

// `correlation:` where an event's flow (correlation) id is. Either one path, or a default
// path plus per-type overrides: `{ default: data.orderId, by_type: { Refunded: data.ref } }`.
struct Correlation {
    struct Override {
        QString type;
        FieldPath path;
        SourcePos pos;
        friend bool operator==(const Override&, const Override&) = default;
    };

    std::optional<FieldPath> path; // the default; absent when the file names none
    QList<Override> overrides;
    SourcePos pos;

    // The path for events of `type`: its override, else the default (nullptr if neither).
    const FieldPath* pathFor(QStringView type) const;

    friend bool operator==(const Correlation&, const Correlation&) = default;
};

// `channels:` one channel (topic) and the event types published on it.
struct Channel {
    QString name;
    QStringList types;
    QList<SourcePos> typePositions; // parallel to `types`
    SourcePos pos;
    friend bool operator==(const Channel&, const Channel&) = default;
};

// One outcome of handling an event: emit `type` with `probability`.
struct EmitChoice {
    QString type;
    double probability = 1.0;
    SourcePos pos;
    friend bool operator==(const EmitChoice&, const EmitChoice&) = default;
};

// `emit:` nothing (no choices), one type (one choice with probability 1), or weighted
// choices summing to at most 1; the remainder is the probability of emitting nothing.
struct Emit {
    QList<EmitChoice> choices;
    bool weighted = false; // written as a map of type -> probability
    SourcePos pos;

    double nothingProbability() const;
    friend bool operator==(const Emit&, const Emit&) = default;
};

// `when: { Type: { emit: ... } }` one entry: the service consumes `type`.
struct Handler {
    QString type;
    Emit emits; // `emit:` (not named `emit`, which is a Qt keyword macro without QT_NO_KEYWORDS)
    SourcePos pos;
    friend bool operator==(const Handler&, const Handler&) = default;
};

// `retry:` attempts after the first failure; attempt n waits
// min(cap, backoff * multiplier^(n-1)) scaled by a uniform factor in [1 - jitter, 1 + jitter].
struct RetryPolicy {
    int max = 0;
    Duration backoff = Duration::fromMillis(100);
    double multiplier = 2.0;
    std::optional<Duration> cap;
    double jitter = 0.0;
    SourcePos pos;

    // The wait before retry `attempt` (1-based) with no jitter applied.
    Duration baseDelay(int attempt) const;
    friend bool operator==(const RetryPolicy&, const RetryPolicy&) = default;
};

// `serverless:` inside `sim:`: instances start on demand (paying `cold_start`), each handles
// one event at a time, at most `concurrency` run, and an instance idle for `idle_timeout`
// stops; with `min_instances: 0` the function scales to zero.
struct Serverless {
    int concurrency = 100;
    Distribution coldStart = Distribution::constant(Duration::fromMillis(200));
    Duration idleTimeout = Duration::fromSeconds(300);
    int minInstances = 0;
    SourcePos pos;
    friend bool operator==(const Serverless&, const Serverless&) = default;
};

// `sim:` how the simulator runs a service. Absent keys keep these defaults.
struct ServiceSim {
    int workers = 1;
    std::optional<int> queue; // capacity of the waiting queue; absent = unbounded
    Distribution serviceTime = Distribution::constant(Duration::fromMillis(1));
    double failure = 0.0;
    RetryPolicy retry;
    std::optional<Duration> timeout; // a handling longer than this fails (and is retried)
    QString deadLetter; // channel for events that exhausted their retries; empty = dropped
    std::optional<Serverless> serverless;
    SourcePos pos;
    friend bool operator==(const ServiceSim&, const ServiceSim&) = default;
};

// `services:` one declared service.
struct Service {
    QString name;
    QList<Handler> handlers; // `when:` in file order
    std::optional<ServiceSim> sim; // absent: the simulator uses ServiceSim{}
    QString group; // `group:` the Kafka consumer group id it consumes as; empty: its name
    SourcePos pos;

    const Handler* handler(QStringView type) const;
    friend bool operator==(const Service&, const Service&) = default;
};

enum class SagaOutcome { None, Completed, Compensated, Failed };

struct SagaTransition {
    QString type; // the event type that moves the instance
    QString target; // the state it moves to
    SourcePos pos; // of the event type
    SourcePos targetPos;
    friend bool operator==(const SagaTransition&, const SagaTransition&) = default;
};

struct SagaState {
    QString name;
    QList<SagaTransition> transitions;
    std::optional<Duration> timeout; // overrides the saga's timeout; final states have none
    SagaOutcome outcome = SagaOutcome::None;
    // Orchestrated sagas only: the command the orchestrator sends on entering the state,
    // and where the orchestrator moves the instance when the state times out.
    QString send;
    QString onTimeout;
    SourcePos pos;
    SourcePos onTimeoutPos;

    bool isFinal() const { return outcome != SagaOutcome::None; }
    const SagaTransition* transition(QStringView type) const;
    friend bool operator==(const SagaState&, const SagaState&) = default;
};

// `sagas:` one state machine. An instance opens on `start` in the first state listed.
// With `orchestrator:` the saga is orchestrated: that service sends each state's command and
// applies `on_timeout`; without it the saga is choreographed and only observed.
struct Saga {
    QString name;
    QString start;
    SourcePos startPos;
    std::optional<Duration> timeout; // for every non-final state without its own
    QString orchestrator;
    SourcePos orchestratorPos;
    QList<SagaState> states; // the first is the initial state
    SourcePos pos;

    bool isOrchestrated() const { return !orchestrator.isEmpty(); }
    int stateIndex(QStringView name) const; // -1 if unknown
    const SagaState* state(QStringView name) const;
    // The timeout in effect in `state`: its own, else the saga's; none for final states.
    std::optional<Duration> timeoutIn(const SagaState& state) const;
    friend bool operator==(const Saga&, const Saga&) = default;
};

enum class Fold { Last, First, Count, Sum, Min, Max };

// `columns:` one column: `fold(path) [from Type | from A, B | from [A, B]]`.
struct ViewColumn {
    QString name;
    Fold fold = Fold::Last;
    std::optional<FieldPath> path; // absent only for count()
    QStringList from; // empty: every event that has the view's key
    QList<SourcePos> fromPositions;
    QString text;
    SourcePos pos;
    friend bool operator==(const ViewColumn&, const ViewColumn&) = default;
};

// `views:` one materialized view: rows keyed by `key`.
struct View {
    QString name;
    FieldPath key;
    QList<ViewColumn> columns;
    SourcePos pos;
    friend bool operator==(const View&, const View&) = default;
};

// A payload template field: a value, or a nested object of fields.
struct DataField {
    QString name;
    ValueTemplate value; // when !isObject
    std::vector<DataField> fields; // when isObject, in file order
    bool isObject = false;
    SourcePos pos;
    friend bool operator==(const DataField&, const DataField&) = default;
};

enum class Arrival { Poisson, Constant, Bursts, Curve };

// A point of a rate curve; the rate is linear between points and holds after the last.
struct CurvePoint {
    Duration at;
    Rate rate;
    SourcePos pos;
    friend bool operator==(const CurvePoint&, const CurvePoint&) = default;
};

// `load:` one load generator.
struct LoadGenerator {
    QString type; // `emit:`: the event type it generates
    QString from = QStringLiteral("load"); // the source of the generated events
    Rate rate; // Poisson and Constant
    Arrival arrival = Arrival::Poisson;
    int burstSize = 0; // Bursts: `burst: { size, every }`
    Duration burstEvery; // Bursts
    QList<CurvePoint> curve; // Curve: Poisson arrivals at a rate that follows the curve
    Duration start; // when the generator starts
    std::optional<Duration> stop; // when it stops; absent = at the end of the run
    std::vector<DataField> data; // the payload template
    SourcePos pos;
    SourcePos fromPos;

    double meanRate() const; // events per second over the first cycle (curve: at its first point)
    friend bool operator==(const LoadGenerator&, const LoadGenerator&) = default;
};

struct BrokerChannel {
    QString name;
    int partitions = 1;
    SourcePos pos;
    friend bool operator==(const BrokerChannel&, const BrokerChannel&) = default;
};

// `broker:` delivery latency from publish to a consumer's queue, and partitions per channel.
struct Broker {
    Distribution latency = Distribution::constant(Duration {});
    int partitions = 1;
    QList<BrokerChannel> channels; // per-channel overrides of `partitions`
    SourcePos pos;

    int partitionsOf(QStringView channel) const;
    friend bool operator==(const Broker&, const Broker&) = default;
};

enum class FaultKind { Down, Slow, Error, Drop, Duplicate, Delay, Partition };
enum class FaultTarget { Service, Channel, Broker };

// `faults:` one scheduled fault, active from `at` for `length`.
struct Fault {
    Duration at;
    FaultTarget target = FaultTarget::Service;
    QString name; // the service or channel; empty for the broker
    FaultKind kind = FaultKind::Down;
    Duration length;
    double factor = 1.0; // Slow
    double probability = 0.0; // Error, Drop, Duplicate
    Distribution delay; // Delay
    SourcePos pos;
    SourcePos namePos;

    Duration end() const { return Duration { at.micros + length.micros }; }
    friend bool operator==(const Fault&, const Fault&) = default;
};

// `simulation:` what the simulator needs besides the services' `sim:` blocks.
struct Simulation {
    quint64 seed = 1;
    std::optional<Duration> duration; // the default run length
    QList<LoadGenerator> load;
    Broker broker;
    QList<Fault> faults; // in file order (not sorted by time)
    SourcePos pos;
    friend bool operator==(const Simulation&, const Simulation&) = default;
};

// A whole flow file.
struct Flow {
    static constexpr int SupportedVersion = 1;

    int version = SupportedVersion;
    QString name;
    QString description;
    Correlation correlation;
    QList<Channel> channels;
    QList<Service> services;
    QList<Saga> sagas;
    QList<View> views;
    std::optional<Simulation> simulation;
    QString fileName; // as given to the parser; not compared

    // Every event type the file names (channels, handlers, emits, sagas, views, load,
    // correlation overrides), each once, in first-mention order.
    QStringList eventTypes() const;
    // Types some declared part produces or carries: channel types, emitted types, load
    // generators' types and orchestrators' commands. Used to check references.
    QStringList producedTypes() const;
    // The channel an event type is published on: the declared one, else empty (the
    // default is one channel per emitter, named after it).
    QString channelOf(QStringView type) const;

    const Channel* channel(QStringView name) const;
    const Service* service(QStringView name) const;
    const Saga* saga(QStringView name) const;
    const View* view(QStringView name) const;

    friend bool operator==(const Flow& a, const Flow& b);
};

// Names as the flow file spells them (not toString(): QTest finds that by ADL and expects char*).
QString outcomeName(SagaOutcome outcome);
QString foldName(Fold fold);
QString arrivalName(Arrival arrival);
QString faultKindName(FaultKind kind);

} // namespace FlowScope

Q_DECLARE_TYPEINFO(FlowScope::Correlation::Override, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::Channel, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::EmitChoice, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::Handler, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::Service, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::SagaTransition, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::SagaState, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::Saga, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::ViewColumn, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::View, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::CurvePoint, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::BrokerChannel, Q_RELOCATABLE_TYPE);
Q_DECLARE_TYPEINFO(FlowScope::Fault, Q_RELOCATABLE_TYPE);
// LoadGenerator and DataField hold std::vector, which some standard libraries (MSVC debug)
// do not allow to be moved with memcpy: they stay Q_COMPLEX_TYPE.
Q_DECLARE_METATYPE(FlowScope::Flow)
