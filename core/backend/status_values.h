// The engine's status structs as the facade's values: one place that turns a SnapshotStatus or a
// CloneStatus (core/snapshot, core/clone; the kernel backend parses its dm status lines into the
// same structs) into the fields of SnapshotInfo / CloneInfo (types.h). Every backend and the
// device resolver fill their values through these, so a state or a status line reads the same
// whichever of them reported it.
#pragma once

#include "core/backend/types.h"

namespace loopsnap {

enum class SnapshotState;  // core/snapshot/snapshot.h
struct SnapshotStatus;
struct CloneStatus;        // core/clone/clone.h

DeviceState deviceStateOf(SnapshotState state) noexcept;

// state, status (the kernel's line), the sector counts, exceptions, and chunkBytes when the
// status knows the chunk size (a transient store read back has none: chunkBytes stays).
void fillSnapshotStatus(SnapshotInfo& info, const SnapshotStatus& status);

// status, state (failed, hydrated once every region is, else hydrating), region size and counts,
// and the hydration settings. sizeBytes is the caller's (the status does not carry it).
void fillCloneStatus(CloneInfo& info, const CloneStatus& status);

}  // namespace loopsnap
