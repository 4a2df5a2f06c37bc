// SPDX-License-Identifier: MIT
#pragma once

#include <QTableWidget>

class QJsonArray;
class QJsonObject;

namespace FlowScope::Gui {

// The simulator's faults, as a table (DESIGN.md "a fault panel for the simulator"): those of the
// flow file and those injected from the window, each with what it does, when, and whether it is
// scheduled, active or over at the simulated time shown. The Inject fault menu adds to it.
class FaultsPage final : public QTableWidget {
    Q_OBJECT
public:
    explicit FaultsPage(QWidget* parent = nullptr);
    // `faults`: Simulator::faultsJson()'s "faults"; `nowSeconds`: the simulated clock.
    void showFaults(const QJsonArray& faults, double nowSeconds); // not update(): QWidget::update() repaints
    // "active", "scheduled" or "over" for row `row` (for tests).
    QString stateOf(int row) const;
    // How strong a fault of faultsJson() is, for the kinds that say: "3x", "20 %", "exp(500ms)";
    // else "". The table's strength column, and the topology's mark of an active fault.
    static QString strengthOf(const QJsonObject& fault);
};

} // namespace FlowScope::Gui
