// Clone metadata: our own small on-disk format (docs/clone-metadata-format.md).
//
// Layout, in 4 KiB blocks: block 0 is a header written once at format time (identity, geometry,
// the paths the clone was created with); then two *commit slots*, each a slot header block
// followed by the hydration bitmap. A commit writes the whole slot that does not hold the newest
// state, with generation+1 and crc32c checksums, then flushes the metadata device. Loading picks
// the valid slot with the highest generation, so a torn or lost commit write falls back to the
// previous state and a commit is atomic without relying on sector-atomic writes.
//
// Thread-safety: CloneMetadata is not thread-safe; its owner (Clone) serializes commits under its
// commit mutex. RegionBitmap is a plain value type.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/io/block_device.h"

namespace loopsnap {

constexpr uint64_t kCloneMetadataBlockSize = 4096;
constexpr uint64_t kCloneMinRegionSize = 4096;             // 8 sectors
constexpr uint64_t kCloneMaxRegionSize = uint64_t(1) << 30;  // 2097152 sectors
constexpr uint64_t kCloneMaxRegions = uint64_t(1) << 31;    // the kernel's limit
constexpr size_t kCloneMaxPathLength = 1984;

using CloneUuid = std::array<std::byte, 16>;

// One bit per region: set = hydrated (the destination holds the region's valid data).
class RegionBitmap {
public:
    RegionBitmap() = default;
    explicit RegionBitmap(uint64_t regions) : regions_(regions), words_((regions + 63) / 64, 0) {}

    uint64_t regions() const { return regions_; }
    bool test(uint64_t r) const { return (words_[r / 64] >> (r % 64)) & 1; }
    void set(uint64_t r) { words_[r / 64] |= uint64_t(1) << (r % 64); }
    uint64_t count() const;
    // First region >= from that is clear, or regions() if none.
    uint64_t findClear(uint64_t from) const;
    bool operator==(const RegionBitmap&) const = default;

    // Little-endian bytes, region r = byte r/8, bit r%8; `bytes` is ceil(regions/8) long.
    void toBytes(std::byte* out) const;
    static RegionBitmap fromBytes(const std::byte* in, uint64_t regions);

private:
    uint64_t regions_ = 0;
    std::vector<uint64_t> words_;
};

struct CloneGeometry {
    uint64_t deviceSize = 0;  // bytes; source and destination both have exactly this size
    uint64_t regionSize = 0;  // bytes, power of two in [4 KiB, 1 GiB]
    uint64_t regionCount() const { return regionSize ? (deviceSize + regionSize - 1) / regionSize : 0; }
    uint32_t regionSectors() const { return uint32_t(regionSize / 512); }
};

// InvalidArgument naming what is wrong (region size not a power of two, out of range, too many
// regions, empty device, size not a multiple of 512).
Status validateCloneGeometry(const CloneGeometry& geometry);

struct CloneHeader {
    CloneUuid uuid{};
    CloneGeometry geometry;
    // As recorded: an absolute path, a path relative to the metadata file's folder, or an NBD URI.
    std::string sourceRecord;
    std::string destRecord;
};

class CloneMetadata {
public:
    // Bytes of metadata needed for a clone of this geometry (header + two slots).
    static uint64_t requiredSize(const CloneGeometry& geometry);
    static CloneUuid newUuid();

    // Writes a fresh header and a first commit (nothing hydrated) and flushes. The device must be
    // at least requiredSize() bytes. Validates the geometry and path lengths first (writes
    // nothing on bad input).
    static Result<std::unique_ptr<CloneMetadata>> format(std::shared_ptr<BlockDevice> device, const CloneHeader& header);
    // Reads the header (Corruption on a bad magic/checksum) and the newest valid commit slot.
    static Result<std::unique_ptr<CloneMetadata>> load(std::shared_ptr<BlockDevice> device);
    // Only the header: for tools that need the recorded paths before opening any device.
    static Result<CloneHeader> readHeader(BlockDevice& device);

    const CloneHeader& header() const { return header_; }
    uint64_t generation() const { return generation_; }
    const RegionBitmap& committed() const { return committed_; }

    // Atomically replaces the committed bitmap: writes the older slot with generation+1, then
    // flushes the metadata device. On error the in-memory state stays at the old commit.
    Status commit(const RegionBitmap& bitmap);

    uint64_t totalBlocks() const { return device_->size() / kCloneMetadataBlockSize; }
    uint64_t usedBlocks() const { return 1 + uint64_t(validSlots_) * (1 + bitmapBlocks_); }
    BlockDevice& device() { return *device_; }

private:
    CloneMetadata(std::shared_ptr<BlockDevice> device, CloneHeader header);
    uint64_t slotOffset(int slot) const { return kCloneMetadataBlockSize * (1 + uint64_t(slot) * (1 + bitmapBlocks_)); }
    std::vector<std::byte> encodeSlot(uint64_t generation, int slot, const RegionBitmap& bitmap) const;
    struct SlotState {
        bool valid = false;
        uint64_t generation = 0;
        RegionBitmap bitmap;
        std::string problem;
    };
    SlotState readSlot(int slot);

    std::shared_ptr<BlockDevice> device_;
    CloneHeader header_;
    uint64_t bitmapBlocks_ = 0;
    uint64_t generation_ = 0;
    int validSlots_ = 0;
    RegionBitmap committed_;
};

}  // namespace loopsnap
