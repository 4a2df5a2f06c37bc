// SPDX-License-Identifier: MIT
#include "sagapage.h"

#include "eventspage.h"
#include "graphview.h"
#include "theme.h"

#include <engine.h>
#include <flowfile.h>
#include <recording.h>
#include <sagainstancemodel.h>
#include <timeformat.h>

#include <QAction>
#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMap>
#include <QMenu>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>

namespace FlowScope::Gui {

SagaPage::SagaPage(QWidget* parent)
    : QWidget(parent)
    , m_choice(new QComboBox(this))
    , m_split(new QSplitter(Qt::Vertical, this))
    , m_view(new GraphView(this))
    , m_summary(new QLabel(this))
    , m_outcome(new QComboBox(this))
    , m_idFilter(new QLineEdit(this))
    , m_shown(new QLabel(this))
    , m_instances(new SagaInstanceModel(this))
    , m_sorted(new QSortFilterProxyModel(this))
    , m_instanceTable(new QTableView(this))
    , m_timelineTitle(new QLabel(this))
    , m_timeline(new QTableWidget(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_choice);
    layout->addWidget(m_split, 1);
    m_split->setChildrenCollapsible(false);

    auto* diagram = new QWidget(this);
    auto* diagramLayout = new QVBoxLayout(diagram);
    diagramLayout->setContentsMargins(0, 0, 0, 0);
    diagramLayout->addWidget(m_view, 1);
    m_summary->setMargin(6);
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setWordWrap(true); // one long line would make the whole dock ask for its width
    diagramLayout->addWidget(m_summary);
    m_split->addWidget(diagram);

    // the instances: outcome filter (with counts), id filter, the table
    auto* instances = new QWidget(this);
    auto* instancesLayout = new QVBoxLayout(instances);
    instancesLayout->setContentsMargins(4, 0, 4, 0);
    instancesLayout->setSpacing(2);
    auto* bar = new QHBoxLayout;
    for (int f = 0; f < SagaInstanceModel::FilterCount; ++f)
        m_outcome->addItem(SagaInstanceModel::filterName(SagaInstanceModel::Filter(f)), f);
    m_outcome->setToolTip(tr("Show the instances with this outcome (running excludes stuck)"));
    m_outcome->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_idFilter->setPlaceholderText(tr("filter by id"));
    m_idFilter->setClearButtonEnabled(true);
    bar->addWidget(new QLabel(tr("Instances"), this));
    bar->addWidget(m_outcome);
    bar->addWidget(m_idFilter, 1);
    bar->addWidget(m_shown);
    instancesLayout->addLayout(bar);
    m_sorted->setSourceModel(m_instances);
    m_sorted->setSortRole(SagaInstanceModel::SortRole);
    m_sorted->setDynamicSortFilter(true);
    m_instanceTable->setModel(m_sorted);
    m_instanceTable->setSortingEnabled(true);
    m_instanceTable->sortByColumn(-1, Qt::AscendingOrder); // start order until a header is clicked
    m_instanceTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_instanceTable->setSelectionMode(QAbstractItemView::SingleSelection);
    m_instanceTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_instanceTable->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_instanceTable->verticalHeader()->hide();
    m_instanceTable->verticalHeader()->setDefaultSectionSize(20);
    m_instanceTable->horizontalHeader()->setStretchLastSection(true);
    m_instanceTable->setColumnWidth(SagaInstanceModel::Correlation, 80);
    m_instanceTable->setColumnWidth(SagaInstanceModel::State, 80);
    m_instanceTable->setColumnWidth(SagaInstanceModel::Age, 64);
    m_instanceTable->setColumnWidth(SagaInstanceModel::LastEvent, 130);
    m_instanceTable->setColumnWidth(SagaInstanceModel::Outcome, 92);
    auto* showEvents = new QAction(tr("Show events"), m_instanceTable);
    showEvents->setToolTip(tr("Filter the event log on this instance's correlation id"));
    m_instanceTable->addAction(showEvents);
    instancesLayout->addWidget(m_instanceTable, 1);
    m_split->addWidget(instances);

    // the timeline of the selected instance
    auto* timeline = new QWidget(this);
    auto* timelineLayout = new QVBoxLayout(timeline);
    timelineLayout->setContentsMargins(4, 0, 4, 0);
    timelineLayout->setSpacing(2);
    m_timelineTitle->setWordWrap(true);
    m_timelineTitle->setTextFormat(Qt::RichText);
    m_timelineTitle->setText(tr("Select an instance for its timeline; double-click it for its events in the log."));
    timelineLayout->addWidget(m_timelineTitle);
    m_timeline->setColumnCount(6);
    m_timeline->setHorizontalHeaderLabels({ tr("gap"), tr("time"), tr("type"), tr("source"), tr("seq"), tr("note") });
    m_timeline->verticalHeader()->hide();
    m_timeline->verticalHeader()->setDefaultSectionSize(20);
    m_timeline->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_timeline->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_timeline->horizontalHeader()->setStretchLastSection(true);
    m_timeline->setColumnWidth(0, 70);
    m_timeline->setColumnWidth(1, 120);
    m_timeline->setColumnWidth(2, 130);
    m_timeline->setColumnWidth(3, 75);
    m_timeline->setColumnWidth(4, 55);
    timelineLayout->addWidget(m_timeline, 1);
    m_split->addWidget(timeline);
    // a saga's diagram runs left to right: wide, not tall; the tables get the rest
    m_split->setStretchFactor(0, 3);
    m_split->setStretchFactor(1, 4);
    m_split->setStretchFactor(2, 3);

    connect(m_choice, &QComboBox::currentIndexChanged, this, &SagaPage::showSaga);
    connect(m_outcome, &QComboBox::currentIndexChanged, this, [this] {
        m_instances->setFilter(SagaInstanceModel::Filter(m_outcome->currentData().toInt()));
        updateInstanceLabels();
    });
    connect(m_idFilter, &QLineEdit::textChanged, this, [this](const QString& text) {
        m_instances->setIdFilter(text);
        updateInstanceLabels();
    });
    connect(m_instanceTable->selectionModel(), &QItemSelectionModel::selectionChanged, this, &SagaPage::showSelected);
    auto requestEvents = [this] {
        const QString id = selectedId();
        if (!id.isEmpty())
            Q_EMIT showEventsRequested(id);
    };
    connect(m_instanceTable, &QTableView::doubleClicked, this, requestEvents);
    connect(showEvents, &QAction::triggered, this, requestEvents);
}

SagaPage::~SagaPage() = default;

void SagaPage::setFlow(std::shared_ptr<const Flow> flow)
{
    m_flow = std::move(flow);
    m_choice->blockSignals(true);
    m_choice->clear();
    if (m_flow)
        for (const Saga& s : m_flow->sagas)
            m_choice->addItem(s.name);
    m_choice->setVisible(m_choice->count() > 1);
    m_choice->blockSignals(false);
    showSaga();
}

void SagaPage::setRecording(const QString& path)
{
    m_recording.reset();
    if (!path.isEmpty()) {
        QString error;
        m_recording = Recording::open(path, &error); // the session opened it first: it reports errors
    }
    m_timelineId.clear();
    m_timeline->setRowCount(0);
}

void SagaPage::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        m_summary->setText(summary()); // its outcome colours follow the theme
}

