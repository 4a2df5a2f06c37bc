// SPDX-License-Identifier: MIT
#include "eventspage.h"

#include <eventlogmodel.h>
#include <flowfile.h>
#include <timeformat.h>

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace FlowScope::Gui {

namespace {
QComboBox* choiceBox(QWidget* parent, const QString& placeholder, const QString& tip)
{
    auto* box = new QComboBox(parent);
    box->setEditable(true);
    box->setInsertPolicy(QComboBox::NoInsert);
    box->lineEdit()->setPlaceholderText(placeholder);
    box->lineEdit()->setClearButtonEnabled(true);
    box->setToolTip(tip);
    box->setMinimumContentsLength(12);
    box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    box->addItem(QString());
    return box;
}

// Bytes as text when they are UTF-8 without control characters, else as hex.
QString bytesText(const QByteArray& bytes)
{
    const QString text = QString::fromUtf8(bytes);
    bool printable = !text.contains(QChar::ReplacementCharacter);
    for (QChar c : text)
        printable = printable && (c.isPrint() || c == u'\n' || c == u'\t' || c == u'\r');
    if (printable)
        return text;
    return QStringLiteral("(%1 bytes, hex) ").arg(bytes.size()) + QString::fromLatin1(bytes.left(4096).toHex(' '));
}
} // namespace

EventsPage::EventsPage(QWidget* parent)
    : QWidget(parent)
    , m_type(choiceBox(this, tr("type"), tr("Only events of this type (exact)")))
    , m_source(choiceBox(this, tr("source"), tr("Only events from this source (exact)")))
    , m_channel(choiceBox(this, tr("channel"), tr("Only events on this channel (exact)")))
    , m_correlation(new QLineEdit(this))
    , m_text(new QLineEdit(this))
    , m_clear(new QToolButton(this))
    , m_status(new QLabel(this))
    , m_model(new EventLogModel(this))
    , m_table(new QTableView(this))
    , m_detail(new QPlainTextEdit(this))
    , m_split(new QSplitter(Qt::Horizontal, this))
    , m_debounce(new QTimer(this))
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    auto* bar = new QHBoxLayout;
    bar->setContentsMargins(4, 2, 4, 0);
    m_correlation->setPlaceholderText(tr("correlation id"));
    m_correlation->setToolTip(tr("Only the events of this flow (exact correlation id)"));
    m_correlation->setClearButtonEnabled(true);
    m_text->setPlaceholderText(tr("text"));
    m_text->setToolTip(tr("Events with this text in an attribute or their data (any case)"));
    m_text->setClearButtonEnabled(true);
    m_clear->setText(tr("Clear"));
    m_clear->setToolTip(tr("Show every event"));
    bar->addWidget(m_type, 2);
    bar->addWidget(m_source, 2);
    bar->addWidget(m_channel, 2);
    bar->addWidget(m_correlation, 2);
    bar->addWidget(m_text, 3);
    bar->addWidget(m_clear);
    layout->addLayout(bar);
    m_status->setContentsMargins(6, 0, 6, 0);
    layout->addWidget(m_status);

    m_table->setModel(m_model);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(20);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setColumnWidth(EventLogModel::Seq, 56);
    m_table->setColumnWidth(EventLogModel::Time, 196);
    m_table->setColumnWidth(EventLogModel::Type, 136);
    m_table->setColumnWidth(EventLogModel::Source, 76);
    m_table->setColumnWidth(EventLogModel::Channel, 116);
    m_table->setColumnWidth(EventLogModel::Correlation, 90);
    m_detail->setReadOnly(true);
    m_detail->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_detail->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_detail->setPlaceholderText(tr("Select an event for its attributes, headers and data."));
    m_split->addWidget(m_table);
    m_split->addWidget(m_detail);
    m_split->setStretchFactor(0, 5);
    m_split->setStretchFactor(1, 3);
    m_split->setChildrenCollapsible(false);
    layout->addWidget(m_split, 1);

    // typing filters after a pause (300 ms), Enter or a pick from the list at once
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(300);
    connect(m_debounce, &QTimer::timeout, this, &EventsPage::applyFilter);
    for (QComboBox* box : { m_type, m_source, m_channel }) {
        connect(box->lineEdit(), &QLineEdit::textEdited, m_debounce, qOverload<>(&QTimer::start));
        connect(box->lineEdit(), &QLineEdit::returnPressed, this, &EventsPage::applyFilter);
        connect(box, &QComboBox::activated, this, &EventsPage::applyFilter);
        // the clear button edits the text without textEdited
        connect(box->lineEdit(), &QLineEdit::textChanged, this, [this](const QString& t) {
            if (t.isEmpty())
                m_debounce->start();
        });
    }
    for (QLineEdit* edit : { m_correlation, m_text }) {
        connect(edit, &QLineEdit::textEdited, m_debounce, qOverload<>(&QTimer::start));
        connect(edit, &QLineEdit::returnPressed, this, &EventsPage::applyFilter);
        connect(edit, &QLineEdit::textChanged, this, [this](const QString& t) {
            if (t.isEmpty())
                m_debounce->start();
        });
    }
    connect(m_clear, &QToolButton::clicked, this, [this] { setFilter({}); });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &EventsPage::showDetail);
    connect(m_model, &EventLogModel::scanProgress, this, &EventsPage::updateStatus);
    connect(m_model, &EventLogModel::readFailed, this, &EventsPage::errorOccurred);
    connect(m_model, &EventLogModel::modelReset, m_detail, &QPlainTextEdit::clear);
    connect(m_model, &EventLogModel::rowsInserted, this, &EventsPage::selectFirstIfAsked);
    updateStatus();
}

