// What is on a block device or image: filesystem type, label, UUID, partition table (libblkid),
// whether it is mounted read-write, and the machine's block devices (for the wizards).
//
// On Linux with libblkid the probe reads the superblocks itself (blkid_do_safeprobe; never a
// `blkid` child process). Elsewhere every call returns a result with `known == false` ("unknown"),
// so front ends show "unknown" rather than "nothing found".
//
// Threading: plain functions without shared state; each call opens, probes and closes. They read
// the device (a few KiB near the start and the end) and may block on I/O: a GUI calls them from a
// worker thread. Nothing is ever written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/util/result.h"

namespace loopsnap {

struct MountState {
    std::string mountPoint;
    bool readWrite = false;
    std::string via;          // the loop device an image file is mounted through ("" = directly)
};

struct BlockProbe {
    bool known = false;       // false: probing is not available here ("unknown")
    bool found = false;       // a filesystem, RAID member or partition table was recognised
    std::string type;         // "ext4", "xfs", "swap", ... ("" if none)
    std::string usage;        // "filesystem", "raid", "crypto", "other" ("" if none)
    std::string label;
    std::string uuid;
    std::string partitionTable;  // "gpt", "dos" ("" if none)
    uint64_t sizeBytes = 0;
    bool blockDevice = false;
    std::optional<MountState> mount;  // mounted somewhere (a file: through a loop device)
};

// NotFound (detail "missing") for a path that does not exist, IOError (detail "unreadable") for
// one that cannot be opened for reading. An ambiguous probe (two signatures) is `found` with
// type "ambiguous".
Result<BlockProbe> probeBlockContents(const std::string& path);

struct BlockDeviceEntry {
    std::string path;         // "/dev/sda1"
    uint64_t sizeBytes = 0;
    bool readOnly = false;
    std::string model;        // "" when sysfs has none (partitions, loop devices)
};
// The machine's block devices with a size (Linux: /sys/class/block); empty elsewhere.
std::vector<BlockDeviceEntry> listBlockDevices();

// Where `path` (a block device, or an image file attached to a loop device) is mounted.
std::optional<MountState> findMount(const std::string& path);

}  // namespace loopsnap
