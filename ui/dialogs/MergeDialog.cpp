#include "ui/dialogs/MergeDialog.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include "core/engine/engine.h"
#include "ui/bridge/EngineBridge.h"
#include "ui/bridge/HelperBridge.h"
#include "ui/pages/PageRegistry.h"
#include "ui/text/ErrorText.h"
#include "ui/text/Sizes.h"

namespace loopsnap::ui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
QString sizeText(uint64_t bytes) { return formatBytes(double(bytes)); }
QString fileName(const std::string& path) { return QFileInfo(q(path)).fileName(); }

QString durationText(double seconds) {
    if (seconds < 0) return MergeDialog::tr("unknown");
    const qint64 s = qint64(seconds + 0.5);
    if (s < 60) return MergeDialog::tr("%n s", nullptr, int(s));
    if (s < 3600) return MergeDialog::tr("%1 min %2 s").arg(s / 60).arg(s % 60);
    return MergeDialog::tr("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
}

Result<bool> asResult(Status s) {
    if (!s.ok()) return std::move(s).error();
    return true;
}
}  // namespace

MergeDialog::MergeDialog(const PageContext& context, QWidget* parent) : MergeDialog(context.bridge, context.device.id, parent) {}

MergeDialog::MergeDialog(EngineBridge* bridge, const QString& snapshotId, QWidget* parent)
    : QDialog(parent), bridge_(bridge), snapshotId_(snapshotId) {
    setWindowTitle(tr("Rollback"));
    setObjectName(QStringLiteral("mergeDialog"));
    build();
    pollTimer_.setInterval(250);
    connect(&pollTimer_, &QTimer::timeout, this, &MergeDialog::poll);
    recheckTimer_.setInterval(1000);
    recheckTimer_.setSingleShot(true);
    connect(&recheckTimer_, &QTimer::timeout, this, &MergeDialog::replan);
    connect(bridge_, &EngineBridge::frame, this, &MergeDialog::onEvents);
    replan();
}

void MergeDialog::build() {
    setMinimumWidth(640);
    auto* layout = new QVBoxLayout(this);
    heading_ = new QLabel(tr("Reading the snapshot…"), this);
    QFont f = heading_->font();
    f.setBold(true);
    f.setPointSizeF(f.pointSizeF() * 1.15);
    heading_->setFont(f);
    heading_->setWordWrap(true);
    layout->addWidget(heading_);
    planLabel_ = new QLabel(this);
    planLabel_->setWordWrap(true);
    planLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(planLabel_);
    othersLabel_ = new QLabel(this);
    othersLabel_->setWordWrap(true);
    layout->addWidget(othersLabel_);
    refusal_ = new QLabel(this);
    refusal_->setWordWrap(true);
    refusal_->setObjectName(QStringLiteral("refusal"));
    refusal_->setStyleSheet(QStringLiteral("color: #b0301e"));
    refusal_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    refusal_->hide();
    layout->addWidget(refusal_);

    bar_ = new QProgressBar(this);
    bar_->setRange(0, 1000);
    bar_->setValue(0);
    layout->addWidget(bar_);
    progressLabel_ = new QLabel(this);
    progressLabel_->setWordWrap(true);
    layout->addWidget(progressLabel_);
    batchesTitle_ = new QLabel(tr("Batches merged (each one durable before the next starts):"), this);
    layout->addWidget(batchesTitle_);
    batchList_ = new QListWidget(this);
    batchList_->setMinimumHeight(120);
    batchList_->setSelectionMode(QAbstractItemView::NoSelection);
    layout->addWidget(batchList_, 1);
    resultLabel_ = new QLabel(this);
    resultLabel_->setWordWrap(true);
    layout->addWidget(resultLabel_);

    auto* buttons = new QHBoxLayout;
    recheck_ = new QPushButton(tr("Check &again"), this);
    start_ = new QPushButton(tr("&Start rollback"), this);
    pause_ = new QPushButton(tr("&Pause"), this);
    stop_ = new QPushButton(tr("S&top"), this);
    keep_ = new QPushButton(tr("&Keep the empty store"), this);
    remove_ = new QPushButton(tr("&Remove the store"), this);
    close_ = new QPushButton(tr("&Close"), this);
    buttons->addWidget(recheck_);
    buttons->addStretch(1);
    for (QPushButton* b : {start_, pause_, stop_, keep_, remove_, close_}) buttons->addWidget(b);
    layout->addLayout(buttons);
    start_->setDefault(true);
    connect(recheck_, &QPushButton::clicked, this, &MergeDialog::replan);
    connect(start_, &QPushButton::clicked, this, &MergeDialog::startMerge);
    connect(pause_, &QPushButton::clicked, this, &MergeDialog::togglePause);
    connect(stop_, &QPushButton::clicked, this, &MergeDialog::stopMerge);
    connect(keep_, &QPushButton::clicked, this, &QDialog::accept);
    connect(remove_, &QPushButton::clicked, this, &MergeDialog::removeStore);
    connect(close_, &QPushButton::clicked, this, &QDialog::reject);
    setStage(Stage::Planning);
}

