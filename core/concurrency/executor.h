// Executor: where the engine runs copy and hydration jobs.
//
// ThreadPool is the production executor; InlineExecutor runs a job inside submit(). ShufflingExecutor runs jobs in a seeded pseudo-random
// order on its own thread: crash tests use it so that copies finish out of allocation order on
// purpose and repeatably, which is exactly the situation the in-order completion rule is for.
// Jobs must not throw (the engine's jobs report errors as values).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace loopsnap {

class Executor {
public:
    virtual ~Executor() = default;
    virtual void submit(std::function<void()> job) = 0;
};

// Runs each job on the submitting thread before submit() returns. For single-threaded work where
// a thread handoff per copy would cost more than the copy: crash-state checks, small tools.
class InlineExecutor final : public Executor {
public:
    void submit(std::function<void()> job) override { job(); }
};

class ThreadPool final : public Executor {
public:
    explicit ThreadPool(unsigned threads = 4);
    ~ThreadPool() override;  // runs every queued job, then joins
    void submit(std::function<void()> job) override;

private:
    void run();
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

class ShufflingExecutor final : public Executor {
public:
    // Holds up to `window` jobs and starts a random one of them whenever the window is full or
    // no new job arrived for `idleMicros`.
    ShufflingExecutor(uint64_t seed, size_t window = 8, unsigned idleMicros = 200);
    ~ShufflingExecutor() override;
    void submit(std::function<void()> job) override;

private:
    void run();
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::function<void()>> jobs_;
    std::mt19937_64 rng_;
    size_t window_;
    unsigned idleMicros_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace loopsnap
