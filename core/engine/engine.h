// Engine: the facade every front end uses (loopsnapctl, the desktop app, the privileged helper).
//
// It owns the event sink and ring, the worker pool, the registry of origins, snapshots and
// clones keyed by stable ids (the workspace on disk, shared by every process of the same user),
// and the jobs (merge, hydration, crash test, workload). It hands out descriptions as values
// (core/backend/types.h), never internal pointers; the only handles it gives are I/O handles
// (BlockDevice) for reading and writing a device. Every call returns Result/Status.
//
// Files: engine.cpp (registry, devices, jobs), attach.cpp (attach/detach, runtime records),
// serve_specs.cpp (serveSpecs), engine_paths.cpp (one-shot commands by path), device_resolver.*
// (device specs and ids -> open devices), workspace.* (the list on disk).
//
// Threads and locks
// - Every public method may be called from any thread. Calls that touch files (create, open,
//   add, refresh, info of a device that is not open, job starts) may block on I/O: a GUI calls
//   them from a worker thread (ui/bridge), never from its GUI thread. Pure queries of open
//   devices and jobs (job(), jobs(), events(), counters) never wait for I/O and take only the
//   registry mutex for the time of a copy.
// - The registry mutex is never held while the engine does I/O on a device or calls a listener;
//   it serialises registry changes and workspace saves. Jobs run on threads of their own (never
//   on the copy worker pool, whose threads the copies they wait for need).
// - Order: a create/add is saved to the workspace (atomically, see workspace.h) before the call
//   returns; forget() removes the entry and touches no store file.
// - Events (core/events): published by the engine's objects on the thread that caused them, into
//   one ring that a UI drains per frame (events v2, core/events/event.h). Events are hints: the
//   ring marks a drop per source (EventsDropped) and the consumer resyncs that device's view
//   from the info calls. Every device has a source while it is open; every job has one
//   ("job:<id>") with JobProgress on each state change and at most 10 per second while its
//   counters move (a thread per job publishes them); exact progress is read from job().
// - Destruction: stops every job between its steps (a merge or hydration stopped this way
//   resumes in a later Engine), closes every device (final flush and commit) and joins threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/backend/types.h"
#include "core/events/event_ring.h"
#include "core/io/block_device.h"
#include "core/util/result.h"

