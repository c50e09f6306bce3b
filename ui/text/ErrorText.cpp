#include "ui/text/ErrorText.h"

#include <QCoreApplication>
#include <QHash>

namespace loopsnap::ui {

namespace {
QString tr(const char* text) { return QCoreApplication::translate("loopsnap::ui", text); }  // lupdate files these under the namespace

QString subjectOf(const Error& e) {
    return e.subject.empty() ? tr("The device") : QString::fromStdString(e.subject);
}

// Sentences by stable detail value; %1 is the subject. Unknown details fall back to the code.
QString byDetail(const std::string& detail, const QString& subject) {
    using Fn = QString (*)(const QString&);
    static const QHash<QString, Fn> table = {
        {"missing", [](const QString& s) { return tr("%1 does not exist. Check the path, or forget the entry if the file was moved or deleted.").arg(s); }},
        {"unreadable", [](const QString& s) { return tr("%1 cannot be read. Check its permissions (block devices usually need root) and that the disk is present.").arg(s); }},
        {"exists", [](const QString& s) { return tr("%1 already exists. Choose a new file name; Loopsnap never overwrites an existing store.").arg(s); }},
        {"bad-magic", [](const QString& s) { return tr("%1 is not a snapshot store (its header is not one the kernel writes). Choose the store you created for this origin; nothing was changed.").arg(s); }},
        {"bad-version", [](const QString& s) { return tr("%1 was written in a store format version Loopsnap does not read. Nothing was changed.").arg(s); }},
        {"bad-chunk-size", [](const QString& s) { return tr("The chunk size of %1 must be a power of two from 4 KiB to 512 KiB.").arg(s); }},
        {"truncated", [](const QString& s) { return tr("%1 is shorter than its own records say: it was cut off or copied in part. Restore it from a full copy; nothing was changed.").arg(s); }},
        {"too-small", [](const QString& s) { return tr("%1 is too small: a store needs at least three chunks (header, one metadata area, one data chunk). Choose a larger size.").arg(s); }},
        {"no-space", [](const QString& s) { return tr("There is not enough free space for %1. Free some space or choose another folder.").arg(s); }},
        {"in-use", [](const QString& s) { return tr("%1 is in use read-write by another program. Close that program (or stop its loopsnapctl command) and try again.").arg(s); }},
        {"origin-attached", [](const QString& s) { return tr("%1 is attached as a loop device. Detach it before rolling back; nothing was changed.").arg(s); }},
        {"origin-mounted", [](const QString& s) { return tr("%1 is mounted read-write. Unmount it before rolling back; nothing was changed.").arg(s); }},
        {"origin-in-use", [](const QString& s) { return tr("%1 is in use by another program. Stop it before rolling back; nothing was changed.").arg(s); }},
        {"merge-unfinished", [](const QString& s) { return tr("A rollback of %1 was interrupted. Finish it with Rollback before using the snapshot.").arg(s); }},
        {"origin-shorter", [](const QString& s) { return tr("The origin of %1 is shorter than the snapshot: it was resized. Restore its size first.").arg(s); }},
        {"origin-resized", [](const QString& s) { return tr("The origin of %1 is shorter than the snapshot: it was resized. Restore its size first.").arg(s); }},
        {"invalid", [](const QString& s) { return tr("%1 is invalid (it filled up or a write to it failed) and stays so. Delete it and take a new snapshot.").arg(s); }},
        {"invalidated", [](const QString& s) { return tr("%1 is invalid (it filled up or a write to it failed) and stays so. Delete it and take a new snapshot.").arg(s); }},
        {"overflow", [](const QString& s) { return tr("%1 is full. Writes to the snapshot fail until you delete it; take a new snapshot with a larger store.").arg(s); }},
        {"io", [](const QString& s) { return tr("The disk reported an error on %1. Check the disk and its connection.").arg(s); }},
        {"not-root", [](const QString& s) { return tr("Attaching a loop device needs root (%1 cannot be opened). Start Loopsnap as root, or serve the device over NBD instead.").arg(s); }},
        {"no-loop", [](const QString& s) { return tr("This system has no loop devices (%1). Load the loop module, or serve over NBD instead.").arg(s); }},
        {"no-fuse", [](const QString& s) { return tr("This system has no FUSE (%1), which attaching as a loop device needs. Load the fuse module, or serve over NBD instead.").arg(s); }},
        {"mounted", [](const QString& s) { return tr("%1 is mounted. Unmount it first; it stays attached.").arg(s); }},
        {"snapshot-missing", [](const QString& s) { return tr("A snapshot store recorded for %1 is gone, so %1 is not opened for writing. Forget that snapshot (Device ▸ Forget) if it is gone for good, or put the file back.").arg(s); }},
        {"snapshot-store-missing", [](const QString& s) { return tr("The snapshot store %1 is gone, so its origin is not opened for writing. Forget the snapshot (Device ▸ Forget) if it is gone for good, or put the file back.").arg(s); }},
        {"attached", [](const QString& s) { return tr("%1 is attached as a loop device. Detach it first; nothing was changed.").arg(s); }},
        {"source-unreachable", [](const QString& s) { return tr("The clone source %1 cannot be reached. Check the NBD server and the URI.").arg(s); }},
        {"dest-too-small", [](const QString& s) { return tr("%1 is smaller than the source. Choose a device at least as large as the source.").arg(s); }},
        {"engine-closed", [](const QString&) { return tr("The engine is not open yet. Wait a moment and try again."); }},
        // loopsnap-helper, the privileged service of the kernel backend (helper/helper_protocol.h)
        {"helper-unavailable", [](const QString&) { return tr("loopsnap-helper cannot be reached on the system bus. Install the Loopsnap package (it brings the helper), or choose the Userspace backend."); }},
        {"helper-error", [](const QString&) { return tr("loopsnap-helper failed to answer. Try again; the system log has its messages."); }},
        {"not-authorized", [](const QString&) { return tr("Not authorised: the kernel backend needs an administrator's permission, and it was refused. Nothing was changed."); }},
        {"auth-required", [](const QString&) { return tr("Not authorised: the kernel backend needs an administrator's password, and no authentication agent asked for it. Nothing was changed."); }},
        {"holds-data", [](const QString& s) { return tr("%1 holds a filesystem or other data. Loopsnap does not format over it; choose an empty file or device.").arg(s); }},
        {"relative-path", [](const QString& s) { return tr("%1 is not an absolute path.").arg(s); }},
        {"path-traversal", [](const QString& s) { return tr("%1 contains “..”. Give the path without it.").arg(s); }},
        {"bad-path", [](const QString& s) { return tr("%1 is not a usable path (empty, too long, or with “.”, “//” or control characters).").arg(s); }},
        {"not-a-file-or-device", [](const QString& s) { return tr("%1 is neither a regular file nor a block device.").arg(s); }},
        {"same-path", [](const QString& s) { return tr("%1 is named twice: origin, store, source, destination and metadata must be different files.").arg(s); }},
        {"not-managed", [](const QString& s) { return tr("%1 is not one of your kernel devices.").arg(s); }},
        {"no-device-mapper", [](const QString&) { return tr("device-mapper is not available on this system, and the kernel backend needs it. Choose the Userspace backend."); }},
        {"backend-unavailable", [](const QString&) { return tr("This build of Loopsnap has no kernel backend (libdevmapper was missing when it was built). Choose the Userspace backend."); }},
    };
    auto it = table.find(QString::fromStdString(detail));
    return it == table.end() ? QString() : (*it)(subject);
}

QString byCode(ErrorCode code, const QString& s) {
    switch (code) {
    case ErrorCode::Corruption: return tr("%1 is damaged or is not what Loopsnap expected. Nothing was changed; check that you chose the right file.").arg(s);
    case ErrorCode::IOError: return tr("Reading or writing %1 failed. Check the disk and its permissions.").arg(s);
    case ErrorCode::NoSpace: return tr("%1 is full. Free space or choose a larger store.").arg(s);
    case ErrorCode::Busy: return tr("%1 is in use by another program. Close it and try again.").arg(s);
    case ErrorCode::InvalidArgument: return tr("Loopsnap cannot do this with %1. Check the sizes and options you chose.").arg(s);
    case ErrorCode::NotFound: return tr("%1 was not found. Check the path.").arg(s);
    case ErrorCode::Unsupported: return tr("%1: this is not supported on this system.").arg(s);
    case ErrorCode::Aborted: return tr("Work on %1 was stopped. Start it again to continue where it stopped.").arg(s);
    case ErrorCode::Invalidated: return tr("%1 is invalid and stays so. Delete it and take a new snapshot.").arg(s);
    }
    return s;
}
}  // namespace

QString errorText(const Error& error) {
    const QString subject = subjectOf(error);
    QString text = byDetail(error.detail, subject);
    if (text.isEmpty()) text = byCode(error.code, subject);
    return text;
}

QString actionText(const QString& action) {
    static const QHash<QString, const char*> table = {
        {"open-workspace", QT_TRANSLATE_NOOP("loopsnap::ui", "Opening the workspace failed")},
        {"refresh", QT_TRANSLATE_NOOP("loopsnap::ui", "Reading the workspace failed")},
        {"create-snapshot", QT_TRANSLATE_NOOP("loopsnap::ui", "Creating the snapshot failed")},
        {"create-clone", QT_TRANSLATE_NOOP("loopsnap::ui", "Creating the clone failed")},
        {"add-snapshot", QT_TRANSLATE_NOOP("loopsnap::ui", "Adding the store failed")},
        {"add-clone", QT_TRANSLATE_NOOP("loopsnap::ui", "Adding the clone failed")},
        {"forget", QT_TRANSLATE_NOOP("loopsnap::ui", "Forgetting the entry failed")},
        {"delete", QT_TRANSLATE_NOOP("loopsnap::ui", "Deleting the files failed")},
        {"attach", QT_TRANSLATE_NOOP("loopsnap::ui", "Attaching as a loop device failed")},
        {"detach", QT_TRANSLATE_NOOP("loopsnap::ui", "Detaching the loop device failed")},
        {"serve", QT_TRANSLATE_NOOP("loopsnap::ui", "Serving over NBD failed")},
        {"hydrate", QT_TRANSLATE_NOOP("loopsnap::ui", "Starting the hydration failed")},
        {"demo", QT_TRANSLATE_NOOP("loopsnap::ui", "Setting up the demo failed")},
        {"merge", QT_TRANSLATE_NOOP("loopsnap::ui", "Starting the rollback failed")},
        {"pause-merge", QT_TRANSLATE_NOOP("loopsnap::ui", "Pausing the rollback failed")},
        {"resume-merge", QT_TRANSLATE_NOOP("loopsnap::ui", "Resuming the rollback failed")},
        {"stop-merge", QT_TRANSLATE_NOOP("loopsnap::ui", "Stopping the rollback failed")},
        {"crashtest", QT_TRANSLATE_NOOP("loopsnap::ui", "The crash test failed")},
    };
    auto it = table.find(action);
    return it == table.end() ? tr("The operation failed") : tr(*it);
}

QString stateText(DeviceState state) {
    switch (state) {
    case DeviceState::Valid: return tr("valid");
    case DeviceState::Invalid: return tr("invalid");
    case DeviceState::Overflow: return tr("overflow");
    case DeviceState::Merging: return tr("merging");
    case DeviceState::MergeFailed: return tr("merge failed");
    case DeviceState::Hydrating: return tr("hydrating");
    case DeviceState::Hydrated: return tr("hydrated");
    case DeviceState::Failed: return tr("failed");
    case DeviceState::Missing: return tr("missing");
    }
    return {};
}

QString stateToolTip(DeviceState state) {
    switch (state) {
    case DeviceState::Valid: return tr("In use as usual.");
    case DeviceState::Invalid: return tr("The store filled up or a write failed: the snapshot is dropped for good.");
    case DeviceState::Overflow: return tr("The store is full: writes to the snapshot fail, its contents can still be read.");
    case DeviceState::Merging: return tr("A rollback is merging the snapshot into its origin.");
    case DeviceState::MergeFailed: return tr("The rollback stopped on an error; the origin still shows the snapshot.");
    case DeviceState::Hydrating: return tr("Regions not copied yet are read from the source.");
    case DeviceState::Hydrated: return tr("Every region is on the destination: the source is no longer needed.");
    case DeviceState::Failed: return tr("The clone stopped on an error.");
    case DeviceState::Missing: return tr("A file of this entry is gone.");
    }
    return {};
}

QString snapshotStateText(const SnapshotInfo& s) {
    if (s.state == DeviceState::Merging && !s.mergeRunning) return tr("merging, interrupted");
    return stateText(s.state);
}

QString snapshotStateToolTip(const SnapshotInfo& s) {
    if (s.state == DeviceState::Merging && !s.mergeRunning)
        return tr("A rollback of this snapshot was stopped or cut off. The origin is partly rolled back and shows the snapshot; "
                  "Resume rollback finishes it.");
    return stateToolTip(s.state);
}

QString backendText(BackendKind kind) {
    switch (kind) {
    case BackendKind::Userspace: return tr("userspace");
    case BackendKind::Kernel: return tr("kernel (dm)");
    case BackendKind::Memory: return tr("memory");
    }
    return {};
}

QString storeTypeText(const QString& store) {
    if (store == "P") return tr("persistent (P)");
    if (store == "PO") return tr("persistent, overflow (PO)");
    if (store == "N") return tr("transient (N)");
    return store;
}

QString jobStateText(JobState state) {
    switch (state) {
    case JobState::Pending: return tr("pending");
    case JobState::Running: return tr("running");
    case JobState::Paused: return tr("paused");
    case JobState::Stopping: return tr("stopping");
    case JobState::Finished: return tr("finished");
    case JobState::Failed: return tr("failed");
    case JobState::Cancelled: return tr("cancelled");
    }
    return {};
}

}  // namespace loopsnap::ui
