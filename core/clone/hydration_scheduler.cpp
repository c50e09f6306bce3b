#include "core/clone/hydration_scheduler.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace loopsnap {

namespace {
constexpr int kCopyNice = 5;  // the hydration copy threads run this much nicer than the process
}

HydrationScheduler::HydrationScheduler(HydrationHooks hooks, uint32_t threshold, uint32_t batchSize, unsigned workers)
    : hooks_(std::move(hooks)), threshold_(std::max<uint32_t>(threshold, 1)),
      batchSize_(std::max<uint32_t>(batchSize, 1)), workers_(std::max(workers, 1u)) {}

HydrationScheduler::~HydrationScheduler() {
    {
        std::lock_guard lk(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    pool_.reset();  // runs the copies already queued, then joins its workers
}

void HydrationScheduler::setEnabled(bool enabled) {
    {
        std::lock_guard lk(mutex_);
        enabled_ = enabled;
        if (enabled) error_.reset();
        // Threads start with the first enable: a clone that never hydrates in the background
        // (CLI reads and writes, the crash lab reopening thousands of crash states) costs none.
        if (enabled && !thread_.joinable()) {
            pool_ = std::make_unique<ThreadPool>(workers_);
            thread_ = std::thread([this] { run(); });
        }
    }
    cv_.notify_all();
}

bool HydrationScheduler::enabled() const {
    std::lock_guard lk(mutex_);
    return enabled_;
}

void HydrationScheduler::setThreshold(uint32_t regions) {
    {
        std::lock_guard lk(mutex_);
        threshold_ = std::max<uint32_t>(regions, 1);
    }
    cv_.notify_all();
}

void HydrationScheduler::setBatchSize(uint32_t regions) {
    {
        std::lock_guard lk(mutex_);
        batchSize_ = std::max<uint32_t>(regions, 1);
    }
    cv_.notify_all();
}

uint32_t HydrationScheduler::threshold() const {
    std::lock_guard lk(mutex_);
    return threshold_;
}
uint32_t HydrationScheduler::batchSize() const {
    std::lock_guard lk(mutex_);
    return batchSize_;
}
bool HydrationScheduler::finished() const {
    std::lock_guard lk(mutex_);
    return finished_;
}
uint64_t HydrationScheduler::regionsInFlight() const {
    std::lock_guard lk(mutex_);
    return inFlight_;
}
std::optional<Error> HydrationScheduler::lastError() const {
    std::lock_guard lk(mutex_);
    return error_;
}

void HydrationScheduler::waitIdle() {
    std::unique_lock lk(mutex_);
    cv_.wait(lk, [&] { return inFlight_ == 0; });
}

void HydrationScheduler::poke() { cv_.notify_all(); }

void HydrationScheduler::run() {
    std::unique_lock lk(mutex_);
    while (!stopping_) {
        if (!enabled_ || error_ || finished_) {
            cv_.wait(lk);
            continue;
        }
        // Yield to user I/O, but not forever: a constant stream of user requests must not starve
        // hydration completely.
        auto yieldUntil = std::chrono::steady_clock::now() + kMaxYield;
        while (!stopping_ && hooks_.userIoActive() && std::chrono::steady_clock::now() < yieldUntil)
            cv_.wait_for(lk, std::chrono::milliseconds(1));
        if (stopping_ || !enabled_) continue;
        if (inFlight_ > 0 && inFlight_ + batchSize_ > threshold_) {
            cv_.wait(lk);
            continue;
        }
        std::optional<RegionRun> next = hooks_.next(cursor_, batchSize_);
        if (!next) {
            // Runs behind the cursor may still be in flight; rescan only when they are done, so a
            // copy is never started twice for the same region by the scheduler.
            if (inFlight_ > 0) {
                cv_.wait(lk);
                continue;
            }
            if (cursor_ == 0) {
                finished_ = true;
                cv_.notify_all();
                if (hooks_.finished) {
                    lk.unlock();
                    hooks_.finished();
                    lk.lock();
                }
                continue;
            }
            cursor_ = 0;
            continue;
        }
        inFlight_ += next->count;
        cursor_ = next->first + next->count;
        RegionRun runToCopy = *next;
        pool_->submit([this, runToCopy] {
            // Foreground I/O first: the copy threads (this pool is the scheduler's own) run at a
            // lower CPU priority, so a user read that wakes up preempts a copy in progress.
            thread_local bool lowered = false;
            if (!lowered) {
                errno = 0;
                int nice = ::getpriority(PRIO_PROCESS, 0);  // the process's (never raise a thread above it)
                if (errno == 0) (void)::setpriority(PRIO_PROCESS, id_t(::gettid()), std::min(19, nice + kCopyNice));
                lowered = true;
            }
            Status st = hooks_.copy(runToCopy);
            bool stoppedNow = false;
            {
                std::lock_guard g(mutex_);
                inFlight_ -= runToCopy.count;
                if (!st.ok() && !error_) {
                    error_ = st.error();
                    stoppedNow = true;
                }
            }
            cv_.notify_all();
            if (stoppedNow && hooks_.stoppedOnError) hooks_.stoppedOnError(st.error());
        });
    }
}

}  // namespace loopsnap
