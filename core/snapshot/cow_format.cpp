#include "core/snapshot/cow_format.h"

#include <algorithm>

#include "core/util/endian.h"

namespace loopsnap::cowfmt {

Header decodeHeader(std::span<const std::byte> b) {
    return Header{loadLe32(b.data()), loadLe32(b.data() + 4), loadLe32(b.data() + 8), loadLe32(b.data() + 12)};
}

void encodeHeader(const Header& h, std::span<std::byte> out) {
    std::fill(out.begin(), out.end(), std::byte{0});
    storeLe32(out.data(), h.magic);
    storeLe32(out.data() + 4, h.valid);
    storeLe32(out.data() + 8, h.version);
    storeLe32(out.data() + 12, h.chunkSectors);
}

Record readRecord(std::span<const std::byte> area, uint64_t i) {
    const std::byte* p = area.data() + i * kRecordBytes;
    return Record{loadLe64(p), loadLe64(p + 8)};
}

void writeRecord(std::span<std::byte> area, uint64_t i, Record r) {
    std::byte* p = area.data() + i * kRecordBytes;
    storeLe64(p, r.oldChunk);
    storeLe64(p + 8, r.newChunk);
}

}  // namespace loopsnap::cowfmt