void MergeDialog::setStage(Stage s) {
    stage_ = s;
    const bool active = s == Stage::Running || s == Stage::Paused || s == Stage::Stopping;
    recheck_->setVisible(s == Stage::Refused || s == Stage::Ready || s == Stage::Failed);
    start_->setVisible(s == Stage::Ready || s == Stage::Refused || s == Stage::Stopped || s == Stage::Planning);
    start_->setEnabled((s == Stage::Ready && plan_ && (plan_->chunksToMerge > 0 || plan_->resumes)) || s == Stage::Stopped);
    start_->setText(s == Stage::Stopped || (plan_ && plan_->resumes) ? tr("&Resume rollback") : tr("&Start rollback"));
    pause_->setVisible(active && !kernel());
    pause_->setEnabled(s == Stage::Running || s == Stage::Paused);
    pause_->setText(s == Stage::Paused ? tr("&Resume") : tr("&Pause"));
    stop_->setVisible(active && !kernel());
    stop_->setEnabled(s == Stage::Running || s == Stage::Paused);
    keep_->setVisible(s == Stage::Finished);
    remove_->setVisible(s == Stage::Finished);
    close_->setVisible(s != Stage::Finished);
    refusal_->setVisible(s == Stage::Refused || (s == Stage::Failed && !refusal_->text().isEmpty()));
    bar_->setVisible(s != Stage::Planning && s != Stage::Refused && s != Stage::Ready);
    progressLabel_->setVisible(bar_->isVisible());
    batchesTitle_->setVisible(bar_->isVisible() && !kernel());
    batchList_->setVisible(bar_->isVisible() && !kernel());
    // Grow to show what this stage adds; never shrink what the user sized.
    const QSize hint = sizeHint().expandedTo(minimumSizeHint());
    if (hint.height() > height() || hint.width() > width()) resize(size().expandedTo(hint));
    close_->setToolTip(active ? tr("The rollback goes on without this window; quitting Loopsnap stops it safely between batches.")
                              : QString());
    emit stageChanged(s);
}

void MergeDialog::replan() {
    recheckTimer_.stop();
    // A periodic re-check while refused stays in the Refused stage until the answer changes.
    if (stage_ != Stage::Refused) setStage(Stage::Planning);
    if (kernel()) {
        bridge_->helper()->snapshotStatus(snapshotId_, this, [this](const Result<SnapshotInfo>& r) {
            if (stage_ != Stage::Planning && stage_ != Stage::Refused) return;
            if (!r.ok()) return planFailed(r.error());
            kernelPlan(r.value());
        });
        return;
    }
    bridge_->call<MergePlan>(this, QString(), [id = snapshotId_.toStdString()](Engine& e) { return planMerge(e, id); },
                             [this](const Result<MergePlan>& r) {
                                 if (stage_ != Stage::Planning && stage_ != Stage::Refused) return;  // started meanwhile
                                 if (!r.ok()) return planFailed(r.error());
                                 plan_ = r.value();
                                 showPlan();
                             });
}

