// File-level snapshot operations for the CLI and the serve command: create a COW file, open an
// origin with its snapshots from paths, with locking and a small sidecar.
//
// Sidecar "<cow>.loopsnap" (key=value text): the store type (P/PO/N: the kernel keeps it in the
// table, not on disk) and the snapshot's size in bytes (the table length). A store without a
// sidecar - e.g. one the kernel wrote - opens as P with the origin's size.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/snapshot/snapshot.h"

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
};
Result<StoreInspection> inspectSnapshotStore(const std::string& cowPath);

}  // namespace loopsnap
