// EventListener: how the engine tells the outside world what it does (events v2, event.h).
//
// Contract (modelled on RocksDB's listener.h):
// - Events are hints (event.h): a listener that misses some, or a consumer of a ring that
//   dropped some, resyncs from status. Nothing in the engine waits for a listener.
// - Threading: onEvent() is called on the engine thread that caused the event: a caller's
//   thread (origin write, clone write), a copy worker, the hydration threads, a merge or job
//   thread. Several threads may call the same listener at the same time; implementations must
//   be thread-safe.
// - Locking: the event sink's own mutex is never held during onEvent(). Which ENGINE locks the
//   publishing thread still holds is stated per kind, exactly, in core/snapshot/snapshot.h
//   (origin range locks, snapshotsMutex) and core/clone/clone.h (region range locks, the commit
//   mutex); every kind not listed there is published with no engine lock held. So a listener
//   must not call back into the device that published (its I/O could wait for a range lock the
//   publisher holds) and must not start I/O on the engine; it records and returns.
// - Cost: the call is on the I/O path. It must not block (no waiting on locks held by a GUI, no
//   I/O, no sleeping) and should take microseconds. The usual listener is EventRing, which copies
//   the event into a bounded ring and returns. EventSink::publish itself takes no mutex and
//   allocates nothing: it stamps the time and calls the (at most kMaxListeners) listeners.
// - Exceptions: onEvent() is noexcept. A listener that throws terminates the process; catch
//   inside.
// - Order: events from one source are emitted in the order the engine performed the steps,
//   except CopyFinished, whose order is whatever the copies' order was (that is the point of
//   showing it). SourceRegistered comes before any other event of its source and
//   SourceUnregistered after every other one.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/events/event.h"

namespace loopsnap {

class EventListener {
public:
    virtual ~EventListener() = default;
    virtual void onEvent(const Event& event) noexcept = 0;
};

// EventSink: the fan-out an engine object emits into. Listeners are added before the engine
// starts work (adding during I/O is allowed but a listener may miss events already in flight)
// and stay until the sink is destroyed.
//
// Sources: every device registers one source id when it opens (registerSource, which publishes
// SourceRegistered) and unregisters it when it closes (SourceUnregistered). Ids are never
// reused within a sink, so a late event can never be mistaken for another device's; 0 is never
// a registered id. Threads: every method may be called from any thread; the sink's mutex guards
// the listener list and the source names and is never held while a listener runs.
class EventSink {
public:
    static constexpr size_t kMaxListeners = 8;

    // False (and nothing added) when kMaxListeners are already there.
    bool addListener(std::shared_ptr<EventListener> listener);
    // A new source id for a store/device, with a name for display ("snapshot:/x/snap.cow").
    uint32_t registerSource(std::string name);
    // The device closed: its name is forgotten and SourceUnregistered is published. Idempotent.
    void unregisterSource(uint32_t id);
    std::string sourceName(uint32_t id) const;    // "?" for an unknown or unregistered id
    bool sourceRegistered(uint32_t id) const;

    void publish(Event event) const noexcept;  // stamps timeNs
    bool hasListeners() const noexcept { return count_.load(std::memory_order_acquire) > 0; }

private:
    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<EventListener>> owned_;            // keeps the listeners alive
    std::array<EventListener*, kMaxListeners> listeners_{};        // written before count_ grows
    std::atomic<size_t> count_{0};
    std::unordered_map<uint32_t, std::string> sources_;
    uint32_t nextSource_ = 1;
};

}  // namespace loopsnap
