// SPDX-License-Identifier: MIT
#pragma once

namespace FlowScope {

// Raises the calling thread's nice value by `increment` (Linux keeps one per thread). A window's
// worker threads (simulator, engine, recording writer) call it so that the scheduler runs the
// GUI thread as soon as it wakes, however busy they are: on two cores, three busy workers at the
// same nice value made the GUI thread wait a whole time slice, 20-90 ms, for 1 ms of work.
// Returns false if the system refused; the thread then runs as before.
bool lowerCurrentThreadPriority(int increment);

// The calling thread's nice value (tests).
int currentThreadNice();

// Names the calling thread (at most 15 bytes; longer is cut), as `top -H`, `perf`, gdb and
// /proc/PID/task/TID/comm show it: "fs-engine", "fs-writer", … instead of the program's name.
void setCurrentThreadName(const char* name);

} // namespace FlowScope
