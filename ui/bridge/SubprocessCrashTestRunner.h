// SubprocessCrashTestRunner: the desktop app's CrashTestRunner (core/engine/engine.h). The GUI
// does not link the crash lab (loopsnap_crashlab); it runs `loopsnapctl --json crashtest
// SCENARIO --seed S [--ops N] [--legacy]` as a child process and reads its JSON lines: progress
// objects ({"event":"progress","states_checked","crash_points_done","crash_points_total"}) become
// progress(states, estimated total states), the final object becomes the CrashTestOutcome
// (violation, counts, invariant, detail, trace, leaked_chunks + store, garbage_region).
//
// Cancel: when the job's cancel flag turns true the child gets SIGINT (it stops between states and
// still prints its result); if it has not exited after the grace period it gets SIGKILL. A
// cancelled run returns Aborted with detail "cancelled".
//
// Threads: the runner runs on the engine's crash-test job thread, which has no Qt event loop:
// the QProcess is created, driven (blocking waits of at most 100 ms) and destroyed on that thread.
// Nothing here touches the GUI.
#pragma once

#include <QString>

#include "core/engine/engine.h"

namespace loopsnap::ui {

// Where loopsnapctl is: $LOOPSNAPCTL if set, beside the app binary, the build tree's
// app/loopsnapctl/ next to app/loopsnap/, then PATH. "" when none is found.
QString locateLoopsnapctl();

CrashTestRunner subprocessCrashTestRunner(QString loopsnapctlPath = locateLoopsnapctl(), int graceMs = 3000);

}  // namespace loopsnap::ui
