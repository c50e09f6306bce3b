// ExceptionMonitorPage: one snapshot's pending exceptions while they happen: the table (sequence,
// origin chunk, COW chunk, state, age), the counters (in flight, waiting out of order, committed,
// finished out of order, area writes, COW usage), the completion-order view and the area map of
// the COW store. On a demo device a switch asks for the legacy (pre-fix kernel) commit order.
//
// Fed one LiveFrame per frame (applyFrame). A hidden page ignores frames and resyncs when shown;
// a frame with dropped events triggers a resync too: resyncRequested(), answered by resync()
// with the engine's trace and layout. Built with a PageContext the page wires itself to the
// bridge (EngineBridge::frame, and the resync through EngineBridge::call); a drop resyncs
// only when the frame's markers name this snapshot's source.
// Thread: GUI thread only.
#pragma once

#include <QWidget>

#include "core/engine/engine.h"
#include "ui/models/CowAreaModel.h"
#include "ui/models/LiveFrame.h"
#include "ui/models/PendingExceptionModel.h"

class QCheckBox;
class QLabel;
class QProgressBar;
class QTableView;

namespace loopsnap::ui {

class AreaMapWidget;
class CompletionOrderView;
class MapLegend;
struct PageContext;

class ExceptionMonitorPage : public QWidget {
    Q_OBJECT
public:
    explicit ExceptionMonitorPage(QWidget* parent = nullptr);       // fed by hand (tests, benchmarks)
    ExceptionMonitorPage(const PageContext& context, QWidget* parent);  // wired to the bridge

    void setSnapshot(const QString& title, bool demoDevice);
    void applyFrame(const LiveFrame& frame);
    // The engine's view after a drop or while hidden; `note` says why (shown to the user).
    void resync(const SnapshotTrace& trace, const StoreLayout& layout, const QString& note, int64_t sampledAtNs = 0);
    void setProblem(const QString& text);   // e.g. the trace is not available for this backend

    PendingExceptionModel* model() { return &model_; }
    const CowAreaModel& areaModel() const { return area_; }
    CompletionOrderView* completionView() const { return completion_; }
    AreaMapWidget* areaMap() const { return areaMap_; }
    QString noteText() const;
    uint64_t framesApplied() const { return framesApplied_; }
    uint64_t resyncs() const { return resyncs_; }

signals:
    void resyncRequested();
    void legacyOrderingRequested(bool legacy);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void build();
    void wire(const PageContext& context);
    void requestResync(const QString& why);
    void refreshCounters();
    void refreshTrace(int64_t nowNs);
    void pushAreaChanges();

    PendingExceptionModel model_;
    CowAreaModel area_;
    QLabel* title_ = nullptr;
    QLabel* counters_[6] = {};
    QProgressBar* cowUsage_ = nullptr;
    QCheckBox* legacy_ = nullptr;
    QLabel* legacyNote_ = nullptr;
    QLabel* note_ = nullptr;
    QTableView* table_ = nullptr;
    CompletionOrderView* completion_ = nullptr;
    AreaMapWidget* areaMap_ = nullptr;
    MapLegend* areaLegend_ = nullptr;
    bool stale_ = false;
    bool resyncPending_ = false;
    QString pendingWhy_;
    int64_t lastFrameNs_ = 0;
    uint64_t framesApplied_ = 0, resyncs_ = 0;
    double windowSeconds_ = 10;
};

void registerExceptionMonitorPage();

}  // namespace loopsnap::ui
