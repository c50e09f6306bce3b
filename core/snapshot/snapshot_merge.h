// SnapshotMerge: rollback of an origin to one of its snapshots, with the kernel's snapshot-merge
// semantics (../shared/spec/device-mapper-semantics.md section 3; dm-snap.c
// snapshot_merge_next_chunks / merge_callback, dm-snap-persistent.c persistent_*_merge).
//
// Order of writes per batch (the crash contract; crashlab/merge_crash.cpp checks every point):
//   1. PersistentStore::prepareMerge: the last committed run of consecutive records (old and new
//      chunks both consecutive), working backwards from the end of the store.
//   2. Other snapshots of the origin take their exceptions for those origin chunks first
//      (Origin::Impl::protect), and the range stays locked: writes to chunks being merged wait.
//   3. The run is copied COW -> origin.
//   4. The origin is flushed.                          <- without this a crash loses merged data
//   5. The run's records are cleared and the area is written with flush + FUA.
//   6. The run leaves the in-memory table; the next batch starts.
// A crash anywhere leaves records only for chunks whose copy may not be durable, and their COW
// data untouched, so running the merge again finishes it. The merge is finished when the store
// is empty: status allocated == metadata sectors.
//
// While a snapshot merges, its origin presents the snapshot's contents (dm "snapshot-merge"):
// Origin::read takes unmerged chunks from the COW; Origin::write to an unmerged chunk goes to
// the COW copy (as the kernel's snapshot_merge_map remaps it); other writes copy-on-write into the
// remaining snapshots and go to the origin. The merging snapshot accepts no new exceptions.
//
// Threading: run() blocks the calling thread (never call it on an executor thread: other
// snapshots' copies run there). pause(), resume(), stop(), progress() and status() may be called
// from any thread at any time; they never wait for I/O.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "core/snapshot/snapshot.h"

namespace loopsnap {

struct MergeOptions {
    // DEMONSTRATION ONLY: clear the records without flushing the origin first (step 4 skipped).
    // A crash can then lose merged chunks: the crash lab's `crashtest merge --legacy`.
    bool skipOriginFlush = false;
    // Largest single copy I/O; a run longer than this is copied in pieces (one batch still).
    uint64_t maxCopyBytes = 1 << 20;
};

// Live counters for a sampler (progress bar, UI timer); plain atomics, no locks.
struct MergeCounters {
    std::atomic<uint64_t> totalChunks{0};   // records in the store when this run started
    std::atomic<uint64_t> mergedChunks{0};  // records merged by this run
    std::atomic<uint64_t> batches{0};
    std::atomic<uint64_t> bytesCopied{0};
};

enum class MergeOutcome { Finished, Stopped };

class SnapshotMerge {
public:
    // Validates, quiesces the origin (waits for in-flight I/O, like LVM's suspend) and switches
    // the snapshot to merging. Refused, with nothing changed: a snapshot not attached to `origin`,
    // a transient, invalid or overflowed store, a snapshot already merging or whose merge failed
    // in this process, a second merge into the same origin, a snapshot whose length differs from
    // the origin's, or one with an exception beyond the origin's end.
    static Result<std::shared_ptr<SnapshotMerge>> begin(std::shared_ptr<Origin> origin, std::shared_ptr<Snapshot> snapshot,
                                                         MergeOptions options = {});
    ~SnapshotMerge();

    // Merges batch after batch until the store is empty (Finished) or stop() was called
    // (Stopped: everything merged so far is durable; call run() again, or reopen and begin()
    // again, to go on). An I/O error fails the merge: the snapshot shows "Merge failed", the
    // origin view stays consistent (unmerged chunks still read from the COW), and a later
    // process can retry. When finished, the snapshot is detached from the origin: its store is
    // empty and the origin is a plain origin again.
    Result<MergeOutcome> run();

    void pause();   // the running merge stops between batches until resume() or stop()
    void resume();
    void stop();    // run() returns Stopped after the current batch
    bool paused() const;
    bool finished() const;

    const MergeCounters& counters() const;
    uint64_t remainingChunks() const;  // records still in the store
    uint64_t chunkBytes() const;
    std::shared_ptr<Snapshot> snapshot() const;

private:
    struct Impl;
    explicit SnapshotMerge(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace loopsnap