namespace loopsnap {

class Backend;
class Executor;
class AttachRegistry;  // attach.h
class SpecServers;     // serve_specs.cpp

struct EngineOptions {
    // Folder of the workspace; "" = $LOOPSNAP_WORKSPACE, else $XDG_DATA_HOME/loopsnap, else
    // ~/.local/share/loopsnap (cli-contract.md, Workspace).
    std::string workspaceDir;
    bool persistWorkspace = true;       // false: registry in memory only (tests, crash lab)
    BackendKind backend = BackendKind::Userspace;
    unsigned copyThreads = 4;           // the shared copy worker pool
    size_t eventRingCapacity = 1 << 16; // power of two
    bool legacyCompletionOrder = false; // DEMONSTRATION: pre-230c83afdd9c commit order, all snapshots
    bool legacyCloneCommit = false;     // DEMONSTRATION: pre-8b3fd1f5 clone commit order
    // A backend instance to use instead of creating one for `backend` (e.g. a MemoryBackend
    // shared by several Engines in a test; see backend.h). Its context is the caller's.
    std::shared_ptr<Backend> backendInstance;
};

struct WorkloadRequest {
    std::string originId;               // writes copy-on-write into every snapshot of it
    std::string snapshotId;             // "" = origin writes only; else a mix of both
    uint64_t seed = 1;
    uint64_t ops = 100;
    unsigned threads = 2;
    std::chrono::microseconds pause{0}; // between operations (the demo's steady workload)
};

struct CrashTestRequest {
    std::string scenario = "snapshot";  // "snapshot", "clone", "merge"
    uint64_t seed = 1;
    uint64_t ops = 0;                   // 0: the scenario's default
    bool legacy = false;
    unsigned samples = 24;              // random subsets per crash point with many unflushed writes
    unsigned exhaustiveUpTo = 6;        // every subset up to this many unflushed writes
};

// Live counters of a running crash test (the runner reports them as the sweep goes on).
struct CrashTestProgress {
    uint64_t statesChecked = 0, crashPointsDone = 0, crashPointsTotal = 0;
};

// How a crash test runs: the CLI and tests register one that calls core/crashlab in-process
// (loopsnap_crashlab), the GUI one that runs `loopsnapctl --json crashtest` in a child process
// (the GUI does not link the crash lab). `progress` gets the live counters (from the runner's
// thread, at most every ~100 ms and once at the end); `cancelled` becomes true when the job is
// cancelled, and the runner then returns the outcome so far with `cancelled` set.
struct CrashTestOutcome {
    bool violation = false;
    bool cancelled = false;                // stopped by cancelled (no violation up to then)
    uint64_t statesChecked = 0, crashPoints = 0, logEntries = 0;
    uint64_t crashPoint = 0;               // violation: the crash point it was found at
    double seconds = 0;
    std::string workload;                  // what the workload did
    std::string invariant, detail, trace;  // as `crashtest` prints them
    std::vector<uint64_t> leakedChunks;    // snapshot: COW chunks leaked
    std::optional<uint64_t> garbageRegion; // clone: the region that read garbage
    // Snapshot leak: the store's geometry as it loaded in the crash state (chunkBytes, totalChunks,
    // nextFreeChunk, metadataChunks), for an area map with the leaked chunks marked.
    std::optional<StoreLayout> leakStore;
};
using CrashTestRunner = std::function<Result<CrashTestOutcome>(const CrashTestRequest&,
                                                               const std::function<void(const CrashTestProgress&)>& progress,
                                                               const std::atomic<bool>& cancelled)>;

struct ServeRequest {
    std::string socketPath;             // unix socket ("" = none)
    std::string tcp;                    // "HOST:PORT" ("" = none)
    struct Export { std::string name; std::string deviceId; };  // an origin, snapshot or clone id
    std::vector<Export> exports;
    bool readOnly = false;
};
struct ServeInfo {
    uint64_t id = 0;
    std::vector<std::string> uris;      // e.g. "nbd+unix:///snap?socket=/run/ls.sock"
};

// Attach (core/engine/attach.h): a device as /dev/loopN through a FUSE file.
struct AttachRequest {
    std::string deviceId;               // an origin, snapshot or clone id; or
    std::string spec;                   // a device spec (device_resolver.h), e.g. "file:/img"
    bool readOnly = false;
    std::string mountpoint;             // empty folder for the FUSE file ("" = one in the runtime folder)
};
struct AttachInfo {
    std::string deviceId;               // "" for a spec that is not in the workspace
    std::string loopDevice;             // "/dev/loop7"
    bool readOnly = false;
    std::string spec;                   // as given ("id:<id>" for an id)
    std::string file;                   // the FUSE file the loop device is bound to
    std::string mountpoint;
    uint64_t sizeBytes = 0;
    int64_t pid = 0;                    // the process that serves it
    bool ownedHere = false;             // attached by this Engine
};

// What `inspect` and `snapshot status` show of a store, read without writing (both backends
// keep stores in the kernel's persistent format on files).
struct StoreReport {
    uint32_t magic = 0, valid = 0, version = 0, chunkSectors = 0;
    std::string store;                  // "P", "PO" or "N"
    std::vector<std::pair<uint64_t, uint64_t>> exceptions;  // old -> new chunk, on-disk order
    SnapshotInfo status;                // status line, state and counters (id and origin empty)
};

// `workload` on paths (origin:ORIGIN:COW... opened for the run, as `origin write` does).
struct PathWorkloadRequest {
    std::string originPath;
    std::vector<std::string> cowPaths;  // at least one
    uint64_t seed = 1, ops = 0;
    unsigned threads = 4;
    bool legacyCompletionOrder = false;
};
struct PathWorkloadReport {
    uint64_t originWrites = 0, snapshotWrites = 0, failedWrites = 0;
    std::vector<SnapshotInfo> snapshots;  // in the order of cowPaths
    std::vector<SnapshotTrace> traces;    // same order (userspace; zero elsewhere)
};

// `serve` of device specs with the control socket (docs/serve-control-protocol.md).
struct SpecServeRequest {
    std::string socketPath;             // required
    std::string tcpHost;                // "" = no TCP
    uint16_t tcpPort = 0;               // 0 = any free port
    std::string controlPath;            // "" = <socketPath>.ctl
    struct Export { std::string name, spec; };
    std::vector<Export> exports;
    bool readOnly = false;
};
struct SpecServeInfo {
    uint64_t id = 0;                    // for stopServing
    struct Export { std::string name, spec, kind, uri, tcpUri; uint64_t sizeBytes = 0; bool readOnly = false; };
    std::vector<Export> exports;
    std::string socketPath, controlPath;
    uint16_t tcpPort = 0;               // the bound port (0: no TCP)
};

class Engine {
public:
    static Result<std::unique_ptr<Engine>> open(EngineOptions options = {});
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // ---- registry (workspace) ----
    std::vector<OriginInfo> origins();
    std::vector<SnapshotInfo> snapshots();
    std::vector<CloneInfo> clones();
    Result<OriginInfo> origin(const std::string& id);
    Result<SnapshotInfo> snapshot(const std::string& id);
    Result<CloneInfo> clone(const std::string& id);
    // Finds the entry of a path (origin, COW store or clone metadata), e.g. for CLI arguments.
    std::optional<std::string> idForPath(const std::string& path);
    // Re-reads the workspace (another process may have added or forgotten entries) and the
    // status of every device that is not open here.
    Status refresh();
    const std::string& workspaceDir() const;

    Result<SnapshotInfo> createSnapshot(const CreateSnapshotRequest& request);
    Result<SnapshotInfo> addSnapshot(const std::string& originPath, const std::string& cowPath);
    Result<CloneInfo> createClone(const CreateCloneRequest& request);
    Result<CloneInfo> addClone(const std::string& metaPath);
    Status forget(const std::string& id);         // no file is touched
    Status deleteFiles(const std::string& id);    // a snapshot's store + sidecar, a clone's meta (+dest); closed first

