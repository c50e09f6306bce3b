// RangeLock: shared/exclusive locks on byte ranges of one device.
//
// Origin writes and snapshot writes take the chunk-aligned range they touch exclusively, reads
// take it shared. That gives the kernel's rules without per-chunk bookkeeping: a write to a chunk
// whose exception is still pending waits (the writer that created it holds the range until the
// exception is committed), and a snapshot read that falls through to the origin cannot race
// with an origin write overwriting that chunk. Ranges that do not overlap never wait for each
// other. Waiters are woken in no particular order.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <list>
#include <mutex>

namespace loopsnap {

struct RangeLockEntry {
    uint64_t begin, end;
    bool exclusive;
};

class RangeLock {
public:
    class Guard {
    public:
        Guard() = default;
        Guard(Guard&& o) noexcept : owner_(o.owner_), it_(o.it_) { o.owner_ = nullptr; }
        Guard& operator=(Guard&& o) noexcept;
        ~Guard() { release(); }
        void release();

    private:
        friend class RangeLock;
        RangeLock* owner_ = nullptr;
        std::list<RangeLockEntry>::iterator it_;
    };

    Guard lockShared(uint64_t begin, uint64_t end) { return lock(begin, end, false); }
    Guard lockExclusive(uint64_t begin, uint64_t end) { return lock(begin, end, true); }

private:
    Guard lock(uint64_t begin, uint64_t end, bool exclusive);
    std::mutex mutex_;
    std::condition_variable cv_;
    std::list<RangeLockEntry> held_;
};

}  // namespace loopsnap
