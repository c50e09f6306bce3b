// Little-endian load/store for on-disk formats (the kernel's COW format and our clone metadata are
// little-endian regardless of the host).
#pragma once

#include <cstddef>
#include <cstdint>

namespace loopsnap {

inline uint32_t loadLe32(const std::byte* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint64_t loadLe64(const std::byte* p) { return uint64_t(loadLe32(p)) | uint64_t(loadLe32(p + 4)) << 32; }
inline void storeLe32(std::byte* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = std::byte((v >> (8 * i)) & 0xff);
}
inline void storeLe64(std::byte* p, uint64_t v) {
    storeLe32(p, uint32_t(v));
    storeLe32(p + 4, uint32_t(v >> 32));
}

}  // namespace loopsnap
