// Snapshot crash scenario: origin writes through the engine with copies finishing out of order
// (ShufflingExecutor), recorded; then every crash state is reopened as recovery would (load the
// store) and checked:
//   no-leaked-chunk        every chunk below next_free is a metadata chunk or referenced by a
//                          committed record (the in-order completion rule's promise)
//   committed-record-data  every committed record's COW chunk holds the origin's data at
//                          snapshot time
//   snapshot-view          the snapshot reads exactly the origin's data at snapshot time
//   store-valid            the store loads, and is not invalid
#include <chrono>
#include <cstring>
#include <random>
#include <set>
#include <thread>

#include "core/crashlab/crash_test.h"
#include "core/concurrency/executor.h"
#include "core/io/memory_device.h"
#include "core/snapshot/cow_format.h"
#include "core/snapshot/snapshot.h"

namespace loopsnap {
namespace {

constexpr uint64_t kChunk = 4096;                 // 256 records per area: the workload crosses areas
constexpr uint64_t kOriginChunks = 1024;
constexpr uint64_t kCowBytes = (1 + 5 * 257) * kChunk;

}  // namespace

CrashTestReport runSnapshotCrashTest(const CrashTestOptions& opt) {
    auto started = std::chrono::steady_clock::now();
    CrashTestReport report;
    const uint64_t ops = opt.ops ? opt.ops : 100;
    const uint64_t originBytes = kOriginChunks * kChunk;
    auto initialOrigin = seededBytes(opt.seed, originBytes);

    // Snapshot creation happens before recording: the initial images hold a formatted store.
    auto originMem = std::make_shared<MemoryDevice>(initialOrigin, "origin");
    auto cowMem = std::make_shared<MemoryDevice>(kCowBytes, "cow");
    {
        auto o = Origin::create(originMem, OriginOptions{std::make_shared<ThreadPool>(1)});
        auto s = o->attachSnapshot(cowMem, SnapshotOptions{.chunkBytes = uint32_t(kChunk)});
        if (!s.ok()) {
            report.violation = true;
            report.invariant = "setup";
            report.detail = s.error().toString();
            return report;
        }
    }
    auto log = std::make_shared<WriteLog>();
    auto originRec = RecordingDevice::create(originMem, log, "origin").value();
    auto cowRec = RecordingDevice::create(cowMem, log, "cow").value();

    std::set<uint64_t> touched;  // origin chunks the workload wrote
    {
        // Multi-chunk writes put many copies in flight at once; the shuffling executor finishes them
        // in a seeded random order, so every area boundary falls inside a reordered batch. The
        // gathering window (2 ms) is long enough that a write's copies are all queued before one
        // starts even in slow (sanitizer) builds: reordering must not depend on machine speed.
        auto executor = std::make_shared<ShufflingExecutor>(opt.seed, 16, 2000);
        auto origin = Origin::create(originRec, OriginOptions{executor});
        auto snap = origin->attachSnapshot(cowRec, SnapshotOptions{.chunkBytes = uint32_t(kChunk), .legacyCompletionOrder = opt.legacy}).value();
        std::mutex touchedMutex;
        std::atomic<uint64_t> next{0};
        std::vector<std::thread> writers;
        for (int t = 0; t < 4; ++t) {
            writers.emplace_back([&, t] {
                std::mt19937_64 rng(opt.seed * 7919 + uint64_t(t));
                for (uint64_t i; (i = next.fetch_add(1)) < ops;) {
                    uint64_t chunk = rng() % kOriginChunks;
                    uint64_t len = (rng() % 5 == 0) ? 512 * (1 + rng() % 8) : kChunk * (1 + rng() % 12);
                    uint64_t off = std::min(chunk * kChunk + (len < kChunk ? 512 * (rng() % 8) : 0), originBytes - len);
                    auto data = seededBytes(opt.seed ^ (i * 0x9E3779B97F4A7C15ull), len);
                    (void)origin->write(off, data);
                    {
                        std::lock_guard lock(touchedMutex);
                        for (uint64_t c = off / kChunk; c * kChunk < off + len; ++c) touched.insert(c);
                    }
                    if (i % 13 == 12) (void)origin->flush();
                }
            });
        }
        for (auto& w : writers) w.join();
        (void)origin->flush();
        report.workload = std::to_string(ops) + " origin writes (1-12 chunks) by 4 threads, copies on a shuffling executor, " +
                          std::to_string(snap->status().exceptions) + " exceptions, " +
                          std::to_string(snap->counters().finishedOutOfOrder.load()) + " copies finished out of order" +
                          std::to_string(snap->counters().coalescedChunks.load()) + " chunks copied in coalesced runs" +
                          (opt.tornWrites ? ", unflushed writes may tear at 512-byte sectors" : "") +
                          (opt.legacy ? ", LEGACY completion-order commits" : "");
    }
    report.logEntries = log->size();
    report.crashPoints = log->size() + 1;

    const uint64_t epa = cowfmt::exceptionsPerArea(kChunk);
    auto executor = std::make_shared<ThreadPool>(1);
    std::vector<std::byte> a(kChunk), b(kChunk);
    auto annotate = [&](const LogEntry& e) -> std::string {
        if (log->devices()[e.device].name != "cow" || e.kind != LogEntry::Kind::Write) return {};
        uint64_t chunk = e.offset / kChunk;
        if (chunk == 0) return "header";
        if (cowfmt::isMetadataChunk(chunk, epa)) return "metadata area " + std::to_string((chunk - 1) / (epa + 1));
        return "data chunk " + std::to_string(chunk);
    };

    auto storeGeometry = [&](uint64_t nextFree) {
        CrashStoreGeometry g;
        g.chunkBytes = kChunk;
        g.cowChunks = kCowBytes / kChunk;
        for (uint64_t c = 0; c < g.cowChunks; ++c)
            if (c < cowfmt::kHeaderChunks || cowfmt::isMetadataChunk(c, epa)) g.metadataChunks.push_back(c);
        g.nextFree = nextFree;
        return g;
    };
    CrashStateOptions cso = crashStateOptionsFor(opt, opt.tornWrites);
    CrashSweepResult sweep = sweepCrashStates(*log, cso, [&](CrashState& st) {
        auto fail = [&](std::string inv, std::string detail) {
            report.violation = true;
            report.invariant = std::move(inv);
            report.detail = std::move(detail);
            report.crashPoint = st.point;
            report.trace = "crash after log entry " + std::to_string(st.point) + " of " + std::to_string(log->size()) +
                           "; " + std::to_string(st.keptUnflushed.size()) + " of " + std::to_string(st.unflushed) +
                           " unflushed writes survived\nlast entries before the crash:\n" +
                           describeLogTail(*log, st.point, 12, annotate);
            return false;
        };
        auto origin = Origin::create(st.devices[0], OriginOptions{executor});
        auto snapR = origin->attachSnapshot(st.devices[1], SnapshotOptions{.chunkBytes = uint32_t(kChunk)});
        if (!snapR.ok()) return fail("store-valid", "the store does not load: " + snapR.error().toString());
        auto& snap = *snapR.value();
        SnapshotStatus status = snap.status();
        if (status.state != SnapshotState::Valid) return fail("store-valid", "the store loads as " + status.kernelStatusLine());
        auto records = snap.exceptions();
        uint64_t nextFree = status.allocatedSectors / status.chunkSectors;
        std::set<uint64_t> referenced;
        for (auto& [o, n] : records) referenced.insert(n);
        std::vector<uint64_t> leaked;
        for (uint64_t c = cowfmt::kHeaderChunks; c < nextFree; ++c)
            if (!cowfmt::isMetadataChunk(c, epa) && !referenced.count(c)) leaked.push_back(c);
        if (!leaked.empty()) {
            CrashSnapshotLeak leak;
            leak.leakedChunks = leaked;
            leak.store = storeGeometry(nextFree);
            report.snapshotLeak = std::move(leak);
            return fail("no-leaked-chunk", "COW chunk " + std::to_string(leaked.front()) + " lies below next_free (" +
                                               std::to_string(nextFree) +
                                               ") but no committed record refers to it: its space is leaked for good (" +
                                               std::to_string(leaked.size()) + " leaked, " + std::to_string(records.size()) +
                                               " records loaded)");
        }
        for (auto& [o, n] : records) {
            if (!st.devices[1]->read(n * kChunk, a).ok()) return fail("committed-record-data", "cannot read COW chunk");
            if (std::memcmp(a.data(), initialOrigin.data() + o * kChunk, kChunk) != 0)
                return fail("committed-record-data", "record " + std::to_string(o) + " -> " + std::to_string(n) +
                                                         ": the COW chunk does not hold the origin's data at snapshot time");
        }
        for (uint64_t c : touched) {
            if (!snap.read(c * kChunk, b).ok()) return fail("snapshot-view", "cannot read snapshot chunk " + std::to_string(c));
            if (std::memcmp(b.data(), initialOrigin.data() + c * kChunk, kChunk) != 0)
                return fail("snapshot-view", "snapshot chunk " + std::to_string(c) + " no longer reads the origin's data at snapshot time");
        }
        return true;
    });
    report.statesChecked = sweep.visited;
    report.cancelled = sweep.cancelled;
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
}

}  // namespace loopsnap
