// SPDX-License-Identifier: MIT
#include "mainwindow.h"

#include "chartspage.h"
#include "densitystrip.h"
#include "eventspage.h"
#include "faultspage.h"
#include "graphview.h"
#include "sagapage.h"
#include "simsession.h"
#include "topologypage.h"

#include <engine.h>
#include <eventlogmodel.h>
#include <flowfile.h>
#include <jsontablemodel.h>
#include <timeformat.h>

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLoggingCategory>
#include <QMenu>
#include <QMenuBar>
#include <QProxyStyle>
#include <QSettings>
#include <QSlider>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QTableView>
#include <QTableWidget>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

Q_LOGGING_CATEGORY(LOG_GUI, "flowscope.gui")
// QT_LOGGING_RULES="flowscope.gui.timing.debug=true": each part of a window update that took
// 5 ms or more, to find what keeps the GUI thread busy (with flowscope-guibench --trace).
Q_LOGGING_CATEGORY(LOG_TIMING, "flowscope.gui.timing", QtInfoMsg)

namespace FlowScope::Gui {

namespace {

class TimedSection {
public:
    explicit TimedSection(const char* name)
        : m_name(name)
    {
        if (LOG_TIMING().isDebugEnabled())
            m_clock.start();
    }
    ~TimedSection()
    {
        if (m_clock.isValid() && m_clock.elapsed() >= 5)
            qCDebug(LOG_TIMING, "%s: %lld ms", m_name, static_cast<long long>(m_clock.elapsed()));
    }
    TimedSection(const TimedSection&) = delete;
    TimedSection& operator=(const TimedSection&) = delete;

private:
    const char* m_name;
    QElapsedTimer m_clock;
};
// The application's style, except that a left click on a slider's groove moves the handle there
// (as the middle button does) instead of a page towards it: on the seek slider a click means
// "go here".
class AbsoluteClickStyle final : public QProxyStyle {
public:
    int styleHint(StyleHint hint, const QStyleOption* option, const QWidget* widget,
                  QStyleHintReturn* returnData) const override
    {
        if (hint == QStyle::SH_Slider_AbsoluteSetButtons)
            return Qt::LeftButton | Qt::MiddleButton;
        return QProxyStyle::styleHint(hint, option, widget, returnData);
    }
};

QDockWidget* dock(QMainWindow* w, const QString& title, const QString& name, QWidget* content, Qt::DockWidgetArea area)
{
    auto* d = new QDockWidget(title, w);
    d->setObjectName(name);
    d->setWidget(content);
    w->addDockWidget(area, d);
    return d;
}
} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_topology(new TopologyPage(this))
    , m_sagas(new SagaPage(this))
    , m_viewChoice(new QComboBox(this))
    , m_viewModel(new JsonTableModel(this))
    , m_viewTable(new QTableView(this))
    , m_noViews(new QLabel(this))
    , m_events(new EventsPage(this))
    , m_services(new QTableWidget(this))
    , m_speed(new QComboBox(this))
    , m_pause(new QAction(tr("Pause"), this))
    , m_faults(new QToolButton(this))
    , m_step(new QAction(tr("Step"), this))
    , m_seek(new QSlider(Qt::Horizontal, this))
    , m_density(new DensityStrip(this))
    , m_position(new QLabel(this))
    , m_status(new QLabel(this))
    , m_timer(new QTimer(this))
    , m_charts(new ChartsPage(this))
    , m_faultList(new FaultsPage(this))
    , m_banner(new QFrame(this))
    , m_bannerText(new QLabel(this))
{
    setWindowTitle(tr("FlowScope"));
    // the error banner sits above the topology; its colours are its own, readable in both themes
    auto* centre = new QWidget(this);
    auto* centreLayout = new QVBoxLayout(centre);
    centreLayout->setContentsMargins(0, 0, 0, 0);
    centreLayout->setSpacing(0);
    m_banner->setObjectName(QStringLiteral("errorFrame"));
    m_banner->setStyleSheet(QStringLiteral("#errorFrame { background: #f8d7da; border: 1px solid #e4a3aa; }"
                                           "#errorFrame QLabel { color: #58151c; }"));
    auto* bannerLayout = new QHBoxLayout(m_banner);
    bannerLayout->setContentsMargins(8, 4, 4, 4);
    m_bannerText->setObjectName(QStringLiteral("errorBanner"));
    m_bannerText->setWordWrap(true);
    m_bannerText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    bannerLayout->addWidget(m_bannerText, 1);
    auto* dismiss = new QToolButton(m_banner);
    dismiss->setText(tr("Dismiss"));
    dismiss->setAutoRaise(true);
    connect(dismiss, &QToolButton::clicked, this, &MainWindow::hideError);
    bannerLayout->addWidget(dismiss, 0, Qt::AlignTop);
    m_banner->hide();
    centreLayout->addWidget(m_banner);
    centreLayout->addWidget(m_topology, 1);
    setCentralWidget(centre);
    setDockNestingEnabled(true);
    // the saga pane (diagram, instances, timeline) gets the window's full height
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
    setCorner(Qt::TopRightCorner, Qt::RightDockWidgetArea);

    auto* sagaDock = dock(this, tr("Sagas"), QStringLiteral("sagas"), m_sagas, Qt::RightDockWidgetArea);

    auto* views = new QWidget(this);
    auto* viewsLayout = new QVBoxLayout(views);
    viewsLayout->setContentsMargins(0, 0, 0, 0);
    viewsLayout->addWidget(m_viewChoice);
    auto* viewProxy = new QSortFilterProxyModel(this);
    viewProxy->setSourceModel(m_viewModel);
    viewProxy->setSortRole(JsonTableModel::SortRole);
    m_viewTable->setModel(viewProxy);
    m_viewTable->setSortingEnabled(true);
    m_viewTable->sortByColumn(0, Qt::AscendingOrder);
    m_viewTable->verticalHeader()->hide();
    // Not ResizeToContents: that lays out the text of every row on each update (up to 30 a
    // second, 500 rows), which stalled the window for 100 ms and more. Sized when columns change.
    m_viewTable->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_viewTable->horizontalHeader()->setStretchLastSection(true);
    m_viewTable->horizontalHeader()->setResizeContentsPrecision(64); // widths from 64 rows, not 500
    m_viewTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_viewTable->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_viewTable->setToolTip(tr("Double-click a row for its events (its key as the correlation id)"));
    auto* viewEvents = new QAction(tr("Show events for this key"), m_viewTable);
    m_viewTable->addAction(viewEvents);
    connect(viewEvents, &QAction::triggered, this, [this] { showEventsForViewRow(m_viewTable->currentIndex()); });
    connect(m_viewTable, &QTableView::doubleClicked, this, &MainWindow::showEventsForViewRow);
    viewsLayout->addWidget(m_viewTable);
    m_noViews->setObjectName(QStringLiteral("noViews"));
    m_noViews->setAlignment(Qt::AlignCenter);
    m_noViews->setWordWrap(true);
    m_noViews->setEnabled(false); // greyed: a hint, not content
    m_noViews->hide();
    viewsLayout->addWidget(m_noViews);
    auto* viewDock = dock(this, tr("Views"), QStringLiteral("views"), views, Qt::BottomDockWidgetArea);

    auto* eventDock = dock(this, tr("Events"), QStringLiteral("events"), m_events, Qt::BottomDockWidgetArea);
    connect(m_events, &EventsPage::errorOccurred, this, &MainWindow::showError);
    connect(m_sagas, &SagaPage::showEventsRequested, this, &MainWindow::showEventsFor);

    // the simulator's metrics stream, one row a service (a header's tooltip says what it counts)
    const std::pair<QString, QString> serviceColumns[] = {
        { tr("service"), QString() },
        { tr("processed"), tr("Events handled successfully") },
        { tr("failed"), tr("Attempts that failed or timed out (each failed retry counts)") },
        { tr("retries"), tr("Attempts made again after a failure") },
        { tr("dead"), tr("Events given up on after the last retry (dead-lettered)") },
        { tr("dropped"), tr("Deliveries lost to a channel fault on the way to the service") },
        { tr("dup"), tr("Deliveries made twice by a channel fault (both copies are handled)") },
        { tr("queue"), tr("Events waiting for a worker now") },
        { tr("lag"), tr("Deliveries the broker holds back now: the queue is full, or the service is cut off") },
        { tr("busy"), tr("Workers (or function instances) handling an event now") },
        { tr("cold starts"), tr("Serverless: instances started, each paying the cold start") },
        { tr("latency ms"), tr("Mean time from arrival at the service to the end of its handling") },
        { tr("lag ms"), tr("Mean time a delivery waited at the broker before the service took it (its queue full, "
                           "or the service or broker cut off): consumer lag in time") },
    };
    m_services->setObjectName(QStringLiteral("servicesTable"));
    m_services->setColumnCount(int(std::size(serviceColumns)));
    for (int c = 0; c < int(std::size(serviceColumns)); ++c) {
        auto* header = new QTableWidgetItem(serviceColumns[c].first);
        header->setToolTip(serviceColumns[c].second);
        m_services->setHorizontalHeaderItem(c, header);
    }
    m_services->verticalHeader()->hide();
    m_services->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_services->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_serviceDock = dock(this, tr("Services"), QStringLiteral("services"), m_services, Qt::BottomDockWidgetArea);
    auto* chartDock = dock(this, tr("Charts"), QStringLiteral("charts"), m_charts, Qt::BottomDockWidgetArea);
    m_faultDock = dock(this, tr("Faults"), QStringLiteral("faults"), m_faultList, Qt::BottomDockWidgetArea);
    tabifyDockWidget(viewDock, eventDock);
    tabifyDockWidget(eventDock, m_serviceDock);
    tabifyDockWidget(m_serviceDock, chartDock);
    tabifyDockWidget(chartDock, m_faultDock);
    viewDock->raise();
    m_sagaDock = sagaDock;
    m_bottomDock = viewDock;
    m_eventDock = eventDock;

    // transport bar
    auto* bar = addToolBar(tr("Transport"));
    bar->setObjectName(QStringLiteral("transport"));
    // An action, not a button's own shortcut: a button's setText() replaces its shortcut with the
    // text's mnemonic, and Space worked once (then the text said Play, and Space did nothing).
    m_pause->setObjectName(QStringLiteral("pause"));
    m_pause->setCheckable(true);
    m_pause->setShortcut(Qt::Key_Space);
    m_pause->setToolTip(tr("Pause or resume (Space)"));
    m_paceActions.append(m_pause);
    bar->addAction(m_pause);
    for (const char* s : { "0.1x", "0.5x", "1x", "2x", "5x", "10x", "100x", "1000x" })
        m_speed->addItem(QString::fromLatin1(s));
    m_speed->setCurrentText(QStringLiteral("1x"));
    m_speed->setToolTip(tr("Simulation speed relative to wall time"));
    m_paceActions.append(bar->addWidget(new QLabel(tr(" Speed "), this)));
    m_paceActions.append(bar->addWidget(m_speed));
    // An action, as Pause is: a tool button's own shortcut animates a click and ignores the
    // presses during it (10 presses 50 ms apart stepped 5 events); an action's repeats too.
    m_step->setObjectName(QStringLiteral("step"));
    m_step->setShortcut(Qt::Key_Period);
    m_step->setToolTip(tr("Hand over the next event (.)"));
    bar->addAction(m_step);
    m_replayActions.append(m_step);
    m_seek->setObjectName(QStringLiteral("seek"));
    m_seek->setMinimumWidth(320);
    m_seek->setToolTip(tr("Seek: every pane shows the state after that event"));
    // the density strip right under the slider, as wide as it
    auto* seekBox = new QWidget(this);
    auto* seekLayout = new QVBoxLayout(seekBox);
    seekLayout->setContentsMargins(0, 0, 0, 2);
    seekLayout->setSpacing(1);
    seekLayout->addWidget(m_seek);
    m_density->setObjectName(QStringLiteral("densityStrip"));
    m_density->setToolTip(tr("Events over the recording's time"));
    seekLayout->addWidget(m_density);
    m_replayActions.append(bar->addWidget(seekBox));
    m_replayActions.append(bar->addWidget(m_position));
    bar->addSeparator();
    m_faults->setText(tr("Inject fault"));
    m_faults->setPopupMode(QToolButton::InstantPopup);
    m_faultAction = bar->addWidget(m_faults);
    auto* fit = bar->addAction(tr("Fit"));
    fit->setObjectName(QStringLiteral("fit"));
    fit->setShortcut(Qt::Key_F);
    connect(fit, &QAction::triggered, this, [this] {
        m_topology->view()->fit();
        m_sagas->view()->fit();
    });
    connect(m_pause, &QAction::toggled, this, [this](bool paused) {
        if (m_session)
            m_session->setPaused(paused);
        m_pause->setText(paused ? tr("Play") : tr("Pause"));
    });
    connect(m_speed, &QComboBox::currentTextChanged, this, [this](const QString& text) {
        if (m_session)
            m_session->setSpeed(QStringView(text).chopped(1).toDouble());
    });
    connect(m_viewChoice, &QComboBox::currentIndexChanged, this, [this] {
        m_shownVersion = 0;
        m_tablesTick = -TableTicks; // at once
    });
    connect(m_step, &QAction::triggered, this, [this] {
        if (m_session)
            m_session->step();
    });
    // A click on the slider's groove jumps there (and seeks once released); the keys move it a
    // step or a page and seek at once. Only dragging waits for the release.
    auto* clickStyle = new AbsoluteClickStyle; // the application's style, but for this
    clickStyle->setParent(m_seek);                 // a widget does not own its style
    m_seek->setStyle(clickStyle);
    connect(m_seek, &QSlider::sliderReleased, this, [this] { seekTo(m_seek->value()); });
    connect(m_seek, &QSlider::actionTriggered, this, [this](int action) {
        if (action != QAbstractSlider::SliderMove && action != QAbstractSlider::SliderNoAction)
            seekTo(m_seek->sliderPosition());
    });
    connect(m_density, &DensityStrip::seekRequested, this, [this](qint64 seq) {
        m_seek->setValue(int(std::min<qint64>(seq, INT_MAX)));
        seekTo(seq);
    });

    buildMenus();
    // until a session says what it is: neither replay nor simulator controls
    for (QAction* a : std::as_const(m_replayActions))
        a->setVisible(false);
    for (QAction* a : std::as_const(m_paceActions))
        a->setVisible(false);
    m_faultAction->setVisible(false);
    m_viewChoice->hide();
    // permanent: a message ("Saved ...", an error) shows beside it rather than in its place
    statusBar()->addPermanentWidget(m_status);
    connect(m_timer, &QTimer::timeout, this, &MainWindow::tick);
    m_timer->setObjectName(QStringLiteral("tick"));
    m_timer->start(33);

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    const Theme::Kind theme = Theme::fromName(settings.value(QStringLiteral("view/theme")).toString());
    Theme::apply(theme);
    (theme == Theme::Kind::Dark ? m_darkAction : m_lightAction)->setChecked(true);
}

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open…"));
    open->setShortcut(QKeySequence::Open);
    open->setToolTip(tr("A flow file to simulate, or a recording to replay"));
    connect(open, &QAction::triggered, this, [this] {
        const QString dir = recentFiles().isEmpty() ? QString() : QFileInfo(recentFiles().first().section(u'\n', 0, 0)).path();
        const QString path = QFileDialog::getOpenFileName(this, tr("Open a flow file or a recording"), dir,
                                                          tr("Flow files and recordings (*.yaml *.yml *.json *.fsrec);;"
                                                             "All files (*)"));
        if (!path.isEmpty())
            openFile(path);
    });
    QAction* connectSource = file->addAction(tr("&Connect to a source…"));
    connectSource->setObjectName(QStringLiteral("connectSource"));
    connectSource->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_K));
    connectSource->setToolTip(tr("Watch a live stream: Kafka, WebSocket, webhook, HTTP polling or a growing file"));
    connect(connectSource, &QAction::triggered, this, [this] { connectDialog({}); });
    QAction* kafka = file->addAction(tr("Connect to &Kafka…"));
    kafka->setObjectName(QStringLiteral("connectKafka"));
    connect(kafka, &QAction::triggered, this, [this] { connectDialog(QStringLiteral("Kafka")); });
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    m_recentMenu->setObjectName(QStringLiteral("recentMenu"));
    rebuildRecentMenu();
    file->addSeparator();
    m_saveRecording = file->addAction(tr("&Save session recording as…"));
    m_saveRecording->setObjectName(QStringLiteral("saveRecording"));
    m_saveRecording->setShortcut(QKeySequence::Save);
    m_saveRecording->setToolTip(tr("Keep what this simulated or live session recorded, to replay or inspect it later"));
    m_saveRecording->setEnabled(false);
    connect(m_saveRecording, &QAction::triggered, this, [this] {
        QString path = QFileDialog::getSaveFileName(this, tr("Save the session's recording"),
                                                    QStringLiteral("session.fsrec"), tr("FlowScope recordings (*.fsrec)"));
        if (path.isEmpty())
            return;
        if (QFileInfo(path).suffix().isEmpty())
            path += QStringLiteral(".fsrec");
        saveSessionRecording(path);
    });
    connect(file->addAction(tr("Export &topology as…")), &QAction::triggered, this, [this] { exportDialog(true); });
    connect(file->addAction(tr("Export &saga diagram as…")), &QAction::triggered, this, [this] { exportDialog(false); });
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    QMenu* theme = view->addMenu(tr("&Theme"));
    auto* themes = new QActionGroup(this);
    m_lightAction = theme->addAction(tr("&Light"));
    m_darkAction = theme->addAction(tr("&Dark"));
    for (QAction* a : { m_lightAction, m_darkAction }) {
        a->setCheckable(true);
        themes->addAction(a);
    }
    connect(m_lightAction, &QAction::triggered, this, [this] { setTheme(Theme::Kind::Light); });
    connect(m_darkAction, &QAction::triggered, this, [this] { setTheme(Theme::Kind::Dark); });
    QAction* animate = view->addAction(tr("&Animate events"));
    animate->setObjectName(QStringLiteral("animateEvents"));
    animate->setCheckable(true);
    animate->setChecked(QSettings().value(QStringLiteral("view/animateEvents"), true).toBool());
    m_topology->view()->setAnimateEvents(animate->isChecked());
    connect(animate, &QAction::toggled, this, [this](bool on) {
        m_topology->view()->setAnimateEvents(on);
        QSettings().setValue(QStringLiteral("view/animateEvents"), on);
    });
    view->addSeparator();
    for (QDockWidget* d : findChildren<QDockWidget*>())
        view->addAction(d->toggleViewAction());
}

