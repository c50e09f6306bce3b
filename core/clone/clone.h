// Clone: the userspace dm-clone (docs/clones.md, shared spec section 4).
//
// A Clone presents a device of the source's size. Reads of hydrated regions come from the
// destination, the others from the (read-only) source. A write covering a whole unhydrated region
// goes straight to the destination and marks it; a smaller write first copies the region from the
// source (a *user-triggered hydration*) and applies the write on top. Discards are trimmed to the
// whole regions they cover, mark those regions hydrated and are passed to the destination unless
// discardPassdown is off. Background hydration (HydrationScheduler) copies the rest.
//
// Durability (the flush-before-commit rule): metadata is committed on every flush() and FUA write
// and at least once per commitInterval, in two phases: freeze the in-memory bitmap, flush the
// destination, then write the frozen bitmap to the metadata (CloneMetadata::commit, which flushes
// the metadata device). A region is only ever marked in memory after its data write completed,
// so the destination flush of phase 2 covers every region of the frozen set. A flush() that was
// waiting while a commit froze its bitmap is completed by that commit (its destination flush
// covers it); later ones run a commit of their own. legacyCommit writes the metadata *before*
// flushing the destination: the pre-fix ordering, kept only to demonstrate the corruption.
//
// Locking: user I/O and hydration serialize on region-aligned byte ranges of a RangeLock (reads
// shared, writes/discards/copies exclusive), so a region is never copied while a user write to it
// runs. The bitmap is guarded by a mutex held only for bit tests and sets; commits serialize on a
// commit mutex and never hold a range lock.
//
// Errors: a source read failure (e.g. an unreachable NBD server) fails only the request that
// needed the source, with a message naming the region and the source, and publishes
// CloneSourceError; hydrated regions keep being served. A failed metadata commit puts the clone
// in Fail mode (status "Fail", every request fails), like the kernel.
//
// Thread-safety: every public method may be called from any thread concurrently (BlockDevice
// contract).
//
// Events (core/events/listener.h) are published on the thread doing the work, never with the
// bitmap mutex held. Which clone locks are held when each is published:
//   RegionHydrationStarted, RegionHydrated (a copy)  the exclusive range lock of the regions being
//                                                    copied (a hydration run, or the user write
//                                                    that triggered the copy)
//   RegionHydrated (a whole-region user write)       that write's exclusive range lock
//   CloneSourceError                                 the failed request's range lock (shared for
//                                                    a read, exclusive for a write or a copy)
//   StateChanged hydrating -> hydrated               the range lock of the write or copy that
//                                                    hydrated the last region
//   CloneCommit; CloneFailed and StateChanged        the commit mutex (no range lock)
//   -> failed (a metadata write failed)
//   RegionsDiscarded, HydrationEnabled,              none (HydrationFinished/HydrationStopped come
//   HydrationFinished, HydrationStopped,             from the scheduler's threads, with none of
//   SourceRegistered/SourceUnregistered              its locks held; SourceUnregistered from
//                                                    ~Clone, after the final commit)
// So a listener must not call into this clone (its I/O would wait for the range lock the publisher
// holds, and a commit from the listener would deadlock on the commit mutex); it only records, as
// the listener contract requires.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/clone/clone_metadata.h"
#include "core/clone/hydration_scheduler.h"
#include "core/util/progress.h"
#include "core/concurrency/range_lock.h"
#include "core/events/listener.h"
#include "core/io/block_device.h"

