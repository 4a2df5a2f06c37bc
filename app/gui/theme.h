// SPDX-License-Identifier: MIT
#pragma once

#include <QColor>
#include <QPalette>

namespace FlowScope::Gui::Theme {

enum class Kind { Light, Dark };

// Sets the application's palette (the Fusion style, which follows palettes faithfully).
// Widgets that draw their own colours (graphs, charts, rich text) re-read the palette on
// QEvent::PaletteChange / ApplicationPaletteChange.
void apply(Kind kind);
Kind current();
QString name(Kind kind);            // "light", "dark": the settings value
Kind fromName(const QString& name); // anything else is light
QPalette darkPalette();
bool isDark(const QPalette& palette);

// Outcome colours for text on the window background (the saga summary): darker on light,
// lighter on dark, so that they stay readable in both.
QColor completedText(const QPalette& palette);
QColor compensatedText(const QPalette& palette);
QColor failedText(const QPalette& palette);

} // namespace FlowScope::Gui::Theme