void MainWindow::setTheme(Theme::Kind kind, bool keep)
{
    Theme::apply(kind);
    (kind == Theme::Kind::Dark ? m_darkAction : m_lightAction)->setChecked(true);
    if (keep)
        QSettings().setValue(QStringLiteral("view/theme"), Theme::name(kind));
}

QStringList MainWindow::recentFiles() const
{
    QStringList out;
    QSettings settings;
    const int n = settings.beginReadArray(QStringLiteral("recent"));
    for (int i = 0; i < n; ++i) {
        settings.setArrayIndex(i);
        const QString path = settings.value(QStringLiteral("path")).toString();
        const QString flow = settings.value(QStringLiteral("flow")).toString();
        if (!path.isEmpty())
            out.append(flow.isEmpty() ? path : path + u'\n' + flow);
    }
    settings.endArray();
    return out;
}

void MainWindow::addRecentFile(const QString& path, const QString& flowPath)
{
    if (path.startsWith(u':')) // built into the program (the demo): not a file to reopen
        return;
    const QString absolute = QFileInfo(path).absoluteFilePath();
    const QString flow = flowPath.isEmpty() || flowPath.startsWith(u':') ? flowPath : QFileInfo(flowPath).absoluteFilePath();
    QStringList entries = recentFiles();
    entries.removeIf([&](const QString& e) { return e.section(u'\n', 0, 0) == absolute; });
    entries.prepend(flow.isEmpty() ? absolute : absolute + u'\n' + flow);
    while (entries.size() > MaxRecentFiles)
        entries.removeLast();
    QSettings settings;
    settings.remove(QStringLiteral("recent"));
    settings.beginWriteArray(QStringLiteral("recent"), int(entries.size()));
    for (int i = 0; i < entries.size(); ++i) {
        settings.setArrayIndex(i);
        settings.setValue(QStringLiteral("path"), entries[i].section(u'\n', 0, 0));
        settings.setValue(QStringLiteral("flow"), entries[i].section(u'\n', 1, 1));
    }
    settings.endArray();
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList entries = recentFiles();
    int n = 0;
    for (const QString& e : entries) {
        const QString path = e.section(u'\n', 0, 0), flow = e.section(u'\n', 1, 1);
        QString label = QStringLiteral("&%1 %2").arg(++n).arg(QFileInfo(path).fileName());
        if (!flow.isEmpty())
            label += tr(" (with %1)").arg(QFileInfo(flow).fileName());
        QAction* a = m_recentMenu->addAction(label);
        a->setToolTip(flow.isEmpty() ? path : tr("%1 replayed with %2").arg(path, flow));
        a->setData(e);
        connect(a, &QAction::triggered, this, [this, path, flow] { openFile(path, flow); });
    }
    if (entries.isEmpty())
        m_recentMenu->addAction(tr("(none yet)"))->setEnabled(false);
    m_recentMenu->addSeparator();
    connect(m_recentMenu->addAction(tr("Clear the list")), &QAction::triggered, this, [this] {
        QSettings().remove(QStringLiteral("recent"));
        rebuildRecentMenu();
    });
}