namespace loopsnap {

struct CloneOptions {
    bool hydrationEnabled = false;      // start background hydration at open (status: no_hydration if off)
    uint32_t hydrationThreshold = 1;    // regions in flight (kernel default 1)
    uint32_t hydrationBatchSize = 1;    // consecutive regions per copy (kernel default 1)
    bool discardPassdown = true;
    // LEGACY, for demonstrations and the crash lab only: commit metadata before flushing the
    // destination (pre-8b3fd1f5 dm-clone). A crash can then expose unwritten destination data.
    bool legacyCommit = false;
    // Periodic commit ("at least once a second"); zero disables the timer (tests that want
    // commits only where they ask for them).
    std::chrono::milliseconds commitInterval{1000};
    std::shared_ptr<EventSink> events;
    std::string name = "clone";         // for describe() and the event source name
};

// The kernel's status fields (clone_status() in drivers/md/dm-clone-target.c).
struct CloneStatus {
    bool failed = false;
    uint32_t metadataBlockSectors = kCloneMetadataBlockSize / 512;
    uint64_t usedMetadataBlocks = 0, totalMetadataBlocks = 0;
    uint32_t regionSectors = 0;
    uint64_t hydratedRegions = 0, totalRegions = 0, hydratingRegions = 0;
    bool hydrationEnabled = false;
    bool discardPassdown = true;
    uint32_t hydrationThreshold = 1, hydrationBatchSize = 1;
    bool readOnly = false;
    // "8 6/1024 8 0/16384 0 1 no_hydration 4 hydration_threshold 1 hydration_batch_size 1 rw", or "Fail".
    std::string kernelLine() const;
};

class Clone final : public BlockDevice {
public:
    // Formats `meta` for a new clone of `source` onto `dest` and opens it. Refuses (writing
    // nothing) when the sizes differ, the region size is invalid or `meta` is too small.
    // sourceRecord/destRecord are the paths stored in the metadata (see clone_files.h).
    static Result<std::shared_ptr<Clone>> create(std::shared_ptr<BlockDevice> source, std::shared_ptr<BlockDevice> dest,
                                                 std::shared_ptr<BlockDevice> meta, uint64_t regionSize,
                                                 CloneOptions options = {}, std::string sourceRecord = {},
                                                 std::string destRecord = {});
    // Opens an existing clone over any devices (files, NBD, or memory/recording/volatile-cache
    // devices in tests and the crash lab). Refuses metadata with a bad checksum, and devices
    // whose sizes do not match the metadata's.
    static Result<std::shared_ptr<Clone>> open(std::shared_ptr<BlockDevice> source, std::shared_ptr<BlockDevice> dest,
                                               std::shared_ptr<BlockDevice> meta, CloneOptions options = {});
    ~Clone() override;  // stops hydration and makes a final commit (errors ignored: call close())

    // BlockDevice
    uint64_t size() const override { return geometry_.deviceSize; }
    Status read(uint64_t offset, std::span<std::byte> out) override;
    Status write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags = {}) override;
    Status flush() override;  // commits (flush destination, then metadata)
    Status discard(uint64_t offset, uint64_t length) override;
    std::string describe() const override { return options_.name; }

    // Stops background hydration, waits for copies in flight and commits. Idempotent.
    Status close();

    // Hydration control (the kernel's messages enable_hydration, disable_hydration,
    // hydration_threshold N, hydration_batch_size N).
    void enableHydration();
    void disableHydration();  // returns after copies in flight have finished
    bool hydrationEnabled() const;
    void setHydrationThreshold(uint32_t regions);
    void setHydrationBatchSize(uint32_t regions);
    // The background scheduler's copy error, if it stopped on one.
    std::optional<Error> hydrationError() const;
    // Synchronous hydration on the caller's thread: copies up to `maxRegions` of the lowest
    // unhydrated regions, in runs of hydrationBatchSize. Returns how many it hydrated.
    Result<uint64_t> hydrateNext(uint64_t maxRegions);

