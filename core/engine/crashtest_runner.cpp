#include "core/engine/crashtest_runner.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/crashlab/crash_test.h"

namespace loopsnap {

CrashTestRunner inProcessCrashTestRunner() {
    return [](const CrashTestRequest& request, const std::function<void(const CrashTestProgress&)>& progress,
              const std::atomic<bool>& cancelled) -> Result<CrashTestOutcome> {
        CrashTestReport (*run)(const CrashTestOptions&) = nullptr;
        if (request.scenario == "snapshot") run = runSnapshotCrashTest;
        else if (request.scenario == "clone") run = runCloneCrashTest;
        else if (request.scenario == "merge") run = runMergeCrashTest;
        else
            return makeError(ErrorCode::InvalidArgument, "unknown crash test scenario '" + request.scenario + "' (snapshot, clone or merge)",
                             request.scenario, "unknown-scenario");
        CrashTestOptions options;
        options.seed = request.seed;
        options.ops = request.ops;
        options.legacy = request.legacy;
        options.samples = request.samples;
        options.exhaustiveUpTo = request.exhaustiveUpTo;
        CrashSweepProgress sweep;
        options.progress = &sweep;
        options.cancel = &cancelled;  // checked between states; a cancelled run reports what it checked
        auto sample = [&] {
            CrashTestProgress p;
            p.statesChecked = sweep.statesChecked.load();
            p.crashPointsDone = sweep.crashPointsDone.load();
            p.crashPointsTotal = sweep.crashPointsTotal.load();
            return p;
        };
        // The sweep's counters reach `progress` every 100 ms from a reporter thread, and once at the end.
        std::mutex m;
        std::condition_variable cv;
        bool finished = false;
        std::thread reporter([&] {
            std::unique_lock lock(m);
            while (!cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return finished; })) progress(sample());
        });
        CrashTestReport report = run(options);
        {
            std::lock_guard lock(m);
            finished = true;
        }
        cv.notify_all();
        reporter.join();
        progress(sample());
        CrashTestOutcome out;
        out.violation = report.violation;
        out.cancelled = report.cancelled;
        out.statesChecked = report.statesChecked;
        out.crashPoints = report.crashPoints;
        out.logEntries = report.logEntries;
        out.crashPoint = report.crashPoint;
        out.seconds = report.seconds;
        out.workload = report.workload;
        out.invariant = report.invariant;
        out.detail = report.detail;
        out.trace = report.trace;
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
