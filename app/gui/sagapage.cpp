// SPDX-License-Identifier: MIT
#include "sagapage.h"

#include "graphview.h"

#include <flowfile.h>

#include <QComboBox>
#include <QLabel>
#include <QVBoxLayout>

namespace FlowScope::Gui {

SagaPage::SagaPage(QWidget* parent)
    : QWidget(parent)
    , m_choice(new QComboBox(this))
    , m_view(new GraphView(this))
    , m_summary(new QLabel(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_choice);
    layout->addWidget(m_view, 1);
    m_summary->setMargin(6);
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setWordWrap(true); // one long line would make the whole dock ask for its width
    layout->addWidget(m_summary);
    connect(m_choice, &QComboBox::currentIndexChanged, this, &SagaPage::showSaga);
}

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

void SagaPage::showSaga()
{
    if (!m_flow || m_choice->currentIndex() < 0)
        return;
    const Saga& saga = m_flow->sagas[m_choice->currentIndex()];
    QByteArray dot = "digraph S { rankdir=LR; nodesep=0.3; ranksep=0.55; node [shape=ellipse width=1.4 height=0.6 fixedsize=true];\n";
    dot += "\"__start\" [shape=point width=0.15];\n\"__start\" -> " + dotId(saga.states.first().name) + " [label=\""
        + saga.start.toUtf8() + "\"];\n";
    for (const SagaState& st : saga.states)
        for (const SagaTransition& t : st.transitions)
            dot += dotId(st.name) + " -> " + dotId(t.target) + " [label=\"" + t.type.toUtf8() + " 00000\"];\n";
    for (const SagaState& st : saga.states)
        if (!st.onTimeout.isEmpty())
            dot += dotId(st.name) + " -> " + dotId(st.onTimeout) + " [label=\"timeout 00000\"];\n";
    dot += "}\n";
    m_view->setLayout(layoutDot(dot));
    update(m_state);
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
    for (const SagaState& st : saga.states) {
        for (const SagaTransition& t : st.transitions) {
            GraphView::EdgeStyle style;
            const qint64 n = transitions.value(st.name + QStringLiteral(" -> ") + t.target).toInteger();
            style.label = t.type + u' ' + QString::number(n);
            const SagaState* target = saga.state(t.target);
            if (target && target->outcome == SagaOutcome::Compensated)
                style.color = QColor(0xC9, 0x8A, 0x1B);
            if (target && target->outcome == SagaOutcome::Failed)
                style.color = QColor(0xC6, 0x3B, 0x31);
            style.width = n > 0 ? 1.6 : 1.0;
            m_view->setEdgeStyle(st.name, t.target, style);
        }
        if (!st.onTimeout.isEmpty()) {
            GraphView::EdgeStyle style;
            style.dashed = true;
            style.color = QColor(0xC9, 0x8A, 0x1B);
            style.label = tr("timeout") + u' '
                + QString::number(transitions.value(st.name + QStringLiteral(" -> ") + st.onTimeout).toInteger());
            m_view->setEdgeStyle(st.name, st.onTimeout, style);
        }
    }
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
    return tr("<b>%1</b>: %2 instances · <span style='color:#2e7d32'>completed %3</span> · "
              "<span style='color:#b26a00'>compensated %4</span> · <span style='color:#c62828'>failed %5</span> · "
              "running %6 · <b>stuck %7</b> · anomalies %8 · end to end p50 %9 ms, p99 %10 ms")
        .arg(saga.name.toHtmlEscaped())
        .arg(s.value(u"instances").toInteger())
        .arg(o.value(u"completed").toInteger())
        .arg(o.value(u"compensated").toInteger())
        .arg(o.value(u"failed").toInteger())
        .arg(o.value(u"running").toInteger())
        .arg(o.value(u"stuck").toInteger())
        .arg(s.value(u"anomalies").toInteger())
        .arg(l.value(u"p50").toDouble(), 0, 'f', 0)
        .arg(l.value(u"p99").toDouble(), 0, 'f', 0);
}

} // namespace FlowScope::Gui
