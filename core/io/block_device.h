// BlockDevice: the one small interface all engine I/O goes through.
//
// Implementations: FileDevice (core/posix), MemoryDevice, VolatileCacheDevice (a disk with a
// write cache, for crash tests), RecordingDevice (a write log, for the crash lab), FaultDevice
// (injects errors), and the engine's own views (origin, snapshot, clone) which are BlockDevices
// too, so the NBD server and the loop attach can serve any of them.
//
// Contract
// - Offsets and lengths are in bytes. Callers keep requests inside [0, size()); an out-of-range
//   request returns InvalidArgument and touches nothing.
// - Thread-safe: any number of threads may call concurrently. Concurrent requests to overlapping
//   ranges complete in an unspecified order (as on a real disk); callers that need ordering wait.
// - Durability: a completed write is visible to later reads at once but may be lost by a crash
//   until a later flush() completes, unless it was written with fua = true (Force Unit Access:
//   durable when the call returns). flush() makes every write that *completed* before the flush
//   was issued durable. On files, only fdatasync/fsync gives this (see FileDevice).
// - Errors are values; nothing here throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/util/result.h"

namespace loopsnap {

struct WriteFlags {
    bool fua = false;  // durable on return (REQ_FUA)
};

class BlockDevice {
public:
    virtual ~BlockDevice() = default;

    virtual uint64_t size() const = 0;
    virtual Status read(uint64_t offset, std::span<std::byte> out) = 0;
    virtual Status write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags = {}) = 0;
    virtual Status flush() = 0;
    // Write-behind (an optional fast path for non-FUA writes, e.g. NBD WRITE without FUA): may
    // return before the data reaches the device, but the data is visible to every read issued
    // after the return, and flush() covers it (waits for it and reports its failure, once).
    // `keep` holds `data` alive until then. Default: write().
    virtual Status writeBehind(uint64_t offset, std::span<const std::byte> data, std::shared_ptr<const void> keep) {
        (void)keep;
        return write(offset, data);
    }
    // Discard: the range's contents become unspecified. Default: nothing happens (allowed).
    virtual Status discard(uint64_t offset, uint64_t length);
    // Write zeroes; default writes a zero buffer in pieces.
    virtual Status writeZeroes(uint64_t offset, uint64_t length, WriteFlags flags = {});
    // Human-readable name for messages ("/var/lib/x.img", "memory", ...).
    virtual std::string describe() const = 0;

protected:
    // Helper for implementations: InvalidArgument if [offset, offset+length) leaves the device.
    Status checkRange(uint64_t offset, uint64_t length) const;
};

}  // namespace loopsnap