// No plan (the snapshot is gone, the helper refused, ...): the reason in place of the plan.
void MergeDialog::planFailed(const Error& error) {
    plan_.reset();
    planError_ = errorText(error);
    heading_->setText(tr("This snapshot cannot be rolled back"));
    planLabel_->setText(planError_);
    refusal_->clear();
    setStage(Stage::Failed);
}

QString MergeDialog::planText() const {
    if (!plan_) return planError_;
    const MergePlan& p = *plan_;
    QString text = tr("Rolling back overwrites %1 (%2) with the snapshot's contents: %n chunk(s) of %3 differ, %4 to copy.",
                      nullptr, int(p.chunksToMerge))
                       .arg(q(p.originPath), sizeText(p.originBytes), sizeText(p.chunkBytes), sizeText(p.bytesToCopy));
    if (p.resumes)
        text += QLatin1Char(' ') + tr("A rollback of this snapshot was interrupted: it resumes where it stopped.");
    text += QLatin1Char(' ') +
            tr("The origin stays usable meanwhile and shows the snapshot's contents from the start. Afterwards %1 is an "
               "empty snapshot of the rolled-back origin.")
                .arg(fileName(p.cowPath));
    return text;
}

QString MergeDialog::othersText() const { return othersLabel_->text(); }

QString MergeDialog::refusalText() const {
    if (!plan_) return {};
    QStringList lines;
    for (const MergeRefusal& r : plan_->refusals) {
        switch (r.kind) {
        case MergeRefusalKind::Attached:
            lines << tr("%1 is attached as %2. Detach it before rolling back.").arg(q(r.path), q(r.device));
            break;
        case MergeRefusalKind::Mounted:
            lines << tr("%1 is mounted read-write at %2 (%3). Unmount it before rolling back.").arg(q(r.path), q(r.mountPoint), q(r.device));
            break;
        case MergeRefusalKind::Held:
            lines << tr("%1 is in use by process %2 (%3). Stop that program before rolling back.").arg(q(r.path)).arg(r.pid).arg(q(r.program));
            break;
        }
    }
    if (lines.isEmpty()) return {};
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n') + tr("Nothing was changed.");
}

void MergeDialog::showPlan() {
    const MergePlan& p = *plan_;
    heading_->setText(tr("Roll back %1 to the snapshot %2").arg(fileName(p.originPath), fileName(p.cowPath)));
    planLabel_->setText(planText());
    if (p.others.empty()) {
        othersLabel_->setText(tr("This origin has no other snapshots."));
    } else {
        QStringList names;
        for (const auto& o : p.others) names << (o.cowPath.empty() ? q(o.id) : fileName(o.cowPath));
        othersLabel_->setText(tr("The other snapshot(s) of this origin keep their contents: %1.", nullptr, int(p.others.size()))
                                  .arg(names.join(QStringLiteral(", "))));
    }
    refusal_->setText(refusalText());
    if (p.running && kernel()) {
        kernelTotal_ = std::max<uint64_t>(p.chunksToMerge, 1);
        return attachToJob(1);  // the helper's job; followed through Status
    }
    if (p.running) {
        // A merge of this engine already runs (the dialog was closed and opened again): follow it.
        for (const JobInfo& j : bridge_->registry().jobs)
            if (j.kind == JobKind::Merge && q(j.subjectId) == snapshotId_ && !jobStateFinal(j.state)) return attachToJob(j.id);
        bridge_->call<uint64_t>(this, QString(), [id = snapshotId_.toStdString()](Engine& e) -> Result<uint64_t> {
            for (const JobInfo& j : e.jobs())
                if (j.kind == JobKind::Merge && j.subjectId == id && !jobStateFinal(j.state)) return j.id;
            return makeError(ErrorCode::NotFound, "no merge job runs for " + id, id, "no-such-job");
        }, [this](const Result<uint64_t>& r) {
            if (r.ok()) attachToJob(r.value());
            else replan();
        });
        return;
    }
    if (p.allowed() && !p.resumes && p.chunksToMerge == 0)
        planLabel_->setText(tr("The snapshot holds no changes: %1 already has its contents, there is nothing to roll back.")
                                .arg(q(p.originPath)));
    setStage(p.allowed() ? Stage::Ready : Stage::Refused);
    // While refused, look again every second: the dialog notices when the holder is gone.
    if (!p.allowed()) recheckTimer_.start();
}

