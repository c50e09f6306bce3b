// loopsnapctl list | add | forget   (cli-contract.md, "Workspace")
#include <QJsonArray>
#include <QJsonObject>

#include "cli.h"

namespace loopsnap::cli {

namespace {

QJsonObject snapshotJson(const SnapshotInfo& s) {
    QJsonObject o{{"id", q(s.id)},           {"cow", q(s.cowPath)},     {"store", q(s.store)},
                  {"chunk_bytes", qint64(s.chunkBytes)}, {"status", q(s.status)}, {"state", deviceStateName(s.state)}};
    if (!s.device.empty()) o["device"] = q(s.device);  // kernel backend: the dm device while it is up
    return o;
}

QString deviceNote(const std::string& device) { return device.empty() ? QString() : "  " + q(device); }

QJsonObject cloneJson(const CloneInfo& c) {
    return QJsonObject{{"id", q(c.id)},
                       {"meta", q(c.metaPath)},
                       {"source", q(c.source)},
                       {"dest", q(c.dest)},
                       {"backend", backendKindName(c.backend)},
                       {"status", q(c.status)},
                       {"state", deviceStateName(c.state)},
                       {"hydrated_regions", qint64(c.hydratedRegions)},
                       {"total_regions", qint64(c.totalRegions)}};
}

QJsonObject cloneJsonWithDevice(const CloneInfo& c) {
    QJsonObject o = cloneJson(c);
    if (!c.device.empty()) o["device"] = q(c.device);
    return o;
}

QString problemNote(const std::optional<Error>& problem) {
    return problem ? "  (" + q(problem->message) + ")" : QString();
}

}  // namespace

int runList(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.setApplicationDescription("List every origin with its snapshots, and every clone, in the workspace, with their state.");
    if (!parseOrUsage(p, args)) return kUsage;
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    Engine& e = **engine;
    std::vector<SnapshotInfo> snapshots = e.snapshots();
    auto snapshotsOf = [&](const OriginInfo& o) {
        std::vector<const SnapshotInfo*> out;
        for (const std::string& id : o.snapshotIds)
            for (const SnapshotInfo& s : snapshots)
                if (s.id == id) out.push_back(&s);
        return out;
    };
    std::vector<OriginInfo> origins = e.origins();
    std::vector<CloneInfo> clones = e.clones();
    if (ctx.json) {
        QJsonArray originArray, cloneArray;
        for (const OriginInfo& o : origins) {
            QJsonArray snaps;
            for (const SnapshotInfo* s : snapshotsOf(o)) snaps.append(snapshotJson(*s));
            QJsonObject oj{{"id", q(o.id)},
                           {"path", q(o.path)},
                           {"size_bytes", qint64(o.sizeBytes)},
                           {"backend", backendKindName(o.backend)},
                           {"state", deviceStateName(o.state)},
                           {"snapshots", snaps}};
            if (!o.device.empty()) oj["device"] = q(o.device);
            originArray.append(oj);
        }
        for (const CloneInfo& c : clones) cloneArray.append(cloneJsonWithDevice(c));
        printJson(QJsonObject{{"origins", originArray}, {"clones", cloneArray}});
        return kOk;
    }
    if (origins.empty() && clones.empty()) {
        printText("the workspace " + q(e.workspaceDir()) + " is empty");
        return kOk;
    }
    for (const OriginInfo& o : origins) {
        printText(QString("%1  origin %2  %3 bytes  %4  %5%6%7")
                      .arg(q(o.id), q(o.path))
                      .arg(o.sizeBytes)
                      .arg(backendKindName(o.backend), deviceStateName(o.state), deviceNote(o.device), problemNote(o.problem)));
        for (const SnapshotInfo* s : snapshotsOf(o))
            printText(QString("  %1  snapshot %2  %3 chunk %4  %5  %6%7%8")
                          .arg(q(s->id), q(s->cowPath), q(s->store))
                          .arg(s->chunkBytes)
                          .arg(deviceStateName(s->state), q(s->status), deviceNote(s->device), problemNote(s->problem)));
    }
    for (const CloneInfo& c : clones)
        printText(QString("%1  clone %2  %3 -> %4  %5  %6  %7%8%9")
                      .arg(q(c.id), q(c.metaPath), q(c.source), q(c.dest), backendKindName(c.backend), deviceStateName(c.state), q(c.status),
                           deviceNote(c.device), problemNote(c.problem)));
    return kOk;
}

int runAdd(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.setApplicationDescription("Record existing stores in the workspace: a snapshot (--cow C --origin O) or a clone (--meta M).");
    p.addOptions({{"cow", "COW store of a snapshot.", "C"}, {"origin", "The snapshot's origin.", "O"}, {"meta", "Clone metadata file.", "M"}});
    if (!parseOrUsage(p, args)) return kUsage;
    bool snapshot = p.isSet("cow") || p.isSet("origin");
    if (snapshot == p.isSet("meta")) return usageError("add needs either --cow C --origin O or --meta M");
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    if (snapshot) {
        QString cow, origin;
        if (!requireValue(p, "cow", &cow) || !requireValue(p, "origin", &origin)) return kUsage;
        auto s = (*engine)->addSnapshot(origin.toStdString(), cow.toStdString());
        if (!s.ok()) return fail(ctx, s.error());
        if (ctx.json) {
            QJsonObject o = snapshotJson(*s);
            o["origin_id"] = q(s->originId);
            printJson(o);
        } else {
            printText(QString("added snapshot %1 (%2) of origin %3: %4").arg(q(s->id), cow, q(s->originId), q(s->status)));
        }
        return kOk;
    }
    QString meta;
    if (!requireValue(p, "meta", &meta)) return kUsage;
    auto c = (*engine)->addClone(meta.toStdString());
    if (!c.ok()) return fail(ctx, c.error());
    if (ctx.json) printJson(cloneJson(*c));
    else printText(QString("added clone %1 (%2): %3").arg(q(c->id), meta, q(c->status)));
    return kOk;
}

int runForget(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.setApplicationDescription("Remove an entry from the workspace (an origin with its snapshots). No file is touched.");
    p.addPositionalArgument("ID", "The entry's id, as `list` prints it.");
    if (!parseOrUsage(p, args)) return kUsage;
    if (p.positionalArguments().size() != 1) return usageError("forget needs exactly one ID");
    std::string id = p.positionalArguments().front().toStdString();
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    Status st = (*engine)->forget(id);
    if (!st.ok()) return fail(ctx, st.error());
    if (ctx.json) printJson(QJsonObject{{"forgotten", q(id)}});
    else printText("forgot " + q(id));
    return kOk;
}

namespace {
// activate ID / deactivate ID: the kernel backend's devices of a workspace entry, up or down.
int runActivation(Context& ctx, const QStringList& args, bool up) {
    QCommandLineParser p;
    p.setApplicationDescription(up ? "Bring a workspace entry's devices up again in the kernel (--backend kernel): an origin with "
                                     "every snapshot of it, or a clone. They stay up after the command ends."
                                   : "Take a workspace entry's kernel devices down (--backend kernel); final flush and commit.");
    p.addPositionalArgument("ID", "The entry's id, as `list` prints it.");
    if (!parseOrUsage(p, args)) return kUsage;
    if (p.positionalArguments().size() != 1) return usageError(QString(up ? "activate" : "deactivate") + " needs exactly one ID");
    std::string id = p.positionalArguments().front().toStdString();
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    Engine& e = **engine;
    Status st = up ? e.activate(id) : e.deactivate(id);
    if (!st.ok()) return fail(ctx, st.error());
    // What is up now: the entry's devices (origin with its snapshots, or the clone).
    QJsonArray devices;
    auto add = [&](const std::string& d) {
        if (!d.empty()) devices.append(q(d));
    };
    std::string originId = id;
    if (auto s = e.snapshot(id); s.ok()) originId = s->originId;
    if (auto o = e.origin(originId); o.ok()) {
        add(o->device);
        for (const std::string& sid : o->snapshotIds)
            if (auto s = e.snapshot(sid); s.ok()) add(s->device);
    } else if (auto c = e.clone(id); c.ok()) {
        add(c->device);
    }
    if (ctx.json) {
        printJson(QJsonObject{{up ? "activated" : "deactivated", q(id)}, {"devices", devices}});
    } else {
        printText(QString(up ? "activated %1" : "deactivated %1").arg(q(id)));
        for (const auto& d : devices) printText("  " + d.toString());
    }
    return kOk;
}
}  // namespace

int runActivate(Context& ctx, const QStringList& args) { return runActivation(ctx, args, true); }
int runDeactivate(Context& ctx, const QStringList& args) { return runActivation(ctx, args, false); }

}  // namespace loopsnap::cli
