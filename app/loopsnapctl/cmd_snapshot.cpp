// snapshot create|status|read|write, inspect, origin write, workload.
#include <QFile>

#include <cstdio>
#include <cstring>

#include "cli.h"
#include "core/engine/device_resolver.h"
#include "core/export/status_json.h"
#include "core/snapshot/snapshot.h"
#include "core/util/size.h"

namespace loopsnap::cli {
namespace {

// The contract's status members, as core writes them for the control socket too.
QJsonObject statusJson(const SnapshotInfo& s) { return jsonObjectOf(snapshotStatusJson(s)); }

Result<std::vector<std::byte>> readInputFile(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return makeError(ErrorCode::NotFound, path.toStdString() + ": cannot open: " + f.errorString().toStdString());
    QByteArray raw = f.readAll();
    std::vector<std::byte> data(size_t(raw.size()));
    if (!raw.isEmpty()) std::memcpy(data.data(), raw.constData(), size_t(raw.size()));
    return data;
}

// Streams a device's whole contents into a file, in pieces.
Status writeDeviceToFile(BlockDevice& dev, const QString& outPath) {
    QFile out(outPath);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return makeError(ErrorCode::IOError, outPath.toStdString() + ": " + out.errorString().toStdString());
    std::vector<std::byte> buf(1 << 20);
    for (uint64_t pos = 0; pos < dev.size();) {
        uint64_t n = std::min<uint64_t>(buf.size(), dev.size() - pos);
        LS_TRY(dev.read(pos, std::span<std::byte>(buf.data(), n)));
        if (out.write(reinterpret_cast<const char*>(buf.data()), qint64(n)) != qint64(n))
            return makeError(ErrorCode::IOError, outPath.toStdString() + ": " + out.errorString().toStdString());
        pos += n;
    }
    if (!out.flush()) return makeError(ErrorCode::IOError, outPath.toStdString() + ": " + out.errorString().toStdString());
    return {};
}

void noteLegacy(bool legacy) {
    if (legacy)
        printNote("WARNING: --legacy-ordering is ON: exceptions commit in copy-completion order (the behaviour before "
                  "kernel commit 230c83afdd9c). A crash can leak COW space. For demonstrations only.");
}

int snapshotCreate(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.addOptions({{"origin", "Origin image or device.", "O"}, {"cow", "COW store file.", "C"},
                  {"cow-size", "Create the COW file at this size if missing.", "SIZE"},
                  {"chunk", "Chunk size (default 16K).", "SIZE"}, {"store", "P, PO or N (default P).", "TYPE"}});
    if (!parseOrUsage(p, args)) return kUsage;
    QString origin, cow;
    if (!requireValue(p, "origin", &origin) || !requireValue(p, "cow", &cow)) return kUsage;
    uint64_t cowSize = 0, chunk = kDefaultChunkBytes;
    if (!sizeOption(p, "cow-size", &cowSize, false) || !sizeOption(p, "chunk", &chunk, false)) return kUsage;
    StoreType type = StoreType::Persistent;
    if (p.isSet("store")) {
        auto t = parseStoreType(p.value("store").toStdString());
        if (!t.ok()) return usageError(q(t.error().message));
        type = t.value();
    }
    if (chunk > 0xffffffffull) return usageError("--chunk is far too large");
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    CreateSnapshotRequest rq;
    rq.originPath = origin.toStdString();
    rq.cowPath = cow.toStdString();
    rq.cowSize = cowSize;
    rq.chunkBytes = uint32_t(chunk);
    rq.store = storeTypeName(type);
    auto r = (*engine)->createSnapshot(rq);  // formats the store and records it in the workspace
    if (!r.ok()) return fail(ctx, r.error());
    if (ctx.json) printJson(statusJson(*r));
    else printText(QString("created snapshot store %1 (%2, chunk %3): %4")
                       .arg(cow, storeTypeName(type), q(formatSize(chunk)), q(r->status)));
    return kOk;
}

int snapshotStatus(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.addOptions({{"cow", "COW store file.", "C"}, {"origin", "Origin (accepted, not needed).", "O"}});
    if (!parseOrUsage(p, args)) return kUsage;
    QString cow;
    if (!requireValue(p, "cow", &cow)) return kUsage;
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    auto r = (*engine)->inspectStore(cow.toStdString());
    if (!r.ok()) return fail(ctx, r.error());
    if (ctx.json) printJson(statusJson(r->status));
    else printText(q(r->status.status));
    return kOk;
}

int snapshotRead(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.addOptions({{"origin", "Origin.", "O"}, {"cow", "COW store.", "C"}, {"out", "Output file.", "FILE"}});
    if (!parseOrUsage(p, args)) return kUsage;
    QString origin, cow, out;
    if (!requireValue(p, "origin", &origin) || !requireValue(p, "cow", &cow) || !requireValue(p, "out", &out)) return kUsage;
    // Read-only: a new store is not formatted (it reads as the origin), nothing is recorded.
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    auto opened = resolveDevices(**engine, {"snapshot:" + origin.toStdString() + ":" + cow.toStdString()}, ResolveOptions{.readOnly = true});
    if (!opened.ok()) return fail(ctx, opened.error());
    auto dev = opened->front().device;
    if (auto st = writeDeviceToFile(*dev, out); !st.ok()) return fail(ctx, st.error());
    if (ctx.json) printJson(QJsonObject{{"bytes", qint64(dev->size())}, {"out", out}});
    else printText(QString("wrote %1 bytes of the snapshot's view to %2").arg(dev->size()).arg(out));
    return kOk;
}

int snapshotWrite(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.addOptions({{"origin", "Origin.", "O"}, {"cow", "COW store.", "C"}, {"offset", "Byte offset.", "BYTES"},
                  {"in", "Input file.", "FILE"}, {"legacy-ordering", "Commit in completion order (pre-fix)."}});
    if (!parseOrUsage(p, args)) return kUsage;
    QString origin, cow, in;
    uint64_t offset = 0;
    if (!requireValue(p, "origin", &origin) || !requireValue(p, "cow", &cow) || !requireValue(p, "in", &in) ||
        !sizeOption(p, "offset", &offset, true))
        return kUsage;
    noteLegacy(p.isSet("legacy-ordering"));
    auto data = readInputFile(in);
    if (!data.ok()) return fail(ctx, data.error());
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    auto opened = resolveDevices(**engine, {"snapshot:" + origin.toStdString() + ":" + cow.toStdString()},
                                 ResolveOptions{.legacyCompletionOrder = p.isSet("legacy-ordering")});
    if (!opened.ok()) return fail(ctx, opened.error());
    ResolvedDevice& snap = opened->front();
    if (auto st = snap.device->write(offset, data.value()); !st.ok()) return fail(ctx, st.error());
    if (auto st = snap.device->flush(); !st.ok()) return fail(ctx, st.error());
    auto infos = snap.snapshots();
    if (infos.empty()) return fail(ctx, makeError(ErrorCode::NotFound, "no status for " + cow.toStdString(), cow.toStdString(), "no-status"));
    const SnapshotInfo& status = infos.front();
    if (ctx.json) printJson(statusJson(status));
    else printText(QString("wrote %1 bytes to the snapshot at %2: %3").arg(data.value().size()).arg(offset).arg(q(status.status)));
    return kOk;
}

// Removes a store from its origin's record (for a snapshot that is gone); touches no store.
int snapshotForget(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.addOptions({{"origin", "Origin.", "O"}, {"cow", "COW store to forget.", "C"}});
    if (!parseOrUsage(p, args)) return kUsage;
    QString origin, cow;
    if (!requireValue(p, "origin", &origin) || !requireValue(p, "cow", &cow)) return kUsage;
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    if (auto st = (*engine)->forgetSnapshotOfOrigin(origin.toStdString(), cow.toStdString()); !st.ok()) return fail(ctx, st.error());
    if (ctx.json) printJson(QJsonObject{{"forgotten", cow}, {"origin", origin}});
    else printText(QString("%1 is no longer recorded as a snapshot of %2 (no file was changed)").arg(cow, origin));
    return kOk;
}

}  // namespace

int runSnapshot(Context& ctx, const QStringList& args) {
    QString sub = args.value(1);
    QStringList rest = args.mid(1);
    rest[0] = "snapshot " + sub;
    if (sub == "create") return snapshotCreate(ctx, rest);
    if (sub == "status") return snapshotStatus(ctx, rest);
    if (sub == "read") return snapshotRead(ctx, rest);
    if (sub == "write") return snapshotWrite(ctx, rest);
    if (sub == "forget") return snapshotForget(ctx, rest);
    return usageError("snapshot needs one of: create, status, read, write, forget");
}

int runInspect(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.addOptions({{"cow", "COW store file.", "C"}});
    if (!parseOrUsage(p, args)) return kUsage;
    QString cow;
    if (!requireValue(p, "cow", &cow)) return kUsage;
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    auto r = (*engine)->inspectStore(cow.toStdString());
    if (!r.ok()) return fail(ctx, r.error());
    const StoreReport& in = r.value();
    if (ctx.json) {
        QJsonArray ex;
        for (auto [o, n] : in.exceptions) ex.append(QJsonObject{{"old", qint64(o)}, {"new", qint64(n)}});
        printJson(QJsonObject{{"magic", qint64(in.magic)}, {"valid", qint64(in.valid)}, {"version", qint64(in.version)},
                              {"chunk_sectors", qint64(in.chunkSectors)}, {"exceptions", ex}});
        return kOk;
    }
    printText(QString("magic         0x%1 (SnAp)").arg(in.magic, 8, 16, QChar('0')));
    printText(QString("valid         %1").arg(in.valid));
    printText(QString("version       %1").arg(in.version));
    printText(QString("chunk_size    %1 sectors (%2)").arg(in.chunkSectors).arg(q(formatSize(uint64_t(in.chunkSectors) * 512))));
    printText(QString("store         %1").arg(q(in.store)));
    printText(QString("status        %1").arg(q(in.status.status)));
    printText(QString("exceptions    %1 (origin chunk -> COW chunk, in commit order)").arg(in.exceptions.size()));
    for (auto [o, n] : in.exceptions) printText(QString("  %1 -> %2").arg(o).arg(n));
    return kOk;
}

int runOrigin(Context& ctx, const QStringList& args) {
    if (args.value(1) != "write") return usageError("origin needs: write");
    QStringList rest = args.mid(1);
    rest[0] = "origin write";
    QCommandLineParser p;
    p.addOptions({{"origin", "Origin.", "O"}, {"cow", "COW store (repeat for several snapshots).", "C"},
                  {"offset", "Byte offset.", "BYTES"}, {"in", "Input file.", "FILE"},
                  {"legacy-ordering", "Commit in completion order (pre-fix)."}});
    if (!parseOrUsage(p, rest)) return kUsage;
    QString origin, in;
    uint64_t offset = 0;
    if (!requireValue(p, "origin", &origin) || !requireValue(p, "in", &in) || !sizeOption(p, "offset", &offset, true)) return kUsage;
    bool legacy = p.isSet("legacy-ordering");
    noteLegacy(legacy);
    std::vector<std::string> cows;
    for (const QString& c : p.values("cow")) cows.push_back(c.toStdString());
    auto data = readInputFile(in);
    if (!data.ok()) return fail(ctx, data.error());
    std::string spec = "origin:" + origin.toStdString();
    for (const auto& c : cows) spec += ":" + c;
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    auto opened = resolveDevices(**engine, {spec}, ResolveOptions{.legacyCompletionOrder = legacy});
    if (!opened.ok()) return fail(ctx, opened.error());
    BlockDevice& o = *opened->front().device;
    if (auto st = o.write(offset, data.value()); !st.ok()) return fail(ctx, st.error());
    if (auto st = o.flush(); !st.ok()) return fail(ctx, st.error());
    QJsonArray snaps;
    for (const SnapshotInfo& status : opened->front().snapshots()) {
        QJsonObject j = statusJson(status);
        j["cow"] = q(status.cowPath);
        snaps.append(j);
        if (!ctx.json) printText(QString("%1: %2").arg(q(status.cowPath), q(status.status)));
    }
    if (ctx.json) printJson(QJsonObject{{"bytes", qint64(data.value().size())}, {"offset", qint64(offset)}, {"snapshots", snaps}});
    return kOk;
}

int runWorkload(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.addOptions({{"origin", "Origin.", "O"}, {"cow", "COW store (repeat).", "C"}, {"seed", "Random seed.", "S"},
                  {"ops", "Number of operations.", "N"}, {"threads", "Writer threads (default 4).", "N"},
                  {"legacy-ordering", "Commit in completion order (pre-fix)."}});
    if (!parseOrUsage(p, args)) return kUsage;
    QString origin;
    uint64_t seed = 1, ops = 0, threads = 4;
    if (!requireValue(p, "origin", &origin) || !uintOption(p, "seed", &seed, false) || !uintOption(p, "ops", &ops, true) ||
        !uintOption(p, "threads", &threads, false))
        return kUsage;
    if (p.values("cow").isEmpty()) return usageError("workload needs at least one --cow");
    if (threads == 0 || threads > 64) return usageError("--threads must be 1..64");
    bool legacy = p.isSet("legacy-ordering");
    noteLegacy(legacy);
    std::vector<std::string> cows;
    for (const QString& c : p.values("cow")) cows.push_back(c.toStdString());
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    PathWorkloadRequest rq;
    rq.originPath = origin.toStdString();
    rq.cowPaths = cows;
    rq.seed = seed;
    rq.ops = ops;
    rq.threads = unsigned(threads);
    rq.legacyCompletionOrder = legacy;
    auto report = (*engine)->runPathWorkload(rq);
    if (!report.ok()) return fail(ctx, report.error());
    QJsonArray snaps;
    for (size_t i = 0; i < report->snapshots.size(); ++i) {
        const SnapshotInfo& st = report->snapshots[i];
        SnapshotTrace tr = i < report->traces.size() ? report->traces[i] : SnapshotTrace{};
        QJsonObject j = statusJson(st);
        j["cow"] = q(st.cowPath);
        j["copies_finished_out_of_order"] = qint64(tr.finishedOutOfOrder);
        j["area_writes"] = qint64(tr.areaWrites);
        snaps.append(j);
        if (!ctx.json)
            printText(QString("%1: %2  (%3 exceptions, %4 copies finished out of order, %5 area writes)")
                          .arg(q(st.cowPath), q(st.status))
                          .arg(st.exceptions)
                          .arg(tr.finishedOutOfOrder)
                          .arg(tr.areaWrites));
    }
    const uint64_t originWrites = report->originWrites, snapshotWrites = report->snapshotWrites, failed = report->failedWrites;
    if (ctx.json)
        printJson(QJsonObject{{"ops", qint64(ops)}, {"origin_writes", qint64(originWrites)},
                              {"snapshot_writes", qint64(snapshotWrites)}, {"failed_writes", qint64(failed)},
                              {"legacy_ordering", legacy}, {"snapshots", snaps}});
    else
        printText(QString("workload: %1 origin writes, %2 snapshot writes, %3 refused").arg(originWrites).arg(snapshotWrites).arg(failed));
    return kOk;
}

}  // namespace loopsnap::cli
