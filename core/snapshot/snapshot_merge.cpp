#include "core/snapshot/snapshot_merge.h"

#include <algorithm>
#include <vector>

#include "core/snapshot/snapshot_internal.h"
#include "core/util/size.h"

namespace loopsnap {

struct SnapshotMerge::Impl {
    std::shared_ptr<Origin> origin;
    std::shared_ptr<Snapshot> snapshot;
    MergeOptions options;
    MergeCounters counters;
    mutable std::mutex control;
    std::condition_variable controlCv;
    bool pauseRequested = false;
    bool stopRequested = false;
    bool running = false;
    std::atomic<bool> finished{false};
    std::atomic<bool> failed{false};

    Origin::Impl& o() { return *origin->impl_; }
    Snapshot::Impl& s() { return *snapshot->impl_; }
    Error fail(Error error);
    Status mergeBatch(const ExceptionStore::MergeRun& run);
    void finish();
};

SnapshotMerge::SnapshotMerge(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SnapshotMerge::~SnapshotMerge() = default;

Result<std::shared_ptr<SnapshotMerge>> SnapshotMerge::begin(std::shared_ptr<Origin> origin, std::shared_ptr<Snapshot> snapshot,
                                                              MergeOptions options) {
    if (!origin || !snapshot) return makeError(ErrorCode::InvalidArgument, "merge needs an origin and a snapshot");
    if (options.maxCopyBytes == 0) return makeError(ErrorCode::InvalidArgument, "merge copy size must not be 0");
    Origin::Impl& o = *origin->impl_;
    Snapshot::Impl& s = *snapshot->impl_;
    const std::string what = "cannot merge snapshot " + s.name + " into " + o.core->name + ": ";

    EventBatch events(*o.core->events, s.source);  // StateChanged, published after the locks go
    // Exclusive: no origin write is between protect() and its device write, no attach or detach.
    std::unique_lock snapshots(o.snapshotsMutex);
    o.drainBehind();  // every deferred origin write is on the origin before the merge begins
    if (std::find(o.snapshots.begin(), o.snapshots.end(), snapshot) == o.snapshots.end())
        return makeError(ErrorCode::InvalidArgument, what + "it is not a snapshot of this origin");
    if (o.merging)
        return makeError(ErrorCode::Busy, what + "snapshot " + o.merging->impl_->name + " is already merging into it");
    if (s.type == StoreType::Transient)
        return makeError(ErrorCode::Unsupported, what + "a transient (N) store keeps nothing on disk to merge or resume from");
    switch (s.state.load()) {
    case SnapshotState::Valid: break;
    case SnapshotState::Invalid:
        return makeError(ErrorCode::Invalidated, what + "the snapshot is invalid: its data is gone");
    case SnapshotState::Overflow:
        return makeError(ErrorCode::NoSpace, what + "the snapshot has overflowed: its contents are incomplete");
    case SnapshotState::Merging:
        return makeError(ErrorCode::Busy, what + "it is already merging");
    case SnapshotState::MergeFailed:
        return makeError(ErrorCode::IOError, what + "its merge failed in this process; reopen the files to retry");
    }
    const uint64_t originSize = o.core->device->size();
    if (s.sizeBytes != originSize)
        return makeError(ErrorCode::InvalidArgument, what + "the snapshot is " + std::to_string(s.sizeBytes) + " bytes long but the origin is " +
                                                         std::to_string(originSize) + ": a merge would not give the origin the snapshot's contents");
    if (s.chunkBytes > originSize)
        return makeError(ErrorCode::InvalidArgument, what + "its chunk size " + formatSize(s.chunkBytes) + " is larger than the origin (" +
                                                         std::to_string(originSize) + " bytes)");

    // Quiesce (LVM suspends the origin): wait for every read and write in flight, snapshot writes
    // included, so no pending exception of this snapshot is left and its last area is on disk.
    auto all = o.core->ranges.lockExclusive(0, UINT64_MAX);
    {
        std::lock_guard commit(s.commitMutex);
        if (!s.outOfOrder.empty() || !s.inCommit.empty())
            return makeError(ErrorCode::Busy, what + "exceptions are still being committed");
        std::shared_lock table(s.tableMutex);
        std::optional<uint64_t> beyond;
        s.table.forEach([&](uint64_t oldChunk, uint64_t) {
            if (!beyond && oldChunk * s.chunkBytes >= originSize) beyond = oldChunk;
        });
        if (beyond)
            return makeError(ErrorCode::Corruption, what + "exception for chunk " + std::to_string(*beyond) + " lies beyond the end of the origin (" +
                                                        std::to_string(originSize / s.chunkBytes) + " chunks): the store does not fit this origin");
        s.setState(SnapshotState::Merging, events);
    }
    o.merging = snapshot;

    auto impl = std::make_unique<Impl>();
    impl->origin = std::move(origin);
    impl->snapshot = std::move(snapshot);
    impl->options = options;
    {
        std::shared_lock table(s.tableMutex);
        impl->counters.totalChunks.store(s.table.size());
    }
    return std::shared_ptr<SnapshotMerge>(new SnapshotMerge(std::move(impl)));
}

Error SnapshotMerge::Impl::fail(Error error) {
    // Records of the failed batch stay in the table and in the store: the origin keeps reading
    // them from the COW, so its contents stay the snapshot's. The kernel shows "Merge failed".
    EventBatch events(*o().core->events, s().source);
    s().setState(SnapshotState::MergeFailed, events);
    failed.store(true);
    events.add(EventKind::MergeFailed, 0, uint64_t(error.code)).withError(error.code);
    error.message = "merge of " + s().name + " into " + o().core->name + " failed: " + error.message;
    return error;
}

Status SnapshotMerge::Impl::mergeBatch(const ExceptionStore::MergeRun& run) {
    Snapshot::Impl& snap = s();
    Origin::Impl& orig = o();
    const uint64_t cb = snap.chunkBytes;
    const uint64_t firstOld = run.lastOld + 1 - run.count;
    const uint64_t firstNew = run.lastNew + 1 - run.count;
    const uint64_t originSize = orig.core->device->size();
    if (run.lastOld < run.count - 1 || run.lastNew < run.count - 1 || firstOld * cb >= originSize)
        return makeError(ErrorCode::Corruption, "exception run ending at chunk " + std::to_string(run.lastOld) + " lies outside the origin");
    const uint64_t offset = firstOld * cb;
    const uint64_t length = std::min(run.count * cb, originSize - offset);

    std::shared_lock snapshots(orig.snapshotsMutex);
    // Other snapshots copy these origin chunks before the merge overwrites them; the range stays
    // locked until the records are gone, so writes to these chunks wait (dm-snap.c
    // origin_write_extent + __check_for_conflicting_io).
    auto guard = orig.protect(offset, length);

    std::vector<std::byte> buffer(std::min<uint64_t>(length, options.maxCopyBytes));
    for (uint64_t done = 0; done < length;) {
        std::span<std::byte> piece(buffer.data(), std::min<uint64_t>(buffer.size(), length - done));
        if (Status st = snap.cow->read(firstNew * cb + done, piece); !st.ok())
            return makeError(st.error().code, "read error on the COW store: " + st.error().message);
        if (Status st = orig.core->device->write(offset + done, piece); !st.ok())
            return makeError(st.error().code, "write error on the origin: " + st.error().message);
        done += piece.size();
        counters.bytesCopied.fetch_add(piece.size(), std::memory_order_relaxed);
    }
    // merge_callback: blkdev_issue_flush(origin) before commit_merge. Without it the records
    // could be gone while the merged data is still in the origin's volatile cache.
    if (!options.skipOriginFlush) {
        if (Status st = orig.core->device->flush(); !st.ok())
            return makeError(st.error().code, "flush of the origin failed: " + st.error().message);
    }
    {
        std::lock_guard commit(snap.commitMutex);
        if (Status st = snap.store->commitMerge(run.count); !st.ok())
            return makeError(st.error().code, "write error in the exception store: " + st.error().message);
        snap.counters.areaWrites.fetch_add(1, std::memory_order_relaxed);
    }
    {
        std::unique_lock table(snap.tableMutex);
        for (uint64_t i = 0; i < run.count; ++i) (void)snap.table.erase(firstOld + i, firstNew + i);
    }
    uint64_t merged = counters.mergedChunks.fetch_add(run.count) + run.count;
    counters.batches.fetch_add(1, std::memory_order_relaxed);
    uint64_t total = counters.totalChunks.load();
    guard.release();
    snapshots.unlock();
    EventBatch events(*orig.core->events, snap.source);
    events.add(EventKind::MergeBatch, counters.batches.load(), firstOld, run.count, total > merged ? total - merged : 0);
    return {};
}

void SnapshotMerge::Impl::finish() {
    {
        std::unique_lock snapshots(o().snapshotsMutex);
        o().merging.reset();
        auto& v = o().snapshots;
        v.erase(std::remove(v.begin(), v.end(), snapshot), v.end());
    }
    finished.store(true);
    EventBatch events(*o().core->events, s().source);
    events.add(EventKind::MergeFinished, 0, counters.mergedChunks.load());
    events.add(EventKind::SnapshotDetached);  // the merged snapshot left its origin
}

Result<MergeOutcome> SnapshotMerge::run() {
    Impl& m = *impl_;
    {
        std::lock_guard lock(m.control);
        if (m.running) return makeError(ErrorCode::Busy, "the merge of " + m.s().name + " is already running");
        if (m.failed.load()) return makeError(ErrorCode::IOError, "the merge of " + m.s().name + " has failed; reopen the files to retry");
        if (m.finished.load()) return MergeOutcome::Finished;
        m.running = true;
    }
    struct NotRunning {
        Impl& m;
        ~NotRunning() {
            std::lock_guard lock(m.control);
            m.running = false;
        }
    } notRunning{m};
    {
        EventBatch events(*m.o().core->events, m.s().source);
        events.add(EventKind::MergeStarted, 0, remainingChunks());
    }
    // MergePaused/MergeResumed/MergeStopped are published when the merge actually holds,
    // goes on or stops between two batches, with no lock held.
    auto publishControl = [this, &m](EventKind kind) {
        EventBatch events(*m.o().core->events, m.s().source);
        events.add(kind, 0, remainingChunks());
    };
    for (;;) {
        bool paused;
        {
            std::lock_guard lock(m.control);
            paused = m.pauseRequested && !m.stopRequested;
        }
        if (paused) publishControl(EventKind::MergePaused);
        bool stop;
        {
            std::unique_lock lock(m.control);
            m.controlCv.wait(lock, [&] { return !m.pauseRequested || m.stopRequested; });
            stop = m.stopRequested;
            m.stopRequested = false;
        }
        if (stop) {
            publishControl(EventKind::MergeStopped);
            return MergeOutcome::Stopped;
        }
        if (paused) publishControl(EventKind::MergeResumed);
        ExceptionStore::MergeRun run;
        {
            std::lock_guard commit(m.s().commitMutex);
            auto prepared = m.s().store->prepareMerge();
            if (!prepared.ok()) return m.fail(makeError(prepared.error().code, "read error in the exception store: " + prepared.error().message));
            run = prepared.value();
        }
        if (run.count == 0) {
            m.finish();
            return MergeOutcome::Finished;
        }
        if (Status st = m.mergeBatch(run); !st.ok()) return m.fail(st.error());
    }
}

void SnapshotMerge::pause() {
    std::lock_guard lock(impl_->control);
    impl_->pauseRequested = true;
}

void SnapshotMerge::resume() {
    {
        std::lock_guard lock(impl_->control);
        impl_->pauseRequested = false;
    }
    impl_->controlCv.notify_all();
}

void SnapshotMerge::stop() {
    {
        std::lock_guard lock(impl_->control);
        impl_->stopRequested = true;
    }
    impl_->controlCv.notify_all();
}

bool SnapshotMerge::paused() const {
    std::lock_guard lock(impl_->control);
    return impl_->pauseRequested;
}

bool SnapshotMerge::finished() const { return impl_->finished.load(); }
const MergeCounters& SnapshotMerge::counters() const { return impl_->counters; }
uint64_t SnapshotMerge::chunkBytes() const { return impl_->snapshot->chunkBytes(); }
std::shared_ptr<Snapshot> SnapshotMerge::snapshot() const { return impl_->snapshot; }

uint64_t SnapshotMerge::remainingChunks() const {
    uint64_t total = impl_->counters.totalChunks.load(), merged = impl_->counters.mergedChunks.load();
    return total > merged ? total - merged : 0;
}

}  // namespace loopsnap
