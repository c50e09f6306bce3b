// Backend: the seam between the Engine (core/engine) and what actually presents the devices:
// the userspace engine over files, the same engine over memory devices (tests, the UI's tests),
// or the kernel's dm targets (core/linux, its own issue; possibly hosted by a privileged helper).
//
// Message-shaped: every call takes paths and plain values and returns values (types.h) or an I/O
// handle (BlockDevice), so the whole interface can be carried over a process boundary. A device
// is named by its path: an origin by the origin path, a snapshot by its COW path, a clone by its
// metadata path. The Engine maps its stable ids onto these paths; the backend knows no ids.
//
// A long operation (merge, hydration) is a BackendOperation: run() blocks the caller's thread
// (the Engine's job thread) until it finishes or is stopped; pause/resume/stop may be called from
// any thread and never wait for I/O; progress() reads lock-free counters.
//
// Threads and locks: every method may be called from any thread. An implementation serialises
// its own tables of open devices with a mutex that it never holds across device I/O, a job's
// run() or a listener call. Events are published by the devices themselves into the EventSink of
// BackendContext, on the thread that caused them.
//
// Crash consistency belongs to the layer below (snapshot_files.h, clone_files.h, Clone,
// SnapshotMerge): the backend never writes a store itself, it only picks which of those calls
// run.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/backend/types.h"
#include "core/engine/engine.h"
#include "core/events/listener.h"
#include "core/io/block_device.h"
#include "core/util/result.h"

namespace loopsnap {

class Executor;

// Lock-free progress of a long operation: the worker bumps, any thread samples.
struct OperationCounters {
    std::atomic<uint64_t> done{0}, total{0};
    std::atomic<uint64_t> bytesDone{0}, bytesTotal{0};
};

enum class OperationOutcome : uint8_t { Finished, Stopped };

class BackendOperation {
public:
    virtual ~BackendOperation() = default;
    // Blocks until the work is done (Finished), stop() was honoured between two steps (Stopped:
    // everything done so far is durable and a later begin* resumes it), or it failed (the error).
    virtual Result<OperationOutcome> run() = 0;
    virtual void pause() = 0;   // holds between two steps until resume() or stop()
    virtual void resume() = 0;
    virtual void stop() = 0;
    virtual OperationCounters& counters() = 0;
    virtual const char* unit() const = 0;  // "chunks", "regions"
};

// What every device of one backend shares.
struct BackendContext {
    std::shared_ptr<Executor> executor;  // copy workers
    std::shared_ptr<EventSink> events;
    bool legacyCompletionOrder = false;  // DEMONSTRATION: see SnapshotOptions
    bool legacyCloneCommit = false;      // DEMONSTRATION: see CloneOptions
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual BackendKind kind() const = 0;
    // The Engine that uses the backend hands it its executor and event sink before it opens
    // anything; devices opened before keep the context they were opened with.
    virtual void setContext(BackendContext context) = 0;

    // ---- files (the backend's namespace of paths) ----
    virtual bool exists(const std::string& path) = 0;
    virtual Result<uint64_t> deviceSize(const std::string& path) = 0;  // reads nothing else
    // Absolute, normalised form of a path (the registry's key). Memory: the path as given.
    virtual std::string canonicalPath(const std::string& path) = 0;

