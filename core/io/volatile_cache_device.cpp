#include "core/io/volatile_cache_device.h"

#include <algorithm>
#include <cstring>

namespace loopsnap {

VolatileCacheDevice::VolatileCacheDevice(std::shared_ptr<BlockDevice> stable) : stable_(std::move(stable)) {}

Status VolatileCacheDevice::read(uint64_t offset, std::span<std::byte> out) {
    LS_TRY(checkRange(offset, out.size()));
    std::lock_guard lock(mutex_);
    LS_TRY(stable_->read(offset, out));
    // Overlay cached writes in issue order so the newest wins.
    for (const Pending& p : cache_) {
        uint64_t b = std::max(offset, p.offset);
        uint64_t e = std::min(offset + out.size(), p.offset + p.data.size());
        if (b < e) std::memcpy(out.data() + (b - offset), p.data.data() + (b - p.offset), e - b);
    }
    return {};
}

Status VolatileCacheDevice::write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags) {
    LS_TRY(checkRange(offset, data.size()));
    std::lock_guard lock(mutex_);
    if (flags.fua) {
        // FUA: this write is on stable media when we return. Older cached writes to the same
        // range must not resurface over it at destage time, so trim them.
        LS_TRY(stable_->write(offset, data, flags));
        for (Pending& p : cache_) {
            uint64_t b = std::max(offset, p.offset);
            uint64_t e = std::min(offset + data.size(), p.offset + p.data.size());
            if (b < e) std::memcpy(p.data.data() + (b - p.offset), data.data() + (b - offset), e - b);
        }
        return {};
    }
    cache_.push_back(Pending{offset, std::vector<std::byte>(data.begin(), data.end())});
    return {};
}

Status VolatileCacheDevice::flush() {
    std::lock_guard lock(mutex_);
    for (const Pending& p : cache_) LS_TRY(stable_->write(p.offset, p.data));
    cache_.clear();
    return stable_->flush();
}

Status VolatileCacheDevice::crash(CrashMode mode, uint64_t seed) {
    std::lock_guard lock(mutex_);
    if (mode == CrashMode::RandomSubset) {
        std::mt19937_64 rng(seed);
        for (const Pending& p : cache_)
            if (rng() & 1) LS_TRY(stable_->write(p.offset, p.data));
    }
    cache_.clear();
    return {};
}

size_t VolatileCacheDevice::cachedWrites() const {
    std::lock_guard lock(mutex_);
    return cache_.size();
}

}  // namespace loopsnap
