// Argument checks of loopsnap-helper: every value a caller sends is checked here before the
// engine sees it. Plain functions over the file system (stat, realpath, /proc/self/mountinfo,
// libblkid through core/linux/blkid_probe.h); nothing is written and nothing is executed.
//
// Paths: absolute, at most PATH_MAX bytes, no control characters, no empty, "." or ".."
// component (a traversal is refused, not resolved); then resolved with realpath (symbolic
// links followed) and the resolved path is what the engine gets. An existing path must be a
// regular file or a block device. A path the request may create (a new COW store, clone
// destination or metadata) must have an existing directory as its parent.
// Writes: a path the request overwrites (COW store, clone destination, metadata, an origin that
// a snapshot or merge writes through) must not be mounted (directly or through a loop device),
// and a COW store or clone metadata that exists must not hold a filesystem, RAID member or
// partition table that libblkid recognises (formatting it would destroy that).
//
// The checks and the later open are not atomic (the helper is no sandbox against a root user
// changing files underneath it); the engine's own open refuses what no longer fits.
//
// Threads: no shared state; each call may block on I/O (stat, probing), so the service calls
// them on its worker thread.
#pragma once

#include <cstdint>
#include <string>

#include "core/backend/types.h"
#include "core/util/result.h"

namespace loopsnap::helper {

enum class PathUse {
    ReadSource,     // must exist; only read (a clone's source)
    WriteExisting,  // must exist; written through (an origin); not mounted
    Create,         // may exist (then formatted) or not; not mounted; no foreign contents (a COW store)
    Overwrite,      // may exist (then overwritten) or not; not mounted (a clone's destination)
    CreateNew,      // must not exist (clone metadata)
    Lookup,         // must exist; names a device of the caller (status, merge, remove, message)
};

// The resolved absolute path, or InvalidArgument/NotFound/Busy with details "relative-path",
// "path-traversal", "bad-path", "not-a-file-or-device", "missing", "exists", "mounted",
// "holds-data" and the offending path as subject.
Result<std::string> validatePath(const std::string& path, PathUse use);

// Sizes and names of the requests (InvalidArgument, detail "bad-argument", subject = the field).
Status validateSnapshotRequest(uint64_t cowSize, uint32_t chunkBytes, const std::string& store);
Status validateCloneRequest(uint64_t regionBytes);
// A clone message: one of dm-clone's four names and a value in its range.
Status validateCloneMessage(const std::string& name, uint32_t value);

// The device behind `path` (an origin file or block device, or a device node) is mounted.
Status refuseMounted(const std::string& path);

}  // namespace loopsnap::helper
