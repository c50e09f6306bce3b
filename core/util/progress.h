// Progress counters for long work (hydration, merge, workloads): plain atomics the worker bumps
// and a sampler (CLI progress bar, UI timer) reads. Nothing on the hot path formats strings or
// takes a lock. RateMeter turns successive samples into a smoothed rate and an ETA.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace loopsnap {

struct ProgressCounters {
    std::atomic<uint64_t> done{0};   // units finished (regions, chunks, bytes: the owner says which)
    std::atomic<uint64_t> total{0};
    std::atomic<uint64_t> bytes{0};  // bytes moved, for the rate
};

class RateMeter {
public:
    // Feed the current byte count; returns the smoothed bytes/second.
    double sample(uint64_t bytes, std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
    double rate() const { return rate_; }
    // Seconds left for `remaining` units when `unitsPerByte` converts the rate; <0 if unknown.
    double etaSeconds(uint64_t remainingBytes) const { return rate_ > 0 ? double(remainingBytes) / rate_ : -1.0; }

private:
    bool first_ = true;
    uint64_t lastBytes_ = 0;
    std::chrono::steady_clock::time_point last_{};
    double rate_ = 0;
};

}  // namespace loopsnap
