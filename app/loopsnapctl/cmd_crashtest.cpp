// crashtest snapshot|clone|merge [--seed S] [--ops N] [--legacy] [--samples N] [--exhaustive N]
// --json: {"event":"progress","states_checked","crash_points_done","crash_points_total"} lines
// (every 250 ms and at the end), then the result. SIGINT/SIGTERM cancel between states.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "cli.h"
#include "core/crashlab/crash_test.h"

namespace loopsnap::cli {
namespace {

QJsonObject progressJson(const CrashSweepProgress& p) {
    return QJsonObject{{"event", "progress"},
                       {"states_checked", qint64(p.statesChecked.load())},
                       {"crash_points_done", qint64(p.crashPointsDone.load())},
                       {"crash_points_total", qint64(p.crashPointsTotal.load())}};
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
    CrashTestOptions o;
    uint64_t samples = o.samples, exhaustive = o.exhaustiveUpTo;
    if (!uintOption(p, "seed", &o.seed, false) || !uintOption(p, "ops", &o.ops, false) || !uintOption(p, "samples", &samples, false) ||
        !uintOption(p, "exhaustive", &exhaustive, false))
        return kUsage;
    if (exhaustive > 16) return usageError("--exhaustive above 16 would enumerate too many subsets");
    o.samples = unsigned(samples);
    o.exhaustiveUpTo = unsigned(exhaustive);
    o.legacy = p.isSet("legacy");
    CrashTestReport (*run)(const CrashTestOptions&) = nullptr;
    if (kind == "snapshot") run = runSnapshotCrashTest;
    else if (kind == "clone") run = runCloneCrashTest;
    else if (kind == "merge") run = runMergeCrashTest;
    else return usageError("unknown crashtest kind '" + kind + "' (snapshot, clone, merge)");
    CrashSweepProgress progress;
    o.progress = &progress;
    o.cancel = &installStopSignals();  // SIGINT/SIGTERM stop between states with a report
    CrashTestReport r;
    {
        // With --json, a progress line every 250 ms and one when the sweep ends.
        std::mutex m;
        std::condition_variable cv;
        bool finished = false;
        std::thread reporter;
        if (ctx.json)
            reporter = std::thread([&] {
                std::unique_lock lock(m);
                for (bool last = false; !last;) {
                    last = cv.wait_for(lock, std::chrono::milliseconds(250), [&] { return finished; });
                    printJsonLine(progressJson(progress));
                }
            });
        r = run(o);
        {
            std::lock_guard lock(m);
            finished = true;
        }
        cv.notify_all();
        if (reporter.joinable()) reporter.join();
    }
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
        if (r.snapshotLeak) {
            const CrashStoreGeometry& g = r.snapshotLeak->store;
            j["leaked_chunks"] = numbers(r.snapshotLeak->leakedChunks);
            j["store"] = QJsonObject{{"chunk_bytes", qint64(g.chunkBytes)}, {"cow_chunks", qint64(g.cowChunks)},
                                     {"metadata_chunks", numbers(g.metadataChunks)}, {"next_free", qint64(g.nextFree)}};
        }
        if (r.cloneGarbageRegion) j["garbage_region"] = qint64(*r.cloneGarbageRegion);
        printJson(j);
    } else if (r.cancelled) {
        printText(QString("crashtest %1: %2").arg(kind, q(r.workload)));
        printText(QString("cancelled after %1 crash states (%2 of %3 crash points), no violation up to then")
                      .arg(r.statesChecked).arg(progress.crashPointsDone.load()).arg(r.crashPoints));
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