void MainWindow::exportDialog(bool topology)
{
    const QString what = topology ? tr("topology") : tr("saga diagram");
    QString chosenFilter;
    QString path = QFileDialog::getSaveFileName(
        this, tr("Export the %1").arg(what), topology ? QStringLiteral("topology.png") : QStringLiteral("saga.png"),
        tr("PNG picture (*.png);;SVG drawing (*.svg);;Graphviz DOT (*.dot)"), &chosenFilter);
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty()) // the filter picked says what the user wants
        path += chosenFilter.contains(u"svg") ? QStringLiteral(".svg")
                                              : chosenFilter.contains(u"dot") ? QStringLiteral(".dot") : QStringLiteral(".png");
    if (topology ? exportTopology(path) : exportSaga(path))
        statusBar()->showMessage(tr("Exported the %1 to %2").arg(what, path), 5000);
}

bool MainWindow::exportTopology(const QString& path)
{
    QString error;
    if (!m_topology->view()->exportTo(path, &error)) {
        showError(tr("Cannot export the topology: %1").arg(error));
        return false;
    }
    return true;
}

bool MainWindow::exportSaga(const QString& path)
{
    QString error;
    if (!m_sagas->view()->exportTo(path, &error)) {
        showError(tr("Cannot export the saga diagram: %1").arg(error));
        return false;
    }
    return true;
}

