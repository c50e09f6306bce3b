#include "ui/pages/ExceptionMonitorPage.h"

#include <QCheckBox>

#include <algorithm>
#include <QCoreApplication>
#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include "ui/bridge/EngineBridge.h"
#include "ui/demo/DemoSession.h"
#include "ui/pages/PageRegistry.h"
#include "ui/widgets/AreaMapWidget.h"
#include "ui/widgets/CompletionOrderView.h"
#include "ui/widgets/MapLegend.h"

namespace loopsnap::ui {

namespace {
constexpr int64_t kIdleFrameNs = 100'000'000;  // an empty frame after 100 ms without one
}

namespace {
enum { InFlight, Waiting, Committed, OutOfOrder, AreaWrites, Usage };
}

ExceptionMonitorPage::ExceptionMonitorPage(QWidget* parent) : QWidget(parent) { build(); }

ExceptionMonitorPage::ExceptionMonitorPage(const PageContext& context, QWidget* parent) : QWidget(parent) {
    build();
    wire(context);
}

void ExceptionMonitorPage::build() {
    auto* layout = new QVBoxLayout(this);
    title_ = new QLabel(tr("Exception monitor"), this);
    QFont f = title_->font();
    f.setBold(true);
    f.setPointSizeF(f.pointSizeF() * 1.2);
    title_->setFont(f);
    layout->addWidget(title_);

    auto* grid = new QGridLayout;
    const QString names[] = {tr("In flight"), tr("Waiting out of order"), tr("Committed"), tr("Finished out of order"),
                             tr("Area writes"), tr("COW usage")};
    for (int i = 0; i < 6; ++i) {
        auto* name = new QLabel(names[i], this);
        name->setForegroundRole(QPalette::PlaceholderText);
        grid->addWidget(name, 0, i);
        counters_[i] = new QLabel(QStringLiteral("0"), this);
        QFont cf = counters_[i]->font();
        cf.setPointSizeF(cf.pointSizeF() * 1.4);
        counters_[i]->setFont(cf);
        grid->addWidget(counters_[i], 1, i);
    }
    cowUsage_ = new QProgressBar(this);
    cowUsage_->setRange(0, 1000);
    cowUsage_->setTextVisible(false);
    cowUsage_->setMaximumHeight(8);
    grid->addWidget(cowUsage_, 2, Usage);
    layout->addLayout(grid);

    legacy_ = new QCheckBox(tr("Legacy ordering: the pre-fix kernel behaviour (before commit 230c83afdd9c)"), this);
    legacy_->setToolTip(tr("Commits records in the order copies finish, as kernels before 230c83afdd9c did. "
                           "A crash can then leak COW chunks: the crash lab view shows it. Demo devices only."));
    legacyNote_ = new QLabel(tr("Commits follow completion order: a crash between two commits can leak COW space."), this);
    legacyNote_->setStyleSheet(QStringLiteral("color: #b0301e"));
    legacy_->hide();
    legacyNote_->hide();
    connect(legacy_, &QCheckBox::toggled, this, [this](bool on) {
        legacyNote_->setVisible(on);
        completion_->setLegacyOrdering(on);
        emit legacyOrderingRequested(on);
    });
    layout->addWidget(legacy_);
    layout->addWidget(legacyNote_);

    auto* split = new QSplitter(Qt::Horizontal, this);
    table_ = new QTableView(split);
    table_->setModel(&model_);
    table_->verticalHeader()->hide();
    table_->setSelectionMode(QAbstractItemView::NoSelection);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    table_->setMinimumWidth(table_->fontMetrics().horizontalAdvance(QStringLiteral("Sequence Origin chunk COW chunk copied, waiting for #00000 Age 000.0 ms")) + 90);
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
    auto* right = new QWidget(split);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    completion_ = new CompletionOrderView(right);
    rightLayout->addWidget(completion_, 3);
    auto* areaTitle = new QLabel(tr("COW store: header, metadata areas and data chunks (the area being written outlined)"), right);
    areaTitle->setWordWrap(true);
    rightLayout->addWidget(areaTitle);
    areaMap_ = new AreaMapWidget(right);
    rightLayout->addWidget(areaMap_, 2);
    areaLegend_ = new MapLegend(right);
    QStringList names2;
    for (int c = 0; c < kAreaCategoryCount - 1; ++c) names2 << AreaMapWidget::categoryName(c);
    areaLegend_->setEntries(AreaMapWidget::categoryColors().mid(0, kAreaCategoryCount - 1), names2);
    rightLayout->addWidget(areaLegend_);
    split->addWidget(table_);
    split->addWidget(right);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    layout->addWidget(split, 1);
    note_ = new QLabel(this);
    note_->setWordWrap(true);
    note_->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(note_);
}

void ExceptionMonitorPage::setSnapshot(const QString& title, bool demoDevice) {
    title_->setText(tr("Exception monitor — %1").arg(title));
    legacy_->setVisible(demoDevice);
}

QString ExceptionMonitorPage::noteText() const { return note_->text(); }

void ExceptionMonitorPage::setProblem(const QString& text) { note_->setText(text); }

void ExceptionMonitorPage::requestResync(const QString& why) {
    pendingWhy_ = why;
    if (resyncPending_) return;
    resyncPending_ = true;
    emit resyncRequested();
}

void ExceptionMonitorPage::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (stale_) requestResync(tr("Resynced from the engine's status after the view was hidden."));
}

