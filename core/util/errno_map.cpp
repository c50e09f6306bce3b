#include "core/util/errno_map.h"

#include <cerrno>

namespace loopsnap {

int errnoFor(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::NoSpace: return ENOSPC;
        case ErrorCode::InvalidArgument: return EINVAL;
        case ErrorCode::Unsupported: return EOPNOTSUPP;
        case ErrorCode::Aborted: return ESHUTDOWN;
        case ErrorCode::Busy:
        case ErrorCode::NotFound:
        case ErrorCode::Corruption:
        case ErrorCode::IOError:
        case ErrorCode::Invalidated: return EIO;
    }
    return EIO;
}

}  // namespace loopsnap