EventLogModel* MainWindow::eventModel() const { return m_events->model(); }

void MainWindow::showEventsFor(const QString& correlationId)
{
    if (correlationId.isEmpty())
        return;
    m_events->showCorrelation(correlationId);
    m_eventDock->show();
    m_eventDock->raise();
}

void MainWindow::focusCorrelation(const QString& correlationId) { m_pendingFocus = correlationId; }

void MainWindow::showEventsForViewRow(const QModelIndex& index)
{
    if (!index.isValid())
        return;
    // a view's first column is its key; in a flow keyed by its correlation id (the usual case)
    // that is the flow's correlation id
    showEventsFor(index.siblingAtColumn(0).data().toString());
}

MainWindow::~MainWindow() = default;

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    m_timer->stop();
    m_session.reset();
    event->accept();
}

SimSession* MainWindow::simSession() const { return dynamic_cast<SimSession*>(m_session.get()); }

void MainWindow::attach(std::unique_ptr<Session> session)
{
    m_session.reset(); // the old one's threads end before the new one's start reading
    m_session = std::move(session);
    hideError();
    m_shownVersion = 0;
    m_shownInstances.reset();
    m_sessionError.clear();
    m_lastEvents = -1; // the rate starts again: the last session's count is not this one's
    m_rate = 0;
    m_lastSimSeconds = -1;
    m_reached = 0;
    m_shownFaults = {};
    m_rateClock.start();
    m_pause->setChecked(false); // a new session runs (the button showed Play while it ran)
    const qint64 streamStart = m_session->streamStart();
    m_charts->clear(streamStart == NoTime ? std::numeric_limits<double>::quiet_NaN() : double(streamStart) / 1e6);
    const std::shared_ptr<const Flow>& flow = m_session->flow();
    QString error;
    m_sagas->setFlow(flow);
    m_sagas->setRecording(m_session->recordingPath());
    m_topology->setRecording(m_session->recordingPath());
    m_viewChoice->clear();
    for (const View& v : flow->views)
        m_viewChoice->addItem(v.name);
    m_viewChoice->setVisible(m_viewChoice->count() > 1);
    m_viewTable->setVisible(!flow->views.isEmpty());
    m_noViews->setVisible(flow->views.isEmpty());
    // opened without a flow file (`gui REC`), there is no file to declare views in
    const bool noFlowFile = flow->fileName.isEmpty() && flow->services.isEmpty() && flow->channels.isEmpty()
        && flow->sagas.isEmpty() && flow->views.isEmpty();
    m_noViews->setText(noFlowFile ? tr("No flow file is open: views, sagas and the declared topology come from one "
                                       "(<code>flowscope gui REC --flow FLOW</code>).")
                                  : tr("This flow file declares no views.<br>A <code>views:</code> section folds the "
                                       "events into tables here, one row a key (docs/flow-file.md, \u201cViews\u201d)."));
    // a replay's log shows what the panes show: the events up to its position, none at first
    m_events->model()->setLastSeq(m_session->canSeek() ? 0 : -1);
    if (!m_events->open(m_session->recordingPath(), flow, &error, m_session->retention()))
        showError(tr("Cannot read the session's recording: %1").arg(error));
    m_session->setSpeed(QStringView(m_speed->currentText()).chopped(1).toDouble());
    const bool replay = m_session->canSeek();
    for (QAction* a : std::as_const(m_replayActions))
        a->setVisible(replay);
    m_faultAction->setVisible(simSession() != nullptr); // faults are the simulator's
    // the simulator's own panes: a replay or a live source has no service figures or faults (an
    // empty Services table said nothing about why)
    for (QDockWidget* d : { m_faultDock, m_serviceDock }) {
        d->toggleViewAction()->setVisible(simSession() != nullptr);
        d->setVisible(simSession() != nullptr);
    }
    m_faultList->setRowCount(0);
    m_seek->setRange(0, int(std::min<qint64>(m_session->length(), INT_MAX)));
    // Page Up/Down move a fiftieth of the recording (Qt's 10 events were nothing in 100,000)
    m_seek->setPageStep(int(std::clamp<qint64>(m_session->length() / 50, 10, INT_MAX)));
    const EventDensity* density = m_session->density();
    m_density->setDensity(density ? *density : EventDensity {});
    m_density->setVisible(density && !density->counts.isEmpty());
    m_saveRecording->setEnabled(m_session->retention() > 0);
    const bool pace = m_session->canPace();
    for (QAction* a : std::as_const(m_paceActions))
        a->setVisible(pace);
    buildFaultMenu();
    if (QSettings().value(QStringLiteral("window/state")).isNull()) {
        // first start: the topology gets the larger part (once the window is laid out)
        QTimer::singleShot(50, this, [this] {
            resizeDocks({ m_sagaDock }, { width() * 2 / 5 }, Qt::Horizontal);
            resizeDocks({ m_bottomDock }, { height() / 3 }, Qt::Vertical);
        });
    }
}

