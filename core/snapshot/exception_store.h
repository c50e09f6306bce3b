// ExceptionStore: where a snapshot keeps its exceptions (dm-exception-store.h's role).
//
// PersistentStore is the kernel's on-disk format (cow_format.h) with the kernel's write order:
//   format:  zero area 0, flush, header (FUA)            [we zero first: a crash between the two
//            then never leaves a valid header over a garbage area]
//   commit:  a record goes into the in-memory area; the area is written when no other exception
//            is pending or the area is full; before a full area is written the *next* area is
//            zeroed; the area write is preceded by a flush and written with FUA.
//   drop:    header rewritten with valid = 0 (FUA): final.
// TransientStore keeps nothing on disk and allocates from chunk 0.
//
// Threading: the owning Snapshot serializes commit(), drop() and the merge calls with its commit
// mutex, as the kernel runs commits from one context; prepare() is serialized by a separate
// allocation mutex and may run while a commit writes its area (the kernel's allocation does not
// wait for a metadata write either), so what both touch (the pending count, validity, next free
// chunk) is atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/io/block_device.h"
#include "core/snapshot/cow_format.h"
#include "core/snapshot/snapshot.h"
#include "core/util/result.h"

namespace loopsnap {

struct StoreUsage {
    uint64_t allocatedSectors = 0;
    uint64_t totalSectors = 0;
    uint64_t metadataSectors = 0;
};

struct StoreLoad {
    bool formatted = false;  // it was new (magic 0) and has just been formatted
    bool valid = true;       // false: the header says invalid; nothing else was read
};

struct StoreCommit {
    std::vector<uint64_t> released;  // tokens whose records are now durable (or failed), in commit order
    // ok: the store is valid. Otherwise the error that invalidated it (the failed copy, the
    // failed area or zeroing write, or the earlier failure); the released tokens failed.
    Status status;
    bool valid() const { return status.ok(); }
    bool areaWritten = false;
    uint64_t area = 0;
    uint64_t recordsInArea = 0;
    bool zeroedNextArea = false;
};

class ExceptionStore {
public:
    virtual ~ExceptionStore() = default;
    // Validates the store and loads its committed exceptions (in on-disk order), formatting it
    // first if it is new. Writes nothing unless every check passed.
    virtual Result<StoreLoad> load(const std::function<void(uint64_t oldChunk, uint64_t newChunk)>& onException) = 0;
    // Allocates the next free chunk for a pending exception. NoSpace when full.
    virtual Result<uint64_t> prepare() = 0;
    // Commits one record; `token` comes back in StoreCommit::released once the record is durable
    // (persistent stores batch: possibly in a later call). A failed copy invalidates the store.
    virtual StoreCommit commit(uint64_t oldChunk, uint64_t newChunk, const Status& copy, uint64_t token) = 0;
    // Invalidates the store for good.
    virtual void drop() = 0;
    virtual StoreUsage usage() const = 0;
    virtual uint32_t chunkSectors() const = 0;
    virtual bool valid() const = 0;

    // Merge support (persistent only): the last committed run of consecutive exceptions, working
    // backwards, and its removal. Unsupported elsewhere.
    struct MergeRun {
        uint64_t lastOld = 0, lastNew = 0;
        uint64_t count = 0;  // 0: nothing left
    };
    virtual Result<MergeRun> prepareMerge();
    virtual Status commitMerge(uint64_t count);
};

class PersistentStore final : public ExceptionStore {
public:
    // `requestedChunkSectors` is used only if the store is new.
    PersistentStore(std::shared_ptr<BlockDevice> cow, uint32_t requestedChunkSectors);

    Result<StoreLoad> load(const std::function<void(uint64_t, uint64_t)>& onException) override;
    Result<uint64_t> prepare() override;
    StoreCommit commit(uint64_t oldChunk, uint64_t newChunk, const Status& copy, uint64_t token) override;
    void drop() override;
    StoreUsage usage() const override;
    uint32_t chunkSectors() const override { return chunkSectors_; }
    bool valid() const override { return valid_.load(); }
    Result<MergeRun> prepareMerge() override;
    Status commitMerge(uint64_t count) override;

    // Inspect mode: never format (a new store is an error), and read the records of an invalid
    // store too. For status/inspect on a store that must not be written.
    void setInspectOnly(bool on) { inspectOnly_ = on; }
    // Read-only mode: never write anything; a new store (magic 0) loads as an empty one (nothing
    // excepted), prepare() is refused and drop() only marks the store invalid in memory.
    void setReadOnly(bool on) { readOnly_ = on; }
    struct HeaderInfo {
        uint32_t magic = 0, valid = 0, version = 0, chunkSectors = 0;
    };
    const HeaderInfo& header() const { return header_; }

    uint64_t nextFree() const { return nextFree_; }
    uint64_t currentArea() const { return currentArea_; }

private:
    Status writeHeader(bool valid);
    Status readArea(uint64_t area);
    Status writeArea();  // flush, then FUA write of the in-memory area
    Status zeroArea(uint64_t area);
    void skipMetadata();
    uint64_t chunkBytes() const { return uint64_t(chunkSectors_) * 512; }
    uint64_t deviceChunks() const { return cow_->size() / chunkBytes(); }

    std::shared_ptr<BlockDevice> cow_;
    uint32_t chunkSectors_;
    uint64_t epa_ = 0;
    std::atomic<bool> valid_{true};
    std::atomic<uint64_t> nextFree_{cowfmt::kHeaderChunks + 1};  // header and first area
    uint64_t currentArea_ = 0;
    uint64_t currentCommitted_ = 0;
    std::atomic<uint64_t> pendingCount_{0};
    std::vector<std::byte> area_;
    std::vector<uint64_t> callbacks_;
    bool inspectOnly_ = false;
    bool readOnly_ = false;
    Status failure_;  // the first error that invalidated the store, ok while valid
    HeaderInfo header_;
};

class TransientStore final : public ExceptionStore {
public:
    TransientStore(std::shared_ptr<BlockDevice> cow, uint32_t chunkSectors);
    Result<StoreLoad> load(const std::function<void(uint64_t, uint64_t)>& onException) override;
    Result<uint64_t> prepare() override;
    StoreCommit commit(uint64_t oldChunk, uint64_t newChunk, const Status& copy, uint64_t token) override;
    void drop() override { valid_ = false; }
    StoreUsage usage() const override;
    uint32_t chunkSectors() const override { return chunkSectors_; }
    bool valid() const override { return valid_.load(); }

private:
    std::shared_ptr<BlockDevice> cow_;
    uint32_t chunkSectors_;
    std::atomic<uint64_t> nextFreeSectors_{0};
    std::atomic<bool> valid_{true};
    Status failure_;
};

// Checks a chunk size (bytes): a power of two from 4 KiB to 512 KiB (LVM's limits).
Status validateChunkBytes(uint64_t chunkBytes);
// Checks that a new store of `storeBytes` can hold what the store type needs: a persistent store
// the header, one metadata area and one data chunk (3 chunks); a transient store one chunk.
// InvalidArgument (detail "store-too-small", subject `name`) otherwise.
Status validateNewStoreSize(StoreType type, uint64_t storeBytes, uint64_t chunkBytes, const std::string& name);

}  // namespace loopsnap
