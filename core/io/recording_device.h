// RecordingDevice + WriteLog: the idea of dm-log-writes. Every write, FUA write, discard and flush
// that reaches the wrapped device is appended, with its data, to a WriteLog shared by all the
// devices of one scenario (origin, COW stores, clone destination and metadata), so the log has one
// global order and a crash can be placed at any point of it across devices.
//
// Ordering model (what the crash lab relies on):
// - A write is logged when it *completes* (after the wrapped device accepted it).
// - A flush is logged when it completes, and covers the writes of its device that completed
//   before the flush was *issued* (`coversUpTo`): writes completing while a flush runs are not
//   covered, as on a real disk.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core/io/block_device.h"

namespace loopsnap {

struct LogEntry {
    enum class Kind : uint8_t { Write, Flush, Discard };
    Kind kind = Kind::Write;
    uint32_t device = 0;         // index given by WriteLog::addDevice
    bool fua = false;        // Write only
    uint64_t offset = 0;     // Write / Discard
    uint64_t length = 0;     // Discard
    uint64_t coversUpTo = 0; // Flush: entries with index < coversUpTo are covered (same device)
    std::vector<std::byte> data;  // Write
};

class WriteLog {
public:
    // Registers a device; `initial` is its contents when recording starts.
    uint32_t addDevice(std::string name, std::vector<std::byte> initial);

    void append(LogEntry entry);
    uint64_t size() const;  // number of entries so far

    struct DeviceInfo {
        std::string name;
        std::vector<std::byte> initial;
    };
    // Thread-unsafe accessors for analysis after the workload has stopped.
    const std::vector<LogEntry>& entries() const { return entries_; }
    const std::vector<DeviceInfo>& devices() const { return devices_; }

private:
    mutable std::mutex mutex_;
    std::vector<LogEntry> entries_;
    std::vector<DeviceInfo> devices_;
};

class RecordingDevice final : public BlockDevice {
public:
    // Registers `inner` with the log, reading its current contents as the initial image.
    static Result<std::shared_ptr<RecordingDevice>> create(std::shared_ptr<BlockDevice> inner,
                                                           std::shared_ptr<WriteLog> log, std::string name);

    uint64_t size() const override { return inner_->size(); }
    Status read(uint64_t offset, std::span<std::byte> out) override { return inner_->read(offset, out); }
    Status write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags = {}) override;
    Status flush() override;
    Status discard(uint64_t offset, uint64_t length) override;
    std::string describe() const override { return "recording(" + inner_->describe() + ")"; }
    uint32_t deviceIndex() const { return index_; }

private:
    RecordingDevice(std::shared_ptr<BlockDevice> inner, std::shared_ptr<WriteLog> log, uint32_t index)
        : inner_(std::move(inner)), log_(std::move(log)), index_(index) {}
    std::shared_ptr<BlockDevice> inner_;
    std::shared_ptr<WriteLog> log_;
    uint32_t index_;
};

}  // namespace loopsnap
