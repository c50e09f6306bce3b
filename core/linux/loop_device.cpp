#include "core/linux/loop_device.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

namespace loopsnap {

namespace {

Error errnoError(ErrorCode code, const std::string& what) { return makeError(code, what + ": " + std::strerror(errno)); }

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

Status checkLoopSupport() {
    if (::access("/dev/loop-control", F_OK) != 0)
        return makeError(ErrorCode::Unsupported, "loop devices are not available: /dev/loop-control is missing "
                                                 "(load the loop module or run outside this container)",
                         "/dev/loop-control", "no-loop");
    Fd ctl{::open("/dev/loop-control", O_RDWR | O_CLOEXEC)};
    if (ctl.fd < 0) {
        const bool denied = errno == EACCES || errno == EPERM;
        Error e = errnoError(ErrorCode::Unsupported, "cannot open /dev/loop-control (attach needs root)");
        e.subject = "/dev/loop-control";
        e.detail = denied ? "not-root" : "no-loop";
        return e;
    }
    return {};
}

HeldLoopDevice& HeldLoopDevice::operator=(HeldLoopDevice&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        path_ = std::move(other.path_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

HeldLoopDevice::~HeldLoopDevice() {
    if (fd_ >= 0) ::close(fd_);
}

Result<std::string> attachLoopDevice(const std::string& backingPath, const LoopAttachOptions& options) {
    LS_ASSIGN(HeldLoopDevice held, attachHeldLoopDevice(backingPath, options));
    return held.path();
}

Result<HeldLoopDevice> holdLoopDevice(const std::string& devicePath) {
    int fd = ::open(devicePath.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errnoError(ErrorCode::NotFound, "cannot open " + devicePath);
    return HeldLoopDevice(devicePath, fd);
}

Result<HeldLoopDevice> attachHeldLoopDevice(const std::string& backingPath, const LoopAttachOptions& options) {
    LS_TRY(checkLoopSupport());
    Fd backing{::open(backingPath.c_str(), (options.readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC)};
    if (backing.fd < 0) return errnoError(ErrorCode::NotFound, "cannot open " + backingPath);
    Fd ctl{::open("/dev/loop-control", O_RDWR | O_CLOEXEC)};
    if (ctl.fd < 0) return errnoError(ErrorCode::Unsupported, "cannot open /dev/loop-control");

    for (int attempt = 0; attempt < 16; ++attempt) {
        int n = ::ioctl(ctl.fd, LOOP_CTL_GET_FREE);
        if (n < 0) return errnoError(ErrorCode::Busy, "no free loop device (LOOP_CTL_GET_FREE)");
        std::string dev = "/dev/loop" + std::to_string(n);
        Fd loop{-1};
        for (int i = 0; i < 50 && loop.fd < 0; ++i) {  // the node may appear a moment later (udev)
            loop.fd = ::open(dev.c_str(), (options.readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
            if (loop.fd < 0 && errno == ENOENT) {
                ::mknod(dev.c_str(), S_IFBLK | 0660, makedev(7, unsigned(n)));
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            } else if (loop.fd < 0) {
                break;
            }
        }
        if (loop.fd < 0) return errnoError(ErrorCode::IOError, "cannot open " + dev);

        loop_config cfg{};
        cfg.fd = uint32_t(backing.fd);
        cfg.block_size = options.blockSize;
        cfg.info.lo_flags = (options.readOnly ? LO_FLAGS_READ_ONLY : 0) | (options.autoclear ? LO_FLAGS_AUTOCLEAR : 0);
        std::strncpy(reinterpret_cast<char*>(cfg.info.lo_file_name), backingPath.c_str(), LO_NAME_SIZE - 1);
        if (options.directIo) {
            // Kernels up to 6.1 quietly fall back to buffered I/O where the file cannot do direct
            // I/O; later ones may refuse with EINVAL: then bind it buffered.
            loop_config direct = cfg;
            direct.info.lo_flags |= LO_FLAGS_DIRECT_IO;
            if (::ioctl(loop.fd, LOOP_CONFIGURE, &direct) == 0) return HeldLoopDevice(dev, std::exchange(loop.fd, -1));
            if (errno == EBUSY) continue;
        }
        if (::ioctl(loop.fd, LOOP_CONFIGURE, &cfg) == 0) return HeldLoopDevice(dev, std::exchange(loop.fd, -1));
        if (errno == EBUSY) continue;  // somebody else took it: ask again
        if (errno != EINVAL && errno != ENOTTY) return errnoError(ErrorCode::IOError, "LOOP_CONFIGURE on " + dev);
        // Kernels before 5.8: two steps.
        if (::ioctl(loop.fd, LOOP_SET_FD, backing.fd) != 0) {
            if (errno == EBUSY) continue;
            return errnoError(ErrorCode::IOError, "LOOP_SET_FD on " + dev);
        }
        loop_info64 info{};
        info.lo_flags = cfg.info.lo_flags;
        std::memcpy(info.lo_file_name, cfg.info.lo_file_name, LO_NAME_SIZE);
        if (::ioctl(loop.fd, LOOP_SET_STATUS64, &info) != 0) {
            auto err = errnoError(ErrorCode::IOError, "LOOP_SET_STATUS64 on " + dev);
            ::ioctl(loop.fd, LOOP_CLR_FD, 0);
            return err;
        }
        if (options.blockSize) ::ioctl(loop.fd, LOOP_SET_BLOCK_SIZE, options.blockSize);
        if (options.directIo) ::ioctl(loop.fd, LOOP_SET_DIRECT_IO, 1UL);  // best effort, as above
        return HeldLoopDevice(dev, std::exchange(loop.fd, -1));
    }
    return makeError(ErrorCode::Busy, "could not get a free loop device (raced with other processes)");
}

Result<std::string> loopBackingFile(const std::string& devicePath) {
    auto slash = devicePath.rfind('/');
    std::string name = devicePath.substr(slash == std::string::npos ? 0 : slash + 1);
    std::ifstream f("/sys/block/" + name + "/loop/backing_file");
    std::string line;
    if (!f || !std::getline(f, line) || line.empty())
        return makeError(ErrorCode::NotFound, devicePath + " is not bound to a file");
    return line;
}

Result<LoopDeviceInfo> loopDeviceInfo(const std::string& devicePath) {
    Fd loop{::open(devicePath.c_str(), O_RDONLY | O_CLOEXEC)};
    if (loop.fd < 0) return errnoError(ErrorCode::NotFound, "cannot open " + devicePath);
    loop_info64 info{};
    if (::ioctl(loop.fd, LOOP_GET_STATUS64, &info) != 0) {
        if (errno == ENXIO) return makeError(ErrorCode::NotFound, devicePath + " is not bound to a file", devicePath, "loop-unbound");
        return errnoError(ErrorCode::IOError, "LOOP_GET_STATUS64 on " + devicePath);
    }
    LoopDeviceInfo out;
    out.device = devicePath;
    auto backing = loopBackingFile(devicePath);
    out.backingFile = backing.ok() ? backing.value() : reinterpret_cast<const char*>(info.lo_file_name);
    out.readOnly = info.lo_flags & LO_FLAGS_READ_ONLY;
    out.directIo = info.lo_flags & LO_FLAGS_DIRECT_IO;
    out.autoclear = info.lo_flags & LO_FLAGS_AUTOCLEAR;
    uint64_t bytes = 0;
    if (::ioctl(loop.fd, BLKGETSIZE64, &bytes) == 0) out.sizeBytes = bytes;
    return out;
}

std::vector<std::string> loopDevicesBackedBy(const std::string& path) {
    std::vector<std::string> found;
    struct stat target{};
    if (::stat(path.c_str(), &target) != 0) return found;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/sys/block", ec)) {
        std::string name = entry.path().filename().string();
        if (name.rfind("loop", 0) != 0) continue;
        // The kernel reports the path the file was bound with; compare the files themselves.
        auto backing = loopBackingFile("/dev/" + name);
        struct stat st{};
        if (backing.ok() && ::stat(backing->c_str(), &st) == 0 && st.st_dev == target.st_dev && st.st_ino == target.st_ino)
            found.push_back("/dev/" + name);
    }
    std::sort(found.begin(), found.end());
    return found;
}

Status detachLoopDevice(const std::string& devicePath, int waitMillis) {
    if (devicePath.rfind("/dev/loop", 0) != 0)
        return makeError(ErrorCode::InvalidArgument, devicePath + " is not a loop device (/dev/loopN)");
    LS_TRY(loopBackingFile(devicePath));
    {
        Fd loop{::open(devicePath.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC)};
        if (loop.fd < 0) {
            if (errno == EBUSY)
                return makeError(ErrorCode::Busy, devicePath + " is in use (mounted?): unmount it first");
            return errnoError(ErrorCode::IOError, "cannot open " + devicePath);
        }
        ::fsync(loop.fd);                   // the loop device's own page cache
        ::ioctl(loop.fd, BLKFLSBUF, 0);
        if (::ioctl(loop.fd, LOOP_CLR_FD, 0) != 0 && errno != ENXIO)
            return errnoError(ErrorCode::IOError, "LOOP_CLR_FD on " + devicePath);
    }  // closing our (only) opener lets the kernel finish the detach
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(waitMillis);
    while (loopBackingFile(devicePath).ok()) {
        if (std::chrono::steady_clock::now() > deadline)
            return makeError(ErrorCode::Busy, devicePath + " did not release its backing file");
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return {};
}

}  // namespace loopsnap
