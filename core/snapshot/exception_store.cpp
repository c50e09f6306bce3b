#include "core/snapshot/exception_store.h"

#include <algorithm>
#include <cstdio>

#include "core/snapshot/snapshot.h"
#include "core/util/size.h"

namespace loopsnap {

using namespace cowfmt;

namespace {
std::string hex32(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}
}  // namespace

Status validateChunkBytes(uint64_t chunkBytes) {
    if (!isPowerOfTwo(chunkBytes))
        return makeError(ErrorCode::InvalidArgument, "chunk size " + std::to_string(chunkBytes) + " bytes is not a power of two");
    if (chunkBytes < kMinChunkBytes || chunkBytes > kMaxChunkBytes)
        return makeError(ErrorCode::InvalidArgument, "chunk size " + formatSize(chunkBytes) + " is outside 4 KiB .. 512 KiB");
    return {};
}

namespace {
// What StoreCommit::status says: ok while valid, else the error that invalidated the store.
Status invalidity(bool valid, const Status& failure, const BlockDevice& cow) {
    if (valid) return okStatus();
    if (!failure.ok()) return failure;
    return makeError(ErrorCode::Invalidated, cow.describe() + ": the snapshot is invalid", cow.describe(), "invalid");
}
}  // namespace

Status validateNewStoreSize(StoreType type, uint64_t storeBytes, uint64_t chunkBytes, const std::string& name) {
    if (type == StoreType::Transient) {
        if (storeBytes < chunkBytes)
            return makeError(ErrorCode::InvalidArgument,
                             name + ": store too small: " + std::to_string(storeBytes) + " bytes cannot hold one " + formatSize(chunkBytes) + " chunk",
                             name, "store-too-small");
        return {};
    }
    if (storeBytes / chunkBytes < kHeaderChunks + 2)
        return makeError(ErrorCode::InvalidArgument,
                         name + ": store too small: " + std::to_string(storeBytes) + " bytes cannot hold the header, a metadata area and one " +
                             formatSize(chunkBytes) + " chunk (needs " + std::to_string(3 * chunkBytes) + " bytes)",
                         name, "store-too-small");
    return {};
}

Result<ExceptionStore::MergeRun> ExceptionStore::prepareMerge() {
    return makeError(ErrorCode::Unsupported, "only persistent snapshots can be merged");
}
Status ExceptionStore::commitMerge(uint64_t) {
    return makeError(ErrorCode::Unsupported, "only persistent snapshots can be merged");
}

// ---------------------------------------------------------------------------------------------
// PersistentStore

PersistentStore::PersistentStore(std::shared_ptr<BlockDevice> cow, uint32_t requestedChunkSectors)
    : cow_(std::move(cow)), chunkSectors_(requestedChunkSectors) {}

Status PersistentStore::writeHeader(bool valid) {
    std::vector<std::byte> chunk(chunkBytes());
    encodeHeader(Header{kMagic, valid ? 1u : 0u, kDiskVersion, chunkSectors_}, chunk);
    return cow_->write(0, chunk, WriteFlags{.fua = true});
}

Status PersistentStore::readArea(uint64_t area) {
    uint64_t loc = areaLocation(area, epa_);
    return cow_->read(loc * chunkBytes(), area_);
}

Status PersistentStore::writeArea() {
    // REQ_PREFLUSH | REQ_FUA: the data chunks the records point at are durable before the records.
    LS_TRY(cow_->flush());
    return cow_->write(areaLocation(currentArea_, epa_) * chunkBytes(), area_, WriteFlags{.fua = true});
}

Status PersistentStore::zeroArea(uint64_t area) {
    uint64_t loc = areaLocation(area, epa_);
    if (loc >= deviceChunks())
        return makeError(ErrorCode::NoSpace, "metadata area " + std::to_string(area) + " lies beyond the end of the COW device");
    return cow_->writeZeroes(loc * chunkBytes(), chunkBytes());
}

void PersistentStore::skipMetadata() {
    if (isMetadataChunk(nextFree_.load(), epa_)) ++nextFree_;
}

Result<StoreLoad> PersistentStore::load(const std::function<void(uint64_t, uint64_t)>& onException) {
    const std::string name = cow_->describe();
    if (cow_->size() < kHeaderBytes)
        return makeError(ErrorCode::Corruption, name + ": truncated store (" + std::to_string(cow_->size()) + " bytes, no room for a header)");
    std::byte raw[kHeaderBytes];
    LS_TRY(cow_->read(0, raw));
    Header h = decodeHeader(raw);
    header_ = HeaderInfo{h.magic, h.valid, h.version, h.chunkSectors};
    StoreLoad result;

    if (h.magic == 0 && inspectOnly_)
        return makeError(ErrorCode::NotFound, name + ": not formatted yet (magic 0): no snapshot store here");
    if (h.magic == 0) {
        // A new store: validate everything, then format.
        LS_TRY(validateChunkBytes(chunkBytes()));
        epa_ = exceptionsPerArea(chunkBytes());
        LS_TRY(validateNewStoreSize(StoreType::Persistent, cow_->size(), chunkBytes(), name));
        area_.assign(chunkBytes(), std::byte{0});
        if (readOnly_) {
            // Nothing excepted yet: the snapshot reads as the origin. Formatting is a write.
            valid_ = true;
            return result;
        }
        LS_TRY(zeroArea(0));
        LS_TRY(cow_->flush());
        LS_TRY(writeHeader(true));
        valid_ = true;
        result.formatted = true;
        return result;
    }
    if (h.magic != kMagic)
        return makeError(ErrorCode::Corruption, name + ": not a snapshot store (bad magic " + hex32(h.magic) + ", expected " + hex32(kMagic) + ")");
    if (h.version != kDiskVersion)
        return makeError(ErrorCode::Unsupported, name + ": unsupported store version " + std::to_string(h.version) + " (only version 1 exists)");
    // The chunk size on disk overrides the one asked for (as in the kernel).
    uint64_t diskChunkBytes = uint64_t(h.chunkSectors) * 512;
    if (!isPowerOfTwo(diskChunkBytes) || diskChunkBytes < kMinChunkBytes || diskChunkBytes > kMaxChunkBytes)
        return makeError(ErrorCode::Corruption, name + ": header chunk size " + std::to_string(h.chunkSectors) +
                                                    " sectors is not a power of two from 8 to 1024 sectors");
    chunkSectors_ = h.chunkSectors;
    epa_ = exceptionsPerArea(chunkBytes());
    if (deviceChunks() < kHeaderChunks + 1)
        return makeError(ErrorCode::Corruption, name + ": truncated store: " + std::to_string(cow_->size()) +
                                                    " bytes cannot hold the header and the first metadata area");
    area_.assign(chunkBytes(), std::byte{0});
    if (h.valid == 0) {
        valid_ = false;
        result.valid = false;
        if (!inspectOnly_) return result;  // the kernel reads nothing more of an invalid store
    }
    // Read every area until one that is not full. Collect first, report only if all is sane.
    std::vector<Record> records;
    uint64_t nextFree = kHeaderChunks + 1;
    const uint64_t devChunks = deviceChunks();
    for (uint64_t area = 0;; ++area) {
        uint64_t loc = areaLocation(area, epa_);
        if (loc >= devChunks)
            return makeError(ErrorCode::Corruption, name + ": truncated store: metadata area " + std::to_string(area) +
                                                        " (chunk " + std::to_string(loc) + ") lies beyond the end of the device");
        LS_TRY(cow_->read(loc * chunkBytes(), area_));
        bool full = true;
        for (uint64_t i = 0; i < epa_; ++i) {
            Record r = readRecord(area_, i);
            if (r.newChunk == 0) {
                currentCommitted_ = i;
                full = false;
                break;
            }
            if (r.newChunk >= devChunks)
                return makeError(ErrorCode::Corruption, name + ": truncated store: exception " + std::to_string(records.size()) +
                                                            " points at chunk " + std::to_string(r.newChunk) + " beyond the end (" +
                                                            std::to_string(devChunks) + " chunks)");
            if (isMetadataChunk(r.newChunk, epa_))
                return makeError(ErrorCode::Corruption, name + ": corrupt store: exception " + std::to_string(records.size()) +
                                                            " points at metadata chunk " + std::to_string(r.newChunk));
            nextFree = std::max(nextFree, r.newChunk + 1);
            records.push_back(r);
        }
        if (!full) {
            currentArea_ = area;
            break;
        }
    }
    nextFree_ = nextFree;
    skipMetadata();
    valid_ = h.valid != 0;
    for (const Record& r : records) onException(r.oldChunk, r.newChunk);
    return result;
}

Result<uint64_t> PersistentStore::prepare() {
    if (!valid_) return makeError(ErrorCode::Invalidated, cow_->describe() + ": the snapshot is invalid");
    if (readOnly_) return makeError(ErrorCode::InvalidArgument, cow_->describe() + ": the store is open read-only", cow_->describe(), "read-only");
    uint64_t sizeSectors = cow_->size() / 512;
    if (sizeSectors < (nextFree_.load() + 1) * chunkSectors_)
        return makeError(ErrorCode::NoSpace, cow_->describe() + ": the COW store is full");
    uint64_t chunk = nextFree_.load();
    ++nextFree_;
    skipMetadata();
    ++pendingCount_;
    return chunk;
}

StoreCommit PersistentStore::commit(uint64_t oldChunk, uint64_t newChunk, const Status& copy, uint64_t token) {
    StoreCommit out;
    auto failWith = [&](const Status& st) {
        if (valid_) failure_ = st;
        valid_ = false;
    };
    if (!copy.ok()) failWith(copy);
    writeRecord(area_, currentCommitted_++, Record{oldChunk, newChunk});
    callbacks_.push_back(token);
    const uint64_t stillPending = pendingCount_.fetch_sub(1) - 1;
    // Exceptions still in flight and room left in this area: the record waits for the next write.
    if (stillPending != 0 && currentCommitted_ != epa_) {
        out.status = invalidity(valid_, failure_, *cow_);
        return out;
    }
    bool full = currentCommitted_ == epa_;
    if (full && valid_) {
        // Zero the next area first, so a load after a crash stops there.
        if (Status st = zeroArea(currentArea_ + 1); !st.ok()) failWith(st);
        else out.zeroedNextArea = true;
    }
    if (valid_) {
        if (Status st = writeArea(); st.ok()) {
            out.areaWritten = true;
            out.area = currentArea_;
            out.recordsInArea = currentCommitted_;
        } else {
            failWith(st);
        }
    }
    if (full) {
        currentCommitted_ = 0;
        ++currentArea_;
        std::fill(area_.begin(), area_.end(), std::byte{0});
    }
    out.released = std::move(callbacks_);
    callbacks_.clear();
    out.status = invalidity(valid_, failure_, *cow_);
    return out;
}

void PersistentStore::drop() {
    valid_ = false;
    if (readOnly_) return;
    (void)writeHeader(false);  // best effort, like the kernel: the in-memory state is already invalid
}

StoreUsage PersistentStore::usage() const {
    StoreUsage u;
    u.allocatedSectors = nextFree_.load() * chunkSectors_;
    u.totalSectors = cow_->size() / 512;
    u.metadataSectors = (currentArea_ + 1 + kHeaderChunks) * chunkSectors_;
    return u;
}

Result<ExceptionStore::MergeRun> PersistentStore::prepareMerge() {
    if (!valid_) return makeError(ErrorCode::Invalidated, cow_->describe() + ": the snapshot is invalid");
    if (currentCommitted_ == 0) {
        if (currentArea_ == 0) return MergeRun{};  // finished
        --currentArea_;
        LS_TRY(readArea(currentArea_));
        currentCommitted_ = epa_;
    }
    Record last = readRecord(area_, currentCommitted_ - 1);
    MergeRun run{last.oldChunk, last.newChunk, 1};
    for (; run.count < currentCommitted_; ++run.count) {
        Record r = readRecord(area_, currentCommitted_ - 1 - run.count);
        if (r.oldChunk != last.oldChunk - run.count || r.newChunk != last.newChunk - run.count) break;
    }
    return run;
}

Status PersistentStore::commitMerge(uint64_t count) {
    if (count > currentCommitted_) return makeError(ErrorCode::InvalidArgument, "merging more records than the area holds");
    std::vector<Record> cleared;
    for (uint64_t i = 0; i < count; ++i) {
        cleared.push_back(readRecord(area_, currentCommitted_ - 1 - i));
        writeRecord(area_, currentCommitted_ - 1 - i, Record{0, 0});
    }
    if (Status st = writeArea(); !st.ok()) {
        // The disk holds the old or the new area; both are correct to resume from. Keep the
        // records in memory so the in-memory area still matches what a retry must merge.
        for (uint64_t i = 0; i < count; ++i) writeRecord(area_, currentCommitted_ - 1 - i, cleared[i]);
        return st;
    }
    currentCommitted_ -= count;
    // As the kernel does: once merging, next_free is what it would be had everything been
    // committed in order, which keeps the status line's progress meaningful.
    nextFree_ = areaLocation(currentArea_, epa_) + currentCommitted_ + 1;
    return {};
}

// ---------------------------------------------------------------------------------------------
// TransientStore

TransientStore::TransientStore(std::shared_ptr<BlockDevice> cow, uint32_t chunkSectors)
    : cow_(std::move(cow)), chunkSectors_(chunkSectors) {}

Result<StoreLoad> TransientStore::load(const std::function<void(uint64_t, uint64_t)>&) {
    LS_TRY(validateChunkBytes(uint64_t(chunkSectors_) * 512));
    LS_TRY(validateNewStoreSize(StoreType::Transient, cow_->size(), uint64_t(chunkSectors_) * 512, cow_->describe()));
    return StoreLoad{};
}

Result<uint64_t> TransientStore::prepare() {
    if (!valid_) return makeError(ErrorCode::Invalidated, cow_->describe() + ": the snapshot is invalid");
    uint64_t sizeSectors = cow_->size() / 512;
    if (sizeSectors < nextFreeSectors_ + chunkSectors_) return makeError(ErrorCode::NoSpace, cow_->describe() + ": the COW store is full");
    uint64_t chunk = nextFreeSectors_.load() / chunkSectors_;
    nextFreeSectors_ += chunkSectors_;
    return chunk;
}

StoreCommit TransientStore::commit(uint64_t, uint64_t, const Status& copy, uint64_t token) {
    if (!copy.ok() && valid_) failure_ = copy;
    if (!copy.ok()) valid_ = false;
    StoreCommit out;
    out.released.push_back(token);
    out.status = invalidity(valid_, failure_, *cow_);
    return out;
}

StoreUsage TransientStore::usage() const {
    return StoreUsage{nextFreeSectors_.load(), cow_->size() / 512, 0};
}

}  // namespace loopsnap
