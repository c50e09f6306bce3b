// EventRing: a bounded multi-producer ring of events that a UI samples once per frame.
//
// push() never blocks and never allocates: when the ring is full the event is dropped and
// counted (dropped()), so a slow or absent reader can never stall I/O. drain() is meant for one
// consumer thread (the GUI timer); it returns the events in the order they were pushed.
// Implementation: Vyukov's bounded MPMC queue (per-slot sequence numbers).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include "core/events/listener.h"

namespace loopsnap {

class EventRing final : public EventListener {
public:
    explicit EventRing(size_t capacityPowerOfTwo = 1 << 16);

    void onEvent(const Event& event) noexcept override { push(event); }
    bool push(const Event& event) noexcept;
    // Appends up to `max` events to `out`; returns how many.
    size_t drain(std::vector<Event>& out, size_t max = SIZE_MAX);
    uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
    size_t capacity() const noexcept { return mask_ + 1; }

private:
    struct Slot {
        std::atomic<size_t> sequence;
        Event event;
    };
    std::unique_ptr<Slot[]> slots_;
    size_t mask_;
    alignas(64) std::atomic<size_t> head_{0};  // next to write
    alignas(64) std::atomic<size_t> tail_{0};  // next to read
    alignas(64) std::atomic<uint64_t> dropped_{0};
};

}  // namespace loopsnap
