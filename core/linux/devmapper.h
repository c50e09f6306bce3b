// Device-mapper through libdevmapper (dm_task_*): create, load, suspend, resume, remove, status,
// table, messages, listing and event waits. No dmsetup, no command lines.
//
// Tables are built from typed values (tables below), never from user strings: device paths are
// checked to be absolute paths without whitespace before they enter a table line.
//
// udev: every task that creates, renames or removes a node carries a libdevmapper cookie and
// waits for udev (dm_udev_wait) where udev runs; with DM_DISABLE_UDEV=1 or no udev (the test VM)
// libdevmapper creates and removes the /dev/mapper nodes itself.
//
// Errors: a failed task becomes an Error whose code follows the ioctl's errno (EBUSY -> Busy,
// ENXIO/ENODEV -> NotFound, EINVAL -> InvalidArgument, else IOError), subject the device name,
// and message libdevmapper's own last error line (captured from its log callback).
//
// Threads: libdevmapper keeps process-global state (its control fd, the log callback), so every
// task runs under one process-wide mutex; callers may call any function from any thread.
// waitForEvent does not hold that mutex while it sleeps (it polls its own /dev/mapper/control).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clone/clone.h"
#include "core/snapshot/snapshot.h"
#include "core/util/result.h"

namespace loopsnap::dm {

// One line of a table (or of a status/table reply): sectors, target type, its parameters.
struct TableLine {
    uint64_t startSector = 0;
    uint64_t lengthSectors = 0;
    std::string type;
    std::string params;
};

struct DeviceInfo {
    std::string name;
    std::string uuid;
    bool suspended = false;
    bool readOnly = false;
    bool liveTable = false;
    bool inactiveTable = false;
    int32_t openCount = 0;
    uint32_t eventNr = 0;
    uint32_t major = 0, minor = 0;
    int32_t targetCount = 0;
    std::string path() const { return "/dev/mapper/" + name; }
};

// Unsupported (with the reason) when the kernel has no device-mapper or /dev/mapper/control
// cannot be opened (needs root).
Status checkSupport();
// "4.47.0" (the dm ioctl interface version).
Result<std::string> driverVersion();
// Version of a loaded target type ("1.16.0"), NotFound when the kernel does not have it loaded.
Result<std::string> targetVersion(std::string_view targetType);

// Names and uuids of the devices this project makes: "loopsnap-<workspace>-<role>-<id>" and
// "LOOPSNAP-<workspace>-<role>-<id>". Each part is [A-Za-z0-9_.+] (no '-': the separator) and
// the whole name stays below the kernel's 128 bytes; anything else is InvalidArgument.
constexpr std::string_view kNamePrefix = "loopsnap-";
constexpr std::string_view kUuidPrefix = "LOOPSNAP-";
Result<std::string> deviceName(std::string_view workspaceId, std::string_view role, std::string_view objectId);
std::string uuidForName(std::string_view name);  // "LOOPSNAP-" + name without "loopsnap-"

struct CreateOptions {
    bool readOnly = false;
};
// Creates the device, loads `table` and resumes it. Busy if the name exists. On a failed load
// the half-made device is removed again.
Status createDevice(const std::string& name, const std::string& uuid, const std::vector<TableLine>& table,
                    CreateOptions options = {});
// Loads `table` into the inactive slot; the live table is untouched until resume.
Status loadTable(const std::string& name, const std::vector<TableLine>& table);
Status clearInactiveTable(const std::string& name);
// Waits for I/O in flight (flushing it, unless noFlush), then holds new I/O.
Status suspendDevice(const std::string& name, bool noFlush = false);
Status resumeDevice(const std::string& name);
// Busy while the device is open (mounted, held by another table or process).
Status removeDevice(const std::string& name);

Result<DeviceInfo> deviceInfo(const std::string& name);  // NotFound if there is no such device
bool deviceExists(const std::string& name);
Result<std::vector<TableLine>> deviceStatus(const std::string& name);  // params = the status text
Result<std::vector<TableLine>> deviceTable(const std::string& name);   // params = the table text
// Sends `message` to the target at sector 0; returns the target's reply ("" for most).
Result<std::string> sendMessage(const std::string& name, const std::string& message);
// Every dm device whose name starts with `prefix`, sorted.
Result<std::vector<std::string>> listDevices(std::string_view prefix = kNamePrefix);

// Blocks until the device's event counter differs from `seenEventNr` or the timeout passes;
// returns the current counter (equal to seenEventNr on timeout). Targets raise events on state
// changes: a snapshot invalidated or overflowing, a merge finishing, a clone fully hydrated or
// failing. NotFound if the device goes away.
Result<uint32_t> waitForEvent(const std::string& name, uint32_t seenEventNr, std::chrono::milliseconds timeout);

// ---- tables (typed) -------------------------------------------------------------------------
// The block device paths must be absolute and contain no whitespace (InvalidArgument otherwise).
Result<TableLine> snapshotOriginTable(const std::string& originDevice, uint64_t sectors);
Result<TableLine> snapshotTable(const std::string& originDevice, const std::string& cowDevice, StoreType type,
                                uint32_t chunkSectors, uint64_t sectors);
// snapshot-merge takes the persistent stores only (P or PO).
Result<TableLine> snapshotMergeTable(const std::string& originDevice, const std::string& cowDevice, StoreType type,
                                     uint32_t chunkSectors, uint64_t sectors);
struct CloneTableOptions {
    uint32_t regionSectors = 128;  // 64 KiB
    bool hydration = false;        // background hydration at start (else feature no_hydration)
    bool discardPassdown = true;
    uint32_t hydrationThreshold = 1;
    uint32_t hydrationBatchSize = 1;
};
Result<TableLine> cloneTable(const std::string& metadataDevice, const std::string& destinationDevice,
                             const std::string& sourceDevice, uint64_t sectors, const CloneTableOptions& options);

// ---- status lines ---------------------------------------------------------------------------
// "<alloc>/<total> <meta>", "Invalid", "Overflow", "Merge failed" (snapshot and snapshot-merge);
// chunkSectors comes from the table. exceptions = data chunks in use = (alloc - meta) / chunk.
Result<SnapshotStatus> parseSnapshotStatus(std::string_view line, uint32_t chunkSectors);
// "<meta block sectors> <used>/<total> <region sectors> <hydrated>/<total> <hydrating>
//  <#features> <features>* <#core args> <core args>* <rw|ro>", or "Fail".
Result<CloneStatus> parseCloneStatus(std::string_view line);

}  // namespace loopsnap::dm
