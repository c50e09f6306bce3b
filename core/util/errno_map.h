// The one map from an engine ErrorCode to a POSIX errno, for every front end that must answer
// with an errno: the NBD server (which sends the NBD protocol's value for it, see
// core/export/nbd_server.h) and the FUSE file export (which returns -errno).
//
//   NoSpace -> ENOSPC, InvalidArgument -> EINVAL, Unsupported -> EOPNOTSUPP,
//   Aborted (stopped, shutting down) -> ESHUTDOWN, everything else (IOError, Corruption,
//   Invalidated, Busy, NotFound) -> EIO: to a block client they are all a failed I/O.
#pragma once

#include "core/util/result.h"

namespace loopsnap {

int errnoFor(ErrorCode code) noexcept;

}  // namespace loopsnap
