#include "ui/models/PendingExceptionModel.h"

#include <QColor>
#include <QLocale>

#include <algorithm>
#include <map>

namespace loopsnap::ui {

namespace {
int rank(PendingState s) {
    switch (s) {
    case PendingState::Copying: return 0;
    case PendingState::Committed: return 2;
    default: return 1;
    }
}
bool isSnapshotExceptionEvent(EventKind k) {
    return k == EventKind::ExceptionAllocated || k == EventKind::CopyStarted || k == EventKind::CopyFinished ||
           k == EventKind::ExceptionCommitted;
}
template <class T>
void pushBounded(std::deque<T>& q, T v) {
    q.push_back(v);
    if (q.size() > CompletionTrace::kMaxPoints) q.pop_front();
}
constexpr size_t kMaxRemembered = 4096;
}  // namespace

PendingExceptionModel::PendingExceptionModel(QObject* parent) : QAbstractTableModel(parent) {}

void PendingExceptionModel::setSource(uint32_t source) {
    beginResetModel();
    source_ = source;
    rows_.clear();
    removed_.clear();
    removedBelow_ = 0;
    counters_ = {};
    trace_ = {};
    endResetModel();
}

QString PendingExceptionModel::stateText(PendingState state) {
    switch (state) {
    case PendingState::Copying: return tr("copying");
    case PendingState::Copied: return tr("copied, committing");
    case PendingState::Waiting: return tr("copied, waiting for an earlier one");
    case PendingState::CopyFailed: return tr("copy failed");
    case PendingState::Committed: return tr("committed");
    }
    return {};
}

size_t PendingExceptionModel::lowerBound(uint64_t seq) const {
    return size_t(std::lower_bound(rows_.begin(), rows_.end(), seq, [](const PendingRow& r, uint64_t s) { return r.seq < s; }) -
                  rows_.begin());
}

PendingRow* PendingExceptionModel::find(uint64_t seq) {
    const size_t i = lowerBound(seq);
    return i < rows_.size() && rows_[i].seq == seq ? &rows_[i] : nullptr;
}

bool PendingExceptionModel::gone(uint64_t seq) const { return seq < removedBelow_ || removed_.count(seq); }

void PendingExceptionModel::forget(uint64_t seq) {
    removed_.insert(seq);
    while (!removed_.empty() && *removed_.begin() <= removedBelow_) {
        if (*removed_.begin() == removedBelow_) ++removedBelow_;
        removed_.erase(removed_.begin());
    }
    if (removed_.size() > kMaxRemembered) {
        removedBelow_ = std::max(removedBelow_, *removed_.begin() + 1);
        removed_.erase(removed_.begin());
    }
}

bool PendingExceptionModel::lowerSeqCopying(uint64_t seq) const {
    for (const auto& r : rows_) {
        if (r.seq >= seq) break;
        if (r.state == PendingState::Copying) return true;
    }
    return false;
}

void PendingExceptionModel::applyEvents(std::span<const Event> events, int64_t nowNs) {
    nowNs_ = nowNs;
    std::map<uint64_t, PendingRow> fresh;  // rows first seen in this frame, by sequence
    auto rowFor = [&](const Event& e) -> PendingRow* {
        if (PendingRow* r = find(e.seq)) return r;
        if (auto it = fresh.find(e.seq); it != fresh.end()) return &it->second;
        if (gone(e.seq)) return nullptr;
        PendingRow r;
        r.seq = e.seq;
        r.originChunk = e.a;
        r.cowChunk = e.b;
        r.firstSeenNs = e.timeNs;
        return &fresh.emplace(e.seq, r).first->second;
    };
    auto copyingBelow = [&](uint64_t seq) {
        if (lowerSeqCopying(seq)) return true;
        for (const auto& [s, r] : fresh) {
            if (s >= seq) break;
            if (r.state == PendingState::Copying) return true;
        }
        return false;
    };
    for (const Event& e : events) {
        if (e.source != source_ || e.timeNs < ignoreBeforeNs_) continue;
        if (trace_.epochNs == 0) trace_.epochNs = e.timeNs;
        if (e.kind == EventKind::AreaWritten) {
            ++counters_.areaWrites;
            continue;
        }
        if (!isSnapshotExceptionEvent(e.kind)) continue;
        switch (e.kind) {
        case EventKind::ExceptionAllocated: ++counters_.allocated; break;
        case EventKind::CopyFinished: ++counters_.copiesFinished; break;
        case EventKind::ExceptionCommitted: ++counters_.committed; break;
        default: break;
        }
        PendingRow* row = rowFor(e);
        if (e.kind == EventKind::CopyFinished) {
            const bool outOfOrder = copyingBelow(e.seq);
            if (outOfOrder) ++counters_.finishedOutOfOrder;
            pushBounded(trace_.marks, CompletionMark{e.seq, trace_.seconds(e.timeNs), outOfOrder, false});
        } else if (e.kind == EventKind::ExceptionCommitted) {
            pushBounded(trace_.commits, CommitPoint{trace_.seconds(e.timeNs), e.seq});
        }
        if (!row) continue;
        PendingState next = row->state;
        switch (e.kind) {
        case EventKind::CopyFinished: next = e.c ? PendingState::Copied : PendingState::CopyFailed; break;
        case EventKind::ExceptionCommitted: next = PendingState::Committed; break;
        default: break;
        }
        if (rank(next) > rank(row->state)) {
            row->state = next;
            if (next == PendingState::Committed) row->committedNs = e.timeNs;
            else row->finishedNs = e.timeNs;
        }
    }
    std::vector<PendingRow> freshRows;
    freshRows.reserve(fresh.size());
    for (auto& [s, r] : fresh) freshRows.push_back(r);
    insertRows(freshRows);
    recomputeWaiting();
    if (!rows_.empty()) emit dataChanged(index(0, 0), index(int(rows_.size()) - 1, ColumnCount - 1));
    removeExpired();
}

void PendingExceptionModel::insertRows(std::vector<PendingRow>& fresh) {
    // `fresh` is sorted; each run of rows with the same insertion point is one insert.
    size_t i = 0;
    while (i < fresh.size()) {
        const size_t at = lowerBound(fresh[i].seq);
        size_t j = i + 1;
        while (j < fresh.size() && lowerBound(fresh[j].seq) == at) ++j;
        beginInsertRows({}, int(at), int(at + (j - i) - 1));
        rows_.insert(rows_.begin() + ptrdiff_t(at), fresh.begin() + ptrdiff_t(i), fresh.begin() + ptrdiff_t(j));
        endInsertRows();
        i = j;
    }
}

void PendingExceptionModel::recomputeWaiting() {
    bool copyingSeen = false;
    uint64_t lowestCopying = 0;
    counters_.inFlight = counters_.waitingOutOfOrder = 0;
    for (auto& r : rows_) {
        if (r.state == PendingState::Copying) {
            ++counters_.inFlight;
            if (!copyingSeen) lowestCopying = r.seq;
            copyingSeen = true;
        } else if (r.state == PendingState::Copied || r.state == PendingState::Waiting) {
            r.state = copyingSeen ? PendingState::Waiting : PendingState::Copied;
            r.waitingFor = copyingSeen ? lowestCopying : 0;
            if (copyingSeen) ++counters_.waitingOutOfOrder;
        }
    }
    for (auto& m : trace_.marks) {
        const PendingRow* r = find(m.seq);
        m.waiting = r && r->state == PendingState::Waiting;
    }
}

void PendingExceptionModel::removeExpired() {
    // From the back, one remove per run of expired rows.
    size_t i = rows_.size();
    while (i > 0) {
        auto expired = [&](const PendingRow& r) {
            return r.state == PendingState::Committed && nowNs_ - r.committedNs >= lingerNs_;
        };
        if (!expired(rows_[i - 1])) {
            --i;
            continue;
        }
        size_t j = i - 1;
        while (j > 0 && expired(rows_[j - 1])) --j;
        beginRemoveRows({}, int(j), int(i - 1));
        for (size_t k = j; k < i; ++k) forget(rows_[k].seq);
        rows_.erase(rows_.begin() + ptrdiff_t(j), rows_.begin() + ptrdiff_t(i));
        endRemoveRows();
        i = j;
    }
}

void PendingExceptionModel::resync(const SnapshotTrace& trace, int64_t nowNs, int64_t sampledAtNs) {
    ignoreBeforeNs_ = sampledAtNs;
    beginResetModel();
    for (const auto& r : rows_) forget(r.seq);
    rows_.clear();
    // Sequences are allocation numbers: everything below what the engine has allocated and
    // committed in order has left the table for good.
    removedBelow_ = std::max(removedBelow_, trace.committed);
    endResetModel();
    nowNs_ = nowNs;
    counters_.allocated = trace.allocated;
    counters_.copiesFinished = trace.copiesFinished;
    counters_.committed = trace.committed;
    counters_.finishedOutOfOrder = trace.finishedOutOfOrder;
    counters_.areaWrites = trace.areaWrites;
    counters_.inFlight = trace.copiesInFlight;
    counters_.waitingOutOfOrder = trace.waitingOutOfOrder;
}

int PendingExceptionModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(rows_.size()); }
int PendingExceptionModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant PendingExceptionModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(rows_.size())) return {};
    const PendingRow& r = rows_[size_t(index.row())];
    const QLocale loc;
    if (role == StateRole) return int(r.state);
    if (role == SeqRole) return qulonglong(r.seq);
    if (role == Qt::TextAlignmentRole)
        return index.column() == StateColumn ? QVariant(Qt::AlignLeft | Qt::AlignVCenter) : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::BackgroundRole) {
        if (r.state == PendingState::Waiting) return QColor(0xfd, 0xe3, 0xc0);
        if (r.state == PendingState::Committed) return QColor(0xd8, 0xef, 0xdd);
        if (r.state == PendingState::CopyFailed) return QColor(0xf6, 0xc9, 0xc9);
        return {};
    }
    if (role == Qt::ForegroundRole && (r.state == PendingState::Waiting || r.state == PendingState::Committed ||
                                       r.state == PendingState::CopyFailed))
        return QColor(Qt::black);
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
    case SeqColumn: return loc.toString(qulonglong(r.seq));
    case OriginChunkColumn: return loc.toString(qulonglong(r.originChunk));
    case CowChunkColumn: return loc.toString(qulonglong(r.cowChunk));
    case StateColumn:
        if (r.state == PendingState::Waiting) return tr("copied, waiting for #%1").arg(loc.toString(qulonglong(r.waitingFor)));
        return stateText(r.state);
    case AgeColumn: {
        const double ms = double(std::max<int64_t>(0, nowNs_ - r.firstSeenNs)) / 1e6;
        return ms < 1000 ? tr("%1 ms").arg(loc.toString(ms, 'f', 1)) : tr("%1 s").arg(loc.toString(ms / 1000, 'f', 2));
    }
    }
    return {};
}

QVariant PendingExceptionModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case SeqColumn: return tr("Sequence");
    case OriginChunkColumn: return tr("Origin chunk");
    case CowChunkColumn: return tr("COW chunk");
    case StateColumn: return tr("State");
    case AgeColumn: return tr("Age");
    }
    return {};
}

}  // namespace loopsnap::ui