void MergeDialog::startMerge() {
    if (stage_ != Stage::Ready && stage_ != Stage::Stopped) return;
    start_->setEnabled(false);
    if (kernel()) {
        kernelTotal_ = plan_ ? plan_->chunksToMerge : 0;
        bridge_->helper()->merge(snapshotId_, this, [this](const Result<uint64_t>& r) {
            if (!r.ok()) {
                // The helper refused (something mounted, not authorised) or failed: say why.
                refusal_->setText(errorText(r.error()));
                emit bridge_->failed(r.error(), QStringLiteral("merge"));
                replan();
                return;
            }
            attachToJob(r.value() ? r.value() : 1);
        });
        return;
    }
    struct Started {
        uint64_t job = 0;
        uint32_t source = 0;
    };
    bridge_->call<Started>(this, QStringLiteral("merge"), [id = snapshotId_.toStdString()](Engine& e) -> Result<Started> {
        Started s;
        LS_ASSIGN(s.job, e.startMerge(id));
        auto trace = e.snapshotTrace(id);  // userspace only; else every merge batch is taken as ours
        if (trace.ok()) s.source = trace->eventSource;
        return s;
    }, [this](const Result<Started>& r) {
        bridge_->refresh();
        if (!r.ok()) {
            // Refused in the moment between plan and start (or another error): re-plan to say why.
            refusal_->setText(errorText(r.error()));
            replan();
            return;
        }
        eventSource_ = r.value().source;
        attachToJob(r.value().job);
    });
}

void MergeDialog::attachToJob(uint64_t jobId) {
    jobId_ = jobId;
    resultLabel_->clear();
    setStage(Stage::Running);
    progressLabel_->setText(tr("Starting…"));
    pollTimer_.start();
    poll();
}

void MergeDialog::poll() {
    if (!jobId_ || pollInFlight_) return;
    if (kernel()) return kernelPoll();
    pollInFlight_ = true;
    bridge_->call<JobInfo>(this, QString(), [id = jobId_](Engine& e) { return e.job(id); }, [this](const Result<JobInfo>& r) {
        pollInFlight_ = false;
        if (!r.ok()) {
            pollTimer_.stop();
            resultLabel_->setText(errorText(r.error()));
            setStage(Stage::Failed);
            return;
        }
        applyJob(r.value());
    });
}

QString MergeDialog::progressText() const {
    const JobProgress& p = job_.progress;
    const uint64_t left = p.total > p.done ? p.total - p.done : 0;
    QString text = tr("%n chunk(s) left", nullptr, int(left)) + QStringLiteral(" · ") +
                   tr("%1 of %2 copied").arg(sizeText(p.bytesDone), sizeText(p.bytesTotal));
    if (stage_ == Stage::Running) {
        text += QStringLiteral(" · ") + tr("%1/s").arg(sizeText(uint64_t(p.rateBytesPerSecond)));
        text += QStringLiteral(" · ") + tr("about %1 left").arg(durationText(p.etaSeconds));
    } else if (stage_ == Stage::Paused) {
        text += QStringLiteral(" · ") + tr("paused");
    }
    return text;
}

void MergeDialog::applyJob(const JobInfo& info) {
    job_ = info;
    const JobProgress& p = info.progress;
    bar_->setValue(p.total ? int(1000.0 * double(p.done) / double(p.total)) : (info.state == JobState::Finished ? 1000 : 0));
    switch (info.state) {
    case JobState::Pending:
    case JobState::Running: if (stage_ != Stage::Running) setStage(Stage::Running); break;
    case JobState::Paused: if (stage_ != Stage::Paused) setStage(Stage::Paused); break;
    case JobState::Stopping: if (stage_ != Stage::Stopping) setStage(Stage::Stopping); break;
    case JobState::Finished:
        pollTimer_.stop();
        resultLabel_->setText(resultText());
        setStage(Stage::Finished);
        bridge_->refresh();
        break;
    case JobState::Cancelled:
        pollTimer_.stop();
        if (plan_) plan_->resumes = true;
        resultLabel_->setText(resultText());
        setStage(Stage::Stopped);
        bridge_->refresh();
        break;
    case JobState::Failed:
        pollTimer_.stop();
        resultLabel_->setText(resultText());
        setStage(Stage::Failed);
        bridge_->refresh();
        break;
    }
    progressLabel_->setText(progressText());
}

