// CowAreaModel: the COW store as one AreaCategory byte per chunk, for AreaMapWidget. Built from
// the store's layout (Engine::storeLayout), then moved by the snapshot's events: an allocated
// chunk is pending, a committed one committed; AreaWritten names the area being written.
// Changed chunks are collected as ranges for the widget (takeChanges()).
// Thread: GUI thread only.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "core/engine/engine.h"
#include "core/events/event.h"
#include "ui/widgets/AreaMapWidget.h"

namespace loopsnap::ui {

class CowAreaModel {
public:
    void setSource(uint32_t source) { source_ = source; }
    // Every chunk below nextFreeChunk that is not metadata counts as committed data.
    void reset(const StoreLayout& layout);
    // Returns true when anything changed.
    bool apply(std::span<const Event> events);
    void markLeaked(uint64_t chunk);

    std::span<const uint8_t> chunks() const { return chunks_; }
    std::vector<std::pair<uint64_t, uint64_t>> takeChanges();   // (first, count)
    uint64_t usedChunks() const { return used_; }
    uint64_t totalChunks() const { return chunks_.size(); }
    uint64_t chunkBytes() const { return layout_.chunkBytes; }
    // The area written last: its metadata chunk and the end of the chunks it describes; -1: none.
    int64_t areaMetadataChunk() const { return areaChunk_; }
    uint64_t areaEnd() const { return areaEnd_; }
    int64_t lastAreaIndex() const { return lastArea_; }

private:
    void set(uint64_t chunk, AreaCategory category);
    int64_t metadataChunkOfArea(uint64_t area) const;

    uint32_t source_ = UINT32_MAX;
    StoreLayout layout_;
    std::vector<uint8_t> chunks_;
    std::vector<std::pair<uint64_t, uint64_t>> changes_;
    uint64_t used_ = 0;
    int64_t areaChunk_ = -1, lastArea_ = -1;
    uint64_t areaEnd_ = 0;
};

}  // namespace loopsnap::ui