QString SagaPage::currentSaga() const { return m_choice->currentText(); }

void SagaPage::showSaga()
{
    if (!m_flow || m_choice->currentIndex() < 0)
        return;
    const Saga& saga = m_flow->sagas[m_choice->currentIndex()];
    QByteArray dot = "digraph S { rankdir=LR; nodesep=0.3; ranksep=0.55; node [shape=ellipse width=1.4 height=0.6 fixedsize=true];\n";
    dot += "\"__start\" [shape=point width=0.15];\n\"__start\" -> " + dotId(saga.states.first().name) + " [label=\""
        + saga.start.toUtf8() + "\"];\n";
    // wide enough for the state's name (about a tenth of an inch a character in the bold title, and an ellipse's margins)
    for (const SagaState& st : saga.states)
        if (const double width = 0.45 + 0.11 * double(st.name.size()); width > 1.4)
            dot += dotId(st.name) + " [width=" + QByteArray::number(width, 'f', 2) + "];\n";
    m_arrows.clear();
    auto add = [&](const QString& from, const QString& to, const QString& trigger, const QString& key, bool timeout) {
        for (Arrow& a : m_arrows)
            if (a.from == from && a.to == to) {
                if (!a.triggerKeys.contains(key)) { // the first transition of a type wins: one is shown
                    a.triggers.append(trigger);
                    a.triggerKeys.append(key);
                }
                a.timeoutOnly = a.timeoutOnly && timeout;
                return;
            }
        m_arrows.append(Arrow { from, to, { trigger }, { key }, timeout });
    };
    for (const SagaState& st : saga.states) {
        for (const SagaTransition& t : st.transitions)
            add(st.name, t.target, t.type, t.type, false);
        if (!st.onTimeout.isEmpty())
            add(st.name, st.onTimeout, tr("timeout"), QStringLiteral("timeout"), true);
    }
    for (const Arrow& a : std::as_const(m_arrows)) // room for a count after each trigger
        dot += dotId(a.from) + " -> " + dotId(a.to) + " [label=\"" + a.triggers.join(QStringLiteral(" 00000 / ")).toUtf8()
            + " 00000\"];\n";
    dot += "}\n";
    m_view->setLayout(layoutDot(dot));
    m_instances->setSaga(m_flow, m_choice->currentIndex());
    m_timelineId.clear();
    m_timeline->setRowCount(0);
    update(m_state);
    updateInstanceLabels();
}

