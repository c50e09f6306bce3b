#include "core/export/nbd_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/export/nbd_protocol.h"

namespace loopsnap {

using namespace nbd;

namespace {

void putBe16(std::byte* p, uint16_t v) {
    p[0] = std::byte(v >> 8);
    p[1] = std::byte(v);
}
void putBe32(std::byte* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = std::byte(v >> (24 - 8 * i));
}
void putBe64(std::byte* p, uint64_t v) {
    putBe32(p, uint32_t(v >> 32));
    putBe32(p + 4, uint32_t(v));
}
uint16_t getBe16(const std::byte* p) { return uint16_t(uint16_t(p[0]) << 8 | uint16_t(p[1])); }
uint32_t getBe32(const std::byte* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}
uint64_t getBe64(const std::byte* p) { return uint64_t(getBe32(p)) << 32 | getBe32(p + 4); }

// Whole-buffer socket I/O. false on EOF, error or shutdown.
bool recvAll(int fd, void* buf, size_t n) {
    auto* p = static_cast<char*>(buf);
    while (n > 0) {
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
// Reads and drops n bytes (an oversized WRITE payload) without allocating n bytes.
bool discardBytes(int fd, uint64_t n) {
    char sink[64 * 1024];
    while (n > 0) {
        size_t step = size_t(std::min<uint64_t>(n, sizeof sink));
        if (!recvAll(fd, sink, step)) return false;
        n -= step;
    }
    return true;
}

Error sysError(const std::string& what) {
    int e = errno;
    return makeError(e == EADDRINUSE ? ErrorCode::Busy : ErrorCode::IOError, what + ": " + std::strerror(e));
}

constexpr size_t kMaxExportName = 4096;

}  // namespace

uint32_t nbdErrorFor(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::NoSpace: return kENOSPC;
        case ErrorCode::InvalidArgument: return kEINVAL;
        case ErrorCode::Unsupported: return kENOTSUP;
        case ErrorCode::Aborted: return kESHUTDOWN;
        case ErrorCode::Busy:
        case ErrorCode::NotFound:
        case ErrorCode::Corruption:
        case ErrorCode::IOError:
        case ErrorCode::Invalidated: return kEIO;
    }
    return kEIO;
}

struct NbdServer::ExportEntry {
    NbdExport exp;
    std::atomic<uint64_t> active{0}, total{0}, bytesRead{0}, bytesWritten{0}, flushes{0}, errors{0};
};

struct NbdServer::Listener {
    int fd = -1;
    std::string unixPath;
    std::thread thread;
};

struct NbdServer::Connection {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
};

NbdServer::NbdServer(NbdServerOptions options) : options_(std::move(options)) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
        wakeRead_ = p[0];
        wakeWrite_ = p[1];
    }
}

NbdServer::~NbdServer() {
    stop();
    if (wakeRead_ >= 0) ::close(wakeRead_);
    if (wakeWrite_ >= 0) ::close(wakeWrite_);
}

Status NbdServer::addExport(NbdExport exp) {
    if (exp.name.empty() || exp.name.size() > kMaxExportName)
        return makeError(ErrorCode::InvalidArgument, "export name must be 1 to 4096 bytes");
    if (!exp.device) return makeError(ErrorCode::InvalidArgument, "export '" + exp.name + "' has no device");
    std::lock_guard lock(mutex_);
    for (auto& e : exports_)
        if (e->exp.name == exp.name) return makeError(ErrorCode::Busy, "export '" + exp.name + "' already exists");
    auto entry = std::make_shared<ExportEntry>();
    entry->exp = std::move(exp);
    exports_.push_back(std::move(entry));
    return {};
}

Status NbdServer::removeExport(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(exports_.begin(), exports_.end(), [&](auto& e) { return e->exp.name == name; });
    if (it == exports_.end()) return makeError(ErrorCode::NotFound, "no export '" + name + "'");
    exports_.erase(it);
    return {};
}

std::shared_ptr<NbdServer::ExportEntry> NbdServer::findExport(const std::string& name) const {
    std::lock_guard lock(mutex_);
    std::string wanted = name;
    if (wanted.empty()) {
        if (!options_.defaultExport.empty()) wanted = options_.defaultExport;
        else if (exports_.size() == 1) return exports_.front();
        else return nullptr;
    }
    for (auto& e : exports_)
        if (e->exp.name == wanted) return e;
    return nullptr;
}

