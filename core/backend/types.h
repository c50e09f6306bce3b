// Value types of the engine facade: what a front end (CLI, desktop app, privileged helper) is
// told about origins, snapshots, clones and jobs. Descriptions, not objects to operate on: they
// are plain copyable values, safe to keep after the device closed and to send over a process
// boundary (every field is a number, a string or an enum with a stable name).
//
// Portable state (what both backends know: status lines, states, sizes, progress) lives here.
// What only the userspace engine has (pending exceptions, copy and commit trace, live counters)
// is offered by Engine::engineTrace() as an optional capability, never in these types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/util/device_state.h"
#include "core/util/result.h"

namespace loopsnap {

enum class BackendKind : uint8_t { Userspace, Kernel, Memory };
const char* backendKindName(BackendKind kind) noexcept;  // "userspace", "kernel", "memory"
Result<BackendKind> parseBackendKind(const std::string& text);

// One state enum for every device a workspace lists. Snapshot states (cli-contract.md: valid,
// invalid, overflow, merging, missing; plus merge-failed) and clone states (hydrating, hydrated,
// failed, missing). An origin is valid, merging (one of its snapshots merges into it) or missing.
const char* deviceStateName(DeviceState state) noexcept;  // the contract's words: "valid", ..., "merge-failed"

struct SnapshotInfo {
    std::string id;          // workspace id, stable across restarts
    std::string originId;
    std::string cowPath;     // absolute
    std::string store;       // "P", "PO" or "N"
    uint32_t chunkBytes = 0;
    uint64_t sizeBytes = 0;  // the snapshot's length (the kernel's table length)
    BackendKind backend = BackendKind::Userspace;
    DeviceState state = DeviceState::Valid;
    std::string status;      // the kernel's status line, exactly as `snapshot status` prints it
    uint64_t allocatedSectors = 0, totalSectors = 0, metadataSectors = 0;
    uint64_t exceptions = 0; // committed exceptions
    // state == Merging: true while a merge job of this engine runs, false for a merge that was
    // interrupted (another process, a crash) and waits to be resumed.
    bool mergeRunning = false;
    bool open = false;       // opened by this engine (status is then live, else read from disk)
    std::string device;      // kernel backend: the dm device while it is up ("/dev/mapper/..."), else ""
    std::optional<Error> problem;  // why it is Missing/Invalid, when known
};

struct OriginInfo {
    std::string id;
    std::string path;        // absolute
    uint64_t sizeBytes = 0;
    BackendKind backend = BackendKind::Userspace;
    DeviceState state = DeviceState::Valid;  // Valid, Merging or Missing
    std::vector<std::string> snapshotIds;    // in the order they were added
    bool open = false;
    std::string device;      // kernel backend: the dm device while it is up ("/dev/mapper/..."), else ""
    std::optional<Error> problem;
};

struct CloneInfo {
    std::string id;
    std::string metaPath;    // absolute
    std::string source;      // path or nbd:// / nbd+unix:// URI, as recorded in the metadata
    std::string dest;
    BackendKind backend = BackendKind::Userspace;
    DeviceState state = DeviceState::Hydrating;  // Hydrating, Hydrated, Failed or Missing
    std::string status;      // the kernel's clone status line
    uint64_t sizeBytes = 0;
    uint64_t regionBytes = 0;
    uint64_t hydratedRegions = 0, totalRegions = 0, hydratingRegions = 0;
    bool hydrationEnabled = false;
    uint32_t hydrationThreshold = 1, hydrationBatchSize = 1;
    // Foreground (user) I/O through the open clone since it opened here, every request counted
    // whether or not it hydrated a region (0 when not open, or when the backend cannot count).
    uint64_t foregroundBytesRead = 0, foregroundBytesWritten = 0;
    bool open = false;
    std::string device;      // kernel backend: the dm device while it is up ("/dev/mapper/..."), else ""
    std::optional<Error> problem;   // a source error names its region here
};

enum class JobKind : uint8_t { Merge, Hydration, CrashTest, Workload };
const char* jobKindName(JobKind kind) noexcept;  // "merge", "hydration", "crashtest", "workload"

// pending -> running <-> paused; running/paused -> stopping -> finished (cancelled) ;
// running -> finished | failed. finished, failed and cancelled are final.
enum class JobState : uint8_t { Pending, Running, Paused, Stopping, Finished, Failed, Cancelled };
const char* jobStateName(JobState state) noexcept;
inline bool jobStateFinal(JobState s) noexcept {
    return s == JobState::Finished || s == JobState::Failed || s == JobState::Cancelled;
}

struct JobProgress {
    uint64_t done = 0, total = 0;   // in `unit`s
    std::string unit;               // "chunks", "regions", "states", "operations"
    uint64_t bytesDone = 0, bytesTotal = 0;
    double rateBytesPerSecond = 0;  // smoothed over the last samples
    double etaSeconds = -1;         // < 0: unknown
    // Crash tests: done counts crash states checked; the sweep's crash points are counted here.
    uint64_t crashPointsDone = 0, crashPointsTotal = 0;
};

struct JobInfo {
    uint64_t id = 0;                // unique within one Engine
    JobKind kind = JobKind::Merge;
    std::string subjectId;          // the snapshot or clone it works on ("" for a crash test)
    JobState state = JobState::Pending;
    JobProgress progress;
    std::optional<Error> error;     // state == Failed: why
    std::string summary;            // final one-line result in English, for logs and the CLI
};

// ---- requests and optional-capability values, shared by the Engine and the backends ----

struct CreateSnapshotRequest {
    std::string originPath;             // added to the workspace when new
    std::string cowPath;                // created at cowSize if missing, then formatted
    uint64_t cowSize = 0;
    uint32_t chunkBytes = 16 * 1024;
    std::string store = "P";            // "P", "PO" or "N"
};

struct CreateCloneRequest {
    std::string source;                 // path or nbd:// / nbd+unix:// URI
    std::string dest;                   // created at the source's size when missing
    std::string meta;                   // must not exist
    uint64_t regionBytes = 64 * 1024;
};

struct HydrationTuning {
    uint32_t threshold = 1;             // dm-clone hydration_threshold (regions in flight)
    uint32_t batchSize = 1;             // dm-clone hydration_batch_size (regions per copy)
};

// Userspace-only trace of a snapshot (optional capability: Engine::snapshotTrace returns
// Unsupported for the kernel backend). Counters are a sample, read without locks.
struct SnapshotTrace {
    uint64_t allocated = 0, copiesInFlight = 0, copiesFinished = 0, committed = 0;
    uint64_t waitingOutOfOrder = 0, finishedOutOfOrder = 0, areaWrites = 0;
    uint64_t copyRuns = 0, coalescedChunks = 0;  // coalesced copies (SnapshotCounters)
    uint32_t eventSource = 0;           // the source id its events carry
    bool legacyCompletionOrder = false;
};

// The COW store's layout for the area map (portable: read from the store).
struct StoreLayout {
    uint64_t chunkBytes = 0, totalChunks = 0, nextFreeChunk = 0;
    uint64_t exceptionsPerArea = 0;
    std::vector<uint64_t> metadataChunks;  // chunk 0 is the header; then one per area
};

// Userspace-only: the clone's regions, one byte per region (0 unhydrated, 1 hydrating,
// 2 hydrated, 3 written by the user, 4 discarded), for the region map.
struct CloneRegionMap {
    uint64_t regionBytes = 0;
    std::vector<uint8_t> regions;
    uint32_t eventSource = 0;
};

}  // namespace loopsnap
