// The in-process crash test runner: calls core/crashlab on the job's thread. It lives in
// loopsnap_crashlab (not loopsnap_core) so that the GUI, which does not link the crash lab,
// never pulls it in; the CLI and the tests register it with Engine::setCrashTestRunner.
//
// Progress and cancel: a reporter thread hands the sweep's counters (CrashSweepProgress) to the
// job's progress callback every 100 ms and once at the end; the cancel flag is checked between
// crash states, and a cancelled run returns its outcome so far with `cancelled` set.
// Structured fields: leakedChunks + leakStore (the store geometry) for a snapshot leak,
// garbageRegion for a clone.
#pragma once

#include "core/engine/engine.h"

namespace loopsnap {

CrashTestRunner inProcessCrashTestRunner();

}  // namespace loopsnap
