#include "ui/models/RegionStateMap.h"

#include <algorithm>
#include <cmath>

namespace loopsnap::ui {

void RegionStateMap::reset(const CloneRegionMap& map, uint64_t deviceBytes, int64_t sampledAtNs) {
    ignoreBeforeNs_ = sampledAtNs;
    regionBytes_ = map.regionBytes;
    deviceBytes_ = deviceBytes ? deviceBytes : map.regionBytes * map.regions.size();
    source_ = map.eventSource;
    states_ = map.regions;
    counts_.fill(0);
    for (uint8_t& s : states_) {
        if (s >= kRegionCategoryCount) s = uint8_t(RegionCategory::Unhydrated);
        ++counts_[s];
    }
    inFlight_.clear();
    changes_.clear();
    changes_.emplace_back(0, states_.size());
}

uint64_t RegionStateMap::doneRegions() const {
    return count(RegionCategory::Hydrated) + count(RegionCategory::WrittenByUser) + count(RegionCategory::Discarded);
}

uint64_t RegionStateMap::bytesOf(uint64_t first, uint64_t count) const {
    const uint64_t b = first * regionBytes_, e = std::min(deviceBytes_, (first + count) * regionBytes_);
    return e > b ? e - b : 0;
}

uint64_t RegionStateMap::doneBytes() const {
    if (states_.empty()) return 0;
    uint64_t bytes = doneRegions() * regionBytes_;
    const uint64_t shortBy = regionBytes_ * states_.size() - deviceBytes_;  // the last region may be short
    const auto last = RegionCategory(states_.back());
    if (last != RegionCategory::Unhydrated && last != RegionCategory::Hydrating) bytes -= shortBy;
    return bytes;
}

void RegionStateMap::setRange(uint64_t first, uint64_t count, RegionCategory category) {
    if (first >= states_.size()) return;
    count = std::min<uint64_t>(count, states_.size() - first);
    const uint8_t v = uint8_t(category);
    for (uint64_t r = first; r < first + count; ++r) {
        uint8_t& s = states_[r];
        if (s == v) continue;
        --counts_[s];
        ++counts_[v];
        s = v;
    }
    if (!changes_.empty() && changes_.back().first + changes_.back().second == first)
        changes_.back().second += count;
    else
        changes_.emplace_back(first, count);
}

void RegionStateMap::apply(std::span<const Event> events) {
    for (const Event& e : events) {
        if (e.source != source_ || e.timeNs < ignoreBeforeNs_) continue;
        switch (e.kind) {
        case EventKind::RegionHydrationStarted:
            setRange(e.a, e.b, RegionCategory::Hydrating);
            inFlight_.emplace_back(e.a, e.b);
            break;
        case EventKind::RegionHydrated:
            setRange(e.a, e.b, e.c ? RegionCategory::WrittenByUser : RegionCategory::Hydrated);
            (e.c ? foregroundBytes_ : hydratedBytes_) += bytesOf(e.a, e.b);
            std::erase_if(inFlight_, [&](auto& run) { return run.first == e.a; });
            break;
        case EventKind::RegionsDiscarded: setRange(e.a, e.b, RegionCategory::Discarded); break;
        case EventKind::CloneSourceError: {
            sourceError_ = SourceErrorNote{e.a, e.b, e.timeNs};
            auto it = std::find_if(inFlight_.begin(), inFlight_.end(),
                                   [&](auto& run) { return e.a >= run.first && e.a < run.first + run.second; });
            if (it != inFlight_.end()) {
                setRange(it->first, it->second, RegionCategory::Unhydrated);
                inFlight_.erase(it);
            }
            break;
        }
        case EventKind::HydrationEnabled:
            enabled_ = e.a != 0;
            if (e.a) stoppedOnError_ = false;
            break;
        case EventKind::HydrationStopped:
            stoppedOnError_ = true;
            enabled_ = false;
            break;
        default: break;
        }
    }
}

std::vector<std::pair<uint64_t, uint64_t>> RegionStateMap::takeChanges() {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    out.swap(changes_);
    return out;
}

void RateMeter::sample(uint64_t total, int64_t nowNs) {
    if (!started_) {
        started_ = true;
        last_ = total;
        lastNs_ = nowNs;
        return;
    }
    if (total < last_) {  // the counter restarted (the device was reopened): start over from here
        last_ = total;
        lastNs_ = nowNs;
        return;
    }
    const double dt = double(nowNs - lastNs_) * 1e-9;
    if (dt <= 0) return;
    const double instant = double(total - last_) / dt;
    const double alpha = 1.0 - std::exp(-dt / tau_);
    // The first interval sets the rate outright (an exponential start from 0 would read as a
    // slow start that never happened).
    rate_ = ready_ ? rate_ + alpha * (instant - rate_) : instant;
    ready_ = true;
    last_ = total;
    lastNs_ = nowNs;
}

}  // namespace loopsnap::ui
