// The NBD fixed-newstyle negotiation of one connection, apart from the transmission phase that
// NbdServer runs after it (see nbd_server.h for what is spoken).
//
// Threading: negotiateNbd runs on the connection's thread and blocks on its socket, never longer
// than the deadline in total (a client that sends nothing, or trickles bytes, is dropped when the
// deadline passes). The catalog is called on that thread only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/export/nbd_server.h"
#include "core/export/socket_io.h"

namespace loopsnap {

// What negotiation may ask of the server. find() returns a pointer that stays valid until the
// next find() on the same catalog (the catalog keeps the export alive).
class NbdExportCatalog {
public:
    virtual ~NbdExportCatalog() = default;
    virtual const NbdExport* find(const std::string& name) = 0;  // "" is the default export
    virtual std::vector<std::string> names() = 0;
    virtual bool shuttingDown() = 0;
    // Called once, for the export the client chose, before the reply that enters transmission
    // (GO's final ACK, EXPORT_NAME's export data). false: the server has no room for another
    // transmitting connection; GO gets NBD_REP_ERR_POLICY and the connection closes.
    virtual bool admit(const NbdExport& chosen) = 0;
};

struct NbdHandshakeLimits {
    uint32_t maxOptionBytes = 64u << 10;
    uint32_t maxRequestBytes = 32u << 20;  // advertised as the maximum payload (NBD_INFO_BLOCK_SIZE)
    SocketDeadline deadline;               // the whole negotiation must end by then
};

enum class NbdHandshakeEnd {
    Transmission,  // the client chose `chosen` and was admitted
    ClientLeft,    // EOF, ABORT, or a send/receive failure
    TimedOut,      // the deadline passed
    Malformed,     // a protocol violation (bad magic, unknown client flags, oversized option)
    Refused,       // admit() said no, or the server is shutting down
};

struct NbdHandshakeOutcome {
    NbdHandshakeEnd end = NbdHandshakeEnd::ClientLeft;
    const NbdExport* chosen = nullptr;  // from the catalog; only with Transmission
    bool noZeroes = false;
};

NbdHandshakeOutcome negotiateNbd(int fd, NbdExportCatalog& catalog, const NbdHandshakeLimits& limits);

// The transmission flags the server advertises for an export.
uint16_t nbdTransmissionFlags(const NbdExport& e);

}  // namespace loopsnap
