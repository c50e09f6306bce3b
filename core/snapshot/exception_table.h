// ExceptionTable: the committed exceptions of one snapshot (origin chunk -> COW chunk), compact.
//
// Why not a hash map: a snapshot of a big, busy origin holds millions of exceptions, and
// std::unordered_map costs about 40 bytes per entry (node, bucket, allocator overhead). The
// kernel's dm_exception is 32 bytes plus its hash bucket. This table keeps two sorted parallel
// arrays (origin chunk: 8 bytes; COW chunk: 4 bytes while the store has fewer than 2^32 chunks,
// else 8) plus a small hash map of recent inserts that is merged in when it grows past
// max(kMinBuffer, size/kBufferRatio) entries, so an insert costs amortised O(kBufferRatio) moves
// and a lookup is one binary search plus one hash probe. Each merge allocates the arrays at
// their exact size, so memory is 12 (or 16) bytes per exception plus the buffer.
//
// Loading a store is an append of records in disk order followed by one sort (load()).
//
// Thread-safety: none of its own. The snapshot guards it with its tableMutex (shared for
// find/size/forEach, exclusive for insert/erase/load).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace loopsnap {

class ExceptionTable {
public:
    static constexpr size_t kMinBuffer = 1024;
    static constexpr size_t kBufferRatio = 64;

    // wideValues: COW chunk numbers may reach 2^32 (stores of 2^32 chunks or more).
    explicit ExceptionTable(bool wideValues = false) : wide_(wideValues) {}
    // For a store of `cowChunks` chunks.
    static ExceptionTable forStore(uint64_t cowChunks) { return ExceptionTable(cowChunks > UINT32_MAX); }

    std::optional<uint64_t> find(uint64_t originChunk) const;
    bool contains(uint64_t originChunk) const { return find(originChunk).has_value(); }
    // Adds or replaces (a later record for the same origin chunk wins, as on disk).
    void insert(uint64_t originChunk, uint64_t cowChunk);
    // Removes the entry if it maps to `cowChunk`; returns whether it did (merge clears records).
    bool erase(uint64_t originChunk, uint64_t cowChunk);
    size_t size() const { return keys_.size() + buffer_.size() - shadowed_; }
    bool empty() const { return size() == 0; }
    // Every entry, in origin-chunk order.
    void forEach(const std::function<void(uint64_t originChunk, uint64_t cowChunk)>& fn) const;
    // Every entry ordered by COW chunk: with in-order commits that is the order they were
    // committed and lie on disk.
    std::vector<std::pair<uint64_t, uint64_t>> byCowChunk() const;
    // Replaces the content with `records` (disk order; later duplicates win) in one sort.
    void load(std::vector<std::pair<uint64_t, uint64_t>> records);
    void clear();
    // Heap bytes held (for the memory benchmark and tests).
    size_t memoryBytes() const;

private:
    uint64_t valueAt(size_t i) const { return wide_ ? wideValues_[i] : narrowValues_[i]; }
    void setValue(size_t i, uint64_t v) {
        if (wide_) wideValues_[i] = v; else narrowValues_[i] = uint32_t(v);
    }
    // Index in keys_ of originChunk, or npos.
    size_t indexOf(uint64_t originChunk) const;
    void mergeBuffer();

    bool wide_;
    std::vector<uint64_t> keys_;          // sorted, unique
    std::vector<uint32_t> narrowValues_;  // parallel to keys_ (when !wide_)
    std::vector<uint64_t> wideValues_;    // parallel to keys_ (when wide_)
    // Recent inserts of origin chunks not in keys_. An insert for a key already in keys_
    // updates it in place, so the buffer never shadows the arrays; shadowed_ counts erased array
    // entries that are only marked until the next merge.
    std::unordered_map<uint64_t, uint64_t> buffer_;
    std::vector<bool> erased_;            // parallel to keys_: removed, dropped at the next merge
    size_t shadowed_ = 0;                 // number of erased_ marks set
};

}  // namespace loopsnap
