// NbdSourceDevice: a read-only BlockDevice over a remote NBD export (libnbd), the usual source
// of a clone: `nbd://host[:port]/export` or `nbd+unix:///export?socket=PATH`.
//
// Connection handling: open() connects eagerly and learns the size. openLazy() takes the size
// from elsewhere (the clone metadata) and connects on the first read, so a clone whose source
// is down still opens and serves its hydrated regions; every read that finds no connection
// tries to connect again, and a read that fails drops the connection so the next one reconnects.
// A (re)connection to an export of a different size is refused.
//
// Writes and discards fail with Unsupported (a clone never writes its source); flush() is a no-op.
//
// Thread-safety: all methods may be called concurrently; requests are serialized on one libnbd
// handle by a mutex (hydration reads are large, so one connection is enough here).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "core/io/block_device.h"

struct nbd_handle;

namespace loopsnap {

class NbdSourceDevice final : public BlockDevice {
public:
    static bool isNbdUri(const std::string& text);
    static Result<std::shared_ptr<NbdSourceDevice>> open(const std::string& uri);
    static std::shared_ptr<NbdSourceDevice> openLazy(const std::string& uri, uint64_t size);
    ~NbdSourceDevice() override;

    uint64_t size() const override { return size_; }
    Status read(uint64_t offset, std::span<std::byte> out) override;
    Status write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags = {}) override;
    Status flush() override { return {}; }
    Status discard(uint64_t offset, uint64_t length) override;
    std::string describe() const override { return uri_; }

private:
    NbdSourceDevice(std::string uri, uint64_t size) : uri_(std::move(uri)), size_(size) {}
    Status connectLocked(bool sizeKnown);
    void disconnectLocked();

    std::string uri_;
    uint64_t size_;
    std::mutex mutex_;
    nbd_handle* handle_ = nullptr;
};

}  // namespace loopsnap
