#include "ui/bridge/HelperBridge.h"

#include <sys/utsname.h>

#include <QDBusMessage>
#include <QDBusMetaType>
#include <QDBusPendingCallWatcher>
#include <QFile>
#include <QPointer>

#include "helper/helper_protocol.h"

namespace loopsnap::ui {

namespace {
constexpr int kCallTimeoutMs = 6 * 60 * 1000;  // longer than the helper's own polkit timeout

template <typename Info>
void prefixIds(Info& info) { info.id = HelperBridge::kIdPrefix + info.id; }
}  // namespace

KernelAvailability probeKernelAvailability() {
#if !defined(__linux__)
    return {false, HelperBridge::tr("The kernel backend needs Linux.")};
#else
    // Registered (built in or loaded): /proc/misc lists it. Else a dm-mod module the kernel loads
    // on the first open of /dev/mapper/control.
    bool deviceMapper = false;
    QFile misc(QStringLiteral("/proc/misc"));
    if (misc.open(QIODevice::ReadOnly)) deviceMapper = misc.readAll().contains(" device-mapper\n");
    if (!deviceMapper) {
        struct utsname u {};
        if (::uname(&u) == 0) {
            const QString dir = QStringLiteral("/lib/modules/%1/kernel/drivers/md/").arg(QString::fromLocal8Bit(u.release));
            for (const char* name : {"dm-mod.ko", "dm-mod.ko.xz", "dm-mod.ko.zst", "dm-mod.ko.gz"})
                deviceMapper = deviceMapper || QFile::exists(dir + QLatin1String(name));
        }
    }
    if (!deviceMapper)
        return {false, HelperBridge::tr("device-mapper is not available in this kernel (neither built in nor a dm-mod module).")};
    if (!QFile::exists(QStringLiteral("/usr/share/dbus-1/system-services/io.github.loopsnap.Helper.service")))
        return {false, HelperBridge::tr("loopsnap-helper is not installed (it comes with the Loopsnap package).")};
    return {true, {}};
#endif
}

HelperBridge::HelperBridge(QObject* parent) : QObject(parent), bus_(QDBusConnection::systemBus()) {
    qDBusRegisterMetaType<QList<QVariantMap>>();
}

void HelperBridge::send(const QString& method, const QVariantList& args, bool interactive, QObject* context,
                        std::function<void(const Result<QVariantList>&)> done) {
    QDBusMessage call = QDBusMessage::createMethodCall(QString::fromLatin1(helper::kServiceName), QString::fromLatin1(helper::kObjectPath),
                                                       QString::fromLatin1(helper::kInterface), method);
    call.setArguments(args);
    call.setInteractiveAuthorizationAllowed(interactive);
    QPointer<QObject> guard(context ? context : this);
    if (!bus_.isConnected()) {
        // Reported on the next turn of the event loop, like every other answer.
        QMetaObject::invokeMethod(this, [guard, done] {
            if (guard && done) done(makeError(ErrorCode::Unsupported, "no system bus", "", "helper-unavailable"));
        }, Qt::QueuedConnection);
        return;
    }
    auto* watcher = new QDBusPendingCallWatcher(bus_.asyncCall(call, kCallTimeoutMs), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [watcher, guard, done] {
        watcher->deleteLater();
        const QDBusMessage reply = watcher->reply();
        if (!guard || !done) return;
        if (reply.type() == QDBusMessage::ReplyMessage) done(reply.arguments());
        else done(helper::errorFromReply(reply));
    });
}

void HelperBridge::createSnapshot(CreateSnapshotRequest rq, QObject* context, std::function<void(const Result<SnapshotInfo>&)> done) {
    send(QStringLiteral("CreateSnapshot"),
         {QString::fromStdString(rq.originPath), QString::fromStdString(rq.cowPath), QVariant::fromValue(qulonglong(rq.cowSize)),
          QVariant::fromValue(uint(rq.chunkBytes)), QString::fromStdString(rq.store)},
         true, context, [this, done](const Result<QVariantList>& r) {
             Result<SnapshotInfo> info = r.ok() ? helper::snapshotFromMap(qdbus_cast<QVariantMap>(r->value(0))) : Result<SnapshotInfo>(r.error());
             if (info.ok()) prefixIds(info.value());
             if (done) done(info);
             refresh();
         });
}

void HelperBridge::createClone(CreateCloneRequest rq, std::optional<HydrationTuning> hydrate, QObject* context,
                               std::function<void(const Result<CloneInfo>&)> done) {
    const QString meta = QString::fromStdString(rq.meta);
    send(QStringLiteral("CreateClone"),
         {QString::fromStdString(rq.source), QString::fromStdString(rq.dest), meta, QVariant::fromValue(qulonglong(rq.regionBytes))},
         true, context, [this, done, hydrate, meta, context](const Result<QVariantList>& r) {
             Result<CloneInfo> info = r.ok() ? helper::cloneFromMap(qdbus_cast<QVariantMap>(r->value(0))) : Result<CloneInfo>(r.error());
             if (!info.ok() || !hydrate) {
                 if (info.ok()) prefixIds(info.value());
                 if (done) done(info);
                 refresh();
                 return;
             }
             // dm-clone's own messages: the tuning first, then hydration on.
             auto id = std::make_shared<CloneInfo>(info.value());
             prefixIds(*id);
             send(QStringLiteral("Message"), {meta, QStringLiteral("hydration_threshold"), uint(hydrate->threshold)}, true, context,
                  [this, done, hydrate, meta, context, id](const Result<QVariantList>& r1) {
                      if (!r1.ok()) { if (done) done(r1.error()); refresh(); return; }
                      send(QStringLiteral("Message"), {meta, QStringLiteral("hydration_batch_size"), uint(hydrate->batchSize)}, true, context,
                           [this, done, meta, context, id](const Result<QVariantList>& r2) {
                               if (!r2.ok()) { if (done) done(r2.error()); refresh(); return; }
                               send(QStringLiteral("Message"), {meta, QStringLiteral("enable_hydration"), 0u}, true, context,
                                    [this, done, id](const Result<QVariantList>& r3) {
                                        if (done) done(r3.ok() ? Result<CloneInfo>(*id) : Result<CloneInfo>(r3.error()));
                                        refresh();
                                    });
                           });
                  });
         });
}

const SnapshotInfo* HelperBridge::findSnapshot(const QString& id) const {
    for (const auto& s : snapshots_)
        if (QString::fromStdString(s.id) == id) return &s;
    return nullptr;
}

const CloneInfo* HelperBridge::findClone(const QString& id) const {
    for (const auto& c : clones_)
        if (QString::fromStdString(c.id) == id) return &c;
    return nullptr;
}

Result<std::string> HelperBridge::pathOf(const QString& id) const {
    if (const SnapshotInfo* s = findSnapshot(id)) return s->cowPath;
    if (const CloneInfo* c = findClone(id)) return c->metaPath;
    for (const auto& o : origins_)
        if (QString::fromStdString(o.id) == id) return o.path;
    return makeError(ErrorCode::NotFound, id.toStdString() + " is not one of loopsnap-helper's devices", id.toStdString(), "not-managed");
}

namespace {
// Reported on the next turn of the event loop, like every answer of the bus.
template <typename T>
void later(QObject* self, QObject* context, std::function<void(const Result<T>&)> done, Error error) {
    QPointer<QObject> guard(context ? context : self);
    QMetaObject::invokeMethod(self, [guard, done, error] {
        if (guard && done) done(error);
    }, Qt::QueuedConnection);
}
}  // namespace

void HelperBridge::merge(const QString& snapshotId, QObject* context, std::function<void(const Result<uint64_t>&)> done) {
    auto cow = pathOf(snapshotId);
    if (!cow.ok()) return later<uint64_t>(this, context, std::move(done), cow.error());
    send(QStringLiteral("Merge"), {QString::fromStdString(*cow)}, true, context, [this, done](const Result<QVariantList>& r) {
        if (done) done(r.ok() ? Result<uint64_t>(uint64_t(r->value(0).toULongLong())) : Result<uint64_t>(r.error()));
        refresh();
    });
}

void HelperBridge::callOnPath(const QString& method, const QString& id, QObject* context, std::function<void(const Result<bool>&)> done) {
    auto path = pathOf(id);
    if (!path.ok()) return later<bool>(this, context, std::move(done), path.error());
    send(method, {QString::fromStdString(*path)}, true, context, [this, done](const Result<QVariantList>& r) {
        if (done) done(r.ok() ? Result<bool>(true) : Result<bool>(r.error()));
        refresh();
    });
}

void HelperBridge::remove(const QString& id, QObject* context, std::function<void(const Result<bool>&)> done) {
    callOnPath(QStringLiteral("Remove"), id, context, std::move(done));
}

void HelperBridge::deleteFiles(const QString& id, QObject* context, std::function<void(const Result<bool>&)> done) {
    callOnPath(QStringLiteral("Delete"), id, context, std::move(done));
}

void HelperBridge::message(const QString& cloneId, const QString& name, uint32_t value, QObject* context,
                           std::function<void(const Result<CloneInfo>&)> done) {
    const CloneInfo* clone = findClone(cloneId);
    if (!clone)
        return later<CloneInfo>(this, context, std::move(done),
                                makeError(ErrorCode::NotFound, cloneId.toStdString() + " is not a clone of loopsnap-helper",
                                          cloneId.toStdString(), "not-managed"));
    send(QStringLiteral("Message"), {QString::fromStdString(clone->metaPath), name, uint(value)}, true, context,
         [this, done](const Result<QVariantList>& r) {
             Result<CloneInfo> info = r.ok() ? helper::cloneFromMap(qdbus_cast<QVariantMap>(r->value(0))) : Result<CloneInfo>(r.error());
             if (info.ok()) prefixIds(info.value());
             if (done) done(info);
             refresh();
         });
}

void HelperBridge::snapshotStatus(const QString& snapshotId, QObject* context, std::function<void(const Result<SnapshotInfo>&)> done) {
    const SnapshotInfo* known = findSnapshot(snapshotId);
    if (!known)
        return later<SnapshotInfo>(this, context, std::move(done),
                                   makeError(ErrorCode::NotFound, snapshotId.toStdString() + " is not a snapshot of loopsnap-helper",
                                             snapshotId.toStdString(), "not-managed"));
    const std::string originId = known->originId;
    send(QStringLiteral("Status"), {QString::fromStdString(known->cowPath)}, true, context, [done, originId](const Result<QVariantList>& r) {
        Result<SnapshotInfo> info = r.ok() ? helper::snapshotFromMap(qdbus_cast<QVariantMap>(r->value(0))) : Result<SnapshotInfo>(r.error());
        if (info.ok()) {
            prefixIds(info.value());
            info->originId = originId;
        }
        if (done) done(info);
    });
}

void HelperBridge::cloneStatus(const QString& cloneId, QObject* context, std::function<void(const Result<CloneInfo>&)> done) {
    const CloneInfo* known = findClone(cloneId);
    if (!known)
        return later<CloneInfo>(this, context, std::move(done),
                                makeError(ErrorCode::NotFound, cloneId.toStdString() + " is not a clone of loopsnap-helper",
                                          cloneId.toStdString(), "not-managed"));
    send(QStringLiteral("Status"), {QString::fromStdString(known->metaPath)}, true, context, [done](const Result<QVariantList>& r) {
        Result<CloneInfo> info = r.ok() ? helper::cloneFromMap(qdbus_cast<QVariantMap>(r->value(0))) : Result<CloneInfo>(r.error());
        if (info.ok()) prefixIds(info.value());
        if (done) done(info);
    });
}

void HelperBridge::refresh() {
    send(QStringLiteral("List"), {}, false, this, [this](const Result<QVariantList>& r) {
        if (!r.ok()) return;  // not authorised (yet) or no helper: no kernel devices to show
        origins_.clear();
        snapshots_.clear();
        clones_.clear();
        for (const QVariantMap& m : qdbus_cast<QList<QVariantMap>>(r->value(0))) {
            const QString kind = helper::kindOf(m);
            if (kind == QLatin1String("origin")) {
                if (auto o = helper::originFromMap(m); o.ok()) {
                    prefixIds(o.value());
                    for (auto& s : o->snapshotIds) s = kIdPrefix + s;
                    origins_.push_back(std::move(o.value()));
                }
            } else if (kind == QLatin1String("snapshot")) {
                if (auto s = helper::snapshotFromMap(m); s.ok()) {
                    prefixIds(s.value());
                    s->originId = kIdPrefix + s->originId;
                    snapshots_.push_back(std::move(s.value()));
                }
            } else if (kind == QLatin1String("clone")) {
                if (auto c = helper::cloneFromMap(m); c.ok()) {
                    prefixIds(c.value());
                    clones_.push_back(std::move(c.value()));
                }
            }
        }
        emit devicesChanged();
    });
}

}  // namespace loopsnap::ui
