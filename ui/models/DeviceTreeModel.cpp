#include "ui/models/DeviceTreeModel.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QLocale>

#include "ui/bridge/EngineBridge.h"
#include "ui/bridge/ProbeCache.h"
#include "ui/text/ErrorText.h"
#include "ui/text/Sizes.h"
#include "ui/widgets/StateIcons.h"

namespace loopsnap::ui {

namespace {
QString tr(const char* t) { return QCoreApplication::translate("loopsnap::ui", t); }  // lupdate files these under the namespace
QString q(const std::string& s) { return QString::fromStdString(s); }
QString sizeText(uint64_t bytes) { return formatBytes(double(bytes)); }
QString baseName(const std::string& path) {
    const QString p = q(path);
    const QString name = QFileInfo(p).fileName();
    return name.isEmpty() ? p : name;
}
}  // namespace

DeviceTreeModel::DeviceTreeModel(ProbeCache* probes, QObject* parent) : QAbstractItemModel(parent), probes_(probes) {
    if (probes_) connect(probes_, &ProbeCache::probed, this, &DeviceTreeModel::onProbed);
}

std::vector<DeviceRef> DeviceTreeModel::layoutOf(const RegistrySnapshot& r) const {
    std::vector<DeviceRef> out;
    std::vector<bool> placed(r.snapshots.size(), false);
    for (const auto& o : r.origins) {
        out.push_back({DeviceKind::Origin, q(o.id)});
        for (const auto& sid : o.snapshotIds)
            for (size_t i = 0; i < r.snapshots.size(); ++i)
                if (r.snapshots[i].id == sid && !placed[i]) {
                    placed[i] = true;
                    out.push_back({DeviceKind::Snapshot, q(sid)});
                }
        out.push_back({});  // end of this origin's children
    }
    for (size_t i = 0; i < r.snapshots.size(); ++i)
        if (!placed[i]) out.push_back({DeviceKind::Snapshot, q(r.snapshots[i].id)});
    for (const auto& c : r.clones) out.push_back({DeviceKind::Clone, q(c.id)});
    return out;
}

void DeviceTreeModel::setRegistry(const RegistrySnapshot& r) {
    std::vector<DeviceRef> layout = layoutOf(r);
    const bool structural = layout != layout_;
    if (structural) beginResetModel();
    origins_ = r.origins;
    snapshots_ = r.snapshots;
    clones_ = r.clones;
    if (structural) {
        layout_ = std::move(layout);
        tops_.clear();
        std::vector<bool> placed(snapshots_.size(), false);
        for (size_t oi = 0; oi < origins_.size(); ++oi) {
            Top t{DeviceKind::Origin, int(oi), {}};
            for (const auto& sid : origins_[oi].snapshotIds)
                for (size_t i = 0; i < snapshots_.size(); ++i)
                    if (snapshots_[i].id == sid && !placed[i]) {
                        placed[i] = true;
                        t.snapshots.push_back(int(i));
                    }
            tops_.push_back(std::move(t));
        }
        for (size_t i = 0; i < snapshots_.size(); ++i)
            if (!placed[i]) tops_.push_back({DeviceKind::Snapshot, int(i), {}});
        for (size_t ci = 0; ci < clones_.size(); ++ci) tops_.push_back({DeviceKind::Clone, int(ci), {}});
        endResetModel();
        return;
    }
    // Same rows: one dataChanged over every top-level row and every child block.
    if (!tops_.empty()) {
        emit dataChanged(index(0, 0), index(int(tops_.size()) - 1, ColumnCount - 1));
        for (int row = 0; row < int(tops_.size()); ++row)
            if (!tops_[row].snapshots.empty()) {
                const QModelIndex p = index(row, 0);
                emit dataChanged(index(0, 0, p), index(int(tops_[row].snapshots.size()) - 1, ColumnCount - 1, p));
            }
    }
}

QModelIndex DeviceTreeModel::index(int row, int column, const QModelIndex& parent) const {
    if (column < 0 || column >= ColumnCount || row < 0) return {};
    if (!parent.isValid()) return row < int(tops_.size()) ? createIndex(row, column, quintptr(0)) : QModelIndex();
    if (parent.internalId() != 0 || parent.row() >= int(tops_.size())) return {};
    if (row >= int(tops_[parent.row()].snapshots.size())) return {};
    return createIndex(row, column, quintptr(parent.row() + 1));
}

QModelIndex DeviceTreeModel::parent(const QModelIndex& child) const {
    if (!child.isValid() || child.internalId() == 0) return {};
    return createIndex(int(child.internalId() - 1), 0, quintptr(0));
}

int DeviceTreeModel::rowCount(const QModelIndex& parent) const {
    if (!parent.isValid()) return int(tops_.size());
    if (parent.column() != 0 || parent.internalId() != 0 || parent.row() >= int(tops_.size())) return 0;
    return int(tops_[parent.row()].snapshots.size());
}

int DeviceTreeModel::columnCount(const QModelIndex&) const { return ColumnCount; }

DeviceRef DeviceTreeModel::refAt(const QModelIndex& index) const {
    if (!index.isValid()) return {};
    if (index.internalId() == 0) {
        const Top& t = tops_[index.row()];
        switch (t.kind) {
        case DeviceKind::Origin: return {t.kind, q(origins_[t.index].id)};
        case DeviceKind::Snapshot: return {t.kind, q(snapshots_[t.index].id)};
        case DeviceKind::Clone: return {t.kind, q(clones_[t.index].id)};
        default: return {};
        }
    }
    const Top& t = tops_[index.internalId() - 1];
    return {DeviceKind::Snapshot, q(snapshots_[t.snapshots[index.row()]].id)};
}

QModelIndex DeviceTreeModel::indexFor(const DeviceRef& ref, int column) const {
    for (int row = 0; row < rowCount(); ++row) {
        const QModelIndex top = index(row, column);
        if (refAt(top) == ref) return top;
        for (int c = 0; c < rowCount(index(row, 0)); ++c) {
            const QModelIndex child = index(c, column, index(row, 0));
            if (refAt(child) == ref) return child;
        }
    }
    return {};
}

const OriginInfo* DeviceTreeModel::origin(const QString& id) const {
    for (const auto& o : origins_) if (q(o.id) == id) return &o;
    return nullptr;
}
const SnapshotInfo* DeviceTreeModel::snapshot(const QString& id) const {
    for (const auto& s : snapshots_) if (q(s.id) == id) return &s;
    return nullptr;
}
const CloneInfo* DeviceTreeModel::clone(const QString& id) const {
    for (const auto& c : clones_) if (q(c.id) == id) return &c;
    return nullptr;
}

QVariant DeviceTreeModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    const DeviceRef ref = refAt(index);
    if (role == DeviceRefRole) return QVariant::fromValue(ref);
    switch (ref.kind) {
    case DeviceKind::Origin: if (auto* o = origin(ref.id)) return originData(*o, index.column(), role); break;
    case DeviceKind::Snapshot: if (auto* s = snapshot(ref.id)) return snapshotData(*s, index.column(), role); break;
    case DeviceKind::Clone: if (auto* c = clone(ref.id)) return cloneData(*c, index.column(), role); break;
    default: break;
    }
    return {};
}

