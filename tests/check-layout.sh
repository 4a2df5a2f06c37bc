#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The core stays GUI-free (DESIGN.md "Layout"): no widget or chart code outside app/.
set -u
cd "$(dirname "$0")/.."
bad=$(grep -rnE '#include *<(Qt(Widgets|Charts|Gui)/|QWidget|QMainWindow|QApplication|QGraphics[A-Za-z]*|QChart[A-Za-z]*|QPainter)' \
      model simulator connectors 2>/dev/null)
if [ -n "$bad" ]; then
    echo "GUI code outside app/:"
    echo "$bad"
    exit 1
fi
echo "layout ok: model/, simulator/, connectors/ include no GUI headers"
