// CRC-32C (Castagnoli), used to checksum our own metadata blocks (clone metadata, crash-lab
// fingerprints). Software table implementation: metadata blocks are small.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace loopsnap {

uint32_t crc32c(std::span<const std::byte> data, uint32_t seed = 0);

}  // namespace loopsnap
