// Socket helpers shared by the NBD server (nbd_server.cpp, nbd_handshake.cpp) and the serve
// control socket (control_server.cpp): whole-buffer send/receive, receive with a deadline, and the
// one unix-socket listener both servers bind (stale socket files replaced, live ones refused).
//
// Threading: every function is a plain blocking call on the caller's thread; none keeps state.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/util/result.h"

namespace loopsnap {

using SocketDeadline = std::optional<std::chrono::steady_clock::time_point>;

// Whole-buffer I/O. false on EOF, error, shutdown(), or (recvAll) when the deadline passes first.
// sendAll never raises SIGPIPE.
bool recvAll(int fd, void* buf, size_t n, SocketDeadline deadline = std::nullopt);
bool sendAll(int fd, const void* buf, size_t n);
// Reads and drops n bytes without allocating n bytes.
bool discardBytes(int fd, uint64_t n);

// Binds and listens on a unix socket at `path`, returning the listening fd (close-on-exec).
// A stale socket file (nobody accepting) is replaced; a live one is refused with Busy; any other
// existing file with InvalidArgument (it is never deleted). detail values: "socket-path-too-long",
// "socket-in-use", "not-a-socket", "listen-failed".
Result<int> listenUnixSocket(const std::string& path, int backlog);

// Waits until `listenFd` has a connection to accept or `wakeFd` is readable (or timeoutMs passes).
enum class AcceptWait { Ready, Woken, Idle };
AcceptWait waitForAccept(int listenFd, int wakeFd, int timeoutMs);

}  // namespace loopsnap
