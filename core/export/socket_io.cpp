#include "core/export/socket_io.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace loopsnap {

namespace {

// Milliseconds left until `deadline` for poll(): -1 without a deadline, 0 once it has passed.
int pollTimeoutMs(const SocketDeadline& deadline) {
    if (!deadline) return -1;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return 0;
    return int(std::min<int64_t>(left.count() + 1, 1 << 30));
}

}  // namespace

bool recvAll(int fd, void* buf, size_t n, SocketDeadline deadline) {
    auto* p = static_cast<char*>(buf);
    while (n > 0) {
        if (deadline) {
            pollfd pfd{fd, POLLIN, 0};
            int ready = ::poll(&pfd, 1, pollTimeoutMs(deadline));
            if (ready < 0 && errno == EINTR) continue;
            if (ready <= 0) return false;  // the deadline passed (or poll failed)
        }
        ssize_t r = ::recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        p += r;
        n -= size_t(r);
    }
    return true;
}

bool sendAll(int fd, const void* buf, size_t n) {
    auto* p = static_cast<const char*>(buf);
    while (n > 0) {
        ssize_t r = ::send(fd, p, n, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        p += r;
        n -= size_t(r);
    }
    return true;
}

bool discardBytes(int fd, uint64_t n) {
    char sink[64 * 1024];
    while (n > 0) {
        size_t step = size_t(std::min<uint64_t>(n, sizeof sink));
        if (!recvAll(fd, sink, step)) return false;
        n -= step;
    }
    return true;
}

Result<int> listenUnixSocket(const std::string& path, int backlog) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        return makeError(ErrorCode::InvalidArgument,
                         "socket path must be 1 to " + std::to_string(sizeof addr.sun_path - 1) + " bytes: " + path,
                         path, "socket-path-too-long");
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    struct stat st{};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return makeError(ErrorCode::InvalidArgument, path + " exists and is not a socket", path, "not-a-socket");
        int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool live = probe >= 0 && ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        if (probe >= 0) ::close(probe);
        if (live) return makeError(ErrorCode::Busy, path + " is in use by another server", path, "socket-in-use");
        ::unlink(path.c_str());  // stale: nobody accepts on it
    }
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, backlog) != 0) {
        int e = errno;
        if (fd >= 0) ::close(fd);
        return makeError(e == EADDRINUSE ? ErrorCode::Busy : ErrorCode::IOError,
                         "cannot listen on " + path + ": " + std::strerror(e), path, "listen-failed");
    }
    return fd;
}

AcceptWait waitForAccept(int listenFd, int wakeFd, int timeoutMs) {
    pollfd fds[2] = {{listenFd, POLLIN, 0}, {wakeFd, POLLIN, 0}};
    int n = ::poll(fds, wakeFd >= 0 ? 2 : 1, timeoutMs);
    if (n <= 0) return AcceptWait::Idle;
    if (wakeFd >= 0 && (fds[1].revents & POLLIN)) return AcceptWait::Woken;
    return (fds[0].revents & POLLIN) ? AcceptWait::Ready : AcceptWait::Idle;
}

}  // namespace loopsnap
