// PendingExceptionModel: the pending exceptions of one snapshot, as a table, fed the snapshot's
// events once per frame (applyEvents), plus the counters and the completion-order trace the
// exception monitor draws.
//
// A row is an exception from its allocation until a short while after its commit: copying, then
// copied (next in line, its record being written), or copied and waiting for an earlier one
// (a lower sequence is still copying: the in-order rule holds it back), then committed; a
// committed row stays `committedLinger` and then leaves the table. Rows are sorted by sequence.
// Events may arrive in any order (CopyFinished is unordered by nature; publishing threads race):
// a row is created by the first event naming its sequence, and an event for a sequence that
// already left the table is ignored.
//
// One applyEvents() = at most one insert per run of new rows, one dataChanged over the rows
// (ages move every frame), and one remove per run of expired rows.
// Thread: GUI thread only.
#pragma once

#include <QAbstractTableModel>

#include <deque>
#include <set>
#include <span>
#include <vector>

#include "core/engine/engine.h"
#include "core/events/event.h"
#include "ui/widgets/CompletionOrderView.h"

namespace loopsnap::ui {

enum class PendingState : uint8_t { Copying, Copied, Waiting, CopyFailed, Committed };

struct PendingRow {
    uint64_t seq = 0, originChunk = 0, cowChunk = 0;
    int64_t firstSeenNs = 0, finishedNs = 0, committedNs = 0;
    PendingState state = PendingState::Copying;
    uint64_t waitingFor = 0;   // state Waiting: the lowest sequence still copying
};

struct ExceptionCounters {
    uint64_t allocated = 0, copiesFinished = 0, committed = 0, finishedOutOfOrder = 0, areaWrites = 0;
    uint64_t inFlight = 0, waitingOutOfOrder = 0;   // now, from the rows
};

// The completion-order trace: the last kMaxPoints copy completions and commits, in seconds on
// the trace's clock (seconds since the first event seen), ready for CompletionOrderView.
struct CompletionTrace {
    static constexpr size_t kMaxPoints = 4096;
    std::deque<CompletionMark> marks;     // in completion order
    std::deque<CommitPoint> commits;      // in commit order
    int64_t epochNs = 0;
    double seconds(int64_t ns) const { return double(ns - epochNs) * 1e-9; }
};

class PendingExceptionModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { SeqColumn, OriginChunkColumn, CowChunkColumn, StateColumn, AgeColumn, ColumnCount };
    enum Role { StateRole = Qt::UserRole + 1, SeqRole };

    explicit PendingExceptionModel(QObject* parent = nullptr);

    // The snapshot whose events this model takes (Event::source); clears everything.
    void setSource(uint32_t source);
    uint32_t source() const { return source_; }
    void setCommittedLinger(int64_t ns) { lingerNs_ = ns; }

    // One frame of events (any sources; others are skipped). nowNs ages the rows.
    void applyEvents(std::span<const Event> events, int64_t nowNs);
    // After a drop or while hidden: the table restarts empty (rows reappear with their next
    // event), the counters are the engine's.
    // Events stamped before `sampledAtNs` (when the trace was read) are already in it: ignored.
    void resync(const SnapshotTrace& trace, int64_t nowNs, int64_t sampledAtNs = 0);

    const ExceptionCounters& counters() const { return counters_; }
    const CompletionTrace& trace() const { return trace_; }
    const PendingRow& pendingRow(int row) const { return rows_[size_t(row)]; }
    static QString stateText(PendingState state);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    size_t lowerBound(uint64_t seq) const;
    PendingRow* find(uint64_t seq);
    bool gone(uint64_t seq) const;
    void forget(uint64_t seq);
    void insertRows(std::vector<PendingRow>& fresh);
    void recomputeWaiting();
    void removeExpired();
    bool lowerSeqCopying(uint64_t seq) const;

    uint32_t source_ = UINT32_MAX;
    std::vector<PendingRow> rows_;
    std::set<uint64_t> removed_;        // recently removed sequences (bounded)
    uint64_t removedBelow_ = 0;         // every sequence below this has left the table
    int64_t nowNs_ = 0;
    int64_t ignoreBeforeNs_ = 0;
    int64_t lingerNs_ = 1'000'000'000;
    ExceptionCounters counters_;
    CompletionTrace trace_;
};

}  // namespace loopsnap::ui
