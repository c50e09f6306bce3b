// Engine events: small fixed-size records, cheap to create on an I/O path (no strings, no
// allocation). A UI or a log turns them into text later, off the hot path.
#pragma once

#include <cstdint>

namespace loopsnap {

enum class EventKind : uint16_t {
    // Snapshots (a, b, c as noted; seq = the exception's allocation sequence number)
    ExceptionAllocated,    // a = origin chunk, b = COW chunk
    CopyStarted,           // a = origin chunk, b = COW chunk
    CopyFinished,          // a = origin chunk, b = COW chunk, c = 1 ok / 0 failed; any order
    ExceptionCommitted,    // a = origin chunk, b = COW chunk; strictly in seq order (unless legacy)
    AreaWritten,           // a = area index, b = records in the area, c = 1 if the next area was zeroed
    SnapshotInvalidated,   // a = ErrorCode that caused it
    SnapshotOverflowed,    //
    // Merge (rollback)
    MergeStarted,          // a = chunks to merge
    MergeBatch,            // seq = batch number, a = first origin chunk, b = chunks in batch, c = chunks left
                           // (rate: chunks over the events' timeNs, or SnapshotMerge::counters())
    MergeFinished,         // a = chunks merged in this run
    MergeFailed,           // a = ErrorCode
    // Clones
    RegionHydrationStarted,// a = first region, b = region count, c = 1 if user-triggered
    RegionHydrated,        // a = first region, b = region count, c = 1 if user-triggered
    RegionsDiscarded,      // a = first region, b = region count
    CloneCommit,           // a = regions newly hydrated in this commit, b = 1 if destination flushed first
    HydrationEnabled,      // a = 1 enabled / 0 disabled
    CloneSourceError,      // a = first region, b = ErrorCode
};

const char* eventKindName(EventKind kind) noexcept;

struct Event {
    EventKind kind;
    uint32_t source = 0;   // id of the emitting store/device (EventSink::registerSource)
    uint64_t seq = 0;
    uint64_t a = 0, b = 0, c = 0;
    int64_t timeNs = 0;    // steady clock, filled by EventSink::publish
};

}  // namespace loopsnap
