// Clone crash scenario: a seeded single-threaded clone workload (hydration runs, partial and
// whole-region user writes, FUA writes, flushes, discards) on recorded destination and metadata
// devices; then every crash state is reopened as recovery would (Clone::open over the state's
// images) and checked:
//   metadata-loads          the metadata loads (the two-slot commit is atomic)
//   hydrated-region-garbage every byte of a region the metadata marks hydrated holds the
//                           source's byte or a byte a user write (issued before the crash) put
//                           there; anything else is stale destination data exposed as valid
//   flushed-data-lost       after a completed flush (or FUA write), every region untouched by
//                           user writes/discards since then reads exactly as at that flush
// Regions discarded before the crash are skipped: their contents are unspecified.
//
// Why single-threaded: the clone's ordering bug (legacyCommit: metadata durable before the
// destination flush) shows at the crash point right after the metadata flush with the unflushed
// hydration writes lost. A workload driven from one thread with the periodic commit timer off
// and hydration run synchronously (hydrateNext) records the same log on every machine and in
// sanitizer builds, so detection can never depend on machine speed. (backgroundHydration adds
// the scheduler's threads and timer commits, for tests of the fixed order under concurrency.)
#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <random>

#include "core/clone/clone.h"
#include "core/crashlab/crash_test.h"
#include "core/io/memory_device.h"

namespace loopsnap {
namespace {

constexpr uint64_t kRs = 4096;     // smallest region: many regions, cheap states
constexpr uint64_t kRegions = 64;
constexpr uint64_t kSize = kRs * kRegions;
constexpr uint64_t kSector = 512;

// What the workload did, in terms the checker needs. Ops run one at a time, so an op's log
// entries all lie in [logStart, logEnd).
struct UserWrite {
    uint64_t logStart;  // log size when the op was issued: no entry of it lies below
    uint64_t offset;
    std::vector<std::byte> data;
};
struct FlushPoint {
    uint64_t logSize;                 // every entry of the flush lies below this
    std::vector<std::byte> contents;  // the clone's contents when it returned
};
struct OpSpan {
    uint64_t logStart, logEnd;
    std::string what;
};

struct Workload {
    std::vector<std::byte> source;
    std::vector<UserWrite> writes;
    std::vector<FlushPoint> flushes;
    std::vector<std::vector<uint64_t>> touchedAt;     // per region: logStart of user writes/discards
    std::vector<uint64_t> discardedAt;                // per region: first discard's logStart, or UINT64_MAX
    std::vector<OpSpan> ops;
};

// A region split where any user write starts or ends and at every sector boundary: inside one
// segment every recorded destination write covers all of it or none (hydration copies whole
// regions; torn writes, when the generator tears, break at sectors), so a healthy segment
// equals one candidate as a whole and the byte-level check is only the fallback.
struct Segment {
    uint64_t begin, end;
    std::vector<uint32_t> candidates;  // indices into Workload::writes covering the segment
};

struct Violation {
    std::string invariant, detail;
    uint64_t region = UINT64_MAX;
};

class Checker {
public:
    Checker(const Workload& w, std::shared_ptr<BlockDevice> source) : w_(w), source_(std::move(source)) {
        segments_.resize(kRegions);
        for (uint64_t r = 0; r < kRegions; ++r) {
            uint64_t rb = r * kRs, re = rb + kRs;
            std::vector<uint64_t> cuts;
            for (uint64_t s = rb; s <= re; s += kSector) cuts.push_back(s);
            for (const auto& uw : w_.writes) {
                uint64_t b = uw.offset, e = uw.offset + uw.data.size();
                if (b > rb && b < re) cuts.push_back(b);
                if (e > rb && e < re) cuts.push_back(e);
            }
            std::sort(cuts.begin(), cuts.end());
            cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
            for (size_t k = 0; k + 1 < cuts.size(); ++k) {
                Segment seg{cuts[k], cuts[k + 1], {}};
                for (uint32_t i = 0; i < w_.writes.size(); ++i) {
                    const auto& uw = w_.writes[i];
                    if (uw.offset <= seg.begin && uw.offset + uw.data.size() >= seg.end) seg.candidates.push_back(i);
                }
                segments_[r].push_back(std::move(seg));
            }
        }
        contents_.resize(kSize);
    }

