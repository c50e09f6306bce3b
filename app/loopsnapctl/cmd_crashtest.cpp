// crashtest snapshot|clone|merge [--seed S] [--ops N] [--legacy] [--samples N] [--exhaustive N]
#include <cstdio>

#include "cli.h"
#include "core/crashlab/crash_test.h"

namespace loopsnap::cli {

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
    CrashTestReport r;
    if (kind == "snapshot") r = runSnapshotCrashTest(o);
    else if (kind == "clone") r = runCloneCrashTest(o);
    else if (kind == "merge") r = runMergeCrashTest(o);
    else return usageError("unknown crashtest kind '" + kind + "' (snapshot, clone, merge)");
    if (o.legacy) printNote("NOTE: --legacy runs the pre-fix ordering on purpose; a violation is the expected outcome.");
    if (ctx.json) {
        QJsonObject j{{"kind", kind}, {"seed", qint64(o.seed)}, {"legacy", o.legacy}, {"states_checked", qint64(r.statesChecked)},
                      {"crash_points", qint64(r.crashPoints)}, {"log_entries", qint64(r.logEntries)}, {"violation", r.violation},
                      {"seconds", r.seconds}, {"workload", q(r.workload)}};
        if (r.violation) {
            j["invariant"] = q(r.invariant);
            j["detail"] = q(r.detail);
            j["crash_point"] = qint64(r.crashPoint);
            j["trace"] = q(r.trace);
        }
        printJson(j);
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
    return r.violation ? kViolation : kOk;
}

}  // namespace loopsnap::cli
