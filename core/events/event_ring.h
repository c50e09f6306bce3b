// EventRing: a bounded multi-producer ring of events that a UI samples once per frame.
//
// push() never blocks and never allocates: when the ring is full the event is dropped and
// counted, in total (dropped()) and per source (droppedFor()), so a slow or absent reader can
// never stall I/O. drain() is meant for one consumer thread (the GUI timer); it returns the
// events in the order they were pushed, followed by one EventsDropped marker per source that
// lost events since the previous drain (a = lost since the previous marker, b = lost in total),
// so the consumer knows which views to resync from status (event.h: events are hints).
//
// Per-source counting uses a fixed open-addressed table of kDropSlots sources (lock-free,
// claimed on a source's first drop). A drop whose source finds no slot (more than kDropSlots
// sources have dropped in this ring's life) is counted under kAllSources: its marker tells the
// consumer to resync everything.
//
// Implementation: Vyukov's bounded MPMC queue (per-slot sequence numbers). Threads: push from
// any thread; drain, and the consumer side of the markers, from one thread at a time.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include "core/events/listener.h"

namespace loopsnap {

class EventRing final : public EventListener {
public:
    static constexpr size_t kDropSlots = 1024;

    explicit EventRing(size_t capacityPowerOfTwo = 1 << 16);

    void onEvent(const Event& event) noexcept override { push(event); }
    bool push(const Event& event) noexcept;
    // Appends up to `max` events to `out`, then the EventsDropped markers; returns how many
    // events it took from the ring (the markers are neither counted nor limited by `max`).
    size_t drain(std::vector<Event>& out, size_t max = SIZE_MAX);
    uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
    uint64_t droppedFor(uint32_t source) const noexcept;  // kAllSources: the untracked drops
    size_t capacity() const noexcept { return mask_ + 1; }

private:
    struct Slot {
        std::atomic<size_t> sequence;
        Event event;
    };
    struct DropSlot {
        std::atomic<uint64_t> key{0};    // source + 1; 0 = free
        std::atomic<uint64_t> count{0};
    };
    void countDrop(uint32_t source) noexcept;
    const DropSlot* findDrops(uint32_t source) const noexcept;

    std::unique_ptr<Slot[]> slots_;
    size_t mask_;
    alignas(64) std::atomic<size_t> head_{0};  // next to write
    alignas(64) std::atomic<size_t> tail_{0};  // next to read
    alignas(64) std::atomic<uint64_t> dropped_{0};
    std::atomic<uint64_t> untracked_{0};
    std::unique_ptr<DropSlot[]> drops_;
    // Consumer side (drain's thread): what the markers have reported so far.
    std::unique_ptr<uint64_t[]> reported_;
    uint64_t reportedUntracked_ = 0, reportedTotal_ = 0;
};

}  // namespace loopsnap
