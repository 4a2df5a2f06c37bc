// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>
#include <QWidget>

class QLabel;

namespace FlowScope::Gui {

class GraphView;

// The service topology: services (boxes) and channels (ellipses) laid out by Graphviz, edges
// labelled with their rate and coloured by their error rate; drift dashed (grey: declared but
// never seen; orange: seen but not declared). Relaid out only when nodes or edges appear.
class TopologyPage final : public QWidget {
    Q_OBJECT
public:
    explicit TopologyPage(QWidget* parent = nullptr);
    void update(const QJsonObject& state, const QJsonObject& services, const QJsonArray& faults);
    GraphView* view() const { return m_view; }
    int nodeCount() const { return m_nodeCount; }

private:
    void showDetails();
    GraphView* m_view;
    QLabel* m_details;
    QByteArray m_shape; // what the current layout was made from
    int m_nodeCount = 0;
    QJsonObject m_state;
    QJsonObject m_services;
};

} // namespace FlowScope::Gui
