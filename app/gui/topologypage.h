// SPDX-License-Identifier: MIT
#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QSet>
#include <QTimer>
#include <QWidget>

#include <memory>

class QLabel;

namespace FlowScope {
class Recording;
}

namespace FlowScope::Gui {

class GraphView;

// The service topology: services (boxes) and channels (ellipses) laid out by Graphviz, edges
// labelled with their rate and coloured by their error rate; drift dashed (grey: declared but
// never seen; orange: seen but not declared). Badges count a service's queue and a consumer
// group's lag; dots travel the edges with the events that cross them.
//
// Relaid out only when nodes or edges appear, at most once a second, with everything in the
// order it was first seen: dot then keeps the graph much as it was, and GraphView moves what
// moved instead of redrawing it.
class TopologyPage final : public QWidget {
    Q_OBJECT
public:
    static constexpr int RelayoutIntervalMs = 1000;

    explicit TopologyPage(QWidget* parent = nullptr);
    ~TopologyPage() override;
    void update(const QJsonObject& state, const QJsonObject& services, const QJsonArray& faults);
    GraphView* view() const { return m_view; }
    int nodeCount() const { return m_nodeCount; }

    // Test hooks: the DOT the current layout was made from, how many layouts were made, and
    // the details shown for the selected node.
    QByteArray dot() const { return m_shape; }
    int relayoutCount() const { return m_relayouts; }
    QString detailsText() const;

    // The session's recording: the details of a selected node list its latest events from it.
    void setRecording(const QString& path);
    static constexpr int LatestEvents = 5;

private:
    QByteArray dotFor(const QJsonArray& nodes, const QJsonArray& edges);
    void relayout();
    void applyStyles(bool traffic);
    void showDetails();
    QStringList activeFaultsOn(const QString& key) const;
    QString latestEventsHtml(const QString& key); // read at most once a second

    GraphView* m_view;
    QLabel* m_details;
    std::unique_ptr<Recording> m_recording;
    QString m_latestKey, m_latestHtml;
    QElapsedTimer m_latestAge;
    QByteArray m_shape; // what the current layout was made from
    QByteArray m_pendingShape; // what the next one will be made from
    int m_nodeCount = 0;
    int m_pendingNodeCount = 0;
    int m_relayouts = 0;
    QElapsedTimer m_sinceLayout;
    QTimer m_relayoutTimer; // coalesces nodes that appear one by one
    // view keys ("s:orders", "c:orders"; edges "s:orders\nc:orders") in first-seen order
    QList<QString> m_nodeOrder, m_edgeOrder;
    QSet<QString> m_seenNodes, m_seenEdges;
    QHash<QString, qint64> m_edgeCounts; // events per edge at the last update: what is new
    QJsonObject m_state;
    QJsonObject m_services;
    QJsonArray m_faults;
};

} // namespace FlowScope::Gui