std::vector<std::shared_ptr<NbdServer::ExportEntry>> NbdServer::exportList() const {
    std::lock_guard lock(mutex_);
    return exports_;
}

std::vector<NbdExportStats> NbdServer::exports() const {
    std::vector<NbdExportStats> out;
    for (auto& e : exportList()) {
        NbdExportStats s;
        s.name = e->exp.name;
        s.size = e->exp.device->size();
        s.readOnly = e->exp.readOnly;
        s.description = e->exp.description;
        s.activeConnections = e->active.load();
        s.totalConnections = e->total.load();
        s.bytesRead = e->bytesRead.load();
        s.bytesWritten = e->bytesWritten.load();
        s.flushes = e->flushes.load();
        s.errors = e->errors.load();
        out.push_back(std::move(s));
    }
    return out;
}

Status NbdServer::listenUnix(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path)
        return makeError(ErrorCode::InvalidArgument, "socket path must be 1 to " +
                                                         std::to_string(sizeof addr.sun_path - 1) + " bytes: " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    struct stat st{};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return makeError(ErrorCode::InvalidArgument, path + " exists and is not a socket");
        int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool live = probe >= 0 && ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        if (probe >= 0) ::close(probe);
        if (live) return makeError(ErrorCode::Busy, path + " is in use by another server");
        ::unlink(path.c_str());  // stale
    }
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return sysError("socket");
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
        auto err = sysError("listen on " + path);
        ::close(fd);
        return err;
    }
    return startListener(fd, path);
}

Result<uint16_t> NbdServer::listenTcp(const std::string& host, uint16_t port) {
    if (host.empty()) return makeError(ErrorCode::InvalidArgument, "listenTcp needs an explicit host address");
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    std::string service = std::to_string(port);
    int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
    if (rc != 0) return makeError(ErrorCode::InvalidArgument, "cannot resolve " + host + ": " + gai_strerror(rc));
    Error last = makeError(ErrorCode::IOError, "no usable address for " + host);
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, 64) != 0) {
            last = sysError("listen on " + host + ":" + service);
            ::close(fd);
            continue;
        }
        sockaddr_storage bound{};
        socklen_t len = sizeof bound;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
        uint16_t boundPort = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                                         : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
        ::freeaddrinfo(res);
        LS_TRY(startListener(fd, {}));
        return boundPort;
    }
    ::freeaddrinfo(res);
    return last;
}

Status NbdServer::startListener(int fd, std::string unixPath) {
    std::lock_guard lock(mutex_);
    if (stopping_.load()) {
        ::close(fd);
        if (!unixPath.empty()) ::unlink(unixPath.c_str());
        return makeError(ErrorCode::Aborted, "server is stopping");
    }
    auto l = std::make_unique<Listener>();
    l->fd = fd;
    l->unixPath = std::move(unixPath);
    Listener* raw = l.get();
    l->thread = std::thread([this, raw] { acceptLoop(raw); });
    listeners_.push_back(std::move(l));
    return {};
}

