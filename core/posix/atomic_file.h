// Small files replaced atomically: sidecars beside stores, the origin's snapshot record and the
// workspace list.
//
// Write order (the crash contract): write the whole new content to "<path>.tmp.<pid>", fsync it,
// rename it over <path>, fsync the folder. A crash at any point leaves either the old file or the
// new one under <path>, never a torn mix; a stale temporary file is ignored by readers and
// replaced by the next write. Concurrent writers of the same path in different processes must
// serialise themselves (the last rename wins); within one process the caller holds a mutex.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/util/result.h"

namespace loopsnap {

// Replaces `path` with `content` durably (see above). IOError names the path on failure; the old
// content is then still in place.
Status writeFileAtomically(const std::string& path, std::string_view content);

// The whole content of `path`; NotFound (detail "missing") if it does not exist.
Result<std::string> readWholeFile(const std::string& path);

// Removes `path` and fsyncs its folder; a missing file is not an error.
Status removeFileDurably(const std::string& path);

}  // namespace loopsnap
