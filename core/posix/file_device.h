// FileDevice: a BlockDevice on a regular file or a block device node (POSIX).
//
// Durability: flush() is fdatasync(); a FUA write is pwrite() followed by fdatasync(). O_DIRECT
// (optional) only bypasses the page cache: it is not durability (the disk's own cache still
// holds the data), so it never replaces the flush.
//
// Locking: a device opened for writing takes an exclusive lock on the file, so a store in use
// read-write by one process is refused to another with a message that names the holder
// ("in use by process 4242 (loopsnapctl)"). Within one process the same file cannot be opened
// read-write twice either (a registry by device+inode), because POSIX record locks are per
// process and would not see it.
#pragma once

#include <memory>
#include <string>

#include "core/io/block_device.h"

namespace loopsnap {

struct FileOpenOptions {
    bool writable = true;
    bool lock = true;      // take the exclusive lock (writable only)
    bool direct = false;   // O_DIRECT (requests must then be aligned to the logical block size)
    bool create = false;   // create if missing (with createSize)
    uint64_t createSize = 0;
};

class FileDevice final : public BlockDevice {
public:
    static Result<std::shared_ptr<FileDevice>> open(const std::string& path, FileOpenOptions options = {});
    ~FileDevice() override;

    uint64_t size() const override { return size_; }
    Status read(uint64_t offset, std::span<std::byte> out) override;
    Status write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags = {}) override;
    Status flush() override;
    Status discard(uint64_t offset, uint64_t length) override;
    std::string describe() const override { return path_; }

    const std::string& path() const { return path_; }
    bool isBlockDevice() const { return blockDevice_; }

private:
    FileDevice() = default;
    int fd_ = -1;
    uint64_t size_ = 0;
    std::string path_;
    bool writable_ = false;
    bool blockDevice_ = false;
    bool locked_ = false;
    uint64_t dev_ = 0, ino_ = 0;
};

// Who holds the write lock of `path`, e.g. "process 4242 (loopsnapctl)"; empty if nobody.
std::string describeLockHolder(const std::string& path);

bool fileExists(const std::string& path);

}  // namespace loopsnap
