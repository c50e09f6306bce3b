// The NBD transmission phase of one connection (after nbd_handshake.h): requests read in order on
// the connection's thread, executed on a few threads of the connection's own, replies sent as
// each finishes (simple replies, any order; the client matches them by cookie).
//
// Threading and ordering
// - run() is called on the connection's thread and reads requests; a WRITE's payload is read
//   with its header, so the stream stays in sync whatever the verdict. At most
//   limits.maxInFlight requests are read but not yet replied to: past that run() waits before
//   reading the next (the client sees TCP back-pressure).
// - Requests run on limits.workers threads (a ThreadPool owned by this object and joined by
//   run() before it returns, on the connection's thread). Replies are written under one send
//   mutex, a header and its read data together.
// - Overlapping requests in flight together run in no defined order, as the protocol says (a
//   client that needs an order waits for the first reply). NBD_CMD_FLUSH calls flush() on the
//   device after the FLUSH was read, so it covers every write whose reply was sent before.
// - On DISC, EOF, a bad magic or shutdown(), run() stops reading, waits for every request in
//   flight (their replies are sent if the socket still works), then flushes the device if a
//   write was accepted since the last flush, and returns.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "core/export/nbd_server.h"

namespace loopsnap {

class ThreadPool;

// Per-export counters, updated by every connection's request threads without locks.
struct NbdRequestCounters {
    std::atomic<uint64_t> bytesRead{0}, bytesWritten{0}, flushes{0}, errors{0}, peakInFlight{0};
};

struct NbdTransmissionLimits {
    uint32_t maxRequestBytes = 32u << 20;
    unsigned maxInFlight = 16;
    unsigned workers = 4;
};

class NbdTransmission {
public:
    NbdTransmission(int fd, const NbdExport& exp, NbdRequestCounters& counters, NbdTransmissionLimits limits);
    ~NbdTransmission();
    NbdTransmission(const NbdTransmission&) = delete;
    NbdTransmission& operator=(const NbdTransmission&) = delete;

    void run();

private:
    struct Request;
    void execute(Request& r);
    bool reply(uint64_t cookie, uint32_t error, const std::byte* data = nullptr, size_t len = 0);
    void finished();

    const int fd_;
    const NbdExport& exp_;
    NbdRequestCounters& counters_;
    const NbdTransmissionLimits limits_;
    std::mutex sendMutex_;
    std::mutex flightMutex_;
    std::condition_variable flightCv_;
    unsigned inFlight_ = 0;                // guarded by flightMutex_
    std::atomic<bool> dirty_{false};       // a write accepted since the last flush
    std::unique_ptr<ThreadPool> pool_;     // created and joined by run()
};

}  // namespace loopsnap
