// SPDX-License-Identifier: MIT
#pragma once

#include "theme.h"

#include <kafkasource.h>

#include <QElapsedTimer>
#include <QJsonArray>
#include <QMainWindow>

#include <memory>

class QAction;
class QComboBox;
class QSlider;
class QDockWidget;
class QFrame;
class QLabel;
class QMenu;
class QTableView;
class QTableWidget;
class QTimer;
class QToolButton;

class QJsonArray;

namespace FlowScope {
struct EngineSnapshot;
struct Flow;
struct SagaInstanceSet;
class EventLogModel;
class JsonTableModel;
}

namespace FlowScope::Gui {

class ChartsPage;
class FaultsPage;
class DensityStrip;
class EventsPage;
class Session;
class SimSession;
class SourcePage;
class SagaPage;
class TopologyPage;

// The main window: the topology in the middle, sagas, views, the event log and the services
// in docks, a transport bar (pause, speed) and a fault menu for the simulator, File and View
// menus (open, connect to a live source, recent files, export, theme). A 30 Hz timer reads the
// engine's snapshot and redraws only when its version changed. Errors appear in a banner above
// the topology and in the status bar, never only on stderr.
class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    static constexpr int MaxRecentFiles = 8;

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Runs `flow`'s simulation live. Errors are shown in the window.
    bool startSimulation(std::shared_ptr<const Flow> flow);
    // Replays a recording through `flow`'s projections, with seek and step.
    bool openRecording(const QString& path, std::shared_ptr<const Flow> flow);
    // Watches Kafka live (File > Connect to Kafka): the source records into a temporary
    // recording through the flow file of the session open now, if any. `propertiesFile`, when
    // given, is read first (its properties before those in `options`). Bad settings are shown in
    // the window and return false; an unreachable cluster is not an error (the status bar says
    // "retrying" and why).
    bool connectKafka(Connectors::KafkaSource::Options options, const QString& propertiesFile = {});
    // File > Connect to a source: makes the source the page describes and connects to it
    // (connectSource). Unusable settings (no URL, a missing file) are shown in the window and
    // return false, as are those the source refuses when it starts (a port in use).
    bool connectTo(const SourcePage& page);
    // Watches `source` live, recording into a temporary recording through the flow file of the
    // session open now, if any; `kind` names it in the status bar. Errors as connectTo().
    // A Kafka source also gets a read-only consumer-group watcher: `watchGroups`, or every group
    // the cluster lists.
    bool connectSource(const QString& kind, std::unique_ptr<Connectors::Source> source,
                       const QStringList& watchGroups = {});
    // A flow file (its simulation runs) or a recording (.fsrec), replayed through `flowPath`, or
    // through the flow file of the session open now when that is empty. Errors are shown in the
    // window; a file that opens goes to the top of File > Open Recent.
    bool openFile(const QString& path, const QString& flowPath = {});
    void addRecentFile(const QString& path, const QString& flowPath = {});
    // Most recent first; each "path" or, for a recording replayed with a flow file, "path\nflow".
    QStringList recentFiles() const;

    // The diagrams as pictures or DOT, the format from the suffix: .png, .svg, .dot.
    bool exportTopology(const QString& path);
    bool exportSaga(const QString& path);
    // Copies a simulated or live session's temporary recording to `path` (replacing a file there)
    // on a worker thread; recordingSaved() tells how it went, the status bar or banner shows it.
    void saveSessionRecording(const QString& path);

    void setTheme(Theme::Kind kind, bool keep = true); // keep: in the settings, for the next runs
    // The jump from a saga instance or a view row: the event log shows only this flow's events.
    void showEventsFor(const QString& correlationId);
    // Once this instance shows up: selects it in the saga table (its timeline) and filters the
    // event log on it (`flowscope gui --correlation ID`).
    void focusCorrelation(const QString& correlationId);

    void setSpeed(double speed);
    // Seeks a replay to after event `seq` (nothing for other sessions).
    void seekTo(qint64 seq);
    // Saves a picture of the window (or of one pane: topology, sagas, views, events, services)
    // after `delayMs`, then quits the application.
    void screenshotLater(const QString& path, int delayMs, const QString& pane);
    void showError(const QString& message);
    // Injects a fault written like a faults: entry (the CLI's --fault); without `at:` it starts
    // now. Returns the errors (file:line:column lines, "fault" for the file), "" when injected.
    QString injectFault(const QString& spec);
    QString errorText() const; // what the banner says now ("" when hidden)