void ExceptionMonitorPage::applyFrame(const LiveFrame& frame) {
    if (!isVisible()) {  // hidden views do not update; they resync when shown
        stale_ = true;
        return;
    }
    // Only this snapshot's drops make it re-read (events v2: drops are counted per source).
    if (const uint64_t lost = frame.lostFor(model_.source()))
        requestResync(tr("%n event(s) of this snapshot were dropped: resynced from the engine's status.", nullptr, int(lost)));
    model_.applyEvents(frame.events, frame.nowNs);
    if (area_.apply(frame.events)) pushAreaChanges();
    refreshCounters();
    refreshTrace(frame.nowNs);
    ++framesApplied_;
}

void ExceptionMonitorPage::pushAreaChanges() {
    for (auto [first, count] : area_.takeChanges()) areaMap_->cellsChanged(first, count);
    areaMap_->setAreaBeingWritten(area_.areaMetadataChunk(), area_.areaEnd());
}

void ExceptionMonitorPage::resync(const SnapshotTrace& trace, const StoreLayout& layout, const QString& note, int64_t sampledAtNs) {
    resyncPending_ = false;
    stale_ = false;
    ++resyncs_;
    const int64_t now = steadyNowNs();
    if (model_.source() != trace.eventSource) model_.setSource(trace.eventSource);
    model_.resync(trace, now, sampledAtNs);
    area_.setSource(trace.eventSource);
    area_.reset(layout);
    area_.takeChanges();
    areaMap_->setChunkBytes(layout.chunkBytes);
    areaMap_->setCells(area_.chunks());
    legacy_->blockSignals(true);
    legacy_->setChecked(trace.legacyCompletionOrder);
    legacy_->blockSignals(false);
    legacyNote_->setVisible(trace.legacyCompletionOrder);
    completion_->setLegacyOrdering(trace.legacyCompletionOrder);
    note_->setText(note.isEmpty() ? pendingWhy_ : note);
    refreshCounters();
}

void ExceptionMonitorPage::refreshCounters() {
    const QLocale loc;
    const ExceptionCounters& c = model_.counters();
    counters_[InFlight]->setText(loc.toString(qulonglong(c.inFlight)));
    counters_[Waiting]->setText(loc.toString(qulonglong(c.waitingOutOfOrder)));
    counters_[Committed]->setText(loc.toString(qulonglong(c.committed)));
    counters_[OutOfOrder]->setText(loc.toString(qulonglong(c.finishedOutOfOrder)));
    counters_[AreaWrites]->setText(loc.toString(qulonglong(c.areaWrites)));
    const uint64_t total = area_.totalChunks(), used = area_.usedChunks();
    counters_[Usage]->setText(total ? tr("%1 / %2 chunks").arg(loc.toString(qulonglong(used)), loc.toString(qulonglong(total)))
                                    : tr("unknown"));
    cowUsage_->setValue(total ? int(used * 1000 / total) : 0);
}

