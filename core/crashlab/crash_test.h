// Crash tests users can run (`loopsnapctl crashtest ...`) and the test suite runs at scale: record
// a seeded workload's writes and flushes, then check invariants in every crash state.
#pragma once

#include <cstdint>
#include <string>

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
    // Clone only for now: CrashStateOptions::tornWrites (unflushed writes may persist in part).
    bool tornWrites = false;
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
};

CrashTestReport runSnapshotCrashTest(const CrashTestOptions& options);
// Clone (core/crashlab/clone_crash.cpp): hydration, user writes, flushes and discards; invariants
// metadata-loads, hydrated-region-garbage, flushed-data-lost. legacy: CloneOptions::legacyCommit.
CrashTestReport runCloneCrashTest(const CrashTestOptions& options);
// A recorded merge (rollback) with a second snapshot kept; legacy = records cleared before the
// origin is flushed.
CrashTestReport runMergeCrashTest(const CrashTestOptions& options);

}  // namespace loopsnap
