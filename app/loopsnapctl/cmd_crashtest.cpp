// crashtest snapshot|clone|merge [--seed S] [--ops N] [--legacy] [--samples N] [--exhaustive N]
// --json: {"event":"progress","states_checked","crash_points_done","crash_points_total",
// "rate_bytes_per_second","eta_seconds"} lines (every 250 ms and at the end, through
// progress_output.h like merge and hydration), then the result. SIGINT/SIGTERM cancel between states.
// The run is an Engine crash-test job (the in-process runner, core/engine/crashtest_runner.h).
#include <chrono>
#include <cstdio>
#include <thread>

#include "cli.h"
#include "progress_output.h"

namespace loopsnap::cli {
namespace {

QJsonObject progressJson(const JobProgress& p) {
    return QJsonObject{{"states_checked", qint64(p.done)},
                       {"crash_points_done", qint64(p.crashPointsDone)},
                       {"crash_points_total", qint64(p.crashPointsTotal)}};
}

QJsonArray numbers(const std::vector<uint64_t>& v) {
    QJsonArray a;
    for (uint64_t x : v) a.append(qint64(x));
    return a;
}

}  // namespace

int runCrashtest(Context& ctx, const QStringList& args) {
    QString kind = args.value(1);
    QStringList rest = args.mid(1);
    if (rest.isEmpty()) return usageError("crashtest needs one of: snapshot, clone, merge");
    rest[0] = "crashtest " + kind;
    QCommandLineParser p;
    p.addOptions({{"seed", "Workload seed (default 1).", "S"}, {"ops", "Workload operations (default: the scenario's).", "N"},
                  {"legacy", "Run the pre-fix ordering; the check must then find the bug."},
                  {"samples", "Random subsets per crash point when there are many unflushed writes (default 24).", "N"},
                  {"exhaustive", "Enumerate every subset up to this many unflushed writes (default 6).", "N"}});
    if (!parseOrUsage(p, rest)) return kUsage;
    CrashTestRequest o;
    o.scenario = kind.toStdString();
    uint64_t samples = o.samples, exhaustive = o.exhaustiveUpTo;
    if (!uintOption(p, "seed", &o.seed, false) || !uintOption(p, "ops", &o.ops, false) || !uintOption(p, "samples", &samples, false) ||
        !uintOption(p, "exhaustive", &exhaustive, false))
        return kUsage;
    if (exhaustive > 16) return usageError("--exhaustive above 16 would enumerate too many subsets");
    o.samples = unsigned(samples);
    o.exhaustiveUpTo = unsigned(exhaustive);
    o.legacy = p.isSet("legacy");
    if (kind != "snapshot" && kind != "clone" && kind != "merge")
        return usageError("unknown crashtest kind '" + kind + "' (snapshot, clone, merge)");
    const auto& stop = installStopSignals();  // SIGINT/SIGTERM stop between states with a report
    // The crash lab works on memory devices of its own: any backend's engine runs it; the
    // memory backend needs no privileges and records nothing.
    Context memory = ctx;
    memory.backend = BackendKind::Memory;
    EngineOptions eo;
    eo.persistWorkspace = false;
    auto engine = openEngine(memory, eo);
    if (!engine.ok()) return fail(ctx, engine.error());
    Engine& e = **engine;
    auto job = e.startCrashTest(o);
    if (!job.ok()) return fail(ctx, job.error());
    // With --json, a progress line every 250 ms and one when the sweep ends (no bar on a terminal).
    ProgressOutput output(ctx, progressJson, std::chrono::milliseconds(250), false, false);
    Result<JobInfo> final = followJob(e, *job, output, stop);
    if (!final.ok()) return fail(ctx, final.error());
    auto outcome = e.crashTestOutcome(*job);
    if (!outcome.ok()) return fail(ctx, final->error ? *final->error : outcome.error());
    const CrashTestOutcome& r = *outcome;
    const uint64_t crashPointsDone = final->progress.crashPointsDone;
    if (o.legacy) printNote("NOTE: --legacy runs the pre-fix ordering on purpose; a violation is the expected outcome.");
    if (ctx.json) {
        QJsonObject j{{"kind", kind}, {"seed", qint64(o.seed)}, {"legacy", o.legacy}, {"states_checked", qint64(r.statesChecked)},
                      {"crash_points", qint64(r.crashPoints)}, {"log_entries", qint64(r.logEntries)}, {"violation", r.violation},
                      {"seconds", r.seconds}, {"workload", q(r.workload)}, {"cancelled", r.cancelled}};
        if (r.violation) {
            j["invariant"] = q(r.invariant);
            j["detail"] = q(r.detail);
            j["crash_point"] = qint64(r.crashPoint);
            j["trace"] = q(r.trace);
        }
        if (r.leakStore) {
            j["leaked_chunks"] = numbers(r.leakedChunks);
            j["store"] = QJsonObject{{"chunk_bytes", qint64(r.leakStore->chunkBytes)}, {"cow_chunks", qint64(r.leakStore->totalChunks)},
                                     {"metadata_chunks", numbers(r.leakStore->metadataChunks)}, {"next_free", qint64(r.leakStore->nextFreeChunk)}};
        }
        if (r.garbageRegion) j["garbage_region"] = qint64(*r.garbageRegion);
        printJson(j);
    } else if (r.cancelled) {
        printText(QString("crashtest %1: %2").arg(kind, q(r.workload)));
        printText(QString("cancelled after %1 crash states (%2 of %3 crash points), no violation up to then")
                      .arg(r.statesChecked).arg(crashPointsDone).arg(r.crashPoints));
    } else {
        printText(QString("crashtest %1: %2").arg(kind, q(r.workload)));
        if (r.violation)
            printText(QString("checked %1 crash states in %2 s, stopping at the first violation (crash point %3 of %4; %5 log entries)")
                          .arg(r.statesChecked).arg(r.seconds, 0, 'f', 2).arg(r.crashPoint).arg(r.crashPoints).arg(r.logEntries));
        else
            printText(QString("checked %1 crash states at %2 crash points (%3 log entries) in %4 s")
                          .arg(r.statesChecked).arg(r.crashPoints).arg(r.logEntries).arg(r.seconds, 0, 'f', 2));
        if (r.violation) {
            printText(QString("VIOLATION of %1: %2").arg(q(r.invariant), q(r.detail)));
            printText(q(r.trace));
        } else {
            printText("no violation");
        }
    }
    if (r.violation) return kViolation;
    return r.cancelled ? kFailed : kOk;
}

}  // namespace loopsnap::cli
