// The snapshot's view (dm "snapshot" target): reads from the COW store where an exception exists,
// else from the origin; writes allocate exceptions. Also the small value types of snapshot.h.
#include "core/snapshot/snapshot.h"

#include <algorithm>
#include <cstring>

#include "core/snapshot/snapshot_internal.h"
#include "core/util/size.h"

namespace loopsnap {

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
// Snapshot


Snapshot::Snapshot(std::shared_ptr<Impl> impl, std::shared_ptr<Executor> executor)
    : impl_(std::move(impl)), executor_(std::move(executor)) {}
Snapshot::~Snapshot() = default;

SnapshotStatus Snapshot::status() const {
    SnapshotStatus s;
    std::lock_guard lock(impl_->commitMutex);
    std::lock_guard alloc(impl_->allocMutex);
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
bool Snapshot::legacyCompletionOrder() const {
    std::lock_guard lock(impl_->commitMutex);
    return impl_->legacy;
}
void Snapshot::setLegacyCompletionOrder(bool legacy) { impl_->setLegacy(legacy); }
const std::string& Snapshot::name() const { return impl_->name; }
uint32_t Snapshot::eventSource() const { return impl_->source; }
const SnapshotCounters& Snapshot::counters() const { return impl_->counters; }

std::vector<std::pair<uint64_t, uint64_t>> Snapshot::exceptions() const {
    std::shared_lock lock(impl_->tableMutex);
    return impl_->table.byCowChunk();
}

Status Snapshot::read(uint64_t offset, std::span<std::byte> out) {
    Impl& s = *impl_;
    if (offset > s.sizeBytes || out.size() > s.sizeBytes - offset)
        return makeError(ErrorCode::InvalidArgument, "read beyond the end of snapshot " + s.name);
    if (s.state.load() == SnapshotState::Invalid)
        return s.invalidError("is invalid: its data is gone");
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
    if (st == SnapshotState::Invalid) return s.invalidError("is invalid");
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
                    s.setState(SnapshotState::Overflow, events);
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

}  // namespace loopsnap
