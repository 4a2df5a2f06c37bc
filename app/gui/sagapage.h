// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>
#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;

namespace FlowScope {
struct Flow;
}

namespace FlowScope::Gui {

class GraphView;

// Each saga's state machine (from the flow file, laid out by Graphviz) with live counts: how
// many instances sit in each state (heat colour), how often each transition was taken, final
// states ringed and coloured by outcome, compensation paths in amber; and the outcome totals.
class SagaPage final : public QWidget {
    Q_OBJECT
public:
    explicit SagaPage(QWidget* parent = nullptr);
    void setFlow(std::shared_ptr<const Flow> flow);
    void update(const QJsonObject& state);
    GraphView* view() const { return m_view; }
    QString summary() const;

private:
    void showSaga();
    std::shared_ptr<const Flow> m_flow;
    QComboBox* m_choice;
    GraphView* m_view;
    QLabel* m_summary;
    QJsonObject m_state;
};

} // namespace FlowScope::Gui
