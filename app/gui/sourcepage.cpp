// SPDX-License-Identifier: MIT
#include "sourcepage.h"

#include <source.h>

#include <QAbstractSpinBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>

namespace FlowScope::Gui {

SourcePage::SourcePage(const QString& kind, const QString& settingsGroup, QWidget* parent)
    : QWidget(parent)
    , m_kind(kind)
    , m_group(settingsGroup)
    , m_form(new QFormLayout)
{
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(m_form);
    layout->addStretch(1); // notes (addNote) go between the form and the stretch
}

void SourcePage::remember() const
{
    QSettings settings;
    settings.beginGroup(m_group);
    for (const auto& save : m_savers)
        save(settings);
}

void SourcePage::keep(
    QLineEdit* field, const QString& key, const QString& fallback, std::function<QString(const QString&)> save)
{
    QSettings settings;
    field->setText(settings.value(m_group + u'/' + key, fallback).toString());
    m_savers.push_back([field, key, save = std::move(save)](QSettings& s) {
        const QString text = field->text().trimmed();
        s.setValue(key, save ? save(text) : text);
    });
}

void SourcePage::keepUrl(QLineEdit* field, const QString& key)
{
    // kept as typed, so that a typo can be corrected next time; never a credential
    keep(field, key, {}, [](const QString& text) { return Connectors::redactedUrlText(text); });
}

QByteArray SourcePage::channel(const QLineEdit* field)
{
    const QString text = field->text().trimmed();
    return text.isEmpty() ? QByteArray() : text.toUtf8();
}

void SourcePage::keep(QComboBox* field, const QString& key, int fallbackData)
{
    QSettings settings;
    const int index = field->findData(settings.value(m_group + u'/' + key, fallbackData).toInt());
    field->setCurrentIndex(index >= 0 ? index : field->findData(fallbackData));
    m_savers.push_back([field, key](QSettings& s) { s.setValue(key, field->currentData().toInt()); });
}

void SourcePage::keep(QSpinBox* field, const QString& key, int fallback)
{
    QSettings settings;
    field->setValue(settings.value(m_group + u'/' + key, fallback).toInt());
    m_savers.push_back([field, key](QSettings& s) { s.setValue(key, field->value()); });
}

void SourcePage::keep(QDoubleSpinBox* field, const QString& key, double fallback)
{
    QSettings settings;
    field->setValue(settings.value(m_group + u'/' + key, fallback).toDouble());
    m_savers.push_back([field, key](QSettings& s) { s.setValue(key, field->value()); });
}

void SourcePage::keep(QDateTimeEdit* field, const QString& key, const QDateTime& fallback)
{
    QSettings settings;
    bool ok = false;
    const qint64 ms = settings.value(m_group + u'/' + key).toLongLong(&ok);
    field->setDateTime(ok ? QDateTime::fromMSecsSinceEpoch(ms) : fallback);
    m_savers.push_back([field, key](QSettings& s) { s.setValue(key, field->dateTime().toMSecsSinceEpoch()); });
}

void SourcePage::addRow(const QString& label, QWidget* field, const QString& toolTip)
{
    field->setToolTip(toolTip);
    // numbers and times need little room: a spin box the width of the dialog looks like a text field
    if (qobject_cast<QAbstractSpinBox*>(field)) {
        field->setSizePolicy(QSizePolicy::Fixed, field->sizePolicy().verticalPolicy());
        field->setMinimumWidth(std::max(field->sizeHint().width(), 160));
    }
    m_form->addRow(label, field);
    if (auto* l = qobject_cast<QLabel*>(m_form->labelForField(field)))
        l->setToolTip(toolTip);
}

void SourcePage::addRow(const QString& label, QLayout* fields)
{
    auto* l = new QLabel(label, this);
    if (fields->count() > 0)
        l->setBuddy(fields->itemAt(0)->widget()); // the label's shortcut goes to the field, not the button
    m_form->addRow(l, fields);
}

QLabel* SourcePage::addNote(const QString& text)
{
    auto* note = new QLabel(text, this);
    note->setWordWrap(true);
    note->setTextInteractionFlags(Qt::TextSelectableByMouse);
    note->setForegroundRole(QPalette::PlaceholderText);
    auto* layout = static_cast<QVBoxLayout*>(this->layout());
    layout->insertWidget(layout->count() - 1, note);
    return note;
}

QLineEdit* SourcePage::lineEdit(const QString& objectName, const QString& placeholder)
{
    auto* field = new QLineEdit(this);
    field->setObjectName(objectName);
    field->setPlaceholderText(placeholder);
    field->setClearButtonEnabled(true);
    return field;
}

QLayout* SourcePage::withBrowse(QLineEdit* field, const QString& caption, const QString& filter)
{
    auto* browse = new QToolButton(this);
    browse->setObjectName(field->objectName() + QStringLiteral("Browse"));
    browse->setText(tr("Browse…"));
    connect(browse, &QToolButton::clicked, this, [this, field, caption, filter] {
        const QString path = QFileDialog::getOpenFileName(this, caption, field->text(), filter);
        if (!path.isEmpty())
            field->setText(path);
    });
    auto* row = new QHBoxLayout;
    row->addWidget(field, 1);
    row->addWidget(browse);
    return row;
}

} // namespace FlowScope::Gui