namespace {
QColor outcomeColor(SagaOutcome o)
{
    switch (o) {
    case SagaOutcome::Completed: return QColor(0xCF, 0xEA, 0xD4);
    case SagaOutcome::Compensated: return QColor(0xFB, 0xE3, 0xB5);
    case SagaOutcome::Failed: return QColor(0xF6, 0xC9, 0xC4);
    case SagaOutcome::None: break;
    }
    return QColor(0xFF, 0xFF, 0xFF);
}
} // namespace

void SagaPage::update(const QJsonObject& state)
{
    m_state = state;
    if (!m_flow || m_choice->currentIndex() < 0)
        return;
    const Saga& saga = m_flow->sagas[m_choice->currentIndex()];
    const QJsonObject s = state.value(u"sagas").toObject().value(saga.name).toObject();
    const QJsonObject counts = s.value(u"states").toObject();
    const QJsonObject transitions = s.value(u"transitions").toObject();
    const QJsonObject byTrigger = s.value(u"transitions_by_trigger").toObject();
    qint64 open = 0;
    for (const SagaState& st : saga.states)
        if (!st.isFinal())
            open += counts.value(st.name).toInteger();
    for (const SagaState& st : saga.states) {
        GraphView::NodeStyle style;
        style.title = st.name;
        style.ellipse = true;
        const qint64 n = counts.value(st.name).toInteger();
        style.detail = QString::number(n);
        if (st.isFinal()) {
            style.doubleBorder = true;
            style.fill = outcomeColor(st.outcome);
        } else {
            // heat: the share of open instances waiting here, white to deep blue
            const double share = open ? double(n) / double(open) : 0;
            style.fill = QColor::fromHsvF(0.58, 0.04 + 0.55 * std::min(1.0, share * 1.5), 1.0);
        }
        m_view->setNodeStyle(st.name, style);
    }
    for (const Arrow& a : std::as_const(m_arrows)) {
        GraphView::EdgeStyle style;
        const QString pair = a.from + QStringLiteral(" -> ") + a.to;
        const qint64 n = transitions.value(pair).toInteger();
        if (a.triggers.size() == 1) {
            style.label = a.triggers.first() + u' ' + QString::number(n);
        } else {
            // a reply and a timeout (or two replies) into one state: each with its own count
            const QJsonObject perTrigger = byTrigger.value(pair).toObject();
            QStringList parts;
            for (qsizetype i = 0; i < a.triggers.size(); ++i)
                parts.append(a.triggers[i] + u' ' + QString::number(perTrigger.value(a.triggerKeys[i]).toInteger()));
            style.label = parts.join(QStringLiteral(" / "));
        }
        const SagaState* target = saga.state(a.to);
        if (a.timeoutOnly || (target && target->outcome == SagaOutcome::Compensated))
            style.color = QColor(0xC9, 0x8A, 0x1B);
        if (target && target->outcome == SagaOutcome::Failed)
            style.color = QColor(0xC6, 0x3B, 0x31);
        style.dashed = a.timeoutOnly;
        style.width = n > 0 ? 1.6 : 1.0;
        m_view->setEdgeStyle(a.from, a.to, style);
    }
    GraphView::NodeStyle startNode;
    startNode.point = true;
    startNode.border = QColor(0x55, 0x5B, 0x66);
    m_view->setNodeStyle(QStringLiteral("__start"), startNode);
    GraphView::EdgeStyle start;
    start.label = saga.start + u' ' + QString::number(s.value(u"instances").toInteger());
    m_view->setEdgeStyle(QStringLiteral("__start"), saga.states.first().name, start);
    m_summary->setText(summary());
}

