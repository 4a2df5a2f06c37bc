// SPDX-License-Identifier: MIT
#pragma once

#include <QDialog>

class QTabWidget;

namespace FlowScope::Gui {

class SourcePage;

// File > Connect to a source: one tab per kind of live source (Kafka, WebSocket, Webhook,
// HTTP poll, File), each a SourcePage. It only collects the settings: MainWindow::connectTo()
// makes the source from the current page, starts it, and shows in its banner what is wrong.
// Each page's fields, and the tab last used, open as they were left (never a secret).
class ConnectDialog final : public QDialog {
    Q_OBJECT
public:
    explicit ConnectDialog(QWidget* parent = nullptr);

    QList<SourcePage*> pages() const { return m_pages; }
    SourcePage* currentPage() const;
    // The page of this kind ("Kafka", "WebSocket", "Webhook", "HTTP poll", "File"), or null.
    SourcePage* page(const QString& kind) const;
    void setCurrentKind(const QString& kind);
    void remember() const; // the current page's fields and which page it is

private:
    QTabWidget* m_tabs;
    QList<SourcePage*> m_pages;
};

} // namespace FlowScope::Gui
