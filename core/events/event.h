// Engine events, version 2: small fixed-size records, cheap to create on an I/O path (no
// strings, no allocation). A UI or a log turns them into text later, off the hot path.
//
// Events are HINTS. A consumer may lose events (EventRing drops when full and says so with an
// EventsDropped marker naming the source); after a drop, or whenever it starts following a
// device, it resyncs from status (Engine::snapshot/clone/job, snapshotTrace, cloneRegionMap) and
// applies only events stamped after its sample. No consumer may treat the event stream as the
// state itself.
//
// Layout: one record for every kind. `a`, `b`, `c` are the raw payload slots (the stable
// field order that the control socket's `events` stream prints); read them through the typed
// accessor of the kind's family (exception(), area(), merge(), regions(), cloneCommit(),
// stateChange(), job(), drops()) instead of by slot. An error code, for every kind that has one,
// is in one place: error(). (SnapshotInvalidated, MergeFailed and CloneSourceError also keep the
// code in their v1 slot, a resp. b, for consumers of the v1 layout.)
#pragma once

#include <cstdint>
#include <optional>

#include "core/util/device_state.h"
#include "core/util/result.h"

namespace loopsnap {

enum class JobState : uint8_t;     // core/backend/types.h (the state in job())

enum class EventKind : uint16_t {
    // Snapshots (seq = the exception's allocation sequence number) -> exception()
    ExceptionAllocated,    // a = origin chunk, b = COW chunk
    CopyStarted,           // a = origin chunk, b = COW chunk
    CopyFinished,          // a = origin chunk, b = COW chunk, c = 1 ok / 0 failed (error()); any order
    ExceptionCommitted,    // a = origin chunk, b = COW chunk; strictly in seq order (unless legacy)
    AreaWritten,           // -> area(): a = area index, b = records in the area, c = 1 if the next area was zeroed
    SnapshotInvalidated,   // error() (v1: a = ErrorCode)
    SnapshotOverflowed,    //
    // Merge (rollback) -> merge()
    MergeStarted,          // a = chunks to merge
    MergeBatch,            // seq = batch number, a = first origin chunk, b = chunks in batch, c = chunks left
                           // (rate: chunks over the events' timeNs, or SnapshotMerge::counters())
    MergeFinished,         // a = chunks merged in this run
    MergeFailed,           // error() (v1: a = ErrorCode)
    // Clones -> regions()
    RegionHydrationStarted,// a = first region, b = region count, c = 1 if user-triggered
    RegionHydrated,        // a = first region, b = region count, c = 1 if user-triggered
    RegionsDiscarded,      // a = first region, b = region count
    CloneCommit,           // -> cloneCommit(): a = regions newly hydrated in this commit, b = 1 if destination flushed first
    HydrationEnabled,      // a = 1 enabled / 0 disabled
    CloneSourceError,      // a = first region, error() (v1: b = ErrorCode)

    // ---- version 2: lifecycle and state changes ----
    SourceRegistered,      // a device began publishing under `source` (EventSink::registerSource)
    SourceUnregistered,    // its device closed: no event of `source` follows (ids are never reused)
    SnapshotAttached,      // a = chunk bytes, b = exceptions loaded (the snapshot is live on its origin)
    SnapshotDetached,      // the snapshot left its origin (detach, close, or a finished merge)
    StateChanged,          // -> stateChange(): a = previous DeviceState, b = new DeviceState
    MergePaused,           // -> merge(): a = chunks left; published when the merge holds between batches
    MergeResumed,          // a = chunks left
    MergeStopped,          // a = chunks left (stopped on request; a later merge resumes)
    CloneFailed,           // the clone entered Fail mode (a metadata write failed): error()
    HydrationFinished,     // -> regions(): a = 0, b = regions (every region is hydrated)
    HydrationStopped,      // background hydration stopped on an error: a = region, error()
    JobProgress,           // -> job(): seq = job id, a = done, b = total, c = JobState
    EventsDropped,         // -> drops(): the ring lost events of `source` (kAllSources: of unknown
                           // sources): a = lost since the previous marker, b = lost in total.
                           // Made by EventRing::drain, never published. The consumer resyncs
                           // that source's view from status.
};
inline constexpr int kEventKindCount = int(EventKind::EventsDropped) + 1;

const char* eventKindName(EventKind kind) noexcept;  // "exception-allocated", ...

inline constexpr uint32_t kAllSources = UINT32_MAX;  // EventsDropped of events whose source is untracked

// Typed views of the payload, one per family of kinds.
struct ExceptionPayload { uint64_t seq, originChunk, cowChunk; bool ok; };
struct AreaPayload { uint64_t area, records; bool zeroedNext; };
struct MergePayload { uint64_t batch, firstChunk, chunks, chunksLeft; };
struct RegionPayload { uint64_t first, count; bool userTriggered; };
struct CloneCommitPayload { uint64_t newlyHydrated; bool destinationFlushedFirst; };
struct StateChangePayload { DeviceState previous, next; };
struct JobPayload { uint64_t jobId, done, total; JobState state; };
struct DropPayload { uint64_t lost, lostTotal; };

struct Event {
    EventKind kind;
    uint32_t source = 0;   // id of the emitting store/device (EventSink::registerSource)
    uint64_t seq = 0;
    uint64_t a = 0, b = 0, c = 0;
    int64_t timeNs = 0;    // steady clock, filled by EventSink::publish
    uint16_t errorRaw = 0; // 0: none; else ErrorCode + 1 (use error() / withError())

    std::optional<ErrorCode> error() const noexcept {
        if (!errorRaw) return std::nullopt;
        return ErrorCode(errorRaw - 1);
    }
    Event& withError(ErrorCode code) noexcept {
        errorRaw = uint16_t(uint16_t(code) + 1);
        return *this;
    }

    ExceptionPayload exception() const noexcept { return {seq, a, b, kind != EventKind::CopyFinished || c != 0}; }
    AreaPayload area() const noexcept { return {a, b, c != 0}; }
    MergePayload merge() const noexcept {
        switch (kind) {
        case EventKind::MergeBatch: return {seq, a, b, c};
        case EventKind::MergeStarted: return {0, 0, 0, a};
        case EventKind::MergeFinished: return {0, 0, a, 0};
        default: return {0, 0, 0, a};  // paused, resumed, stopped: chunks left
        }
    }
    RegionPayload regions() const noexcept {
        if (kind == EventKind::CloneSourceError || kind == EventKind::HydrationStopped) return {a, 1, false};
        return {a, b, c != 0};
    }
    CloneCommitPayload cloneCommit() const noexcept { return {a, b != 0}; }
    StateChangePayload stateChange() const noexcept { return {DeviceState(a), DeviceState(b)}; }
    JobPayload job() const noexcept { return {seq, a, b, JobState(c)}; }
    DropPayload drops() const noexcept { return {a, b}; }

    // Makers for the v2 kinds (the v1 kinds keep their slot layout above).
    static Event stateChanged(uint32_t source, DeviceState previous, DeviceState next) noexcept {
        return Event{EventKind::StateChanged, source, 0, uint64_t(previous), uint64_t(next)};
    }
    static Event jobProgress(uint32_t source, uint64_t jobId, uint64_t done, uint64_t total, JobState state) noexcept {
        return Event{EventKind::JobProgress, source, jobId, done, total, uint64_t(state)};
    }
};
// One cache line per ring slot together with the slot's sequence number.
static_assert(sizeof(Event) <= 56, "Event grew: EventRing slots are sized for one cache line");

}  // namespace loopsnap
