// loopsnapctl clone create | status | hydrate | read | write   (cli-contract.md, "Clones")
#include <QCommandLineParser>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "cli.h"
#include "core/clone/clone_files.h"
#include "core/util/progress.h"
#include "core/posix/file_device.h"

namespace loopsnap::cli {

namespace {

constexpr size_t kIoPiece = 1 << 20;

QJsonObject statusJson(const CloneStatus& st) {
    return QJsonObject{{"status", q(st.kernelLine())},
                       {"hydrated_regions", qint64(st.hydratedRegions)},
                       {"total_regions", qint64(st.totalRegions)},
                       {"hydrating_regions", qint64(st.hydratingRegions)},
                       {"region_sectors", qint64(st.regionSectors)}};
}

int cloneCreate(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.setApplicationDescription("Create a clone of SRC (a path or an nbd:// / nbd+unix:// URI) onto D, with metadata M.");
    p.addOptions({{"source", "Source image, block device or NBD URI (read-only).", "SRC"},
                  {"dest", "Destination (created at the source's size if missing).", "D"},
                  {"meta", "Metadata file to create.", "M"},
                  {"region", "Region size, power of two from 4K to 1G (default 64K).", "SIZE"}});
    if (!parseOrUsage(p, args)) return kUsage;
    CloneCreateRequest req;
    QString source, dest, meta;
    if (!requireValue(p, "source", &source) || !requireValue(p, "dest", &dest) || !requireValue(p, "meta", &meta))
        return kUsage;
    req.source = source.toStdString();
    req.dest = dest.toStdString();
    req.meta = meta.toStdString();
    if (!sizeOption(p, "region", &req.regionSize, false)) return kUsage;
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    CreateCloneRequest rq{req.source, req.dest, req.meta, req.regionSize};
    auto st = (*engine)->createClone(rq);  // creates the files and records the clone in the workspace
    if (!st.ok()) return fail(ctx, st.error());
    if (ctx.json) {
        QJsonObject o{{"status", q(st->status)},
                      {"hydrated_regions", qint64(st->hydratedRegions)},
                      {"total_regions", qint64(st->totalRegions)},
                      {"hydrating_regions", qint64(st->hydratingRegions)},
                      {"region_sectors", qint64(st->regionBytes / 512)}};
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
    std::string path = meta.toStdString();
    if (!fileExists(path)) return fail(ctx, makeError(ErrorCode::NotFound, "metadata file " + path + " does not exist"));
    FileOpenOptions o;
    o.writable = false;
    auto dev = FileDevice::open(path, o);
    if (!dev.ok()) return fail(ctx, dev.error());
    auto md = CloneMetadata::load(dev.value());
    if (!md.ok()) return fail(ctx, md.error());
    CloneStatus st;
    st.usedMetadataBlocks = md.value()->usedBlocks();
    st.totalMetadataBlocks = md.value()->totalBlocks();
    st.regionSectors = md.value()->header().geometry.regionSectors();
    st.hydratedRegions = md.value()->committed().count();
    st.totalRegions = md.value()->header().geometry.regionCount();
    st.hydrationEnabled = false;
    if (ctx.json) printJson(statusJson(st));
    else printText(q(st.kernelLine()));
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
    CloneOptions options;
    options.hydrationThreshold = uint32_t(threshold);
    options.hydrationBatchSize = uint32_t(batch);
    options.legacyCommit = p.isSet("legacy-commit");
    if (options.legacyCommit)
        printNote("WARNING: --legacy-commit is ON: metadata is committed BEFORE the destination is flushed "
                  "(the pre-fix dm-clone ordering). A crash can leave regions marked hydrated with garbage. "
                  "For demonstrations only.");
    const std::atomic<bool>& stop = installStopSignals();
    auto opened = openCloneFiles(meta.toStdString(), options);
    if (!opened.ok()) return fail(ctx, opened.error());
    auto clone = opened.value();
    const uint64_t regionSize = clone->geometry().regionSize;
    const ProgressCounters& pc = clone->progress();
    RateMeter meter;
    auto lastJson = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    auto report = [&](bool final) {
        uint64_t done = pc.done.load(), total = pc.total.load();
        double rate = meter.sample(pc.bytes.load());
        double eta = meter.etaSeconds((total - std::min(done, total)) * regionSize);
        if (ctx.json) {
            auto now = std::chrono::steady_clock::now();
            if (!final && now - lastJson < std::chrono::milliseconds(500)) return;
            lastJson = now;
            printJsonLine(QJsonObject{{"event", "progress"},
                                      {"hydrated_regions", qint64(done)},
                                      {"total_regions", qint64(total)},
                                      {"bytes_copied", qint64(pc.bytes.load())},
                                      {"rate_bytes_per_second", rate},
                                      {"eta_seconds", eta}});
        } else if (ctx.interactive) {
            std::fprintf(stderr, "\r%s", renderProgressBar(done, total, rate, eta).c_str());
            if (final) std::fprintf(stderr, "\n");
            std::fflush(stderr);
        }
    };
    clone->enableHydration();
    std::optional<Error> error;
    while (!clone->fullyHydrated() && !stop.load()) {
        if ((error = clone->hydrationError())) break;
        report(false);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    clone->disableHydration();
    report(true);
    auto closed = clone->close();  // final commit: the work done so far is kept
    if (!closed.ok()) return fail(ctx, closed.error());
    if (error) return fail(ctx, *error);
    CloneStatus st = clone->status();
    if (!clone->fullyHydrated())
        return fail(ctx, makeError(ErrorCode::Aborted, "hydration interrupted at " + std::to_string(st.hydratedRegions) +
                                                           "/" + std::to_string(st.totalRegions) +
                                                           " regions; run it again to resume"));
    if (ctx.json) {
        QJsonObject o = statusJson(st);
        o["result"] = "hydrated";
        o["legacy_commit"] = options.legacyCommit;
        printJson(o);
    } else {
        printText(QString("hydrated %1/%2 regions").arg(st.hydratedRegions).arg(st.totalRegions));
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
    CloneOptions options;
    options.commitInterval = std::chrono::milliseconds(0);
    auto opened = openCloneFiles(meta.toStdString(), options);
    if (!opened.ok()) return fail(ctx, opened.error());
    auto clone = opened.value();
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
    auto closed = clone->close();
    if (!closed.ok()) return fail(ctx, closed.error());
    if (ctx.json) printJson(QJsonObject{{"bytes", qint64(clone->size())}, {"out", out}});
    else printText(QString("wrote %1 bytes to %2").arg(clone->size()).arg(out));
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
    CloneOptions options;
    options.commitInterval = std::chrono::milliseconds(0);
    auto opened = openCloneFiles(meta.toStdString(), options);
    if (!opened.ok()) return fail(ctx, opened.error());
    auto clone = opened.value();
    auto st = clone->write(offset, data);
    if (st.ok()) st = clone->flush();
    if (!st.ok()) return fail(ctx, st.error());
    auto closed = clone->close();
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
