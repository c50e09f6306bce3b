// Device specs: the text a user gives `serve --export NAME=SPEC` and `attach --export-spec SPEC`
// to name a device, and the resolver that opens it through the engine.
//
//   origin:ORIGIN[:COW...]   the origin; writes copy-on-write into every listed snapshot
//   snapshot:ORIGIN:COW      the snapshot on COW (its view: exceptions from COW, rest from ORIGIN)
//   clone:META               a clone (hydrates in the background while served)
//   file:PATH                a plain image file or block device, no engine in between
//
// Paths cannot contain ':'. Several specs naming the same ORIGIN are opened together (one Origin
// with the union of their COW stores attached), because a store can only be opened read-write
// once and because every snapshot of an origin must see the origin's writes: serving
// `origin:O:C1` next to `snapshot:O:C2` therefore copies origin writes into C1 *and* C2.
//
// Threading: the resolver functions are called from one thread; the devices they return follow
// the BlockDevice contract (thread-safe).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/concurrency/executor.h"
#include "core/events/listener.h"
#include "core/io/block_device.h"
#include "core/snapshot/snapshot.h"
#include "core/util/result.h"

namespace loopsnap {

enum class DeviceSpecKind { Origin, Snapshot, Clone, File };
const char* deviceSpecKindName(DeviceSpecKind kind);  // "origin", "snapshot", "clone", "file"

struct DeviceSpec {
    DeviceSpecKind kind = DeviceSpecKind::File;
    std::string path;                  // ORIGIN, META or PATH
    std::vector<std::string> cowPaths; // origin: zero or more; snapshot: exactly one
};

// Syntax only (no file is touched). InvalidArgument with a message that shows the grammar.
Result<DeviceSpec> parseDeviceSpec(std::string_view text);
// "NAME=SPEC" of `serve --export`. NAME is 1..4096 bytes without '='.
Result<std::pair<std::string, DeviceSpec>> parseExportArgument(std::string_view text);

struct DeviceSpecOptions {
    std::shared_ptr<EventSink> events;      // engine events of origins/snapshots go here
    std::shared_ptr<Executor> executor;     // copy workers (default: the engine's own pool)
    bool readOnly = false;                  // open file: specs read-only; mark every device read-only
    bool legacyCompletionOrder = false;
};

struct ServedDevice {
    std::string spec;                       // as given
    DeviceSpecKind kind = DeviceSpecKind::File;
    std::shared_ptr<BlockDevice> device;    // what to serve
    bool readOnly = false;
    std::shared_ptr<Origin> origin;         // origin and snapshot specs
    std::shared_ptr<Snapshot> snapshot;     // snapshot specs: the served snapshot
    std::vector<std::shared_ptr<Snapshot>> snapshots;  // origin specs: the listed snapshots
    std::shared_ptr<class Clone> clone;     // clone specs

    // The snapshots whose status belongs to this device (origin: the listed ones; snapshot: it).
    std::vector<std::shared_ptr<Snapshot>> relatedSnapshots() const;
};

Result<ServedDevice> openDeviceSpec(std::string spec, const DeviceSpecOptions& options = {});
// Opens several specs at once, sharing one Origin per origin path (see above). Either all open
// or none stays open.
Result<std::vector<ServedDevice>> openDeviceSpecs(const std::vector<std::string>& specs,
                                                  const DeviceSpecOptions& options = {});

}  // namespace loopsnap
