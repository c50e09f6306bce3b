// Little-endian load/store for on-disk formats (the kernel's COW format and our clone metadata are
// little-endian regardless of the host); big-endian load/store for network protocols (NBD).
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

inline uint16_t loadBe16(const std::byte* p) { return uint16_t(uint16_t(p[0]) << 8 | uint16_t(p[1])); }
inline uint32_t loadBe32(const std::byte* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}
inline uint64_t loadBe64(const std::byte* p) { return uint64_t(loadBe32(p)) << 32 | loadBe32(p + 4); }
inline void storeBe16(std::byte* p, uint16_t v) {
    p[0] = std::byte(v >> 8);
    p[1] = std::byte(v & 0xff);
}
inline void storeBe32(std::byte* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = std::byte((v >> (24 - 8 * i)) & 0xff);
}
inline void storeBe64(std::byte* p, uint64_t v) {
    storeBe32(p, uint32_t(v >> 32));
    storeBe32(p + 4, uint32_t(v));
}

}  // namespace loopsnap
