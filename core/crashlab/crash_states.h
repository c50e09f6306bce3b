// Crash-state generation from a WriteLog (see core/io/recording_device.h for the ordering model).
//
// For every point p of the log (a crash after the first p entries) and every device, the disk
// has destaged a set D of the writes completed before p: every write covered by a flush that
// completed before p, every FUA write before p, and any subset of the others (a volatile cache
// may have destaged any of them). Each byte holds the newest write in D covering it (log order),
// or the initial contents: so a plain write newer than a FUA write to the same bytes wins once a
// flush covers it, and an unflushed write never shows through a newer FUA write. The generator
// visits, per point, every subset when there are at most `exhaustiveUpTo` such writes, else
// `samples` seeded random subsets plus "none" and "all".
//
// With tornWrites, a kept multi-sector write that is neither FUA nor flushed may also persist only
// in part: each state tears such a write with probability 1/2, keeping a random proper subset of
// the 512-byte device sectors it touches (a disk promises sector atomicity, nothing larger).
//
// States are presented as CrashImageDevices: the durable base plus the chosen writes as an
// overlay, so no whole image is copied per state. Recovery code may write to them (formatting,
// a merge rerun): those writes stay private to the state. The devices of a state are valid only
// during the visit callback (the base moves on afterwards).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/io/block_device.h"
#include "core/io/recording_device.h"

namespace loopsnap {

class CrashImageDevice final : public BlockDevice {
public:
    // `overlay` entries may point into `pieces` (torn parts of writes), which the device keeps alive.
    CrashImageDevice(const std::vector<std::byte>* base, std::vector<const LogEntry*> overlay, std::string name,
                     std::shared_ptr<const std::deque<LogEntry>> pieces = nullptr);
    uint64_t size() const override { return base_->size(); }
    Status read(uint64_t offset, std::span<std::byte> out) override;
    Status write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags = {}) override;
    Status flush() override { return {}; }
    std::string describe() const override { return name_; }

    // What the state put over the base, in log order, and the torn pieces it points into: a
    // checker rebuilds the state with fewer of them to shrink a violation's trace. Besides the
    // kept unflushed writes it holds the durable FUA writes newer than one of them (re-applied so
    // the newer data stays on top): a shrinker must keep those (LogEntry::fua).
    const std::vector<const LogEntry*>& overlay() const { return overlay_; }
    const std::shared_ptr<const std::deque<LogEntry>>& pieces() const { return pieces_; }

private:
    const std::vector<std::byte>* base_;
    std::vector<const LogEntry*> overlay_;
    std::shared_ptr<const std::deque<LogEntry>> pieces_;
    std::vector<std::pair<uint64_t, std::vector<std::byte>>> own_;  // recovery's writes, in order
    std::string name_;
};

struct CrashState {
    uint64_t point = 0;                  // crash after this many log entries
    std::vector<uint64_t> keptUnflushed; // log indices of unflushed writes that survived
    uint64_t unflushed = 0;              // how many unflushed writes there were to choose from
    std::vector<uint64_t> torn;          // (tornWrites) those kept writes that persisted only in part
    std::vector<std::shared_ptr<CrashImageDevice>> devices;  // one per WriteLog device
    // The durable image of each device at this point (valid during the visit only): a checker
    // builds CrashImageDevices over it with fewer kept writes to shrink a violation's trace.
    std::vector<const std::vector<std::byte>*> bases;
};

struct CrashStateOptions {
    uint64_t seed = 1;
    unsigned exhaustiveUpTo = 6;
    unsigned samples = 24;
    uint64_t maxStates = UINT64_MAX;
    uint64_t pointStride = 1;  // visit every n-th crash point (1: all)
    bool tornWrites = false;   // see above; off, the random sequence (and so every state) is unchanged
};

constexpr uint64_t kCrashSectorSize = 512;

// Visits crash states in log order; `visit` returns false to stop. Returns the number visited.
uint64_t forEachCrashState(const WriteLog& log, const CrashStateOptions& options,
                           const std::function<bool(CrashState&)>& visit);

// Deterministic pseudo-random bytes for scenario data (images, write payloads): the same seed
// gives the same bytes on every machine, so a reported seed reproduces a violation.
std::vector<std::byte> seededBytes(uint64_t seed, size_t n);

// The last `count` log entries before `point`, one line each, for violation reports.
std::string describeLogTail(const WriteLog& log, uint64_t point, size_t count,
                            const std::function<std::string(const LogEntry&)>& annotate = {});

}  // namespace loopsnap