void MainWindow::seekTo(qint64 seq)
{
    if (!m_session || !m_session->canSeek())
        return;
    m_session->seek(seq);
    m_lastEvents = -1; // the jump is not throughput
    if (!m_events->model()->isFiltered())
        m_events->table()->scrollTo(m_events->model()->index(int(std::max<qint64>(0, seq - 1)), 0));
}

void MainWindow::setSpeed(double speed)
{
    const QString text = QString::number(speed) + u'x';
    if (m_speed->findText(text) < 0)
        m_speed->addItem(text);
    m_speed->setCurrentText(text); // which tells the session
}

void MainWindow::tick()
{
    if (!m_session)
        return;
    const auto snapshot = m_session->snapshot();
    const QJsonArray faults = m_session->faults().value(u"faults").toArray();
    if (++m_ticks % 15 == 0) { // twice a second
        // Events folded per wall second since the last look; unknown (0) right after a seek or a
        // new session, where the count jumps without anything having arrived.
        const qint64 ms = m_rateClock.restart();
        m_rate = m_lastEvents >= 0 && ms > 0 && snapshot->events >= m_lastEvents
            ? double(snapshot->events - m_lastEvents) * 1000.0 / double(ms)
            : 0;
        m_lastEvents = snapshot->events;
        // The simulator's speed as reached: simulated seconds per wall second (a flow too heavy
        // for the machine runs slower than asked, and the status says so).
        if (const SimSession* sim = simSession()) {
            const double simSeconds = sim->simSeconds();
            m_reached = m_lastSimSeconds >= 0 && ms > 0 ? (simSeconds - m_lastSimSeconds) * 1000.0 / double(ms) : 0;
            m_lastSimSeconds = simSeconds;
        }
        {
            const TimedSection timed("event log");
            if (m_session->canSeek()) // a replay: the log ends where the panes do
                m_events->model()->setLastSeq(snapshot->lastSeq);
            m_events->refresh();
        }
        {
            const TimedSection timed("event filters");
            m_events->updateChoices(snapshot->state);
        }
        if (const QString error = m_session->error(); !error.isEmpty() && error != m_sessionError) {
            m_sessionError = error;
            showError(error);
        }
        if (snapshot->clock != NoTime)
            {
                const TimedSection timed("charts");
                m_charts->add(double(snapshot->clock) / 1e6, snapshot->state, m_session->servicesJson(), snapshot->generation);
            }
        // the rate changes (to 0 when paused or finished) and a live source's state (connecting,
        // retrying) too, also while no event comes
        updateStatus(*snapshot, faults);
        if (const SimSession* sim = simSession())
            m_faultList->showFaults(faults, sim->simSeconds()); // states change with the clock
    }
    if (snapshot->version == m_shownVersion && faults == m_shownFaults) {
        updateTablesIfDue(*snapshot); // the last change, held back while updates came fast
        return;
    }
    m_shownVersion = snapshot->version;
    m_shownFaults = faults; // a fault injected while paused shows although no event comes
    const QJsonObject services = m_session->servicesJson();
    {
        const TimedSection timed("topology");
        m_topology->update(snapshot->state, services, faults);
    }
    {
        const TimedSection timed("saga diagram");
        m_sagas->update(snapshot->state);
    }
    if (snapshot->instances != m_shownInstances) {
        m_shownInstances = snapshot->instances;
        {
            const TimedSection timed("saga instances");
            m_sagas->updateInstances(m_shownInstances);
        }
        if (!m_pendingFocus.isEmpty() && m_sagas->selectInstance(m_pendingFocus)) {
            showEventsFor(m_pendingFocus);
            m_pendingFocus.clear();
        }
    }
    for (const QString& error : { m_topology->view()->layoutError(), m_sagas->view()->layoutError() })
        if (!error.isEmpty() && error != m_layoutError) {
            m_layoutError = error;
            showError(tr("Cannot lay out a diagram: %1").arg(error));
        }

    m_tablesStale = true;
    updateTablesIfDue(*snapshot);
    if (m_session->canSeek()) {
        // not while a seek is on its way: this snapshot is from before it, and setting the
        // slider back to it lost the key presses made meanwhile (20 Right presses moved 12)
        if (!m_seek->isSliderDown() && !m_session->seekPending())
            m_seek->setValue(int(std::min<qint64>(snapshot->lastSeq, INT_MAX)));
        m_position->setText(tr(" event %1 of %2 ").arg(snapshot->lastSeq).arg(m_session->length()));
        m_density->setPosition(snapshot->clock, snapshot->lastSeq);
    }
    updateStatus(*snapshot, faults);
}

