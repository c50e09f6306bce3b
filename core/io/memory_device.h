// MemoryDevice: a device in RAM. Every write is durable at once (no cache); tests use it as the
// "stable media" under a VolatileCacheDevice, or alone where durability is not the question.
#pragma once

#include <mutex>
#include <shared_mutex>
#include <vector>

#include "core/io/block_device.h"

namespace loopsnap {

class MemoryDevice final : public BlockDevice {
public:
    explicit MemoryDevice(uint64_t size, std::string name = "memory");
    explicit MemoryDevice(std::vector<std::byte> contents, std::string name = "memory");

    uint64_t size() const override { return size_; }
    Status read(uint64_t offset, std::span<std::byte> out) override;
    Status write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags = {}) override;
    Status flush() override { return {}; }
    std::string describe() const override { return name_; }

    // A copy of the whole contents (thread-safe).
    std::vector<std::byte> contents() const;

private:
    uint64_t size_;
    std::string name_;
    mutable std::shared_mutex mutex_;
    std::vector<std::byte> data_;
};

}  // namespace loopsnap
