#include "core/io/nbd_source_device.h"

#include <libnbd.h>

namespace loopsnap {

namespace {
std::string nbdError() {
    const char* e = nbd_get_error();
    return e ? e : "unknown libnbd error";
}
}  // namespace

bool NbdSourceDevice::isNbdUri(const std::string& text) {
    return text.rfind("nbd://", 0) == 0 || text.rfind("nbd+unix://", 0) == 0 || text.rfind("nbds://", 0) == 0 ||
           text.rfind("nbds+unix://", 0) == 0;
}

Result<std::shared_ptr<NbdSourceDevice>> NbdSourceDevice::open(const std::string& uri) {
    std::shared_ptr<NbdSourceDevice> dev(new NbdSourceDevice(uri, 0));
    std::lock_guard lk(dev->mutex_);
    LS_TRY(dev->connectLocked(false));
    return dev;
}

std::shared_ptr<NbdSourceDevice> NbdSourceDevice::openLazy(const std::string& uri, uint64_t size) {
    return std::shared_ptr<NbdSourceDevice>(new NbdSourceDevice(uri, size));
}

NbdSourceDevice::~NbdSourceDevice() {
    std::lock_guard lk(mutex_);
    disconnectLocked();
}

void NbdSourceDevice::disconnectLocked() {
    if (handle_) {
        nbd_close(handle_);  // shuts the connection down without waiting for the server
        handle_ = nullptr;
    }
}

Status NbdSourceDevice::connectLocked(bool sizeKnown) {
    nbd_handle* h = nbd_create();
    if (!h) return makeError(ErrorCode::IOError, "cannot create an NBD handle: " + nbdError());
    if (nbd_connect_uri(h, uri_.c_str()) == -1) {
        std::string msg = nbdError();
        nbd_close(h);
        return makeError(ErrorCode::IOError, "cannot connect to NBD source " + uri_ + ": " + msg);
    }
    int64_t sz = nbd_get_size(h);
    if (sz < 0) {
        std::string msg = nbdError();
        nbd_close(h);
        return makeError(ErrorCode::IOError, "cannot get the size of NBD source " + uri_ + ": " + msg);
    }
    if (sizeKnown && uint64_t(sz) != size_) {
        nbd_close(h);
        return makeError(ErrorCode::InvalidArgument, "NBD source " + uri_ + " now has " + std::to_string(sz) +
                                                         " bytes, expected " + std::to_string(size_));
    }
    size_ = uint64_t(sz);
    handle_ = h;
    return {};
}

Status NbdSourceDevice::read(uint64_t offset, std::span<std::byte> out) {
    LS_TRY(checkRange(offset, out.size()));
    if (out.empty()) return {};
    std::lock_guard lk(mutex_);
    if (!handle_) LS_TRY(connectLocked(true));
    // NBD limits one request to 32 MiB; stay well below.
    constexpr size_t kMaxRequest = 8 << 20;
    for (size_t done = 0; done < out.size();) {
        size_t n = std::min(kMaxRequest, out.size() - done);
        if (nbd_pread(handle_, out.data() + done, n, offset + done, 0) == -1) {
            std::string msg = nbdError();
            disconnectLocked();
            return makeError(ErrorCode::IOError, "NBD source " + uri_ + " read failed: " + msg);
        }
        done += n;
    }
    return {};
}

Status NbdSourceDevice::write(uint64_t, std::span<const std::byte>, WriteFlags) {
    return makeError(ErrorCode::Unsupported, "NBD source " + uri_ + " is read-only");
}

Status NbdSourceDevice::discard(uint64_t, uint64_t) {
    return makeError(ErrorCode::Unsupported, "NBD source " + uri_ + " is read-only");
}

}  // namespace loopsnap
