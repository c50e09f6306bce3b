#define FUSE_USE_VERSION 31
#include "core/linux/fuse_export.h"

#include "core/util/errno_map.h"

#include <fuse.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include <linux/falloc.h>

namespace loopsnap {

namespace {

FuseExport* self() { return static_cast<FuseExport*>(fuse_get_context()->private_data); }

bool isFile(const char* path) { return path[0] == '/' && self()->fileName() == path + 1; }

int errnoFor(const Error& e) { return loopsnap::errnoFor(e.code); }  // core/util/errno_map.h

void* opInit(fuse_conn_info* conn, fuse_config* cfg) {
    cfg->direct_io = 1;        // no page cache for the file: the device is the only truth
    cfg->kernel_cache = 0;
    cfg->attr_timeout = 1;
    cfg->entry_timeout = 1;
    cfg->use_ino = 0;
    return fuse_get_context()->private_data;
}

int opGetattr(const char* path, struct stat* st, fuse_file_info*) {
    std::memset(st, 0, sizeof *st);
    if (std::strcmp(path, "/") == 0) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
        return 0;
    }
    if (!isFile(path)) return -ENOENT;
    st->st_mode = S_IFREG | (self()->readOnly() ? 0444 : 0644);
    st->st_nlink = 1;
    st->st_size = off_t(self()->device().size());
    st->st_blksize = 4096;
    st->st_blocks = st->st_size / 512;
    return 0;
}

int opReaddir(const char* path, void* buf, fuse_fill_dir_t fill, off_t, fuse_file_info*, fuse_readdir_flags) {
    if (std::strcmp(path, "/") != 0) return -ENOTDIR;
    fill(buf, ".", nullptr, 0, fuse_fill_dir_flags(0));
    fill(buf, "..", nullptr, 0, fuse_fill_dir_flags(0));
    fill(buf, self()->fileName().c_str(), nullptr, 0, fuse_fill_dir_flags(0));
    return 0;
}

int opOpen(const char* path, fuse_file_info* fi) {
    if (!isFile(path)) return -ENOENT;
    if (self()->readOnly() && (fi->flags & O_ACCMODE) != O_RDONLY) return -EROFS;
    fi->direct_io = 1;
    return 0;
}

int opRead(const char* path, char* buf, size_t size, off_t offset, fuse_file_info*) {
    if (!isFile(path)) return -ENOENT;
    BlockDevice& dev = self()->device();
    if (offset < 0) return -EINVAL;
    if (uint64_t(offset) >= dev.size()) return 0;
    size_t n = size_t(std::min<uint64_t>(size, dev.size() - uint64_t(offset)));
    auto st = dev.read(uint64_t(offset), std::span<std::byte>(reinterpret_cast<std::byte*>(buf), n));
    return st.ok() ? int(n) : -errnoFor(st.error());
}

int opWrite(const char* path, const char* buf, size_t size, off_t offset, fuse_file_info* fi) {
    if (!isFile(path)) return -ENOENT;
    if (self()->readOnly()) return -EROFS;
    BlockDevice& dev = self()->device();
    if (offset < 0) return -EINVAL;
    if (uint64_t(offset) >= dev.size()) return size ? -ENOSPC : 0;
    size_t n = size_t(std::min<uint64_t>(size, dev.size() - uint64_t(offset)));
    WriteFlags flags;
    flags.fua = (fi->flags & (O_SYNC | O_DSYNC)) != 0;
    auto st = dev.write(uint64_t(offset), std::span<const std::byte>(reinterpret_cast<const std::byte*>(buf), n), flags);
    return st.ok() ? int(n) : -errnoFor(st.error());
}

int opFsync(const char* path, int, fuse_file_info*) {
    auto st = self()->device().flush();
    return st.ok() ? 0 : -errnoFor(st.error());
}

int opRelease(const char*, fuse_file_info* fi) {
    if ((fi->flags & O_ACCMODE) != O_RDONLY) (void)self()->device().flush();
    return 0;
}

int opTruncate(const char* path, off_t size, fuse_file_info*) {
    if (!isFile(path)) return -ENOENT;
    return uint64_t(size) == self()->device().size() ? 0 : -EPERM;
}

int opFallocate(const char* path, int mode, off_t offset, off_t length, fuse_file_info*) {
    if (!isFile(path)) return -ENOENT;
    if (self()->readOnly()) return -EROFS;
    BlockDevice& dev = self()->device();
    if (offset < 0 || length <= 0) return -EINVAL;
    uint64_t end = uint64_t(offset) + uint64_t(length);
    if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
        end = std::min(end, dev.size());
        if (uint64_t(offset) >= end) return 0;
        auto st = dev.writeZeroes(uint64_t(offset), end - uint64_t(offset));
        return st.ok() ? 0 : -errnoFor(st.error());
    }
    if (mode & ~FALLOC_FL_KEEP_SIZE) return -EOPNOTSUPP;
    return end <= dev.size() || (mode & FALLOC_FL_KEEP_SIZE) ? 0 : -ENOSPC;
}

