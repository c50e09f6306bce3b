// attach / detach: a device as /dev/loopN through a FUSE file (docs/nbd-export.md, "Loop attach").
// The orchestration (FUSE file, loop device, runtime records) is the engine's (core/engine/attach.h);
// this file parses, prints and waits for SIGINT/SIGTERM.
#include <chrono>
#include <thread>

#include "cli.h"
#include "core/export/device_spec.h"
#include "core/util/size.h"

namespace loopsnap::cli {

int runAttach(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.setApplicationDescription(
        "Exposes a device as /dev/loopN: a FUSE file backed by the device, with a loop device bound to it. "
        "Prints the loop device and keeps running until `loopsnapctl detach /dev/loopN` or SIGINT/SIGTERM. "
        "Linux, root. SPEC: origin:ORIGIN[:COW...], snapshot:ORIGIN:COW, clone:META or file:PATH.");
    p.addOptions({{"export-spec", "The device to attach.", "SPEC"},
                  {"id", "The workspace entry to attach (instead of --export-spec), as `list` prints it.", "ID"},
                  {"mountpoint", "Empty directory for the FUSE file (default: a private one under the runtime dir).", "DIR"},
                  {"read-only", "Attach read-only (loop device and FUSE file)."}});
    if (!parseOrUsage(p, args)) return kUsage;
    if (p.isSet("export-spec") == p.isSet("id")) return usageError(p.isSet("id") ? "give --export-spec or --id, not both" : "missing --export-spec");
    if (!p.positionalArguments().isEmpty()) return usageError("attach takes no positional arguments");
    AttachRequest rq;
    rq.spec = p.value("export-spec").toStdString();
    rq.deviceId = p.value("id").toStdString();
    rq.readOnly = p.isSet("read-only");
    rq.mountpoint = p.value("mountpoint").toStdString();
    if (!rq.spec.empty())
        if (auto parsed = parseDeviceSpec(rq.spec); !parsed.ok()) return usageError(q(parsed.error().message));

    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    Engine& e = **engine;
    auto attached = e.attach(rq);
    if (!attached.ok()) return fail(ctx, attached.error());
    const AttachInfo& a = *attached;
    QString device = q(a.loopDevice), spec = q(a.spec);
    const auto& stop = installStopSignals();
    if (ctx.json) {
        QJsonObject o{{"device", device},         {"file", q(a.file)},     {"spec", spec},
                      {"size", qint64(a.sizeBytes)}, {"read_only", a.readOnly}, {"pid", qint64(a.pid)}};
        if (!a.deviceId.empty()) o["id"] = q(a.deviceId);
        printJson(o);
    } else {
        printText(device);
        printNote(QString("attached %1 (%2%3) as %4 via %5; undo with: loopsnapctl detach %4")
                      .arg(spec, q(formatSize(a.sizeBytes)), a.readOnly ? ", read-only" : "", device, q(a.file)));
    }

    while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));

    // Undo; while the device is still mounted, wait until it is released.
    bool warned = false;
    for (;;) {
        Status st = e.detach(a.loopDevice);
        if (st.ok()) break;
        if (st.error().detail != "mounted") return fail(ctx, st.error());
        if (!warned) printNote(q(st.error().message) + "; waiting until it is released");
        warned = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    if (ctx.json) printJson(QJsonObject{{"detached", device}});
    else printNote("detached " + device);
    return kOk;
}

int runDetach(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.setApplicationDescription("Undoes `loopsnapctl attach`: detaches /dev/loopN and ends its FUSE export. "
                                "Refuses a device that is still mounted.");
    p.addPositionalArgument("device", "The loop device attach printed, e.g. /dev/loop3.");
    p.addOptions({{"timeout", "Seconds to wait for the attach process (default 30).", "S"}});
    if (!parseOrUsage(p, args)) return kUsage;
    if (p.positionalArguments().size() != 1) return usageError("detach takes one loop device, e.g. /dev/loop3");
    uint64_t timeout = 30;
    if (!uintOption(p, "timeout", &timeout, false)) return kUsage;
    QString device = p.positionalArguments().first();
    if (!device.startsWith("/dev/loop")) return usageError(device + " is not a loop device (/dev/loopN)");
    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    Status st = (*engine)->detach(device.toStdString(), std::chrono::seconds(timeout));
    if (!st.ok()) return fail(ctx, st.error());
    if (ctx.json) printJson(QJsonObject{{"detached", device}});
    else printText("detached " + device);
    return kOk;
}

}  // namespace loopsnap::cli
