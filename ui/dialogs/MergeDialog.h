// MergeDialog: rollback of one snapshot into its origin, from the snapshot's actions (Ctrl+M).
//
// Before: the plan (core/engine/merge_plan.h) in words: the origin that will be overwritten (path
// and size), the chunks that differ and the bytes to copy, the other snapshots of that origin by
// name (they keep their contents), and whether an interrupted rollback resumes. While the origin
// is attached, mounted read-write or held by another process the dialog refuses and names what
// is in the way (the holder's pid and program); it plans again every second (and on "Check
// again"), so it notices when the holder is gone.
// During: live progress sampled from the engine's job four times a second (chunks left, bytes,
// rate, ETA) and one line per merge batch as its event arrives (EngineBridge::frame);
// Pause / Resume / Stop. A kernel snapshot (loopsnap-helper, see kernel()) is planned, started
// and followed through the helper instead. Closing the dialog leaves the rollback running in the engine; quitting
// the app stops it between batches (it shows as "merging, interrupted" and resumes here).
// After: the store is an empty snapshot again (kernel semantics); the dialog offers to keep it or
// to remove its files.
//
// Every engine call goes through EngineBridge::call (its worker thread); the GUI thread never
// waits on I/O. Thread: GUI thread only.
#pragma once

#include "ui/models/LiveFrame.h"

#include <QDialog>
#include <QStringList>
#include <QTimer>

#include <optional>

#include "core/backend/types.h"
#include "core/engine/merge_plan.h"
#include "core/events/event.h"

class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QStackedWidget;

namespace loopsnap::ui {

class EngineBridge;
struct PageContext;

class MergeDialog : public QDialog {
    Q_OBJECT
public:
    enum class Stage { Planning, Ready, Refused, Running, Paused, Stopping, Stopped, Finished, Failed, Removed };
    Q_ENUM(Stage)

    MergeDialog(EngineBridge* bridge, const QString& snapshotId, QWidget* parent = nullptr);
    MergeDialog(const PageContext& context, QWidget* parent);

    Stage stage() const { return stage_; }
    const std::optional<MergePlan>& plan() const { return plan_; }
    uint64_t jobId() const { return jobId_; }
    const JobInfo& lastJob() const { return job_; }
    QString planText() const;        // what will be overwritten, the other snapshots
    QString othersText() const;      // the other snapshots, named; they keep their contents
    QString refusalText() const;     // "" when allowed
    QString progressText() const;    // chunks left, bytes, rate, ETA
    QStringList batchLines() const;  // one per batch, oldest first
    QString resultText() const;

    // The buttons a user clicks (tests click them too).
    QPushButton* startButton() const { return start_; }
    QPushButton* pauseButton() const { return pause_; }
    QPushButton* stopButton() const { return stop_; }
    QPushButton* recheckButton() const { return recheck_; }
    QPushButton* keepButton() const { return keep_; }
    QPushButton* removeButton() const { return remove_; }

signals:
    void stageChanged(loopsnap::ui::MergeDialog::Stage stage);

private:
    void build();
    void replan();
    void showPlan();
    void planFailed(const Error& error);
    void startMerge();
    void attachToJob(uint64_t jobId);
    void poll();
    void applyJob(const JobInfo& info);
    void onEvents(const LiveFrame& frame);   // the bridge's per-frame events (GUI thread)
    void setStage(Stage s);
    void togglePause();
    void stopMerge();
    void removeStore();
    // A snapshot of loopsnap-helper (id "kernel:…"): planned from the helper's Status, started
    // with its Merge, followed by polling its Status (exceptions left); no pause or stop (the
    // kernel's snapshot-merge has neither), no batch lines (the helper sends no events).
    bool kernel() const;
    void kernelPlan(const SnapshotInfo& snapshot);
    void kernelPoll();

    EngineBridge* bridge_;
    QString snapshotId_;
    uint64_t kernelTotal_ = 0;  // kernel: the exceptions when the merge started
    Stage stage_ = Stage::Planning;
    std::optional<MergePlan> plan_;
    QString planError_;
    uint64_t jobId_ = 0;
    uint32_t eventSource_ = 0;  // the snapshot's event source (0: unknown, take every merge batch)
    JobInfo job_;
    bool pollInFlight_ = false;
    QTimer pollTimer_;
    QTimer recheckTimer_;  // while refused: plan again every second
    QStringList batches_;
    uint64_t batchCount_ = 0;

    QLabel* heading_ = nullptr;
    QLabel* planLabel_ = nullptr;
    QLabel* othersLabel_ = nullptr;
    QLabel* refusal_ = nullptr;
    QLabel* progressLabel_ = nullptr;
    QLabel* resultLabel_ = nullptr;
    QLabel* batchesTitle_ = nullptr;
    QProgressBar* bar_ = nullptr;
    QListWidget* batchList_ = nullptr;
    QPushButton* start_ = nullptr;
    QPushButton* pause_ = nullptr;
    QPushButton* stop_ = nullptr;
    QPushButton* recheck_ = nullptr;
    QPushButton* keep_ = nullptr;
    QPushButton* remove_ = nullptr;
    QPushButton* close_ = nullptr;
};

void registerMergeDialog();

}  // namespace loopsnap::ui
