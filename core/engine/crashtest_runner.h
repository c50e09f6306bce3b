// The in-process crash test runner: calls core/crashlab on the job's thread. It lives in
// loopsnap_crashlab (not loopsnap_core) so that the GUI, which does not link the crash lab,
// never pulls it in; the CLI and the tests register it with Engine::setCrashTestRunner.
//
// Progress and cancel: a sampler thread passes the crash lab's counters (CrashSweepProgress) to
// `progress` twice a second (done = states checked, total = an estimate from the crash points
// done); the job's cancel flag is the crash lab's cancel flag (checked between states), and a
// cancelled run returns Aborted ("cancelled"). Structured fields: leakedChunks + leakStore for a
// snapshot leak, garbageRegion for a clone.
#pragma once

#include "core/engine/engine.h"

namespace loopsnap {

CrashTestRunner inProcessCrashTestRunner();

}  // namespace loopsnap