// The view and service tables at most every TableTicks ticks (~4 times a second): their text is
// read, not watched, and laying out 500 rows of a view 30 times a second cost the GUI thread 5-9
// ms a tick with the simulator flat out.
void MainWindow::updateTablesIfDue(const EngineSnapshot& snapshot)
{
    if (!m_tablesStale || m_ticks - m_tablesTick < TableTicks)
        return;
    m_tablesStale = false;
    m_tablesTick = m_ticks;
    const QJsonObject services = m_session->servicesJson();
    {
        const TimedSection timed("views");
        const Flow& flow = *m_session->flow();
        if (m_viewChoice->currentIndex() >= 0 && m_viewChoice->currentIndex() < flow.views.size()) {
            const View& v = flow.views[m_viewChoice->currentIndex()];
            QStringList columns { QStringLiteral("key") };
            for (const ViewColumn& c : v.columns)
                columns.append(c.name);
            const bool newColumns = m_viewModel->columnCount() != columns.size();
            m_viewModel->setData(columns,
                                 snapshot.state.value(u"views").toObject().value(v.name).toObject().value(u"sample").toArray());
            if (newColumns) {
                m_viewTable->resizeColumnsToContents(); // on what the view shows first
            } else {
                // widen what longer values now clip (the sample is ten rows: cheap); never narrow
                // what the user set. Every update: the last one, when a replay ends or pauses, too
                for (int c = 0; c + 1 < m_viewModel->columnCount(); ++c)
                    m_viewTable->setColumnWidth(c, std::max(m_viewTable->columnWidth(c), static_cast<QAbstractItemView*>(m_viewTable)->sizeHintForColumn(c)));
            }
        }
    }
    {
        const TimedSection timed("services");
        const QStringList names = services.keys();
        m_services->setRowCount(int(names.size()));
        for (int r = 0; r < int(names.size()); ++r) {
            const QJsonObject s = services.value(names[r]).toObject();
            const QStringList cells { names[r],
                                      QString::number(s.value(u"processed").toInteger()),
                                      QString::number(s.value(u"failed").toInteger()),
                                      QString::number(s.value(u"retries").toInteger()),
                                      QString::number(s.value(u"dead_lettered").toInteger()),
                                      QString::number(s.value(u"dropped").toInteger()),
                                      QString::number(s.value(u"duplicated").toInteger()),
                                      QString::number(s.value(u"queue").toInteger()),
                                      QString::number(s.value(u"lag").toInteger()),
                                      QString::number(s.value(u"busy").toInteger()),
                                      QString::number(s.value(u"cold_starts").toInteger()),
                                      // no mean of nothing
                                      s.value(u"processed").toInteger() > 0
                                          ? QString::number(s.value(u"mean_latency_ms").toDouble(), 'f', 2)
                                          : QStringLiteral("\u2013"),
                                      s.value(u"taken").toInteger() > 0
                                          ? QString::number(s.value(u"mean_lag_ms").toDouble(), 'f', 2)
                                          : QStringLiteral("\u2013") };
            for (int c = 0; c < cells.size(); ++c) {
                QTableWidgetItem* item = m_services->item(r, c);
                if (!item) {
                    item = new QTableWidgetItem;
                    if (c > 0)
                        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
                    m_services->setItem(r, c, item);
                }
                item->setText(cells[c]);
            }
        }
    }
}

