// MergePlan: what a rollback (merge of a snapshot into its origin) will do, and whether it may run
// now. The desktop app's rollback dialog shows it; Engine::startMerge and `loopsnapctl merge`
// refuse with the same checks (mergeRefusals), so every front end says no for the same reasons.
//
// What the plan says: the origin (path, size) that will be overwritten, the chunks that differ
// from the origin (the snapshot's committed exceptions: each one is a chunk the merge copies back),
// the bytes to copy, the other snapshots of that origin (they keep their contents: the merge
// copies the origin's chunks into them first, as the kernel's snapshot-merge does), and whether
// an interrupted merge resumes or a merge of this engine is already running.
//
// When a merge is refused (a MergeRefusal each, in this order of checks):
//   - attached: the origin file is the backing file of a loop device
//     (/sys/block/loop*/loop/backing_file). Someone else may write the file through it.
//     Not checked for the kernel backend, whose own loop devices present the origin.
//   - mounted: the origin (a block device or one of its partitions), or a loop device over the
//     origin file (or one of its partitions), is mounted read-write (/proc/self/mountinfo).
//     A read-only mount is not refused (nothing writes under the merge), as in the kernel.
//   - held: the origin's or the store's write lock (FileDevice's POSIX record lock) is held by
//     another process; the refusal names it (pid and program, /proc/PID/comm).
// The memory backend has none of these (no files): its plans are always allowed.
//
// Nothing is written by planning or by a refusal: the checks read /proc, /sys and F_GETLK only.
//
// Threads: planMerge() calls Engine info functions that may read files (call it from a worker
// thread in a GUI); mergeRefusals() reads /proc and /sys. Both are safe from any thread and
// take no lock of their own. The result is a snapshot of a moment: the checks run again when the
// merge starts (Engine::startMerge), so a holder that appears in between is still refused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/backend/types.h"
#include "core/util/result.h"

namespace loopsnap {

class Engine;

enum class MergeRefusalKind : uint8_t { Attached, Mounted, Held };
const char* mergeRefusalKindName(MergeRefusalKind kind) noexcept;  // "attached", "mounted", "held"

struct MergeRefusal {
    MergeRefusalKind kind = MergeRefusalKind::Held;
    std::string path;        // the file or device concerned (the origin, or the store for `held`)
    std::string device;      // attached/mounted: "/dev/loop3", "/dev/sdb1"
    std::string mountPoint;  // mounted: where
    int64_t pid = 0;         // held: the lock holder
    std::string program;     // held: its name ("loopsnapctl"), "unknown" if /proc does not say
    std::string message() const;  // one English sentence naming what is in the way
};

struct MergePlanSnapshot {
    std::string id, cowPath;
    uint64_t exceptions = 0;  // the chunks it holds (they stay)
    DeviceState state = DeviceState::Valid;
};

struct MergePlan {
    std::string snapshotId, cowPath;
    std::string originId, originPath;
    uint64_t originBytes = 0;
    uint32_t chunkBytes = 0;
    uint64_t chunksToMerge = 0;   // chunks that differ: the snapshot's committed exceptions
    uint64_t bytesToCopy = 0;     // chunksToMerge whole chunks, the origin's last partial chunk clipped
    BackendKind backend = BackendKind::Userspace;
    bool resumes = false;         // an interrupted merge (state merging, no job of this engine runs it)
    bool running = false;         // a merge job of this engine runs it now
    std::vector<MergePlanSnapshot> others;  // the other snapshots of the origin: they keep their contents
    std::vector<MergeRefusal> refusals;     // empty: the merge may start
    bool allowed() const { return refusals.empty(); }
};

// Where the checks look; tests point them at a fake tree.
struct MergeEnvironment {
    std::string procRoot = "/proc";   // reads <procRoot>/self/mountinfo, <procRoot>/PID/comm
    std::string sysRoot = "/sys";     // reads <sysRoot>/block/loop*/..., <sysRoot>/dev/block/M:m/...
};

// The refusals for merging `cowPath` into `originPath` of the given backend now (empty: allowed).
std::vector<MergeRefusal> mergeRefusals(const std::string& originPath, const std::string& cowPath, BackendKind backend,
                                        const MergeEnvironment& env = {});
// Busy (detail "origin-attached", "origin-mounted" or "origin-in-use", subject the path) for the
// first refusal; ok when there is none.
Status checkMergeAllowed(const std::string& originPath, const std::string& cowPath, BackendKind backend,
                         const MergeEnvironment& env = {});
Error mergeRefusalError(const MergeRefusal& refusal);

// The plan of merging snapshot `snapshotId` (reads its status and the origin's; writes nothing).
Result<MergePlan> planMerge(Engine& engine, const std::string& snapshotId, const MergeEnvironment& env = {});

}  // namespace loopsnap