QString MergeDialog::resultText() const {
    const QString cow = plan_ ? fileName(plan_->cowPath) : snapshotId_;
    const QString origin = plan_ ? fileName(plan_->originPath) : QString();
    switch (job_.state) {
    case JobState::Finished:
        return tr("Rolled back: %1 now holds the snapshot's contents (%n chunk(s) merged). %2 is an empty snapshot again: keep it "
                  "to take the next changes, or remove its files.", nullptr, int(job_.progress.done))
            .arg(origin, cow);
    case JobState::Cancelled:
        return tr("Stopped after %1 of %2 chunks. %3 is partly rolled back and still shows the snapshot; Resume rollback "
                  "finishes it (also after a restart, or with loopsnapctl merge).")
            .arg(job_.progress.done).arg(job_.progress.total).arg(origin);
    case JobState::Failed:
        return job_.error ? errorText(*job_.error) : tr("The rollback failed.");
    default: return {};
    }
}

void MergeDialog::onEvents(const LiveFrame& frame) {
    if (!jobId_ || kernel()) return;  // the helper's merge batches are not this engine's events
    bool added = false;
    for (const Event& e : frame.events) {
        if (e.kind != EventKind::MergeBatch) continue;
        if (eventSource_ && e.source != eventSource_) continue;
        ++batchCount_;
        if (e.b <= 1)
            batches_ << tr("Batch %1: origin chunk %2, %3 left").arg(e.seq).arg(e.a).arg(e.c);
        else
            batches_ << tr("Batch %1: origin chunks %2–%3 (%n chunk(s)), %4 left", nullptr, int(e.b))
                            .arg(e.seq).arg(e.a).arg(e.a + e.b - 1).arg(e.c);
        added = true;
    }
    if (!added) return;
    constexpr int kKeep = 500;
    while (batches_.size() > kKeep) batches_.removeFirst();
    batchList_->setUpdatesEnabled(false);
    batchList_->clear();
    batchList_->addItems(batches_);
    batchList_->scrollToBottom();
    batchList_->setUpdatesEnabled(true);
    poll();  // the numbers follow the batches
}

QStringList MergeDialog::batchLines() const { return batches_; }

void MergeDialog::togglePause() {
    if (!jobId_) return;
    const bool pause = stage_ == Stage::Running;
    pause_->setEnabled(false);
    bridge_->call<bool>(this, pause ? QStringLiteral("pause-merge") : QStringLiteral("resume-merge"),
                        [id = jobId_, pause](Engine& e) { return asResult(pause ? e.pauseJob(id) : e.resumeJob(id)); },
                        [this](const Result<bool>&) { poll(); });
}

void MergeDialog::stopMerge() {
    if (!jobId_) return;
    stop_->setEnabled(false);
    pause_->setEnabled(false);
    bridge_->call<bool>(this, QStringLiteral("stop-merge"), [id = jobId_](Engine& e) { return asResult(e.cancelJob(id)); },
                        [this](const Result<bool>&) { poll(); });
}

void MergeDialog::removeStore() {
    remove_->setEnabled(false);
    keep_->setEnabled(false);
    // Either backend's answer: the store is gone (the dialog is done), or why not, with both
    // choices offered again.
    auto removed = [this](const Result<bool>& r) {
        if (!r.ok()) {
            keep_->setEnabled(true);
            remove_->setEnabled(true);
            resultLabel_->setText(errorText(r.error()));
            return;
        }
        setStage(Stage::Removed);
        accept();
    };
    if (kernel()) {
        bridge_->helper()->deleteFiles(snapshotId_, this, removed);
        return;
    }
    bridge_->call<bool>(this, QStringLiteral("delete"), [id = snapshotId_.toStdString()](Engine& e) { return asResult(e.deleteFiles(id)); },
                        [this, removed](const Result<bool>& r) {
                            bridge_->refresh();
                            removed(r);
                        });
}

