// DeviceState: one state enum for every device a workspace lists (see core/backend/types.h for
// what each kind of device uses). Here, below everything, so that the devices themselves can
// name it in their StateChanged events (core/events/event.h).
#pragma once

#include <cstdint>

namespace loopsnap {

enum class DeviceState : uint8_t { Valid, Invalid, Overflow, Merging, MergeFailed, Hydrating, Hydrated, Failed, Missing };

}  // namespace loopsnap
