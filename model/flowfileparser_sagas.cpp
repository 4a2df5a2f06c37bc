// SPDX-License-Identifier: MIT
// FlowReader: the `sagas:` and `views:` sections.
#include "flowfileparser_p.h"

#include <QSet>

using namespace Qt::StringLiterals;

namespace FlowScope::FlowParse {

// ---- Sagas ------------------------------------------------------------------------------------

void FlowReader::readSagas(const Entry& e, Flow& flow)
{
    const Fields f = fields(e, u"`sagas`"_s, {}, true);
    for (const Entry& s : f.entries) {
        Saga saga = readSaga(s);
        checkSaga(saga);
        flow.sagas.append(std::move(saga));
    }
}

Saga FlowReader::readSaga(const Entry& e)
{
    Saga saga;
    saga.name = e.name;
    saga.pos = e.keyPos;
    if (!isValidName(e.name))
        error(e.keyPos, u"expected a saga name (without blanks or punctuation), got '%1'"_s.arg(e.name));
    const QString where = u"saga "_s + quoted(saga.name);
    const Fields f = fields(e, where, { u"start", u"timeout", u"orchestrator", u"states" });
    if (!f.isMap)
        return saga;
    if (const Entry* start = f.get(u"start")) {
        saga.start = readName(*start, u"an event type"_s).value_or(QString());
        saga.startPos = start->valuePos;
    } else {
        missing(
            e.keyPos, where, u"start", u"name the event type that opens an instance, as in `start: OrderCreated`"_s);
    }
    if (const Entry* timeout = f.get(u"timeout"))
        saga.timeout = readDuration(*timeout, true);
    // Read before the states: they need to know whether the saga is orchestrated.
    if (const Entry* orchestrator = f.get(u"orchestrator")) {
        saga.orchestrator = readName(*orchestrator, u"a service name"_s).value_or(QString());
        saga.orchestratorPos = orchestrator->valuePos;
    }
    const Entry* states = f.get(u"states");
    if (!states) {
        missing(e.keyPos, where, u"states", u"list the states, the initial one first"_s);
        return saga;
    }
    const Fields sf = fields(*states, u"`states` of "_s + where, {});
    for (const Entry& s : sf.entries)
        saga.states.append(readSagaState(s, saga));
    if (sf.isMap && sf.entries.isEmpty())
        error(states->valuePos, where + u" has no states"_s, u"list the states, the initial one first"_s);
    return saga;
}

SagaState FlowReader::readSagaState(const Entry& e, const Saga& saga)
{
    SagaState state;
    state.name = e.name;
    state.pos = e.keyPos;
    if (!isValidName(e.name))
        error(e.keyPos, u"expected a state name (without blanks or punctuation), got '%1'"_s.arg(e.name));
    const QString where = u"state %1 of saga %2"_s.arg(quoted(state.name), quoted(saga.name));
    const Fields f = fields(e, where, { u"when", u"timeout", u"outcome", u"send", u"on_timeout" }, true);
    const auto needsOrchestrator = [&](const Entry& x) {
        if (!saga.isOrchestrated())
            error(x.keyPos, u"%1 is only for orchestrated sagas"_s.arg(quoted(x.name)),
                u"add `orchestrator: SERVICE` to saga %1"_s.arg(quoted(saga.name)));
    };
    for (const Entry& x : f.entries) {
        if (x.name == u"when") {
            const QString whenWhere = u"`when` of "_s + where;
            const Fields tf = fields(x, whenWhere, {}, true);
            for (const Entry& t : tf.entries) {
                if (!isValidName(t.name))
                    error(t.keyPos, u"expected an event type in %1, got '%2'"_s.arg(whenWhere, t.name));
                if (const std::optional<QString> target = readName(t, u"the name of the next state"_s))
                    state.transitions.append({ t.name, *target, t.keyPos, t.valuePos });
            }
        } else if (x.name == u"timeout") {
            state.timeout = readDuration(x, true);
        } else if (x.name == u"outcome") {
            const QString text = scalarText(x.value).trimmed();
            if (text == u"completed")
                state.outcome = SagaOutcome::Completed;
            else if (text == u"compensated")
                state.outcome = SagaOutcome::Compensated;
            else if (text == u"failed")
                state.outcome = SagaOutcome::Failed;
            else {
                error(x.valuePos,
                    u"expected an outcome: completed, compensated or failed, got %1"_s.arg(describe(x.value)),
                    didYouMean(text, { u"completed"_s, u"compensated"_s, u"failed"_s }));
                state.outcome = SagaOutcome::Failed; // it is meant to be final: one mistake, one error
            }
        } else if (x.name == u"send") {
            needsOrchestrator(x);
            state.send = readName(x, u"an event type"_s).value_or(QString());
        } else if (x.name == u"on_timeout") {
            needsOrchestrator(x);
            state.onTimeout = readName(x, u"a state name"_s).value_or(QString());
            state.onTimeoutPos = x.valuePos;
        }
    }
    if (state.isFinal()) {
        const QString finalState = u"final state %1 of saga %2"_s.arg(quoted(state.name), quoted(saga.name));
        if (!state.transitions.isEmpty())
            error(state.transitions.first().pos, finalState + u" cannot have transitions"_s,
                u"a state with an `outcome` ends the saga; remove `outcome` to continue from it"_s);
        if (const Entry* timeout = f.get(u"timeout"))
            error(timeout->keyPos, finalState + u" cannot have a timeout"_s, u"an ended saga cannot be stuck"_s);
        if (const Entry* onTimeout = f.get(u"on_timeout"))
            error(onTimeout->keyPos, finalState + u" cannot have `on_timeout`"_s);
    }
    return state;
}

// The rules that need the whole state machine. Decided (docs/flow-file.md "Sagas"): a
// non-final state with no way out is an error, since its instances could never end; so is a
// state the initial one cannot reach, and a saga without a final state.
void FlowReader::checkSaga(const Saga& saga)
{
    if (saga.states.isEmpty())
        return;
    QStringList names;
    for (const SagaState& s : saga.states)
        names.append(s.name);
    const QString where = u"saga "_s + quoted(saga.name);
    bool allResolved = true;
    bool hasFinal = false;
    for (const SagaState& s : saga.states) {
        hasFinal = hasFinal || s.isFinal();
        for (const SagaTransition& t : s.transitions) {
            if (names.contains(t.target))
                continue;
            allResolved = false;
            error(t.targetPos,
                u"state %1 of %2 moves to %3, which is not a state of the saga"_s.arg(
                    quoted(s.name), where, quoted(t.target)),
                didYouMean(t.target, names, u"the states are: "_s + names.join(u", "_s)));
        }
        if (!s.onTimeout.isEmpty()) {
            if (!names.contains(s.onTimeout)) {
                allResolved = false;
                error(s.onTimeoutPos,
                    u"`on_timeout` of state %1 names %2, which is not a state of %3"_s.arg(
                        quoted(s.name), quoted(s.onTimeout), where),
                    didYouMean(s.onTimeout, names));
            } else if (!saga.timeoutIn(s)) {
                error(s.onTimeoutPos, u"`on_timeout` of state %1 needs a timeout"_s.arg(quoted(s.name)),
                    u"set `timeout:` on the state or on the saga"_s);
            }
        }
        if (!s.isFinal() && s.transitions.isEmpty() && s.onTimeout.isEmpty())
            error(s.pos,
                u"state %1 of %2 has no transitions and no outcome: its instances could never end"_s.arg(
                    quoted(s.name), where),
                u"add `when:` transitions, or `outcome: completed`, `compensated` or `failed` if the saga ends here"_s);
    }
    if (!hasFinal)
        error(saga.pos, where + u" has no final state"_s,
            u"mark the states where it ends with `outcome: completed`, `compensated` or `failed`"_s);
    // Reachability only when every name resolved; otherwise a typo would also report its
    // intended target as unreachable.
    if (!allResolved)
        return;
    QSet<QString> reached { saga.states.first().name };
    QStringList queue { saga.states.first().name };
    while (!queue.isEmpty()) {
        const SagaState* s = saga.state(queue.takeFirst());
        QStringList next;
        for (const SagaTransition& t : s->transitions)
            next.append(t.target);
        if (!s->onTimeout.isEmpty())
            next.append(s->onTimeout);
        for (const QString& n : next) {
            if (!reached.contains(n)) {
                reached.insert(n);
                queue.append(n);
            }
        }
    }
    for (const SagaState& s : saga.states) {
        if (!reached.contains(s.name))
            error(s.pos,
                u"state %1 of %2 cannot be reached from the initial state %3"_s.arg(
                    quoted(s.name), where, quoted(saga.states.first().name)),
                u"the first state listed is the initial one; add a transition to %1 or remove it"_s.arg(
                    quoted(s.name)));
    }
}

// ---- Views ------------------------------------------------------------------------------------

void FlowReader::readViews(const Entry& e, Flow& flow)
{
    const Fields f = fields(e, u"`views`"_s, {}, true);
    for (const Entry& v : f.entries)
        flow.views.append(readView(v));
}

View FlowReader::readView(const Entry& e)
{
    View view;
    view.name = e.name;
    view.pos = e.keyPos;
    if (!isValidName(e.name))
        error(e.keyPos, u"expected a view name (without blanks or punctuation), got '%1'"_s.arg(e.name));
    const QString where = u"view "_s + quoted(view.name);
    const Fields f = fields(e, where, { u"key", u"columns" });
    if (!f.isMap)
        return view;
    if (const Entry* key = f.get(u"key")) {
        if (const std::optional<FieldPath> path = readPath(*key))
            view.key = *path;
    } else {
        missing(e.keyPos, where, u"key", u"say what a row is keyed by, as in `key: data.orderId`"_s);
    }
    const Entry* columns = f.get(u"columns");
    if (!columns) {
        missing(e.keyPos, where, u"columns", u"add columns such as `status: last(type)`"_s);
        return view;
    }
    const Fields cf = fields(*columns, u"`columns` of "_s + where, {});
    for (const Entry& c : cf.entries) {
        // A row's JSON holds its key as "key" beside one member per column (ViewEngine::rowJson),
        // so a column named `key` overwrote the key, and an unnamed one has no member to be.
        if (c.name == u"key") {
            error(c.keyPos,
                u"a column of %1 is named `key`: `key` is the row's key; name the column otherwise"_s.arg(where));
            continue;
        }
        if (c.name.trimmed().isEmpty()) {
            error(c.keyPos, u"expected a column name in %1, got '%2'"_s.arg(where, c.name),
                u"the name heads the column and names its member in the view's JSON"_s);
            continue;
        }
        if (std::optional<ViewColumn> column = readColumn(c, where))
            view.columns.append(std::move(*column));
    }
    if (cf.isMap && cf.entries.isEmpty())
        error(columns->valuePos, where + u" has no columns"_s, u"add columns such as `status: last(type)`"_s);
    return view;
}

std::optional<ViewColumn> FlowReader::readColumn(const Entry& e, const QString& where)
{
    static const QString expected = u"a column such as last(type), first(data.amount) from OrderCreated or count()"_s;
    if (!expectScalar(e, expected))
        return std::nullopt;
    ViewColumn column;
    column.name = e.name;
    column.pos = e.valuePos;
    column.text = scalarText(e.value).trimmed();
    const QString columnWhere = u"column %1 of %2"_s.arg(quoted(column.name), where);
    const QStringView text(column.text);
    const qsizetype open = text.indexOf(u'(');
    const qsizetype close = text.indexOf(u')', open + 1);
    if (open <= 0 || close < 0) {
        error(e.valuePos, u"expected %1, got '%2'"_s.arg(expected, column.text));
        return std::nullopt;
    }
    const QStringView fold = text.first(open).trimmed();
    const QStringView argument = text.sliced(open + 1, close - open - 1).trimmed();
    const QStringView rest = text.sliced(close + 1).trimmed();

    static const std::pair<QStringView, Fold> folds[] = {
        { u"last", Fold::Last },
        { u"first", Fold::First },
        { u"count", Fold::Count },
        { u"sum", Fold::Sum },
        { u"min", Fold::Min },
        { u"max", Fold::Max },
    };
    bool known = false;
    for (const auto& [name, value] : folds) {
        if (name == fold) {
            column.fold = value;
            known = true;
        }
    }
    if (!known) {
        error(e.valuePos,
            u"unknown fold '%1' in %2: expected last, first, count, sum, min or max"_s.arg(fold, columnWhere),
            didYouMean(fold, { u"last"_s, u"first"_s, u"count"_s, u"sum"_s, u"min"_s, u"max"_s }));
        return std::nullopt;
    }
    if (column.fold == Fold::Count) {
        if (!argument.isEmpty()) {
            error(e.valuePos, u"count() counts events and takes no path, got '%1'"_s.arg(column.text),
                u"to count one event type, write `count() from TYPE`"_s);
            return std::nullopt;
        }
    } else {
        if (argument.isEmpty()) {
            error(e.valuePos, u"%1() needs a path, as in %1(data.amount), in %2"_s.arg(fold, columnWhere));
            return std::nullopt;
        }
        const Parsed<FieldPath> path = FieldPath::parse(argument);
        if (!path) {
            error(e.valuePos, path.error());
            return std::nullopt;
        }
        column.path = *path;
        column.path->pos = e.valuePos;
    }
    if (!rest.isEmpty()) {
        if (!rest.startsWith(u"from") || rest.size() < 5 || !(rest[4].isSpace() || rest[4] == u'[')) {
            error(e.valuePos, u"expected `from TYPE` after %1(...), got '%2'"_s.arg(fold, rest));
            return std::nullopt;
        }
        QStringView list = rest.sliced(4).trimmed();
        if (list.startsWith(u'[') && list.endsWith(u']'))
            list = list.sliced(1, list.size() - 2);
        for (QStringView type : list.tokenize(u',')) {
            const QStringView t = type.trimmed();
            if (!isValidName(t)) {
                error(e.valuePos, u"expected event types after `from`, got '%1'"_s.arg(rest));
                return std::nullopt;
            }
            column.from.append(t.toString());
            column.fromPositions.append(e.valuePos);
        }
        if (column.from.isEmpty()) {
            error(e.valuePos, u"expected event types after `from`, got '%1'"_s.arg(rest));
            return std::nullopt;
        }
    }
    return column;
}

} // namespace FlowScope::FlowParse
