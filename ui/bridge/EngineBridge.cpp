#include "ui/bridge/EngineBridge.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFileSystemWatcher>
#include <QRunnable>
#include <QThread>

#include "ui/bridge/HelperBridge.h"

namespace loopsnap::ui {

namespace {
// Kinds after which a status line (allocated sectors, hydrated regions, state) has changed.
bool changesStatus(EventKind kind) {
    switch (kind) {
    case EventKind::ExceptionCommitted:
    case EventKind::AreaWritten:
    case EventKind::SnapshotInvalidated:
    case EventKind::SnapshotOverflowed:
    case EventKind::MergeStarted:
    case EventKind::MergeBatch:
    case EventKind::MergeFinished:
    case EventKind::MergeFailed:
    case EventKind::CloneCommit:
    case EventKind::RegionHydrated:
    case EventKind::RegionsDiscarded:
    case EventKind::HydrationEnabled:
    case EventKind::CloneSourceError:
    case EventKind::SnapshotAttached:
    case EventKind::SnapshotDetached:
    case EventKind::StateChanged:
    case EventKind::MergePaused:
    case EventKind::MergeResumed:
    case EventKind::MergeStopped:
    case EventKind::CloneFailed:
    case EventKind::HydrationFinished:
    case EventKind::HydrationStopped:
        return true;
    default:
        return false;
    }
}
}  // namespace

EngineBridge::EngineBridge(QObject* parent) : QObject(parent) {
    qRegisterMetaType<loopsnap::Event>();
    qRegisterMetaType<loopsnap::Error>();
    qRegisterMetaType<QVector<loopsnap::Event>>();
    worker_.setMaxThreadCount(1);  // one engine call at a time, in the order they were made
    worker_.setExpiryTimeout(-1);
    pollTimer_.setInterval(1000);
    connect(&pollTimer_, &QTimer::timeout, this, &EngineBridge::refresh);
    refreshDebounce_.setSingleShot(true);
    connect(&refreshDebounce_, &QTimer::timeout, this, &EngineBridge::refresh);
    helper_ = new HelperBridge(this);
    connect(helper_, &HelperBridge::devicesChanged, this, [this] {
        mergeHelperDevices(registry_);
        emit registryChanged();
    });
}

void EngineBridge::mergeHelperDevices(RegistrySnapshot& into) const {
    auto fromHelper = [](const std::string& id) { return id.rfind(HelperBridge::kIdPrefix, 0) == 0; };
    std::erase_if(into.origins, [&](const OriginInfo& o) { return fromHelper(o.id); });
    std::erase_if(into.snapshots, [&](const SnapshotInfo& s) { return fromHelper(s.id); });
    std::erase_if(into.clones, [&](const CloneInfo& c) { return fromHelper(c.id); });
    into.origins.insert(into.origins.end(), helper_->origins().begin(), helper_->origins().end());
    into.snapshots.insert(into.snapshots.end(), helper_->snapshots().begin(), helper_->snapshots().end());
    into.clones.insert(into.clones.end(), helper_->clones().begin(), helper_->clones().end());
}

EngineBridge::~EngineBridge() {
    if (feed_) feed_->stop();
    pollTimer_.stop();
    worker_.waitForDone();
    // The engine stops its jobs between steps and closes every device (final flush and commit).
    ring_ = nullptr;
    feed_.reset();
    engine_.reset();
}

void EngineBridge::runOnWorker(std::function<std::function<void()>()> job) {
    if (++pending_ == 1) emit busyChanged(true);
    QPointer<EngineBridge> self(this);
    worker_.start([this, self, job = std::move(job)] {
        std::function<void()> guiPart = job();
        QMetaObject::invokeMethod(
            this,
            [this, guiPart = std::move(guiPart)] {
                if (guiPart) guiPart();
                if (--pending_ == 0) emit busyChanged(false);
            },
            Qt::QueuedConnection);
    });
}

void EngineBridge::open(EngineOptions options) {
    runOnWorker([this, options]() -> std::function<void()> {
        auto made = Engine::open(options);
        if (!made.ok()) {
            Error error = made.error();
            return [this, error] { emit failed(error, QStringLiteral("open-workspace")); };
        }
        engine_ = std::move(made).value();
        EventRing* ring = &engine_->eventRing();
        QString dir = QString::fromStdString(engine_->workspaceDir());
        return [this, ring, dir] {
            ring_ = ring;
            feed_ = std::make_unique<LiveFeed>(*ring);
            feed_->setEmitOnlyWithEvents(true);
            connect(feed_.get(), &LiveFeed::frame, this, &EngineBridge::onFrame, Qt::DirectConnection);
            registry_.workspaceDir = dir;
            watchWorkspace();
            feed_->start(frameIntervalMs_);
            pollTimer_.start();
            emit opened();
            refresh();
            if (probeKernelAvailability().available) helper_->refresh();
        };
    });
}

void EngineBridge::watchWorkspace() {
    delete watcher_;
    watcher_ = new QFileSystemWatcher(this);
    QDir().mkpath(registry_.workspaceDir);
    watcher_->addPath(registry_.workspaceDir);
    // The workspace is saved by rename: the folder changes on every save by any process.
    connect(watcher_, &QFileSystemWatcher::directoryChanged, this, [this] { scheduleRefresh(50); });
}

void EngineBridge::refresh() {
    if (refreshQueued_ || !engine_) return;
    refreshQueued_ = true;
    runOnWorker([this]() -> std::function<void()> {
        auto snap = std::make_shared<RegistrySnapshot>();
        Status refreshed = engine_->refresh();
        snap->origins = engine_->origins();
        snap->snapshots = engine_->snapshots();
        snap->clones = engine_->clones();
        snap->attachments = engine_->attachments();
        snap->jobs = engine_->jobs();
        return [this, snap, refreshed] {
            refreshQueued_ = false;
            snap->workspaceDir = registry_.workspaceDir;
            snap->serving = registry_.serving;
            mergeHelperDevices(*snap);
            registry_ = std::move(*snap);
            if (!refreshed.ok()) emit failed(refreshed.error(), QStringLiteral("refresh"));
            emit registryChanged();
        };
    });
}

void EngineBridge::scheduleRefresh(int delayMs) {
    if (!refreshDebounce_.isActive()) refreshDebounce_.start(delayMs);
}

void EngineBridge::onFrame(const LiveFrame& frame) {
    // The registry refresh is debounced: one look at the kinds, stopping at the first that
    // changes a status line (a frame of region events finds one at once).
    bool statusChanged = false;
    for (const Event& e : frame.events)
        if (changesStatus(e.kind)) {
            statusChanged = true;
            break;
        }
    emit this->frame(frame);
    if (frame.dropped) {
        emit eventsDropped(feed_ ? feed_->droppedSeen() : frame.dropped);
        scheduleRefresh(0);
    } else if (statusChanged) {
        scheduleRefresh(250);
    }
}

template <typename T>
void EngineBridge::mutate(QString action, std::function<Result<T>(Engine&)> work, QObject* context,
                          std::function<void(const Result<T>&)> done) {
    call<T>(context ? context : this, std::move(action), std::move(work), [this, done](const Result<T>& r) {
        if (done) done(r);
        refresh();
    });
}

void EngineBridge::createSnapshot(CreateSnapshotRequest request, QObject* context,
                                  std::function<void(const Result<SnapshotInfo>&)> done) {
    mutate<SnapshotInfo>(QStringLiteral("create-snapshot"),
                         [request](Engine& e) { return e.createSnapshot(request); }, context, std::move(done));
}

void EngineBridge::createClone(CreateCloneRequest request, std::optional<HydrationTuning> hydrate, QObject* context,
                               std::function<void(const Result<CloneInfo>&)> done) {
    mutate<CloneInfo>(QStringLiteral("create-clone"),
                      [request, hydrate](Engine& e) -> Result<CloneInfo> {
                          LS_ASSIGN(CloneInfo info, e.createClone(request));
                          if (hydrate) {
                              auto job = e.startHydration(info.id, *hydrate);
                              if (!job.ok()) return std::move(job).error();
                          }
                          return info;
                      },
                      context, std::move(done));
}

void EngineBridge::addSnapshot(QString originPath, QString cowPath) {
    mutate<SnapshotInfo>(QStringLiteral("add-snapshot"),
                         [o = originPath.toStdString(), c = cowPath.toStdString()](Engine& e) { return e.addSnapshot(o, c); },
                         nullptr, {});
}

void EngineBridge::addClone(QString metaPath) {
    mutate<CloneInfo>(QStringLiteral("add-clone"), [m = metaPath.toStdString()](Engine& e) { return e.addClone(m); },
                      nullptr, {});
}

namespace {
Result<bool> asResult(Status s) {
    if (!s.ok()) return std::move(s).error();
    return true;
}
}  // namespace

template <typename T>
std::function<void(const Result<T>&)> EngineBridge::reporting(QString action, std::function<void(const Result<T>&)> done) {
    return [this, action, done](const Result<T>& r) {
        if (!r.ok()) emit failed(r.error(), action);
        if (done) done(r);
    };
}

void EngineBridge::forget(QString id) {
    if (HelperBridge::isHelperId(id)) return helper_->remove(id, this, reporting<bool>(QStringLiteral("forget"), {}));
    mutate<bool>(QStringLiteral("forget"), [i = id.toStdString()](Engine& e) { return asResult(e.forget(i)); }, nullptr, {});
}

void EngineBridge::deleteFiles(QString id) {
    if (HelperBridge::isHelperId(id)) return helper_->deleteFiles(id, this, reporting<bool>(QStringLiteral("delete"), {}));
    mutate<bool>(QStringLiteral("delete"), [i = id.toStdString()](Engine& e) { return asResult(e.deleteFiles(i)); }, nullptr, {});
}

void EngineBridge::attach(QString id, bool readOnly, QObject* context, std::function<void(const Result<AttachInfo>&)> done) {
    mutate<AttachInfo>(QStringLiteral("attach"), [i = id.toStdString(), readOnly](Engine& e) { return e.attach(i, readOnly); },
                       context, std::move(done));
}

void EngineBridge::detach(QString loopDevice, QObject* context, std::function<void(const Result<bool>&)> done) {
    mutate<bool>(QStringLiteral("detach"), [d = loopDevice.toStdString()](Engine& e) { return asResult(e.detach(d)); },
                 context, std::move(done));
}

void EngineBridge::serve(ServeRequest request, QObject* context, std::function<void(const Result<ServeInfo>&)> done) {
    mutate<ServeInfo>(QStringLiteral("serve"), [request](Engine& e) { return e.serve(request); }, context,
                      [this, done, request](const Result<ServeInfo>& r) {
                          if (r.ok()) {
                              const auto& uris = r.value().uris;
                              // The engine lists one URI per export and listener, exports in request order.
                              const size_t n = request.exports.size();
                              for (size_t i = 0; n && i < uris.size(); ++i)
                                  registry_.serving.push_back({QString::fromStdString(request.exports[i % n].deviceId),
                                                               QString::fromStdString(uris[i]), r.value().id});
                          }
                          if (done) done(r);
                      });
}

void EngineBridge::startHydration(QString cloneId, HydrationTuning tuning) {
    if (HelperBridge::isHelperId(cloneId)) {
        // The kernel's order: the tuning first, then hydration on.
        tuneHydration(cloneId, tuning, this, [this, cloneId](const Result<bool>& r) {
            if (r.ok()) setHydration(cloneId, true);
        });
        return;
    }
    mutate<uint64_t>(QStringLiteral("hydrate"),
                     [i = cloneId.toStdString(), tuning](Engine& e) { return e.startHydration(i, tuning); }, nullptr, {});
}

void EngineBridge::setHydration(QString cloneId, bool enabled, QObject* context, std::function<void(const Result<bool>&)> done) {
    if (HelperBridge::isHelperId(cloneId)) {
        helper_->message(cloneId, enabled ? QStringLiteral("enable_hydration") : QStringLiteral("disable_hydration"), 0, context ? context : this,
                         [report = reporting<bool>(QStringLiteral("hydrate"), std::move(done))](const Result<CloneInfo>& r) {
                             report(r.ok() ? Result<bool>(true) : Result<bool>(r.error()));
                         });
        return;
    }
    mutate<bool>(QStringLiteral("hydrate"), [id = cloneId.toStdString(), enabled](Engine& engine) -> Result<bool> {
        // The job of this clone: paused or resumed; with none running, enabling starts one.
        for (const JobInfo& j : engine.jobs())
            if (j.kind == JobKind::Hydration && j.subjectId == id && !jobStateFinal(j.state)) {
                LS_TRY(enabled ? engine.resumeJob(j.id) : engine.pauseJob(j.id));
                return true;
            }
        if (!enabled) return false;
        LS_ASSIGN(auto info, engine.clone(id));
        LS_ASSIGN(uint64_t job, engine.startHydration(id, HydrationTuning{info.hydrationThreshold, info.hydrationBatchSize}));
        (void)job;
        return true;
    }, context, std::move(done));
}

void EngineBridge::tuneHydration(QString cloneId, HydrationTuning tuning, QObject* context, std::function<void(const Result<bool>&)> done) {
    if (HelperBridge::isHelperId(cloneId)) {
        auto report = std::make_shared<std::function<void(const Result<bool>&)>>(reporting<bool>(QStringLiteral("hydrate"), std::move(done)));
        QObject* ctx = context ? context : this;
        helper_->message(cloneId, QStringLiteral("hydration_threshold"), tuning.threshold, ctx,
                         [this, cloneId, tuning, ctx, report](const Result<CloneInfo>& r) {
                             if (!r.ok()) return (*report)(r.error());
                             helper_->message(cloneId, QStringLiteral("hydration_batch_size"), tuning.batchSize, ctx,
                                              [report](const Result<CloneInfo>& r2) {
                                                  (*report)(r2.ok() ? Result<bool>(true) : Result<bool>(r2.error()));
                                              });
                         });
        return;
    }
    mutate<bool>(QStringLiteral("hydrate"), [id = cloneId.toStdString(), tuning](Engine& engine) -> Result<bool> {
        LS_TRY(engine.tuneHydration(id, tuning));
        return true;
    }, context, std::move(done));
}

bool EngineBridge::waitIdle(int timeoutMs) {
    QDeadlineTimer deadline(timeoutMs);
    while (pending_ > 0 || refreshDebounce_.isActive()) {
        if (deadline.hasExpired()) return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(2);
    }
    return true;
}

}  // namespace loopsnap::ui
