// SPDX-License-Identifier: MIT
#include "faultspage.h"

#include "theme.h"

#include <QHeaderView>
#include <QJsonArray>
#include <QJsonObject>

#include <cmath>

namespace FlowScope::Gui {

namespace {

enum Column { StateColumn, TargetColumn, KindColumn, StrengthColumn, FromColumn, UntilColumn, ColumnCount };

QString seconds(double s) { return QStringLiteral("%1 s").arg(s, 0, 'f', s == std::floor(s) ? 0 : 1); }

} // namespace

QString FaultsPage::strengthOf(const QJsonObject& f)
{
    if (f.contains(u"factor"))
        return QStringLiteral("%1x").arg(f.value(u"factor").toDouble());
    if (f.contains(u"probability"))
        return QStringLiteral("%1 %").arg(f.value(u"probability").toDouble() * 100.0);
    if (f.contains(u"delay"))
        return f.value(u"delay").toString();
    return {};
}

FaultsPage::FaultsPage(QWidget* parent)
    : QTableWidget(parent)
{
    setObjectName(QStringLiteral("faultsTable"));
    setColumnCount(ColumnCount);
    setHorizontalHeaderLabels({ tr("state"), tr("target"), tr("fault"), tr("strength"), tr("from"), tr("until") });
    horizontalHeaderItem(StateColumn)->setToolTip(tr("Scheduled, active or over at the simulated time shown"));
    horizontalHeaderItem(FromColumn)->setToolTip(tr("Simulated time it starts"));
    horizontalHeaderItem(UntilColumn)->setToolTip(tr("Simulated time it ends"));
    verticalHeader()->hide();
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    horizontalHeader()->setStretchLastSection(true);
}

void FaultsPage::showFaults(const QJsonArray& faults, double nowSeconds)
{
    setRowCount(int(faults.size()));
    const QColor activeColor = Theme::failedText(palette());
    const QColor overColor = palette().color(QPalette::Disabled, QPalette::Text);
    for (int r = 0; r < int(faults.size()); ++r) {
        const QJsonObject f = faults.at(r).toObject();
        const double at = f.value(u"at_s").toDouble(), length = f.value(u"for_s").toDouble();
        const bool active = f.value(u"active").toBool(), over = !active && nowSeconds >= at;
        const QString state = active ? tr("active") : over ? tr("over") : tr("scheduled");
        const QString target = f.value(u"target").toString() == u"broker"
            ? tr("broker")
            : f.value(u"target").toString() + u' ' + f.value(u"name").toString();
        const QString texts[ColumnCount] = { state,
                                             target,
                                             f.value(u"kind").toString(),
                                             strengthOf(f),
                                             seconds(at),
                                             seconds(at + length) };
        for (int c = 0; c < ColumnCount; ++c) {
            QTableWidgetItem* item = this->item(r, c);
            if (!item) {
                item = new QTableWidgetItem;
                setItem(r, c, item);
            }
            item->setText(texts[c]);
            item->setForeground(active ? activeColor : over ? overColor : palette().color(QPalette::Text));
        }
    }
}

QString FaultsPage::stateOf(int row) const
{
    const QTableWidgetItem* i = item(row, StateColumn);
    return i ? i->text() : QString();
}

} // namespace FlowScope::Gui
