#include "core/export/nbd_transmission.h"

#include <sys/socket.h>

#include <algorithm>
#include <vector>

#include "core/concurrency/executor.h"
#include "core/export/nbd_protocol.h"
#include "core/export/socket_io.h"
#include "core/util/endian.h"

namespace loopsnap {

using namespace nbd;

struct NbdTransmission::Request {
    uint16_t flags = 0, type = 0;
    uint64_t cookie = 0, offset = 0;
    uint32_t length = 0;
    uint32_t presetError = 0;        // decided while reading (oversized WRITE)
    std::vector<std::byte> payload;  // WRITE data
};

NbdTransmission::NbdTransmission(int fd, const NbdExport& exp, NbdRequestCounters& counters, NbdTransmissionLimits limits)
    : fd_(fd), exp_(exp), counters_(counters), limits_(limits) {}

NbdTransmission::~NbdTransmission() = default;

bool NbdTransmission::reply(uint64_t cookie, uint32_t error, const std::byte* data, size_t len) {
    std::byte r[kSimpleReplyBytes];
    storeBe32(r, kSimpleReplyMagic);
    storeBe32(r + 4, error);
    storeBe64(r + 8, cookie);
    if (error) counters_.errors.fetch_add(1);
    std::lock_guard lock(sendMutex_);
    return sendAll(fd_, r, sizeof r) && (len == 0 || sendAll(fd_, data, len));
}

void NbdTransmission::finished() {
    std::lock_guard lock(flightMutex_);
    --inFlight_;
    flightCv_.notify_all();
}

void NbdTransmission::execute(Request& r) {
    BlockDevice& dev = *exp_.device;
    const uint64_t size = dev.size();
    const bool inRange = r.offset <= size && r.length <= size - r.offset;
    const bool fua = r.flags & kCmdFlagFua;
    const bool readOnly = exp_.readOnly;
    uint32_t err = r.presetError;
    bool sent = true;
    if (err) {
        sent = reply(r.cookie, err);
    } else {
        switch (r.type) {
            case kCmdWrite:
                if (r.flags & ~kCmdFlagFua) err = kEINVAL;
                else if (readOnly) err = kEPERM;
                else if (!inRange) err = kENOSPC;
                else if (r.length) {
                    // Without FUA the device may write behind (an origin: without waiting for its
                    // copy-on-write commits); FLUSH then covers the write, as the protocol asks.
                    auto payload = std::make_shared<std::vector<std::byte>>(std::move(r.payload));
                    std::span<const std::byte> bytes(payload->data(), r.length);
                    auto st = fua ? dev.write(r.offset, bytes, WriteFlags{true}) : dev.writeBehind(r.offset, bytes, payload);
                    if (!st.ok()) err = nbdErrorFor(st.error().code);
                    else {
                        counters_.bytesWritten.fetch_add(r.length);
                        if (!fua) dirty_.store(true);
                    }
                }
                sent = reply(r.cookie, err);
                break;
            case kCmdRead: {
                std::vector<std::byte> buf;
                if (r.flags & ~(kCmdFlagFua | kCmdFlagDf)) err = kEINVAL;
                else if (r.length > limits_.maxRequestBytes) err = kEINVAL;
                else if (!inRange) err = kEINVAL;
                else if (r.length) {
                    buf.resize(r.length);
                    auto st = dev.read(r.offset, std::span<std::byte>(buf.data(), r.length));
                    if (!st.ok()) err = nbdErrorFor(st.error().code);
                }
                sent = err ? reply(r.cookie, err) : reply(r.cookie, 0, buf.data(), buf.size());
                if (!err) counters_.bytesRead.fetch_add(r.length);
                break;
            }
            case kCmdFlush:
                if (r.flags) err = kEINVAL;
                else {
                    // Cleared first: a write accepted while this flush runs sets it again.
                    dirty_.store(false);
                    if (auto st = dev.flush(); !st.ok()) {
                        err = nbdErrorFor(st.error().code);
                        dirty_.store(true);
                    } else {
                        counters_.flushes.fetch_add(1);
                    }
                }
                sent = reply(r.cookie, err);
                break;
            case kCmdTrim:
                if (r.flags & ~kCmdFlagFua) err = kEINVAL;
                else if (readOnly) err = kEPERM;
                else if (!inRange) err = kEINVAL;
                else if (r.length) {
                    auto st = dev.discard(r.offset, r.length);
                    if (st.ok() && fua) st = dev.flush();
                    if (!st.ok()) err = nbdErrorFor(st.error().code);
                    else if (!fua) dirty_.store(true);
                }
                sent = reply(r.cookie, err);
                break;
            case kCmdWriteZeroes:
                if (r.flags & ~(kCmdFlagFua | kCmdFlagNoHole)) err = kEINVAL;  // FAST_ZERO not advertised
                else if (readOnly) err = kEPERM;
                else if (!inRange) err = kENOSPC;
                else if (r.length) {
                    auto st = dev.writeZeroes(r.offset, r.length, WriteFlags{fua});
                    if (!st.ok()) err = nbdErrorFor(st.error().code);
                    else {
                        counters_.bytesWritten.fetch_add(r.length);
                        if (!fua) dirty_.store(true);
                    }
                }
                sent = reply(r.cookie, err);
                break;
            default:
                sent = reply(r.cookie, kEINVAL);
                break;
        }
    }
    // A reply that cannot be sent: the client is gone; make the reader stop too.
    if (!sent) ::shutdown(fd_, SHUT_RDWR);
}

void NbdTransmission::run() {
    pool_ = std::make_unique<ThreadPool>(limits_.workers);
    for (;;) {
        std::byte h[kRequestHeaderBytes];
        if (!recvAll(fd_, h, sizeof h)) break;     // client gone (or stop())
        if (loadBe32(h) != kRequestMagic) break;  // out of sync: the only safe thing is to close
        auto r = std::make_shared<Request>();
        r->flags = loadBe16(h + 4);
        r->type = loadBe16(h + 6);
        r->cookie = loadBe64(h + 8);
        r->offset = loadBe64(h + 16);
        r->length = loadBe32(h + 24);
        if (r->type == kCmdDisc) break;
        if (r->type == kCmdWrite) {
            // Take the payload off the wire first, whatever the verdict, to stay in sync.
            if (r->length > limits_.maxRequestBytes) {
                if (!discardBytes(fd_, r->length)) break;
                r->presetError = kEINVAL;
            } else {
                r->payload.resize(r->length);
                if (r->length && !recvAll(fd_, r->payload.data(), r->length)) break;  // vanished mid-request
            }
        }
        {
            std::unique_lock lock(flightMutex_);
            flightCv_.wait(lock, [&] { return inFlight_ < limits_.maxInFlight; });
            ++inFlight_;
            uint64_t peak = counters_.peakInFlight.load();
            while (inFlight_ > peak && !counters_.peakInFlight.compare_exchange_weak(peak, inFlight_)) {
            }
        }
        pool_->submit([this, r] {
            execute(*r);
            finished();
        });
    }
    {
        std::unique_lock lock(flightMutex_);
        flightCv_.wait(lock, [&] { return inFlight_ == 0; });
    }
    pool_.reset();  // joins the (idle) request threads here, on the connection's thread
    // Writes the device accepted stay accepted; flushing here also makes them durable when a
    // client disconnects (or vanishes) without a final flush.
    if (dirty_.load()) (void)exp_.device->flush();
}

}  // namespace loopsnap