    // ---- devices ----
    // Opens the device (an origin opens with every snapshot of it; a snapshot opens its origin).
    Status openDevice(const std::string& id);
    Status closeDevice(const std::string& id);    // final flush/commit; refused while a job uses it
    // Kernel backend: brings the device up (an origin with every snapshot of it, a clone) and
    // leaves it up after this Engine ends (the kernel keeps it); deactivate takes it down (as
    // closeDevice). Unsupported (detail "needs-kernel-backend") for the userspace engine.
    Status activate(const std::string& id);
    Status deactivate(const std::string& id);
    // An I/O handle (opens on demand): origin writes copy-on-write into every snapshot of it.
    Result<std::shared_ptr<BlockDevice>> device(const std::string& id);

    // ---- jobs ----
    Result<uint64_t> startMerge(const std::string& snapshotId);     // resumes an interrupted merge
    Result<uint64_t> startHydration(const std::string& cloneId, HydrationTuning tuning);
    Status tuneHydration(const std::string& cloneId, HydrationTuning tuning);  // applies at once
    Result<uint64_t> startWorkload(const WorkloadRequest& request);
    void setCrashTestRunner(CrashTestRunner runner);
    Result<uint64_t> startCrashTest(const CrashTestRequest& request);  // Unsupported without runner
    Result<CrashTestOutcome> crashTestOutcome(uint64_t jobId);         // once finished
    Status pauseJob(uint64_t jobId);
    Status resumeJob(uint64_t jobId);
    Status cancelJob(uint64_t jobId);             // -> stopping -> cancelled (resumable work stays resumable)
    Result<JobInfo> job(uint64_t jobId);          // samples the counters: rate and ETA are smoothed per call
    std::vector<JobInfo> jobs();
    // Blocks until the job is final or `timeout` passed; returns its info either way.
    Result<JobInfo> waitJob(uint64_t jobId, std::chrono::milliseconds timeout);

    // ---- serving and attaching ----
    Result<ServeInfo> serve(const ServeRequest& request);
    Status stopServing(uint64_t serveId);
    // Linux, root: FUSE file + loop device (attach.h). The attachment lives until detach or
    // until this Engine is destroyed; closeDevice refuses an attached device (detail "attached").
    Result<AttachInfo> attach(const std::string& id, bool readOnly);
    Result<AttachInfo> attach(const AttachRequest& request);
    // Any process's attachment: one of this Engine is undone here; another's is asked to end
    // (it must not be mounted: Busy, detail "mounted") and waited for.
    Status detach(const std::string& loopDevice);
    Status detach(const std::string& loopDevice, std::chrono::milliseconds timeout);
    std::vector<AttachInfo> attachments();      // this process's and every live one's (runtime records)
    // Serves device specs with a control socket; stopServing(id) stops it and flushes its devices.
    // The stores and clones the specs open are recorded in the workspace (as add() records them)
    // once they are open, before the call returns; file: specs are not. attach() of a spec does
    // the same.
    Result<SpecServeInfo> serveSpecs(const SpecServeRequest& request);

    // ---- one-shot commands by path (engine_paths.cpp; nothing is recorded in the workspace) ----
    BackendKind backendKind() const;
    Result<StoreReport> inspectStore(const std::string& cowPath);        // reads only
    Result<CloneInfo> inspectClone(const std::string& metaPath);         // committed state; reads only, no source
    // A plain image or block device around the engine: refuses a half-merged origin and, for
    // writing, an origin with recorded snapshots (checkPlainFileOpen).
    Result<std::shared_ptr<BlockDevice>> plainFileDevice(const std::string& path, bool readOnly);
    // Removes a store from its origin's record; touches no store and no workspace entry.
    Status forgetSnapshotOfOrigin(const std::string& originPath, const std::string& cowPath);
    Result<PathWorkloadReport> runPathWorkload(const PathWorkloadRequest& request);

    // ---- events and optional capabilities ----
    EventRing& eventRing();
    std::shared_ptr<EventSink> eventSink();
    Result<SnapshotTrace> snapshotTrace(const std::string& snapshotId);   // userspace only
    Result<StoreLayout> storeLayout(const std::string& snapshotId);
    Result<CloneRegionMap> cloneRegionMap(const std::string& cloneId);    // userspace only
    // DEMONSTRATION (the exception monitor's switch): the pre-fix kernel's completion-order
    // commit for one snapshot, switched at run time while its I/O goes on (opens it when
    // needed). Userspace only; EngineOptions::legacyCompletionOrder sets it for every snapshot.
    Status setLegacyCompletionOrder(const std::string& snapshotId, bool legacy);

private:
    struct Impl;
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    // Destroyed first (~Engine resets them before it closes devices): they hold devices open.
    std::unique_ptr<AttachRegistry> attachRegistry_;
    std::unique_ptr<SpecServers> specServers_;
};

}  // namespace loopsnap
