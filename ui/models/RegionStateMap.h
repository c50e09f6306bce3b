// RegionStateMap: a clone's regions as one RegionCategory byte each (the engine's
// CloneRegionMap values), moved by the clone's events, with a count per category kept
// incrementally and the changed ranges collected for RegionMapWidget. One byte per region:
// 1,000,000 regions cost 1 MB here (the widget adds at most one byte per pixel).
//
// Events: RegionHydrationStarted -> hydrating; RegionHydrated -> hydrated (c = 0) or written by
// the user (c = 1: a user write hydrated it); RegionsDiscarded -> discarded; CloneSourceError
// puts the run being copied back to unhydrated and records the error; HydrationEnabled records
// whether background hydration runs, HydrationStopped that it stopped on an error.
// Thread: GUI thread only.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "core/engine/engine.h"
#include "core/events/event.h"
#include "ui/widgets/RegionMapWidget.h"

namespace loopsnap::ui {

struct SourceErrorNote {
    uint64_t region = 0;
    uint64_t code = 0;          // ErrorCode
    int64_t timeNs = 0;
};

class RegionStateMap {
public:
    void setSource(uint32_t source) { source_ = source; }
    uint32_t source() const { return source_; }
    // A fresh map (resync): states from the engine's CloneRegionMap.
    // Events stamped before `sampledAtNs` (when the map was read) are already in it: ignored.
    void reset(const CloneRegionMap& map, uint64_t deviceBytes, int64_t sampledAtNs = 0);
    void apply(std::span<const Event> events);

    std::span<const uint8_t> states() const { return states_; }
    uint64_t regions() const { return states_.size(); }
    uint64_t regionBytes() const { return regionBytes_; }
    uint64_t deviceBytes() const { return deviceBytes_; }
    uint64_t count(RegionCategory c) const { return counts_[size_t(c)]; }
    // Hydrated in dm-clone's sense: hydrated, written by the user or discarded.
    uint64_t doneRegions() const;
    uint64_t doneBytes() const;
    // Bytes hydrated by background copies / by user writes since the map was reset.
    uint64_t hydratedBytesTotal() const { return hydratedBytes_; }
    uint64_t foregroundBytesTotal() const { return foregroundBytes_; }
    std::optional<SourceErrorNote> lastSourceError() const { return sourceError_; }
    std::optional<bool> hydrationEnabled() const { return enabled_; }
    // Background hydration stopped on an error (HydrationStopped) and was not enabled again.
    bool hydrationStoppedOnError() const { return stoppedOnError_; }

    std::vector<std::pair<uint64_t, uint64_t>> takeChanges();   // (first, count)
    size_t memoryBytes() const { return states_.capacity(); }

private:
    void setRange(uint64_t first, uint64_t count, RegionCategory category);
    uint64_t bytesOf(uint64_t first, uint64_t count) const;

    uint32_t source_ = UINT32_MAX;
    int64_t ignoreBeforeNs_ = 0;
    std::vector<uint8_t> states_;
    std::array<uint64_t, kRegionCategoryCount> counts_{};
    uint64_t regionBytes_ = 0, deviceBytes_ = 0;
    uint64_t hydratedBytes_ = 0, foregroundBytes_ = 0;
    std::vector<std::pair<uint64_t, uint64_t>> inFlight_;   // runs being copied
    std::vector<std::pair<uint64_t, uint64_t>> changes_;
    std::optional<SourceErrorNote> sourceError_;
    std::optional<bool> enabled_;
    bool stoppedOnError_ = false;
};

// RateMeter: a smoothed rate (exponential, time constant tau) of a growing byte counter,
// sampled once per frame.
class RateMeter {
public:
    explicit RateMeter(double tauSeconds = 2.0) : tau_(tauSeconds) {}
    void sample(uint64_t total, int64_t nowNs);
    double rate() const { return rate_; }   // bytes per second
    // False until two samples a positive time apart exist: before that rate() means nothing
    // (the dashboard says "measuring…" instead of "0 B/s").
    bool ready() const { return ready_; }
    void reset() { started_ = false; ready_ = false; rate_ = 0; }

private:
    double tau_;
    bool started_ = false, ready_ = false;
    uint64_t last_ = 0;
    int64_t lastNs_ = 0;
    double rate_ = 0;
};

}  // namespace loopsnap::ui
