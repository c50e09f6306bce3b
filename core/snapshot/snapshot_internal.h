// Internal state shared by Origin, Snapshot and SnapshotMerge. Not part of the public API.
#pragma once

#include <condition_variable>
#include <algorithm>
#include <deque>
#include <thread>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "core/snapshot/exception_table.h"

#include "core/backend/status_values.h"  // deviceStateOf: the state events carry
#include "core/concurrency/range_lock.h"
#include "core/snapshot/exception_store.h"
#include "core/snapshot/snapshot.h"

namespace loopsnap {

// What snapshots need from their origin; shared so a Snapshot never outlives what it reads.
// It deliberately does not own the executor: copy jobs keep this alive, and a job must never end
// up destroying the pool it runs on.
struct OriginCore {
    std::shared_ptr<BlockDevice> device;
    std::shared_ptr<EventSink> events;
    std::string name;
    RangeLock ranges;  // exclusive: writes (origin, snapshot, merge); shared: reads through to origin
};

// A pending exception: allocated, being copied, not yet committed.
struct PendingException {
    uint64_t seq = 0;
    uint64_t oldChunk = 0;
    uint64_t newChunk = 0;
    Status copy;           // the copy's result, set when it finished
    bool done = false;     // committed (or failed); guarded by Snapshot::Impl::doneMutex
    bool success = false;
};

// Events are gathered while engine locks are held and published after they are released, so
// listeners never run under the locks the batch was filled under (snapshot.h lists the
// exceptions). No allocation for up to kInline events per batch (one origin write of up to
// 16 chunks, one commit round); a bigger batch spills into a vector once and grows it
// geometrically, so the cost per event stays constant. Not thread-safe: one batch per thread.
class EventBatch {
public:
    static constexpr size_t kInline = 16;
    EventBatch(const EventSink& sink, uint32_t source) : sink_(sink), source_(source) {}
    ~EventBatch() { publish(); }
    EventBatch(const EventBatch&) = delete;
    EventBatch& operator=(const EventBatch&) = delete;
    Event& add(EventKind kind, uint64_t seq = 0, uint64_t a = 0, uint64_t b = 0, uint64_t c = 0) {
        return add(Event{kind, source_, seq, a, b, c, 0});
    }
    Event& add(Event e) {
        if (!sink_.hasListeners()) return scratch_;
        e.source = source_;
        if (n_ < kInline) return inline_[n_++] = e;
        if (spill_.empty()) spill_.reserve(4 * kInline);
        spill_.push_back(e);
        return spill_.back();
    }
    void publish() {
        for (size_t i = 0; i < n_; ++i) sink_.publish(inline_[i]);
        for (auto& e : spill_) sink_.publish(e);
        n_ = 0;
        spill_.clear();
    }

private:
    const EventSink& sink_;
    uint32_t source_;
    size_t n_ = 0;
    Event inline_[kInline];
    std::vector<Event> spill_;
    Event scratch_{};  // what add() returns when nobody listens
};

struct Snapshot::Impl : std::enable_shared_from_this<Snapshot::Impl> {
    std::shared_ptr<OriginCore> origin;
    std::shared_ptr<BlockDevice> cow;
    std::unique_ptr<ExceptionStore> store;
    StoreType type = StoreType::Persistent;
    uint64_t chunkBytes = 0;
    uint64_t sizeBytes = 0;
    std::atomic<bool> legacy{false};  // changed under commitMutex (setLegacyCompletionOrder); read lock-free by protectStart
    bool readOnly = false;
    std::string name;
    uint32_t source = 0;
    SnapshotCounters counters;

    // Committed exceptions: origin chunk -> COW chunk (compact: 12 bytes per exception). Their
    // commit order is their COW chunk order (chunks are allocated and committed in sequence).
    mutable std::shared_mutex tableMutex;
    ExceptionTable table;

    // Completion ordering and the store's commit/drop/merge calls. Allocation (sequence number
    // and store->prepare(), together, so sequence order is COW chunk order) has allocMutex of
    // its own: an origin write never waits for a commit's flush and area write to allocate, so
    // the exceptions allocated meanwhile all share the next commit (group commit). Lock order:
    // commitMutex before allocMutex.
    std::mutex commitMutex;
    std::mutex allocMutex;
    uint64_t nextSeq = 0;        // sequence number of the next allocation (guarded by allocMutex)
    uint64_t completeSeq = 0;    // next sequence allowed to commit (in-order rule)
    std::map<uint64_t, std::shared_ptr<PendingException>> outOfOrder;  // finished early, waiting
    std::unordered_map<uint64_t, std::shared_ptr<PendingException>> inCommit;  // token -> pe
    std::atomic<SnapshotState> state{SnapshotState::Valid};
    Status invalidReason;  // why the snapshot became invalid (guarded by commitMutex)

    std::mutex doneMutex;
    std::condition_variable doneCv;

