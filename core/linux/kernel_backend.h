// KernelBackend: the Backend seam (core/backend/backend.h) over the kernel's own targets
// (kernel_devices.h): snapshot-origin, snapshot, snapshot-merge and clone devices in /dev/mapper
// over loop devices of the project's files. Needs root (CAP_SYS_ADMIN) and device-mapper.
//
// Names: the backend knows paths, not ids, so a device is named after its path:
// loopsnap-<workspace>-<role>-<12 hex digits of FNV-1a of the canonical path>. Devices outlive
// the process (they are the kernel's); a new KernelBackend over the same workspace finds them
// again by name, so originOpen/cloneOpen answer for devices another process brought up.
//
// Snapshot stores are the kernel's format, created and inspected by snapshot_files.h exactly as
// the userspace engine does (sidecar, origin record, merge marks included), so a store moves
// between the backends. Clone metadata is the kernel's own (dm-clone's persistent-data format,
// formatted by the kernel on first activation); the source, destination and region size, which
// the kernel keeps in its table, are kept beside it in "<meta>.loopsnap-kernel" (key=value).
//
// Long operations:
// - merge: the kernel merges by itself once snapshot-merge is loaded. run() watches status and
//   dm events and, once the store is empty, swaps snapshot-origin back in and clears the marks.
//   pause() suspends the origin (the kernel stops between batches; origin I/O waits too),
//   resume() resumes it. stop() ends run() with Stopped but the kernel goes on merging (it
//   cannot be stopped without taking the origin away): a later beginMerge watches it again,
//   closeOrigin interrupts it and openOrigin resumes it.
// - hydration: enable_hydration, then watch; stop() and pause() send disable_hydration.
// Optional capabilities (trace, layout, region map) are Unsupported: the kernel does not show them.
//
// Threads: every method may be called from any thread; mutex_ guards only the context.
#pragma once

#include <memory>
#include <string>

#include "core/backend/backend.h"

namespace loopsnap {

// `workspaceId`: [A-Za-z0-9_.+]; "" = derived from the workspace folder ($LOOPSNAP_WORKSPACE,
// else the user's data folder).
std::unique_ptr<Backend> makeKernelBackend(BackendContext context, std::string workspaceId = "");

// The dm name the backend uses for a path ("origin", "snap" or "clone").
Result<std::string> kernelDeviceName(const std::string& workspaceId, const std::string& role, const std::string& path);

}  // namespace loopsnap