    // Reopens the clone over a crash state's images at crash point `point` and checks it.
    std::optional<Violation> check(std::shared_ptr<BlockDevice> dest, std::shared_ptr<BlockDevice> meta, uint64_t point) {
        CloneOptions o;
        o.commitInterval = std::chrono::milliseconds(0);  // recovery only reads; no timer commits
        auto reopened = Clone::open(source_, std::move(dest), std::move(meta), o);
        if (!reopened.ok())
            return Violation{"metadata-loads", "the clone does not open: " + reopened.error().toString()};
        Clone& clone = *reopened.value();
        if (auto st = clone.read(0, contents_); !st.ok())
            return Violation{"metadata-loads", "the reopened clone cannot be read: " + st.error().toString()};

        for (uint64_t r = 0; r < kRegions; ++r) {
            if (w_.discardedAt[r] < point || !clone.isRegionHydrated(r)) continue;  // unhydrated: reads the source
            for (const Segment& seg : segments_[r])
                if (auto v = checkSegment(seg, r, point)) return v;
        }

        // The newest flush that completed before the crash.
        const FlushPoint* last = nullptr;
        for (const auto& f : w_.flushes)
            if (f.logSize <= point) last = &f;
        if (last) {
            for (uint64_t r = 0; r < kRegions; ++r) {
                if (w_.discardedAt[r] < point) continue;
                const auto& t = w_.touchedAt[r];
                // Touched in [flush, crash): that op's data may or may not have survived.
                auto it = std::lower_bound(t.begin(), t.end(), last->logSize);
                if (it != t.end() && *it < point) continue;
                if (std::memcmp(contents_.data() + r * kRs, last->contents.data() + r * kRs, kRs) != 0) {
                    uint64_t i = r * kRs;
                    while (contents_[i] == last->contents[i]) ++i;
                    return Violation{"flushed-data-lost",
                                     "region " + std::to_string(r) + " (" + (clone.isRegionHydrated(r) ? "hydrated" : "not hydrated") +
                                         ") no longer reads what it held when the flush completing at log entry " +
                                         std::to_string(last->logSize) + " returned (first difference at byte " +
                                         std::to_string(i) + "), though no user write or discard touched it since",
                                     r};
                }
            }
        }
        return std::nullopt;
    }

private:
    std::optional<Violation> checkSegment(const Segment& seg, uint64_t r, uint64_t point) {
        const size_t len = seg.end - seg.begin;
        const std::byte* got = contents_.data() + seg.begin;
        if (std::memcmp(got, w_.source.data() + seg.begin, len) == 0) return std::nullopt;
        for (uint32_t c : seg.candidates) {
            const auto& uw = w_.writes[c];
            if (uw.logStart < point && std::memcmp(got, uw.data.data() + (seg.begin - uw.offset), len) == 0) return std::nullopt;
        }
        // Byte by byte: a mix of allowed versions is still allowed data.
        for (uint64_t i = seg.begin; i < seg.end; ++i) {
            std::byte b = contents_[i];
            if (b == w_.source[i]) continue;
            bool ok = false;
            for (uint32_t c : seg.candidates) {
                const auto& uw = w_.writes[c];
                if (uw.logStart < point && uw.data[i - uw.offset] == b) {
                    ok = true;
                    break;
                }
            }
            if (ok) continue;
            uint64_t e = i + 1;
            while (e < seg.end && contents_[e] != w_.source[e]) ++e;
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02x", unsigned(b));
            return Violation{"hydrated-region-garbage",
                             "region " + std::to_string(r) + " is marked hydrated, but byte " + std::to_string(i) + " reads " + hex +
                                 ", neither the source's byte nor any user write's (bytes " + std::to_string(i) + ".." +
                                 std::to_string(e - 1) + " differ from the source): stale destination data "
                                 "is served as the clone's",
                             r};
        }
        return std::nullopt;
    }

