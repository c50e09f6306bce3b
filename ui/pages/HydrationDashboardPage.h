// HydrationDashboardPage: one clone's hydration while it happens: the region map (binned, with
// a legend and hover), percent, hydrated/total regions and bytes, a smoothed rate and an ETA,
// the hydration rate beside the foreground I/O rate over time (QtCharts), the source and its
// health (a source error names its region and whether hydration stopped), and live controls:
// pause/resume, hydration threshold and batch size.
//
// Fed one LiveFrame per frame (applyFrame): one region-map update (only changed bins), the
// numbers, and the chart twice a second. A hidden page ignores frames and resyncs when shown;
// a frame with dropped events triggers a resync (resyncRequested(), answered by resync()).
// The controls emit pauseRequested/resumeRequested/tuningRequested; built with a PageContext
// the page wires them (and the resync) to the engine through the bridge.
// Thread: GUI thread only.
#pragma once

#include <QWidget>

#include <deque>

#include "core/backend/types.h"
#include "core/engine/engine.h"
#include "ui/models/LiveFrame.h"
#include "ui/models/RegionStateMap.h"

class QChartView;
class QLabel;
class QLineSeries;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QValueAxis;

namespace loopsnap::ui {

class MapLegend;
class RegionMapWidget;
struct PageContext;

class HydrationDashboardPage : public QWidget {
    Q_OBJECT
public:
    explicit HydrationDashboardPage(QWidget* parent = nullptr);
    HydrationDashboardPage(const PageContext& context, QWidget* parent);

    // The clone's description (source, sizes, tuning, state, problem).
    void setClone(const CloneInfo& info);
    // The engine's region map (resync): the map restarts from it; `note` says why.
    void resync(const CloneRegionMap& map, const QString& note, int64_t sampledAtNs = 0);
    void applyFrame(const LiveFrame& frame);
    // Foreground I/O: the clone's counter of user reads and writes (CloneInfo::foreground*), a
    // growing total sampled at `sampledAtNs`. Once set, the foreground rate follows it (all user
    // I/O); until then it follows the user writes seen in events (the only ones events show).
    // Wired to a bridge, the page polls the engine's counter four times a second while visible.
    void setForegroundBytes(uint64_t total, int64_t sampledAtNs);
    double foregroundRate() const { return foregroundRate_.rate(); }
    QString rateText() const;

    const RegionStateMap& regions() const { return regions_; }
    RegionMapWidget* regionMap() const { return map_; }
    double hydrationRate() const { return hydrationRate_.rate(); }
    double percent() const;
    bool paused() const { return paused_; }
    QString sourceHealthText() const;
    QString noteText() const;
    QString hoverText() const;
    uint64_t resyncs() const { return resyncs_; }
    // Controls, for tests: what a click on them does.
    void clickPauseResume();
    void setTuning(uint32_t threshold, uint32_t batch);

signals:
    void resyncRequested();
    void pauseRequested();
    void resumeRequested();
    void tuningRequested(quint32 threshold, quint32 batchSize);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void build();
    void wire(const PageContext& context);
    void requestResync(const QString& why);
    void refreshNumbers(int64_t nowNs);
    void refreshChart(int64_t nowNs);
    void setPausedState(bool paused);

    RegionStateMap regions_;
    RateMeter hydrationRate_{2.0}, foregroundRate_{2.0};
    bool foregroundCounted_ = false;
    CloneInfo info_;
    bool paused_ = false, stale_ = false, resyncPending_ = false;
    QString pendingWhy_;
    int64_t lastFrameNs_ = 0;
    uint64_t resyncs_ = 0;
    int64_t chartEpochNs_ = 0, lastChartNs_ = 0, lastNumbersNs_ = 0;
    std::deque<QPointF> hydrationPoints_, foregroundPoints_;

    QLabel* title_ = nullptr;
    QLabel* source_ = nullptr;
    QLabel* health_ = nullptr;
    QLabel* percent_ = nullptr;
    QLabel* amounts_ = nullptr;
    QLabel* rate_ = nullptr;
    QLabel* state_ = nullptr;
    QLabel* hover_ = nullptr;
    QLabel* note_ = nullptr;
    QProgressBar* progress_ = nullptr;
    RegionMapWidget* map_ = nullptr;
    MapLegend* legend_ = nullptr;
    QChartView* chartView_ = nullptr;
    QLineSeries* hydrationSeries_ = nullptr;
    QLineSeries* foregroundSeries_ = nullptr;
    QValueAxis* axisX_ = nullptr;
    QValueAxis* axisY_ = nullptr;
    QPushButton* pause_ = nullptr;
    QSpinBox* threshold_ = nullptr;
    QSpinBox* batch_ = nullptr;
};

void registerHydrationDashboardPage();

}  // namespace loopsnap::ui
