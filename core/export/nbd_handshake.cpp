#include "core/export/nbd_handshake.h"

#include <chrono>
#include <cstring>

#include "core/export/nbd_protocol.h"
#include "core/util/endian.h"

namespace loopsnap {

using namespace nbd;

uint16_t nbdTransmissionFlags(const NbdExport& e) {
    uint16_t f = kFlagHasFlags | kFlagSendFlush | kFlagSendFua | kFlagCanMultiConn;
    if (e.readOnly) f |= kFlagReadOnly;
    else f |= kFlagSendTrim | kFlagSendWriteZeroes;
    return f;
}

namespace {

// One negotiation: the socket, the limits, and how it ended.
class Negotiation {
public:
    Negotiation(int fd, NbdExportCatalog& catalog, const NbdHandshakeLimits& limits)
        : fd_(fd), catalog_(catalog), limits_(limits) {}

    NbdHandshakeOutcome run() {
        if (!greet()) return outcome_;
        while (!outcome_.chosen) {
            if (!nextOption()) return outcome_;
        }
        outcome_.end = NbdHandshakeEnd::Transmission;
        return outcome_;
    }

private:
    // Sets how the negotiation ended after a failed receive: the deadline or the client.
    bool receiveFailed() {
        outcome_.end = limits_.deadline && std::chrono::steady_clock::now() >= *limits_.deadline
                           ? NbdHandshakeEnd::TimedOut
                           : NbdHandshakeEnd::ClientLeft;
        return false;
    }
    bool ended(NbdHandshakeEnd end) {
        outcome_.end = end;
        return false;
    }
    bool receive(void* buf, size_t n) { return recvAll(fd_, buf, n, limits_.deadline) || receiveFailed(); }
    bool send(const void* buf, size_t n) { return sendAll(fd_, buf, n) || ended(NbdHandshakeEnd::ClientLeft); }

    bool sendReply(uint32_t option, uint32_t type, const void* data = nullptr, size_t len = 0) {
        std::byte h[20];
        storeBe64(h, kOptReplyMagic);
        storeBe32(h + 8, option);
        storeBe32(h + 12, type);
        storeBe32(h + 16, uint32_t(len));
        return send(h, sizeof h) && (len == 0 || send(data, len));
    }
    bool sendError(uint32_t option, uint32_t type, const std::string& message) {
        return sendReply(option, type, message.data(), message.size());
    }
    bool sendInfo(uint32_t option, uint16_t infoType, const std::string& text) {
        std::vector<std::byte> d(2 + text.size());
        storeBe16(d.data(), infoType);
        std::memcpy(d.data() + 2, text.data(), text.size());
        return sendReply(option, kRepInfo, d.data(), d.size());
    }

    bool greet() {
        std::byte hello[18];
        storeBe64(hello, kNbdMagic);
        storeBe64(hello + 8, kIHaveOpt);
        storeBe16(hello + 16, kFlagFixedNewstyle | kFlagNoZeroes);
        if (!send(hello, sizeof hello)) return false;
        std::byte cf[4];
        if (!receive(cf, 4)) return false;
        uint32_t clientFlags = loadBe32(cf);
        // The protocol says: unknown client flags -> close.
        if (clientFlags & ~(kClientFlagFixedNewstyle | kClientFlagNoZeroes)) return ended(NbdHandshakeEnd::Malformed);
        outcome_.noZeroes = clientFlags & kClientFlagNoZeroes;
        return true;
    }

    bool nextOption() {
        std::byte oh[16];
        if (!receive(oh, sizeof oh)) return false;
        if (loadBe64(oh) != kIHaveOpt) return ended(NbdHandshakeEnd::Malformed);
        const uint32_t option = loadBe32(oh + 8);
        const uint32_t length = loadBe32(oh + 12);
        if (length > limits_.maxOptionBytes) return ended(NbdHandshakeEnd::Malformed);
        payload_.resize(length);
        if (length && !receive(payload_.data(), length)) return false;
        if (catalog_.shuttingDown()) {
            sendError(option, kRepErrShutdown, "server is shutting down");
            return ended(NbdHandshakeEnd::Refused);
        }
        switch (option) {
            case kOptExportName: return exportName();
            case kOptAbort:
                sendReply(option, kRepAck);
                return ended(NbdHandshakeEnd::ClientLeft);
            case kOptList: return list();
            case kOptInfo:
            case kOptGo: return infoOrGo(option);
            default:
                return sendError(option, kRepErrUnsup, "option " + std::to_string(option) + " is not supported");
        }
    }

