// File-level snapshot operations for the CLI, the serve command and the engine facade: create a
// COW file, open an origin with its snapshots from paths, with locking and two small records
// (formats in snapshot_records.h):
//
// - the sidecar "<cow>.loopsnap": the store type, the snapshot's size and chunk size (the kernel
//   keeps them in its table, not on disk), the origin it belongs to and, while a merge is
//   unfinished, "merging=yes". A store without a sidecar - e.g. one the kernel wrote - opens as P
//   with the origin's size.
// - the origin record "<origin>.loopsnap-origin": every snapshot of the origin, and the store
//   whose merge into it is unfinished. Every read-write open of an origin attaches ALL recorded
//   snapshots (an origin write copies into each, as the kernel's __origin_write walks them all),
//   a recorded store that is gone is an error (NotFound, subject the origin, detail
//   "snapshot-missing", the message names the store), and a half-merged
//   origin is refused to everything but its merge (Busy, subject the origin, detail
//   "merge-unfinished").
//
// createSnapshotFiles validates everything before its first write, and a create refused or failed
// after that removes what it wrote. Opens make every check that needs no store opened (merge
// marks, gone or foreign stores) before opening one; attaching then formats a listed new store
// (magic 0), as the kernel does, and a read-write open records the listed stores. Read-only opens
// never write anything (no format, no record).
//
// Threading: the functions may be called from any thread; calls that change an origin record hold
// the origin open read-write (its file lock) while they do, so processes do not interleave them.
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
// Validates everything (chunk size, store size for the type, an existing file's header, the
// origin's record), then creates the file, writes the sidecar, records the store in the origin
// record and formats it. Refusals: InvalidArgument/Corruption/Busy with subject and detail
// ("store-too-small", "store-exists", "bad-magic", "cow-size-needed", "same-file",
// "other-origin", "merge-unfinished").
Result<SnapshotStatus> createSnapshotFiles(const SnapshotCreateRequest& request);

struct SnapshotOpenOptions {
    bool legacyCompletionOrder = false;
    std::shared_ptr<Executor> executor;
    std::shared_ptr<EventSink> events;
    // A snapshot with an unfinished merge is refused (its origin is partly rolled back) unless
    // this is set; only openMergeFiles sets it.
    bool allowMerging = false;
    // Opens the origin and the listed stores read-only: nothing is formatted or written (a new
    // store reads as the origin), origin and snapshot writes are refused, recorded snapshots that
    // are not listed are not opened (nothing can change them).
    bool readOnly = false;
};
struct OpenedSnapshots {
    std::shared_ptr<Origin> origin;
    std::vector<std::shared_ptr<Snapshot>> snapshots;  // in the order of cowPaths
    // The recorded snapshots of the origin that were not listed, attached too (read-write opens).
    std::vector<std::shared_ptr<Snapshot>> recorded;
};
// Opens the origin with the union of the listed and the recorded snapshots; a read-write open
// records the listed stores that were not recorded yet (before it returns, so before any write).
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
// The same on a device already open (memory devices, the facade): `type` and `merging` are the
// settings the caller keeps beside the store. Reads only.
Result<StoreInspection> inspectStoreOn(const std::shared_ptr<BlockDevice>& cow, StoreType type, bool merging);

// Opens the origin with the snapshot to merge and every other snapshot of it (the listed
// otherCows and the recorded ones, which all stay correct), begins the merge and marks it,
// durably and before anything is merged, in the origin record and then in the sidecar. An
// unfinished merge is resumed. Refusals (SnapshotMerge::begin) happen before any write.
struct MergeFiles {
    OpenedSnapshots opened;  // snapshots[0] merges; the rest (and opened.recorded) are the others
    std::shared_ptr<SnapshotMerge> merge;
    std::string cowPath;
    std::string originPath;
    bool resumed = false;  // a merge had already started
    // Runs the merge; when it finishes, clears the marks (sidecar first, then the origin record).
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

// The origin record (see above); a missing file is an empty record.
struct OriginRecord {
    std::vector<std::string> snapshots;  // canonical paths of the COW stores, in recording order
    std::string merging;                 // canonical path of the store merging into it, or ""
};
std::string originRecordPath(const std::string& originPath);  // "<origin>.loopsnap-origin"
Result<OriginRecord> readOriginRecord(const std::string& originPath);

// Removes `cowPath` from the origin's record and touches no store (for a store that is gone, or
// one the user no longer wants kept in step with the origin). NotFound (detail "not-recorded") if
// it is not recorded; Busy ("merge-unfinished") for the store of an unfinished merge.
Status forgetSnapshotOfOrigin(const std::string& originPath, const std::string& cowPath);

// For paths opened as plain files, bypassing the engine (serve/attach `file:` specs): refuses a
// half-merged origin (Busy, "merge-unfinished") and, for writing, an origin with recorded
// snapshots (Busy, "origin-has-snapshots": a plain write would change their views).
Status checkPlainFileOpen(const std::string& path, bool writable);

}  // namespace loopsnap
