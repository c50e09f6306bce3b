// Snapshot::Impl: allocation of pending exceptions, the copies on the executor, and the in-order
// committer (kernel commit 230c83afdd9c): a finished copy commits only after every lower sequence.
#include "core/snapshot/snapshot.h"

#include <algorithm>
#include <cstring>

#include "core/snapshot/snapshot_internal.h"
#include "core/util/size.h"

namespace loopsnap {

bool Snapshot::Impl::lookup(uint64_t chunk, uint64_t* cowChunk) const {
    std::shared_lock lock(tableMutex);
    auto found = table.find(chunk);
    if (!found) return false;
    *cowChunk = *found;
    return true;
}

Result<std::shared_ptr<PendingException>> Snapshot::Impl::allocate(uint64_t chunk, EventBatch& events) {
    std::lock_guard lock(allocMutex);
    SnapshotState s = state.load();
    if (s == SnapshotState::Invalid) return makeError(ErrorCode::Invalidated, name + " is invalid", name, "invalid");
    LS_ASSIGN(uint64_t newChunk, store->prepare());
    auto pe = std::make_shared<PendingException>();
    pe->seq = nextSeq++;
    pe->oldChunk = chunk;
    pe->newChunk = newChunk;
    counters.allocated.fetch_add(1, std::memory_order_relaxed);
    events.add(EventKind::ExceptionAllocated, pe->seq, chunk, newChunk);
    return pe;
}

void Snapshot::Impl::startCopy(Executor& executor, const std::shared_ptr<PendingException>& pe,
                               std::shared_ptr<std::vector<std::byte>> data) {
    startCopyRun(executor, {pe}, std::move(data));
}

void Snapshot::Impl::startCopyRun(Executor& executor, std::vector<std::shared_ptr<PendingException>> run,
                                  std::shared_ptr<std::vector<std::byte>> data) {
    if (run.empty()) return;
    const uint64_t n = run.size();
    counters.copiesInFlight.fetch_add(n, std::memory_order_relaxed);
    counters.copyRuns.fetch_add(1, std::memory_order_relaxed);
    if (n > 1) counters.coalescedChunks.fetch_add(n, std::memory_order_relaxed);
    auto keepAlive = shared_from_this();
    executor.submit([this, keepAlive, run = std::move(run), data] {
        {
            EventBatch ev(*origin->events, source);
            for (auto& pe : run) ev.add(EventKind::CopyStarted, pe->seq, pe->oldChunk, pe->newChunk);
        }
        Status copy;
        uint64_t from = run.front()->oldChunk * chunkBytes;
        // The last chunk of an origin whose size is not a multiple of the chunk size is short.
        uint64_t len = std::min<uint64_t>(run.size() * chunkBytes, origin->device->size() - std::min(from, origin->device->size()));
        std::shared_ptr<std::vector<std::byte>> buf = data;
        if (!buf) {
            buf = std::make_shared<std::vector<std::byte>>(len);
            copy = origin->device->read(from, *buf);
        }
        // One write for the whole run: its chunks are consecutive on the COW device too.
        if (copy.ok() && !buf->empty()) copy = cow->write(run.front()->newChunk * chunkBytes, *buf);
        counters.copiesInFlight.fetch_sub(run.size(), std::memory_order_relaxed);
        counters.copiesFinished.fetch_add(run.size(), std::memory_order_relaxed);
        {
            EventBatch ev(*origin->events, source);
            for (auto& pe : run) {
                Event& e = ev.add(EventKind::CopyFinished, pe->seq, pe->oldChunk, pe->newChunk, copy.ok() ? 1 : 0);
                if (!copy.ok()) e.withError(copy.error().code);
            }
        }
        completeAll(run, copy);
    });
}

void Snapshot::Impl::complete(const std::shared_ptr<PendingException>& pe, Status copy) {
    completeAll({pe}, copy);
}

void Snapshot::Impl::completeAll(const std::vector<std::shared_ptr<PendingException>>& pes, const Status& copy) {
    EventBatch events(*origin->events, source);
    {
        std::lock_guard lock(commitMutex);
        for (auto& pe : pes) completeLocked(pe, copy, events);
    }
    events.publish();
    doneCv.notify_all();
}

void Snapshot::Impl::completeLocked(const std::shared_ptr<PendingException>& pe, Status copy, EventBatch& events) {
    pe->copy = std::move(copy);
    if (legacy || pe->seq < completeSeq) {
        // Pre-fix behaviour (before kernel commit 230c83afdd9c): commit in completion order.
        // (seq < completeSeq: allocated while legacy was on, which already let later ones
        // commit; it cannot wait for its turn any more.)
        if (pe->seq != completeSeq) counters.finishedOutOfOrder.fetch_add(1, std::memory_order_relaxed);
        completeSeq = std::max(completeSeq, pe->seq + 1);
        commitOne(pe, events);
    } else if (pe->seq == completeSeq) {
        ++completeSeq;
        commitOne(pe, events);
        // Release the early finishers that are now next in sequence.
        while (!outOfOrder.empty() && outOfOrder.begin()->first == completeSeq) {
            auto next = outOfOrder.begin()->second;
            outOfOrder.erase(outOfOrder.begin());
            counters.waitingOutOfOrder.fetch_sub(1, std::memory_order_relaxed);
            ++completeSeq;
            commitOne(next, events);
        }
    } else {
        outOfOrder.emplace(pe->seq, pe);
        counters.waitingOutOfOrder.fetch_add(1, std::memory_order_relaxed);
        counters.finishedOutOfOrder.fetch_add(1, std::memory_order_relaxed);
    }
}

void Snapshot::Impl::commitOne(const std::shared_ptr<PendingException>& pe, EventBatch& events) {
    // Caller holds commitMutex.
    inCommit.emplace(pe->seq, pe);
    StoreCommit c = store->commit(pe->oldChunk, pe->newChunk, pe->copy, pe->seq);
    if (c.areaWritten) {
        counters.areaWrites.fetch_add(1, std::memory_order_relaxed);
        events.add(EventKind::AreaWritten, 0, c.area, c.recordsInArea, c.zeroedNextArea ? 1 : 0);
    }
    const bool valid = c.valid();
    if (!valid) markInvalid(c.status.error(), events);
    if (c.released.empty()) return;
    std::vector<std::shared_ptr<PendingException>> released;
    for (uint64_t token : c.released) {
        auto it = inCommit.find(token);
        if (it == inCommit.end()) continue;
        released.push_back(it->second);
        inCommit.erase(it);
    }
    if (valid) {
        std::unique_lock lock(tableMutex);
        for (auto& r : released) {
            table.insert(r->oldChunk, r->newChunk);
        }
    }
    {
        std::lock_guard lock(doneMutex);
        for (auto& r : released) {
            r->done = true;
            r->success = valid;
        }
    }
    for (auto& r : released) {
        if (valid) {
            counters.committed.fetch_add(1, std::memory_order_relaxed);
            events.add(EventKind::ExceptionCommitted, r->seq, r->oldChunk, r->newChunk);
        }
    }
}

void Snapshot::Impl::markInvalid(const Error& why, EventBatch& events) {
    // Caller holds commitMutex.
    if (state.load() == SnapshotState::Invalid) return;
    setState(SnapshotState::Invalid, events);
    invalidReason = why;
    {
        std::lock_guard alloc(allocMutex);  // no allocation while the header is rewritten
        store->drop();
    }
    events.add(EventKind::SnapshotInvalidated, 0, uint64_t(why.code)).withError(why.code);
}

void Snapshot::Impl::setState(SnapshotState next, EventBatch& events) {
    SnapshotState previous = state.exchange(next);
    if (previous != next) events.add(Event::stateChanged(source, deviceStateOf(previous), deviceStateOf(next)));
}

Snapshot::Impl::~Impl() {
    if (source && origin) origin->events->unregisterSource(source);
}

void Snapshot::Impl::setLegacy(bool on) {
    EventBatch events(*origin->events, source);  // published after the lock is released
    {
        std::lock_guard lock(commitMutex);
        if (legacy == on) return;
        legacy = on;
        // Legacy commits in completion order: what waits for a lower sequence commits now.
        while (on && !outOfOrder.empty()) {
            auto next = outOfOrder.begin()->second;
            outOfOrder.erase(outOfOrder.begin());
            counters.waitingOutOfOrder.fetch_sub(1, std::memory_order_relaxed);
            completeSeq = std::max(completeSeq, next->seq + 1);
            commitOne(next, events);
        }
    }
    doneCv.notify_all();
}

void Snapshot::Impl::invalidate(const Error& why) {
    EventBatch events(*origin->events, source);
    std::lock_guard lock(commitMutex);
    markInvalid(why, events);
    // `events` publishes after the lock is released (destruction order).
}

Error Snapshot::Impl::invalidError(const std::string& what) {
    std::lock_guard lock(commitMutex);
    std::string reason = invalidReason.ok() ? std::string() : ": " + invalidReason.error().message;
    return makeError(ErrorCode::Invalidated, "snapshot " + name + " " + what + reason, name, "invalid");
}

void Snapshot::Impl::wait(const std::shared_ptr<PendingException>& pe) {
    std::unique_lock lock(doneMutex);
    doneCv.wait(lock, [&] { return pe->done; });
}

}  // namespace loopsnap
