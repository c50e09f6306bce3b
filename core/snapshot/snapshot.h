// The userspace dm-snapshot: an Origin (itself a BlockDevice) with any number of Snapshots, each
// on its own COW store in the kernel's persistent format (or transient).
//
// Semantics are dm-snapshot's (../shared/spec/device-mapper-semantics.md sections 1, 2, 5):
// - Origin::write copies every chunk it touches into each snapshot lacking an exception for it
//   (a pending exception), commits the exception records, and only then writes the origin.
// - Copies run on the executor and finish in any order; records are committed strictly in
//   allocation order (kernel commit 230c83afdd9c), so the committed records are always a prefix of
//   the allocation order and a crash can never leak COW space. SnapshotOptions::legacyCompletionOrder
//   switches back to the pre-fix behaviour (commit in completion order) for demonstrations.
// - A snapshot that cannot fit an exception, or whose COW device fails, is invalidated (header
//   rewritten with valid = 0); the origin write still proceeds, the origin is never harmed by a
//   failing snapshot. With PO, a *snapshot* write that finds the store full reports Overflow.
//
// Thread safety: every public method may be called from any thread concurrently.
//
// Events and locks (listener.h's contract asks listeners never to block): events are gathered
// while engine locks are held and published after the snapshot's commitMutex/tableMutex and the
// origin's snapshotsMutex are released, with exactly these exceptions, where a listener runs
// while the calling thread still holds
//   - Origin::write/discard (ExceptionAllocated, SnapshotInvalidated and StateChanged of a full
//     store): the origin's snapshotsMutex shared and the exclusive range lock of the written range;
//   - Snapshot::write (ExceptionAllocated, SnapshotOverflowed, SnapshotInvalidated, StateChanged):
//     the exclusive range lock of the written range;
//   - SnapshotMerge::run, while it protects a batch's range in the other snapshots
//     (ExceptionAllocated, SnapshotInvalidated, StateChanged of those snapshots): as Origin::write.
// Published with no engine lock held: copy-job events (CopyStarted, CopyFinished,
// ExceptionCommitted, AreaWritten, and SnapshotInvalidated/StateChanged of a failed commit), the
// merge's (MergeStarted, MergeBatch, MergePaused, MergeResumed, MergeStopped, MergeFinished,
// MergeFailed, and StateChanged to merging / merge-failed), SourceRegistered and SnapshotAttached
// (Origin::attachSnapshot, after the switch), SnapshotDetached (detachSnapshot; a finished merge)
// and SourceUnregistered (the thread that drops the last reference to the snapshot: its origin's
// destruction, a detach's caller, or the last copy job).
// A listener that blocked under a range lock would stall I/O to that range, never deadlock the
// engine unless it calls back into it (which the contract forbids).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/concurrency/executor.h"
#include "core/events/listener.h"
#include "core/io/block_device.h"
#include "core/snapshot/cow_format.h"
#include "core/util/result.h"

namespace loopsnap {

enum class StoreType { Persistent, PersistentOverflow, Transient };  // P, PO, N
Result<StoreType> parseStoreType(std::string_view text);
const char* storeTypeName(StoreType type);  // "P", "PO", "N"

enum class SnapshotState { Valid, Invalid, Overflow, Merging, MergeFailed };
const char* snapshotStateName(SnapshotState state);  // valid|invalid|overflow|merging|merge-failed

struct SnapshotStatus {
    SnapshotState state = SnapshotState::Valid;
    uint64_t allocatedSectors = 0;
    uint64_t totalSectors = 0;     // size of the COW device
    uint64_t metadataSectors = 0;
    uint64_t chunkSectors = 0;
    uint64_t exceptions = 0;       // committed exceptions
    // Exactly what the kernel's snapshot target prints: "<alloc>/<total> <meta>", "Invalid",
    // "Overflow" or "Merge failed".
    std::string kernelStatusLine() const;
};

// Live counters a sampler (UI, progress bar) reads without locks.
struct SnapshotCounters {
    std::atomic<uint64_t> allocated{0};
    std::atomic<uint64_t> copiesInFlight{0};
    std::atomic<uint64_t> copiesFinished{0};
    std::atomic<uint64_t> committed{0};
    std::atomic<uint64_t> waitingOutOfOrder{0};  // finished copies waiting for a lower sequence now
    std::atomic<uint64_t> finishedOutOfOrder{0}; // copies that ever finished before a lower sequence
    std::atomic<uint64_t> areaWrites{0};
    // Coalesced copies: each run of consecutive chunks is one origin read and one COW write.
    std::atomic<uint64_t> copyRuns{0};         // copy jobs started (runs of one chunk included)
    std::atomic<uint64_t> coalescedChunks{0};  // chunks copied as part of a run of two or more
};

struct SnapshotOptions {
    StoreType type = StoreType::Persistent;
    // Chunk size used when the store is new (magic 0). An existing header's chunk size wins, as
    // in the kernel.
    uint32_t chunkBytes = kDefaultChunkBytes;
    // Size of the snapshot in bytes (the kernel's table length); unset = the origin's size. 0 is a
    // real size (a snapshot of an empty origin stays empty). An origin shorter than this is refused.
    std::optional<uint64_t> sizeBytes;
    // Read-only: the store is never formatted or written (a new store, magic 0, reads as an empty
    // snapshot: the origin's contents); writes to the snapshot are refused.
    bool readOnly = false;
    // Pre-fix behaviour: commit records in copy-completion order. Demonstrations only.
    bool legacyCompletionOrder = false;
    std::string name;  // for events and messages; defaults to the COW device's description
};

class Origin;
class ExceptionStore;

class Snapshot : public std::enable_shared_from_this<Snapshot> {
public:
    ~Snapshot();
    SnapshotStatus status() const;
    uint64_t size() const;        // bytes
    uint32_t chunkBytes() const;
    StoreType storeType() const;
    bool legacyCompletionOrder() const;
    // DEMONSTRATION: switches the commit order at run time (SnapshotOptions::legacyCompletionOrder).
    void setLegacyCompletionOrder(bool legacy);
    const std::string& name() const;
    uint32_t eventSource() const;
    const SnapshotCounters& counters() const;

