// loopsnapctl merge --origin O --cow C [--other-cow C2 ...]   (cli-contract.md, "Snapshots")
//
// Rolls the origin back to the snapshot. The merge is an Engine job; this thread samples
// its progress for the progress bar / JSON progress lines and turns SIGINT/SIGTERM into a stop
// between batches, so an interrupted merge loses nothing and running the command again resumes.
#include <QCommandLineParser>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cli.h"
#include "progress_output.h"

namespace loopsnap::cli {

int runMerge(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.setApplicationDescription("Merge the snapshot on C into origin O (rollback): afterwards O holds the snapshot's contents "
                                "and C is an empty store. SIGINT/SIGTERM stop safely between batches; running it again "
                                "(also after a crash) resumes.");
    p.addOptions({{"origin", "Origin image or device.", "O"},
                  {"cow", "COW store of the snapshot to merge.", "C"},
                  {"other-cow", "Another snapshot of the same origin; it keeps its contents (repeatable).", "C2"}});
    if (!parseOrUsage(p, args)) return kUsage;
    QString origin, cow;
    if (!requireValue(p, "origin", &origin) || !requireValue(p, "cow", &cow)) return kUsage;
    std::vector<std::string> others;
    for (const QString& o : p.values("other-cow")) others.push_back(o.toStdString());

    const std::atomic<bool>& stop = installStopSignals();
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    Engine& e = **engine;
    // The snapshots are recorded in the workspace; the merge opens the origin with every
    // snapshot of it there (the others keep their contents).
    for (const std::string& other : others) {
        auto added = e.addSnapshot(origin.toStdString(), other);
        if (!added.ok()) return fail(ctx, added.error());
    }
    auto added = e.addSnapshot(origin.toStdString(), cow.toStdString());
    if (!added.ok()) return fail(ctx, added.error());
    const std::string id = added->id;
    const bool resumed = added->state == DeviceState::Merging;
    auto job = e.startMerge(id);
    if (!job.ok()) return fail(ctx, job.error());
    if (resumed) printNote("resuming an unfinished merge of " + cow + " into " + origin);

    ProgressOutput output(ctx, [](const JobProgress& p) {
        return QJsonObject{{"merged_chunks", qint64(p.done)}, {"total_chunks", qint64(p.total)}, {"bytes_copied", qint64(p.bytesDone)}};
    });
    auto final = followJob(e, *job, output, stop);
    if (!final.ok()) return fail(ctx, final.error());
    if (final->state == JobState::Failed) return fail(ctx, *final->error);
    uint64_t merged = final->progress.done, total = final->progress.total;
    if (final->state != JobState::Finished)
        return fail(ctx, makeError(ErrorCode::Aborted, "merge interrupted after " + std::to_string(merged) + "/" + std::to_string(total) +
                                                           " chunks; the origin is partly rolled back until you run it again to resume",
                                   cow.toStdString(), "merge-interrupted"));
    auto st = e.snapshot(id);
    if (!st.ok()) return fail(ctx, st.error());
    if (ctx.json) {
        printJson(QJsonObject{{"result", "merged"},
                              {"merged_chunks", qint64(merged)},
                              {"total_chunks", qint64(total)},
                              {"bytes_copied", qint64(final->progress.bytesDone)},
                              {"resumed", resumed},
                              {"status", q(st->status)},
                              {"allocated_sectors", qint64(st->allocatedSectors)},
                              {"metadata_sectors", qint64(st->metadataSectors)}});
    } else {
        printText(QString("merged %1 chunks into %2; %3 is now an empty store (%4)")
                      .arg(merged).arg(origin, cow, q(st->status)));
    }
    return kOk;
}

}  // namespace loopsnap::cli
