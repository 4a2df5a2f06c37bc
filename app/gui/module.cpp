// SPDX-License-Identifier: MIT
// The entry point of libflowscope-gui.so: the window as a module, which `flowscope` loads only
// when it opens one (app/main.cpp), so that its command-line commands start without Qt Widgets,
// Charts, OpenGL and the X11 and font libraries beneath them.
#include "gui.h"

extern "C" __attribute__((visibility("default"))) int flowscope_gui_run(int argc, char* argv[])
{
    return FlowScope::Gui::run(argc, argv);
}
