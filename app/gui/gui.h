// SPDX-License-Identifier: MIT
#pragma once

namespace FlowScope::Gui {

// Runs the desktop application (it creates the QApplication) and returns its exit code. The
// `flowscope` executable reaches it through libflowscope-gui.so (module.cpp); tests link it.
int run(int argc, char* argv[]);

} // namespace FlowScope::Gui
