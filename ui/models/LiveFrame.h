// LiveFrame: what a live view receives once per frame: the engine events drained from the ring
// since the previous frame (in ring order), the time of the frame, and how many events the
// ring dropped meanwhile (a view then resyncs from status: events are hints).
#pragma once

#include <cstdint>
#include <span>

#include "core/events/event.h"

namespace loopsnap::ui {

struct LiveFrame {
    std::span<const Event> events;
    int64_t nowNs = 0;      // steady clock, the same clock as Event::timeNs
    uint64_t dropped = 0;   // events lost since the previous frame
};

int64_t steadyNowNs();

}  // namespace loopsnap::ui