    // Queries
    const CloneHeader& header() const { return metadata_->header(); }
    const CloneGeometry& geometry() const { return geometry_; }
    uint64_t regionCount() const { return geometry_.regionCount(); }
    bool isRegionHydrated(uint64_t region) const;
    uint64_t hydratedRegions() const { return hydratedCount_.load(std::memory_order_acquire); }
    bool fullyHydrated() const { return hydratedRegions() == regionCount(); }
    RegionBitmap hydratedBitmap() const;
    // done = hydrated regions, total = regions, bytes = bytes copied by hydration (for the rate).
    const ProgressCounters& progress() const { return progress_; }
    // Foreground (user) I/O through this clone since it opened: every read and write request's
    // bytes, hydrated regions or not, and the bytes of the whole regions discards covered.
    // Lock-free counters, sampled by a dashboard for its foreground rate.
    struct ForegroundIo { uint64_t bytesRead = 0, bytesWritten = 0, bytesDiscarded = 0; };
    ForegroundIo foregroundIo() const {
        return {userBytesRead_.load(std::memory_order_relaxed), userBytesWritten_.load(std::memory_order_relaxed),
                userBytesDiscarded_.load(std::memory_order_relaxed)};
    }
    uint32_t eventSource() const { return eventSource_; }
    CloneStatus status();
    uint64_t metadataGeneration();

private:
    Clone(std::shared_ptr<BlockDevice> source, std::shared_ptr<BlockDevice> dest, std::unique_ptr<CloneMetadata> metadata,
          CloneOptions options);
    void start();
    Status commitTransaction(std::optional<uint64_t> flushArrival, bool onlyIfChanged = false);
    Status failIfFailed() const;
    uint64_t regionBegin(uint64_t r) const { return r * geometry_.regionSize; }
    uint64_t regionEnd(uint64_t r) const { return std::min(size(), (r + 1) * geometry_.regionSize); }
    void markHydrated(uint64_t first, uint64_t count);
    std::optional<RegionRun> nextUnhydratedRun(uint64_t from, uint64_t maxCount) const;
    // Copies the unhydrated regions of `run` source -> destination under an exclusive range lock.
    Status hydrateRun(RegionRun run, bool userTriggered);
    // Caller holds the exclusive range lock of the run.
    Status copyRegionsLocked(uint64_t first, uint64_t count, bool userTriggered);
    Status sourceError(uint64_t region, const Error& error);
    void publish(EventKind kind, uint64_t a, uint64_t b = 0, uint64_t c = 0) const;
    void publish(Event event) const;  // stamps the source
    void enterFailMode(const Error& why);
    void committerLoop();

    struct UserIoScope {
        explicit UserIoScope(Clone& c);
        ~UserIoScope();
        Clone& clone;
    };

    std::shared_ptr<BlockDevice> source_, dest_;
    std::unique_ptr<CloneMetadata> metadata_;
    CloneOptions options_;
    CloneGeometry geometry_;
    uint32_t eventSource_ = 0;

    // Region locks: user writes and discards take their regions exclusively, reads shared. A
    // background hydration takes them exclusively only to claim its regions (claimed_), then
    // copies with no region lock held: reads of a claimed region go on to the source (its
    // contents equal what is being copied), so a foreground read never waits for a hydration
    // copy (dm-clone remaps reads of regions being hydrated to the source too). Writes and
    // discards wait until no claimed region overlaps them (dm-clone defers such bios).
    RangeLock regionLocks_;
    mutable std::mutex stateMutex_;   // guards hydrated_, freezes_, claimed_
    std::condition_variable claimCv_; // a claim was released
    std::vector<RegionRun> claimed_;  // runs a background hydration is copying
    bool claimedOverlapsLocked(uint64_t first, uint64_t last) const;  // stateMutex_ held
    // The exclusive region lock of [first, last] once no hydration claim overlaps it.
    RangeLock::Guard lockForUpdate(uint64_t first, uint64_t last);
    // Copies one run of unhydrated regions source -> destination and marks them (no lock taken).
    Status copyRun(uint64_t first, uint64_t count, bool userTriggered);
    RegionBitmap hydrated_;
    uint64_t freezes_ = 0;            // commits that have frozen a transaction
    std::atomic<uint64_t> hydratedCount_{0};
    std::atomic<uint64_t> hydrating_{0};
    std::atomic<int> userIo_{0};
    std::atomic<bool> failed_{false};
    std::atomic<uint64_t> lastSourceErrorRegion_{0};
    std::atomic<uint64_t> userBytesRead_{0}, userBytesWritten_{0}, userBytesDiscarded_{0};
    std::atomic<bool> discardPassdown_{true};
    ProgressCounters progress_;

    std::mutex commitMutex_;          // serializes commits; guards committedFreeze_
    uint64_t committedFreeze_ = 0;    // freeze number of the newest successful commit

    std::mutex timerMutex_;
    std::condition_variable timerCv_;
    bool stopTimer_ = false;
    bool closed_ = false;
    std::thread committer_;
    std::unique_ptr<HydrationScheduler> scheduler_;
};

}  // namespace loopsnap