int opStatfs(const char*, struct statvfs* st) {
    std::memset(st, 0, sizeof *st);
    st->f_bsize = st->f_frsize = 4096;
    st->f_blocks = self()->device().size() / 4096;
    st->f_namemax = 255;
    return 0;
}

fuse_operations makeOps() {
    fuse_operations ops{};
    ops.init = opInit;
    ops.getattr = opGetattr;
    ops.readdir = opReaddir;
    ops.open = opOpen;
    ops.read = opRead;
    ops.write = opWrite;
    ops.fsync = opFsync;
    ops.release = opRelease;
    ops.truncate = opTruncate;
    ops.fallocate = opFallocate;
    ops.statfs = opStatfs;
    return ops;
}

}  // namespace

Status FuseExport::checkSupport() {
    if (::access("/dev/fuse", F_OK) != 0)
        return makeError(ErrorCode::Unsupported, "FUSE is not available: /dev/fuse is missing (load the fuse module)", "/dev/fuse", "no-fuse");
    int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        const bool denied = errno == EACCES || errno == EPERM;
        return makeError(ErrorCode::Unsupported, std::string("cannot open /dev/fuse: ") + std::strerror(errno), "/dev/fuse",
                         denied ? "not-root" : "no-fuse");
    }
    ::close(fd);
    return {};
}

Result<std::unique_ptr<FuseExport>> FuseExport::start(std::shared_ptr<BlockDevice> device, const std::string& mountpoint,
                                                      FuseExportOptions options) {
    LS_TRY(checkSupport());
    if (!device) return makeError(ErrorCode::InvalidArgument, "no device to export");
    if (options.fileName.empty() || options.fileName.find('/') != std::string::npos)
        return makeError(ErrorCode::InvalidArgument, "bad file name '" + options.fileName + "'");
    struct stat st{};
    if (::stat(mountpoint.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return makeError(ErrorCode::NotFound, "mountpoint " + mountpoint + " is not a directory");

    std::unique_ptr<FuseExport> fx(new FuseExport());
    fx->device_ = std::move(device);
    fx->options_ = std::move(options);
    fx->mountpoint_ = mountpoint;
    fx->filePath_ = mountpoint + "/" + fx->options_.fileName;

    static const fuse_operations ops = makeOps();
    std::vector<std::string> argStore = {"loopsnap", "-o", "fsname=loopsnap,subtype=loopsnap"};
    std::vector<char*> argv;
    for (auto& a : argStore) argv.push_back(a.data());
    fuse_args args = FUSE_ARGS_INIT(int(argv.size()), argv.data());
    fx->fuse_ = fuse_new(&args, &ops, sizeof ops, fx.get());
    fuse_opt_free_args(&args);
    if (!fx->fuse_) return makeError(ErrorCode::IOError, "fuse_new failed");
    if (fuse_mount(fx->fuse_, mountpoint.c_str()) != 0) {
        fuse_destroy(fx->fuse_);
        fx->fuse_ = nullptr;
        return makeError(ErrorCode::IOError, "cannot mount FUSE at " + mountpoint);
    }
    struct fuse* f = fx->fuse_;
    auto done = fx->loopDone_;
    fx->loop_ = std::thread([f, done] {
        fuse_loop_mt(f, 0);
        done->store(true);
    });
    // Only now: a stat of the mount is a FUSE request, answered by the loop just started.
    struct stat mst{};
    if (::stat(mountpoint.c_str(), &mst) == 0) fx->connection_ = minor(mst.st_dev);
    return fx;
}

Status FuseExport::stop() {
    if (stopped_ || !fuse_) return {};
    if (!unmounted_) {
        fuse_exit(fuse_);
        fuse_unmount(fuse_);  // lazy: the FUSE threads end when the kernel drops its last reference
        unmounted_ = true;
    }
    auto waitDone = [&](int millis) {
        for (int i = 0; i < millis / 10 && !loopDone_->load(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return loopDone_->load();
    };
    if (!waitDone(3000)) {
        // Somebody (a loop device still bound to the file?) keeps the filesystem alive. Abort the
        // FUSE connection when the kernel offers the control filesystem; users of the file then
        // get ENOTCONN instead of this process waiting forever.
        std::string abortPath = "/sys/fs/fuse/connections/" + std::to_string(connection_) + "/abort";
        if (int fd = ::open(abortPath.c_str(), O_WRONLY | O_CLOEXEC); fd >= 0) {
            [[maybe_unused]] auto w = ::write(fd, "1", 1);
            ::close(fd);
        }
        if (!waitDone(2000))
            return makeError(ErrorCode::Busy, filePath_ + " is still in use (is a loop device still bound to it?)");
    }
    stopped_ = true;
    if (loop_.joinable()) loop_.join();
    fuse_destroy(fuse_);
    fuse_ = nullptr;
    return device_->flush();
}

FuseExport::~FuseExport() {
    if (stop().ok()) return;
    // Still in use: leave the FUSE threads (and their state) to the process's end rather than
    // hang or free what they use.
    if (loop_.joinable()) loop_.detach();
    device_.reset();
}

}  // namespace loopsnap
