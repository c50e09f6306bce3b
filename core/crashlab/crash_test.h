// Crash tests users can run (`loopsnapctl crashtest ...`) and the test suite runs at scale: record
// a seeded workload's writes and flushes, then check invariants in every crash state.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/crashlab/crash_states.h"

namespace loopsnap {

struct CrashTestOptions {
    uint64_t seed = 1;
    uint64_t ops = 0;        // 0: the scenario's default
    bool legacy = false;     // run the pre-fix ordering; the checker must then find the bug
    unsigned exhaustiveUpTo = 6;
    unsigned samples = 24;
    uint64_t maxStates = UINT64_MAX;
    uint64_t pointStride = 1;
    // Clone only: background hydration on the scheduler's threads and 3 ms timer commits run
    // during the workload. The log then depends on timing (the invariants must hold for any
    // interleaving); without it the workload is single-threaded and its log reproducible.
    bool backgroundHydration = false;
    // Clone and snapshot: CrashStateOptions::tornWrites (unflushed writes may persist in part,
    // e.g. a coalesced COW copy of several chunks).
    bool tornWrites = false;
    // Optional, for a progress display and a cancel button (the facade's crash-test job, the CLI):
    // the counters are updated as states are checked; the cancel flag is checked between states
    // (never inside one), and a cancelled run returns a report with cancelled = true.
    CrashSweepProgress* progress = nullptr;
    const std::atomic<bool>* cancel = nullptr;
};

// A snapshot store's geometry, for showing where a leaked chunk lies (crash-lab view).
struct CrashStoreGeometry {
    uint64_t chunkBytes = 0;
    uint64_t cowChunks = 0;                   // the COW device's size in chunks
    std::vector<uint64_t> metadataChunks;     // the header (0) and every metadata area's chunk
    uint64_t nextFree = 0;                    // first chunk never allocated, as the store loaded
};

// A no-leaked-chunk violation in structured form.
struct CrashSnapshotLeak {
    std::vector<uint64_t> leakedChunks;  // below next_free, neither metadata nor referenced
    CrashStoreGeometry store;
};

struct CrashTestReport {
    uint64_t statesChecked = 0;
    uint64_t logEntries = 0;
    uint64_t crashPoints = 0;
    bool violation = false;
    std::string invariant;  // which invariant broke, e.g. "no-leaked-chunk" ("setup": the workload itself failed)
    std::string detail;     // what exactly was wrong
    uint64_t crashPoint = 0;
    std::string trace;      // the log entries leading to the crash point, and the kept writes
    std::string workload;   // what the workload did (for the report)
    double seconds = 0;
    bool cancelled = false;  // options.cancel stopped the run (no violation found up to then)
    // Structured details beside the text (set with the matching invariant):
    std::optional<CrashSnapshotLeak> snapshotLeak;      // no-leaked-chunk
    std::optional<uint64_t> cloneGarbageRegion;         // hydrated-region-garbage: the region index
};

// The sweep options a scenario passes to sweepCrashStates (tornWrites only where it supports it).
inline CrashStateOptions crashStateOptionsFor(const CrashTestOptions& o, bool tornWrites) {
    CrashStateOptions c{o.seed, o.exhaustiveUpTo, o.samples, o.maxStates, o.pointStride, tornWrites};
    c.progress = o.progress;
    c.cancel = o.cancel;
    return c;
}

CrashTestReport runSnapshotCrashTest(const CrashTestOptions& options);
// Clone (core/crashlab/clone_crash.cpp): hydration, user writes, flushes and discards; invariants
// metadata-loads, hydrated-region-garbage, flushed-data-lost. legacy: CloneOptions::legacyCommit.
CrashTestReport runCloneCrashTest(const CrashTestOptions& options);
// A recorded merge (rollback) with a second snapshot kept; legacy = records cleared before the
// origin is flushed.
CrashTestReport runMergeCrashTest(const CrashTestOptions& options);

}  // namespace loopsnap
