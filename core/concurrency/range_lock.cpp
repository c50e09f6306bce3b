#include "core/concurrency/range_lock.h"

namespace loopsnap {

RangeLock::Guard& RangeLock::Guard::operator=(Guard&& o) noexcept {
    if (this != &o) {
        release();
        owner_ = o.owner_;
        it_ = o.it_;
        o.owner_ = nullptr;
    }
    return *this;
}

void RangeLock::Guard::release() {
    if (!owner_) return;
    {
        std::lock_guard lock(owner_->mutex_);
        owner_->held_.erase(it_);
    }
    owner_->cv_.notify_all();
    owner_ = nullptr;
}

RangeLock::Guard RangeLock::lock(uint64_t begin, uint64_t end, bool exclusive) {
    std::unique_lock lock(mutex_);
    auto conflicts = [&] {
        for (const RangeLockEntry& h : held_)
            if (h.begin < end && begin < h.end && (exclusive || h.exclusive)) return true;
        return false;
    };
    cv_.wait(lock, [&] { return !conflicts(); });
    held_.push_back(RangeLockEntry{begin, end, exclusive});
    Guard g;
    g.owner_ = this;
    g.it_ = std::prev(held_.end());
    return g;
}

}  // namespace loopsnap
