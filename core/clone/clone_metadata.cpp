#include "core/clone/clone_metadata.h"

#include <bit>
#include <cstring>
#include <random>

#include "core/util/crc32c.h"
#include "core/util/endian.h"
#include "core/util/size.h"

namespace loopsnap {

namespace {

constexpr uint64_t kHeaderMagic = 0x31454e4f4c43534cull;  // "LSCLONE1" little-endian
constexpr uint64_t kSlotMagic = 0x544f4c534c43534cull;    // "LSCLSLOT"
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kCrcOffset = kCloneMetadataBlockSize - 4;

// Header block field offsets.
constexpr size_t kHVersion = 8, kHUuid = 16, kHDeviceSize = 32, kHRegionSize = 40, kHRegionCount = 48,
                 kHBitmapBlocks = 56, kHSourceLen = 64, kHDestLen = 68, kHSource = 72,
                 kHDest = kHSource + kCloneMaxPathLength;
// Slot header field offsets.
constexpr size_t kSUuid = 8, kSGeneration = 24, kSRegionCount = 32, kSHydrated = 40, kSBitmapCrc = 48,
                 kSSlotIndex = 52;

uint64_t bitmapBytes(uint64_t regions) { return (regions + 7) / 8; }
uint64_t bitmapBlocksFor(uint64_t regions) {
    return (bitmapBytes(regions) + kCloneMetadataBlockSize - 1) / kCloneMetadataBlockSize;
}

uint32_t blockCrc(const std::byte* block) { return crc32c(std::span<const std::byte>(block, kCrcOffset)); }

}  // namespace

uint64_t RegionBitmap::count() const {
    uint64_t n = 0;
    for (uint64_t w : words_) n += uint64_t(std::popcount(w));
    return n;
}

uint64_t RegionBitmap::findClear(uint64_t from) const {
    for (uint64_t r = from; r < regions_;) {
        uint64_t w = ~words_[r / 64] >> (r % 64);
        if (w) {
            uint64_t found = r + uint64_t(std::countr_zero(w));
            return found < regions_ ? found : regions_;
        }
        r = (r / 64 + 1) * 64;
    }
    return regions_;
}

void RegionBitmap::toBytes(std::byte* out) const {
    uint64_t n = bitmapBytes(regions_);
    for (uint64_t i = 0; i < n; ++i) out[i] = std::byte((words_[i / 8] >> (8 * (i % 8))) & 0xff);
}

RegionBitmap RegionBitmap::fromBytes(const std::byte* in, uint64_t regions) {
    RegionBitmap b(regions);
    uint64_t n = bitmapBytes(regions);
    for (uint64_t i = 0; i < n; ++i) b.words_[i / 8] |= uint64_t(in[i]) << (8 * (i % 8));
    // Bits past the last region are not regions: ignore whatever is there.
    if (regions % 64) b.words_.back() &= (uint64_t(1) << (regions % 64)) - 1;
    return b;
}

Status validateCloneGeometry(const CloneGeometry& g) {
    if (!isPowerOfTwo(g.regionSize) || g.regionSize < kCloneMinRegionSize || g.regionSize > kCloneMaxRegionSize)
        return makeError(ErrorCode::InvalidArgument,
                         "invalid region size " + std::to_string(g.regionSize) +
                             " bytes: must be a power of two from 4 KiB to 1 GiB");
    if (g.deviceSize == 0) return makeError(ErrorCode::InvalidArgument, "the source device is empty");
    if (g.deviceSize % kSectorSize)
        return makeError(ErrorCode::InvalidArgument,
                         "device size " + std::to_string(g.deviceSize) + " is not a multiple of 512 bytes");
    if (g.regionCount() > kCloneMaxRegions)
        return makeError(ErrorCode::InvalidArgument,
                         "too many regions (" + std::to_string(g.regionCount()) + ", at most 2^31): use a larger region size");
    return {};
}

uint64_t CloneMetadata::requiredSize(const CloneGeometry& g) {
    return kCloneMetadataBlockSize * (1 + 2 * (1 + bitmapBlocksFor(g.regionCount())));
}

CloneUuid CloneMetadata::newUuid() {
    std::random_device rd;
    CloneUuid u;
    for (size_t i = 0; i < u.size(); i += 4) {
        uint32_t v = rd();
        for (size_t j = 0; j < 4; ++j) u[i + j] = std::byte((v >> (8 * j)) & 0xff);
    }
    return u;
}

CloneMetadata::CloneMetadata(std::shared_ptr<BlockDevice> device, CloneHeader header)
    : device_(std::move(device)), header_(std::move(header)),
      bitmapBlocks_(bitmapBlocksFor(header_.geometry.regionCount())),
      committed_(header_.geometry.regionCount()) {}

Result<std::unique_ptr<CloneMetadata>> CloneMetadata::format(std::shared_ptr<BlockDevice> device,
                                                             const CloneHeader& header) {
    LS_TRY(validateCloneGeometry(header.geometry));
    if (header.sourceRecord.size() > kCloneMaxPathLength || header.destRecord.size() > kCloneMaxPathLength)
        return makeError(ErrorCode::InvalidArgument, "source or destination path longer than " +
                                                         std::to_string(kCloneMaxPathLength) + " bytes");
    uint64_t need = requiredSize(header.geometry);
    if (device->size() < need)
        return makeError(ErrorCode::InvalidArgument, "metadata device " + device->describe() + " holds " +
                                                         std::to_string(device->size()) + " bytes; this clone needs " +
                                                         std::to_string(need));
    std::unique_ptr<CloneMetadata> md(new CloneMetadata(device, header));

    std::vector<std::byte> block(kCloneMetadataBlockSize);
    std::byte* b = block.data();
    storeLe64(b, kHeaderMagic);
    storeLe32(b + kHVersion, kFormatVersion);
    std::memcpy(b + kHUuid, header.uuid.data(), 16);
    storeLe64(b + kHDeviceSize, header.geometry.deviceSize);
    storeLe64(b + kHRegionSize, header.geometry.regionSize);
    storeLe64(b + kHRegionCount, header.geometry.regionCount());
    storeLe64(b + kHBitmapBlocks, md->bitmapBlocks_);
    storeLe32(b + kHSourceLen, uint32_t(header.sourceRecord.size()));
    storeLe32(b + kHDestLen, uint32_t(header.destRecord.size()));
    std::memcpy(b + kHSource, header.sourceRecord.data(), header.sourceRecord.size());
    std::memcpy(b + kHDest, header.destRecord.data(), header.destRecord.size());
    storeLe32(b + kCrcOffset, blockCrc(b));

    // Both slots are overwritten: slot 0 with an invalid (zero) header so that leftovers of an
    // older clone in a reused file can never be mistaken for a commit, slot 1 with generation 1.
    std::vector<std::byte> zeroSlot(kCloneMetadataBlockSize);
    LS_TRY(device->write(md->slotOffset(0), zeroSlot));
    LS_TRY(device->write(md->slotOffset(1), md->encodeSlot(1, 1, md->committed_)));
    LS_TRY(device->write(0, block));
    LS_TRY(device->flush());
    md->generation_ = 1;
    md->validSlots_ = 1;
    return md;
}

Result<CloneHeader> CloneMetadata::readHeader(BlockDevice& device) {
    if (device.size() < kCloneMetadataBlockSize)
        return makeError(ErrorCode::Corruption, device.describe() + " is too small to be clone metadata");
    std::vector<std::byte> block(kCloneMetadataBlockSize);
    LS_TRY(device.read(0, block));
    const std::byte* b = block.data();
    if (loadLe64(b) != kHeaderMagic)
        return makeError(ErrorCode::Corruption, device.describe() + " is not clone metadata (bad magic)");
    if (loadLe32(b + kCrcOffset) != blockCrc(b))
        return makeError(ErrorCode::Corruption, "clone metadata header checksum mismatch in " + device.describe());
    if (loadLe32(b + kHVersion) != kFormatVersion)
        return makeError(ErrorCode::Unsupported, "clone metadata version " + std::to_string(loadLe32(b + kHVersion)) +
                                                     " in " + device.describe() + " is not supported");
    CloneHeader h;
    std::memcpy(h.uuid.data(), b + kHUuid, 16);
    h.geometry.deviceSize = loadLe64(b + kHDeviceSize);
    h.geometry.regionSize = loadLe64(b + kHRegionSize);
    if (!validateCloneGeometry(h.geometry).ok() || loadLe64(b + kHRegionCount) != h.geometry.regionCount() ||
        loadLe64(b + kHBitmapBlocks) != bitmapBlocksFor(h.geometry.regionCount()))
        return makeError(ErrorCode::Corruption, "clone metadata header in " + device.describe() + " has an impossible geometry");
    uint32_t sl = loadLe32(b + kHSourceLen), dl = loadLe32(b + kHDestLen);
    if (sl > kCloneMaxPathLength || dl > kCloneMaxPathLength)
        return makeError(ErrorCode::Corruption, "clone metadata header in " + device.describe() + " has bad path lengths");
    h.sourceRecord.assign(reinterpret_cast<const char*>(b + kHSource), sl);
    h.destRecord.assign(reinterpret_cast<const char*>(b + kHDest), dl);
    if (device.size() < requiredSize(h.geometry))
        return makeError(ErrorCode::Corruption, "clone metadata " + device.describe() + " is truncated (" +
                                                    std::to_string(device.size()) + " of " +
                                                    std::to_string(requiredSize(h.geometry)) + " bytes)");
    return h;
}

std::vector<std::byte> CloneMetadata::encodeSlot(uint64_t generation, int slot, const RegionBitmap& bitmap) const {
    std::vector<std::byte> buf(kCloneMetadataBlockSize * (1 + bitmapBlocks_));
    std::byte* bm = buf.data() + kCloneMetadataBlockSize;
    bitmap.toBytes(bm);
    std::byte* b = buf.data();
    storeLe64(b, kSlotMagic);
    std::memcpy(b + kSUuid, header_.uuid.data(), 16);
    storeLe64(b + kSGeneration, generation);
    storeLe64(b + kSRegionCount, bitmap.regions());
    storeLe64(b + kSHydrated, bitmap.count());
    storeLe32(b + kSBitmapCrc, crc32c(std::span<const std::byte>(bm, bitmapBlocks_ * kCloneMetadataBlockSize)));
    storeLe32(b + kSSlotIndex, uint32_t(slot));
    storeLe32(b + kCrcOffset, blockCrc(b));
    return buf;
}

CloneMetadata::SlotState CloneMetadata::readSlot(int slot) {
    SlotState s;
    std::vector<std::byte> buf(kCloneMetadataBlockSize * (1 + bitmapBlocks_));
    auto st = device_->read(slotOffset(slot), buf);
    if (!st.ok()) {
        s.problem = st.error().toString();
        return s;
    }
    const std::byte* b = buf.data();
    const std::byte* bm = b + kCloneMetadataBlockSize;
    uint64_t regions = header_.geometry.regionCount();
    if (loadLe64(b) != kSlotMagic) { s.problem = "no commit"; return s; }
    if (loadLe32(b + kCrcOffset) != blockCrc(b)) { s.problem = "slot header checksum mismatch"; return s; }
    if (std::memcmp(b + kSUuid, header_.uuid.data(), 16) != 0) { s.problem = "slot belongs to another clone"; return s; }
    if (loadLe32(b + kSSlotIndex) != uint32_t(slot) || loadLe64(b + kSRegionCount) != regions) {
        s.problem = "slot does not match this clone's geometry";
        return s;
    }
    if (loadLe32(b + kSBitmapCrc) != crc32c(std::span<const std::byte>(bm, bitmapBlocks_ * kCloneMetadataBlockSize))) {
        s.problem = "bitmap checksum mismatch";
        return s;
    }
    s.bitmap = RegionBitmap::fromBytes(bm, regions);
    if (s.bitmap.count() != loadLe64(b + kSHydrated)) { s.problem = "hydrated count mismatch"; return s; }
    s.generation = loadLe64(b + kSGeneration);
    s.valid = true;
    return s;
}

Result<std::unique_ptr<CloneMetadata>> CloneMetadata::load(std::shared_ptr<BlockDevice> device) {
    LS_ASSIGN(CloneHeader header, readHeader(*device));
    std::unique_ptr<CloneMetadata> md(new CloneMetadata(device, std::move(header)));
    SlotState a = md->readSlot(0), b = md->readSlot(1);
    if (!a.valid && !b.valid)
        return makeError(ErrorCode::Corruption, "no valid commit in clone metadata " + device->describe() +
                                                    " (slot 0: " + a.problem + "; slot 1: " + b.problem + ")");
    SlotState& newest = (a.valid && (!b.valid || a.generation > b.generation)) ? a : b;
    md->generation_ = newest.generation;
    md->committed_ = std::move(newest.bitmap);
    md->validSlots_ = int(a.valid) + int(b.valid);
    return md;
}

Status CloneMetadata::commit(const RegionBitmap& bitmap) {
    uint64_t gen = generation_ + 1;
    int slot = int(gen % 2);
    LS_TRY(device_->write(slotOffset(slot), encodeSlot(gen, slot, bitmap)));
    // The flush is what makes the commit durable; until it completes the old slot stays valid.
    LS_TRY(device_->flush());
    generation_ = gen;
    committed_ = bitmap;
    validSlots_ = 2;
    return {};
}

}  // namespace loopsnap
