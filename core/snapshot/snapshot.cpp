#include "core/snapshot/snapshot.h"

#include <algorithm>
#include <cstring>

#include "core/snapshot/snapshot_internal.h"
#include "core/util/size.h"

namespace loopsnap {

// ---------------------------------------------------------------------------------------------
// Small things

Result<StoreType> parseStoreType(std::string_view t) {
    if (t == "P" || t == "p") return StoreType::Persistent;
    if (t == "PO" || t == "po") return StoreType::PersistentOverflow;
    if (t == "N" || t == "n") return StoreType::Transient;
    return makeError(ErrorCode::InvalidArgument, "store type must be P, PO or N, not '" + std::string(t) + "'");
}

const char* storeTypeName(StoreType type) {
    switch (type) {
    case StoreType::Persistent: return "P";
    case StoreType::PersistentOverflow: return "PO";
    case StoreType::Transient: return "N";
    }
    return "?";
}

const char* snapshotStateName(SnapshotState s) {
    switch (s) {
    case SnapshotState::Valid: return "valid";
    case SnapshotState::Invalid: return "invalid";
    case SnapshotState::Overflow: return "overflow";
    case SnapshotState::Merging: return "merging";
    case SnapshotState::MergeFailed: return "merge-failed";
    }
    return "?";
}

std::string SnapshotStatus::kernelStatusLine() const {
    switch (state) {
    case SnapshotState::Invalid: return "Invalid";
    case SnapshotState::MergeFailed: return "Merge failed";
    case SnapshotState::Overflow: return "Overflow";
    default:
        return std::to_string(allocatedSectors) + "/" + std::to_string(totalSectors) + " " + std::to_string(metadataSectors);
    }
}

// ---------------------------------------------------------------------------------------------
// Snapshot::Impl: allocation, copies, the in-order committer

bool Snapshot::Impl::lookup(uint64_t chunk, uint64_t* cowChunk) const {
    std::shared_lock lock(tableMutex);
    auto it = table.find(chunk);
    if (it == table.end()) return false;
    *cowChunk = it->second;
    return true;
}

Result<std::shared_ptr<PendingException>> Snapshot::Impl::allocate(uint64_t chunk, EventBatch& events) {
    std::lock_guard lock(commitMutex);
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
    counters.copiesInFlight.fetch_add(1, std::memory_order_relaxed);
    auto keepAlive = shared_from_this();
    executor.submit([this, keepAlive, pe, data] {
        {
            EventBatch ev(*origin->events, source);
            ev.add(EventKind::CopyStarted, pe->seq, pe->oldChunk, pe->newChunk);
        }
        Status copy;
        uint64_t from = pe->oldChunk * chunkBytes;
        // The last chunk of an origin whose size is not a multiple of the chunk size is short.
        uint64_t len = std::min<uint64_t>(chunkBytes, origin->device->size() - std::min(from, origin->device->size()));
        std::shared_ptr<std::vector<std::byte>> buf = data;
        if (!buf) {
            buf = std::make_shared<std::vector<std::byte>>(len);
            copy = origin->device->read(from, *buf);
        }
        if (copy.ok() && !buf->empty()) copy = cow->write(pe->newChunk * chunkBytes, *buf);
        counters.copiesInFlight.fetch_sub(1, std::memory_order_relaxed);
        counters.copiesFinished.fetch_add(1, std::memory_order_relaxed);
        {
            EventBatch ev(*origin->events, source);
            ev.add(EventKind::CopyFinished, pe->seq, pe->oldChunk, pe->newChunk, copy.ok() ? 1 : 0);
        }
        complete(pe, std::move(copy));
    });
}

void Snapshot::Impl::complete(const std::shared_ptr<PendingException>& pe, Status copy) {
    EventBatch events(*origin->events, source);
    {
        std::lock_guard lock(commitMutex);
        pe->copy = std::move(copy);
        if (legacy) {
            // Pre-fix behaviour (before kernel commit 230c83afdd9c): commit in completion order.
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
    events.publish();
    doneCv.notify_all();
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
            table[r->oldChunk] = r->newChunk;
            order.emplace_back(r->oldChunk, r->newChunk);
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
    state.store(SnapshotState::Invalid);
    invalidReason = why;
    store->drop();
    events.add(EventKind::SnapshotInvalidated, 0, uint64_t(why.code));
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

// ---------------------------------------------------------------------------------------------
// Snapshot

Snapshot::Snapshot(std::shared_ptr<Impl> impl, std::shared_ptr<Executor> executor)
    : impl_(std::move(impl)), executor_(std::move(executor)) {}
Snapshot::~Snapshot() = default;

SnapshotStatus Snapshot::status() const {
    SnapshotStatus s;
    std::lock_guard lock(impl_->commitMutex);
    StoreUsage u = impl_->store->usage();
    s.state = impl_->state.load();
    s.allocatedSectors = u.allocatedSectors;
    s.totalSectors = u.totalSectors;
    s.metadataSectors = u.metadataSectors;
    s.chunkSectors = impl_->chunkBytes / 512;
    std::shared_lock t(impl_->tableMutex);
    s.exceptions = impl_->table.size();
    return s;
}

uint64_t Snapshot::size() const { return impl_->sizeBytes; }
uint32_t Snapshot::chunkBytes() const { return uint32_t(impl_->chunkBytes); }
StoreType Snapshot::storeType() const { return impl_->type; }
bool Snapshot::legacyCompletionOrder() const { return impl_->legacy; }
const std::string& Snapshot::name() const { return impl_->name; }
uint32_t Snapshot::eventSource() const { return impl_->source; }
const SnapshotCounters& Snapshot::counters() const { return impl_->counters; }

std::vector<std::pair<uint64_t, uint64_t>> Snapshot::exceptions() const {
    std::shared_lock lock(impl_->tableMutex);
    return impl_->order;
}

namespace {
struct ChunkSlice {
    uint64_t chunk;
    uint64_t offsetInChunk;
    uint64_t length;
    uint64_t bufferOffset;
};
std::vector<ChunkSlice> slices(uint64_t offset, uint64_t length, uint64_t chunkBytes) {
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
uint64_t alignDown(uint64_t v, uint64_t a) { return v / a * a; }
Error refuseReadOnly(const std::string& name) {
    return makeError(ErrorCode::InvalidArgument, "origin " + name + " is open read-only", name, "read-only");
}
uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }
}  // namespace

Status Snapshot::read(uint64_t offset, std::span<std::byte> out) {
    Impl& s = *impl_;
    if (offset > s.sizeBytes || out.size() > s.sizeBytes - offset)
        return makeError(ErrorCode::InvalidArgument, "read beyond the end of snapshot " + s.name);
    if (s.state.load() == SnapshotState::Invalid)
        return makeError(ErrorCode::Invalidated, "snapshot " + s.name + " is invalid: its data is gone");
    if (out.empty()) return {};
    auto guard = s.origin->ranges.lockShared(alignDown(offset, s.chunkBytes), alignUp(offset + out.size(), s.chunkBytes));
    for (const ChunkSlice& sl : slices(offset, out.size(), s.chunkBytes)) {
        std::span<std::byte> piece = out.subspan(sl.bufferOffset, sl.length);
        uint64_t cowChunk;
        if (s.lookup(sl.chunk, &cowChunk)) {
            LS_TRY(s.cow->read(cowChunk * s.chunkBytes + sl.offsetInChunk, piece));
        } else {
            LS_TRY(s.origin->device->read(sl.chunk * s.chunkBytes + sl.offsetInChunk, piece));
        }
    }
    return {};
}

Status Snapshot::write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags) {
    Impl& s = *impl_;
    if (offset > s.sizeBytes || data.size() > s.sizeBytes - offset)
        return makeError(ErrorCode::InvalidArgument, "write beyond the end of snapshot " + s.name);
    SnapshotState st = s.state.load();
    if (st == SnapshotState::Invalid) return makeError(ErrorCode::Invalidated, "snapshot " + s.name + " is invalid");
    if (st == SnapshotState::Overflow) return makeError(ErrorCode::NoSpace, "snapshot " + s.name + " has overflowed");
    if (st == SnapshotState::Merging) return makeError(ErrorCode::Busy, "snapshot " + s.name + " is being merged");
    if (s.readOnly) return makeError(ErrorCode::InvalidArgument, "snapshot " + s.name + " is open read-only", s.name, "read-only");
    if (data.empty()) return {};
    auto guard = s.origin->ranges.lockExclusive(alignDown(offset, s.chunkBytes), alignUp(offset + data.size(), s.chunkBytes));

    struct Todo {
        ChunkSlice slice;
        std::shared_ptr<PendingException> pe;  // null: exception existed
        bool fullChunk = false;
    };
    std::vector<Todo> todo;
    EventBatch events(*s.origin->events, s.source);
    Status allocFailure;
    for (const ChunkSlice& sl : slices(offset, data.size(), s.chunkBytes)) {
        Todo t{sl, nullptr, false};
        uint64_t cowChunk;
        if (!s.lookup(sl.chunk, &cowChunk)) {
            auto pe = s.allocate(sl.chunk, events);
            if (!pe.ok()) {
                // Exceptions already allocated for this write are still copied and committed
                // below (the store counts them as pending); only the data write is refused.
                if (pe.error().code == ErrorCode::NoSpace && s.type == StoreType::PersistentOverflow) {
                    s.state.store(SnapshotState::Overflow);
                    events.add(EventKind::SnapshotOverflowed);
                    allocFailure = makeError(ErrorCode::NoSpace, "snapshot " + s.name + " overflowed: its COW store is full");
                } else if (pe.error().code == ErrorCode::NoSpace) {
                    events.publish();
                    s.invalidate(pe.error());
                    allocFailure = makeError(ErrorCode::Invalidated, "snapshot " + s.name + " was invalidated: its COW store is full", s.name, "store-full");
                } else {
                    allocFailure = std::move(pe).error();
                }
                break;
            }
            t.pe = pe.value();
            uint64_t chunkStart = sl.chunk * s.chunkBytes;
            uint64_t chunkLen = std::min<uint64_t>(s.chunkBytes, s.sizeBytes - chunkStart);
            t.fullChunk = allocFailure.ok() && sl.offsetInChunk == 0 && sl.length == chunkLen;
        }
        todo.push_back(t);
    }
    events.publish();
    // Start every copy, then wait: copies of one write run concurrently.
    for (Todo& t : todo) {
        if (!t.pe) continue;
        std::shared_ptr<std::vector<std::byte>> full;
        if (t.fullChunk && allocFailure.ok()) {
            // A full-chunk write needs no copy: its own data is the exception's contents.
            auto piece = data.subspan(t.slice.bufferOffset, t.slice.length);
            full = std::make_shared<std::vector<std::byte>>(piece.begin(), piece.end());
        }
        s.startCopy(*executor_, t.pe, full);
    }
    Status result = allocFailure;
    for (Todo& t : todo) {
        if (t.pe) {
            s.wait(t.pe);
            if (!t.pe->success && result.ok()) result = s.invalidError("was invalidated");
        }
    }
    if (!result.ok()) return result;
    for (Todo& t : todo) {
        if (t.pe && t.fullChunk) continue;  // already written as the copy
        uint64_t cowChunk;
        if (!s.lookup(t.slice.chunk, &cowChunk)) return makeError(ErrorCode::Invalidated, "snapshot " + s.name + " lost an exception");
        LS_TRY(s.cow->write(cowChunk * s.chunkBytes + t.slice.offsetInChunk, data.subspan(t.slice.bufferOffset, t.slice.length)));
    }
    if (flags.fua) LS_TRY(s.cow->flush());
    return {};
}

Status Snapshot::flush() { return impl_->cow->flush(); }

namespace {
class SnapshotDevice final : public BlockDevice {
public:
    explicit SnapshotDevice(std::shared_ptr<Snapshot> s) : s_(std::move(s)) {}
    uint64_t size() const override { return s_->size(); }
    Status read(uint64_t o, std::span<std::byte> out) override { return s_->read(o, out); }
    Status write(uint64_t o, std::span<const std::byte> d, WriteFlags f) override { return s_->write(o, d, f); }
    Status flush() override { return s_->flush(); }
    std::string describe() const override { return "snapshot " + s_->name(); }

private:
    std::shared_ptr<Snapshot> s_;
};
}  // namespace

std::shared_ptr<BlockDevice> Snapshot::device() { return std::make_shared<SnapshotDevice>(shared_from_this()); }

// ---------------------------------------------------------------------------------------------
// Origin

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

    // Attach like LVM does: with origin I/O quiesced (exclusive), so no write slips between
    // loading the exceptions and the snapshot becoming visible to origin writes.
    std::unique_lock lock(impl_->snapshotsMutex);
    Snapshot::Impl* raw = impl.get();
    LS_ASSIGN(StoreLoad load, impl->store->load([raw](uint64_t o, uint64_t n) {
        if (!raw->table.count(o)) raw->order.emplace_back(o, n);
        raw->table[o] = n;
    }));
    impl->chunkBytes = uint64_t(impl->store->chunkSectors()) * 512;
    if (!load.valid) impl->state.store(SnapshotState::Invalid);
    impl->source = impl_->core->events->registerSource("snapshot:" + impl->name);
    std::shared_ptr<Snapshot> snap(new Snapshot(std::move(impl), impl_->executor));
    impl_->snapshots.push_back(snap);
    return snap;
}

void Origin::detachSnapshot(const std::shared_ptr<Snapshot>& snapshot) {
    std::unique_lock lock(impl_->snapshotsMutex);
    auto& v = impl_->snapshots;
    v.erase(std::remove(v.begin(), v.end(), snapshot), v.end());
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
    // Caller holds snapshotsMutex shared.
    uint64_t align = lockAlign();
    auto guard = core->ranges.lockExclusive(alignDown(offset, align), alignUp(offset + length, align));
    std::vector<std::pair<Snapshot::Impl*, std::shared_ptr<PendingException>>> waits;
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
            waits.emplace_back(&s, pe.value());
        }
    }
    for (auto& [s, pe] : waits) s->startCopy(*executor, pe, nullptr);
    for (auto& [s, pe] : waits) s->wait(pe);  // success or invalidation: either way the origin may proceed
    return guard;
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