bool EventsPage::open(const QString& recordingPath, std::shared_ptr<const Flow> flow, QString* error, qint64 retention)
{
    m_flow = std::move(flow);
    m_retention = retention;
    // rows never reach back past what the recording keeps
    m_model->setMaxRows(int(retention > 0 ? std::min<qint64>(retention, EventLogModel::GrowingMaxRows)
                                          : EventLogModel::DefaultMaxRows));
    const bool ok = m_model->open(recordingPath, error);
    updateStatus();
    return ok;
}

void EventsPage::refresh() { m_model->refresh(); }

void EventsPage::setChoices(QComboBox* box, const QStringList& items)
{
    QStringList now;
    for (int i = 1; i < box->count(); ++i)
        now.append(box->itemText(i));
    if (now == items)
        return; // never disturb a user typing for nothing
    const QString text = box->currentText();
    const QSignalBlocker block(box);
    while (box->count() > 1)
        box->removeItem(1);
    box->addItems(items);
    box->setEditText(text);
}

void EventsPage::updateChoices(const QJsonObject& state)
{
    setChoices(m_type, state.value(u"types").toObject().keys());
    setChoices(m_source, state.value(u"sources").toObject().keys());
    setChoices(m_channel, state.value(u"channels").toObject().keys());
}

EventFilter EventsPage::correlationFilter(const Flow* flow, const QString& id)
{
    EventFilter f;
    f.correlation = id;
    if (flow && flow->correlation.path && flow->correlation.path->root == FieldPath::Root::Data)
        f.correlationDataPath = flow->correlation.path->segments;
    return f;
}

EventFilter EventsPage::filter() const
{
    EventFilter f = correlationFilter(m_flow.get(), m_correlation->text().trimmed());
    f.type = m_type->currentText().trimmed();
    f.source = m_source->currentText().trimmed();
    f.channel = m_channel->currentText().trimmed();
    f.text = m_text->text();
    return f;
}

void EventsPage::setFilter(const EventFilter& f)
{
    for (QWidget* w : std::initializer_list<QWidget*> { m_type, m_source, m_channel, m_correlation, m_text })
        w->blockSignals(true);
    m_type->setEditText(f.type);
    m_source->setEditText(f.source);
    m_channel->setEditText(f.channel);
    m_correlation->setText(f.correlation);
    m_text->setText(f.text);
    for (QWidget* w : std::initializer_list<QWidget*> { m_type, m_source, m_channel, m_correlation, m_text })
        w->blockSignals(false);
    applyFilter();
}

void EventsPage::showCorrelation(const QString& id)
{
    setFilter(correlationFilter(m_flow.get(), id));
    // its first event in the detail pane, where a jump should land (now, or when it is found)
    m_selectFirst = true;
    selectFirstIfAsked();
}

void EventsPage::selectFirstIfAsked()
{
    if (!m_selectFirst || m_model->rowCount() == 0)
        return;
    m_selectFirst = false;
    m_table->setCurrentIndex(m_model->index(0, 0));
}

