// Merge crash scenario: a snapshot with a history (origin writes, snapshot writes, multi-chunk runs)
// and a second snapshot of the same origin; the merge of the first is recorded, with user writes
// and flushes to the merging origin between batches; then every crash state is reopened as
// recovery would (load both stores, begin the merge again) and checked:
//   store-valid           both stores load and are valid
//   merging-view          right after the crash, the origin (presenting the merging snapshot)
//                         reads the snapshot's contents, except where the user wrote: there the
//                         snapshot's bytes or written ones, and exactly what a completed flush
//                         made durable for chunks not written since
//   other-snapshot-view   the second snapshot still reads its own contents
//   merge-completes       running the merge again finishes it, the origin device then holds what
//                         the merging origin presented, and the store is empty
// With `legacy` the merge clears records without flushing the origin first
// (MergeOptions::skipOriginFlush), and the checker must find the lost chunks.
#include <chrono>
#include <cstring>
#include <random>

#include "core/crashlab/crash_test.h"
#include "core/concurrency/executor.h"
#include "core/io/memory_device.h"
#include "core/snapshot/cow_format.h"
#include "core/snapshot/snapshot.h"
#include "core/snapshot/snapshot_merge.h"

namespace loopsnap {
namespace {

constexpr uint64_t kChunk = 4096;  // 256 records per area: the history crosses an area boundary
constexpr uint64_t kOriginChunks = 320;
constexpr uint64_t kOriginBytes = kOriginChunks * kChunk;
constexpr uint64_t kCowBytes = (1 + 2 * 257 + 8) * kChunk;

template <typename Device>  // a BlockDevice or a Snapshot
Result<std::vector<std::byte>> readWhole(Device& dev, uint64_t size) {
    std::vector<std::byte> out(size);
    LS_TRY(dev.read(0, out));
    return out;
}

// Into a reused buffer: the checker reads several whole images per crash state.
template <typename Device>
Status readInto(Device& dev, std::vector<std::byte>& buffer) {
    return dev.read(0, buffer);
}

// Index of the first differing chunk, or -1.
int64_t firstDifferentChunk(const std::vector<std::byte>& a, const std::vector<std::byte>& b) {
    for (uint64_t c = 0; c * kChunk < a.size(); ++c)
        if (std::memcmp(a.data() + c * kChunk, b.data() + c * kChunk, std::min<uint64_t>(kChunk, a.size() - c * kChunk)) != 0) return int64_t(c);
    return -1;
}

}  // namespace

CrashTestReport runMergeCrashTest(const CrashTestOptions& opt) {
    auto started = std::chrono::steady_clock::now();
    CrashTestReport report;
    const uint64_t ops = opt.ops ? opt.ops : 60;
    auto setupFailed = [&](const std::string& what) {
        report.violation = true;
        report.invariant = "setup";
        report.detail = what;
        return report;
    };

    // History, not recorded: snapshot A, origin and snapshot writes, snapshot B, more origin writes.
    auto originMem = std::make_shared<MemoryDevice>(seededBytes(opt.seed, kOriginBytes), "origin");
    auto cowAMem = std::make_shared<MemoryDevice>(kCowBytes, "cow-a");
    auto cowBMem = std::make_shared<MemoryDevice>(kCowBytes, "cow-b");
    std::vector<std::byte> refA, refB;
    uint64_t exceptionsA = 0;
    {
        auto executor = std::make_shared<InlineExecutor>();
        auto origin = Origin::create(originMem, OriginOptions{executor});
        auto a = origin->attachSnapshot(cowAMem, SnapshotOptions{.chunkBytes = uint32_t(kChunk)});
        if (!a.ok()) return setupFailed(a.error().toString());
        std::mt19937_64 rng(opt.seed * 31 + 7);
        std::shared_ptr<Snapshot> b;
        for (uint64_t i = 0; i < ops; ++i) {
            if (i == ops / 2) {
                auto bb = origin->attachSnapshot(cowBMem, SnapshotOptions{.chunkBytes = uint32_t(kChunk)});
                if (!bb.ok()) return setupFailed(bb.error().toString());
                b = bb.value();
            }
            // Runs of 1-8 chunks, so the merge meets runs of consecutive records, plus sub-chunk writes.
            uint64_t len = rng() % 4 == 0 ? 512 * (1 + rng() % 8) : kChunk * (1 + rng() % 8);
            uint64_t off = std::min((rng() % kOriginChunks) * kChunk, kOriginBytes - len);
            auto data = seededBytes(opt.seed ^ (i * 0x9E3779B97F4A7C15ull), len);
            Status st = rng() % 4 == 0 ? a.value()->write(off, data) : origin->write(off, data);
            if (!st.ok()) return setupFailed("history write: " + st.error().toString());
        }
        if (!origin->flush().ok() || !a.value()->flush().ok()) return setupFailed("history flush");
        auto ra = readWhole(*a.value(), kOriginBytes);
        auto rb = readWhole(*b, kOriginBytes);
        if (!ra.ok() || !rb.ok()) return setupFailed("reading the references");
        refA = std::move(ra).value();
        refB = std::move(rb).value();
        exceptionsA = a.value()->status().exceptions;
    }

    auto log = std::make_shared<WriteLog>();
    auto originRec = RecordingDevice::create(originMem, log, "origin").value();
    auto cowARec = RecordingDevice::create(cowAMem, log, "cow-a").value();
    auto cowBRec = RecordingDevice::create(cowBMem, log, "cow-b").value();
    MergeOptions mergeOptions;
    mergeOptions.skipOriginFlush = opt.legacy;
    uint64_t batches = 0;
    // User I/O while the merge runs, interleaved deterministically: the merge is stopped after
    // every batch (stop() from the listener is allowed: no I/O) and the scenario writes to the
    // merging origin - unmerged chunks go to the COW copy, merged ones to the origin - and
    // sometimes flushes, before running the next batch.
    struct UserWrite {
        uint64_t offset;
        std::vector<std::byte> data;
    };
    std::vector<UserWrite> userWrites;
    struct FlushPoint {
        uint64_t logSize;      // log entries when the flush returned
        size_t writesBefore;   // user writes issued before it
        std::vector<std::byte> contents;  // what the origin presented then
    };
    std::vector<FlushPoint> flushPoints;
    std::vector<std::byte> model = refA;  // what the origin presents after the user writes
    {
        auto origin = Origin::create(originRec, OriginOptions{std::make_shared<InlineExecutor>()});
        auto a = origin->attachSnapshot(cowARec, SnapshotOptions{.chunkBytes = uint32_t(kChunk)});
        auto b = origin->attachSnapshot(cowBRec, SnapshotOptions{.chunkBytes = uint32_t(kChunk)});
        if (!a.ok() || !b.ok()) return setupFailed("reopening the stores");
        auto merge = SnapshotMerge::begin(origin, a.value(), mergeOptions);
        if (!merge.ok()) return setupFailed(merge.error().toString());
        SnapshotMerge* m = merge.value().get();
        struct StopAfterBatch final : EventListener {
            SnapshotMerge* merge;
            void onEvent(const Event& e) noexcept override {
                if (e.kind == EventKind::MergeBatch) merge->stop();
            }
        };
        auto stopper = std::make_shared<StopAfterBatch>();
        stopper->merge = m;
        origin->events()->addListener(stopper);
        std::mt19937_64 rng(opt.seed * 131 + 3);
        for (uint64_t round = 0;; ++round) {
            auto outcome = m->run();
            if (!outcome.ok()) return setupFailed("the recorded merge failed: " + outcome.error().toString());
            if (outcome.value() == MergeOutcome::Finished) break;
            // 0-3 user operations before the next batch; a flush right after a write to the COW
            // copy is what tells whether the origin's flush also flushes the merging store.
            for (uint64_t n = rng() % 4, j = 0; j < n; ++j) {
                if (rng() % 10 < 7) {
                    uint64_t len = rng() % 2 ? 512 * (1 + rng() % 8) : kChunk * (1 + rng() % 2);
                    // Half of them hit a chunk not merged yet: they land in its COW copy.
                    uint64_t chunk = rng() % kOriginChunks;
                    if (rng() % 2) {
                        auto left = a.value()->exceptions();
                        if (!left.empty()) chunk = left[rng() % left.size()].first;
                    }
                    uint64_t off = std::min(chunk * kChunk + (len < kChunk ? 512 * (rng() % 8) : 0), kOriginBytes - len);
                    auto data = seededBytes(opt.seed * 7919 + round * 4 + j, len);
                    if (!origin->write(off, data).ok()) return setupFailed("user write during the merge");
                    std::memcpy(model.data() + off, data.data(), len);
                    userWrites.push_back({off, std::move(data)});
                } else {
                    if (!origin->flush().ok()) return setupFailed("user flush during the merge");
                    flushPoints.push_back({log->size(), userWrites.size(), model});
                }
            }
        }
        batches = m->counters().batches.load();
    }
    // Per chunk, the user writes that touched it (indices into userWrites).
    std::vector<std::vector<size_t>> writesByChunk(kOriginChunks);
    for (size_t i = 0; i < userWrites.size(); ++i)
        for (uint64_t c = userWrites[i].offset / kChunk; c * kChunk < userWrites[i].offset + userWrites[i].data.size(); ++c)
            writesByChunk[c].push_back(i);
    // Checks what the origin presents after a crash at log point `point`: chunks no user write
    // touched hold the snapshot's data; touched bytes hold the snapshot's byte or one a user
    // wrote there; and chunks not written since the last completed flush hold what they held at
    // that flush. Returns the first bad chunk or -1.
    auto checkView = [&](const std::vector<std::byte>& view, uint64_t point, std::string* why) -> int64_t {
        const FlushPoint* flushed = nullptr;
        for (const FlushPoint& f : flushPoints)
            if (f.logSize <= point) flushed = &f;
        for (uint64_t c = 0; c < kOriginChunks; ++c) {
            const std::byte* got = view.data() + c * kChunk;
            const auto& writes = writesByChunk[c];
            bool writtenSinceFlush = false;
            for (size_t w : writes)
                if (!flushed || w >= flushed->writesBefore) writtenSinceFlush = true;
            if (flushed && !writtenSinceFlush) {
                if (std::memcmp(got, flushed->contents.data() + c * kChunk, kChunk) != 0) {
                    *why = "lost data that a completed flush had made durable";
                    return int64_t(c);
                }
                continue;
            }
            if (writes.empty()) {
                if (std::memcmp(got, refA.data() + c * kChunk, kChunk) != 0) {
                    *why = "does not read the snapshot's contents";
                    return int64_t(c);
                }
                continue;
            }
            for (uint64_t i = c * kChunk; i < (c + 1) * kChunk; ++i) {
                bool ok = view[i] == refA[i] || (flushed && view[i] == flushed->contents[i]);
                for (size_t w = 0; !ok && w < writes.size(); ++w) {
                    const UserWrite& uw = userWrites[writes[w]];
                    ok = i >= uw.offset && i < uw.offset + uw.data.size() && uw.data[i - uw.offset] == view[i];
                }
                if (!ok) {
                    *why = "byte " + std::to_string(i) + " is neither the snapshot's nor a user write's";
                    return int64_t(c);
                }
            }
        }
        return -1;
    };
    report.workload = std::to_string(ops) + " history writes, merge of " + std::to_string(exceptionsA) + " exceptions in " +
                      std::to_string(batches) + " batches with a second snapshot kept, " + std::to_string(userWrites.size()) +
                      " user writes and " + std::to_string(flushPoints.size()) + " flushes during the merge" +
                      (opt.legacy ? ", LEGACY: records cleared without flushing the origin" : "");
    report.logEntries = log->size();
    report.crashPoints = log->size() + 1;

    const uint64_t epa = cowfmt::exceptionsPerArea(kChunk);
    auto annotate = [&](const LogEntry& e) -> std::string {
        const std::string& dev = log->devices()[e.device].name;
        if (e.kind != LogEntry::Kind::Write) return {};
        uint64_t chunk = e.offset / kChunk;
        if (dev == "origin") return "origin chunk " + std::to_string(chunk) + (e.data.size() > kChunk ? " (+" + std::to_string(e.data.size() / kChunk - 1) + ")" : "");
        if (chunk == 0) return "header";
        if (cowfmt::isMetadataChunk(chunk, epa)) return "metadata area " + std::to_string((chunk - 1) / (epa + 1));
        return "data chunk " + std::to_string(chunk);
    };
    auto executor = std::make_shared<InlineExecutor>();
    CrashStateOptions cso = crashStateOptionsFor(opt, false);
    std::vector<std::byte> image(kOriginBytes);
    CrashSweepResult sweep = sweepCrashStates(*log, cso, [&](CrashState& st) {
        auto fail = [&](std::string inv, std::string detail) {
            report.violation = true;
            report.invariant = std::move(inv);
            report.detail = std::move(detail);
            report.crashPoint = st.point;
            report.trace = "crash after log entry " + std::to_string(st.point) + " of " + std::to_string(log->size()) + "; " +
                           std::to_string(st.keptUnflushed.size()) + " of " + std::to_string(st.unflushed) +
                           " unflushed writes survived\nlast entries before the crash:\n" + describeLogTail(*log, st.point, 10, annotate);
            return false;
        };
        auto origin = Origin::create(st.devices[0], OriginOptions{executor});
        auto a = origin->attachSnapshot(st.devices[1], SnapshotOptions{.chunkBytes = uint32_t(kChunk)});
        if (!a.ok()) return fail("store-valid", "the merging store does not load: " + a.error().toString());
        auto b = origin->attachSnapshot(st.devices[2], SnapshotOptions{.chunkBytes = uint32_t(kChunk)});
        if (!b.ok()) return fail("store-valid", "the other snapshot's store does not load: " + b.error().toString());
        if (a.value()->status().state != SnapshotState::Valid || b.value()->status().state != SnapshotState::Valid)
            return fail("store-valid", "a store loads as invalid");
        auto merge = SnapshotMerge::begin(origin, a.value(), mergeOptions);
        if (!merge.ok()) return fail("merge-completes", "the merge does not begin again: " + merge.error().toString());
        if (Status r = readInto(*origin, image); !r.ok()) return fail("merging-view", "cannot read the origin: " + r.error().toString());
        std::string why;
        if (int64_t c = checkView(image, st.point, &why); c >= 0)
            return fail("merging-view", "after the crash, origin chunk " + std::to_string(c) + " " + why + " (" +
                                            std::to_string(a.value()->status().exceptions) + " records left)");
        std::vector<std::byte> before = image;
        if (Status r = readInto(*b.value(), image); !r.ok()) return fail("other-snapshot-view", "cannot read the other snapshot: " + r.error().toString());
        if (int64_t c = firstDifferentChunk(image, refB); c >= 0)
            return fail("other-snapshot-view", "the other snapshot's chunk " + std::to_string(c) + " changed after the crash");
        auto outcome = merge.value()->run();
        if (!outcome.ok()) return fail("merge-completes", "the rerun fails: " + outcome.error().toString());
        if (Status r = readInto(*st.devices[0], image); !r.ok()) return fail("merge-completes", "cannot read the origin device");
        if (int64_t c = firstDifferentChunk(image, before); c >= 0)
            return fail("merge-completes", "after the rerun, origin chunk " + std::to_string(c) + " does not hold what the merging origin presented");
        SnapshotStatus s = a.value()->status();
        if (s.allocatedSectors != s.metadataSectors)
            return fail("merge-completes", "after the rerun the store is not empty: " + s.kernelStatusLine());
        if (Status r = readInto(*b.value(), image); !r.ok()) return fail("other-snapshot-view", "cannot read the other snapshot");
        if (int64_t c = firstDifferentChunk(image, refB); c >= 0)
            return fail("other-snapshot-view", "the other snapshot's chunk " + std::to_string(c) + " changed during the rerun");
        return true;
    });
    report.statesChecked = sweep.visited;
    report.cancelled = sweep.cancelled;
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
}

}  // namespace loopsnap
