#include <chrono>

#include "core/events/event_ring.h"
#include "core/events/listener.h"

namespace loopsnap {

const char* eventKindName(EventKind kind) noexcept {
    switch (kind) {
    case EventKind::ExceptionAllocated: return "exception-allocated";
    case EventKind::CopyStarted: return "copy-started";
    case EventKind::CopyFinished: return "copy-finished";
    case EventKind::ExceptionCommitted: return "exception-committed";
    case EventKind::AreaWritten: return "area-written";
    case EventKind::SnapshotInvalidated: return "snapshot-invalidated";
    case EventKind::SnapshotOverflowed: return "snapshot-overflowed";
    case EventKind::MergeStarted: return "merge-started";
    case EventKind::MergeBatch: return "merge-batch";
    case EventKind::MergeFinished: return "merge-finished";
    case EventKind::MergeFailed: return "merge-failed";
    case EventKind::RegionHydrationStarted: return "region-hydration-started";
    case EventKind::RegionHydrated: return "region-hydrated";
    case EventKind::RegionsDiscarded: return "regions-discarded";
    case EventKind::CloneCommit: return "clone-commit";
    case EventKind::HydrationEnabled: return "hydration-enabled";
    case EventKind::CloneSourceError: return "clone-source-error";
    }
    return "unknown";
}

void EventSink::addListener(std::shared_ptr<EventListener> listener) {
    std::lock_guard lock(mutex_);
    listeners_.push_back(std::move(listener));
    count_.store(listeners_.size(), std::memory_order_release);
}

uint32_t EventSink::registerSource(std::string name) {
    std::lock_guard lock(mutex_);
    sources_.push_back(std::move(name));
    return uint32_t(sources_.size() - 1);
}

std::string EventSink::sourceName(uint32_t id) const {
    std::lock_guard lock(mutex_);
    return id < sources_.size() ? sources_[id] : std::string("?");
}

void EventSink::publish(Event event) const noexcept {
    if (!hasListeners()) return;
    event.timeNs = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::steady_clock::now().time_since_epoch()).count();
    // Copy the listener list under the lock, call outside it: listeners run with no lock held.
    std::vector<std::shared_ptr<EventListener>> copy;
    {
        std::lock_guard lock(mutex_);
        copy = listeners_;
    }
    for (auto& l : copy) l->onEvent(event);
}

EventRing::EventRing(size_t capacityPowerOfTwo) {
    size_t cap = 2;
    while (cap < capacityPowerOfTwo) cap <<= 1;
    slots_.reset(new Slot[cap]);
    mask_ = cap - 1;
    for (size_t i = 0; i < cap; ++i) slots_[i].sequence.store(i, std::memory_order_relaxed);
}

bool EventRing::push(const Event& event) noexcept {
    size_t pos = head_.load(std::memory_order_relaxed);
    for (;;) {
        Slot& slot = slots_[pos & mask_];
        size_t seq = slot.sequence.load(std::memory_order_acquire);
        intptr_t diff = intptr_t(seq) - intptr_t(pos);
        if (diff == 0) {
            if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
                slot.event = event;
                slot.sequence.store(pos + 1, std::memory_order_release);
                return true;
            }
        } else if (diff < 0) {
            dropped_.fetch_add(1, std::memory_order_relaxed);
            return false;  // full
        } else {
            pos = head_.load(std::memory_order_relaxed);
        }
    }
}

size_t EventRing::drain(std::vector<Event>& out, size_t max) {
    size_t n = 0;
    while (n < max) {
        size_t pos = tail_.load(std::memory_order_relaxed);
        Slot& slot = slots_[pos & mask_];
        size_t seq = slot.sequence.load(std::memory_order_acquire);
        if (intptr_t(seq) - intptr_t(pos + 1) < 0) break;  // empty
        if (!tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) continue;
        out.push_back(slot.event);
        slot.sequence.store(pos + mask_ + 1, std::memory_order_release);
        ++n;
    }
    return n;
}

}  // namespace loopsnap
