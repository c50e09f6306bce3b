// File-level snapshot operations for the CLI and the serve command: create a COW file, open an
// origin with its snapshots from paths, with locking and a small sidecar.
//
// Sidecar "<cow>.loopsnap" (key=value text): the store type (P/PO/N: the kernel keeps it in the
// table, not on disk), the snapshot's size in bytes (the table length) and, while a merge is
// unfinished, "merging=yes" (LVM keeps that in its metadata). A store without a sidecar - e.g.
// one the kernel wrote - opens as P with the origin's size.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/snapshot/snapshot.h"
#include "core/snapshot/snapshot_merge.h"

namespace loopsnap {

struct SnapshotCreateRequest {
    std::string originPath;
    std::string cowPath;
    uint64_t cowSize = 0;  // create the COW file at this size if it is missing (0: must exist)
    uint32_t chunkBytes = kDefaultChunkBytes;
    StoreType type = StoreType::Persistent;
};
Result<SnapshotStatus> createSnapshotFiles(const SnapshotCreateRequest& request);

struct SnapshotOpenOptions {
    bool legacyCompletionOrder = false;
    std::shared_ptr<Executor> executor;
    std::shared_ptr<EventSink> events;
    // A snapshot with an unfinished merge is refused (its origin is partly rolled back) unless
    // this is set; only openMergeFiles sets it.
    bool allowMerging = false;
};
struct OpenedSnapshots {
    std::shared_ptr<Origin> origin;
    std::vector<std::shared_ptr<Snapshot>> snapshots;  // in the order of cowPaths
};
Result<OpenedSnapshots> openSnapshotFiles(const std::string& originPath, const std::vector<std::string>& cowPaths,
                                          const SnapshotOpenOptions& options = {});

// Reads a store without writing anything (status, inspect). A new (magic 0) store is an error.
struct StoreInspection {
    uint32_t magic = 0, valid = 0, version = 0, chunkSectors = 0;
    StoreType type = StoreType::Persistent;
    std::vector<std::pair<uint64_t, uint64_t>> exceptions;  // on-disk order
    SnapshotStatus status;
    bool merging = false;  // a merge has started and not finished
};
Result<StoreInspection> inspectSnapshotStore(const std::string& cowPath);

// Opens the origin with the snapshot to merge (and other snapshots of it, which stay correct),
// begins the merge and marks it in the sidecar (durably) before anything is merged. An
// unfinished merge is resumed. Refusals (SnapshotMerge::begin) happen before any write.
struct MergeFiles {
    OpenedSnapshots opened;  // snapshots[0] merges; the rest are the other snapshots
    std::shared_ptr<SnapshotMerge> merge;
    std::string cowPath;
    bool resumed = false;  // the sidecar said a merge had already started
    // Runs the merge; when it finishes, clears the sidecar's mark.
    Result<MergeOutcome> run();
};
Result<MergeFiles> openMergeFiles(const std::string& originPath, const std::string& cowPath, const std::vector<std::string>& otherCows,
                                  const SnapshotOpenOptions& options = {}, MergeOptions mergeOptions = {});

// ---- on an origin the caller holds open (the engine facade, core/engine) ----
// The same steps as above, but the snapshot is created on, attached to, or merged into the
// given live origin (its I/O goes on; Origin::attachSnapshot quiesces it for the switch).
Result<std::shared_ptr<Snapshot>> createSnapshotOnOrigin(const std::shared_ptr<Origin>& origin, const SnapshotCreateRequest& request,
                                                         const SnapshotOpenOptions& options = {});
Result<std::shared_ptr<Snapshot>> attachSnapshotFile(const std::shared_ptr<Origin>& origin, const std::string& cowPath,
                                                     const SnapshotOpenOptions& options = {});
// `snapshot` must be attached to `origin` (attachSnapshotFile with allowMerging). Marks the merge
// in the sidecar before anything is merged, as openMergeFiles does.
Result<MergeFiles> beginMergeOnOrigin(const std::shared_ptr<Origin>& origin, const std::shared_ptr<Snapshot>& snapshot,
                                      const std::string& cowPath, MergeOptions mergeOptions = {});

}  // namespace loopsnap
