#include "core/util/result.h"

namespace loopsnap {

const char* errorCodeName(ErrorCode code) noexcept {
    switch (code) {
    case ErrorCode::Corruption: return "Corruption";
    case ErrorCode::IOError: return "IOError";
    case ErrorCode::NoSpace: return "NoSpace";
    case ErrorCode::Busy: return "Busy";
    case ErrorCode::InvalidArgument: return "InvalidArgument";
    case ErrorCode::NotFound: return "NotFound";
    case ErrorCode::Unsupported: return "Unsupported";
    case ErrorCode::Aborted: return "Aborted";
    case ErrorCode::Invalidated: return "Invalidated";
    }
    return "Unknown";
}

std::string Error::toString() const { return std::string(errorCodeName(code)) + ": " + message; }

}  // namespace loopsnap
