// HydrationScheduler: background hydration of a clone (dm-clone's do_hydration).
//
// One scheduler thread (started, with its worker pool, on the first enable) walks the region
// space with a cursor, asks the clone for the next run of consecutive unhydrated regions (at most
// `batchSize` long) and hands each run to a small worker pool, keeping at most `threshold`
// regions in flight (a run is always allowed when nothing is in flight, so batchSize > threshold
// still makes progress). When the cursor reaches the end it waits
// for the in-flight copies and rescans from region 0; a rescan that finds nothing means done.
// Before starting a run it yields to user I/O: while the clone reports user requests in flight
// it waits (up to kMaxYield), so interactive reads and writes are not queued behind copies.
// A copy error stops the scheduler (lastError()); enabling it again retries.
//
// The scheduler knows nothing about devices: the clone passes three hooks. Region correctness
// (locks, marking, events) lives in the clone's copy hook.
//
// Thread-safety: every public method may be called from any thread. The hooks are called from
// the scheduler thread (next, userIoActive) and from worker threads (copy), never while the
// scheduler's own mutex is held by the copy call, so a hook may call back into the scheduler's
// queries.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "core/concurrency/executor.h"
#include "core/util/result.h"

namespace loopsnap {

struct RegionRun {
    uint64_t first = 0;
    uint64_t count = 0;
};

struct HydrationHooks {
    // The first run of unhydrated regions at or after `from`, at most `maxCount` long.
    std::function<std::optional<RegionRun>(uint64_t from, uint64_t maxCount)> next;
    // Copies the run (the clone skips regions hydrated meanwhile). Called on a worker thread.
    std::function<Status(RegionRun run)> copy;
    std::function<bool()> userIoActive;
    // Optional. Called once when a rescan found nothing left (finished), and when a copy error
    // stopped the scheduler (stoppedOnError, with that error), with no scheduler lock held.
    std::function<void()> finished;
    std::function<void(const Error&)> stoppedOnError;
};

class HydrationScheduler {
public:
    static constexpr std::chrono::milliseconds kMaxYield{50};

    HydrationScheduler(HydrationHooks hooks, uint32_t threshold, uint32_t batchSize, unsigned workers = 2);
    ~HydrationScheduler();  // stops the thread and waits for in-flight copies

    void setEnabled(bool enabled);  // enabling clears a previous error and retries
    bool enabled() const;
    void setThreshold(uint32_t regions);   // 0 is treated as 1
    void setBatchSize(uint32_t regions);   // 0 is treated as 1
    uint32_t threshold() const;
    uint32_t batchSize() const;

    bool finished() const;                 // a full rescan found nothing to hydrate
    uint64_t regionsInFlight() const;
    std::optional<Error> lastError() const;
    // Blocks until nothing is in flight (e.g. after setEnabled(false)).
    void waitIdle();
    // Wakes the scheduler thread, e.g. after user I/O ended.
    void poke();

private:
    void run();

    HydrationHooks hooks_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    bool enabled_ = false;
    bool stopping_ = false;
    bool finished_ = false;
    uint32_t threshold_;
    uint32_t batchSize_;
    uint64_t cursor_ = 0;
    uint64_t inFlight_ = 0;
    std::optional<Error> error_;
    unsigned workers_;
    std::unique_ptr<ThreadPool> pool_;  // created with thread_ on the first setEnabled(true)
    std::thread thread_;
};

}  // namespace loopsnap
