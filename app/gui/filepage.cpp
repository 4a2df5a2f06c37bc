// SPDX-License-Identifier: MIT
#include "filepage.h"

#include <jsonlfilesource.h>

#include <QComboBox>
#include <QLineEdit>

namespace FlowScope::Gui {

FilePage::FilePage(QWidget* parent)
    : SourcePage(QStringLiteral("File"), QStringLiteral("follow"), parent)
    , m_path(lineEdit(QStringLiteral("path"), tr("a JSONL file: one event a line")))
    , m_startAt(new QComboBox(this))
{
    m_startAt->setObjectName(QStringLiteral("startAt"));
    m_startAt->addItem(tr("the beginning (every line)"), Beginning);
    m_startAt->addItem(tr("the end (new lines only)"), End);
    addRow(tr("&File:"),
        withBrowse(m_path, tr("Follow a file"), tr("JSON lines (*.jsonl *.ndjson *.json *.log);;All files (*)")));
    addRow(tr("Start &at:"), m_startAt);
    addNote(tr("The file is followed as it grows, as tail -F does, also across rotation. Each line is one "
               "event: a CloudEvent, a kcat -J envelope or plain JSON; others are kept as unparsed."));
    keep(m_path, QStringLiteral("path"));
    keep(m_startAt, QStringLiteral("startAt"), Beginning);
}

std::unique_ptr<Connectors::Source> FilePage::createSource(QString* error) const
{
    Connectors::JsonlFileSource::Options o;
    o.path = m_path->text().trimmed();
    if (o.path.isEmpty()) {
        *error = tr("no file chosen");
        return nullptr;
    }
    if (const QString problem = Connectors::JsonlFileSource::checkFile(o.path); !problem.isEmpty()) {
        *error = problem;
        return nullptr;
    }
    o.fromEnd = m_startAt->currentData().toInt() == End;
    return std::make_unique<Connectors::JsonlFileSource>(std::move(o));
}

} // namespace FlowScope::Gui
