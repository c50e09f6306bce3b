#include "core/io/recording_device.h"

namespace loopsnap {

uint32_t WriteLog::addDevice(std::string name, std::vector<std::byte> initial) {
    std::lock_guard lock(mutex_);
    devices_.push_back(DeviceInfo{std::move(name), std::move(initial)});
    return uint32_t(devices_.size() - 1);
}

void WriteLog::append(LogEntry entry) {
    std::lock_guard lock(mutex_);
    entries_.push_back(std::move(entry));
}

uint64_t WriteLog::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

Result<std::shared_ptr<RecordingDevice>> RecordingDevice::create(std::shared_ptr<BlockDevice> inner,
                                                                 std::shared_ptr<WriteLog> log, std::string name) {
    std::vector<std::byte> initial(inner->size());
    LS_TRY(inner->read(0, initial));
    uint32_t index = log->addDevice(std::move(name), std::move(initial));
    return std::shared_ptr<RecordingDevice>(new RecordingDevice(std::move(inner), std::move(log), index));
}

Status RecordingDevice::write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags) {
    LS_TRY(inner_->write(offset, data, flags));
    LogEntry e;
    e.kind = LogEntry::Kind::Write;
    e.device = index_;
    e.fua = flags.fua;
    e.offset = offset;
    e.data.assign(data.begin(), data.end());
    log_->append(std::move(e));
    return {};
}

Status RecordingDevice::flush() {
    uint64_t covers = log_->size();
    LS_TRY(inner_->flush());
    LogEntry e;
    e.kind = LogEntry::Kind::Flush;
    e.device = index_;
    e.coversUpTo = covers;
    log_->append(std::move(e));
    return {};
}

Status RecordingDevice::discard(uint64_t offset, uint64_t length) {
    LS_TRY(inner_->discard(offset, length));
    LogEntry e;
    e.kind = LogEntry::Kind::Discard;
    e.device = index_;
    e.offset = offset;
    e.length = length;
    log_->append(std::move(e));
    return {};
}

}  // namespace loopsnap
