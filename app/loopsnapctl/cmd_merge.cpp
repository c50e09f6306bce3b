// loopsnapctl merge --origin O --cow C [--other-cow C2 ...]   (cli-contract.md, "Snapshots")
//
// Rolls the origin back to the snapshot. The merge runs on its own thread; this thread samples
// its counters for the progress bar / JSON progress lines and turns SIGINT/SIGTERM into a stop
// between batches, so an interrupted merge loses nothing and running the command again resumes.
#include <QCommandLineParser>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cli.h"
#include "core/util/progress.h"
#include "core/snapshot/snapshot_files.h"

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
    auto opened = openMergeFiles(origin.toStdString(), cow.toStdString(), others);
    if (!opened.ok()) return fail(ctx, opened.error());
    MergeFiles files = std::move(opened).value();
    SnapshotMerge& merge = *files.merge;
    const uint64_t chunk = merge.chunkBytes();
    if (files.resumed) printNote("resuming an unfinished merge of " + cow + " into " + origin);

    Result<MergeOutcome> outcome = makeError(ErrorCode::Aborted, "merge did not run");
    std::atomic<bool> done{false};
    std::thread worker([&] {
        outcome = files.run();
        done.store(true);
    });

    const MergeCounters& c = merge.counters();
    RateMeter meter;
    auto lastJson = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    bool stopping = false;
    auto report = [&](bool final) {
        uint64_t merged = c.mergedChunks.load(), total = c.totalChunks.load();
        double rate = meter.sample(c.bytesCopied.load());
        double eta = meter.etaSeconds((total - std::min(merged, total)) * chunk);
        if (ctx.json) {
            auto now = std::chrono::steady_clock::now();
            if (!final && now - lastJson < std::chrono::milliseconds(500)) return;
            lastJson = now;
            printJsonLine(QJsonObject{{"event", "progress"},
                                      {"merged_chunks", qint64(merged)},
                                      {"total_chunks", qint64(total)},
                                      {"bytes_copied", qint64(c.bytesCopied.load())},
                                      {"rate_bytes_per_second", rate},
                                      {"eta_seconds", eta}});
        } else if (ctx.interactive) {
            std::fprintf(stderr, "\r%s", renderProgressBar(merged, total, rate, eta).c_str());
            if (final) std::fprintf(stderr, "\n");
            std::fflush(stderr);
        }
    };
    while (!done.load()) {
        if (stop.load() && !stopping) {
            stopping = true;
            merge.stop();
        }
        report(false);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    worker.join();
    report(true);
    if (!outcome.ok()) return fail(ctx, outcome.error());
    SnapshotStatus st = merge.snapshot()->status();
    uint64_t merged = c.mergedChunks.load(), total = c.totalChunks.load();
    if (outcome.value() == MergeOutcome::Stopped)
        return fail(ctx, makeError(ErrorCode::Aborted, "merge interrupted after " + std::to_string(merged) + "/" + std::to_string(total) +
                                                           " chunks; the origin is partly rolled back until you run it again to resume"));
    if (ctx.json) {
        printJson(QJsonObject{{"result", "merged"},
                              {"merged_chunks", qint64(merged)},
                              {"total_chunks", qint64(total)},
                              {"bytes_copied", qint64(c.bytesCopied.load())},
                              {"resumed", files.resumed},
                              {"status", q(st.kernelStatusLine())},
                              {"allocated_sectors", qint64(st.allocatedSectors)},
                              {"metadata_sectors", qint64(st.metadataSectors)}});
    } else {
        printText(QString("merged %1 chunks into %2; %3 is now an empty store (%4)")
                      .arg(merged).arg(origin, cow, q(st.kernelStatusLine())));
    }
    return kOk;
}

}  // namespace loopsnap::cli
