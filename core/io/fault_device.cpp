#include "core/io/fault_device.h"

namespace loopsnap {

void FaultDevice::setRule(Rule rule) {
    std::lock_guard lock(mutex_);
    rule_ = std::move(rule);
}

void FaultDevice::failAll(bool on) {
    std::lock_guard lock(mutex_);
    failAll_ = on;
}

bool FaultDevice::shouldFail(Op op, uint64_t offset, uint64_t length) {
    std::lock_guard lock(mutex_);
    uint64_t index = counts_[int(op)]++;
    if (failAll_) return true;
    return rule_ && rule_(op, index, offset, length);
}

Status FaultDevice::read(uint64_t offset, std::span<std::byte> out) {
    if (shouldFail(Op::Read, offset, out.size()))
        return makeError(ErrorCode::IOError, "injected read error on " + inner_->describe());
    return inner_->read(offset, out);
}

Status FaultDevice::write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags) {
    if (shouldFail(Op::Write, offset, data.size()))
        return makeError(ErrorCode::IOError, "injected write error on " + inner_->describe());
    return inner_->write(offset, data, flags);
}

Status FaultDevice::flush() {
    if (shouldFail(Op::Flush, 0, 0)) return makeError(ErrorCode::IOError, "injected flush error on " + inner_->describe());
    return inner_->flush();
}

}  // namespace loopsnap
