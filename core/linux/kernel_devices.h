// The kernel's own targets stacked over the project's files: snapshot-origin, snapshot,
// snapshot-merge and clone devices in /dev/mapper over loop devices (devmapper.h, loop_device.h).
//
// Naming: loopsnap-<workspace>-origin-<id>, loopsnap-<workspace>-snap-<id>,
// loopsnap-<workspace>-clone-<id> (uuid LOOPSNAP-...). A file is bound to a loop device of its
// own (direct I/O where the file allows it, autoclear: the loop device goes away with the last dm
// table that holds it); a block device path is used as it is.
//
// Validation before any change (a refused request leaves no loop device and no dm device behind):
// missing files (NotFound, detail "missing-file"), a file already bound to a loop device we did
// not make, or a device in use (Busy, "in-use"), a corrupt store (the userspace engine's reader
// says why), a snapshot whose recorded length differs from the origin's ("size-mismatch"), a
// clone whose destination is not the source's size ("size-mismatch"), a store whose merge has
// not finished offered for plain use ("merge-unfinished").
//
// Ordering:
// - A snapshot is added to an active origin with the origin suspended around the snapshot's
//   creation (LVM does the same): otherwise an origin write spanning several chunks copies only
//   its first chunk into the new snapshot.
// - Merge: the sidecar is marked merging=yes (durably) first; then the origin is suspended (its
//   pending exceptions drain), the snapshot device removed, the origin's table replaced by
//   snapshot-merge, and the origin resumed: the kernel merges from then on, and the origin
//   presents the snapshot. An interrupted merge (deactivateOrigin, a crash, a reboot) goes on
//   when activateOrigin finds the mark, as the kernel does on the next activation. finishMerge
//   swaps snapshot-origin back in and clears the mark once the store is empty.
//
// Threads: the functions share no state of their own; libdevmapper calls are serialised inside
// devmapper.cpp. Two callers working on the same workspace's devices must serialise themselves.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/linux/devmapper.h"

namespace loopsnap::kernel {

struct OriginDevice {
    std::string name;     // dm name
    std::string backing;  // /dev/loopN or the block device
    std::string file;     // the origin's path as given
    uint64_t sizeBytes = 0;
    bool merging = false;     // the table is snapshot-merge
    std::string mergingCow;   // then: the store being merged
    std::string path() const { return "/dev/mapper/" + name; }
};

struct SnapshotDevice {
    std::string name;
    std::string cowBacking;
    std::string cowFile;
    StoreType type = StoreType::Persistent;
    uint32_t chunkSectors = 0;
    uint64_t sizeBytes = 0;
    std::string path() const { return "/dev/mapper/" + name; }
};

struct CloneDevice {
    std::string name;
    std::string sourceBacking, destBacking, metaBacking;
    uint32_t regionSectors = 0;
    uint64_t sizeBytes = 0;
    std::string path() const { return "/dev/mapper/" + name; }
};

// Brings the origin's snapshot-origin device up, or finds it when it already runs over the same
// file. A store in `cowPaths` whose sidecar says a merge has started makes it come up as
// snapshot-merge over that store instead (the merge goes on).
Result<OriginDevice> activateOrigin(const std::string& workspace, const std::string& originId, const std::string& originPath,
                                    const std::vector<std::string>& cowPaths = {});
// Busy while the device is open or a snapshot device of it is active.
Status deactivateOrigin(const OriginDevice& origin);

struct SnapshotRequest {
    std::string snapshotId;
    std::string cowPath;
    // create: make (cowSizeBytes > 0 and the file missing) and format the store, with the
    // userspace engine's createSnapshotFiles (the same on-disk format and sidecar).
    bool create = false;
    uint64_t cowSizeBytes = 0;
    uint32_t chunkBytes = kDefaultChunkBytes;
    StoreType type = StoreType::Persistent;
};
Result<SnapshotDevice> activateSnapshot(const OriginDevice& origin, const std::string& workspace, const SnapshotRequest& request);
// Busy (nothing changed) while the snapshot device is open.
Status deactivateSnapshot(const SnapshotDevice& snapshot);
// The status of a snapshot or snapshot-merge device, in the userspace engine's type.
Result<SnapshotStatus> snapshotStatus(const std::string& dmName);

// Starts merging `snapshot` into `origin` (see the ordering above). Refused with nothing changed:
// a transient store, an invalid or overflowed one, a snapshot device that is open.
Result<OriginDevice> beginMerge(const OriginDevice& origin, const SnapshotDevice& snapshot);
// Waits (dm events, status checks) until the merge finished, `shouldStop` says so, or the
// timeout passed; calls `progress` with each new status. Returns the last status.
Result<SnapshotStatus> waitForMerge(const OriginDevice& origin, std::chrono::milliseconds timeout,
                                    const std::function<void(const SnapshotStatus&)>& progress = {},
                                    const std::function<bool()>& shouldStop = {});
// After the store is empty: snapshot-origin back in, mark cleared. InvalidArgument if the merge
// has not finished.
Result<OriginDevice> finishMerge(const OriginDevice& origin);

struct CloneRequest {
    std::string cloneId;
    std::string sourcePath, destPath, metaPath;
    dm::CloneTableOptions table;
    // create: zero the metadata's first block so the kernel formats it (refused when it already
    // holds a kernel clone superblock).
    bool create = false;
};
Result<CloneDevice> activateClone(const std::string& workspace, const CloneRequest& request);
Status deactivateClone(const CloneDevice& clone);
Result<CloneStatus> cloneStatus(const std::string& dmName);
// The kernel's messages: enable_hydration, disable_hydration, hydration_threshold N, hydration_batch_size N.
Status setCloneHydration(const std::string& dmName, bool enabled);
Status setCloneHydrationThreshold(const std::string& dmName, uint32_t regions);
Status setCloneHydrationBatchSize(const std::string& dmName, uint32_t regions);
// Waits until every region is hydrated or the timeout passed; returns the last status.
Result<CloneStatus> waitForHydration(const std::string& dmName, std::chrono::milliseconds timeout);

// The sidecar keys the kernel side needs (the snapshot length, the merge mark), read-only.
struct StoreSettings {
    StoreType type = StoreType::Persistent;
    uint64_t sizeBytes = 0;  // 0: the origin's size
    bool merging = false;
};
Result<StoreSettings> readStoreSettings(const std::string& cowPath);

}  // namespace loopsnap::kernel