QString SagaPage::summary() const
{
    if (!m_flow || m_choice->currentIndex() < 0)
        return {};
    const Saga& saga = m_flow->sagas[m_choice->currentIndex()];
    const QJsonObject s = m_state.value(u"sagas").toObject().value(saga.name).toObject();
    const QJsonObject o = s.value(u"outcomes").toObject();
    const QJsonObject l = s.value(u"latency_ms").toObject();
    const QPalette& p = palette();
    // each label with its number on one line (&nbsp;): a narrow pane wrapped "stuck" from its 0
    return tr("<b>%1</b>: %2 instances · <span style='color:%11'>completed&nbsp;%3</span> · "
              "<span style='color:%12'>compensated&nbsp;%4</span> · <span style='color:%13'>failed&nbsp;%5</span> · "
              "running&nbsp;%6 · <b>stuck&nbsp;%7</b> · anomalies&nbsp;%8 · end to end p50&nbsp;%9&nbsp;ms, "
              "p99&nbsp;%10&nbsp;ms")
        .arg(saga.name.toHtmlEscaped())
        .arg(s.value(u"instances").toInteger())
        .arg(o.value(u"completed").toInteger())
        .arg(o.value(u"compensated").toInteger())
        .arg(o.value(u"failed").toInteger())
        .arg(o.value(u"running").toInteger())
        .arg(o.value(u"stuck").toInteger())
        .arg(s.value(u"anomalies").toInteger())
        .arg(l.value(u"p50").toDouble(), 0, 'f', 0)
        .arg(l.value(u"p99").toDouble(), 0, 'f', 0)
        .arg(Theme::completedText(p).name(), Theme::compensatedText(p).name(), Theme::failedText(p).name());
}

void SagaPage::updateInstances(std::shared_ptr<const SagaInstanceSet> set)
{
    m_updating = true;
    m_positionSeq = set ? set->lastSeq : -1;
    m_instances->setInstances(std::move(set));
    // Rows come and go as the set rolls on; the view then moves its selection to a neighbour.
    // The selection stays on the timeline's instance, or on none when it left the table.
    if (!m_timelineId.isEmpty() && selectedId().toUtf8() != m_timelineId && !selectRow(m_timelineId, false))
        m_instanceTable->clearSelection();
    m_updating = false;
    updateInstanceLabels();
    // the timeline follows its instance while it runs, and is emptied when the instance is not
    // there (a seek to before it began): it showed a future the position had not reached
    if (!m_timelineId.isEmpty()) {
        const SagaTracker::Instance* in = m_instances->find(m_timelineId);
        if (in ? in->lastSeq != m_timelineLastSeq || in->anomalyCount != m_timelineAnomalies : m_timelineLastSeq != Gone)
            loadTimeline(m_timelineId);
    }
}

void SagaPage::updateInstanceLabels()
{
    for (int f = 0; f < SagaInstanceModel::FilterCount; ++f)
        m_outcome->setItemText(f, QStringLiteral("%1 (%2)")
                                      .arg(SagaInstanceModel::filterName(SagaInstanceModel::Filter(f)))
                                      .arg(m_instances->count(SagaInstanceModel::Filter(f))));
    const qint64 matches = m_instances->matchCount();
    // The tracker keeps every instance; the table shows at most MaxRows of the matches.
    m_shown->setText(matches > m_instances->rowCount()
                         ? tr("newest %L1 of %L2").arg(m_instances->rowCount()).arg(matches)
                         : tr("%L1 shown").arg(matches));
    m_shown->setToolTip(matches > m_instances->rowCount()
                            ? tr("The table shows the newest %L1 matching instances; filter by outcome or id to "
                                 "find older ones.").arg(SagaInstanceModel::MaxRows)
                            : QString());
}

QString SagaPage::selectedId() const
{
    const QModelIndexList rows = m_instanceTable->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return {};
    return QString::fromUtf8(rows.first().data(SagaInstanceModel::CorrelationRole).toByteArray());
}

bool SagaPage::selectInstance(const QString& correlationId)
{
    const bool found = selectRow(correlationId.toUtf8(), true);
    if (found)
        loadTimeline(correlationId.toUtf8());
    return found;
}

bool SagaPage::selectRow(const QByteArray& id, bool scroll)
{
    for (int r = 0; r < m_sorted->rowCount(); ++r) {
        const QModelIndex i = m_sorted->index(r, 0);
        if (i.data(SagaInstanceModel::CorrelationRole).toByteArray() == id) {
            m_instanceTable->selectRow(r);
            if (scroll)
                m_instanceTable->scrollTo(i);
            return true;
        }
    }
    return false;
}

void SagaPage::showSelected()
{
    if (m_updating)
        return; // the model moved rows, the user chose nothing
    const QString id = selectedId();
    if (!id.isEmpty())
        loadTimeline(id.toUtf8());
}

