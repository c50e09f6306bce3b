// HelperBridge: the desktop app's client of loopsnap-helper (helper/helper_protocol.h), through
// which it runs kernel-backend operations: the app never runs as root, the helper does, and
// asks polkit on every call (the desktop's polkit agent may ask for an administrator password).
//
// Calls are asynchronous D-Bus calls (QDBusPendingCallWatcher): the GUI thread never waits.
// Operations the user started allow interactive authorisation; the background listing of the
// helper's devices (after open and after each change) does not, so starting the app never pops
// up a password dialog: without an authorisation kept by polkit it simply shows no kernel devices.
//
// Devices it lists carry ids prefixed with "kernel:" (the helper's workspace has ids of its own
// that would collide with the app's); EngineBridge merges them into its RegistrySnapshot.
//
// Threads: GUI thread only; callbacks run on the GUI thread and are dropped when their context
// object is gone.
#pragma once

#include <functional>
#include <vector>

#include <QDBusConnection>
#include <QObject>

#include "core/backend/types.h"
#include "core/util/result.h"

namespace loopsnap::ui {

// Whether the kernel backend can be offered here, and if not, why (translated).
struct KernelAvailability {
    bool available = false;
    QString reason;
};
KernelAvailability probeKernelAvailability();

class HelperBridge : public QObject {
    Q_OBJECT
public:
    static constexpr const char* kIdPrefix = "kernel:";
    explicit HelperBridge(QObject* parent = nullptr);  // the system bus
    void setConnection(QDBusConnection connection) { bus_ = std::move(connection); }

    void createSnapshot(CreateSnapshotRequest request, QObject* context, std::function<void(const Result<SnapshotInfo>&)> done);
    void createClone(CreateCloneRequest request, std::optional<HydrationTuning> hydrate, QObject* context,
                     std::function<void(const Result<CloneInfo>&)> done);
    // Typed requests on one of the helper's devices (`id` with the "kernel:" prefix, looked up in
    // the lists below; an id not there fails with NotFound). Interactive authorisation; each
    // re-reads the devices afterwards. Merge(cow): the job id in the helper; Remove(path): the
    // device goes down and leaves the helper's list, no file is touched; Message(meta, name,
    // value): dm-clone's messages (helper_protocol.h); Status(path): the device now.
    // (The remaining methods are helper_protocol.h's too.)
    void merge(const QString& snapshotId, QObject* context, std::function<void(const Result<uint64_t>&)> done);
    void remove(const QString& id, QObject* context, std::function<void(const Result<bool>&)> done);
    // Delete(path): the device goes down, leaves its origin and the list; its files are deleted.
    void deleteFiles(const QString& id, QObject* context, std::function<void(const Result<bool>&)> done);
    void message(const QString& cloneId, const QString& name, uint32_t value, QObject* context,
                 std::function<void(const Result<CloneInfo>&)> done);
    void snapshotStatus(const QString& snapshotId, QObject* context, std::function<void(const Result<SnapshotInfo>&)> done);
    void cloneStatus(const QString& cloneId, QObject* context, std::function<void(const Result<CloneInfo>&)> done);

    static bool isHelperId(const QString& id) { return id.startsWith(QLatin1String(kIdPrefix)); }
    static bool isHelperId(const std::string& id) { return id.rfind(kIdPrefix, 0) == 0; }
    // The path the helper knows `id` by (origin path, COW store, clone metadata), or NotFound.
    Result<std::string> pathOf(const QString& id) const;
    const SnapshotInfo* findSnapshot(const QString& id) const;
    const CloneInfo* findClone(const QString& id) const;

    // Re-reads the helper's devices (non-interactive); devicesChanged() when they arrive.
    void refresh();

    const std::vector<OriginInfo>& origins() const { return origins_; }
    const std::vector<SnapshotInfo>& snapshots() const { return snapshots_; }
    const std::vector<CloneInfo>& clones() const { return clones_; }

signals:
    void devicesChanged();

private:
    void send(const QString& method, const QVariantList& args, bool interactive, QObject* context,
              std::function<void(const Result<QVariantList>&)> done);
    // METHOD(s path) on the device `id` names (Remove, Delete): interactive, then a refresh.
    void callOnPath(const QString& method, const QString& id, QObject* context, std::function<void(const Result<bool>&)> done);

    QDBusConnection bus_;
    std::vector<OriginInfo> origins_;
    std::vector<SnapshotInfo> snapshots_;
    std::vector<CloneInfo> clones_;
};

}  // namespace loopsnap::ui