namespace {
constexpr qint64 WaitShownMicros = 5'000'000; // a replay's wait for its next event, said from here on

// "42 s", "3 min", "5 h", "12 days", "72 years": how long a wait is, roughly
QString waitText(qint64 micros)
{
    const double s = double(micros) / 1e6;
    if (s < 120)
        return MainWindow::tr("%1 s").arg(s, 0, 'f', 0);
    if (s < 2 * 3600)
        return MainWindow::tr("%1 min").arg(s / 60, 0, 'f', 0);
    if (s < 2 * 86400)
        return MainWindow::tr("%1 h").arg(s / 3600, 0, 'f', 0);
    if (s < 2 * 365.25 * 86400)
        return MainWindow::tr("%1 days").arg(s / 86400, 0, 'f', 0);
    return MainWindow::tr("%1 years").arg(s / (365.25 * 86400), 0, 'f', 0);
}
} // namespace

void MainWindow::updateStatus(const EngineSnapshot& snapshot, const QJsonArray& faults)
{
    int active = 0;
    for (const QJsonValue& f : faults)
        active += f.toObject().value(u"active").toBool() ? 1 : 0;
    const SimSession* sim = simSession();
    const QString clock = sim ? tr("%1 s").arg(sim->simSeconds(), 0, 'f', 1)
                              : (snapshot.clock == NoTime ? QString() : TimeFormat::toRfc3339String(snapshot.clock));
    if (const QString source = m_session->sourceStatus(); !source.isEmpty()) {
        m_status->setText(tr("%1 %2 · %3 · %4 events · %5 events/s")
                              .arg(m_session->kind(), source,
                                   !clock.isEmpty()          ? clock
                                       : snapshot.events > 0 ? tr("no event time yet") // none carried one
                                                             : tr("no event yet"))
                              .arg(snapshot.events)
                              .arg(m_rate, 0, 'f', 0));
        return;
    }
    const double speed = m_session->speed();
    // asked for more than the machine does (reaching under 80 % of it): say what it reaches
    const bool behind = sim && !m_session->isPaused() && m_reached > 0 && m_reached < 0.8 * speed;
    // A replay that waits long for its next event (a gap in the recording, or one event stamped
    // years ahead) says so: it looked hung, with nothing on screen moving.
    QString waiting;
    if (const qint64 wait = m_session->waitMicros(); wait >= WaitShownMicros)
        waiting = tr(" · next event in %1 (. steps to it)").arg(waitText(wait));
    m_status->setText(tr("%1 · %2 · %3 events · %4 events/s · x%5%6%7%8")
                          .arg(m_session->kind(), !clock.isEmpty() ? clock : tr("no event yet"))
                          .arg(snapshot.events)
                          .arg(m_rate, 0, 'f', 0)
                          .arg(behind ? tr("%1 (reaching x%2)").arg(speed).arg(m_reached, 0, 'f', 0) : QString::number(speed))
                          .arg(m_session->isPaused() ? tr(" · paused") : QString())
                          .arg(active ? tr(" · %1 fault(s) active").arg(active) : QString())
                          .arg(waiting));
}

