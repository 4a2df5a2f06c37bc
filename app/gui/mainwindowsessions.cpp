// SPDX-License-Identifier: MIT
// MainWindow: what it shows. Opening flow files and recordings, starting the simulator and
// injecting faults into it, connecting live sources, and saving a session's recording;
// attach() (mainwindow.cpp) then wires the session to the panes.
#include "mainwindow.h"

#include "connectdialog.h"
#include "kafkapage.h"
#include "livesession.h"
#include "replaysession.h"
#include "simsession.h"

#include <flowfile.h>
#include <flowfileparser.h>
#include <recording.h>

#include <QFile>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QInputDialog>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QToolButton>
#include <QtConcurrentRun>

namespace FlowScope::Gui {

std::shared_ptr<const Flow> MainWindow::readFlow(const QString& path)
{
    const FlowParseResult parsed = FlowFileParser::parseFile(path);
    if (!parsed.ok()) {
        showError(tr("%1 has errors:\n%2").arg(path, parsed.errorText()));
        return nullptr;
    }
    return std::make_shared<const Flow>(*parsed.flow);
}

bool MainWindow::openFile(const QString& path, const QString& flowPath)
{
    if (path.endsWith(u".fsrec")) {
        // without a flow file of its own: the one of the session now open, if any
        const QString flowFile = !flowPath.isEmpty() ? flowPath : (m_session ? m_session->flow()->fileName : QString());
        std::shared_ptr<const Flow> flow = std::make_shared<const Flow>();
        if (!flowFile.isEmpty() && !(flow = readFlow(flowFile)))
            return false;
        if (!openRecording(path, flow))
            return false;
        addRecentFile(path, flowFile);
        return true;
    }
    const std::shared_ptr<const Flow> flow = readFlow(path);
    if (!flow)
        return false;
    if (!flow->simulation) {
        showError(tr("%1 has no simulation: section. To watch a recording with it, open the recording "
                     "(File > Open) after this flow file, or run: flowscope gui REC.fsrec --flow %1")
                      .arg(path));
        return false;
    }
    if (!startSimulation(flow))
        return false;
    addRecentFile(path);
    return true;
}

void MainWindow::saveSessionRecording(const QString& path)
{
    if (!m_session || m_session->retention() == 0)
        return;
    statusBar()->showMessage(tr("Saving the session's recording to %1…").arg(path));
    struct Saved {
        qint64 events = 0;
        QString error;
    };
    auto* watcher = new QFutureWatcher<Saved>(this);
    connect(watcher, &QFutureWatcher<Saved>::finished, this, [this, watcher, path] {
        const Saved saved = watcher->result();
        watcher->deleteLater();
        if (saved.error.isEmpty()) {
            statusBar()->showMessage(tr("Saved %L1 events to %2").arg(saved.events).arg(path), 8000);
            addRecentFile(path, m_session ? m_session->flow()->fileName : QString());
        } else {
            statusBar()->clearMessage();
            showError(tr("Cannot save the session's recording: %1").arg(saved.error));
        }
        Q_EMIT recordingSaved(path, saved.events, saved.error);
    });
    // its own connection, on a worker thread: a large recording takes seconds to copy
    watcher->setFuture(QtConcurrent::run([source = m_session->recordingPath(), path] {
        Saved saved;
        // with its -wal and -shm: SQLite would replay a stale WAL into the new copy
        for (const QString& f : QStringList { path, path + QStringLiteral("-wal"), path + QStringLiteral("-shm"),
                                  path + QStringLiteral("-journal") })
            if (QFile::exists(f) && !QFile::remove(f)) {
                saved.error = QStringLiteral("cannot replace %1").arg(f);
                return saved;
            }
        const auto recording = Recording::open(source, &saved.error);
        if (recording && recording->saveCopy(path, &saved.error))
            if (const auto copy = Recording::open(path, &saved.error))
                saved.events = copy->eventCount() > 0 ? copy->eventCount() - copy->firstSeq() + 1 : 0;
        return saved;
    }));
}

bool MainWindow::startSimulation(std::shared_ptr<const Flow> flow)
{
    QString error;
    auto session = SimSession::start(flow, &error);
    if (!session) {
        showError(tr("Cannot start the simulation: %1").arg(error));
        return false;
    }
    setWindowTitle(tr("FlowScope: %1 (simulated)").arg(flow->name));
    attach(std::move(session));
    return true;
}

bool MainWindow::openRecording(const QString& path, std::shared_ptr<const Flow> flow)
{
    QString error;
    auto session = ReplaySession::open(path, flow, &error);
    if (!session) {
        showError(tr("Cannot open the recording: %1").arg(error)); // the error names the file
        return false;
    }
    setWindowTitle(tr("FlowScope: %1 (replay of %2)").arg(flow->name, path));
    attach(std::move(session));
    return true;
}

void MainWindow::connectDialog(const QString& kind)
{
    ConnectDialog dialog(this);
    if (!kind.isEmpty())
        dialog.setCurrentKind(kind);
    if (dialog.exec() != QDialog::Accepted)
        return;
    dialog.remember(); // also settings that failed: the user corrects them next time
    connectTo(*dialog.currentPage());
}

bool MainWindow::connectTo(const SourcePage& page)
{
    QString error;
    std::unique_ptr<Connectors::Source> source = page.createSource(&error);
    if (!source) {
        showError(tr("Cannot connect to %1: %2").arg(page.kind(), error));
        return false;
    }
    const auto* kafka = qobject_cast<const KafkaPage*>(&page);
    return connectSource(page.kind(), std::move(source), kafka ? kafka->watchGroups() : QStringList());
}

bool MainWindow::connectKafka(Connectors::KafkaSource::Options options, const QString& propertiesFile)
{
    QString error;
    std::unique_ptr<Connectors::Source> source = KafkaPage::createSource(std::move(options), propertiesFile, &error);
    if (!source) {
        showError(tr("Cannot connect to Kafka: %1").arg(error));
        return false;
    }
    return connectSource(QStringLiteral("Kafka"), std::move(source));
}

bool MainWindow::connectSource(const QString& kind, std::unique_ptr<Connectors::Source> source,
                               const QStringList& watchGroups)
{
    // the flow file open now gives the sagas and views; without one, the observed topology
    const std::shared_ptr<const Flow> flow = m_session ? m_session->flow() : std::make_shared<const Flow>();
    // The session open now stays until the new one runs, unless its source holds what the new one
    // needs (a webhook reconnected on its own port with other settings): then it gives way first.
    if (const auto* live = dynamic_cast<const LiveSession*>(m_session.get()); live && live->source().blocks(*source))
        m_session.reset();
    QString error;
    auto session = LiveSession::start(kind, std::move(source), flow, &error);
    // Kafka: the consumer groups' members and lag on the topology, read-only
    if (const auto* k = session ? dynamic_cast<const Connectors::KafkaSource*>(&session->source()) : nullptr) {
        auto options = Connectors::KafkaGroupWatcher::forSource(k->options().bootstrapServers, k->options().topics,
                                                                k->options().group, k->options().properties);
        options.groups = watchGroups;
        if (!session->watchGroups(options, &error))
            session.reset();
    }
    if (!session) {
        showError(tr("Cannot connect to %1: %2").arg(kind, error));
        return false;
    }
    // after start(): a webhook on "any free port" knows its port now; never holds a secret
    const QString described = session->source().describe();
    const auto* kafka = dynamic_cast<const Connectors::KafkaSource*>(&session->source());
    const QStringList skipped = kafka ? kafka->skippedProperties() : QStringList();
    setWindowTitle(flow->name.isEmpty() ? tr("FlowScope: %1").arg(described)
                                        : tr("FlowScope: %1 (%2)").arg(flow->name, described));
    attach(std::move(session));
    if (!skipped.isEmpty()) // after attach(), which clears the banner
        showError(tr("Ignored client properties that librdkafka does not know or FlowScope sets itself: %1")
                      .arg(skipped.join(QStringLiteral(", "))));
    return true;
}

QString MainWindow::injectFault(const QString& spec)
{
    SimSession* sim = simSession();
    if (!sim)
        return tr("faults are the simulator's: this session is not a simulation");
    // Without `at:` it starts now: a fault whose start is past starts at once (its length counts
    // from then).
    QList<FlowError> errors;
    const std::optional<Fault> fault
        = FlowFileParser::parseFault(spec, *sim->flow(), &errors, QStringLiteral("fault"), Duration {});
    if (!fault) {
        QStringList lines;
        for (const FlowError& e : std::as_const(errors))
            lines.append(e.toString());
        return lines.join(u'\n');
    }
    sim->injectFault(*fault);
    return {};
}

void MainWindow::customFaultDialog()
{
    SimSession* sim = simSession();
    if (!sim)
        return;
    const QList<Service>& services = sim->flow()->services;
    const QString key = QStringLiteral("faults/last/") + sim->flow()->name; // another flow's names may not be here
    QString spec = QSettings()
                       .value(key,
                              services.isEmpty() ? QStringLiteral("broker: all, down: 30s")
                                                 : QStringLiteral("service: %1, down: 30s").arg(services.first().name))
                       .toString();
    while (true) {
        bool ok = false;
        spec = QInputDialog::getText(this, tr("Inject a fault"),
                                     tr("A fault written like an entry of the flow file's faults: (docs/flow-file.md).\n"
                                        "It starts now unless it says at: (from the start of the simulation).\n"
                                        "For example: service: payment, slow: 5x, for: 1m  \u00b7  channel: orders, "
                                        "delay: exp(500ms), for: 30s  \u00b7  broker: all, down: 20s"),
                                     QLineEdit::Normal, spec, &ok);
        if (!ok || spec.trimmed().isEmpty())
            return;
        const QString error = injectFault(spec);
        if (error.isEmpty()) {
            QSettings().setValue(key, spec);
            return;
        }
        QMessageBox::warning(this, tr("Inject a fault"), error);
    }
}

// Ready-made faults of 30 s for each service and channel and for the broker, and any other
// through customFaultDialog(): the same text as the CLI's --fault.
void MainWindow::buildFaultMenu()
{
    if (!m_customFault) {
        // one action for every session's menu, and on the window: its shortcut works unopened
        m_customFault = new QAction(tr("Custom fault\u2026"), this);
        m_customFault->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F));
        connect(m_customFault, &QAction::triggered, this, &MainWindow::customFaultDialog);
        addAction(m_customFault);
    }
    if (QMenu* old = m_faults->menu())
        old->deleteLater(); // with its presets
    auto* menu = new QMenu(m_faults);
    if (SimSession* sim = simSession()) {
        auto add = [this](QMenu* to, const QString& label, const QString& spec) {
            connect(to->addAction(label), &QAction::triggered, this, [this, spec] {
                if (const QString error = injectFault(spec); !error.isEmpty())
                    showError(error); // a preset names what the flow declares: not expected
            });
        };
        const Flow& flow = *sim->flow();
        for (const Service& s : flow.services) {
            QMenu* sub = menu->addMenu(s.name);
            const QString target = QStringLiteral("service: '%1'").arg(s.name); // quoted: a name may hold ':' or '@'

            add(sub, tr("Down for 30 s"), target + QStringLiteral(", down: 30s"));
            add(sub, tr("10x slower for 30 s"), target + QStringLiteral(", slow: 10x, for: 30s"));
            add(sub, tr("20 % errors for 30 s"), target + QStringLiteral(", error: 20%, for: 30s"));
            add(sub, tr("Cut off from the broker for 30 s"), target + QStringLiteral(", partition: 30s"));
        }
        menu->addSeparator();
        for (const FlowScope::Channel& c : flow.channels) {
            QMenu* sub = menu->addMenu(tr("channel %1").arg(c.name));
            const QString target = QStringLiteral("channel: '%1'").arg(c.name);
            add(sub, tr("Drop 10 % for 30 s"), target + QStringLiteral(", drop: 10%, for: 30s"));
            add(sub, tr("Duplicate 10 % for 30 s"), target + QStringLiteral(", duplicate: 10%, for: 30s"));
            add(sub, tr("Delay by exp(500 ms) for 30 s"), target + QStringLiteral(", delay: exp(500ms), for: 30s"));
        }
        menu->addSeparator();
        QMenu* broker = menu->addMenu(tr("broker"));
        add(broker, tr("Down for 30 s"), QStringLiteral("broker: all, down: 30s"));
        add(broker, tr("Delay every delivery by exp(500 ms) for 30 s"),
            QStringLiteral("broker: all, delay: exp(500ms), for: 30s"));
        menu->addSeparator();
        menu->addAction(m_customFault);
    }
    m_customFault->setEnabled(simSession() != nullptr);
    m_faults->setMenu(menu);
}

} // namespace FlowScope::Gui
