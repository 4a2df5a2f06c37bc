// SPDX-License-Identifier: MIT
#pragma once

// Internal to FlowFileParser: the reader that walks a yaml-cpp document into a Flow. Split
// over flowfileparser.cpp (machinery, top level, channels, services, cross references),
// flowfileparser_sagas.cpp (sagas, views) and flowfileparser_simulation.cpp (simulation).

#include "flowfile.h"
#include "flowfileparser.h"

#include <yaml-cpp/yaml.h>

#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

#include <initializer_list>
#include <limits>
#include <optional>

namespace FlowScope::FlowParse {

// One key/value pair of a YAML map, or one item of a list (then `key` is null and `name` empty).
struct Entry {
    YAML::Node key;
    YAML::Node value;
    QString name;
    SourcePos keyPos;
    SourcePos valuePos; // the value's position; the key's when the value is empty
    // Where the value was reached through a YAML alias (`key: *name`), the alias's key; invalid
    // when it was not. yaml-cpp gives an aliased value the position of its anchor, so an error
    // in it would point at the anchor alone, once per alias; this says which use it was.
    SourcePos via;
    bool inFlowMap = false; // in a `{ }` map, where a comma ends a plain value

    bool isNull() const { return !value.IsDefined() || value.IsNull(); }
};

// The entries of one YAML map that passed the key checks, in file order.
struct Fields {
    QList<Entry> entries;
    bool isMap = false;

    const Entry* get(QStringView key) const;
};

class FlowReader {
public:
    explicit FlowReader(QString fileName);

    std::optional<Flow> readDocument(const YAML::Node& root);
    // `defaultAt`: the start of a fault that gives no `at:` (else that is an error).
    std::optional<Fault> readFaultSpec(const YAML::Node& node, const Flow& flow, std::optional<Duration> defaultAt = {});
    void checkReferences(const Flow& flow);

    // The text the positions are in: error() then gives columns in characters, not bytes.
    void setSource(const QByteArray& text) { m_lines = text.split('\n'); }
    void error(SourcePos pos, QString message, QString hint = {});
    bool hasErrors() const { return !m_errors.isEmpty(); }
    // The errors in file order (stable for errors at the same place).
    QList<FlowError> takeErrors();

    static SourcePos posOf(const YAML::Node& node);
    static QString scalarText(const YAML::Node& node);
    static Entry makeEntry(const YAML::Node& key, const YAML::Node& value, SourcePos fallback);
    static Entry itemEntry(const YAML::Node& item, SourcePos fallback);

private:
    // ---- structure (flowfileparser.cpp)
    // The fields of the map in `owner.value`, described as `what` in messages. An empty
    // `allowed` accepts any key (maps of names). Unknown and duplicate keys are reported and
    // left out. With `nullIsEmpty` an empty value is an empty map rather than an error.
    Fields fields(
        const Entry& owner, const QString& what, std::initializer_list<QStringView> allowed, bool nullIsEmpty = false);
    Fields fields(const Entry& owner, const QString& what, const QStringList& allowed, bool nullIsEmpty = false);
    // The items of the list in `owner.value`; empty (and an error) if it is not a list.
    QList<Entry> items(const Entry& owner, const QString& what);
    // Counts `count` more nodes walked below `owner`; false (and an error, once) past MaxNodes.
    bool walk(const Entry& owner, qsizetype count);
    static void noteAlias(const Entry& owner, Entry* e);
    static void joinSplitCalls(QList<Entry>* entries);
    void missing(SourcePos pos, const QString& what, QStringView key, const QString& hint = {});
    // Reports an entry that is not a plain scalar; returns false then.
    bool expectScalar(const Entry& e, const QString& expected);

