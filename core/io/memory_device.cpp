#include "core/io/memory_device.h"

#include <cstring>

namespace loopsnap {

MemoryDevice::MemoryDevice(uint64_t size, std::string name) : size_(size), name_(std::move(name)), data_(size) {}
MemoryDevice::MemoryDevice(std::vector<std::byte> contents, std::string name)
    : size_(contents.size()), name_(std::move(name)), data_(std::move(contents)) {}

Status MemoryDevice::read(uint64_t offset, std::span<std::byte> out) {
    LS_TRY(checkRange(offset, out.size()));
    std::shared_lock lock(mutex_);
    if (!out.empty()) std::memcpy(out.data(), data_.data() + offset, out.size());
    return {};
}

Status MemoryDevice::write(uint64_t offset, std::span<const std::byte> data, WriteFlags) {
    LS_TRY(checkRange(offset, data.size()));
    std::unique_lock lock(mutex_);
    if (!data.empty()) std::memcpy(data_.data() + offset, data.data(), data.size());
    return {};
}

std::vector<std::byte> MemoryDevice::contents() const {
    std::shared_lock lock(mutex_);
    return data_;
}

}  // namespace loopsnap