void NbdServer::reapFinished() {
    std::vector<std::unique_ptr<Connection>> finished;
    {
        std::lock_guard lock(mutex_);
        for (auto it = connections_.begin(); it != connections_.end();) {
            if ((*it)->done.load()) {
                finished.push_back(std::move(*it));
                it = connections_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& c : finished) {
        c->thread.join();
        ::close(c->fd);
    }
}

void NbdServer::acceptLoop(Listener* listener) {
    while (!stopping_.load()) {
        pollfd fds[2] = {{listener->fd, POLLIN, 0}, {wakeRead_, POLLIN, 0}};
        int n = ::poll(fds, 2, 1000);
        if (n < 0 && errno != EINTR) break;
        reapFinished();
        if (stopping_.load() || (fds[1].revents & POLLIN)) break;
        if (n <= 0 || !(fds[0].revents & POLLIN)) continue;
        int fd = ::accept4(listener->fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        if (active_.load() >= options_.maxConnections) {
            ::close(fd);
            continue;
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // fails harmlessly on unix sockets
        std::lock_guard lock(mutex_);
        if (stopping_.load()) {
            ::close(fd);
            break;
        }
        auto c = std::make_unique<Connection>();
        c->fd = fd;
        Connection* raw = c.get();
        active_.fetch_add(1);
        c->thread = std::thread([this, raw] {
            serveConnection(raw);
            ::shutdown(raw->fd, SHUT_RDWR);
            active_.fetch_sub(1);
            raw->done.store(true);
        });
        connections_.push_back(std::move(c));
    }
}

void NbdServer::stop() {
    stopping_.store(true);  // idempotent: a later call finds nothing left to stop
    if (wakeWrite_ >= 0) {
        char b = 1;
        [[maybe_unused]] auto r = ::write(wakeWrite_, &b, 1);
    }
    std::vector<std::unique_ptr<Listener>> listeners;
    std::vector<std::unique_ptr<Connection>> connections;
    {
        std::lock_guard lock(mutex_);
        listeners.swap(listeners_);
    }
    for (auto& l : listeners) {
        if (l->thread.joinable()) l->thread.join();
        ::close(l->fd);
        if (!l->unixPath.empty()) ::unlink(l->unixPath.c_str());
    }
    {
        std::lock_guard lock(mutex_);
        connections.swap(connections_);
        for (auto& c : connections) ::shutdown(c->fd, SHUT_RDWR);
    }
    for (auto& c : connections) {
        if (c->thread.joinable()) c->thread.join();
        ::close(c->fd);
    }
    if (!listeners.empty() || !connections.empty())
        for (auto& e : exportList()) (void)e->exp.device->flush();
}

// ---------------------------------------------------------------------------------------------
// One connection: negotiation, then transmission.

namespace {

struct OptionIo {
    int fd;
    bool sendReply(uint32_t option, uint32_t type, const void* data = nullptr, size_t len = 0) {
        std::byte h[20];
        putBe64(h, kOptReplyMagic);
        putBe32(h + 8, option);
        putBe32(h + 12, type);
        putBe32(h + 16, uint32_t(len));
        return sendAll(fd, h, sizeof h) && (len == 0 || sendAll(fd, data, len));
    }
    bool sendError(uint32_t option, uint32_t type, const std::string& message) {
        return sendReply(option, type, message.data(), message.size());
    }
};

uint16_t transmissionFlags(const NbdExport& e) {
    uint16_t f = kFlagHasFlags | kFlagSendFlush | kFlagSendFua | kFlagCanMultiConn;
    if (e.readOnly) f |= kFlagReadOnly;
    else f |= kFlagSendTrim | kFlagSendWriteZeroes;
    return f;
}

}  // namespace

void NbdServer::serveConnection(Connection* conn) {
    const int fd = conn->fd;
    OptionIo io{fd};

    std::byte hello[18];
    putBe64(hello, kNbdMagic);
    putBe64(hello + 8, kIHaveOpt);
    putBe16(hello + 16, kFlagFixedNewstyle | kFlagNoZeroes);
    if (!sendAll(fd, hello, sizeof hello)) return;
    std::byte cf[4];
    if (!recvAll(fd, cf, 4)) return;
    uint32_t clientFlags = getBe32(cf);
    if (clientFlags & ~(kClientFlagFixedNewstyle | kClientFlagNoZeroes)) {
        badHandshakes_.fetch_add(1);
        return;  // the protocol says: unknown client flags -> close
    }
    const bool noZeroes = clientFlags & kClientFlagNoZeroes;

    std::shared_ptr<ExportEntry> chosen;
    std::vector<std::byte> payload;
    while (!chosen) {
        std::byte oh[16];
        if (!recvAll(fd, oh, sizeof oh)) return;
        if (getBe64(oh) != kIHaveOpt) {
            badHandshakes_.fetch_add(1);
            return;
        }
        uint32_t option = getBe32(oh + 8);
        uint32_t length = getBe32(oh + 12);
        if (length > options_.maxOptionBytes) {
            badHandshakes_.fetch_add(1);
            return;
        }
        payload.resize(length);
        if (length && !recvAll(fd, payload.data(), length)) return;
        if (stopping_.load()) {
            io.sendError(option, kRepErrShutdown, "server is shutting down");
            return;
        }

        switch (option) {
            case kOptExportName: {
                std::string name(reinterpret_cast<const char*>(payload.data()), payload.size());
                auto e = findExport(name);
                if (!e) return;  // this old option has no error reply: close
                std::byte r[10 + 124] = {};
                putBe64(r, e->exp.device->size());
                putBe16(r + 8, transmissionFlags(e->exp));
                if (!sendAll(fd, r, noZeroes ? 10 : sizeof r)) return;
                chosen = e;
                break;
            }
            case kOptAbort:
                io.sendReply(option, kRepAck);
                return;
            case kOptList: {
                if (length != 0) {
                    if (!io.sendError(option, kRepErrInvalid, "NBD_OPT_LIST takes no data")) return;
                    break;
                }
                bool ok = true;
                for (auto& e : exportList()) {
                    std::vector<std::byte> d(4 + e->exp.name.size());
                    putBe32(d.data(), uint32_t(e->exp.name.size()));
                    std::memcpy(d.data() + 4, e->exp.name.data(), e->exp.name.size());
                    if (!(ok = io.sendReply(option, kRepServer, d.data(), d.size()))) break;
                }
                if (!ok || !io.sendReply(option, kRepAck)) return;
                break;
            }
            case kOptInfo:
            case kOptGo: {
                // u32 name length, name, u16 number of info requests, u16 each
                bool valid = length >= 6;
                uint32_t nameLen = valid ? getBe32(payload.data()) : 0;
                valid = valid && nameLen <= length - 6;
                uint16_t nReq = valid ? getBe16(payload.data() + 4 + nameLen) : 0;
                valid = valid && length == 4 + nameLen + 2 + 2u * nReq;
                if (!valid) {
                    if (!io.sendError(option, kRepErrInvalid, "malformed NBD_OPT_INFO/GO request")) return;
                    break;
                }
                std::string name(reinterpret_cast<const char*>(payload.data() + 4), nameLen);
                auto e = findExport(name);
                if (!e) {
                    if (!io.sendError(option, kRepErrUnknown, "no export named '" + name + "'")) return;
                    break;
                }
                bool wantName = false, wantDesc = false, wantBlock = false;
                for (uint16_t i = 0; i < nReq; ++i) {
                    uint16_t t = getBe16(payload.data() + 4 + nameLen + 2 + 2 * i);
                    wantName |= t == kInfoName;
                    wantDesc |= t == kInfoDescription;
                    wantBlock |= t == kInfoBlockSize;
                }
                std::byte info[12];
                putBe16(info, kInfoExport);
                putBe64(info + 2, e->exp.device->size());
                putBe16(info + 10, transmissionFlags(e->exp));
                if (!io.sendReply(option, kRepInfo, info, sizeof info)) return;
                if (wantName) {
                    std::vector<std::byte> d(2 + e->exp.name.size());
                    putBe16(d.data(), kInfoName);
                    std::memcpy(d.data() + 2, e->exp.name.data(), e->exp.name.size());
                    if (!io.sendReply(option, kRepInfo, d.data(), d.size())) return;
                }
                if (wantDesc && !e->exp.description.empty()) {
                    std::vector<std::byte> d(2 + e->exp.description.size());
                    putBe16(d.data(), kInfoDescription);
                    std::memcpy(d.data() + 2, e->exp.description.data(), e->exp.description.size());
                    if (!io.sendReply(option, kRepInfo, d.data(), d.size())) return;
                }
                if (wantBlock) {
                    std::byte b[14];
                    putBe16(b, kInfoBlockSize);
                    putBe32(b + 2, 1);                         // minimum
                    putBe32(b + 6, 4096);                      // preferred
                    putBe32(b + 10, options_.maxRequestBytes); // maximum payload
                    if (!io.sendReply(option, kRepInfo, b, sizeof b)) return;
                }
                if (!io.sendReply(option, kRepAck)) return;
                if (option == kOptGo) chosen = e;
                break;
            }
            default:
                if (!io.sendError(option, kRepErrUnsup, "option " + std::to_string(option) + " is not supported"))
                    return;
                break;
        }
    }

    // Transmission phase.
    ExportEntry& ex = *chosen;
    BlockDevice& dev = *ex.exp.device;
    const bool readOnly = ex.exp.readOnly;
    ex.active.fetch_add(1);
    ex.total.fetch_add(1);
    bool dirty = false;
    std::vector<std::byte> buf;

    auto reply = [&](uint64_t cookie, uint32_t error, const std::byte* data = nullptr, size_t len = 0) {
        std::byte r[kSimpleReplyBytes];
        putBe32(r, kSimpleReplyMagic);
        putBe32(r + 4, error);
        putBe64(r + 8, cookie);
        if (error) ex.errors.fetch_add(1);
        return sendAll(fd, r, sizeof r) && (len == 0 || sendAll(fd, data, len));
    };

    for (;;) {
        std::byte h[kRequestHeaderBytes];
        if (!recvAll(fd, h, sizeof h)) break;  // client gone (or stop())
        if (getBe32(h) != kRequestMagic) break;  // out of sync: the only safe thing is to close
        uint16_t flags = getBe16(h + 4);
        uint16_t type = getBe16(h + 6);
        uint64_t cookie = getBe64(h + 8);
        uint64_t offset = getBe64(h + 16);
        uint32_t length = getBe32(h + 24);
        const uint64_t size = dev.size();
        const bool inRange = offset <= size && length <= size - offset;
        const bool fua = flags & kCmdFlagFua;
        uint32_t err = 0;

        if (type == kCmdWrite) {
            // Take the payload off the wire first, whatever the verdict, to stay in sync.
            if (length > options_.maxRequestBytes) {
                if (!discardBytes(fd, length)) break;
                if (!reply(cookie, kEINVAL)) break;
                continue;
            }
            buf.resize(length);
            if (length && !recvAll(fd, buf.data(), length)) break;  // vanished mid-request: nothing written
            if (flags & ~(kCmdFlagFua)) err = kEINVAL;
            else if (readOnly) err = kEPERM;
            else if (!inRange) err = kENOSPC;
            else if (length) {
                auto st = dev.write(offset, std::span<const std::byte>(buf.data(), length), WriteFlags{fua});
                if (!st.ok()) err = nbdErrorFor(st.error().code);
                else {
                    ex.bytesWritten.fetch_add(length);
                    dirty = !fua || dirty;
                }
            }
            if (!reply(cookie, err)) break;
            continue;
        }

        switch (type) {
            case kCmdRead: {
                if (flags & ~(kCmdFlagFua | kCmdFlagDf)) err = kEINVAL;
                else if (length > options_.maxRequestBytes) err = kEINVAL;
                else if (!inRange) err = kEINVAL;
                else {
                    buf.resize(length);
                    if (length) {
                        auto st = dev.read(offset, std::span<std::byte>(buf.data(), length));
                        if (!st.ok()) err = nbdErrorFor(st.error().code);
                    }
                }
                bool sent = err ? reply(cookie, err) : reply(cookie, 0, buf.data(), length);
                if (!err) ex.bytesRead.fetch_add(length);
                if (!sent) goto done;
                break;
            }
            case kCmdDisc:
                goto done;
            case kCmdFlush: {
                if (flags) err = kEINVAL;
                else if (auto st = dev.flush(); !st.ok()) err = nbdErrorFor(st.error().code);
                else {
                    ex.flushes.fetch_add(1);
                    dirty = false;
                }
                if (!reply(cookie, err)) goto done;
                break;
            }
            case kCmdTrim: {
                if (flags & ~kCmdFlagFua) err = kEINVAL;
                else if (readOnly) err = kEPERM;
                else if (!inRange) err = kEINVAL;
                else if (length) {
                    auto st = dev.discard(offset, length);
                    if (st.ok() && fua) st = dev.flush();
                    if (!st.ok()) err = nbdErrorFor(st.error().code);
                    else dirty = !fua || dirty;
                }
                if (!reply(cookie, err)) goto done;
                break;
            }
            case kCmdWriteZeroes: {
                if (flags & ~(kCmdFlagFua | kCmdFlagNoHole)) err = kEINVAL;  // FAST_ZERO not advertised
                else if (readOnly) err = kEPERM;
                else if (!inRange) err = kENOSPC;
                else if (length) {
                    auto st = dev.writeZeroes(offset, length, WriteFlags{fua});
                    if (!st.ok()) err = nbdErrorFor(st.error().code);
                    else {
                        ex.bytesWritten.fetch_add(length);
                        dirty = !fua || dirty;
                    }
                }
                if (!reply(cookie, err)) goto done;
                break;
            }
            default:
                if (!reply(cookie, kEINVAL)) goto done;
                break;
        }
    }
done:
    // Writes the device accepted stay accepted; flushing here also makes them durable when a
    // client disconnects (or vanishes) without a final flush.
    if (dirty) (void)dev.flush();
    ex.active.fetch_sub(1);
}

}  // namespace loopsnap