QVariant DeviceTreeModel::contents(const QString& path, int role) const {
    if (!probes_ || (role != Qt::DisplayRole && role != Qt::ToolTipRole)) return {};
    auto probe = const_cast<ProbeCache*>(probes_)->find(path);
    if (!probe) return role == Qt::DisplayRole ? tr("probing…") : QVariant();
    return role == Qt::DisplayRole ? probeSummary(*probe) : probeDetails(*probe);
}

void DeviceTreeModel::onProbed(const QString& path) {
    for (int row = 0; row < int(tops_.size()); ++row) {
        const Top& t = tops_[row];
        QString p;
        if (t.kind == DeviceKind::Origin) p = q(origins_[t.index].path);
        else if (t.kind == DeviceKind::Clone) p = q(clones_[t.index].dest);
        if (p == path) emit dataChanged(index(row, ContentsColumn), index(row, ContentsColumn));
    }
}

QVariant DeviceTreeModel::originData(const OriginInfo& o, int column, int role) const {
    if (role == StateRole) return int(o.state);
    switch (column) {
    case NameColumn:
        if (role == Qt::DisplayRole) return baseName(o.path);
        if (role == Qt::ToolTipRole) return q(o.path);
        if (role == Qt::DecorationRole) return kindIcon(DeviceKind::Origin);
        break;
    case PathColumn: if (role == Qt::DisplayRole || role == Qt::ToolTipRole) return q(o.path); break;
    case SizeColumn: if (role == Qt::DisplayRole) return sizeText(o.sizeBytes); break;
    case ContentsColumn: return contents(q(o.path), role);
    case UsageColumn:
        if (role == Qt::DisplayRole) return tr("%n snapshot(s)", nullptr, int(o.snapshotIds.size()));
        break;
    case StateColumn:
        if (role == Qt::DisplayRole) return stateText(o.state);
        if (role == Qt::DecorationRole) return stateIcon(o.state);
        if (role == Qt::ToolTipRole) return o.problem ? errorText(*o.problem) : stateToolTip(o.state);
        break;
    case BackendColumn: if (role == Qt::DisplayRole) return backendText(o.backend); break;
    }
    return {};
}

