// FaultDevice: wraps a device and fails chosen requests with IOError, for "an I/O error on the
// COW device" tests. Rules are checked under a lock; counters count every request of a kind.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

#include "core/io/block_device.h"

namespace loopsnap {

class FaultDevice final : public BlockDevice {
public:
    explicit FaultDevice(std::shared_ptr<BlockDevice> inner) : inner_(std::move(inner)) {}

    enum class Op { Read, Write, Flush };
    // Return true to fail the request. Called for every request; `index` counts requests of `op`.
    using Rule = std::function<bool(Op op, uint64_t index, uint64_t offset, uint64_t length)>;
    void setRule(Rule rule);
    void failAll(bool on);  // shorthand: fail everything from now on

    uint64_t size() const override { return inner_->size(); }
    Status read(uint64_t offset, std::span<std::byte> out) override;
    Status write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags = {}) override;
    Status flush() override;
    Status discard(uint64_t offset, uint64_t length) override { return inner_->discard(offset, length); }
    std::string describe() const override { return "fault(" + inner_->describe() + ")"; }

private:
    bool shouldFail(Op op, uint64_t offset, uint64_t length);
    std::shared_ptr<BlockDevice> inner_;
    std::mutex mutex_;
    Rule rule_;
    bool failAll_ = false;
    uint64_t counts_[3] = {0, 0, 0};
};

}  // namespace loopsnap
