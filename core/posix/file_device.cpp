#include "core/posix/file_device.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#ifdef __linux__
#include <linux/fs.h>
#endif
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <utility>

namespace loopsnap {
namespace {

std::mutex gRegistryMutex;
std::set<std::pair<uint64_t, uint64_t>> gOpenForWrite;  // (dev, ino) opened read-write here

std::string errnoText(int err) { return std::strerror(err); }

std::string processName(pid_t pid) {
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    if (comm && std::getline(comm, name) && !name.empty()) return name;
    return "unknown";
}

// Classic POSIX record locks (not OFD locks) because F_GETLK then reports the holder's pid,
// which is what lets us name the process in the error.
struct flock wholeFileLock(short type) {
    struct flock fl{};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 0;
    return fl;
}

}  // namespace

bool fileExists(const std::string& path) {
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0;
}

std::string describeLockHolder(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    struct flock fl = wholeFileLock(F_WRLCK);
    std::string who;
    if (::fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
        who = "process " + std::to_string(fl.l_pid) + " (" + processName(fl.l_pid) + ")";
    ::close(fd);
    return who;
}

Result<std::shared_ptr<FileDevice>> FileDevice::open(const std::string& path, FileOpenOptions options) {
    int flags = O_CLOEXEC | (options.writable ? O_RDWR : O_RDONLY);
#ifdef O_DIRECT
    if (options.direct) flags |= O_DIRECT;
#endif
    bool created = false;
    if (options.create && !fileExists(path)) {
        if (!options.writable) return makeError(ErrorCode::InvalidArgument, "cannot create read-only file " + path);
        flags |= O_CREAT | O_EXCL;
        created = true;
    }
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT) return makeError(ErrorCode::NotFound, path + ": no such file");
        if (err == EEXIST) return makeError(ErrorCode::Busy, path + ": created by someone else meanwhile");
        return makeError(ErrorCode::IOError, path + ": " + errnoText(err));
    }
    std::shared_ptr<FileDevice> dev(new FileDevice());
    dev->fd_ = fd;
    dev->path_ = path;
    dev->writable_ = options.writable;

    struct stat st{};
    if (::fstat(fd, &st) != 0) return makeError(ErrorCode::IOError, path + ": " + errnoText(errno));
    dev->dev_ = st.st_dev;
    dev->ino_ = st.st_ino;

    if (options.writable && options.lock) {
        {
            std::lock_guard lock(gRegistryMutex);
            if (gOpenForWrite.count({dev->dev_, dev->ino_}))
                return makeError(ErrorCode::Busy, path + " is already open read-write in this process (" +
                                                      std::to_string(::getpid()) + ")");
            gOpenForWrite.insert({dev->dev_, dev->ino_});
        }
        dev->locked_ = true;  // the destructor undoes the registry entry from here on
        struct flock fl = wholeFileLock(F_WRLCK);
        if (::fcntl(fd, F_SETLK, &fl) != 0) {
            std::string who = describeLockHolder(path);
            return makeError(ErrorCode::Busy,
                             path + " is in use read-write by " + (who.empty() ? std::string("another process") : who));
        }
    }

    if (S_ISBLK(st.st_mode)) {
        dev->blockDevice_ = true;
#ifdef BLKGETSIZE64
        uint64_t bytes = 0;
        if (::ioctl(fd, BLKGETSIZE64, &bytes) != 0) return makeError(ErrorCode::IOError, path + ": BLKGETSIZE64: " + errnoText(errno));
        dev->size_ = bytes;
#else
        off_t end = ::lseek(fd, 0, SEEK_END);
        if (end < 0) return makeError(ErrorCode::IOError, path + ": cannot size block device: " + errnoText(errno));
        dev->size_ = uint64_t(end);
#endif
    } else if (S_ISREG(st.st_mode)) {
        if (created && options.createSize) {
            if (::ftruncate(fd, off_t(options.createSize)) != 0)
                return makeError(ErrorCode::IOError, path + ": cannot size to " + std::to_string(options.createSize) + ": " + errnoText(errno));
            // The new file's existence and size must survive a crash before anything refers to it.
            if (::fsync(fd) != 0) return makeError(ErrorCode::IOError, path + ": fsync: " + errnoText(errno));
            st.st_size = off_t(options.createSize);
        }
        dev->size_ = uint64_t(st.st_size);
    } else {
        return makeError(ErrorCode::InvalidArgument, path + " is neither a regular file nor a block device");
    }
    return dev;
}

FileDevice::~FileDevice() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the record lock
    if (locked_) {
        std::lock_guard lock(gRegistryMutex);
        gOpenForWrite.erase({dev_, ino_});
    }
}

Status FileDevice::read(uint64_t offset, std::span<std::byte> out) {
    LS_TRY(checkRange(offset, out.size()));
    size_t done = 0;
    while (done < out.size()) {
        ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, off_t(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return makeError(ErrorCode::IOError, path_ + ": read at " + std::to_string(offset + done) + ": " + errnoText(errno));
        }
        if (n == 0) return makeError(ErrorCode::IOError, path_ + ": unexpected end of file at " + std::to_string(offset + done));
        done += size_t(n);
    }
    return {};
}

Status FileDevice::write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags) {
    if (!writable_) return makeError(ErrorCode::InvalidArgument, path_ + " is open read-only");
    LS_TRY(checkRange(offset, data.size()));
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done, off_t(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            return makeError(err == ENOSPC ? ErrorCode::NoSpace : ErrorCode::IOError,
                             path_ + ": write at " + std::to_string(offset + done) + ": " + errnoText(err));
        }
        done += size_t(n);
    }
    if (flags.fua) return flush();
    return {};
}

Status FileDevice::flush() {
    if (!writable_) return {};
    while (::fdatasync(fd_) != 0) {
        if (errno == EINTR) continue;
        return makeError(ErrorCode::IOError, path_ + ": fdatasync: " + errnoText(errno));
    }
    return {};
}

Status FileDevice::discard(uint64_t offset, uint64_t length) {
    LS_TRY(checkRange(offset, length));
    if (!writable_) return makeError(ErrorCode::InvalidArgument, path_ + " is open read-only");
#ifdef FALLOC_FL_PUNCH_HOLE
    if (!blockDevice_ && length) {
        // Punching a hole reads back zeroes: a valid "unspecified" content. Failure is harmless.
        (void)::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off_t(offset), off_t(length));
    }
#endif
    return {};
}

}  // namespace loopsnap