    // ---- snapshots ----
    // Creates (and formats) the store; nothing stays open.
    virtual Result<SnapshotInfo> createSnapshot(const CreateSnapshotRequest& request) = 0;
    // Live status when the snapshot is open here; otherwise read from the store without writing.
    // Fills every field but id, originId and mergeRunning.
    virtual Result<SnapshotInfo> snapshotStatus(const std::string& originPath, const std::string& cowPath) = 0;
    // Opens the origin with no snapshot (idempotent). forMerge: the origin may carry the mark of
    // an unfinished merge (only the merge job that resumes it opens it so); otherwise such an
    // origin is refused (Busy, detail "merge-unfinished"): it is partly rolled back.
    virtual Status openOrigin(const std::string& originPath, bool forMerge = false) = 0;
    // Loads the store and attaches it to the open origin while its I/O goes on (the origin is
    // quiesced for the switch). allowMerging: a store with an unfinished merge is accepted (only
    // beginMerge needs that). Idempotent for a snapshot already attached.
    virtual Status attachSnapshot(const std::string& originPath, const std::string& cowPath, bool allowMerging = false) = 0;
    virtual Status detachSnapshot(const std::string& originPath, const std::string& cowPath) = 0;
    virtual std::vector<std::string> attachedSnapshots(const std::string& originPath) = 0;
    // Final flush and commit of the origin and every snapshot attached to it.
    virtual Status closeOrigin(const std::string& originPath) = 0;
    virtual bool originOpen(const std::string& originPath) = 0;
    // The block device that presents the origin outside the process while it is up (kernel:
    // "/dev/mapper/loopsnap-..."); "" where there is none (the userspace engine's devices).
    virtual std::string originDevicePath(const std::string& originPath);
    virtual Result<std::shared_ptr<BlockDevice>> originDevice(const std::string& originPath) = 0;
    virtual Result<std::shared_ptr<BlockDevice>> snapshotDevice(const std::string& cowPath) = 0;
    // The origin must be open with the snapshot attached (attachSnapshot(..., true)). Marks the
    // merge durably before anything is merged; an unfinished merge resumes.
    virtual Result<std::unique_ptr<BackendOperation>> beginMerge(const std::string& originPath, const std::string& cowPath,
                                                                 bool legacySkipOriginFlush = false) = 0;

    // ---- clones ----
    virtual Result<CloneInfo> createClone(const CreateCloneRequest& request) = 0;  // nothing stays open
    virtual Result<CloneInfo> cloneStatus(const std::string& metaPath) = 0;       // live or read-only
    virtual Status openClone(const std::string& metaPath) = 0;                    // hydration off
    virtual Status closeClone(const std::string& metaPath) = 0;                   // final commit
    virtual bool cloneOpen(const std::string& metaPath) = 0;
    virtual Result<std::shared_ptr<BlockDevice>> cloneDevice(const std::string& metaPath) = 0;
    virtual Status tuneHydration(const std::string& metaPath, HydrationTuning tuning) = 0;
    // Background hydration until every region is hydrated; stop() disables it (what is hydrated
    // and committed stays, a later beginHydration goes on).
    virtual Result<std::unique_ptr<BackendOperation>> beginHydration(const std::string& metaPath, HydrationTuning tuning) = 0;

    // Removes the files of a closed device: a snapshot's store and sidecar, a clone's metadata
    // (and its destination when `withDest`).
    virtual Status deleteSnapshotFiles(const std::string& cowPath) = 0;
    virtual Status deleteCloneFiles(const std::string& metaPath, bool withDest) = 0;

    // ---- optional capabilities (Unsupported where the backend cannot see inside) ----
    virtual Result<SnapshotTrace> snapshotTrace(const std::string& cowPath);
    virtual Result<StoreLayout> storeLayout(const std::string& cowPath);
    virtual Result<CloneRegionMap> cloneRegionMap(const std::string& metaPath);
    // DEMONSTRATION: the pre-fix completion-order commit for one open snapshot, switched while
    // its I/O goes on (Snapshot::setLegacyCompletionOrder).
    virtual Status setLegacyCompletionOrder(const std::string& cowPath, bool legacy);
};

// The userspace engine over files (snapshot_files.h, clone_files.h).
std::unique_ptr<Backend> makeFileBackend(BackendContext context);

// The same userspace engine over MemoryDevices keyed by path (no files). Its devices outlive the
// Engine that uses it, so a test can stop a job in one Engine and resume it in the next over the
// same MemoryBackend.
class MemoryBackend;
std::shared_ptr<MemoryBackend> makeMemoryBackend(BackendContext context);
// Creates (or replaces) a zero-filled memory device at `path` (an origin, a clone source).
Status createMemoryDevice(MemoryBackend& backend, const std::string& path, uint64_t sizeBytes);
// Removes a memory device (a test's "deleted store").
void removeMemoryDevice(MemoryBackend& backend, const std::string& path);
// The device at `path` as a BlockDevice (open or not), for tests that check contents directly.
Result<std::shared_ptr<BlockDevice>> rawMemoryDevice(MemoryBackend& backend, const std::string& path);
std::shared_ptr<Backend> asBackend(std::shared_ptr<MemoryBackend> backend);

}  // namespace loopsnap
