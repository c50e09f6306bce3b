#include "ui/pages/CrashLabPage.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QFontDatabase>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>

#include "ui/bridge/EngineBridge.h"
#include "ui/bridge/SubprocessCrashTestRunner.h"
#include "ui/pages/PageRegistry.h"
#include "ui/text/ErrorText.h"
#include "ui/widgets/AreaMapWidget.h"
#include "ui/widgets/MapLegend.h"

namespace loopsnap::ui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
QString num(uint64_t n) { return QLocale().toString(qulonglong(n)); }
}  // namespace

CrashLabPage::CrashLabPage(const PageContext& context, QWidget* parent) : CrashLabPage(context.bridge, parent) {}

CrashLabPage::CrashLabPage(EngineBridge* bridge, QWidget* parent) : QWidget(parent), bridge_(bridge) {
    setObjectName(QStringLiteral("crashLab"));
    build();
    pollTimer_.setInterval(250);
    connect(&pollTimer_, &QTimer::timeout, this, &CrashLabPage::poll);
}

void CrashLabPage::build() {
    auto* layout = new QVBoxLayout(this);
    auto* title = new QLabel(tr("Crash lab"), this);
    QFont f = title->font();
    f.setBold(true);
    f.setPointSizeF(f.pointSizeF() * 1.2);
    title->setFont(f);
    layout->addWidget(title);
    auto* intro = new QLabel(tr("Records a seeded workload's writes and flushes, then checks every crash state: what the disk may hold "
                                "after a power cut at each point, reopened and checked against the invariants."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Scenario:"), this));
    scenario_ = new QComboBox(this);
    scenario_->addItem(tr("Snapshot (origin writes with concurrent copies)"), QStringLiteral("snapshot"));
    scenario_->addItem(tr("Clone (hydration and user writes)"), QStringLiteral("clone"));
    scenario_->addItem(tr("Merge (rollback with a second snapshot)"), QStringLiteral("merge"));
    // Long (translated) scenario names elide instead of widening the window.
    scenario_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    scenario_->setMinimumContentsLength(28);
    controls->addWidget(scenario_, 1);
    controls->addWidget(new QLabel(tr("Seed:"), this));
    seed_ = new QSpinBox(this);
    seed_->setRange(1, 999999);
    seed_->setValue(1);
    controls->addWidget(seed_);
    controls->addWidget(new QLabel(tr("Operations:"), this));
    ops_ = new QSpinBox(this);
    ops_->setRange(0, 100000);
    ops_->setSpecialValueText(tr("default"));
    ops_->setValue(0);
    controls->addWidget(ops_);
    legacy_ = new QCheckBox(tr("Legacy order (pre-fix kernel)"), this);
    controls->addWidget(legacy_);
    run_ = new QPushButton(tr("&Run"), this);
    cancel_ = new QPushButton(tr("&Cancel"), this);
    cancel_->setEnabled(false);
    controls->addWidget(run_);
    controls->addWidget(cancel_);
    layout->addLayout(controls);

    explanation_ = new QLabel(this);
    explanation_->setWordWrap(true);
    explanation_->setObjectName(QStringLiteral("explanation"));
    explanation_->setFrameShape(QFrame::StyledPanel);
    explanation_->setMargin(6);
    layout->addWidget(explanation_);

    auto* progressRow = new QHBoxLayout;
    bar_ = new QProgressBar(this);
    bar_->setRange(0, 1000);
    bar_->setValue(0);
    bar_->setMaximumWidth(320);
    progressRow->addWidget(bar_);
    progress_ = new QLabel(tr("Not run yet."), this);
    progressRow->addWidget(progress_, 1);
    layout->addLayout(progressRow);

    verdict_ = new QLabel(this);
    QFont vf = verdict_->font();
    vf.setBold(true);
    vf.setPointSizeF(vf.pointSizeF() * 1.3);
    verdict_->setFont(vf);
    layout->addWidget(verdict_);
    summary_ = new QLabel(this);
    summary_->setWordWrap(true);
    layout->addWidget(summary_);
    finding_ = new QLabel(this);
    finding_->setWordWrap(true);
    finding_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(finding_);

    auto* split = new QHBoxLayout;
    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    traceTitle_ = new QLabel(tr("Last log entries before the crash point:"), left);
    leftLayout->addWidget(traceTitle_);
    trace_ = new QPlainTextEdit(left);
    trace_->setReadOnly(true);
    trace_->setLineWrapMode(QPlainTextEdit::NoWrap);
    trace_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    leftLayout->addWidget(trace_, 1);
    trace_->setMinimumWidth(trace_->fontMetrics().horizontalAdvance(QLatin1Char('x')) * 64);
    auto* right = new QWidget(this);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    mapTitle_ = new QLabel(tr("COW store in the crash state, the leaked chunks marked:"), right);
    mapTitle_->setWordWrap(true);
    rightLayout->addWidget(mapTitle_);
    map_ = new AreaMapWidget(right);
    rightLayout->addWidget(map_, 1);
    legend_ = new MapLegend(right);
    QStringList names;
    QVector<QColor> colors;
    for (int c : {int(AreaCategory::Header), int(AreaCategory::Metadata), int(AreaCategory::DataCommitted), int(AreaCategory::Free),
                  int(AreaCategory::Leaked)}) {
        names << AreaMapWidget::categoryName(c);
        colors << AreaMapWidget::categoryColors().value(c);
    }
    legend_->setEntries(colors, names);
    rightLayout->addWidget(legend_);
    split->addWidget(left, 1);
    split->addWidget(right, 1);
    layout->addLayout(split, 1);
    traceTitle_->hide();
    trace_->hide();
    right->hide();

    connect(scenario_, &QComboBox::currentIndexChanged, this, &CrashLabPage::updateExplanation);
    connect(legacy_, &QCheckBox::toggled, this, &CrashLabPage::updateExplanation);
    connect(run_, &QPushButton::clicked, this, &CrashLabPage::run);
    connect(cancel_, &QPushButton::clicked, this, &CrashLabPage::cancel);
    updateExplanation();
}

QString CrashLabPage::explanationText() const {
    const QString s = scenario_->currentData().toString();
    if (s == QLatin1String("snapshot"))
        return tr("Legacy order reverts kernel commit 230c83afdd9c: exception records are committed in the order copies finish, so a "
                  "crash can leave a later chunk's record on disk without an earlier one's, and that earlier chunk is leaked for good.\n"
                  "The fixed order commits records strictly in allocation order (early finishers wait), so what is on disk is always "
                  "a prefix of the allocations and no crash leaks a chunk.");
    if (s == QLatin1String("clone"))
        return tr("Legacy order reverts kernel commit 8b3fd1f5: the clone's metadata is committed before the destination is flushed, "
                  "so a crash can keep \"hydrated\" for a region whose data was still in the disk's cache: the clone reads garbage.\n"
                  "The fixed order freezes the changes, flushes the destination, then writes the metadata, so a region is marked "
                  "hydrated on disk only once its data is durable.");
    return tr("Legacy order clears merged records before the origin is flushed (the kernel's snapshot-merge flushes first): a crash "
              "can drop the copied chunk from the origin while its record is already gone, and the rollback loses it.\n"
              "The fixed order flushes the origin before each batch's records are cleared, so every cleared chunk is already durable "
              "on the origin and a resumed merge finishes the rest.");
}

void CrashLabPage::updateExplanation() {
    QString text = explanationText();
    if (legacy_->isChecked()) text = tr("Legacy order is ON: the check is expected to find the hole.") + QLatin1Char('\n') + text;
    explanation_->setText(text);
}

void CrashLabPage::setScenario(const QString& scenario) {
    const int i = scenario_->findData(scenario);
    if (i >= 0) scenario_->setCurrentIndex(i);
}
void CrashLabPage::setSeed(uint64_t seed) { seed_->setValue(int(seed)); }
void CrashLabPage::setOps(uint64_t ops) { ops_->setValue(int(ops)); }
void CrashLabPage::setLegacy(bool legacy) { legacy_->setChecked(legacy); }

void CrashLabPage::setRunning(bool running) {
    run_->setEnabled(!running);
    cancel_->setEnabled(running);
    scenario_->setEnabled(!running);
    seed_->setEnabled(!running);
    ops_->setEnabled(!running);
    legacy_->setEnabled(!running);
}

void CrashLabPage::run() {
    if (jobId_ || !run_->isEnabled()) return;
    CrashTestRequest request;
    request.scenario = scenario_->currentData().toString().toStdString();
    request.seed = uint64_t(seed_->value());
    request.ops = uint64_t(ops_->value());
    request.legacy = legacy_->isChecked();
    outcome_.reset();
    error_.clear();
    cancelled_ = false;
    lastStates_ = 0;
    lastAt_ = 0;
    perSecond_ = 0;
    job_ = JobInfo{};
    verdict_->clear();
    summary_->clear();
    finding_->clear();
    trace_->clear();
    traceTitle_->hide();
    trace_->hide();
    map_->parentWidget()->hide();
    bar_->setRange(0, 0);  // busy until the first estimate
    progress_->setText(tr("Recording the workload…"));
    setRunning(true);
    bridge_->call<uint64_t>(this, QStringLiteral("crashtest"), [request](Engine& e) -> Result<uint64_t> {
        auto job = e.startCrashTest(request);
        if (!job.ok() && job.error().detail == "no-crashtest-runner") {
            // The app's runner (the GUI does not link the crash lab): loopsnapctl in a child process.
            e.setCrashTestRunner(subprocessCrashTestRunner());
            job = e.startCrashTest(request);
        }
        return job;
    }, [this](const Result<uint64_t>& r) {
        if (!r.ok()) return showError(errorText(r.error()));
        jobId_ = r.value();
        clock_.start();
        pollTimer_.start();
    });
}

void CrashLabPage::cancel() {
    if (!jobId_) return;
    cancelled_ = true;
    cancel_->setEnabled(false);
    progress_->setText(tr("Cancelling…"));
    bridge_->call<bool>(this, QString(), [id = jobId_](Engine& e) -> Result<bool> {
        Status s = e.cancelJob(id);
        if (!s.ok()) return std::move(s).error();
        return true;
    });
}

QString CrashLabPage::progressText() const {
    const JobProgress& p = job_.progress;
    QString text = tr("%1 crash states checked").arg(num(p.done));
    if (p.total > p.done) text += QStringLiteral(" ") + tr("of about %1").arg(num(p.total));
    text += QStringLiteral(" · ") + tr("%1 per second").arg(num(uint64_t(perSecond_)));
    return text;
}

void CrashLabPage::poll() {
    if (!jobId_ || pollInFlight_) return;
    pollInFlight_ = true;
    bridge_->call<JobInfo>(this, QString(), [id = jobId_](Engine& e) { return e.job(id); }, [this](const Result<JobInfo>& r) {
        pollInFlight_ = false;
        if (!r.ok()) return showError(errorText(r.error()));
        job_ = r.value();
        const double now = clock_.elapsed() / 1000.0;
        if (now - lastAt_ >= 0.2 && job_.progress.done >= lastStates_) {
            const double rate = double(job_.progress.done - lastStates_) / (now - lastAt_);
            perSecond_ = lastAt_ == 0 ? rate : 0.6 * perSecond_ + 0.4 * rate;
            lastStates_ = job_.progress.done;
            lastAt_ = now;
        }
        if (job_.progress.total > 0) {
            bar_->setRange(0, 1000);
            bar_->setValue(int(1000.0 * double(std::min(job_.progress.done, job_.progress.total)) / double(job_.progress.total)));
        }
        if (!cancelled_ || job_.progress.done) progress_->setText(progressText());
        if (!jobStateFinal(job_.state)) return;
        pollTimer_.stop();
        if (job_.state == JobState::Finished) return fetchOutcome();
        const bool wasCancelled = job_.state == JobState::Cancelled;
        QString why = job_.error ? errorText(*job_.error) : QString();
        jobId_ = 0;
        setRunning(false);
        bar_->setRange(0, 1000);
        if (wasCancelled) {
            verdict_->setText(tr("Cancelled"));
            verdict_->setStyleSheet(QString());
            summary_->setText(tr("Stopped after %1 crash states; no violation up to then.").arg(num(job_.progress.done)));
            emit finished();
            return;
        }
        showError(why);
    });
}

void CrashLabPage::fetchOutcome() {
    bridge_->call<CrashTestOutcome>(this, QString(), [id = jobId_](Engine& e) { return e.crashTestOutcome(id); },
                                    [this](const Result<CrashTestOutcome>& r) {
                                        jobId_ = 0;
                                        setRunning(false);
                                        if (!r.ok()) return showError(errorText(r.error()));
                                        outcome_ = r.value();
                                        showOutcome();
                                    });
}

void CrashLabPage::showError(const QString& text) {
    jobId_ = 0;
    pollTimer_.stop();
    setRunning(false);
    bar_->setRange(0, 1000);
    bar_->setValue(0);
    error_ = text;
    verdict_->setText(tr("The crash test did not run to its end"));
    verdict_->setStyleSheet(QStringLiteral("color: #b0301e"));
    summary_->setText(text);
    emit finished();
}

QString CrashLabPage::verdictText() const { return verdict_->text(); }
QString CrashLabPage::summaryText() const { return summary_->text(); }
QString CrashLabPage::findingText() const { return finding_->text(); }
QString CrashLabPage::traceText() const { return trace_->toPlainText(); }

void CrashLabPage::showOutcome() {
    const CrashTestOutcome& o = *outcome_;
    bar_->setRange(0, 1000);
    bar_->setValue(1000);
    job_.progress.done = o.statesChecked;
    job_.progress.total = o.statesChecked;
    if (o.seconds > 0) perSecond_ = double(o.statesChecked) / o.seconds;
    progress_->setText(progressText());
    summary_->setText(tr("%1 crash states checked at %2 crash points in %3 s.")
                          .arg(num(o.statesChecked), num(o.crashPoints), QLocale().toString(o.seconds, 'f', 2)));
    if (!o.violation) {
        verdict_->setText(tr("No violation"));
        verdict_->setStyleSheet(QStringLiteral("color: #1e7b34"));
        finding_->setText(tr("Every crash state reopened cleanly and kept every invariant."));
        emit finished();
        return;
    }
    verdict_->setText(tr("Violation of %1").arg(q(o.invariant)));
    verdict_->setStyleSheet(QStringLiteral("color: #b0301e"));
    QString finding = q(o.detail);
    if (!o.leakedChunks.empty()) {
        QStringList chunks;
        for (uint64_t c : o.leakedChunks) chunks << num(c);
        finding += QLatin1Char('\n') + tr("Leaked COW chunk(s): %1", nullptr, int(o.leakedChunks.size())).arg(chunks.join(QStringLiteral(", ")));
    }
    if (o.garbageRegion) finding += QLatin1Char('\n') + tr("Region that read garbage: %1").arg(num(*o.garbageRegion));
    finding_->setText(finding);
    if (!o.trace.empty()) {
        trace_->setPlainText(q(o.trace));
        traceTitle_->show();
        trace_->show();
    }
    if (o.leakStore && o.leakStore->totalChunks > 0) {
        const StoreLayout& s = *o.leakStore;
        cells_.assign(size_t(s.totalChunks), uint8_t(AreaCategory::Free));
        for (uint64_t c = 0; c < std::min(s.nextFreeChunk, s.totalChunks); ++c) cells_[c] = uint8_t(AreaCategory::DataCommitted);
        for (uint64_t m : s.metadataChunks)
            if (m < s.totalChunks) cells_[m] = uint8_t(AreaCategory::Metadata);
        cells_[0] = uint8_t(AreaCategory::Header);
        for (uint64_t c : o.leakedChunks)
            if (c < s.totalChunks) cells_[c] = uint8_t(AreaCategory::Leaked);
        map_->setChunkBytes(s.chunkBytes);
        map_->setCells(cells_);
        map_->parentWidget()->show();
    }
    emit finished();
}

void registerCrashLabPage() {
    PageSpec spec;
    spec.id = QStringLiteral("crashlab");
    spec.title = QCoreApplication::translate("Pages", "&Crash lab");
    spec.toolTip = QCoreApplication::translate("Pages", "Check every crash state of a recorded workload, with or without the kernel fixes");
    spec.shortcut = QKeySequence(Qt::CTRL | Qt::Key_3);
    spec.subject = PageSubject::None;
    spec.screenshotDelayMs = 500;
    spec.create = [](const PageContext& context, QWidget* parent) -> QWidget* { return new CrashLabPage(context, parent); };
    registerPage(std::move(spec));
}

}  // namespace loopsnap::ui
