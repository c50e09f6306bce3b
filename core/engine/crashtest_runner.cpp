#include "core/engine/crashtest_runner.h"

#include <chrono>
#include <thread>

#include "core/crashlab/crash_test.h"

namespace loopsnap {

CrashTestRunner inProcessCrashTestRunner() {
    return [](const CrashTestRequest& request, const std::function<void(uint64_t, uint64_t)>& progress,
              const std::atomic<bool>& cancelled) -> Result<CrashTestOutcome> {
        CrashTestOptions options;
        options.seed = request.seed;
        options.ops = request.ops;
        options.legacy = request.legacy;
        CrashSweepProgress sweep;
        options.progress = &sweep;
        options.cancel = &cancelled;
        // The crash lab counts as it checks; a sampler thread hands the counts on twice a second.
        std::atomic<bool> finished{false};
        std::thread sampler([&] {
            while (!finished.load()) {
                uint64_t states = sweep.statesChecked.load(), done = sweep.crashPointsDone.load(), total = sweep.crashPointsTotal.load();
                // Total states are not known ahead: estimated from the crash points done so far.
                progress(states, done ? states * total / done : 0);
                for (int i = 0; i < 10 && !finished.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        });
        struct Join {
            std::atomic<bool>& finished;
            std::thread& t;
            ~Join() {
                finished.store(true);
                t.join();
            }
        } join{finished, sampler};
        CrashTestReport report;
        if (request.scenario == "snapshot") report = runSnapshotCrashTest(options);
        else if (request.scenario == "clone") report = runCloneCrashTest(options);
        else if (request.scenario == "merge") report = runMergeCrashTest(options);
        else
            return makeError(ErrorCode::InvalidArgument, "unknown crash test scenario '" + request.scenario + "' (snapshot, clone or merge)",
                             request.scenario, "unknown-scenario");
        finished.store(true);
        if (cancelled.load() || report.cancelled)
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
        out.cancelled = report.cancelled;
        out.garbageRegion = report.cloneGarbageRegion;
        if (report.snapshotLeak) {
            out.leakedChunks = report.snapshotLeak->leakedChunks;
            StoreLayout layout;
            layout.chunkBytes = report.snapshotLeak->store.chunkBytes;
            layout.totalChunks = report.snapshotLeak->store.cowChunks;
            layout.nextFreeChunk = report.snapshotLeak->store.nextFree;
            layout.metadataChunks = report.snapshotLeak->store.metadataChunks;
            out.leakStore = layout;
        }
        return out;
    };
}

}  // namespace loopsnap
