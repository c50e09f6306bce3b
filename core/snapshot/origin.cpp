// The origin (dm "snapshot-origin"): reads pass through; writes and discards copy-on-write into
// every attached snapshot first; while a snapshot merges, it presents that snapshot.
#include "core/snapshot/snapshot.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/snapshot/snapshot_internal.h"
#include "core/util/size.h"

namespace loopsnap {

namespace {
Error refuseReadOnly(const std::string& name) {
    return makeError(ErrorCode::InvalidArgument, "origin " + name + " is open read-only", name, "read-only");
}
}  // namespace


std::shared_ptr<Origin> Origin::create(std::shared_ptr<BlockDevice> device, OriginOptions options) {
    std::shared_ptr<Origin> o(new Origin());
    o->impl_ = std::make_unique<Impl>();
    auto core = std::make_shared<OriginCore>();
    core->device = std::move(device);
    core->events = options.events ? options.events : std::make_shared<EventSink>();
    core->name = options.name.empty() ? core->device->describe() : options.name;
    o->impl_->core = std::move(core);
    o->impl_->executor = options.executor ? options.executor : std::make_shared<ThreadPool>(4);
    o->impl_->readOnly = options.readOnly;
    return o;
}

Origin::~Origin() = default;

uint64_t Origin::Impl::lockAlign() const {
    uint64_t a = 512;
    for (auto& s : snapshots) a = std::max<uint64_t>(a, s->impl_->chunkBytes);
    return a;
}

Result<std::shared_ptr<Snapshot>> Origin::attachSnapshot(std::shared_ptr<BlockDevice> cow, SnapshotOptions options) {
    auto impl = std::make_shared<Snapshot::Impl>();
    impl->origin = impl_->core;
    impl->cow = cow;
    impl->type = options.type;
    impl->legacy = options.legacyCompletionOrder;
    impl->readOnly = options.readOnly;
    impl->name = options.name.empty() ? cow->describe() : options.name;
    impl->sizeBytes = options.sizeBytes.value_or(impl_->core->device->size());
    if (impl_->core->device->size() < impl->sizeBytes)
        return makeError(ErrorCode::InvalidArgument, "origin " + impl_->core->name + " (" + std::to_string(impl_->core->device->size()) +
                                                         " bytes) is shorter than the snapshot " + impl->name + " (" +
                                                         std::to_string(impl->sizeBytes) + " bytes)");
    LS_TRY(validateChunkBytes(options.chunkBytes));
    uint32_t chunkSectors = options.chunkBytes / 512;
    if (options.type == StoreType::Transient) {
        impl->store = std::make_unique<TransientStore>(cow, chunkSectors);
    } else {
        auto persistent = std::make_unique<PersistentStore>(cow, chunkSectors);
        persistent->setReadOnly(options.readOnly);
        impl->store = std::move(persistent);
    }

    // The source is registered (SourceRegistered published) before any lock is taken; a failed
    // attach unregisters it again when `impl` goes.
    impl->source = impl_->core->events->registerSource("snapshot:" + impl->name);
    // Attach like LVM does: with origin I/O quiesced (exclusive), so no write slips between
    // loading the exceptions and the snapshot becoming visible to origin writes.
    std::unique_lock lock(impl_->snapshotsMutex);
    impl_->drainBehind();  // no deferred origin write may land after the new snapshot's load
    Snapshot::Impl* raw = impl.get();
    // Records are collected in disk order and sorted once: activation costs little more than
    // reading the metadata areas (a later record for the same chunk wins, as in the kernel).
    std::vector<std::pair<uint64_t, uint64_t>> records;
    LS_ASSIGN(StoreLoad load, impl->store->load([&records](uint64_t o, uint64_t n) { records.emplace_back(o, n); }));
    raw->table.load(std::move(records));
    impl->chunkBytes = uint64_t(impl->store->chunkSectors()) * 512;
    if (!load.valid) impl->state.store(SnapshotState::Invalid);
    const uint32_t source = impl->source;
    const uint64_t chunkBytes = impl->chunkBytes, loaded = raw->table.size();
    std::shared_ptr<Snapshot> snap(new Snapshot(std::move(impl), impl_->executor));
    impl_->snapshots.push_back(snap);
    lock.unlock();
    impl_->core->events->publish(Event{EventKind::SnapshotAttached, source, 0, chunkBytes, loaded});
    return snap;
}

void Origin::detachSnapshot(const std::shared_ptr<Snapshot>& snapshot) {
    bool found = false;
    {
        std::unique_lock lock(impl_->snapshotsMutex);
        auto& v = impl_->snapshots;
        auto it = std::remove(v.begin(), v.end(), snapshot);
        found = it != v.end();
        v.erase(it, v.end());
    }
    if (found) impl_->core->events->publish(Event{EventKind::SnapshotDetached, snapshot->eventSource()});
}

std::vector<std::shared_ptr<Snapshot>> Origin::snapshots() const {
    std::shared_lock lock(impl_->snapshotsMutex);
    return impl_->snapshots;
}

uint64_t Origin::size() const { return impl_->core->device->size(); }
std::string Origin::describe() const { return "origin " + impl_->core->name; }
std::shared_ptr<BlockDevice> Origin::underlyingDevice() const { return impl_->core->device; }
std::shared_ptr<EventSink> Origin::events() const { return impl_->core->events; }
std::shared_ptr<Executor> Origin::executor() const { return impl_->executor; }

Status Origin::read(uint64_t offset, std::span<std::byte> out) {
    std::shared_lock lock(impl_->snapshotsMutex);
    if (!impl_->merging) {
        if (impl_->behindCount.load() == 0) {
            lock.unlock();
            return impl_->core->device->read(offset, out);
        }
        // Write-behind: a queued write holds its range exclusively until it is on the origin.
        LS_TRY(checkRange(offset, out.size()));
        uint64_t align = impl_->lockAlign();
        auto guard = impl_->core->ranges.lockShared(alignDown(offset, align), alignUp(offset + out.size(), align));
        lock.unlock();
        return impl_->core->device->read(offset, out);
    }
    // snapshot-merge: unmerged chunks still live in the COW store. The shared range lock keeps a
    // merge batch from moving a chunk between the lookup and the read.
    LS_TRY(checkRange(offset, out.size()));
    if (out.empty()) return {};
    Snapshot::Impl& m = *impl_->merging->impl_;
    auto guard = impl_->core->ranges.lockShared(alignDown(offset, m.chunkBytes), alignUp(offset + out.size(), m.chunkBytes));
    for (const ChunkSlice& sl : slices(offset, out.size(), m.chunkBytes)) {
        std::span<std::byte> piece = out.subspan(sl.bufferOffset, sl.length);
        uint64_t cowChunk;
        if (m.lookup(sl.chunk, &cowChunk)) LS_TRY(m.cow->read(cowChunk * m.chunkBytes + sl.offsetInChunk, piece));
        else LS_TRY(impl_->core->device->read(sl.chunk * m.chunkBytes + sl.offsetInChunk, piece));
    }
    return {};
}

RangeLock::Guard Origin::Impl::protect(uint64_t offset, uint64_t length) {
    Waits waits;
    auto guard = protectStart(offset, length, waits);
    for (auto& [s, pe] : waits) s->wait(pe);  // success or invalidation: either way the origin may proceed
    return guard;
}

RangeLock::Guard Origin::Impl::protectStart(uint64_t offset, uint64_t length, Waits& waits) {
    // Caller holds snapshotsMutex shared.
    uint64_t align = lockAlign();
    auto guard = core->ranges.lockExclusive(alignDown(offset, align), alignUp(offset + length, align));
    for (auto& snap : snapshots) {
        Snapshot::Impl& s = *snap->impl_;
        SnapshotState st = s.state.load();
        if (st == SnapshotState::Invalid || st == SnapshotState::Merging || st == SnapshotState::MergeFailed) continue;
        if (offset >= s.sizeBytes) continue;  // writing beyond the end of this snapshot
        uint64_t end = std::min(offset + length, s.sizeBytes);
        EventBatch events(*core->events, s.source);
        for (uint64_t chunk = offset / s.chunkBytes; chunk * s.chunkBytes < end; ++chunk) {
            uint64_t cowChunk;
            if (s.lookup(chunk, &cowChunk)) continue;
            auto pe = s.allocate(chunk, events);
            if (!pe.ok()) {
                // Full (or failing) store: the snapshot loses, the origin write goes on.
                events.publish();
                s.invalidate(pe.error());
                break;
            }
            waits.emplace_back(s.shared_from_this(), pe.value());
        }
    }
    // Coalesce: consecutive origin chunks that got consecutive COW chunks in the same snapshot
    // are copied by one job (one origin read, one COW write), up to kMaxCopyRunBytes. Not in
    // legacy completion order, which demonstrates the pre-fix kernel: one copy per exception,
    // each finishing (and committing) on its own.
    for (size_t i = 0; i < waits.size();) {
        Snapshot::Impl* s = waits[i].first.get();
        std::vector<std::shared_ptr<PendingException>> run{waits[i].second};
        size_t j = i + 1;
        while (j < waits.size() && !s->legacy.load() && waits[j].first.get() == s && (run.size() + 1) * s->chunkBytes <= kMaxCopyRunBytes &&
               waits[j].second->oldChunk == run.back()->oldChunk + 1 && waits[j].second->newChunk == run.back()->newChunk + 1) {
            run.push_back(waits[j].second);
            ++j;
        }
        s->startCopyRun(*executor, std::move(run));
        i = j;
    }
    return guard;
}

Origin::Impl::~Impl() {
    {
        std::lock_guard lk(behindMutex);
        behindStop = true;
    }
    behindCv.notify_all();
    if (behindThread.joinable()) behindThread.join();  // writes what is queued first
}

void Origin::Impl::behindLoop() {
    std::unique_lock lk(behindMutex);
    for (;;) {
        behindCv.wait(lk, [&] { return behindStop || !behindQueue.empty(); });
        if (behindQueue.empty()) return;  // stopping, and nothing left to write
        Deferred d = std::move(behindQueue.front());
        behindQueue.pop_front();
        lk.unlock();
        for (auto& [s, pe] : d.waits) s->wait(pe);  // committed (or the snapshot invalid)
        Status st = core->device->write(d.offset, d.data);
        const uint64_t n = d.data.size();
        d.guard.release();
        d = Deferred{};
        lk.lock();
        if (!st.ok() && behindFailure.ok()) behindFailure = st;
        behindBytes -= n;
        ++behindWritten;
        behindCount.fetch_sub(1);
        behindCv.notify_all();
    }
}

void Origin::Impl::drainBehind() {
    std::unique_lock lk(behindMutex);
    behindCv.wait(lk, [&] { return behindCount.load() == 0; });
}

Status Origin::Impl::takeBehindFailure() {
    std::unique_lock lk(behindMutex);
    const uint64_t ticket = behindQueued;
    behindCv.wait(lk, [&] { return behindWritten >= ticket; });
    return std::exchange(behindFailure, Status{});
}

Status Origin::writeBehind(uint64_t offset, std::span<const std::byte> data, std::shared_ptr<const void> keep) {
    if (impl_->readOnly) return refuseReadOnly(impl_->core->name);
    LS_TRY(checkRange(offset, data.size()));
    if (data.empty()) return {};
    Impl& m = *impl_;
    {
        // Bounded: past kMaxBehindBytes queued, a writer waits (before taking any lock).
        std::unique_lock lk(m.behindMutex);
        m.behindCv.wait(lk, [&] { return m.behindBytes == 0 || m.behindBytes + data.size() <= Impl::kMaxBehindBytes; });
    }
    std::shared_lock lock(m.snapshotsMutex);
    if (m.merging) {
        lock.unlock();
        return write(offset, data);
    }
    Impl::Waits waits;
    auto guard = m.protectStart(offset, data.size(), waits);
    if (waits.empty()) return m.core->device->write(offset, data);  // nothing to copy: as write()
    {
        std::lock_guard lk(m.behindMutex);
        if (!m.behindThread.joinable()) m.behindThread = std::thread([&m] { m.behindLoop(); });
        m.behindCount.fetch_add(1);  // before the return: a read issued after it sees the queue
        m.behindBytes += data.size();
        ++m.behindQueued;
        m.behindQueue.push_back(Impl::Deferred{std::move(guard), std::move(waits), offset, data, std::move(keep)});
    }
    m.behindCv.notify_all();
    return {};
}

Status Origin::write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags) {
    if (impl_->readOnly) return refuseReadOnly(impl_->core->name);
    LS_TRY(checkRange(offset, data.size()));
    if (data.empty()) return {};
    std::shared_lock lock(impl_->snapshotsMutex);
    auto guard = impl_->protect(offset, data.size());
    if (!impl_->merging) return impl_->core->device->write(offset, data, flags);
    // snapshot-merge (dm-snap.c snapshot_merge_map): a write to a chunk not merged yet goes to
    // its COW copy, which the merge later moves to the origin; the rest goes to the origin. The
    // range lock taken by protect() makes writes to the chunks of the running batch wait.
    Snapshot::Impl& m = *impl_->merging->impl_;
    bool toCow = false, toOrigin = false;
    for (const ChunkSlice& sl : slices(offset, data.size(), m.chunkBytes)) {
        auto piece = data.subspan(sl.bufferOffset, sl.length);
        uint64_t cowChunk;
        if (m.lookup(sl.chunk, &cowChunk)) {
            LS_TRY(m.cow->write(cowChunk * m.chunkBytes + sl.offsetInChunk, piece));
            toCow = true;
        } else {
            LS_TRY(impl_->core->device->write(sl.chunk * m.chunkBytes + sl.offsetInChunk, piece));
            toOrigin = true;
        }
    }
    if (flags.fua && toCow) LS_TRY(m.cow->flush());
    if (flags.fua && toOrigin) LS_TRY(impl_->core->device->flush());
    return {};
}