    // ---- scalars: each reports its own error at the value and returns nothing then
    std::optional<QString> readName(const Entry& e, const QString& what);
    std::optional<qint64> readInteger(const Entry& e, qint64 min, qint64 max = std::numeric_limits<int>::max());
    std::optional<int> readInt(const Entry& e, int min);
    // 0 to 2^64 - 1: a seed is 64 bits (Simulation::seed, the CLI's --seed).
    std::optional<quint64> readUnsigned(const Entry& e);
    std::optional<double> readNumber(const Entry& e, double min, double max);
    std::optional<FieldPath> readPath(const Entry& e);
    template <typename T> std::optional<T> readValue(const Entry& e, Parsed<T> (*parse)(QStringView));
    static QString about(const Entry& e); // "`key`: " for a value's error, or nothing for a list item
    // The hint for a value that a comma in `{ }` cut short (`uniform(1ms`), else nothing.
    static QString cutShortHint(const Entry& e);
    std::optional<Duration> readDuration(const Entry& e, bool positive = false);
    std::optional<Distribution> readTimeDistribution(const Entry& e);

    // ---- sections (flowfileparser.cpp)
    void readCorrelation(const Entry& e, Flow& flow);
    void readChannels(const Entry& e, Flow& flow);
    void readServices(const Entry& e, Flow& flow);
    Service readService(const Entry& e);
    Emit readEmit(const Entry& e, const QString& where);
    ServiceSim readServiceSim(const Entry& e, const QString& service);
    RetryPolicy readRetry(const Entry& e, const QString& where);
    Serverless readServerless(const Entry& e, const QString& where);

    // ---- sagas and views (flowfileparser_sagas.cpp)
    void readSagas(const Entry& e, Flow& flow);
    Saga readSaga(const Entry& e);
    SagaState readSagaState(const Entry& e, const Saga& saga);
    void checkSaga(const Saga& saga);
    void readViews(const Entry& e, Flow& flow);
    View readView(const Entry& e);
    std::optional<ViewColumn> readColumn(const Entry& e, const QString& where);

    // ---- simulation (flowfileparser_simulation.cpp)
    Simulation readSimulation(const Entry& e);
    std::optional<LoadGenerator> readGenerator(const Entry& e);
    std::vector<DataField> readData(const Entry& e, const QString& where, int depth);
    Broker readBroker(const Entry& e);
    std::optional<Fault> readFault(const Entry& e, std::optional<Duration> defaultAt = {});

    // ---- references (flowfileparser.cpp)
    void checkType(const QString& type, SourcePos pos, const QString& what, const QStringList& known);

    QString m_fileName;
    QList<FlowError> m_errors;
    QSet<QString> m_reported; // "line:column:message", to report an error read through an alias once
    QList<QByteArray> m_lines; // setSource()
    qsizetype m_walked = 0; // map entries and list items read, an aliased value once per alias
    bool m_tooBig = false; // MaxNodes was passed: the reading stops, and reports nothing more
};

// The most map entries and list items a flow file may expand to. Aliases repeat what their
// anchor holds, so a few lines of nested aliases (a "billion laughs") expand to billions of
// values: 36 s and 4.6 GB for seven levels of ten before this limit. The demo flows have a few
// hundred; a generated flow of a thousand services a few tens of thousands.
inline constexpr qsizetype MaxNodes = 100000;

// `name` as it appears in messages: `name` in backticks.
QString quoted(QStringView name);
// What a YAML node is, for "got ..." in messages: 'text', a list, a map, nothing.
QString describe(const YAML::Node& node);
// "did you mean `x`?" for the closest candidate, else `fallback`.
QString didYouMean(QStringView word, const QStringList& candidates, const QString& fallback = {});
// A valid event type or name: not empty, no blanks, no flow punctuation.
bool isValidName(QStringView name);

template <typename T> std::optional<T> FlowReader::readValue(const Entry& e, Parsed<T> (*parse)(QStringView))
{
    if (!e.value.IsScalar()) {
        // The parser's own "expected ..." text, with what was really there.
        QString message = parse(QStringView()).error();
        const qsizetype got = message.lastIndexOf(QStringLiteral(", got "));
        if (got >= 0)
            message.truncate(got);
        error(e.valuePos, about(e) + message + QStringLiteral(", got ") + describe(e.value));
        return std::nullopt;
    }
    const Parsed<T> parsed = parse(scalarText(e.value));
    if (!parsed) {
        error(e.valuePos, about(e) + parsed.error(), cutShortHint(e));
        return std::nullopt;
    }
    return parsed.value();
}

} // namespace FlowScope::FlowParse
