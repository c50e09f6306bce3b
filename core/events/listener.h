// EventListener: how the engine tells the outside world what it does.
//
// Contract (modelled on RocksDB's listener.h - read it before implementing one):
// - Threading: onEvent() is called on the engine thread that caused the event: a caller's
//   thread (origin write, clone write), a copy worker, or the hydration thread. Several threads
//   may call the same listener at the same time; implementations must be thread-safe.
// - Locking: the engine holds none of its own locks while it calls a listener, so a listener may
//   call back into the engine's read-only queries (status, counters). It must not start I/O on
//   the engine from the callback.
// - Cost: the call is on the I/O path. It must not block (no waiting on locks held by a GUI, no
//   I/O, no sleeping) and should take microseconds. The usual listener is EventRing, which copies
//   the event into a bounded ring and returns.
// - Exceptions: onEvent() is noexcept. A listener that throws terminates the process; catch
//   inside.
// - Order: events from one store are emitted in the order the engine performed the steps, except
//   CopyFinished, whose order is whatever the copies' order was (that is the point of showing it).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/events/event.h"

namespace loopsnap {

class EventListener {
public:
    virtual ~EventListener() = default;
    virtual void onEvent(const Event& event) noexcept = 0;
};

// EventSink: the fan-out an engine object emits into. Listeners are added before the engine
// starts work (adding during I/O is allowed but a listener may miss events already in flight).
class EventSink {
public:
    void addListener(std::shared_ptr<EventListener> listener);
    // A new source id for a store/device, with a name for display ("cow:/x/snap.cow").
    uint32_t registerSource(std::string name);
    std::string sourceName(uint32_t id) const;

    void publish(Event event) const noexcept;  // stamps timeNs
    bool hasListeners() const noexcept { return count_.load(std::memory_order_acquire) > 0; }

private:
    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<EventListener>> listeners_;
    std::vector<std::string> sources_;
    std::atomic<size_t> count_{0};
};

}  // namespace loopsnap