void ExceptionMonitorPage::refreshTrace(int64_t nowNs) {
    const CompletionTrace& t = model_.trace();
    std::vector<CompletionMark> marks(t.marks.begin(), t.marks.end());
    std::vector<CommitPoint> commits(t.commits.begin(), t.commits.end());
    const double now = t.epochNs ? t.seconds(nowNs) : 0;
    // The last windowSeconds_, narrowed to the data so a short burst is not squeezed at "now".
    double earliest = now;
    if (!marks.empty()) earliest = std::min(earliest, marks.front().finishedAt);
    if (!commits.empty()) earliest = std::min(earliest, commits.front().at);
    const double span = std::clamp(now - earliest, 0.5, windowSeconds_);
    completion_->setTrace(marks, commits, now - span, now);
}

void ExceptionMonitorPage::wire(const PageContext& context) {
    EngineBridge* bridge = context.bridge;
    const QString id = context.device.id;
    if (!bridge) return;
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
    struct Sync {
        SnapshotInfo info;
        SnapshotTrace trace;
        StoreLayout layout;
        int64_t sampledAtNs = 0;
    };
    connect(this, &ExceptionMonitorPage::resyncRequested, this, [this, bridge, id] {
        bridge->call<Sync>(this, QString(), [sid = id.toStdString()](Engine& engine) -> Result<Sync> {
            LS_TRY(engine.openDevice(sid));  // the trace is live state: the snapshot must be open here
            Sync s;
            LS_ASSIGN(s.info, engine.snapshot(sid));
            LS_ASSIGN(s.trace, engine.snapshotTrace(sid));
            s.sampledAtNs = steadyNowNs();  // events stamped before this are in the sample
            LS_ASSIGN(s.layout, engine.storeLayout(sid));
            return s;
        }, [this](const Result<Sync>& r) {
            resyncPending_ = false;
            if (!r.ok()) {
                setProblem(tr("The exception monitor cannot follow this snapshot: %1").arg(QString::fromStdString(r.error().message)));
                return;
            }
            const QString cow = QString::fromStdString(r.value().info.cowPath);
            setSnapshot(cow, DemoSession::isDemoPath(cow) || r.value().trace.legacyCompletionOrder);
            resync(r.value().trace, r.value().layout, QString(), r.value().sampledAtNs);
        });
    });
    // The switch reaches the running engine (this snapshot only); the resync then reads the
    // order back from the engine's trace.
    connect(this, &ExceptionMonitorPage::legacyOrderingRequested, this, [this, bridge, id](bool legacy) {
        bridge->call<bool>(this, tr("Switch the commit order"), [sid = id.toStdString(), legacy](Engine& engine) -> Result<bool> {
            LS_TRY(engine.setLegacyCompletionOrder(sid, legacy));
            return legacy;
        }, [this](const Result<bool>& r) {
            requestResync(!r.ok() ? QString()
                          : r.value() ? tr("Legacy ordering on: commits now follow completion order (the pre-fix kernel behaviour).")
                                      : tr("Legacy ordering off: commits advance strictly in sequence again."));
        });
    });
    setSnapshot(id, false);
    requestResync(QString());
}

void registerExceptionMonitorPage() {
    PageSpec spec;
    spec.id = QStringLiteral("exceptions");
    spec.title = QCoreApplication::translate("Pages", "Exception monitor");
    spec.toolTip = QCoreApplication::translate("Pages", "Pending exceptions, completion order and the COW store, live");
    spec.shortcut = QKeySequence(Qt::CTRL | Qt::Key_1);
    spec.subject = PageSubject::Snapshot;
    spec.create = [](const PageContext& context, QWidget* parent) -> QWidget* { return new ExceptionMonitorPage(context, parent); };
    registerPage(std::move(spec));
}

}  // namespace loopsnap::ui
