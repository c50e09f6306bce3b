// NbdServer: serves BlockDevices over the NBD protocol (fixed newstyle handshake, simple replies)
// on unix sockets and TCP, so that qemu, nbdkit's tools, libnbd and the kernel's nbd client can
// use any engine device (origin, snapshot, clone, file, memory) by export name.
//
// What it speaks (see docs/nbd-export.md)
// - Options: NBD_OPT_GO, NBD_OPT_INFO, NBD_OPT_LIST, NBD_OPT_ABORT and the old
//   NBD_OPT_EXPORT_NAME; every other option gets NBD_REP_ERR_UNSUP (so STRUCTURED_REPLY and
//   STARTTLS are refused and clients fall back to simple replies / plain text).
// - Commands: READ, WRITE, FLUSH, TRIM, WRITE_ZEROES, DISC. Transmission flags: HAS_FLAGS,
//   SEND_FLUSH, SEND_FUA, SEND_TRIM, SEND_WRITE_ZEROES, CAN_MULTI_CONN (+ READ_ONLY).
// - FUA on WRITE / WRITE_ZEROES reaches the device as WriteFlags{fua = true}; FUA on TRIM is a
//   discard followed by flush(). NBD_CMD_FLUSH is BlockDevice::flush() on the served device.
//   Because BlockDevice::flush() covers every write completed before it on the device, whatever
//   connection it came from, CAN_MULTI_CONN is advertised.
// - Errors: engine ErrorCode -> errno (core/util/errno_map.h, shared with FUSE) -> NBD error
//   (IOError/Corruption/Invalidated -> EIO, NoSpace ->
//   ENOSPC, InvalidArgument -> EINVAL, read-only export -> EPERM). A request outside the export
//   gets EINVAL (read, trim) or ENOSPC (write, write_zeroes), as the protocol asks; a request
//   longer than maxRequestBytes gets EINVAL (a too-long WRITE's payload is read and discarded so
//   the connection stays in sync).
// - A malformed handshake or request header closes that connection only. A client that vanishes
//   mid-request only loses its own unfinished request: every write the device accepted stays.
//
// Connection limits (issue #11 item 3): a connection that is still negotiating holds no
// transmission slot. Negotiation (core/export/nbd_handshake.h) has a deadline
// (handshakeTimeout) and at most maxNegotiating connections negotiate at once; one more evicts
// the oldest, so a new client is always served whatever silent connections are open.
//
// Threading contract
// - Each listener has one accept thread; each connection has one thread that negotiates, then
//   reads requests, and requestThreads threads that run them on the device and send each reply
//   as soon as it is done (core/export/nbd_transmission.h): up to maxRequestsInFlight requests
//   of one connection run at once and replies come in any order, as the protocol allows. A
//   FLUSH is BlockDevice::flush() issued after the FLUSH arrived, so its reply covers every write
//   completed (replied to) before it. Several connections run concurrently too, so devices must
//   be thread-safe, as the BlockDevice contract requires.
// - addExport/removeExport/listenUnix/listenTcp/stop/exports/stats may be called from any thread.
//   A removed export keeps serving the connections that already opened it (they hold the
//   device's shared_ptr) and is refused to new ones.
// - stop() closes the listeners, shuts every connection down (a request being executed on the
//   device finishes first; its reply may not be delivered), joins all threads, then flushes every
//   export's device once. After stop() returns no server thread touches any device. The
//   destructor calls stop(). stop() must not be called from a connection thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/io/block_device.h"
#include "core/util/result.h"