    TopologyPage* topologyPage() const { return m_topology; }
    SagaPage* sagaPage() const { return m_sagas; }
    EventsPage* eventsPage() const { return m_events; }
    ChartsPage* chartsPage() const { return m_charts; }
    FaultsPage* faultsPage() const { return m_faultList; }
    JsonTableModel* viewModel() const { return m_viewModel; }
    QTableView* viewTable() const { return m_viewTable; }
    EventLogModel* eventModel() const;
    Session* session() const { return m_session.get(); }
    SimSession* simSession() const;
    quint64 shownVersion() const { return m_shownVersion; }
    QWidget* pane(const QString& name) const;
    QMenu* recentMenu() const { return m_recentMenu; }
    DensityStrip* densityStrip() const { return m_density; }
    QString statusText() const; // the status bar's permanent text: kind, clock, events, rate

protected:
    void closeEvent(QCloseEvent* event) override;

Q_SIGNALS:
    // After saveSessionRecording(): error is empty when the copy holds `events` events.
    void recordingSaved(const QString& path, qint64 events, const QString& error);

private:
    void tick();
    void updateStatus(const EngineSnapshot& snapshot, const QJsonArray& faults);
    void updateTablesIfDue(const EngineSnapshot& snapshot);
    void buildMenus();
    void buildFaultMenu();
    void customFaultDialog();
    QAction* m_customFault = nullptr; // Inject fault > Custom fault... (Ctrl+Shift+F)
    void rebuildRecentMenu();
    void attach(std::unique_ptr<Session> session);
    void hideError();
    std::shared_ptr<const Flow> readFlow(const QString& path);
    void exportDialog(bool topology);
    void connectDialog(const QString& kind); // empty: the page used last
    void showEventsForViewRow(const QModelIndex& index);

    std::unique_ptr<Session> m_session;
    TopologyPage* m_topology;
    SagaPage* m_sagas;
    QComboBox* m_viewChoice;
    JsonTableModel* m_viewModel;
    QTableView* m_viewTable;
    QLabel* m_noViews; // instead of the table, for a flow without views
    EventsPage* m_events;
    QTableWidget* m_services;
    QComboBox* m_speed;
    QAction* m_pause;
    QToolButton* m_faults;
    QAction* m_step;
    QSlider* m_seek;
    DensityStrip* m_density;
    QLabel* m_position;
    QList<QAction*> m_replayActions;
    QAction* m_saveRecording = nullptr;
    QList<QAction*> m_paceActions; // pause and speed: not for a live source
    QAction* m_faultAction = nullptr;
    QLabel* m_status;
    QTimer* m_timer;
    ChartsPage* m_charts;
    FaultsPage* m_faultList; // the simulator's faults, in a dock of their own
    QDockWidget* m_faultDock = nullptr;
    QDockWidget* m_serviceDock = nullptr;
    QFrame* m_banner;
    QLabel* m_bannerText;
    QMenu* m_recentMenu = nullptr;
    QAction* m_lightAction = nullptr;
    QAction* m_darkAction = nullptr;
    QDockWidget* m_sagaDock = nullptr;
    QDockWidget* m_bottomDock = nullptr;
    QDockWidget* m_eventDock = nullptr;
    quint64 m_shownVersion = 0;
    std::shared_ptr<const SagaInstanceSet> m_shownInstances;
    QString m_sessionError; // shown once
    QString m_layoutError;
    QString m_pendingFocus;
    int m_ticks = 0;
    static constexpr int TableTicks = 8;
    int m_tablesTick = -TableTicks; // when the view and service tables were last updated
    bool m_tablesStale = false;
    qint64 m_lastEvents = -1; // at the last rate tick; -1: unknown (a seek, a new session)
    QElapsedTimer m_rateClock;
    double m_rate = 0;
    QJsonArray m_shownFaults; // as the topology shows them
    double m_lastSimSeconds = -1; // at the last rate tick; -1: unknown (a new session)
    double m_reached = 0;         // simulated seconds per wall second since then
};

} // namespace FlowScope::Gui
