// File-level clone operations for the CLI and the serve command: create a clone from paths,
// open one from its metadata file alone.
//
// Paths: the metadata records the source and destination as given: NBD URIs verbatim, absolute
// paths as absolute paths, and relative paths relative to the metadata file's folder (so the
// three files can be moved together). openCloneFiles resolves them the same way.
//
// The destination and metadata files are opened read-write with FileDevice's lock, so a clone in
// use by another process is refused with a message naming it. An NBD source is opened lazily
// with the size from the metadata: an unreachable server does not stop the clone from serving
// its hydrated regions.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <memory>
#include <string>

#include "core/clone/clone.h"

namespace loopsnap {

constexpr uint64_t kDefaultCloneRegionSize = 64 * 1024;

struct CloneCreateRequest {
    std::string source;  // path or nbd:// / nbd+unix:// URI
    std::string dest;    // created at the source's size if missing
    std::string meta;    // created; must not exist yet
    uint64_t regionSize = kDefaultCloneRegionSize;
};

// Validates everything (source, destination and metadata three different files, compared by
// device and inode through symlinks and hard links, or by resolved path for files not created yet;
// source reachable, region size, sizes equal, metadata absent) before creating or writing any file, then creates the destination if needed and formats the metadata.
Result<CloneStatus> createCloneFiles(const CloneCreateRequest& request);

Result<std::shared_ptr<Clone>> openCloneFiles(const std::string& metaPath, CloneOptions options = {});

// Helpers (exposed for tests): how a path is recorded and resolved relative to metaPath's folder.
std::string recordClonePath(const std::string& path, const std::string& metaPath);
std::string resolveClonePath(const std::string& record, const std::string& metaPath);

}  // namespace loopsnap
