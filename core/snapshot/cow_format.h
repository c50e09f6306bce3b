// The kernel's persistent COW store format, version 1 (drivers/md/dm-snap-persistent.c).
//
//   chunk 0                 header: u32 magic "SnAp" (0x70416e53), u32 valid, u32 version = 1,
//                           u32 chunk_size (sectors); rest of the chunk zero
//   chunk 1 + (epa+1)*i     metadata area i: epa records {u64 old_chunk, u64 new_chunk}
//   the epa chunks after it data chunks of area i
//
// epa = chunk_bytes / 16. All integers little-endian. A record with new_chunk == 0 ends the list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/util/result.h"

namespace loopsnap {

// Chunk sizes Loopsnap accepts (LVM's limits: a power of two from 4 KiB to 512 KiB); the kernel's
// default is 16 KiB (32 sectors). Here, below the engine, so the store code and the engine share
// one definition.
constexpr uint32_t kMinChunkBytes = 4096;
constexpr uint32_t kMaxChunkBytes = 512 * 1024;
constexpr uint32_t kDefaultChunkBytes = 16 * 1024;

}  // namespace loopsnap

namespace loopsnap::cowfmt {

constexpr uint32_t kMagic = 0x70416e53;  // "SnAp"
constexpr uint32_t kDiskVersion = 1;
constexpr uint64_t kHeaderChunks = 1;
constexpr uint64_t kRecordBytes = 16;

struct Header {
    uint32_t magic = 0;
    uint32_t valid = 0;
    uint32_t version = 0;
    uint32_t chunkSectors = 0;
};

constexpr size_t kHeaderBytes = 16;

Header decodeHeader(std::span<const std::byte> bytes);            // needs >= 16 bytes
void encodeHeader(const Header& header, std::span<std::byte> out);  // zero-fills the rest of `out`

inline uint64_t exceptionsPerArea(uint64_t chunkBytes) { return chunkBytes / kRecordBytes; }
// Chunk index of area i's metadata chunk.
inline uint64_t areaLocation(uint64_t area, uint64_t epa) { return kHeaderChunks + (epa + 1) * area; }
inline bool isMetadataChunk(uint64_t chunk, uint64_t epa) { return chunk % (epa + 1) == kHeaderChunks; }

struct Record {
    uint64_t oldChunk;
    uint64_t newChunk;
};
Record readRecord(std::span<const std::byte> area, uint64_t index);
void writeRecord(std::span<std::byte> area, uint64_t index, Record record);

}  // namespace loopsnap::cowfmt