QVariant DeviceTreeModel::snapshotData(const SnapshotInfo& s, int column, int role) const {
    if (role == StateRole) return int(s.state);
    if (role == StatusLineRole) return q(s.status);
    switch (column) {
    case NameColumn:
        if (role == Qt::DisplayRole) return baseName(s.cowPath);
        if (role == Qt::ToolTipRole) return q(s.cowPath);
        if (role == Qt::DecorationRole) return kindIcon(DeviceKind::Snapshot);
        break;
    case PathColumn: if (role == Qt::DisplayRole || role == Qt::ToolTipRole) return q(s.cowPath); break;
    case SizeColumn:
        if (role == Qt::DisplayRole) return sizeText(s.totalSectors * 512);
        if (role == Qt::ToolTipRole) return tr("Store %1, snapshot length %2").arg(sizeText(s.totalSectors * 512), sizeText(s.sizeBytes));
        break;
    case ContentsColumn:
        if (role == Qt::DisplayRole) return tr("%1 store · %2 chunks").arg(q(s.store), sizeText(s.chunkBytes));
        if (role == Qt::ToolTipRole) return storeTypeText(q(s.store));
        break;
    case UsageColumn:
        if (role == UsageFractionRole && s.totalSectors > 0 && s.state != DeviceState::Missing)
            return double(s.allocatedSectors) / double(s.totalSectors);
        if (role == Qt::DisplayRole && s.state != DeviceState::Missing && s.totalSectors > 0)
            return tr("%1 of %2").arg(sizeText(s.allocatedSectors * 512), sizeText(s.totalSectors * 512));
        if (role == Qt::ToolTipRole) return tr("Kernel status: %1").arg(q(s.status));
        break;
    case StateColumn:
        if (role == Qt::DisplayRole) return snapshotStateText(s);
        if (role == Qt::DecorationRole) return stateIcon(s.state);
        if (role == Qt::ToolTipRole) return s.problem ? errorText(*s.problem) : snapshotStateToolTip(s);
        break;
    case BackendColumn: if (role == Qt::DisplayRole) return backendText(s.backend); break;
    }
    return {};
}

QVariant DeviceTreeModel::cloneData(const CloneInfo& c, int column, int role) const {
    if (role == StateRole) return int(c.state);
    if (role == StatusLineRole) return q(c.status);
    switch (column) {
    case NameColumn:
        if (role == Qt::DisplayRole) return baseName(c.dest);
        if (role == Qt::ToolTipRole) return tr("%1 (metadata %2)").arg(q(c.dest), q(c.metaPath));
        if (role == Qt::DecorationRole) return kindIcon(DeviceKind::Clone);
        break;
    case PathColumn:
        if (role == Qt::DisplayRole || role == Qt::ToolTipRole) return tr("%1 ← %2").arg(q(c.dest), q(c.source));
        break;
    case SizeColumn: if (role == Qt::DisplayRole) return sizeText(c.sizeBytes); break;
    case ContentsColumn: return contents(q(c.dest), role);
    case UsageColumn:
        if (role == UsageFractionRole && c.totalRegions > 0 && c.state != DeviceState::Missing)
            return double(c.hydratedRegions) / double(c.totalRegions);
        if (role == Qt::DisplayRole && c.totalRegions > 0)
            return tr("%1 of %2 regions").arg(c.hydratedRegions).arg(c.totalRegions);
        if (role == Qt::ToolTipRole) return tr("Kernel status: %1").arg(q(c.status));
        break;
    case StateColumn:
        if (role == Qt::DisplayRole) return stateText(c.state);
        if (role == Qt::DecorationRole) return stateIcon(c.state);
        if (role == Qt::ToolTipRole) return c.problem ? errorText(*c.problem) : stateToolTip(c.state);
        break;
    case BackendColumn: if (role == Qt::DisplayRole) return backendText(c.backend); break;
    }
    return {};
}

QVariant DeviceTreeModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case NameColumn: return tr("Name");
    case PathColumn: return tr("Path");
    case SizeColumn: return tr("Size");
    case ContentsColumn: return tr("Contents");
    case UsageColumn: return tr("COW usage / hydration");
    case StateColumn: return tr("State");
    case BackendColumn: return tr("Backend");
    }
    return {};
}

}  // namespace loopsnap::ui
