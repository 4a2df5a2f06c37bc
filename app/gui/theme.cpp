// SPDX-License-Identifier: MIT
#include "theme.h"

#include <QApplication>
#include <QStyle>
#include <QStyleFactory>

namespace FlowScope::Gui::Theme {

namespace {
Kind g_current = Kind::Light;
bool g_styled = false; // switched to Fusion (once dark, always: a style switch back would flicker)
}

QPalette darkPalette()
{
    QPalette p;
    const QColor window(0x2B, 0x2D, 0x31), base(0x1F, 0x21, 0x24), text(0xE3, 0xE5, 0xE8);
    const QColor disabled(0x80, 0x84, 0x8A);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(0x26, 0x28, 0x2C));
    p.setColor(QPalette::ToolTipBase, QColor(0x3A, 0x3D, 0x42));
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, disabled);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, QColor(0x35, 0x38, 0x3D));
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, QColor(0xFF, 0x6B, 0x6B));
    p.setColor(QPalette::Light, QColor(0x4A, 0x4D, 0x53));
    p.setColor(QPalette::Midlight, QColor(0x40, 0x43, 0x48));
    p.setColor(QPalette::Mid, QColor(0x30, 0x32, 0x36));
    p.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1B));
    p.setColor(QPalette::Shadow, QColor(0x0C, 0x0C, 0x0D));
    p.setColor(QPalette::Highlight, QColor(0x2F, 0x6F, 0xD0));
    p.setColor(QPalette::HighlightedText, QColor(0xFF, 0xFF, 0xFF));
    p.setColor(QPalette::Link, QColor(0x6C, 0xA8, 0xFF));
    p.setColor(QPalette::LinkVisited, QColor(0xB3, 0x8C, 0xFF));
    for (QPalette::ColorRole role : { QPalette::WindowText, QPalette::Text, QPalette::ButtonText })
        p.setColor(QPalette::Disabled, role, disabled);
    return p;
}

void apply(Kind kind)
{
    g_current = kind;
    if (kind == Kind::Light && !g_styled)
        return; // the platform's own look, untouched
    // Fusion draws with the palette; native styles may ignore parts of a dark one
    if (!g_styled) {
        if (QStyle* fusion = QStyleFactory::create(QStringLiteral("Fusion")))
            QApplication::setStyle(fusion);
        g_styled = true;
    }
    QApplication::setPalette(kind == Kind::Dark ? darkPalette() : QApplication::style()->standardPalette());
}

Kind current() { return g_current; }

QString name(Kind kind) { return kind == Kind::Dark ? QStringLiteral("dark") : QStringLiteral("light"); }

Kind fromName(const QString& name) { return name == u"dark" ? Kind::Dark : Kind::Light; }

bool isDark(const QPalette& palette) { return palette.color(QPalette::Window).lightness() < 128; }

QColor completedText(const QPalette& palette) { return isDark(palette) ? QColor(0x7B, 0xD8, 0x8F) : QColor(0x2E, 0x7D, 0x32); }
QColor compensatedText(const QPalette& palette) { return isDark(palette) ? QColor(0xF5, 0xC1, 0x5C) : QColor(0xB2, 0x6A, 0x00); }
QColor failedText(const QPalette& palette) { return isDark(palette) ? QColor(0xFF, 0x8A, 0x80) : QColor(0xC6, 0x28, 0x28); }

} // namespace FlowScope::Gui::Theme
