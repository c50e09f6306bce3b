// Loop devices (Linux): bind a file to /dev/loopN and undo it.
//
// attachLoopDevice asks /dev/loop-control for a free device (LOOP_CTL_GET_FREE), binds the file
// with LOOP_CONFIGURE (one atomic ioctl, Linux >= 5.8) or, on older kernels, LOOP_SET_FD +
// LOOP_SET_STATUS64, and retries when another process grabbed the same device first.
// detachLoopDevice refuses a device that is in use (mounted or held open exclusively): it opens
// it with O_EXCL, syncs it, issues LOOP_CLR_FD and waits until the kernel has let go of the
// backing file. Root (CAP_SYS_ADMIN) is needed for both.
//
// Threading: plain functions without shared state; callers serialise work on one device.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/util/result.h"

namespace loopsnap {

struct LoopAttachOptions {
    bool readOnly = false;
    uint32_t blockSize = 0;  // logical block size; 0 = the kernel's default (512)
    // Ask for direct I/O (no second page cache between the loop device and the file). The kernel
    // grants it only where the file allows (a filesystem with O_DIRECT and a block size no larger
    // than the loop device's); elsewhere the device works buffered: loopDeviceInfo says which.
    bool directIo = false;
    // Detach by itself when the last opener closes (a dm table holding it counts as an opener),
    // so a crashed process leaves no bound loop device behind once its dm devices are gone.
    bool autoclear = false;
};

struct LoopDeviceInfo {
    std::string device;       // /dev/loopN
    std::string backingFile;  // as the kernel reports it
    uint64_t sizeBytes = 0;
    bool readOnly = false;
    bool directIo = false;
    bool autoclear = false;
};

// Unsupported (with the reason) when /dev/loop-control is missing or cannot be opened.
Status checkLoopSupport();

// Binds `backingPath` to a free loop device; returns its path ("/dev/loop3").
Result<std::string> attachLoopDevice(const std::string& backingPath, const LoopAttachOptions& options = {});

// A bound loop device kept open by this object: with autoclear, the kernel detaches the device
// when its last opener closes, so the caller holds it until something else (a dm table) has
// opened it. Move-only; closing is the destructor's.
class HeldLoopDevice {
public:
    HeldLoopDevice() = default;
    HeldLoopDevice(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
    HeldLoopDevice(HeldLoopDevice&& other) noexcept : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}
    HeldLoopDevice& operator=(HeldLoopDevice&& other) noexcept;
    HeldLoopDevice(const HeldLoopDevice&) = delete;
    HeldLoopDevice& operator=(const HeldLoopDevice&) = delete;
    ~HeldLoopDevice();
    const std::string& path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
};

// As attachLoopDevice, returning the device still open.
Result<HeldLoopDevice> attachHeldLoopDevice(const std::string& backingPath, const LoopAttachOptions& options = {});
// Opens an already bound device, to keep an autoclear device alive across a table swap.
Result<HeldLoopDevice> holdLoopDevice(const std::string& devicePath);

// Busy if the device is mounted or open exclusively; NotFound if it has no backing file.
Status detachLoopDevice(const std::string& devicePath, int waitMillis = 5000);

// The backing file the kernel reports for /dev/loopN (sysfs), or NotFound if unbound.
Result<std::string> loopBackingFile(const std::string& devicePath);

// Flags and size of a bound loop device (LOOP_GET_STATUS64, BLKGETSIZE64); NotFound if unbound.
Result<LoopDeviceInfo> loopDeviceInfo(const std::string& devicePath);

// Every loop device bound to `path` (compared by device and inode, so any spelling of the path
// matches), sorted; empty when none.
std::vector<std::string> loopDevicesBackedBy(const std::string& path);

}  // namespace loopsnap
