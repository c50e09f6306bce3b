#include "core/export/nbd_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/export/nbd_handshake.h"
#include "core/export/nbd_protocol.h"
#include "core/export/socket_io.h"
#include "core/util/endian.h"
#include "core/util/errno_map.h"

namespace loopsnap {

using namespace nbd;

namespace {

Error sysError(const std::string& what) {
    int e = errno;
    return makeError(e == EADDRINUSE ? ErrorCode::Busy : ErrorCode::IOError, what + ": " + std::strerror(e));
}

constexpr size_t kMaxExportName = 4096;
// Deep enough that a burst of connections (silent ones included) waits in the kernel, not refused.
constexpr int kListenBacklog = 256;

}  // namespace

uint32_t nbdErrorFor(ErrorCode code) noexcept {
    // The NBD protocol fixes its own error values (they equal Linux's); translate the one errno map.
    switch (errnoFor(code)) {
        case EPERM: return kEPERM;
        case ENOMEM: return kENOMEM;
        case EINVAL: return kEINVAL;
        case ENOSPC: return kENOSPC;
        case EOVERFLOW: return kEOVERFLOW;
        case EOPNOTSUPP: return kENOTSUP;
        case ESHUTDOWN: return kESHUTDOWN;
        default: return kEIO;
    }
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
    // Guarded by NbdServer::mutex_. A connection starts negotiating; admit() moves it to
    // transmitting; an accept that finds maxNegotiating connections negotiating evicts the oldest.
    bool negotiating = true;
    bool transmitting = false;
    bool evicted = false;
};

// The exports as one connection's negotiation sees them: keeps the export it last found alive,
// and admits the connection to transmission under the server's limits.
class NbdServer::ConnectionCatalog final : public NbdExportCatalog {
public:
    ConnectionCatalog(NbdServer& server, Connection& conn) : server_(server), conn_(conn) {}
    const NbdExport* find(const std::string& name) override {
        found_ = server_.findExport(name);
        return found_ ? &found_->exp : nullptr;
    }
    std::vector<std::string> names() override {
        std::vector<std::string> out;
        for (auto& e : server_.exportList()) out.push_back(e->exp.name);
        return out;
    }
    bool shuttingDown() override { return server_.stopping_.load(); }
    bool admit(const NbdExport&) override { return server_.admitToTransmission(conn_); }
    // The export of the last find(): after a successful negotiation, the one chosen.
    std::shared_ptr<ExportEntry> found() const { return found_; }

private:
    NbdServer& server_;
    Connection& conn_;
    std::shared_ptr<ExportEntry> found_;
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
    auto fd = listenUnixSocket(path, kListenBacklog);
    if (!fd.ok()) return fd.error();
    return startListener(*fd, path);
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
        if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, kListenBacklog) != 0) {
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
        AcceptWait w = waitForAccept(listener->fd, wakeRead_, 1000);
        reapFinished();
        if (stopping_.load() || w == AcceptWait::Woken) break;
        if (w != AcceptWait::Ready) continue;
        int fd = ::accept4(listener->fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // fails harmlessly on unix sockets
        std::lock_guard lock(mutex_);
        if (stopping_.load()) {
            ::close(fd);
            break;
        }
        evictOldestNegotiatingIfFull();
        auto c = std::make_unique<Connection>();
        c->fd = fd;
        Connection* raw = c.get();
        active_.fetch_add(1);
        c->thread = std::thread([this, raw] {
            serveConnection(raw);
            ::shutdown(raw->fd, SHUT_RDWR);
            {
                std::lock_guard l(mutex_);
                raw->negotiating = raw->transmitting = false;
            }
            active_.fetch_sub(1);
            raw->done.store(true);
        });
        connections_.push_back(std::move(c));
    }
}

void NbdServer::evictOldestNegotiatingIfFull() {
    unsigned negotiating = 0;
    Connection* oldest = nullptr;
    for (auto& c : connections_) {  // in accept order
        if (!c->negotiating || c->evicted) continue;
        if (!oldest) oldest = c.get();
        ++negotiating;
    }
    if (!oldest || negotiating < std::max(1u, options_.maxNegotiating)) return;
    oldest->evicted = true;
    ::shutdown(oldest->fd, SHUT_RDWR);  // its negotiation fails at once; its thread ends
    evictedHandshakes_.fetch_add(1);
}

bool NbdServer::admitToTransmission(Connection& conn) {
    std::lock_guard lock(mutex_);
    if (conn.evicted || stopping_.load()) return false;
    unsigned transmitting = 0;
    for (auto& c : connections_) transmitting += c->transmitting ? 1 : 0;
    if (transmitting >= options_.maxConnections) return false;
    conn.negotiating = false;
    conn.transmitting = true;
    return true;
}

uint64_t NbdServer::negotiatingConnections() const {
    std::lock_guard lock(mutex_);
    uint64_t n = 0;
    for (auto& c : connections_) n += c->negotiating && !c->evicted ? 1 : 0;
    return n;
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
// One connection: negotiation (nbd_handshake.cpp), then transmission.

void NbdServer::serveConnection(Connection* conn) {
    ConnectionCatalog catalog(*this, *conn);
    NbdHandshakeLimits limits;
    limits.maxOptionBytes = options_.maxOptionBytes;
    limits.maxRequestBytes = options_.maxRequestBytes;
    if (options_.handshakeTimeout.count() > 0)
        limits.deadline = std::chrono::steady_clock::now() + options_.handshakeTimeout;
    NbdHandshakeOutcome outcome = negotiateNbd(conn->fd, catalog, limits);
    switch (outcome.end) {
        case NbdHandshakeEnd::Transmission: break;
        case NbdHandshakeEnd::Malformed: badHandshakes_.fetch_add(1); return;
        case NbdHandshakeEnd::TimedOut: timedOutHandshakes_.fetch_add(1); return;
        case NbdHandshakeEnd::ClientLeft:
        case NbdHandshakeEnd::Refused: return;
    }
    std::shared_ptr<ExportEntry> chosen = catalog.found();
    serveTransmission(conn->fd, *chosen);
}

void NbdServer::serveTransmission(int fd, ExportEntry& ex) {
    BlockDevice& dev = *ex.exp.device;
    const bool readOnly = ex.exp.readOnly;
    ex.active.fetch_add(1);
    ex.total.fetch_add(1);
    bool dirty = false;
    std::vector<std::byte> buf;

    auto reply = [&](uint64_t cookie, uint32_t error, const std::byte* data = nullptr, size_t len = 0) {
        std::byte r[kSimpleReplyBytes];
        storeBe32(r, kSimpleReplyMagic);
        storeBe32(r + 4, error);
        storeBe64(r + 8, cookie);
        if (error) ex.errors.fetch_add(1);
        return sendAll(fd, r, sizeof r) && (len == 0 || sendAll(fd, data, len));
    };

    for (;;) {
        std::byte h[kRequestHeaderBytes];
        if (!recvAll(fd, h, sizeof h)) break;  // client gone (or stop())
        if (loadBe32(h) != kRequestMagic) break;  // out of sync: the only safe thing is to close
        uint16_t flags = loadBe16(h + 4);
        uint16_t type = loadBe16(h + 6);
        uint64_t cookie = loadBe64(h + 8);
        uint64_t offset = loadBe64(h + 16);
        uint32_t length = loadBe32(h + 24);
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
