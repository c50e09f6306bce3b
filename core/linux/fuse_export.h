// FuseExport (Linux, libfuse3): mounts a tiny filesystem at a mountpoint that holds exactly one
// regular file, `<mountpoint>/<fileName>`, whose size is the device's size and whose reads,
// writes, fsync and fallocate go to a BlockDevice. A loop device bound to that file turns any
// engine device (origin, snapshot, clone) into a kernel block device that can be mounted.
//
// Mapping
// - read/write -> BlockDevice::read/write (the file cannot grow or shrink; writes past the end
//   get ENOSPC, truncate to another size EPERM). Files are opened with direct_io, so the kernel
//   keeps no page cache of its own for this file: every read comes from the device.
// - fsync / fdatasync -> BlockDevice::flush (the loop device turns a flush/FUA of the block device
//   into an fsync of the file); a write on a file opened O_SYNC/O_DSYNC is a FUA write.
// - fallocate PUNCH_HOLE / ZERO_RANGE -> writeZeroes (what the loop device does for discard and
//   write-zeroes; a punched range must read back as zeroes).
// - release (last close) -> flush, so nothing a closing user wrote stays volatile.
// - Read-only exports refuse opens for writing with EROFS.
//
// Threading contract: libfuse runs the requests on its own worker threads (fuse_loop_mt), several
// at a time, so the device must be thread-safe (the BlockDevice contract). start()/stop() are
// called from one controlling thread; stop() unmounts, waits for the FUSE threads to end (which
// happens once the kernel drops the last reference to the file: detach the loop device first),
// then flushes the device.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "core/io/block_device.h"
#include "core/util/result.h"

struct fuse;

namespace loopsnap {

struct FuseExportOptions {
    std::string fileName = "device";
    bool readOnly = false;
};

class FuseExport {
public:
    // Unsupported (with the reason) when /dev/fuse is missing or cannot be opened.
    static Status checkSupport();
    // Mounts at `mountpoint` (an existing empty directory) and starts serving.
    static Result<std::unique_ptr<FuseExport>> start(std::shared_ptr<BlockDevice> device, const std::string& mountpoint,
                                                     FuseExportOptions options = {});
    ~FuseExport();

    const std::string& filePath() const { return filePath_; }
    const std::string& mountpoint() const { return mountpoint_; }
    BlockDevice& device() { return *device_; }
    bool readOnly() const { return options_.readOnly; }
    const std::string& fileName() const { return options_.fileName; }

    // Unmounts (lazily), joins the FUSE threads and flushes the device. Idempotent.
    Status stop();

private:
    FuseExport() = default;
    std::shared_ptr<BlockDevice> device_;
    FuseExportOptions options_;
    std::string mountpoint_, filePath_;
    struct fuse* fuse_ = nullptr;
    std::thread loop_;
    bool stopped_ = false;
};

}  // namespace loopsnap