namespace loopsnap {

struct NbdExport {
    std::string name;                     // the export name clients ask for
    std::shared_ptr<BlockDevice> device;
    bool readOnly = false;                // advertise READ_ONLY; writes/trims get EPERM
    std::string description;              // sent as NBD_INFO_DESCRIPTION when asked for
};

struct NbdServerOptions {
    uint32_t maxRequestBytes = 32u << 20;  // larger READ/WRITE requests get EINVAL
    uint32_t maxOptionBytes = 64u << 10;   // a longer option payload closes the connection
    // Connections in transmission (past the handshake). A client that completes GO beyond it gets
    // NBD_REP_ERR_POLICY (EXPORT_NAME: closed); it never blocks a slot while negotiating.
    unsigned maxConnections = 128;
    // Connections still negotiating. Accepting one more evicts (closes) the oldest of them, so
    // silent or slow clients can never lock a new client out.
    unsigned maxNegotiating = 256;
    // The whole handshake (greeting to GO) must end within this; 0 = no limit.
    std::chrono::milliseconds handshakeTimeout{10000};
    // Requests of one connection in flight at once (read, not yet replied to); the connection
    // stops reading past it. Each connection runs them on requestThreads threads of its own: as
    // many as may be in flight, so that origin writes of one connection all reach the snapshot's
    // committer together and share one commit (group commit: one flush and one FUA area write
    // for every exception completed since the last), instead of queueing behind each other.
    unsigned maxRequestsInFlight = 16;
    unsigned requestThreads = 16;
    // Name served for an empty export name (NBD's "default export"). Empty: the only export if
    // there is exactly one, otherwise none.
    std::string defaultExport;
};

// Live counters of one export, read without locks.
struct NbdExportStats {
    std::string name;
    uint64_t size = 0;
    bool readOnly = false;
    std::string description;
    uint64_t activeConnections = 0;
    uint64_t totalConnections = 0;
    uint64_t bytesRead = 0;
    uint64_t bytesWritten = 0;
    uint64_t flushes = 0;
    uint64_t errors = 0;  // requests answered with an error
    uint64_t peakRequestsInFlight = 0;  // most requests one connection had in flight at once
};

// Maps an engine error to the NBD error value sent to the client.
uint32_t nbdErrorFor(ErrorCode code) noexcept;

class NbdServer {
public:
    explicit NbdServer(NbdServerOptions options = {});
    ~NbdServer();
    NbdServer(const NbdServer&) = delete;
    NbdServer& operator=(const NbdServer&) = delete;

    // InvalidArgument for an empty or over-long (>4096 bytes) name or a null device; Busy if the
    // name is taken.
    Status addExport(NbdExport exp);
    Status removeExport(const std::string& name);

    // Listens on a unix socket at `path`. A stale socket file (nobody accepting) is replaced; a
    // live one is refused with Busy; any other existing file with InvalidArgument. The socket
    // file is removed again by stop().
    Status listenUnix(const std::string& path);
    // Listens on TCP. `host` must be given explicitly ("127.0.0.1", "::1", "0.0.0.0" ...); the CLI
    // defaults it to 127.0.0.1. Port 0 picks a free port. Returns the bound port.
    Result<uint16_t> listenTcp(const std::string& host, uint16_t port);

    void stop();
    bool running() const noexcept { return !stopping_.load(); }

    std::vector<NbdExportStats> exports() const;
    uint64_t activeConnections() const noexcept { return active_.load(); }
    uint64_t rejectedHandshakes() const noexcept { return badHandshakes_.load(); }
    uint64_t timedOutHandshakes() const noexcept { return timedOutHandshakes_.load(); }
    uint64_t evictedHandshakes() const noexcept { return evictedHandshakes_.load(); }
    uint64_t negotiatingConnections() const;

private:
    struct ExportEntry;
    struct Connection;
    struct Listener;
    class ConnectionCatalog;
    friend struct Connection;

    std::shared_ptr<ExportEntry> findExport(const std::string& name) const;
    std::vector<std::shared_ptr<ExportEntry>> exportList() const;
    Status startListener(int fd, std::string unixPath);
    void acceptLoop(Listener* listener);
    void serveConnection(Connection* conn);
    void serveTransmission(int fd, ExportEntry& ex);
    void evictOldestNegotiatingIfFull();  // mutex_ held
    bool admitToTransmission(Connection& conn);
    void reapFinished();

    NbdServerOptions options_;
    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<ExportEntry>> exports_;
    std::vector<std::unique_ptr<Listener>> listeners_;
    std::vector<std::unique_ptr<Connection>> connections_;
    std::atomic<bool> stopping_{false};
    std::atomic<uint64_t> active_{0};
    std::atomic<uint64_t> badHandshakes_{0};
    std::atomic<uint64_t> timedOutHandshakes_{0};
    std::atomic<uint64_t> evictedHandshakes_{0};
    int wakeRead_ = -1, wakeWrite_ = -1;  // self-pipe that wakes the accept threads on stop()
};

}  // namespace loopsnap