bool MergeDialog::kernel() const { return HelperBridge::isHelperId(snapshotId_); }

void MergeDialog::kernelPlan(const SnapshotInfo& snap) {
    const HelperBridge* helper = bridge_->helper();
    MergePlan p;
    p.snapshotId = snap.id;
    p.cowPath = snap.cowPath;
    p.originId = snap.originId;
    for (const OriginInfo& o : helper->origins())
        if (o.id == snap.originId) {
            p.originPath = o.path;
            p.originBytes = o.sizeBytes;
        }
    p.chunkBytes = snap.chunkBytes;
    p.chunksToMerge = snap.exceptions;
    p.bytesToCopy = snap.exceptions * uint64_t(snap.chunkBytes);
    if (p.originBytes) p.bytesToCopy = std::min(p.bytesToCopy, p.originBytes);
    p.backend = snap.backend;
    p.running = snap.state == DeviceState::Merging && snap.mergeRunning;
    p.resumes = snap.state == DeviceState::Merging && !snap.mergeRunning;
    for (const SnapshotInfo& other : helper->snapshots())
        if (other.originId == snap.originId && other.id != snap.id) p.others.push_back({other.id, other.cowPath, other.exceptions, other.state});
    // Refusals (a mounted origin or snapshot) are the helper's to make when the merge starts.
    plan_ = p;
    showPlan();
}

void MergeDialog::kernelPoll() {
    pollInFlight_ = true;
    bridge_->helper()->snapshotStatus(snapshotId_, this, [this](const Result<SnapshotInfo>& r) {
        pollInFlight_ = false;
        JobInfo job;
        job.id = jobId_;
        job.kind = JobKind::Merge;
        job.subjectId = snapshotId_.toStdString();
        if (!r.ok()) {
            job.state = JobState::Failed;
            job.error = r.error();
            return applyJob(job);
        }
        const SnapshotInfo& s = r.value();
        const uint64_t chunk = s.chunkBytes;
        job.progress.unit = "chunks";
        job.progress.total = std::max(kernelTotal_, s.exceptions);
        job.progress.done = job.progress.total - std::min(job.progress.total, s.exceptions);
        job.progress.bytesTotal = job.progress.total * chunk;
        job.progress.bytesDone = job.progress.done * chunk;
        if (s.state == DeviceState::MergeFailed || s.state == DeviceState::Failed || s.state == DeviceState::Invalid) {
            job.state = JobState::Failed;
            if (s.problem) job.error = s.problem;
        } else if (s.state == DeviceState::Merging) {
            job.state = JobState::Running;
        } else {
            job.state = JobState::Finished;  // the origin holds the snapshot; the store is empty again
            job.progress.done = job.progress.total;
            job.progress.bytesDone = job.progress.bytesTotal;
        }
        applyJob(job);
        if (jobStateFinal(job.state)) bridge_->helper()->refresh();  // the tree shows the store's new state
    });
}

void registerMergeDialog() {
    PageSpec spec;
    spec.id = QStringLiteral("merge");
    spec.title = QCoreApplication::translate("Pages", "&Rollback…");
    spec.toolTip = QCoreApplication::translate("Pages", "Roll the origin back to this snapshot (merge), with live progress");
    spec.shortcut = QKeySequence(Qt::CTRL | Qt::Key_M);
    spec.subject = PageSubject::Snapshot;
    spec.presentation = PagePresentation::Dialog;
    spec.screenshotDelayMs = 1500;
    spec.create = [](const PageContext& context, QWidget* parent) -> QWidget* { return new MergeDialog(context, parent); };
    registerPage(std::move(spec));
}

}  // namespace loopsnap::ui