QString MainWindow::statusText() const { return m_status->text(); }

QWidget* MainWindow::pane(const QString& name) const
{
    if (name == u"topology")
        return m_topology;
    if (name == u"sagas")
        return m_sagas;
    if (name == u"views")
        return m_viewTable->parentWidget();
    if (name == u"events")
        return m_events;
    if (name == u"services")
        return m_services;
    if (name == u"charts")
        return m_charts;
    if (name == u"faults")
        return m_faultList;
    return nullptr;
}

void MainWindow::screenshotLater(const QString& path, int delayMs, const QString& pane)
{
    QTimer::singleShot(delayMs, this, [this, path, pane] {
        tick();
        QWidget* target = pane.isEmpty() ? static_cast<QWidget*>(this) : this->pane(pane);
        if (!target) {
            qCWarning(LOG_GUI, "unknown pane '%s' (topology, sagas, views, events, services, charts, faults)", qPrintable(pane));
            QApplication::exit(2);
            return;
        }
        if (QWidget* dockParent = target->parentWidget())
            if (auto* d = qobject_cast<QDockWidget*>(dockParent))
                d->raise();
        const bool ok = target->grab().save(path);
        if (!ok)
            qCWarning(LOG_GUI, "cannot save %s", qPrintable(path));
        QApplication::exit(ok ? 0 : 1);
    });
}

void MainWindow::showError(const QString& message)
{
    // A banner, not a dialog: it does not stop the window (or a test, or a screenshot run), and
    // it stays until dismissed or the next file opens. The log gets it too, for terminals.
    qCWarning(LOG_GUI).noquote() << message;
    m_bannerText->setText(message);
    m_banner->show();
    statusBar()->showMessage(message.section(u'\n', 0, 0), 15000);
}

void MainWindow::hideError()
{
    m_banner->hide();
    m_bannerText->clear();
}

QString MainWindow::errorText() const { return m_banner->isHidden() ? QString() : m_bannerText->text(); }

} // namespace FlowScope::Gui
