// SPDX-License-Identifier: MIT
#pragma once

// Reads and validates flow files (docs/flow-file.md): YAML, or JSON, which is read as YAML.

#include "flowfile.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace FlowScope {

// One problem in a flow file. line and column are 1-based; 0 when the problem has no place
// in the file (it cannot be opened).
struct FlowError {
    QString file;
    int line = 0;
    int column = 0;
    QString message;
    QString hint; // a suggestion ("did you mean `when`?"), or empty

    // "file:line:column: error: message", then "\n  hint: ..." when there is a hint.
    QString toString() const;
    friend bool operator==(const FlowError&, const FlowError&) = default;
};

// The flow when the file is valid; otherwise no flow and every error found, in file order.
struct FlowParseResult {
    std::optional<Flow> flow;
    QList<FlowError> errors;

    bool ok() const { return flow.has_value(); }
    // All errors, one toString() each, separated by newlines.
    QString errorText() const;
};

// Never throws and never crashes on any input; collects as many errors as it can.
class FlowFileParser final {
public:
    static FlowParseResult parseFile(const QString& path);
    static FlowParseResult parseText(const QByteArray& text, const QString& fileName);

    // One fault given outside the file (the CLI's `--fault SPEC`, the GUI's fault panel),
    // written like an entry of `faults:`, with or without braces:
    // `at: 10s, service: payment, down: 30s`. Checked against `flow` (service and channel
    // names). On failure returns nothing and appends to `errors`, with `source` as file name and
    // the lines and columns of `spec` as given. Without `at:` it is an error, or `defaultAt` if set.
    static std::optional<Fault> parseFault(const QString& spec, const Flow& flow, QList<FlowError>* errors,
        const QString& source = QStringLiteral("--fault"), std::optional<Duration> defaultAt = {});
};

} // namespace FlowScope

Q_DECLARE_TYPEINFO(FlowScope::FlowError, Q_RELOCATABLE_TYPE);
