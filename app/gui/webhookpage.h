// SPDX-License-Identifier: MIT
#pragma once

#include "sourcepage.h"

namespace FlowScope::Gui {

// The webhook page of the Connect dialog: where to listen (address, 127.0.0.1 by default, and
// port), an optional HMAC secret for X-Signature-256 (a password field: never saved, never
// shown) and the largest body, as `flowscope record --webhook [HOST:]PORT`. Any path is taken:
// it names the events' channel, which a note under the form shows with the URL to POST to.
class WebhookPage final : public SourcePage {
    Q_OBJECT
public:
    explicit WebhookPage(QWidget* parent = nullptr);
    std::unique_ptr<Connectors::Source> createSource(QString* error) const override;

private:
    void updateNote();

    QLineEdit* m_address;
    QSpinBox* m_port;
    QLineEdit* m_secret;
    QSpinBox* m_maxBody; // KiB
    QLabel* m_note;
};

} // namespace FlowScope::Gui
