// SPDX-License-Identifier: MIT
#pragma once

#include "sourcepage.h"

namespace FlowScope::Gui {

// The file page of the Connect dialog: a JSONL or kcat -J file followed as it grows (tail -F),
// from its beginning or only its new lines, as `flowscope record --follow FILE --from ...`.
// The file must exist when connecting: a mistyped name would otherwise wait for it forever.
class FilePage final : public SourcePage {
    Q_OBJECT
public:
    enum StartChoice { Beginning, End };

    explicit FilePage(QWidget* parent = nullptr);
    std::unique_ptr<Connectors::Source> createSource(QString* error) const override;

private:
    QLineEdit* m_path;
    QComboBox* m_startAt;
};

} // namespace FlowScope::Gui
