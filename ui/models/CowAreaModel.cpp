#include "ui/models/CowAreaModel.h"

#include <algorithm>

namespace loopsnap::ui {

void CowAreaModel::reset(const StoreLayout& layout) {
    layout_ = layout;
    chunks_.assign(layout.totalChunks, uint8_t(AreaCategory::Free));
    used_ = 0;
    for (uint64_t c = 0; c < std::min(layout.nextFreeChunk, layout.totalChunks); ++c) {
        chunks_[c] = uint8_t(AreaCategory::DataCommitted);
        ++used_;
    }
    for (size_t i = 0; i < layout.metadataChunks.size(); ++i) {
        const uint64_t c = layout.metadataChunks[i];
        if (c >= chunks_.size()) continue;
        if (chunks_[c] == uint8_t(AreaCategory::Free)) ++used_;
        chunks_[c] = uint8_t(i == 0 ? AreaCategory::Header : AreaCategory::Metadata);
    }
    changes_.clear();
    changes_.emplace_back(0, chunks_.size());
    areaChunk_ = lastArea_ = -1;
    areaEnd_ = 0;
}

int64_t CowAreaModel::metadataChunkOfArea(uint64_t area) const {
    // metadataChunks[0] is the header, then one per area in order.
    if (area + 1 < layout_.metadataChunks.size()) return int64_t(layout_.metadataChunks[area + 1]);
    return -1;
}

void CowAreaModel::set(uint64_t chunk, AreaCategory category) {
    if (chunk >= chunks_.size()) return;
    const uint8_t old = chunks_[chunk];
    if (old == uint8_t(category)) return;
    if (old == uint8_t(AreaCategory::Header) || old == uint8_t(AreaCategory::Metadata)) return;
    if (old == uint8_t(AreaCategory::Free)) ++used_;
    chunks_[chunk] = uint8_t(category);
    if (!changes_.empty() && changes_.back().first + changes_.back().second == chunk)
        ++changes_.back().second;
    else
        changes_.emplace_back(chunk, 1);
}

bool CowAreaModel::apply(std::span<const Event> events) {
    const size_t before = changes_.size();
    bool areaMoved = false;
    for (const Event& e : events) {
        if (e.source != source_) continue;
        switch (e.kind) {
        case EventKind::ExceptionAllocated: set(e.b, AreaCategory::DataPending); break;
        case EventKind::ExceptionCommitted: set(e.b, AreaCategory::DataCommitted); break;
        case EventKind::AreaWritten: {
            const int64_t m = metadataChunkOfArea(e.a);
            lastArea_ = int64_t(e.a);
            if (m >= 0) {
                areaChunk_ = m;
                areaEnd_ = uint64_t(m) + 1 + layout_.exceptionsPerArea;
                areaMoved = true;
            }
            break;
        }
        default: break;
        }
    }
    return areaMoved || changes_.size() != before;
}

void CowAreaModel::markLeaked(uint64_t chunk) {
    if (chunk >= chunks_.size()) return;
    if (chunks_[chunk] == uint8_t(AreaCategory::Free)) ++used_;
    chunks_[chunk] = uint8_t(AreaCategory::Leaked);
    changes_.emplace_back(chunk, 1);
}

std::vector<std::pair<uint64_t, uint64_t>> CowAreaModel::takeChanges() {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    out.swap(changes_);
    return out;
}

}  // namespace loopsnap::ui
