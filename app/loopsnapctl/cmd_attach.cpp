// attach / detach: a device as /dev/loopN through a FUSE file (docs/nbd-export.md, "Loop attach").
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <fcntl.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli.h"
#include "core/export/device_spec.h"
#include "core/util/size.h"
#if LOOPSNAP_HAVE_LOOP && LOOPSNAP_HAVE_FUSE
#include "core/linux/fuse_export.h"
#include "core/linux/loop_device.h"
#endif

namespace loopsnap::cli {

namespace {

// Where attach records "loopN" -> its pid, so that detach can find the process to stop.
// $LOOPSNAP_RUNTIME_DIR, else /run/loopsnap, else /tmp/loopsnap-<uid>.
QString runtimeDir() {
    QString env = qEnvironmentVariable("LOOPSNAP_RUNTIME_DIR");
    QStringList candidates;
    if (!env.isEmpty()) candidates << env;
    candidates << "/run/loopsnap" << QString("/tmp/loopsnap-%1").arg(::getuid());
    for (const QString& c : candidates) {
        ::mkdir(c.toLocal8Bit().constData(), 0700);
        if (::access(c.toLocal8Bit().constData(), W_OK) == 0) return c;
    }
    return QDir::tempPath();
}

QString stateFile(const QString& device) { return runtimeDir() + "/" + QFileInfo(device).fileName() + ".attach"; }

bool processAlive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

}  // namespace

#if LOOPSNAP_HAVE_LOOP && LOOPSNAP_HAVE_FUSE

int runAttach(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.setApplicationDescription(
        "Exposes a device as /dev/loopN: a FUSE file backed by the device, with a loop device bound to it. "
        "Prints the loop device and keeps running until `loopsnapctl detach /dev/loopN` or SIGINT/SIGTERM. "
        "Linux, root. SPEC: origin:ORIGIN[:COW...], snapshot:ORIGIN:COW, clone:META or file:PATH.");
    p.addOptions({{"export-spec", "The device to attach.", "SPEC"},
                  {"mountpoint", "Empty directory for the FUSE file (default: a private one under the runtime dir).", "DIR"},
                  {"read-only", "Attach read-only (loop device and FUSE file)."}});
    if (!parseOrUsage(p, args)) return kUsage;
    QString spec;
    if (!requireValue(p, "export-spec", &spec)) return kUsage;
    if (!p.positionalArguments().isEmpty()) return usageError("attach takes no positional arguments");
    if (auto st = checkLoopSupport(); !st.ok()) return fail(ctx, st.error());
    if (auto st = FuseExport::checkSupport(); !st.ok()) return fail(ctx, st.error());
    if (auto parsed = parseDeviceSpec(spec.toStdString()); !parsed.ok()) return usageError(q(parsed.error().message));

    const bool readOnly = p.isSet("read-only");
    DeviceSpecOptions options;
    options.readOnly = readOnly;
    auto served = openDeviceSpec(spec.toStdString(), options);
    if (!served.ok()) return fail(ctx, served.error());

    bool ownMountpoint = !p.isSet("mountpoint");
    QString mountpoint = ownMountpoint ? runtimeDir() + QString("/fuse.%1").arg(::getpid()) : p.value("mountpoint");
    if (ownMountpoint && !QDir().mkpath(mountpoint))
        return fail(ctx, makeError(ErrorCode::IOError, "cannot create " + mountpoint.toStdString()));
    auto cleanupDir = [&] {
        if (ownMountpoint) QDir().rmdir(mountpoint);
    };

    FuseExportOptions fo;
    fo.readOnly = readOnly;
    auto fx = FuseExport::start(served->device, mountpoint.toStdString(), fo);
    if (!fx.ok()) {
        cleanupDir();
        return fail(ctx, fx.error());
    }
    auto dev = attachLoopDevice((*fx)->filePath(), LoopAttachOptions{readOnly, 0});
    if (!dev.ok()) {
        (void)(*fx)->stop();
        cleanupDir();
        return fail(ctx, dev.error());
    }
    QString device = q(dev.value());
    QString state = stateFile(device);
    {
        QFile f(state);
        if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            f.write(QString("pid=%1\nmountpoint=%2\nspec=%3\n").arg(::getpid()).arg(mountpoint, spec).toUtf8());
    }
    const auto& stop = installStopSignals();
    if (ctx.json)
        printJson(QJsonObject{{"device", device},
                              {"file", q((*fx)->filePath())},
                              {"spec", spec},
                              {"size", qint64(served->device->size())},
                              {"read_only", readOnly},
                              {"pid", qint64(::getpid())}});
    else
        printText(device);
    if (!ctx.json)
        printNote(QString("attached %1 (%2%3) as %4 via %5; undo with: loopsnapctl detach %4")
                      .arg(spec, q(formatSize(served->device->size())), readOnly ? ", read-only" : "", device,
                           q((*fx)->filePath())));

    while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));

    // Undo: the loop device first (it holds the FUSE file open), then FUSE, which flushes.
    bool warned = false;
    for (;;) {
        auto st = detachLoopDevice(device.toStdString());
        if (st.ok() || st.error().code == ErrorCode::NotFound) break;
        if (st.error().code != ErrorCode::Busy) {
            QFile::remove(state);
            return fail(ctx, st.error());
        }
        if (!warned) printNote(q(st.error().message) + "; waiting until it is released");
        warned = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    auto flushed = (*fx)->stop();
    QFile::remove(state);
    cleanupDir();
    if (!flushed.ok()) return fail(ctx, flushed.error());
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
    if (auto st = checkLoopSupport(); !st.ok()) return fail(ctx, st.error());

    pid_t pid = 0;
    QFile f(stateFile(device));
    if (f.open(QIODevice::ReadOnly))
        for (const QString& line : QString::fromUtf8(f.readAll()).split('\n'))
            if (line.startsWith("pid=")) pid = pid_t(line.mid(4).toLongLong());

    if (!processAlive(pid)) {
        // Not ours (or its process died): a plain loop detach.
        f.remove();
        auto st = detachLoopDevice(device.toStdString());
        if (!st.ok()) return fail(ctx, st.error());
        if (ctx.json) printJson(QJsonObject{{"detached", device}});
        else printText("detached " + device);
        return kOk;
    }
    // Refuse before disturbing the attach process when the device is mounted.
    if (int fd = ::open(device.toLocal8Bit().constData(), O_RDONLY | O_EXCL | O_CLOEXEC); fd >= 0) {
        ::close(fd);
    } else if (errno == EBUSY) {
        return fail(ctx, makeError(ErrorCode::Busy, device.toStdString() + " is in use (mounted?): unmount it first"));
    }
    ::kill(pid, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
    while (processAlive(pid) && QFile::exists(stateFile(device))) {
        if (std::chrono::steady_clock::now() > deadline)
            return fail(ctx, makeError(ErrorCode::Busy, "attach process " + std::to_string(pid) + " did not finish"));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (auto b = loopBackingFile(device.toStdString()); b.ok())
        return fail(ctx, makeError(ErrorCode::Busy, device.toStdString() + " is still bound to " + b.value()));
    if (ctx.json) printJson(QJsonObject{{"detached", device}});
    else printText("detached " + device);
    return kOk;
}

#else

int runAttach(Context& ctx, const QStringList&) {
    return fail(ctx, makeError(ErrorCode::Unsupported, "attach needs Linux with loop devices and libfuse3"));
}
int runDetach(Context& ctx, const QStringList&) {
    return fail(ctx, makeError(ErrorCode::Unsupported, "detach needs Linux with loop devices"));
}

#endif

}  // namespace loopsnap::cli
