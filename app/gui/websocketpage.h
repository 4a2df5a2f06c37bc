// SPDX-License-Identifier: MIT
#pragma once

#include "sourcepage.h"

namespace FlowScope::Gui {

// The WebSocket page of the Connect dialog: the server's ws:// or wss:// URL and an optional
// channel (default: the URL's path), as `flowscope record --websocket URL --channel NAME`.
// Each message is one event; the source reconnects by itself.
class WebSocketPage final : public SourcePage {
    Q_OBJECT
public:
    explicit WebSocketPage(QWidget* parent = nullptr);
    std::unique_ptr<Connectors::Source> createSource(QString* error) const override;

private:
    QLineEdit* m_url;
    QLineEdit* m_channel;
};

} // namespace FlowScope::Gui
