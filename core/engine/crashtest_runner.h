// The in-process crash test runner: calls core/crashlab on the job's thread. It lives in
// loopsnap_crashlab (not loopsnap_core) so that the GUI, which does not link the crash lab,
// never pulls it in; the CLI and the tests register it with Engine::setCrashTestRunner.
//
// Progress and cancel: the crash lab reports once, when the run ends (CrashTestOptions has no
// progress hook yet); a cancel takes effect when the run returns.
#pragma once

#include "core/engine/engine.h"

namespace loopsnap {

CrashTestRunner inProcessCrashTestRunner();

}  // namespace loopsnap