    ~Impl();  // unregisters the event source (the device is gone: no event of it follows)
    // Stores the state and adds StateChanged to `events` when it differs.
    void setState(SnapshotState next, EventBatch& events);
    // Switches commit ordering at run time (caller holds no lock): turning legacy on commits the
    // copies waiting out of order at once; turning it off commits a copy allocated before the
    // switch as soon as it finishes (the order it had was already the legacy one).
    void setLegacy(bool on);
    bool lookup(uint64_t chunk, uint64_t* cowChunk) const;
    // Allocates a pending exception for `chunk` (caller holds the origin range exclusively).
    Result<std::shared_ptr<PendingException>> allocate(uint64_t chunk, EventBatch& events);
    // A copy finished (ok or not): apply the in-order rule and commit what may be committed.
    void complete(const std::shared_ptr<PendingException>& pe, Status copy);
    void commitOne(const std::shared_ptr<PendingException>& pe, EventBatch& events);
    // Invalidates for good, keeping `why`; SnapshotInvalidated carries its code.
    void invalidate(const Error& why);
    // Caller holds commitMutex: marks invalid, drops the store, records the reason.
    void markInvalid(const Error& why, EventBatch& events);
    // The error to report for an operation refused because the snapshot is invalid.
    Error invalidError(const std::string& what);
    void wait(const std::shared_ptr<PendingException>& pe);
    // Starts copying origin chunk -> COW chunk on the executor; `data` (a full chunk), if given,
    // is written instead of the origin's contents (full-chunk snapshot writes).
    void startCopy(Executor& executor, const std::shared_ptr<PendingException>& pe, std::shared_ptr<std::vector<std::byte>> data);
    // Starts one copy for a run of pending exceptions whose origin chunks and COW chunks are both
    // consecutive (at most kMaxCopyRunBytes): one origin read and one COW write for the run.
    // Events stay per exception (CopyStarted, CopyFinished for each, in sequence order), and
    // the run's exceptions enter the in-order committer together, under one commitMutex hold.
    void startCopyRun(Executor& executor, std::vector<std::shared_ptr<PendingException>> run,
                      std::shared_ptr<std::vector<std::byte>> data = nullptr);
    // complete() for several exceptions at once (ascending sequence).
    void completeAll(const std::vector<std::shared_ptr<PendingException>>& pes, const Status& copy);
    void completeLocked(const std::shared_ptr<PendingException>& pe, Status copy, EventBatch& events);  // commitMutex held
};

// Largest coalesced copy (origin read + COW write) of consecutive chunks.
inline constexpr uint64_t kMaxCopyRunBytes = 1u << 20;

// One chunk's piece of a request: [offsetInChunk, +length) of `chunk`, at bufferOffset in the
// caller's buffer.
struct ChunkSlice {
    uint64_t chunk;
    uint64_t offsetInChunk;
    uint64_t length;
    uint64_t bufferOffset;
};
inline std::vector<ChunkSlice> slices(uint64_t offset, uint64_t length, uint64_t chunkBytes) {
    std::vector<ChunkSlice> out;
    uint64_t pos = offset, end = offset + length;
    while (pos < end) {
        uint64_t chunk = pos / chunkBytes;
        uint64_t in = pos % chunkBytes;
        uint64_t n = std::min(chunkBytes - in, end - pos);
        out.push_back(ChunkSlice{chunk, in, n, pos - offset});
        pos += n;
    }
    return out;
}
inline uint64_t alignDown(uint64_t v, uint64_t a) { return v / a * a; }
inline uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

struct Origin::Impl {
    std::shared_ptr<OriginCore> core;
    std::shared_ptr<Executor> executor;
    bool readOnly = false;
    mutable std::shared_mutex snapshotsMutex;  // shared: I/O; exclusive: attach/detach
    std::vector<std::shared_ptr<Snapshot>> snapshots;
    // The snapshot being merged into this origin (SnapshotMerge), if any: while set, the origin
    // presents that snapshot's contents. Guarded by snapshotsMutex.
    std::shared_ptr<Snapshot> merging;
    uint64_t lockAlign() const;  // largest chunk size of the attached snapshots
    // Copy-on-write protection of [offset, offset+length) into every snapshot; returns with the
    // range locked exclusively and every needed exception committed (or its snapshot invalid).
    RangeLock::Guard protect(uint64_t offset, uint64_t length);
    using Waits = std::vector<std::pair<std::shared_ptr<Snapshot::Impl>, std::shared_ptr<PendingException>>>;
    // protect() without the wait: the range locked exclusively, the copies started; `waits`
    // gets the exceptions to wait for before the origin may be written.
    RangeLock::Guard protectStart(uint64_t offset, uint64_t length, Waits& waits);

    // Write-behind (Origin::writeBehind): an origin write whose exceptions are still being
    // copied and committed is queued with its exclusive range lock; one thread writes each to
    // the origin once its exceptions are committed (so the origin is still never overwritten
    // before the snapshot's copy and record are durable), then releases the range. Concurrent
    // writers thus never wait for their own commit: the committer gathers every exception
    // finished since the last commit into one flush + one FUA area write (group commit).
    // Reads take the range lock shared while any is queued (they see the queued data once it
    // is written); flush() waits for the queue and reports a failed deferred write.
    struct Deferred {
        RangeLock::Guard guard;
        Waits waits;
        uint64_t offset = 0;
        std::span<const std::byte> data;
        std::shared_ptr<const void> keep;
    };
    static constexpr uint64_t kMaxBehindBytes = 64u << 20;  // queued bytes before writers wait
    std::mutex behindMutex;
    std::condition_variable behindCv;
    std::deque<Deferred> behindQueue;       // guarded by behindMutex
    std::atomic<uint64_t> behindCount{0};   // queued or being written (changed under behindMutex)
    uint64_t behindBytes = 0;               // guarded by behindMutex
    uint64_t behindQueued = 0, behindWritten = 0;  // totals (guarded by behindMutex; FIFO order)
    Status behindFailure;                   // first failed deferred write since the last flush
    bool behindStop = false;
    std::thread behindThread;
    void behindLoop();
    // Waits until no deferred write is left (caller holds snapshotsMutex exclusively, so none
    // can be queued meanwhile): attach and merge start must not race a deferred origin write.
    void drainBehind();
    // Waits for every deferred write queued before the call (not for later ones, so a stream
    // of writes cannot hold a flush back), returns (and clears) a failure.
    Status takeBehindFailure();
    ~Impl();
};

}  // namespace loopsnap
