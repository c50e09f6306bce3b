// LiveFrame: what a live view receives once per frame: the engine events drained from the ring
// since the previous frame (in ring order, followed by the ring's EventsDropped markers), the
// time of the frame, and how many events the ring dropped meanwhile, in total. Drops are per
// source (events v2): a view resyncs from status only when lostFor(its source) is not 0, so a
// burst on one device never makes the views of the others re-read theirs.
#pragma once

#include <cstdint>
#include <span>

#include "core/events/event.h"

namespace loopsnap::ui {

struct LiveFrame {
    std::span<const Event> events;
    int64_t nowNs = 0;      // steady clock, the same clock as Event::timeNs
    uint64_t dropped = 0;   // events lost since the previous frame, every source

    // Events of `source` lost since the previous frame (a marker for kAllSources counts for
    // every source: the ring could not tell whose they were). Markers follow the events, so
    // this scans only the tail of the frame.
    uint64_t lostFor(uint32_t source) const {
        if (!dropped) return 0;
        uint64_t lost = 0;
        for (auto it = events.rbegin(); it != events.rend() && it->kind == EventKind::EventsDropped; ++it)
            if (it->source == source || it->source == kAllSources) lost += it->drops().lost;
        return lost;
    }
};

int64_t steadyNowNs();

}  // namespace loopsnap::ui
