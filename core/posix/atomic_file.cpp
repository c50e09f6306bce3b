#include "core/posix/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace loopsnap {

namespace {

std::string folderOf(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

Status syncFolder(const std::string& path) {
    std::string dir = folderOf(path);
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return makeError(ErrorCode::IOError, "cannot open folder " + dir + ": " + std::strerror(errno), dir, "io");
    int rc = ::fsync(dfd);
    int err = errno;
    ::close(dfd);
    if (rc != 0) return makeError(ErrorCode::IOError, "cannot sync folder " + dir + ": " + std::strerror(err), dir, "io");
    return okStatus();
}

Error ioError(const std::string& what, const std::string& path, int err) {
    return makeError(ErrorCode::IOError, what + " " + path + ": " + std::strerror(err), path, "io");
}

}  // namespace

Status writeFileAtomically(const std::string& path, std::string_view content) {
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ioError("cannot create", tmp, errno);
    size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int err = n < 0 ? errno : EIO;
            ::close(fd);
            ::unlink(tmp.c_str());
            return ioError("cannot write", tmp, err);
        }
        done += size_t(n);
    }
    if (::fsync(fd) != 0) {
        int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return ioError("cannot sync", tmp, err);
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return ioError("cannot replace", path, err);
    }
    return syncFolder(path);
}

Result<std::string> readWholeFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return makeError(ErrorCode::NotFound, path + " does not exist", path, "missing");
        return ioError("cannot open", path, errno);
    }
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int err = errno;
            ::close(fd);
            return ioError("cannot read", path, err);
        }
        if (n == 0) break;
        out.append(buf, size_t(n));
    }
    ::close(fd);
    return out;
}

Status removeFileDurably(const std::string& path) {
    if (::unlink(path.c_str()) != 0) {
        if (errno == ENOENT) return okStatus();
        return ioError("cannot remove", path, errno);
    }
    return syncFolder(path);
}

}  // namespace loopsnap
