#include "core/concurrency/executor.h"

#include <chrono>

namespace loopsnap {

ThreadPool::ThreadPool(unsigned threads) {
    if (threads == 0) threads = 1;
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
}

void ThreadPool::submit(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(job));
    }
    cv_.notify_one();
}

void ThreadPool::run() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping and drained
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        job();
    }
}

ShufflingExecutor::ShufflingExecutor(uint64_t seed, size_t window, unsigned idleMicros)
    : rng_(seed), window_(window ? window : 1), idleMicros_(idleMicros) {
    thread_ = std::thread([this] { run(); });
}

ShufflingExecutor::~ShufflingExecutor() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void ShufflingExecutor::submit(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
    }
    cv_.notify_all();
}

void ShufflingExecutor::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty() && stopping_) return;
        // Let more jobs gather (so there is something to reorder) unless the window is full.
        if (jobs_.size() < window_ && !stopping_) {
            size_t before = jobs_.size();
            cv_.wait_for(lock, std::chrono::microseconds(idleMicros_),
                         [&] { return stopping_ || jobs_.size() >= window_; });
            if (jobs_.size() > before && jobs_.size() < window_ && !stopping_) continue;
        }
        size_t pick = size_t(rng_() % jobs_.size());
        std::function<void()> job = std::move(jobs_[pick]);
        jobs_.erase(jobs_.begin() + ptrdiff_t(pick));
        lock.unlock();
        job();
        lock.lock();
    }
}

}  // namespace loopsnap