void EventsPage::applyFilter()
{
    m_debounce->stop();
    if (filter() == m_model->filter())
        return; // a field was re-set to what it was
    m_selectFirst = false;
    m_model->refresh(); // scan what the recording holds now, not what it held at the last tick
    m_model->setFilter(filter());
    updateStatus();
}

void EventsPage::updateStatus()
{
    const qint64 total = m_model->totalEvents();
    const QString dropped = m_retention > 0 && total > m_retention
        ? tr("; the session keeps the newest %L1, older ones were dropped").arg(m_retention)
        : QString();
    if (!m_model->isFiltered() && m_model->base() > 0)
        m_status->setText(tr("%L1 events; the latest %L2 are rows (filter to reach older ones)%3")
                              .arg(total)
                              .arg(m_model->rowCount())
                              .arg(dropped));
    else if (!dropped.isEmpty() && m_model->isFiltered())
        m_status->setText(tr("%L1 matching events of %L2%3").arg(m_model->rowCount()).arg(total).arg(dropped));
    else if (!m_model->isFiltered())
        m_status->setText(tr("%L1 events").arg(total));
    else if (m_model->scanComplete())
        m_status->setText(tr("%L1 matching events of %L2").arg(m_model->rowCount()).arg(total));
    else
        m_status->setText(tr("%L1 matching events in the first %L2 of %L3 (scroll for more)")
                              .arg(m_model->rowCount())
                              .arg(m_model->scannedEvents())
                              .arg(total));
}

void EventsPage::showDetail()
{
    const QModelIndex current = m_table->selectionModel()->currentIndex();
    const auto e = current.isValid() ? m_model->event(current.row()) : std::nullopt;
    m_detail->setPlainText(e ? describe(*e) : QString());
}

QString EventsPage::describe(const Event& e)
{
    QString out;
    auto line = [&out](const char* name, const QString& value) {
        if (!value.isEmpty())
            out += QString::fromLatin1(name).leftJustified(16) + value + u'\n';
    };
    auto time = [](qint64 t) { return t == NoTime ? QString() : TimeFormat::toRfc3339String(t); };
    line("seq", QString::number(e.seq));
    line("id", QString::fromUtf8(e.id));
    line("type", QString::fromUtf8(e.type));
    line("source", QString::fromUtf8(e.source));
    line("subject", QString::fromUtf8(e.subject()));
    line("time", time(e.time));
    line("correlation", QString::fromUtf8(e.correlationId));
    line("causation", QString::fromUtf8(e.causationId));
    line("traceparent", QString::fromUtf8(e.traceParent()));
    line("specversion", QString::fromUtf8(e.specVersion));
    line("content type", QString::fromUtf8(e.dataContentType));
    line("data schema", QString::fromUtf8(e.dataSchema()));
    line("extensions", QString::fromUtf8(e.extensions()));
    line("channel", QString::fromUtf8(e.channel));
    if (e.partition >= 0)
        line("partition", QString::number(e.partition));
    if (e.offset >= 0)
        line("offset", QString::number(e.offset));
    if (!e.key.isNull())
        line("key", bytesText(e.key));
    line("broker time", time(e.brokerTime));
    if (e.ingestTime > 0) // 0: not known (simulated events)
        line("ingest time", time(e.ingestTime));
    line("format", formatName(e.format));
    QStringList flags;
    if (e.flags & Unparsed)
        flags.append(QStringLiteral("unparsed"));
    if (e.flags & PayloadJson)
        flags.append(QStringLiteral("json"));
    if (e.flags & DataBase64)
        flags.append(QStringLiteral("data_base64"));
    line("flags", flags.join(QStringLiteral(", ")));
    line("error", QString::fromUtf8(e.error()));
    if (!e.headers().isEmpty()) {
        out += QStringLiteral("\nheaders\n");
        for (const Header& h : e.headers())
            out += QStringLiteral("  ") + QString::fromUtf8(h.name) + QStringLiteral(": ")
                + (h.isNull ? QStringLiteral("(null)") : bytesText(h.value)) + u'\n';
    }
    if (!e.payload.isNull()) {
        out += e.isUnparsed() ? QStringLiteral("\nas received\n") : QStringLiteral("\ndata\n");
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(e.payload, &error);
        if (error.error == QJsonParseError::NoError && !doc.isNull())
            out += QString::fromUtf8(doc.toJson(QJsonDocument::Indented));
        else
            out += bytesText(e.payload) + u'\n';
    }
    return out;
}

} // namespace FlowScope::Gui
