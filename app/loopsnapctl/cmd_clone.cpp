// loopsnapctl clone create | status | hydrate | read | write   (cli-contract.md, "Clones")
#include <QCommandLineParser>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "cli.h"
#include "core/export/status_json.h"
#include "progress_output.h"

namespace loopsnap::cli {

namespace {

constexpr size_t kIoPiece = 1 << 20;

// The contract's status members, as core writes them for the control socket too.
QJsonObject statusJson(const CloneInfo& st) { return jsonObjectOf(cloneStatusJson(st)); }

// The clone recorded in the workspace (cli-contract.md: a clone a command opens is recorded) and
// its I/O handle, hydration off.
struct OpenedClone {
    std::string id;
    std::shared_ptr<BlockDevice> device;
};
Result<OpenedClone> openClone(Engine& e, const QString& meta) {
    LS_ASSIGN(auto info, e.addClone(meta.toStdString()));
    LS_ASSIGN(auto dev, e.device(info.id));
    return OpenedClone{info.id, dev};
}

int cloneCreate(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.setApplicationDescription("Create a clone of SRC (a path or an nbd:// / nbd+unix:// URI) onto D, with metadata M.");
    p.addOptions({{"source", "Source image, block device or NBD URI (read-only).", "SRC"},
                  {"dest", "Destination (created at the source's size if missing).", "D"},
                  {"meta", "Metadata file to create.", "M"},
                  {"region", "Region size, power of two from 4K to 1G (default 64K).", "SIZE"}});
    if (!parseOrUsage(p, args)) return kUsage;
    CreateCloneRequest rq;
    QString source, dest, meta;
    if (!requireValue(p, "source", &source) || !requireValue(p, "dest", &dest) || !requireValue(p, "meta", &meta))
        return kUsage;
    rq.source = source.toStdString();
    rq.dest = dest.toStdString();
    rq.meta = meta.toStdString();
    if (!sizeOption(p, "region", &rq.regionBytes, false)) return kUsage;
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    auto st = (*engine)->createClone(rq);  // creates the files and records the clone in the workspace
    if (!st.ok()) return fail(ctx, st.error());
    if (ctx.json) {
        QJsonObject o = statusJson(*st);
        o["meta"] = meta;
        printJson(o);
    } else {
        printText(QString("created clone %1: %2 regions of %3 sectors").arg(meta).arg(st->totalRegions).arg(st->regionBytes / 512));
    }
    return kOk;
}

int cloneStatus(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.setApplicationDescription("Print the clone's status line in the kernel's dm-clone format.");
    p.addOption({"meta", "Metadata file.", "M"});
    if (!parseOrUsage(p, args)) return kUsage;
    QString meta;
    if (!requireValue(p, "meta", &meta)) return kUsage;
    // Read-only and without the source: works while another process hydrates the clone, and
    // with an unreachable NBD source. Shows the committed state, no hydration running here.
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    auto st = (*engine)->inspectClone(meta.toStdString());
    if (!st.ok()) return fail(ctx, st.error());
    if (st->problem) return fail(ctx, *st->problem);  // e.g. an inactive kernel clone has no status to show
    if (ctx.json) printJson(statusJson(*st));
    else printText(q(st->status));
    return kOk;
}

int cloneHydrate(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.setApplicationDescription("Hydrate the clone until every region is on the destination. "
                                "SIGINT/SIGTERM stop safely; running it again resumes.");
    p.addOptions({{"meta", "Metadata file.", "M"},
                  {"threshold", "Regions in flight (hydration_threshold, default 1).", "N"},
                  {"batch", "Consecutive regions per copy (hydration_batch_size, default 1).", "N"},
                  {"legacy-commit", "LEGACY: commit metadata before flushing the destination (demonstrates the "
                                    "corruption dm-clone fixed; never use for real data)."}});
    if (!parseOrUsage(p, args)) return kUsage;
    QString meta;
    if (!requireValue(p, "meta", &meta)) return kUsage;
    uint64_t threshold = 1, batch = 1;
    if (!uintOption(p, "threshold", &threshold, false) || !uintOption(p, "batch", &batch, false)) return kUsage;
    if (threshold == 0 || batch == 0 || threshold > UINT32_MAX || batch > UINT32_MAX)
        return usageError("--threshold and --batch must be at least 1");
    const bool legacyCommit = p.isSet("legacy-commit");
    if (legacyCommit)
        printNote("WARNING: --legacy-commit is ON: metadata is committed BEFORE the destination is flushed "
                  "(the pre-fix dm-clone ordering). A crash can leave regions marked hydrated with garbage. "
                  "For demonstrations only.");
    const std::atomic<bool>& stop = installStopSignals();
    EngineOptions eo;
    eo.legacyCloneCommit = legacyCommit;
    auto engine = openEngine(ctx, eo);
    if (!engine.ok()) return fail(ctx, engine.error());
    Engine& e = **engine;
    auto added = e.addClone(meta.toStdString());
    if (!added.ok()) return fail(ctx, added.error());
    auto job = e.startHydration(added->id, HydrationTuning{uint32_t(threshold), uint32_t(batch)});
    if (!job.ok()) return fail(ctx, job.error());
    ProgressOutput output(ctx, [](const JobProgress& p) {
        return QJsonObject{{"hydrated_regions", qint64(p.done)}, {"total_regions", qint64(p.total)}, {"bytes_copied", qint64(p.bytesDone)}};
    });
    auto final = followJob(e, *job, output, stop);
    if (!final.ok()) return fail(ctx, final.error());
    auto st = e.clone(added->id);  // live: the tuning this run used
    if (!st.ok()) return fail(ctx, st.error());
    Status closed = e.closeDevice(added->id);  // final commit: the work done so far is kept
    if (!closed.ok()) return fail(ctx, closed.error());
    if (final->state == JobState::Failed) return fail(ctx, *final->error);
    if (final->state != JobState::Finished)
        return fail(ctx, makeError(ErrorCode::Aborted, "hydration interrupted at " + std::to_string(st->hydratedRegions) + "/" +
                                                           std::to_string(st->totalRegions) + " regions; run it again to resume",
                                   meta.toStdString(), "hydration-interrupted"));
    if (ctx.json) {
        QJsonObject o = statusJson(*st);
        o["result"] = "hydrated";
        o["legacy_commit"] = legacyCommit;
        printJson(o);
    } else {
        printText(QString("hydrated %1/%2 regions").arg(st->hydratedRegions).arg(st->totalRegions));
    }
    return kOk;
}

int cloneRead(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.setApplicationDescription("Write the clone's whole view to FILE.");
    p.addOptions({{"meta", "Metadata file.", "M"}, {"out", "Output file.", "FILE"}});
    if (!parseOrUsage(p, args)) return kUsage;
    QString meta, out;
    if (!requireValue(p, "meta", &meta) || !requireValue(p, "out", &out)) return kUsage;
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    auto opened = openClone(**engine, meta);
    if (!opened.ok()) return fail(ctx, opened.error());
    auto clone = opened->device;
    std::FILE* f = std::fopen(out.toLocal8Bit().constData(), "wb");
    if (!f) return fail(ctx, makeError(ErrorCode::IOError, "cannot create " + out.toStdString() + ": " + std::strerror(errno)));
    std::vector<std::byte> buf(kIoPiece);
    for (uint64_t off = 0; off < clone->size(); off += buf.size()) {
        std::span<std::byte> piece(buf.data(), std::min<uint64_t>(buf.size(), clone->size() - off));
        auto st = clone->read(off, piece);
        if (!st.ok()) {
            std::fclose(f);
            return fail(ctx, st.error());
        }
        if (std::fwrite(piece.data(), 1, piece.size(), f) != piece.size()) {
            std::fclose(f);
            return fail(ctx, makeError(ErrorCode::IOError, "cannot write " + out.toStdString()));
        }
    }
    if (std::fclose(f) != 0) return fail(ctx, makeError(ErrorCode::IOError, "cannot write " + out.toStdString()));
    const uint64_t bytes = clone->size();
    clone.reset();
    auto closed = (*engine)->closeDevice(opened->id);
    if (!closed.ok()) return fail(ctx, closed.error());
    if (ctx.json) printJson(QJsonObject{{"bytes", qint64(bytes)}, {"out", out}});
    else printText(QString("wrote %1 bytes to %2").arg(bytes).arg(out));
    return kOk;
}

int cloneWrite(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.setApplicationDescription("Write FILE's bytes to the clone at OFFSET (durable when the command returns).");
    p.addOptions({{"meta", "Metadata file.", "M"}, {"offset", "Byte offset.", "BYTES"}, {"in", "Input file.", "FILE"}});
    if (!parseOrUsage(p, args)) return kUsage;
    QString meta, in;
    uint64_t offset = 0;
    if (!requireValue(p, "meta", &meta) || !requireValue(p, "in", &in) || !sizeOption(p, "offset", &offset, true))
        return kUsage;
    std::FILE* f = std::fopen(in.toLocal8Bit().constData(), "rb");
    if (!f) return fail(ctx, makeError(ErrorCode::NotFound, "cannot open " + in.toStdString() + ": " + std::strerror(errno)));
    std::vector<std::byte> data;
    std::vector<std::byte> buf(kIoPiece);
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) data.insert(data.end(), buf.begin(), buf.begin() + n);
    std::fclose(f);
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    auto opened = openClone(**engine, meta);
    if (!opened.ok()) return fail(ctx, opened.error());
    auto st = opened->device->write(offset, data);
    if (st.ok()) st = opened->device->flush();
    if (!st.ok()) return fail(ctx, st.error());
    opened->device.reset();
    auto closed = (*engine)->closeDevice(opened->id);  // final commit
    if (!closed.ok()) return fail(ctx, closed.error());
    if (ctx.json) printJson(QJsonObject{{"bytes", qint64(data.size())}, {"offset", qint64(offset)}});
    else printText(QString("wrote %1 bytes at offset %2").arg(data.size()).arg(offset));
    return kOk;
}

}  // namespace

int runClone(Context& ctx, const QStringList& args) {
    const QString sub = args.value(1);
    QStringList rest = args.mid(1);
    rest[0] = "clone " + sub;
    if (sub == "create") return cloneCreate(ctx, rest);
    if (sub == "status") return cloneStatus(ctx, rest);
    if (sub == "hydrate") return cloneHydrate(ctx, rest);
    if (sub == "read") return cloneRead(ctx, rest);
    if (sub == "write") return cloneWrite(ctx, rest);
    if (sub == "--help" || sub == "-h") {
        std::printf("Usage: loopsnapctl clone create|status|hydrate|read|write [options]\n");
        return kOk;
    }
    return usageError(sub.isEmpty() ? QString("clone: missing subcommand (create|status|hydrate|read|write)")
                                    : "clone: unknown subcommand '" + sub + "'");
}

}  // namespace loopsnap::cli