    bool exportName() {
        std::string name(reinterpret_cast<const char*>(payload_.data()), payload_.size());
        const NbdExport* e = catalog_.find(name);
        if (!e) return ended(NbdHandshakeEnd::Refused);  // this old option has no error reply: close
        if (!catalog_.admit(*e)) return ended(NbdHandshakeEnd::Refused);
        std::byte r[10 + 124] = {};
        storeBe64(r, e->device->size());
        storeBe16(r + 8, nbdTransmissionFlags(*e));
        if (!send(r, outcome_.noZeroes ? 10 : sizeof r)) return false;
        outcome_.chosen = e;
        return true;
    }

    bool list() {
        if (!payload_.empty()) return sendError(kOptList, kRepErrInvalid, "NBD_OPT_LIST takes no data");
        for (const std::string& name : catalog_.names()) {
            std::vector<std::byte> d(4 + name.size());
            storeBe32(d.data(), uint32_t(name.size()));
            std::memcpy(d.data() + 4, name.data(), name.size());
            if (!sendReply(kOptList, kRepServer, d.data(), d.size())) return false;
        }
        return sendReply(kOptList, kRepAck);
    }

    // Payload: u32 name length, name, u16 number of info requests, u16 each.
    bool infoOrGo(uint32_t option) {
        const uint32_t length = uint32_t(payload_.size());
        bool valid = length >= 6;
        uint32_t nameLen = valid ? loadBe32(payload_.data()) : 0;
        valid = valid && nameLen <= length - 6;
        uint16_t nReq = valid ? loadBe16(payload_.data() + 4 + nameLen) : 0;
        valid = valid && length == 4 + nameLen + 2 + 2u * nReq;
        if (!valid) return sendError(option, kRepErrInvalid, "malformed NBD_OPT_INFO/GO request");
        std::string name(reinterpret_cast<const char*>(payload_.data() + 4), nameLen);
        const NbdExport* e = catalog_.find(name);
        if (!e) return sendError(option, kRepErrUnknown, "no export named '" + name + "'");
        bool wantName = false, wantDesc = false, wantBlock = false;
        for (uint16_t i = 0; i < nReq; ++i) {
            uint16_t t = loadBe16(payload_.data() + 4 + nameLen + 2 + 2 * i);
            wantName |= t == kInfoName;
            wantDesc |= t == kInfoDescription;
            wantBlock |= t == kInfoBlockSize;
        }
        if (option == kOptGo && !catalog_.admit(*e)) {
            sendError(option, kRepErrPolicy, "server has no room for another connection; retry later");
            return ended(NbdHandshakeEnd::Refused);
        }
        std::byte info[12];
        storeBe16(info, kInfoExport);
        storeBe64(info + 2, e->device->size());
        storeBe16(info + 10, nbdTransmissionFlags(*e));
        if (!sendReply(option, kRepInfo, info, sizeof info)) return false;
        if (wantName && !sendInfo(option, kInfoName, e->name)) return false;
        if (wantDesc && !e->description.empty() && !sendInfo(option, kInfoDescription, e->description)) return false;
        if (wantBlock) {
            std::byte b[14];
            storeBe16(b, kInfoBlockSize);
            storeBe32(b + 2, 1);                         // minimum
            storeBe32(b + 6, 4096);                      // preferred
            storeBe32(b + 10, limits_.maxRequestBytes);  // maximum payload
            if (!sendReply(option, kRepInfo, b, sizeof b)) return false;
        }
        if (!sendReply(option, kRepAck)) return false;
        if (option == kOptGo) outcome_.chosen = e;
        return true;
    }

    const int fd_;
    NbdExportCatalog& catalog_;
    const NbdHandshakeLimits& limits_;
    NbdHandshakeOutcome outcome_;
    std::vector<std::byte> payload_;
};

}  // namespace

NbdHandshakeOutcome negotiateNbd(int fd, NbdExportCatalog& catalog, const NbdHandshakeLimits& limits) {
    return Negotiation(fd, catalog, limits).run();
}

}  // namespace loopsnap