Status Origin::discard(uint64_t offset, uint64_t length) {
    if (impl_->readOnly) return refuseReadOnly(impl_->core->name);
    LS_TRY(checkRange(offset, length));
    if (!length) return {};
    // A discard changes the origin's contents, so snapshots must keep their copies first.
    std::shared_lock lock(impl_->snapshotsMutex);
    auto guard = impl_->protect(offset, length);
    if (!impl_->merging) return impl_->core->device->discard(offset, length);
    // While merging, only whole chunks that are already merged are discarded on the origin;
    // unmerged chunks keep their COW copy (a discard is advisory, their contents stay valid).
    Snapshot::Impl& m = *impl_->merging->impl_;
    for (const ChunkSlice& sl : slices(offset, length, m.chunkBytes)) {
        uint64_t cowChunk;
        if (!m.lookup(sl.chunk, &cowChunk)) LS_TRY(impl_->core->device->discard(sl.chunk * m.chunkBytes + sl.offsetInChunk, sl.length));
    }
    return {};
}

Status Origin::flush() {
    // Every deferred write first (write-behind): the flush covers it, and reports its failure.
    LS_TRY(impl_->takeBehindFailure());
    std::shared_ptr<BlockDevice> mergingCow;
    {
        std::shared_lock lock(impl_->snapshotsMutex);
        if (impl_->merging) mergingCow = impl_->merging->impl_->cow;
    }
    // While merging, data written to unmerged chunks lives in the COW store: flush both.
    if (mergingCow) LS_TRY(mergingCow->flush());
    return impl_->core->device->flush();
}

}  // namespace loopsnap
