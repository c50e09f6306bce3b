#include "core/engine/crashtest_runner.h"

#include "core/crashlab/crash_test.h"

namespace loopsnap {

CrashTestRunner inProcessCrashTestRunner() {
    return [](const CrashTestRequest& request, const std::function<void(uint64_t, uint64_t)>& progress,
              const std::atomic<bool>& cancelled) -> Result<CrashTestOutcome> {
        CrashTestOptions options;
        options.seed = request.seed;
        options.ops = request.ops;
        options.legacy = request.legacy;
        CrashTestReport report;
        if (request.scenario == "snapshot") report = runSnapshotCrashTest(options);
        else if (request.scenario == "clone") report = runCloneCrashTest(options);
        else if (request.scenario == "merge") report = runMergeCrashTest(options);
        else
            return makeError(ErrorCode::InvalidArgument, "unknown crash test scenario '" + request.scenario + "' (snapshot, clone or merge)",
                             request.scenario, "unknown-scenario");
        if (cancelled.load())
            return makeError(ErrorCode::Aborted, "the crash test was cancelled", request.scenario, "cancelled");
        progress(report.statesChecked, report.statesChecked);
        CrashTestOutcome out;
        out.violation = report.violation;
        out.statesChecked = report.statesChecked;
        out.crashPoints = report.crashPoints;
        out.seconds = report.seconds;
        out.invariant = report.invariant;
        out.detail = report.detail;
        out.trace = report.trace;
        return out;
    };
}

}  // namespace loopsnap
