// SPDX-License-Identifier: MIT
// FlowReader: the `simulation:` section (load generators, payload templates, broker, faults),
// and FlowFileParser::parseFault, one fault given outside the file.
#include "flowfileparser_p.h"

using namespace Qt::StringLiterals;

namespace FlowScope {

std::optional<Fault> FlowFileParser::parseFault(const QString& spec, const Flow& flow, QList<FlowError>* errors,
    const QString& source, std::optional<Duration> defaultAt)
{
    using FlowParse::FlowReader;
    FlowReader reader(source);
    std::optional<Fault> fault;
    // Errors point into the text as given, not into the trimmed copy nor the braces added to it:
    // where its first character is (after blank lines and spaces), and how far the copy moved it.
    qsizetype first = 0;
    int firstLine = 1, firstColumn = 1;
    for (; first < spec.size() && spec[first].isSpace(); ++first) {
        if (spec[first] == u'\n') {
            ++firstLine;
            firstColumn = 1;
        } else {
            ++firstColumn;
        }
    }
    QString text = spec.trimmed();
    const bool braced = text.startsWith(u'{');
    if (!braced)
        text = u'{' + text + u"\n}"; // on a line of its own: not inside a trailing # comment
    try {
        fault = reader.readFaultSpec(YAML::Load(text.toStdString()), flow, defaultAt);
    } catch (const YAML::Exception& e) {
        reader.error(e.mark.line >= 0 ? SourcePos { e.mark.line + 1, std::max(1, e.mark.column + 1) }
                                      : SourcePos {},
            u"invalid fault: "_s + QString::fromStdString(e.msg));
    } catch (const std::exception& e) {
        reader.error({}, u"invalid fault: "_s + QString::fromLocal8Bit(e.what()));
    }
    QList<FlowError> found = reader.takeErrors();
    const QString trimmed = spec.trimmed();
    const int lines = int(trimmed.count(u'\n')) + 1;
    for (FlowError& e : found) {
        if (e.line <= 0)
            continue;
        if (!braced && e.line > lines) { // on the added closing brace: just past the text's end
            e.line = lines;
            e.column = int(trimmed.size() - trimmed.lastIndexOf(u'\n')); // the last line's length + 1
            if (lines == 1)
                ++e.column; // as a column of the braced copy, which the line below maps back

        }
        if (e.line == 1) // the added brace counts for none: its own errors go to the first character
            e.column = std::max(firstColumn, e.column - (braced ? 0 : 1) + firstColumn - 1);
        e.line += firstLine - 1;
    }
    if (errors)
        errors->append(found);
    return found.isEmpty() ? fault : std::nullopt;
}

namespace FlowParse {

namespace {

constexpr int MaxTemplateDepth = 16;

} // namespace

Simulation FlowReader::readSimulation(const Entry& e)
{
    Simulation sim;
    sim.pos = e.valuePos;
    const Fields f = fields(e, u"`simulation`"_s, { u"seed", u"duration", u"load", u"broker", u"faults" }, true);
    for (const Entry& x : f.entries) {
        if (x.name == u"seed") {
            sim.seed = readUnsigned(x).value_or(sim.seed);
        } else if (x.name == u"duration") {
            sim.duration = readDuration(x, true);
        } else if (x.name == u"load") {
            for (const Entry& item : items(x, u"`load`"_s)) {
                if (std::optional<LoadGenerator> g = readGenerator(item))
                    sim.load.append(std::move(*g));
            }
        } else if (x.name == u"broker") {
            sim.broker = readBroker(x);
        } else if (x.name == u"faults") {
            for (const Entry& item : items(x, u"`faults`"_s)) {
                if (std::optional<Fault> fault = readFault(item))
                    sim.faults.append(std::move(*fault));
            }
        }
    }
    return sim;
}

std::optional<LoadGenerator> FlowReader::readGenerator(const Entry& e)
{
    const QString where = u"the load generator"_s;
    const Fields f
        = fields(e, where, { u"emit", u"from", u"rate", u"arrival", u"burst", u"curve", u"start", u"stop", u"data" });
    if (!f.isMap)
        return std::nullopt;
    const qsizetype errorsBefore = m_errors.size();
    LoadGenerator g;
    g.pos = e.valuePos;
    if (const Entry* emitEntry = f.get(u"emit"))
        g.type = readName(*emitEntry, u"an event type"_s).value_or(QString());
    else
        missing(e.valuePos, where, u"emit", u"name the event type it generates, as in `emit: OrderCreated`"_s);
    if (const Entry* from = f.get(u"from")) {
        g.from = readName(*from, u"a service name"_s).value_or(g.from);
        g.fromPos = from->valuePos;
    }
    if (const Entry* rate = f.get(u"rate"))
        g.rate = readValue(*rate, &Rate::parse).value_or(Rate {});

    const Entry* arrival = f.get(u"arrival");
    const Entry* burst = f.get(u"burst");
    const Entry* curve = f.get(u"curve");
    // The arrival process follows from `burst:` or `curve:` when `arrival:` is left out.
    g.arrival = burst ? Arrival::Bursts : curve ? Arrival::Curve : Arrival::Poisson;
    if (arrival) {
        const QString text = scalarText(arrival->value).trimmed();
        static const std::pair<QStringView, Arrival> kinds[] = {
            { u"poisson", Arrival::Poisson },
            { u"constant", Arrival::Constant },
            { u"bursts", Arrival::Bursts },
            { u"curve", Arrival::Curve },
        };
        bool known = false;
        for (const auto& [name, kind] : kinds) {
            if (name == text) {
                g.arrival = kind;
                known = true;
            }
        }
        if (!known)
            error(arrival->valuePos,
                u"expected an arrival process: poisson, constant, bursts or curve, got %1"_s.arg(
                    describe(arrival->value)),
                didYouMean(text, { u"poisson"_s, u"constant"_s, u"bursts"_s, u"curve"_s }));
    }
    const QString arrivalText = arrivalName(g.arrival);
    const auto notWith = [&](const Entry* x, const QString& why) {
        if (x)
            error(x->keyPos, u"%1 does not apply to `arrival: %2`"_s.arg(quoted(x->name), arrivalText), why);
    };
    const Entry* rate = f.get(u"rate");
    switch (g.arrival) {
    case Arrival::Poisson:
    case Arrival::Constant:
        if (!rate)
            missing(e.valuePos, where, u"rate", u"say how often, as in `rate: 200/s`"_s);
        notWith(burst, u"write `arrival: bursts` to generate bursts"_s);
        notWith(curve, u"write `arrival: curve` to follow a rate curve"_s);
        break;
    case Arrival::Bursts:
        notWith(rate, u"the mean rate of bursts is `size` per `every`"_s);
        notWith(curve, {});
        if (!burst)
            missing(e.valuePos, where, u"burst", u"as in `burst: { size: 100, every: 10s }`"_s);
        break;
    case Arrival::Curve:
        notWith(rate, u"the rate follows the curve"_s);
        notWith(burst, {});
        if (!curve)
            missing(e.valuePos, where, u"curve", u"as in `curve: { 0s: 50/s, 1m: 400/s, 2m: 50/s }`"_s);
        break;
    }
    if (burst) {
        const Fields bf = fields(*burst, u"`burst` of "_s + where, { u"size", u"every" });
        const Entry* size = bf.get(u"size");
        const Entry* every = bf.get(u"every");
        if (size)
            g.burstSize = readInt(*size, 1).value_or(0);
        if (every)
            g.burstEvery = readDuration(*every, true).value_or(Duration {});
        if (bf.isMap && (!size || !every))
            missing(burst->valuePos, u"`burst`"_s, size ? u"every" : u"size",
                u"as in `burst: { size: 100, every: 10s }`"_s);
    }
    if (curve) {
        const Fields cf = fields(*curve, u"`curve` of "_s + where, {});
        for (const Entry& point : cf.entries) {
            const Parsed<Duration> at = Duration::parse(point.name);
            if (!at) {
                error(point.keyPos, at.error(), u"a curve maps times to rates, as in `{ 0s: 50/s, 1m: 400/s }`"_s);
                continue;
            }
            const std::optional<Rate> r = readValue(point, &Rate::parse);
            if (!r)
                continue;
            if (!g.curve.isEmpty() && *at <= g.curve.last().at) {
                error(point.keyPos,
                    u"curve times must increase: %1 comes after %2"_s.arg(point.name, g.curve.last().at.toString()));
                continue;
            }
            g.curve.append({ *at, *r, point.keyPos });
        }
        if (cf.isMap && cf.entries.isEmpty())
            error(curve->valuePos, u"the curve has no points"_s, u"as in `curve: { 0s: 50/s, 1m: 400/s }`"_s);
    }
    if (const Entry* start = f.get(u"start"))
        g.start = readDuration(*start).value_or(Duration {});
    if (const Entry* stop = f.get(u"stop")) {
        g.stop = readDuration(*stop);
        if (g.stop && *g.stop <= g.start)
            error(stop->valuePos,
                u"`stop` (%1) must come after `start` (%2)"_s.arg(g.stop->toString(), g.start.toString()));
    }
    if (const Entry* data = f.get(u"data"))
        g.data = readData(*data, u"`data` of "_s + where, 0);
    if (m_errors.size() > errorsBefore)
        return std::nullopt;
    return g;
}

std::vector<DataField> FlowReader::readData(const Entry& e, const QString& where, int depth)
{
    std::vector<DataField> result;
    if (depth > MaxTemplateDepth) {
        error(e.valuePos, u"the payload template is nested more than %1 levels deep"_s.arg(MaxTemplateDepth));
        return result;
    }
    const Fields f = fields(e, where, {}, true);
    for (const Entry& x : f.entries) {
        DataField field;
        field.name = x.name;
        field.pos = x.keyPos;
        if (x.value.IsMap()) {
            field.isObject = true;
            field.fields = readData(x, u"%1 in %2"_s.arg(quoted(x.name), where), depth + 1);
        } else if (x.isNull()) {
            field.value.type = ValueTemplate::Type::Null;
            field.value.pos = x.valuePos;
        } else if (x.value.IsScalar()) {
            // yaml-cpp tags a quoted scalar "!", a plain one "?": `"5"` is text, `5` a number.
            const Parsed<ValueTemplate> t = ValueTemplate::parse(scalarText(x.value), x.value.Tag() == "!");
            if (!t) {
                error(x.valuePos, t.error());
                continue;
            }
            field.value = *t;
            field.value.pos = x.valuePos;
        } else {
            error(x.valuePos,
                u"expected a template such as \"${id}\" or a map of fields, got %1"_s.arg(describe(x.value)),
                u"payload templates have no lists yet"_s);
            continue;
        }
        result.push_back(std::move(field));
    }
    return result;
}

Broker FlowReader::readBroker(const Entry& e)
{
    Broker broker;
    broker.pos = e.valuePos;
    const Fields f = fields(e, u"`broker`"_s, { u"latency", u"partitions", u"channels" }, true);
    for (const Entry& x : f.entries) {
        if (x.name == u"latency") {
            broker.latency = readTimeDistribution(x).value_or(broker.latency);
        } else if (x.name == u"partitions") {
            broker.partitions = readInt(x, 1).value_or(broker.partitions);
        } else if (x.name == u"channels") {
            const Fields cf = fields(x, u"`channels` of `broker`"_s, {});
            for (const Entry& c : cf.entries) {
                BrokerChannel channel { c.name, broker.partitions, c.keyPos };
                const Fields pf = fields(c, u"channel %1 of `broker`"_s.arg(quoted(c.name)), { u"partitions" });
                if (const Entry* p = pf.get(u"partitions"))
                    channel.partitions = readInt(*p, 1).value_or(channel.partitions);
                broker.channels.append(channel);
            }
        }
    }
    return broker;
}

std::optional<Fault> FlowReader::readFault(const Entry& e, std::optional<Duration> defaultAt)
{
    const QString where = u"the fault"_s;
    const Fields f = fields(e, where,
        { u"at", u"for", u"service", u"channel", u"broker", u"down", u"slow", u"error", u"drop", u"duplicate", u"delay",
            u"partition" });
    if (!f.isMap)
        return std::nullopt;
    const qsizetype errorsBefore = m_errors.size();
    Fault fault;
    fault.pos = e.valuePos;
    if (const Entry* at = f.get(u"at"))
        fault.at = readDuration(*at).value_or(Duration {});
    else if (defaultAt)
        fault.at = *defaultAt;
    else
        missing(e.valuePos, where, u"at", u"say when it starts, as in `at: 60s`"_s);

    static const std::pair<QStringView, FaultTarget> targets[] = {
        { u"service", FaultTarget::Service },
        { u"channel", FaultTarget::Channel },
        { u"broker", FaultTarget::Broker },
    };
    static const std::pair<QStringView, FaultKind> kinds[] = {
        { u"down", FaultKind::Down },
        { u"slow", FaultKind::Slow },
        { u"error", FaultKind::Error },
        { u"drop", FaultKind::Drop },
        { u"duplicate", FaultKind::Duplicate },
        { u"delay", FaultKind::Delay },
        { u"partition", FaultKind::Partition },
    };
    const Entry* target = nullptr;
    const Entry* kind = nullptr;
    for (const Entry& x : f.entries) {
        for (const auto& [name, value] : targets) {
            if (x.name != name)
                continue;
            if (target) {
                error(x.keyPos, u"a fault has one target, and %1 is already given"_s.arg(quoted(target->name)));
                continue;
            }
            target = &x;
            fault.target = value;
        }
        for (const auto& [name, value] : kinds) {
            if (x.name != name)
                continue;
            if (kind) {
                error(x.keyPos, u"a fault does one thing, and %1 is already given"_s.arg(quoted(kind->name)),
                    u"write a second fault with the same `at`"_s);
                continue;
            }
            kind = &x;
            fault.kind = value;
        }
    }
    if (!target) {
        error(e.valuePos, u"the fault has no target"_s, u"add `service: NAME`, `channel: NAME` or `broker: all`"_s);
    } else if (fault.target == FaultTarget::Broker) {
        if (!target->isNull() && scalarText(target->value).trimmed() != u"all")
            error(target->valuePos, u"`broker` takes `all` (the whole broker), got %1"_s.arg(describe(target->value)));
    } else {
        fault.name = readName(*target, fault.target == FaultTarget::Service ? u"a service name"_s : u"a channel name"_s)
                         .value_or(QString());
        fault.namePos = target->valuePos;
    }
    if (!kind) {
        error(e.valuePos, u"the fault does not say what happens"_s,
            u"add one of `down: 30s`, `slow: 10x`, `error: 5%`, `drop: 5%`, `duplicate: 1%`, `delay: exp(500ms)` "
            u"or `partition: 30s`"_s);
        return std::nullopt;
    }

    bool forService = false;
    bool forChannel = false;
    bool forBroker = false;
    bool lengthInValue = false; // `down: 30s` says how long itself
    switch (fault.kind) {
    case FaultKind::Down:
        fault.length = readDuration(*kind, true).value_or(Duration {});
        forService = forBroker = lengthInValue = true;
        break;
    case FaultKind::Partition:
        fault.length = readDuration(*kind, true).value_or(Duration {});
        forService = lengthInValue = true;
        break;
    case FaultKind::Slow:
        fault.factor = readValue(*kind, &parseFactor).value_or(1.0);
        forService = true;
        break;
    case FaultKind::Error:
        fault.probability = readValue(*kind, &parseProbability).value_or(0.0);
        forService = true;
        break;
    case FaultKind::Drop:
    case FaultKind::Duplicate:
        fault.probability = readValue(*kind, &parseProbability).value_or(0.0);
        forChannel = forBroker = true;
        break;
    case FaultKind::Delay:
        fault.delay = readTimeDistribution(*kind).value_or(Distribution {});
        forChannel = forBroker = true;
        break;
    }
    if (target) {
        const bool fits = (fault.target == FaultTarget::Service && forService)
            || (fault.target == FaultTarget::Channel && forChannel)
            || (fault.target == FaultTarget::Broker && forBroker);
        if (!fits) {
            QStringList onto;
            if (forService)
                onto.append(u"a service"_s);
            if (forChannel)
                onto.append(u"a channel"_s);
            if (forBroker)
                onto.append(u"the broker"_s);
            error(kind->keyPos,
                u"%1 applies to %2, not to %3"_s.arg(quoted(kind->name), onto.join(u" or "_s),
                    fault.target == FaultTarget::Service       ? u"a service"_s
                        : fault.target == FaultTarget::Channel ? u"a channel"_s
                                                               : u"the broker"_s));
        }
    }
    const Entry* length = f.get(u"for");
    if (lengthInValue && length) {
        error(length->keyPos, u"%1 already says how long, so `for` does not apply"_s.arg(quoted(kind->name)),
            u"write `%1: %2`"_s.arg(kind->name, scalarText(length->value)));
    } else if (!lengthInValue) {
        if (length)
            fault.length = readDuration(*length, true).value_or(Duration {});
        else
            missing(e.valuePos, where, u"for", u"say how long %1 lasts, as in `for: 20s`"_s.arg(quoted(kind->name)));
    }
    if (m_errors.size() > errorsBefore)
        return std::nullopt;
    return fault;
}

} // namespace FlowParse
} // namespace FlowScope
