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
    case EventKind::SourceRegistered: return "source-registered";
    case EventKind::SourceUnregistered: return "source-unregistered";
    case EventKind::SnapshotAttached: return "snapshot-attached";
    case EventKind::SnapshotDetached: return "snapshot-detached";
    case EventKind::StateChanged: return "state-changed";
    case EventKind::MergePaused: return "merge-paused";
    case EventKind::MergeResumed: return "merge-resumed";
    case EventKind::MergeStopped: return "merge-stopped";
    case EventKind::CloneFailed: return "clone-failed";
    case EventKind::HydrationFinished: return "hydration-finished";
    case EventKind::HydrationStopped: return "hydration-stopped";
    case EventKind::JobProgress: return "job-progress";
    case EventKind::EventsDropped: return "events-dropped";
    }
    return "unknown";
}

bool EventSink::addListener(std::shared_ptr<EventListener> listener) {
    std::lock_guard lock(mutex_);
    const size_t n = count_.load(std::memory_order_relaxed);
    if (n >= kMaxListeners || !listener) return false;
    listeners_[n] = listener.get();
    owned_.push_back(std::move(listener));
    count_.store(n + 1, std::memory_order_release);  // publishes listeners_[n]
    return true;
}

uint32_t EventSink::registerSource(std::string name) {
    uint32_t id;
    {
        std::lock_guard lock(mutex_);
        id = nextSource_++;
        if (nextSource_ == kAllSources) nextSource_ = 1;  // 4 billion opens later
        sources_.emplace(id, std::move(name));
    }
    publish(Event{EventKind::SourceRegistered, id});
    return id;
}

void EventSink::unregisterSource(uint32_t id) {
    {
        std::lock_guard lock(mutex_);
        if (!sources_.erase(id)) return;
    }
    publish(Event{EventKind::SourceUnregistered, id});
}

std::string EventSink::sourceName(uint32_t id) const {
    std::lock_guard lock(mutex_);
    auto it = sources_.find(id);
    return it == sources_.end() ? std::string("?") : it->second;
}

bool EventSink::sourceRegistered(uint32_t id) const {
    std::lock_guard lock(mutex_);
    return sources_.count(id) != 0;
}

void EventSink::publish(Event event) const noexcept {
    const size_t n = count_.load(std::memory_order_acquire);
    if (!n) return;
    event.timeNs = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::steady_clock::now().time_since_epoch()).count();
    // No lock, no copy: listeners_[0..n) are written once, before count_ grew past them, and the
    // listeners live as long as the sink (owned_).
    for (size_t i = 0; i < n; ++i) listeners_[i]->onEvent(event);
}

EventRing::EventRing(size_t capacityPowerOfTwo) {
    size_t cap = 2;
    while (cap < capacityPowerOfTwo) cap <<= 1;
    slots_.reset(new Slot[cap]);
    mask_ = cap - 1;
    for (size_t i = 0; i < cap; ++i) slots_[i].sequence.store(i, std::memory_order_relaxed);
    drops_.reset(new DropSlot[kDropSlots]);
    reported_.reset(new uint64_t[kDropSlots]());
}

namespace {
size_t dropHash(uint32_t source) { return (size_t(source) * 0x9E3779B1u) >> 8; }
constexpr size_t kDropProbes = 32;
}  // namespace

void EventRing::countDrop(uint32_t source) noexcept {
    const uint64_t key = uint64_t(source) + 1;
    bool counted = false;
    if (source != kAllSources) {
        for (size_t i = 0; i < kDropProbes && !counted; ++i) {
            DropSlot& s = drops_[(dropHash(source) + i) % kDropSlots];
            uint64_t k = s.key.load(std::memory_order_acquire);
            if (k == 0) {
                uint64_t expected = 0;
                if (s.key.compare_exchange_strong(expected, key, std::memory_order_acq_rel)) k = key;
                else k = expected;
            }
            if (k == key) {
                s.count.fetch_add(1, std::memory_order_relaxed);
                counted = true;
            }
        }
    }
    if (!counted) untracked_.fetch_add(1, std::memory_order_relaxed);
    // After the per-source count: drain() reads dropped_ first, so it never skips a count.
    dropped_.fetch_add(1, std::memory_order_release);
}

const EventRing::DropSlot* EventRing::findDrops(uint32_t source) const noexcept {
    const uint64_t key = uint64_t(source) + 1;
    for (size_t i = 0; i < kDropProbes; ++i) {
        const DropSlot& s = drops_[(dropHash(source) + i) % kDropSlots];
        uint64_t k = s.key.load(std::memory_order_acquire);
        if (k == key) return &s;
        if (k == 0) return nullptr;
    }
    return nullptr;
}

uint64_t EventRing::droppedFor(uint32_t source) const noexcept {
    if (source == kAllSources) return untracked_.load(std::memory_order_relaxed);
    const DropSlot* s = findDrops(source);
    return s ? s->count.load(std::memory_order_relaxed) : 0;
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
            countDrop(event.source);
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
    // Markers: only when something was dropped since the last scan.
    const uint64_t total = dropped_.load(std::memory_order_acquire);
    if (total == reportedTotal_) return n;
    reportedTotal_ = total;
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch()).count();
    auto marker = [&](uint32_t source, uint64_t lost, uint64_t lostTotal) {
        Event e{EventKind::EventsDropped, source, 0, lost, lostTotal};
        e.timeNs = now;
        out.push_back(e);
    };
    for (size_t i = 0; i < kDropSlots; ++i) {
        const uint64_t key = drops_[i].key.load(std::memory_order_acquire);
        if (!key) continue;
        const uint64_t count = drops_[i].count.load(std::memory_order_relaxed);
        if (count == reported_[i]) continue;
        marker(uint32_t(key - 1), count - reported_[i], count);
        reported_[i] = count;
    }
    const uint64_t untracked = untracked_.load(std::memory_order_relaxed);
    if (untracked != reportedUntracked_) {
        marker(kAllSources, untracked - reportedUntracked_, untracked);
        reportedUntracked_ = untracked;
    }
    return n;
}

}  // namespace loopsnap
