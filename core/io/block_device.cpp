#include "core/io/block_device.h"

#include <algorithm>
#include <vector>

namespace loopsnap {

Status BlockDevice::checkRange(uint64_t offset, uint64_t length) const {
    uint64_t sz = size();
    if (offset > sz || length > sz - offset)
        return makeError(ErrorCode::InvalidArgument,
                         "request [" + std::to_string(offset) + ", +" + std::to_string(length) +
                             ") is beyond the end of " + describe() + " (" + std::to_string(sz) + " bytes)");
    return {};
}

Status BlockDevice::discard(uint64_t offset, uint64_t length) { return checkRange(offset, length); }

Status BlockDevice::writeZeroes(uint64_t offset, uint64_t length, WriteFlags flags) {
    LS_TRY(checkRange(offset, length));
    constexpr uint64_t kPiece = 1 << 20;
    std::vector<std::byte> zeros(std::min<uint64_t>(kPiece, length));
    while (length) {
        uint64_t n = std::min<uint64_t>(length, zeros.size());
        LS_TRY(write(offset, std::span<const std::byte>(zeros.data(), n), flags));
        offset += n;
        length -= n;
    }
    return {};
}

}  // namespace loopsnap
