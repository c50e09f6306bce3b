// Device resolution under the facade: turns what a user names on a command line - a device spec
// (core/export/device_spec.h: origin:ORIGIN[:COW...], snapshot:ORIGIN:COW, clone:META, file:PATH)
// or a workspace id - into an open device of the engine, for serve, attach and the one-shot
// commands (snapshot read/write, origin write, workload). Front ends never see the engine's
// objects (Origin, Snapshot, Clone): they get the I/O handle and status values.
//
// Userspace backend: the specs open through openDeviceSpecs with the engine's event sink, with
// exactly its semantics (several specs of one origin share one Origin; a read-only resolution
// formats no store and writes no origin record; a clone hydrates in the background while it is
// open). With ResolveOptions::record the opened stores are then added to the workspace. An id
// opens through Engine::device (the workspace's registry: an origin with every snapshot of it).
// Kernel backend: origin:, snapshot: and clone: specs are recorded in the workspace (as `add`
// does) and open through Engine::device, i.e. as the kernel's dm devices; file: opens the file.
//
// Threads: resolveDevices is called from one thread at a time per Engine; a ResolvedDevice's
// device follows the BlockDevice contract and its status calls may come from any thread.
// Lifetime: the devices stay open while a ResolvedDevice (or a copy) holds them; the last one
// destroyed closes them (final flush and commit, as the spec opener does).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/backend/types.h"
#include "core/export/device_spec.h"
#include "core/io/block_device.h"
#include "core/util/result.h"

namespace loopsnap {

class Engine;

struct ResolveOptions {
    bool readOnly = false;
    bool legacyCompletionOrder = false;  // DEMONSTRATION: see SnapshotOptions
    // Userspace: record what the specs open in the workspace (serve and attach: what a user
    // opens is remembered, cli-contract.md "Workspace"); the one-shot commands by path do not.
    // The kernel backend always records (its devices open through the registry).
    bool record = false;
};

struct ResolvedDevice {
    std::string spec;                  // as given (a spec, or "id:<workspace id>")
    DeviceSpecKind kind = DeviceSpecKind::File;
    std::shared_ptr<BlockDevice> device;
    bool readOnly = false;
    std::string deviceId;              // the workspace id when it opened through the registry
    // The snapshots whose status belongs to the device (origin: the listed ones; snapshot: it),
    // sampled now; cowPath, status, state and the counters are filled.
    std::function<std::vector<SnapshotInfo>()> snapshots;
    // Userspace-only trace of those snapshots (same order), for workload reports.
    std::function<std::vector<SnapshotTrace>()> traces;
    // The spec opener's record (userspace file specs): what the control socket reports. Null
    // for devices opened through the registry.
    std::shared_ptr<const ServedDevice> served;
};

// Resolves `specs` together (see above). Either all open or none stays open. Syntax errors are
// InvalidArgument with detail "bad-spec".
Result<std::vector<ResolvedDevice>> resolveDevices(Engine& engine, const std::vector<std::string>& specs,
                                                   const ResolveOptions& options = {});
// A workspace id (origin, snapshot or clone) as a ResolvedDevice.
Result<ResolvedDevice> resolveDeviceId(Engine& engine, const std::string& id, bool readOnly);

}  // namespace loopsnap