void SagaPage::loadTimeline(const QByteArray& correlationId)
{
    m_timelineId = correlationId;
    m_timeline->setRowCount(0);
    const SagaTracker::Instance* in = m_instances->find(correlationId);
    if (!in) {
        m_timelineLastSeq = Gone;
        m_timelineTitle->setText(
            tr("%1 is not in the table at this point of the stream.").arg(QString::fromUtf8(correlationId).toHtmlEscaped()));
        return;
    }
    m_timelineLastSeq = in->lastSeq;
    m_timelineAnomalies = in->anomalyCount;
    const QString id = QString::fromUtf8(correlationId);
    if (!m_recording) {
        m_timelineTitle->setText(tr("<b>%1</b>: no recording to read its events from.").arg(id.toHtmlEscaped()));
        return;
    }
    // Its events: those the recording files under its correlation id (or, without one, whose data
    // holds it where the flow file says), from its first event to TimelineLookahead past its
    // last saga event, plus the ones the tracker counted for it: a bounded scan, never the file.
    const qint64 first = in->seqs.isEmpty() ? in->lastSeq : in->seqs.first();
    // not past the position: a replay has not reached the events after it yet
    const qint64 end = m_positionSeq >= 0 ? std::min(m_recording->eventCount(), m_positionSeq) : m_recording->eventCount();
    const qint64 to = std::min(end, in->lastSeq + TimelineLookahead);
    QMap<qint64, Event> events;
    auto sink = [&events](Event&& e) {
        e.payload.clear();
        events.insert(e.seq, std::move(e));
        return events.size() < MaxTimelineEvents;
    };
    QString error;
    const EventFilter filter = EventsPage::correlationFilter(m_flow.get(), id);
    bool ok = m_recording->readMatching(filter, first, to, sink, &error);
    ok = ok && m_recording->readSeqs(in->seqs, sink, &error);
    if (!ok) {
        m_timelineTitle->setText(tr("<b>%1</b>: cannot read its events: %2").arg(id.toHtmlEscaped(), error.toHtmlEscaped()));
        return;
    }
    QHash<qint64, QString> notes;
    for (const SagaTracker::AnomalyRecord& a : in->anomalies)
        notes.insert(a.seq, SagaTracker::anomalyName(a.kind).replace(u'_', u' '));
    m_timeline->setRowCount(int(events.size()));
    int row = 0;
    qint64 previous = NoTime;
    for (const Event& e : std::as_const(events)) {
        QString gap;
        if (e.hasTime() && previous != NoTime) {
            const qint64 d = e.time - previous;
            gap = (d < 0 ? QStringLiteral("−") : QStringLiteral("+")) + SagaInstanceModel::durationText(std::abs(d));
        } else if (e.hasTime()) {
            gap = tr("start");
        }
        if (e.hasTime())
            previous = e.time;
        const QString time = e.hasTime() ? TimeFormat::toRfc3339String(e.time).mid(11) : QString(); // time of day
        const QStringList cells { gap, time, QString::fromUtf8(e.type), QString::fromUtf8(e.source),
                                  QString::number(e.seq), notes.value(e.seq) };
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (c == 0 || c == 4)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            if (c == 1 && e.hasTime())
                item->setToolTip(TimeFormat::toRfc3339String(e.time));
            m_timeline->setItem(row, c, item);
        }
        ++row;
    }
    const Saga& saga = m_flow->sagas[m_choice->currentIndex()];
    QString title = tr("<b>%1</b> · %2 · %3 · %4")
                        .arg(id.toHtmlEscaped(), saga.states.value(in->state).name.toHtmlEscaped(),
                             SagaInstanceModel::filterName(m_instances->categoryOf(*in)),
                             events.size() == 1 ? tr("1 event") : tr("%L1 events").arg(events.size()));
    if (events.size() >= MaxTimelineEvents)
        title += tr(" (the first %L1)").arg(MaxTimelineEvents);
    if (to < end)
        title += tr(" · searched up to seq %L1").arg(to);
    m_timelineTitle->setToolTip(tr("Searched the recording from seq %L1 to %L2 %3")
                                    .arg(first)
                                    .arg(to)
                                    .arg(to < end ? tr("(%L1 events past its last saga event; later ones not searched)")
                                                        .arg(TimelineLookahead)
                                                  : tr("(the end of the recording)")));
    m_timelineTitle->setText(title);
}

QList<qint64> SagaPage::timelineSeqs() const
{
    QList<qint64> seqs;
    for (int r = 0; r < m_timeline->rowCount(); ++r)
        seqs.append(m_timeline->item(r, 4)->text().toLongLong());
    return seqs;
}

QStringList SagaPage::timelineGaps() const
{
    QStringList gaps;
    for (int r = 0; r < m_timeline->rowCount(); ++r)
        gaps.append(m_timeline->item(r, 0)->text());
    return gaps;
}

} // namespace FlowScope::Gui
