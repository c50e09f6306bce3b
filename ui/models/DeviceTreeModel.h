// DeviceTreeModel: origins with their snapshots as children, then clones, as the workspace
// lists them. Fed by setRegistry() from the bridge's RegistrySnapshot (no I/O, no engine calls);
// libblkid findings come from a ProbeCache (asynchronous: the cell fills in when the probe ends).
//
// Updates: when the set of ids is unchanged a refresh is one dataChanged per changed row (the
// status lines of a snapshot under a workload change every frame); when entries were added or
// removed the model resets (the view restores the selection by DeviceRefRole).
// GUI thread only.
#pragma once

#include <vector>

#include <QAbstractItemModel>

#include "core/backend/types.h"
#include "ui/models/DeviceRef.h"

namespace loopsnap::ui {

class ProbeCache;
struct RegistrySnapshot;

class DeviceTreeModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { NameColumn, PathColumn, SizeColumn, ContentsColumn, UsageColumn, StateColumn, BackendColumn, ColumnCount };
    enum Role {
        DeviceRefRole = Qt::UserRole + 1,  // QVariant<DeviceRef>
        UsageFractionRole,                 // double 0..1 (COW allocated, or clone hydrated), invalid if none
        StatusLineRole,                    // the kernel's status line
        StateRole,                         // int(DeviceState)
    };

    explicit DeviceTreeModel(ProbeCache* probes, QObject* parent = nullptr);

    void setRegistry(const RegistrySnapshot& registry);
    QModelIndex indexFor(const DeviceRef& ref, int column = 0) const;

    const OriginInfo* origin(const QString& id) const;
    const SnapshotInfo* snapshot(const QString& id) const;
    const CloneInfo* clone(const QString& id) const;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Top { DeviceKind kind; int index; std::vector<int> snapshots; };  // index into origins_/clones_
    DeviceRef refAt(const QModelIndex& index) const;
    QVariant originData(const OriginInfo& o, int column, int role) const;
    QVariant snapshotData(const SnapshotInfo& s, int column, int role) const;
    QVariant cloneData(const CloneInfo& c, int column, int role) const;
    QVariant contents(const QString& path, int role) const;
    void onProbed(const QString& path);
    std::vector<DeviceRef> layoutOf(const RegistrySnapshot& r) const;

    ProbeCache* probes_;
    std::vector<OriginInfo> origins_;
    std::vector<SnapshotInfo> snapshots_;
    std::vector<CloneInfo> clones_;
    std::vector<Top> tops_;
    std::vector<DeviceRef> layout_;  // every ref in display order (to detect structural changes)
};

}  // namespace loopsnap::ui
