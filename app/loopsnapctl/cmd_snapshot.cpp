// snapshot create|status|read|write, inspect, origin write, workload.
#include <QFile>

#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "cli.h"
#include "core/posix/file_device.h"
#include "core/snapshot/snapshot_files.h"
#include "core/util/size.h"

namespace loopsnap::cli {
namespace {

QJsonObject statusJson(const SnapshotStatus& s) {
    return QJsonObject{{"status", q(s.kernelStatusLine())},
                       {"state", snapshotStateName(s.state)},
                       {"allocated_sectors", qint64(s.allocatedSectors)},
                       {"total_sectors", qint64(s.totalSectors)},
                       {"metadata_sectors", qint64(s.metadataSectors)},
                       {"chunk_sectors", qint64(s.chunkSectors)},
                       {"exceptions", qint64(s.exceptions)}};
}

QJsonObject statusJson(const SnapshotInfo& s) {
    return QJsonObject{{"status", q(s.status)},
                       {"state", deviceStateName(s.state)},
                       {"allocated_sectors", qint64(s.allocatedSectors)},
                       {"total_sectors", qint64(s.totalSectors)},
                       {"metadata_sectors", qint64(s.metadataSectors)},
                       {"chunk_sectors", qint64(s.chunkBytes / 512)},
                       {"exceptions", qint64(s.exceptions)}};
}

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
    auto r = inspectSnapshotStore(cow.toStdString());
    if (!r.ok()) return fail(ctx, r.error());
    if (ctx.json) printJson(statusJson(r.value().status));
    else printText(q(r.value().status.kernelStatusLine()));
    return kOk;
}

int snapshotRead(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.addOptions({{"origin", "Origin.", "O"}, {"cow", "COW store.", "C"}, {"out", "Output file.", "FILE"}});
    if (!parseOrUsage(p, args)) return kUsage;
    QString origin, cow, out;
    if (!requireValue(p, "origin", &origin) || !requireValue(p, "cow", &cow) || !requireValue(p, "out", &out)) return kUsage;
    auto opened = openSnapshotFiles(origin.toStdString(), {cow.toStdString()});
    if (!opened.ok()) return fail(ctx, opened.error());
    auto dev = opened.value().snapshots[0]->device();
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
    auto opened = openSnapshotFiles(origin.toStdString(), {cow.toStdString()}, SnapshotOpenOptions{.legacyCompletionOrder = p.isSet("legacy-ordering")});
    if (!opened.ok()) return fail(ctx, opened.error());
    auto& snap = opened.value().snapshots[0];
    if (auto st = snap->write(offset, data.value()); !st.ok()) return fail(ctx, st.error());
    if (auto st = snap->flush(); !st.ok()) return fail(ctx, st.error());
    auto status = snap->status();
    if (ctx.json) printJson(statusJson(status));
    else printText(QString("wrote %1 bytes to the snapshot at %2: %3").arg(data.value().size()).arg(offset).arg(q(status.kernelStatusLine())));
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
    return usageError("snapshot needs one of: create, status, read, write");
}

int runInspect(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.addOptions({{"cow", "COW store file.", "C"}});
    if (!parseOrUsage(p, args)) return kUsage;
    QString cow;
    if (!requireValue(p, "cow", &cow)) return kUsage;
    auto r = inspectSnapshotStore(cow.toStdString());
    if (!r.ok()) return fail(ctx, r.error());
    const auto& in = r.value();
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
    printText(QString("store         %1").arg(storeTypeName(in.type)));
    printText(QString("status        %1").arg(q(in.status.kernelStatusLine())));
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
    auto opened = openSnapshotFiles(origin.toStdString(), cows, SnapshotOpenOptions{.legacyCompletionOrder = legacy});
    if (!opened.ok()) return fail(ctx, opened.error());
    auto& o = *opened.value().origin;
    if (auto st = o.write(offset, data.value()); !st.ok()) return fail(ctx, st.error());
    if (auto st = o.flush(); !st.ok()) return fail(ctx, st.error());
    QJsonArray snaps;
    for (auto& s : opened.value().snapshots) {
        auto status = s->status();
        QJsonObject j = statusJson(status);
        j["cow"] = q(s->name());
        snaps.append(j);
        if (!ctx.json) printText(QString("%1: %2").arg(q(s->name()), q(status.kernelStatusLine())));
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
    auto opened = openSnapshotFiles(origin.toStdString(), cows, SnapshotOpenOptions{.legacyCompletionOrder = legacy});
    if (!opened.ok()) return fail(ctx, opened.error());
    auto& set = opened.value();
    const uint64_t size = set.origin->size();
    uint32_t minChunk = kMaxChunkBytes;
    for (auto& s : set.snapshots) minChunk = std::min(minChunk, s->chunkBytes());
    std::atomic<uint64_t> originWrites{0}, snapshotWrites{0}, failed{0};
    std::atomic<uint64_t> next{0};
    std::vector<std::thread> workers;
    for (uint64_t t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            std::mt19937_64 rng(seed * 1000003 + t);
            std::vector<std::byte> buf;
            while (next.fetch_add(1) < ops) {
                uint64_t len = std::min<uint64_t>(size, (1 + rng() % 3) * minChunk / (1 + rng() % 2));
                uint64_t off = (rng() % (size - len + 1)) / 512 * 512;
                buf.resize(len);
                for (auto& b : buf) b = std::byte(rng());
                bool toSnapshot = rng() % 10 < 3;
                Status st;
                if (toSnapshot) {
                    auto& s = set.snapshots[rng() % set.snapshots.size()];
                    if (s->status().state != SnapshotState::Valid) continue;
                    st = s->write(off, buf);
                    snapshotWrites.fetch_add(1);
                } else {
                    st = set.origin->write(off, buf);
                    originWrites.fetch_add(1);
                }
                if (!st.ok()) failed.fetch_add(1);
            }
        });
    }
    for (auto& w : workers) w.join();
    Status fl = set.origin->flush();
    for (auto& s : set.snapshots) (void)s->flush();
    if (!fl.ok()) return fail(ctx, fl.error());
    QJsonArray snaps;
    for (auto& s : set.snapshots) {
        auto st = s->status();
        QJsonObject j = statusJson(st);
        j["cow"] = q(s->name());
        j["copies_finished_out_of_order"] = qint64(s->counters().finishedOutOfOrder.load());
        j["area_writes"] = qint64(s->counters().areaWrites.load());
        snaps.append(j);
        if (!ctx.json)
            printText(QString("%1: %2  (%3 exceptions, %4 copies finished out of order, %5 area writes)")
                          .arg(q(s->name()), q(st.kernelStatusLine()))
                          .arg(st.exceptions)
                          .arg(s->counters().finishedOutOfOrder.load())
                          .arg(s->counters().areaWrites.load()));
    }
    if (ctx.json)
        printJson(QJsonObject{{"ops", qint64(ops)}, {"origin_writes", qint64(originWrites.load())},
                              {"snapshot_writes", qint64(snapshotWrites.load())}, {"failed_writes", qint64(failed.load())},
                              {"legacy_ordering", legacy}, {"snapshots", snaps}});
    else
        printText(QString("workload: %1 origin writes, %2 snapshot writes, %3 refused").arg(originWrites.load()).arg(snapshotWrites.load()).arg(failed.load()));
    return kOk;
}

}  // namespace loopsnap::cli