    // The snapshot's view (dm "snapshot" target): exceptions from the COW store, the rest from
    // the origin. Writes (writable snapshot) allocate exceptions too.
    Status read(uint64_t offset, std::span<std::byte> out);
    Status write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags = {});
    Status flush();  // flushes the COW device

    // Committed exceptions (origin chunk -> COW chunk) in commit order, for inspect and tests.
    std::vector<std::pair<uint64_t, uint64_t>> exceptions() const;

    // A BlockDevice view of this snapshot, for the NBD server and loop attach.
    std::shared_ptr<BlockDevice> device();

private:
    friend class Origin;
    friend class SnapshotMerge;
    struct Impl;
    Snapshot(std::shared_ptr<Impl> impl, std::shared_ptr<Executor> executor);
    std::shared_ptr<Impl> impl_;          // shared with in-flight copy jobs
    std::shared_ptr<Executor> executor_;  // owned here, never by a job
};

struct OriginOptions {
    std::shared_ptr<Executor> executor;  // copies run here; default: a private ThreadPool(4)
    std::shared_ptr<EventSink> events;   // default: a private sink without listeners
    std::string name;                    // for events and messages
    // Read-only: origin writes and discards are refused before anything is copied or written.
    bool readOnly = false;
};

// The origin device (dm "snapshot-origin"): reads pass through; writes copy-on-write into every
// attached snapshot first.
class Origin final : public BlockDevice, public std::enable_shared_from_this<Origin> {
public:
    static std::shared_ptr<Origin> create(std::shared_ptr<BlockDevice> device, OriginOptions options = {});
    ~Origin() override;

    // Loads (or formats, when its magic is 0) the store on `cow` and attaches it. Validates
    // everything before writing anything: a store that fails validation is left untouched.
    Result<std::shared_ptr<Snapshot>> attachSnapshot(std::shared_ptr<BlockDevice> cow, SnapshotOptions options);
    void detachSnapshot(const std::shared_ptr<Snapshot>& snapshot);
    std::vector<std::shared_ptr<Snapshot>> snapshots() const;

    uint64_t size() const override;
    Status read(uint64_t offset, std::span<std::byte> out) override;
    Status write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags = {}) override;
    Status flush() override;
    Status discard(uint64_t offset, uint64_t length) override;
    // Write-behind (BlockDevice::writeBehind): returns once the write is ordered and visible to
    // later reads, without waiting for its copy-on-write commits; the origin is written after
    // them. flush() waits for every such write and reports a failed one.
    Status writeBehind(uint64_t offset, std::span<const std::byte> data, std::shared_ptr<const void> keep) override;
    std::string describe() const override;

    std::shared_ptr<BlockDevice> underlyingDevice() const;
    std::shared_ptr<EventSink> events() const;
    std::shared_ptr<Executor> executor() const;

private:
    friend class Snapshot;
    friend class SnapshotMerge;
    struct Impl;
    Origin() = default;
    std::unique_ptr<Impl> impl_;
};

}  // namespace loopsnap
