// SPDX-License-Identifier: MIT
#pragma once

#include "sourcepage.h"

class QDoubleSpinBox;

namespace FlowScope::Gui {

// The HTTP polling page of the Connect dialog: the http:// or https:// URL, the time between two
// requests and an optional channel, as `flowscope record --poll URL --interval D`. What an
// answer holds (a JSON array of events, an Atom feed, one event) is told by its content, so
// there is no format to choose.
class HttpPollPage final : public SourcePage {
    Q_OBJECT
public:
    explicit HttpPollPage(QWidget* parent = nullptr);
    std::unique_ptr<Connectors::Source> createSource(QString* error) const override;

private:
    QLineEdit* m_url;
    QDoubleSpinBox* m_interval; // seconds
    QLineEdit* m_channel;
};

} // namespace FlowScope::Gui
