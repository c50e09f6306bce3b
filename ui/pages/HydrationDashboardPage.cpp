#include "ui/pages/HydrationDashboardPage.h"

#include <QChart>
#include <QChartView>
#include <QCoreApplication>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QValueAxis>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

#include "ui/bridge/EngineBridge.h"
#include "ui/pages/PageRegistry.h"
#include "ui/widgets/MapLegend.h"
#include "ui/widgets/RegionMapWidget.h"

namespace loopsnap::ui {

namespace {
constexpr int64_t kIdleFrameNs = 100'000'000;  // an empty frame after 100 ms without one
}

namespace {
constexpr double kChartSeconds = 60;
constexpr int64_t kChartStepNs = 500'000'000;
constexpr int64_t kNumbersStepNs = 250'000'000;
constexpr double kMiB = 1024.0 * 1024.0;

QString formatDuration(double seconds) {
    if (seconds < 0) return QCoreApplication::translate("HydrationDashboardPage", "unknown");
    const qint64 s = qint64(seconds + 0.5);
    if (s < 60) return QCoreApplication::translate("HydrationDashboardPage", "%1 s").arg(s);
    if (s < 3600) return QCoreApplication::translate("HydrationDashboardPage", "%1 min %2 s").arg(s / 60).arg(s % 60);
    return QCoreApplication::translate("HydrationDashboardPage", "%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
}
}  // namespace

HydrationDashboardPage::HydrationDashboardPage(QWidget* parent) : QWidget(parent) { build(); }

HydrationDashboardPage::HydrationDashboardPage(const PageContext& context, QWidget* parent) : QWidget(parent) {
    build();
    wire(context);
}

void HydrationDashboardPage::build() {
    auto* layout = new QVBoxLayout(this);
    title_ = new QLabel(tr("Hydration dashboard"), this);
    QFont tf = title_->font();
    tf.setBold(true);
    tf.setPointSizeF(tf.pointSizeF() * 1.2);
    title_->setFont(tf);
    layout->addWidget(title_);
    source_ = new QLabel(this);
    source_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    source_->setWordWrap(true);
    layout->addWidget(source_);
    health_ = new QLabel(this);
    health_->setWordWrap(true);
    layout->addWidget(health_);

    auto* numbers = new QHBoxLayout;
    percent_ = new QLabel(QStringLiteral("0 %"), this);
    QFont pf = percent_->font();
    pf.setPointSizeF(pf.pointSizeF() * 2.2);
    pf.setBold(true);
    percent_->setFont(pf);
    percent_->setMinimumWidth(QFontMetrics(pf).horizontalAdvance(QStringLiteral("100.0 %")) + 8);
    numbers->addWidget(percent_);
    auto* col = new QVBoxLayout;
    amounts_ = new QLabel(this);
    rate_ = new QLabel(this);
    state_ = new QLabel(this);
    col->addWidget(amounts_);
    col->addWidget(rate_);
    col->addWidget(state_);
    numbers->addLayout(col, 1);

    auto* controls = new QGridLayout;
    pause_ = new QPushButton(tr("Pause"), this);
    threshold_ = new QSpinBox(this);
    threshold_->setRange(1, 4096);
    threshold_->setToolTip(tr("dm-clone hydration_threshold: regions copied at the same time"));
    batch_ = new QSpinBox(this);
    batch_->setRange(1, 4096);
    batch_->setToolTip(tr("dm-clone hydration_batch_size: consecutive regions per copy"));
    controls->addWidget(pause_, 0, 0, 1, 2);
    controls->addWidget(new QLabel(tr("Threshold"), this), 1, 0);
    controls->addWidget(threshold_, 1, 1);
    controls->addWidget(new QLabel(tr("Batch size"), this), 2, 0);
    controls->addWidget(batch_, 2, 1);
    numbers->addLayout(controls);
    layout->addLayout(numbers);
    connect(pause_, &QPushButton::clicked, this, &HydrationDashboardPage::clickPauseResume);
    auto tuningChanged = [this] { emit tuningRequested(quint32(threshold_->value()), quint32(batch_->value())); };
    connect(threshold_, &QSpinBox::valueChanged, this, tuningChanged);
    connect(batch_, &QSpinBox::valueChanged, this, tuningChanged);

    progress_ = new QProgressBar(this);
    progress_->setRange(0, 10000);
    progress_->setTextVisible(false);
    progress_->setMaximumHeight(10);
    layout->addWidget(progress_);

    map_ = new RegionMapWidget(this);
    map_->setMinimumHeight(140);
    layout->addWidget(map_, 3);
    legend_ = new MapLegend(this);
    QStringList names;
    for (int c = 0; c < kRegionCategoryCount; ++c) names << RegionMapWidget::categoryName(c);
    legend_->setEntries(RegionMapWidget::categoryColors(), names);
    layout->addWidget(legend_);
    hover_ = new QLabel(tr("Point at the map to name its regions."), this);
    hover_->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(hover_);
    connect(map_, &CellMapWidget::binHovered, this, [this](qint64 bin) {
        hover_->setText(bin >= 0 ? map_->describeBin(bin) : tr("Point at the map to name its regions."));
    });

    auto* chart = new QChart;
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->legend()->setAlignment(Qt::AlignTop);
    hydrationSeries_ = new QLineSeries(chart);
    hydrationSeries_->setName(tr("hydration (MiB/s)"));
    hydrationSeries_->setColor(RegionMapWidget::categoryColors()[int(RegionCategory::Hydrated)]);
    foregroundSeries_ = new QLineSeries(chart);
    foregroundSeries_->setName(tr("foreground I/O (MiB/s)"));
    foregroundSeries_->setColor(RegionMapWidget::categoryColors()[int(RegionCategory::WrittenByUser)]);
    chart->addSeries(hydrationSeries_);
    chart->addSeries(foregroundSeries_);
    axisX_ = new QValueAxis(chart);
    axisX_->setRange(-kChartSeconds, 0);
    axisX_->setTitleText(tr("seconds"));
    axisX_->setLabelFormat(QStringLiteral("%d"));
    axisY_ = new QValueAxis(chart);
    axisY_->setRange(0, 1);
    axisY_->setLabelFormat(QStringLiteral("%.1f"));
    chart->addAxis(axisX_, Qt::AlignBottom);
    chart->addAxis(axisY_, Qt::AlignLeft);
    for (auto* s : {hydrationSeries_, foregroundSeries_}) {
        s->attachAxis(axisX_);
        s->attachAxis(axisY_);
    }
    chartView_ = new QChartView(chart, this);
    chartView_->setMinimumHeight(170);
    layout->addWidget(chartView_, 2);
    note_ = new QLabel(this);
    note_->setWordWrap(true);
    note_->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(note_);
    refreshNumbers(steadyNowNs());
}

void HydrationDashboardPage::setClone(const CloneInfo& info) {
    info_ = info;
    title_->setText(tr("Hydration dashboard — %1").arg(QString::fromStdString(info.dest.empty() ? info.id : info.dest)));
    source_->setText(tr("Source: %1").arg(QString::fromStdString(info.source)));
    for (QSpinBox* box : {threshold_, batch_}) box->blockSignals(true);
    threshold_->setValue(int(info.hydrationThreshold));
    batch_->setValue(int(info.hydrationBatchSize));
    for (QSpinBox* box : {threshold_, batch_}) box->blockSignals(false);
    setPausedState(!info.hydrationEnabled && info.state == DeviceState::Hydrating);
    if (info.problem) health_->setText(tr("Problem: %1").arg(QString::fromStdString(info.problem->message)));
}

void HydrationDashboardPage::resync(const CloneRegionMap& map, const QString& note, int64_t sampledAtNs) {
    resyncPending_ = false;
    stale_ = false;
    ++resyncs_;
    regions_.reset(map, info_.sizeBytes, sampledAtNs);
    regions_.takeChanges();
    map_->setRegionGeometry(regions_.regionBytes(), regions_.deviceBytes());
    map_->setCells(regions_.states());
    hydrationRate_.reset();
    if (!foregroundCounted_) foregroundRate_.reset();  // the engine's counter survives a resync
    note_->setText(note.isEmpty() ? pendingWhy_ : note);
    refreshNumbers(steadyNowNs());
}

void HydrationDashboardPage::requestResync(const QString& why) {
    pendingWhy_ = why;
    if (resyncPending_) return;
    resyncPending_ = true;
    emit resyncRequested();
}

void HydrationDashboardPage::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (stale_) requestResync(tr("Resynced from the engine's status after the view was hidden."));
}

void HydrationDashboardPage::applyFrame(const LiveFrame& frame) {
    if (!isVisible()) {
        stale_ = true;
        return;
    }
    // Only this clone's drops make it re-read (events v2: drops are counted per source).
    if (const uint64_t lost = frame.lostFor(regions_.source()))
        requestResync(tr("%n event(s) of this clone were dropped: resynced from the engine's status.", nullptr, int(lost)));
    regions_.apply(frame.events);
    for (auto [first, count] : regions_.takeChanges()) map_->cellsChanged(first, count);
    if (auto enabled = regions_.hydrationEnabled()) setPausedState(!*enabled && percent() < 100);
    hydrationRate_.sample(regions_.hydratedBytesTotal(), frame.nowNs);
    if (!foregroundCounted_) foregroundRate_.sample(regions_.foregroundBytesTotal(), frame.nowNs);
    // Text is for reading, not for animation: 4 updates a second (each may relayout the labels).
    if (frame.nowNs - lastNumbersNs_ >= kNumbersStepNs || regions_.doneRegions() == regions_.regions()) {
        lastNumbersNs_ = frame.nowNs;
        refreshNumbers(frame.nowNs);
    }
    refreshChart(frame.nowNs);
}

double HydrationDashboardPage::percent() const {
    return regions_.regions() ? 100.0 * double(regions_.doneRegions()) / double(regions_.regions()) : 0.0;
}

void HydrationDashboardPage::refreshNumbers(int64_t nowNs) {
    const QLocale loc;
    const double pct = percent();
    percent_->setText(tr("%1 %").arg(loc.toString(pct, 'f', pct >= 100 || pct == 0 ? 0 : 1)));
    progress_->setValue(int(pct * 100));
    amounts_->setText(tr("%1 / %2 regions · %3 / %4")
                          .arg(loc.toString(qulonglong(regions_.doneRegions())), loc.toString(qulonglong(regions_.regions())),
                               formatBytes(double(regions_.doneBytes())), formatBytes(double(regions_.deviceBytes()))));
    rate_->setText(rateText());
    QStringList counts;
    for (int c = 0; c < kRegionCategoryCount; ++c) counts << loc.toString(qulonglong(regions_.count(RegionCategory(c))));
    legend_->setCounts(counts);
    if (regions_.regions() && regions_.doneRegions() == regions_.regions())
        state_->setText(tr("Hydrated: every region is on the destination."));
    else if (paused_)
        state_->setText(tr("Paused: background hydration is off; reads of unhydrated regions go to the source."));
    else
        state_->setText(tr("Hydrating: %1 regions in flight").arg(loc.toString(qulonglong(regions_.count(RegionCategory::Hydrating)))));
    health_->setText(sourceHealthText());
    Q_UNUSED(nowNs);
}

QString HydrationDashboardPage::rateText() const {
    const double left = double(regions_.deviceBytes() - std::min(regions_.deviceBytes(), regions_.doneBytes()));
    const QString fg = foregroundRate_.ready() ? tr("%1/s").arg(formatBytes(foregroundRate_.rate())) : tr("measuring…");
    if (left == 0) return tr("Rate %1 · ETA %2 · foreground I/O %3").arg(tr("done"), formatDuration(0), fg);
    // Before two samples there is no rate: "measuring…", never "0 B/s" and an unknown ETA.
    if (!hydrationRate_.ready()) return tr("Rate measuring… · ETA measuring… · foreground I/O %1").arg(fg);
    const double rate = hydrationRate_.rate();
    const double eta = rate > 1 ? left / rate : -1;
    return tr("Rate %1/s · ETA %2 · foreground I/O %3").arg(formatBytes(rate), formatDuration(eta), fg);
}

void HydrationDashboardPage::setForegroundBytes(uint64_t total, int64_t sampledAtNs) {
    if (!foregroundCounted_) foregroundRate_.reset();  // from events to the real counter
    foregroundCounted_ = true;
    foregroundRate_.sample(total, sampledAtNs);
}

QString HydrationDashboardPage::sourceHealthText() const {
    const auto error = regions_.lastSourceError();
    if (!error) return tr("Source healthy: no read errors.");
    const QLocale loc;
    const uint64_t b = error->region * regions_.regionBytes();
    const uint64_t e = std::min(regions_.deviceBytes(), b + regions_.regionBytes());
    const bool stopped = regions_.hydrationStoppedOnError() || paused_ || regions_.count(RegionCategory::Hydrating) == 0;
    return tr("Source error (%1) at region %2 (bytes %3–%4): %5")
        .arg(QString::fromLatin1(errorCodeName(ErrorCode(error->code))), loc.toString(qulonglong(error->region)),
             formatBytes(double(b)), formatBytes(double(e)),
             stopped ? tr("hydration stopped; resume to retry.") : tr("hydration continues with other regions."));
}

void HydrationDashboardPage::refreshChart(int64_t nowNs) {
    if (!chartEpochNs_) chartEpochNs_ = nowNs;
    if (nowNs - lastChartNs_ < kChartStepNs) return;
    lastChartNs_ = nowNs;
    const double t = double(nowNs - chartEpochNs_) * 1e-9;
    hydrationPoints_.emplace_back(t, hydrationRate_.rate() / kMiB);
    foregroundPoints_.emplace_back(t, foregroundRate_.rate() / kMiB);
    while (!hydrationPoints_.empty() && hydrationPoints_.front().x() < t - kChartSeconds) hydrationPoints_.pop_front();
    while (!foregroundPoints_.empty() && foregroundPoints_.front().x() < t - kChartSeconds) foregroundPoints_.pop_front();
    if (!chartView_->isVisible()) return;
    double top = 1;
    QList<QPointF> h, f;
    for (const QPointF& p : hydrationPoints_) h << QPointF(p.x() - t, p.y()), top = std::max(top, p.y());
    for (const QPointF& p : foregroundPoints_) f << QPointF(p.x() - t, p.y()), top = std::max(top, p.y());
    hydrationSeries_->replace(h);
    foregroundSeries_->replace(f);
    axisY_->setRange(0, top * 1.15);
}

void HydrationDashboardPage::setPausedState(bool paused) {
    paused_ = paused;
    pause_->setText(paused ? tr("Resume") : tr("Pause"));
}

void HydrationDashboardPage::clickPauseResume() {
    if (paused_) {
        setPausedState(false);
        emit resumeRequested();
    } else {
        setPausedState(true);
        emit pauseRequested();
    }
    refreshNumbers(steadyNowNs());
}

void HydrationDashboardPage::setTuning(uint32_t threshold, uint32_t batch) {
    threshold_->setValue(int(threshold));
    batch_->setValue(int(batch));
}

QString HydrationDashboardPage::noteText() const { return note_->text(); }
QString HydrationDashboardPage::hoverText() const { return hover_->text(); }

void HydrationDashboardPage::wire(const PageContext& context) {
    EngineBridge* bridge = context.bridge;
    if (!bridge) return;
    const std::string id = context.device.id.toStdString();
    // Direct: the frame's events are the bridge's buffer, valid during the signal only.
    connect(bridge, &EngineBridge::frame, this, [this](const LiveFrame& frame) {
        lastFrameNs_ = frame.nowNs;
        applyFrame(frame);
    }, Qt::DirectConnection);
    // The bridge sends no frame when nothing happened; ages, rates and lingering rows still move.
    auto* idle = new QTimer(this);
    connect(idle, &QTimer::timeout, this, [this] {
        const int64_t now = steadyNowNs();
        if (now - lastFrameNs_ < kIdleFrameNs) return;
        lastFrameNs_ = now;
        applyFrame(LiveFrame{{}, now, 0});
    });
    idle->start(int(kIdleFrameNs / 1'000'000));
    // The clone's foreground I/O counter (every user read and write), 4 times a second while
    // the page is visible, one call in flight at most.
    auto* foreground = new QTimer(this);
    auto polling = std::make_shared<bool>(false);
    connect(foreground, &QTimer::timeout, this, [this, bridge, id, polling] {
        if (!isVisible() || *polling) return;
        *polling = true;
        struct Io {
            uint64_t bytes = 0;
            int64_t atNs = 0;
            bool open = false;
        };
        bridge->call<Io>(this, QString(), [id](Engine& engine) -> Result<Io> {
            LS_ASSIGN(CloneInfo info, engine.clone(id));
            return Io{info.foregroundBytesRead + info.foregroundBytesWritten, steadyNowNs(), info.open};
        }, [this, polling](const Result<Io>& r) {
            *polling = false;
            if (r.ok() && r.value().open) setForegroundBytes(r.value().bytes, r.value().atNs);
        });
    });
    foreground->start(250);
    struct Sync {
        CloneInfo info;
        CloneRegionMap map;
        int64_t sampledAtNs = 0;
    };
    connect(this, &HydrationDashboardPage::resyncRequested, this, [this, bridge, id] {
        bridge->call<Sync>(this, QString(), [id](Engine& engine) -> Result<Sync> {
            LS_TRY(engine.openDevice(id));  // the region map is live state: the clone must be open here
            Sync s;
            LS_ASSIGN(s.info, engine.clone(id));
            LS_ASSIGN(s.map, engine.cloneRegionMap(id));
            s.sampledAtNs = steadyNowNs();  // events stamped before this are in the sample
            return s;
        }, [this](const Result<Sync>& r) {
            resyncPending_ = false;
            if (!r.ok()) {
                note_->setText(tr("The dashboard cannot follow this clone: %1").arg(QString::fromStdString(r.error().message)));
                return;
            }
            setClone(r.value().info);
            resync(r.value().map, QString(), r.value().sampledAtNs);
        });
    });
    // Pause and resume, tuning: EngineBridge routes them (the userspace job of this clone, or
    // dm-clone's messages through loopsnap-helper for a kernel clone); errors go to the message area.
    const QString cloneId = context.device.id;
    connect(this, &HydrationDashboardPage::pauseRequested, this, [bridge, cloneId, this] { bridge->setHydration(cloneId, false, this); });
    connect(this, &HydrationDashboardPage::resumeRequested, this, [bridge, cloneId, this] { bridge->setHydration(cloneId, true, this); });
    connect(this, &HydrationDashboardPage::tuningRequested, this, [bridge, cloneId, this](quint32 threshold, quint32 batch) {
        bridge->tuneHydration(cloneId, HydrationTuning{threshold, batch}, this);
    });
    requestResync(QString());
}

void registerHydrationDashboardPage() {
    PageSpec spec;
    spec.id = QStringLiteral("hydration");
    spec.title = QCoreApplication::translate("Pages", "Hydration dashboard");
    spec.toolTip = QCoreApplication::translate("Pages", "A clone's regions, rate and source health, live");
    spec.shortcut = QKeySequence(Qt::CTRL | Qt::Key_2);
    spec.subject = PageSubject::Clone;
    spec.create = [](const PageContext& context, QWidget* parent) -> QWidget* { return new HydrationDashboardPage(context, parent); };
    registerPage(std::move(spec));
}

}  // namespace loopsnap::ui
