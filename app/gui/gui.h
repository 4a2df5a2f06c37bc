// SPDX-License-Identifier: MIT
#pragma once

namespace FlowScope::Gui {

// True when the command line asks for the window: no arguments on a machine with a display,
// `gui`, or `--screenshot`.
bool wantsGui(int argc, char* argv[]);
// Runs the desktop application (it creates the QApplication) and returns its exit code.
int run(int argc, char* argv[]);

} // namespace FlowScope::Gui
