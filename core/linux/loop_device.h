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

#include "core/util/result.h"

namespace loopsnap {

struct LoopAttachOptions {
    bool readOnly = false;
    uint32_t blockSize = 0;  // logical block size; 0 = the kernel's default (512)
};

// Unsupported (with the reason) when /dev/loop-control is missing or cannot be opened.
Status checkLoopSupport();

// Binds `backingPath` to a free loop device; returns its path ("/dev/loop3").
Result<std::string> attachLoopDevice(const std::string& backingPath, const LoopAttachOptions& options = {});

// Busy if the device is mounted or open exclusively; NotFound if it has no backing file.
Status detachLoopDevice(const std::string& devicePath, int waitMillis = 5000);

// The backing file the kernel reports for /dev/loopN (sysfs), or NotFound if unbound.
Result<std::string> loopBackingFile(const std::string& devicePath);

}  // namespace loopsnap
