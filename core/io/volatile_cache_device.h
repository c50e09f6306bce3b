// VolatileCacheDevice: a disk with a volatile write cache, the crash model of the test suite.
//
// Writes are readable at once, but a simulated crash keeps only what reached stable media:
// writes made durable by a later completed flush(), and FUA writes. Writes still in the cache
// at the crash may each be kept or lost (a real cache destages in any order); crash() picks the
// subset with a seeded generator, or drops them all. The stable media is any BlockDevice
// (usually a MemoryDevice), so the crash image can be reopened as the next "boot".
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

#include "core/io/block_device.h"

namespace loopsnap {

class VolatileCacheDevice final : public BlockDevice {
public:
    explicit VolatileCacheDevice(std::shared_ptr<BlockDevice> stable);

    uint64_t size() const override { return stable_->size(); }
    Status read(uint64_t offset, std::span<std::byte> out) override;
    Status write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags = {}) override;
    Status flush() override;
    std::string describe() const override { return "volatile-cache(" + stable_->describe() + ")"; }

    enum class CrashMode { DropAll, RandomSubset };
    // Simulate power loss: cached writes are lost (DropAll) or each kept with probability 1/2
    // (RandomSubset, in issue order). Afterwards the device holds only stable data.
    Status crash(CrashMode mode, uint64_t seed = 0);

    size_t cachedWrites() const;

private:
    struct Pending {
        uint64_t offset;
        std::vector<std::byte> data;
    };
    std::shared_ptr<BlockDevice> stable_;
    mutable std::mutex mutex_;
    std::vector<Pending> cache_;  // in issue order; later entries win on overlap
};

}  // namespace loopsnap
