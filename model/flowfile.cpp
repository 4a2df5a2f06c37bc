// SPDX-License-Identifier: MIT
#include "flowfile.h"

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace FlowScope {

namespace {

template <typename T> const T* findByName(const QList<T>& list, QStringView name)
{
    const auto it = std::find_if(list.cbegin(), list.cend(), [&](const T& item) { return item.name == name; });
    return it == list.cend() ? nullptr : &*it;
}

void addOnce(QStringList* list, const QString& type)
{
    if (!type.isEmpty() && !list->contains(type))
        list->append(type);
}

} // namespace

const FieldPath* Correlation::pathFor(QStringView type) const
{
    for (const Override& o : overrides) {
        if (o.type == type)
            return &o.path;
    }
    return path ? &*path : nullptr;
}

double Emit::nothingProbability() const
{
    double sum = 0;
    for (const EmitChoice& c : choices)
        sum += c.probability;
    return std::max(0.0, 1.0 - sum);
}

Duration RetryPolicy::baseDelay(int attempt) const
{
    const double raw = double(backoff.micros) * std::pow(multiplier, std::max(0, attempt - 1));
    const double capped = cap ? std::min(raw, double(cap->micros)) : raw;
    return Duration { std::llround(std::min(capped, 9.0e18)) };
}

const Handler* Service::handler(QStringView type) const
{
    for (const Handler& h : handlers) {
        if (h.type == type)
            return &h;
    }
    return nullptr;
}

const SagaTransition* SagaState::transition(QStringView type) const
{
    for (const SagaTransition& t : transitions) {
        if (t.type == type)
            return &t;
    }
    return nullptr;
}

int Saga::stateIndex(QStringView stateName) const
{
    for (qsizetype i = 0; i < states.size(); ++i) {
        if (states[i].name == stateName)
            return int(i);
    }
    return -1;
}

const SagaState* Saga::state(QStringView stateName) const { return findByName(states, stateName); }

std::optional<Duration> Saga::timeoutIn(const SagaState& s) const
{
    if (s.isFinal())
        return std::nullopt;
    return s.timeout ? s.timeout : timeout;
}

double LoadGenerator::meanRate() const
{
    switch (arrival) {
    case Arrival::Poisson:
    case Arrival::Constant:
        return rate.perSecond;
    case Arrival::Bursts:
        return burstEvery.micros > 0 ? burstSize / burstEvery.toSeconds() : 0.0;
    case Arrival::Curve:
        return curve.isEmpty() ? 0.0 : curve.first().rate.perSecond;
    }
    return 0.0;
}

int Broker::partitionsOf(QStringView channel) const
{
    const BrokerChannel* c = findByName(channels, channel);
    return c ? c->partitions : partitions;
}

QStringList Flow::producedTypes() const
{
    QStringList types;
    for (const Channel& c : channels) {
        for (const QString& t : c.types)
            addOnce(&types, t);
    }
    for (const Service& s : services) {
        for (const Handler& h : s.handlers) {
            for (const EmitChoice& c : h.emits.choices)
                addOnce(&types, c.type);
        }
    }
    if (simulation) {
        for (const LoadGenerator& g : simulation->load)
            addOnce(&types, g.type);
    }
    for (const Saga& saga : sagas) {
        for (const SagaState& s : saga.states)
            addOnce(&types, s.send);
    }
    return types;
}

QStringList Flow::eventTypes() const
{
    QStringList types;
    for (const Channel& c : channels) {
        for (const QString& t : c.types)
            addOnce(&types, t);
    }
    for (const Service& s : services) {
        for (const Handler& h : s.handlers) {
            addOnce(&types, h.type);
            for (const EmitChoice& c : h.emits.choices)
                addOnce(&types, c.type);
        }
    }
    for (const Saga& saga : sagas) {
        addOnce(&types, saga.start);
        for (const SagaState& s : saga.states) {
            addOnce(&types, s.send);
            for (const SagaTransition& t : s.transitions)
                addOnce(&types, t.type);
        }
    }
    for (const View& v : views) {
        for (const ViewColumn& c : v.columns) {
            for (const QString& t : c.from)
                addOnce(&types, t);
        }
    }
    if (simulation) {
        for (const LoadGenerator& g : simulation->load)
            addOnce(&types, g.type);
    }
    for (const Correlation::Override& o : correlation.overrides)
        addOnce(&types, o.type);
    return types;
}

QString Flow::channelOf(QStringView type) const
{
    for (const Channel& c : channels) {
        if (c.types.contains(type))
            return c.name;
    }
    return {};
}

const Channel* Flow::channel(QStringView channelName) const { return findByName(channels, channelName); }
const Service* Flow::service(QStringView serviceName) const { return findByName(services, serviceName); }
const Saga* Flow::saga(QStringView sagaName) const { return findByName(sagas, sagaName); }
const View* Flow::view(QStringView viewName) const { return findByName(views, viewName); }

bool operator==(const Flow& a, const Flow& b)
{
    // fileName is where the flow was read from, not what it says.
    return a.version == b.version && a.name == b.name && a.description == b.description
        && a.correlation == b.correlation && a.channels == b.channels && a.services == b.services && a.sagas == b.sagas
        && a.views == b.views && a.simulation == b.simulation;
}

QString outcomeName(SagaOutcome outcome)
{
    switch (outcome) {
    case SagaOutcome::None:
        return {};
    case SagaOutcome::Completed:
        return u"completed"_s;
    case SagaOutcome::Compensated:
        return u"compensated"_s;
    case SagaOutcome::Failed:
        return u"failed"_s;
    }
    return {};
}

QString foldName(Fold fold)
{
    switch (fold) {
    case Fold::Last:
        return u"last"_s;
    case Fold::First:
        return u"first"_s;
    case Fold::Count:
        return u"count"_s;
    case Fold::Sum:
        return u"sum"_s;
    case Fold::Min:
        return u"min"_s;
    case Fold::Max:
        return u"max"_s;
    }
    return {};
}

QString arrivalName(Arrival arrival)
{
    switch (arrival) {
    case Arrival::Poisson:
        return u"poisson"_s;
    case Arrival::Constant:
        return u"constant"_s;
    case Arrival::Bursts:
        return u"bursts"_s;
    case Arrival::Curve:
        return u"curve"_s;
    }
    return {};
}

QString faultKindName(FaultKind kind)
{
    switch (kind) {
    case FaultKind::Down:
        return u"down"_s;
    case FaultKind::Slow:
        return u"slow"_s;
    case FaultKind::Error:
        return u"error"_s;
    case FaultKind::Drop:
        return u"drop"_s;
    case FaultKind::Duplicate:
        return u"duplicate"_s;
    case FaultKind::Delay:
        return u"delay"_s;
    case FaultKind::Partition:
        return u"partition"_s;
    }
    return {};
}

} // namespace FlowScope