    const Workload& w_;
    std::shared_ptr<BlockDevice> source_;
    std::vector<std::vector<Segment>> segments_;
    std::vector<std::byte> contents_;
};

}  // namespace

CrashTestReport runCloneCrashTest(const CrashTestOptions& opt) {
    auto started = std::chrono::steady_clock::now();
    CrashTestReport report;
    const uint64_t ops = opt.ops ? opt.ops : 250;
    auto setupFailure = [&](const std::string& what, const Error& e) {
        report.violation = true;
        report.invariant = "setup";
        report.detail = what + ": " + e.toString();
        report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        return report;
    };

    Workload w;
    w.source = seededBytes(opt.seed * 31 + 1, kSize);
    w.touchedAt.resize(kRegions);
    w.discardedAt.assign(kRegions, UINT64_MAX);
    auto source = std::make_shared<MemoryDevice>(w.source, "source");
    // The destination starts with stale bytes (a reused disk), so exposing unwritten destination
    // data is never mistaken for source or user data.
    auto destMem = std::make_shared<MemoryDevice>(seededBytes(opt.seed * 31 + 2, kSize), "dest");
    auto metaMem = std::make_shared<MemoryDevice>(CloneMetadata::requiredSize({kSize, kRs}), "meta");
    {  // Format before recording: every crash image starts from a formatted clone.
        CloneOptions o;
        o.commitInterval = std::chrono::milliseconds(0);
        auto c = Clone::create(source, destMem, metaMem, kRs, o);
        if (!c.ok()) return setupFailure("clone create", c.error());
        if (auto st = c.value()->close(); !st.ok()) return setupFailure("clone close", st.error());
    }
    auto log = std::make_shared<WriteLog>();
    auto dest = RecordingDevice::create(destMem, log, "dest").value();
    auto meta = RecordingDevice::create(metaMem, log, "meta").value();

    uint64_t hydrations = 0, partial = 0, whole = 0, fua = 0, flushes = 0, discards = 0, commits = 0;
    {
        CloneOptions o;
        o.legacyCommit = opt.legacy;
        o.hydrationBatchSize = 2;  // multi-region copies
        o.commitInterval = std::chrono::milliseconds(0);  // commits exactly where the workload flushes
        if (opt.backgroundHydration) {
            o.hydrationThreshold = 4;
            o.commitInterval = std::chrono::milliseconds(3);
        }
        auto opened = Clone::open(source, dest, meta, o);
        if (!opened.ok()) return setupFailure("clone open", opened.error());
        auto clone = opened.value();
        if (opt.backgroundHydration) clone->enableHydration();
        std::mt19937_64 rng(opt.seed);
        constexpr uint64_t kNoWindow = UINT64_MAX;
        uint64_t hydrationWindow = kNoWindow;  // the op that enabled background hydration
        auto recordFlush = [&] {
            FlushPoint f{log->size(), std::vector<std::byte>(kSize)};
            if (auto st = clone->read(0, f.contents); !st.ok()) return st;
            w.flushes.push_back(std::move(f));
            return Status{};
        };
        for (uint64_t op = 0; op < ops; ++op) {
            const uint64_t at = log->size();
            const uint64_t gen = clone->metadataGeneration();
            std::string what;
            Status st;
            uint64_t k = rng() % 20;
            if (k < 5 && opt.backgroundHydration) {
                // The scheduler copies while the next op runs, then stops: left on, it would
                // hydrate all regions within a millisecond, before most user I/O.
                clone->enableHydration();
                hydrationWindow = op;
                what = "background hydration on for the next op";
            } else if (k < 5) {
                uint64_t n = 1 + rng() % 3;
                auto done = clone->hydrateNext(n);
                if (!done.ok()) return setupFailure("hydrateNext", done.error());
                hydrations += done.value();
                what = "hydrate " + std::to_string(done.value()) + " region(s)";
            } else if (k < 11) {
                // Partial write: arbitrary bytes half the time, sector-aligned otherwise; may span
                // a region boundary (two user-triggered hydrations).
                uint64_t off, len;
                if (rng() & 1) {
                    off = rng() % kSize;
                    len = 1 + rng() % std::min<uint64_t>(2 * kRs, kSize - off);
                } else {
                    off = kSector * (rng() % (kSize / kSector));
                    len = kSector * (1 + rng() % std::min<uint64_t>(12, (kSize - off) / kSector));
                }
                bool isFua = rng() % 8 == 0;
                w.writes.push_back({at, off, seededBytes(opt.seed ^ ((op + 1) * 0x9E3779B97F4A7C15ull), len)});
                for (uint64_t r = off / kRs; r <= (off + len - 1) / kRs; ++r) w.touchedAt[r].push_back(at);
                st = clone->write(off, w.writes.back().data, WriteFlags{isFua});
                if (st.ok() && isFua) st = recordFlush();
                ++partial;
                fua += isFua;
                what = std::string(isFua ? "FUA " : "") + "user write @" + std::to_string(off) + " +" + std::to_string(len);
            } else if (k < 17) {
                uint64_t n = 1 + rng() % 2, r = rng() % (kRegions - n + 1);
                w.writes.push_back({at, r * kRs, seededBytes(opt.seed ^ ((op + 1) * 0x9E3779B97F4A7C15ull), n * kRs)});
                for (uint64_t i = r; i < r + n; ++i) w.touchedAt[i].push_back(at);
                st = clone->write(r * kRs, w.writes.back().data);
                ++whole;
                what = n == 1 ? "user write of region " + std::to_string(r)
                              : "user write of regions " + std::to_string(r) + ".." + std::to_string(r + n - 1);
            } else if (k < 19) {  // ~10%: several unflushed writes pile up between commits
                st = clone->flush();
                if (st.ok()) st = recordFlush();
                ++flushes;
                what = "flush";
            } else {
                // Not region-aligned at times: the clone trims to the whole regions covered.
                uint64_t r = rng() % (kRegions - 1);
                uint64_t off = r * kRs + ((rng() & 1) ? kSector : 0), len = 2 * kRs - (off - r * kRs);
                for (uint64_t i = (off + kRs - 1) / kRs; i < (off + len) / kRs; ++i) {
                    w.touchedAt[i].push_back(at);
                    w.discardedAt[i] = std::min(w.discardedAt[i], at);
                }
                st = clone->discard(off, len);
                ++discards;
                what = "discard @" + std::to_string(off) + " +" + std::to_string(len);
            }
            if (!st.ok()) return setupFailure("workload op " + std::to_string(op) + " (" + what + ")", st.error());
            if (clone->metadataGeneration() != gen) {  // with background hydration: timer commits too
                ++commits;
                what += ", metadata commit gen " + std::to_string(clone->metadataGeneration());
            }
            if (hydrationWindow != kNoWindow && hydrationWindow < op) {
                clone->disableHydration();  // waits for the copies in flight
                hydrationWindow = kNoWindow;
            }
            w.ops.push_back({at, log->size(), "op " + std::to_string(op) + ": " + what});
        }
        const uint64_t at = log->size();
        if (auto st = clone->close(); !st.ok()) return setupFailure("clone close", st.error());
        w.ops.push_back({at, log->size(), "close (final commit)"});
        const std::string hydratedText =
            opt.backgroundHydration ? std::to_string(clone->hydratedRegions()) + " regions hydrated at the end (background, writes, discards)"
                                    : std::to_string(hydrations) + " regions hydrated";
        report.workload = std::to_string(ops) + " clone ops on " + std::to_string(kRegions) + " regions of " +
                          std::to_string(kRs / 1024) + " KiB: " + hydratedText + ", " +
                          std::to_string(partial) + " partial writes (" + std::to_string(fua) + " FUA), " + std::to_string(whole) +
                          " whole-region writes, " + std::to_string(flushes) + " flushes, " + std::to_string(discards) +
                          " discards, " + std::to_string(commits) + " metadata commits" +
                          (opt.backgroundHydration ? ", background hydration with 3 ms timer commits" : "") +
                          (opt.tornWrites ? ", unflushed writes may tear at 512-byte sectors" : "") +
                          (opt.legacy ? ", LEGACY commit order (metadata before destination flush)" : "");
    }
    for (auto& t : w.touchedAt) std::sort(t.begin(), t.end());
    report.logEntries = log->size();
    report.crashPoints = log->size() + 1;

    const auto& entries = log->entries();
    const uint32_t destIx = dest->deviceIndex(), metaIx = meta->deviceIndex();
    auto opOf = [&](uint64_t index) -> const OpSpan* {
        for (const auto& s : w.ops)
            if (index >= s.logStart && index < s.logEnd) return &s;
        return nullptr;
    };

    Checker checker(w, source);
    CrashStateOptions cso{opt.seed, opt.exhaustiveUpTo, opt.samples, opt.maxStates, opt.pointStride, opt.tornWrites};
    report.statesChecked = forEachCrashState(*log, cso, [&](CrashState& st) {
        auto v = checker.check(st.devices[destIx], st.devices[metaIx], st.point);
        if (!v) return true;
        // Shrink the surviving unflushed writes to a minimal set that still breaks the same
        // invariant (dropping one more would fix it): the trace then shows only what matters.
        // Torn writes stay as they were torn; whole kept writes are dropped one at a time from
        // the state's overlays, which keeps their log order.
        std::vector<uint64_t> kept;
        for (uint64_t i : st.keptUnflushed)
            if (!std::binary_search(st.torn.begin(), st.torn.end(), i)) kept.push_back(i);
        auto without = [&](const CrashImageDevice& dev, uint32_t ix, const std::vector<uint64_t>& keep) {
            std::vector<const LogEntry*> overlay;
            for (const LogEntry* e : dev.overlay()) {
                bool whole = e >= entries.data() && e < entries.data() + entries.size();
                if (!whole || e->fua || std::binary_search(keep.begin(), keep.end(), uint64_t(e - entries.data())))
                    overlay.push_back(e);  // FUA entries are durable, re-applied over older kept writes
            }
            return std::make_shared<CrashImageDevice>(st.bases[ix], std::move(overlay), dev.describe(), dev.pieces());
        };
        for (size_t k = 0; k < kept.size();) {
            std::vector<uint64_t> fewer = kept;
            fewer.erase(fewer.begin() + ptrdiff_t(k));
            auto v2 = checker.check(without(*st.devices[destIx], destIx, fewer), without(*st.devices[metaIx], metaIx, fewer), st.point);
            if (v2 && v2->invariant == v->invariant) {
                kept = std::move(fewer);
                v = std::move(v2);
            } else {
                ++k;
            }
        }
        report.violation = true;
        report.invariant = v->invariant;
        report.detail = v->detail;
        report.crashPoint = st.point;
        // Per device, the writes below covered[d] were made durable by a flush before the crash.
        std::vector<uint64_t> covered(log->devices().size(), 0);
        for (uint64_t i = 0; i < st.point; ++i)
            if (entries[i].kind == LogEntry::Kind::Flush)
                covered[entries[i].device] = std::max(covered[entries[i].device], entries[i].coversUpTo);
        auto annotate = [&](const LogEntry& e) -> std::string {
            uint64_t i = uint64_t(&e - entries.data());
            std::string a;
            if (e.device == destIx && e.kind != LogEntry::Kind::Flush) {
                uint64_t len = e.kind == LogEntry::Kind::Write ? e.data.size() : e.length;
                uint64_t r0 = e.offset / kRs, r1 = (e.offset + std::max<uint64_t>(len, 1) - 1) / kRs;
                a = r0 == r1 ? "region " + std::to_string(r0) : "regions " + std::to_string(r0) + ".." + std::to_string(r1);
            } else if (e.device == metaIx && e.kind == LogEntry::Kind::Write) {
                a = "metadata slot write";
            }
            if (e.kind != LogEntry::Kind::Flush && !e.fua && i >= covered[e.device])
                a += std::binary_search(st.torn.begin(), st.torn.end(), i)   ? " TORN (some sectors survive)"
                     : std::binary_search(kept.begin(), kept.end(), i) ? " SURVIVES"
                                                                         : " LOST";
            if (const OpSpan* s = opOf(i)) a += (a.empty() ? "" : "; ") + s->what;
            return a;
        };
        std::string keptText;
        for (uint64_t i : kept) keptText += (keptText.empty() ? "#" : ", #") + std::to_string(i);
        for (uint64_t i : st.torn) keptText += (keptText.empty() ? "#" : ", #") + std::to_string(i) + " torn";
        const std::string n = std::to_string(st.unflushed) + " write" + (st.unflushed == 1 ? "" : "s") + " not yet covered by a flush";
        report.trace = "crash after log entry " + std::to_string(st.point) + " of " + std::to_string(log->size()) + "; " +
                       (keptText.empty() ? "it shows with all " + n + " lost"
                                         : "it needs only " + std::to_string(kept.size() + st.torn.size()) + " of the " + n +
                                               " to survive (" + keptText + "), the others lost") +
                       "\n";
        if (v->region != UINT64_MAX) {
            // The offending region's own history, which may lie before the tail below.
            std::string history;
            for (uint64_t i = 0; i < st.point; ++i) {
                const LogEntry& e = entries[i];
                if (e.device != destIx || e.kind == LogEntry::Kind::Flush) continue;
                uint64_t len = e.kind == LogEntry::Kind::Write ? e.data.size() : e.length;
                if (e.offset < (v->region + 1) * kRs && e.offset + len > v->region * kRs) history += describeLogTail(*log, i + 1, 1, annotate);
            }
            report.trace += "destination writes to region " + std::to_string(v->region) + " before the crash:\n" +
                            (history.empty() ? std::string("  none\n") : history);
        }
        report.trace += "last entries before the crash:\n" + describeLogTail(*log, st.point, 10, annotate);
        return false;
    });
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
}

}  // namespace loopsnap
