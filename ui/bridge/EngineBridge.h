// EngineBridge: the only place in ui/ that touches the engine facade (core/engine/engine.h).
//
// It owns the Engine. Every call that may touch a file (open, refresh, create, add, forget,
// delete, attach, serve, jobs, info of closed devices) runs on the bridge's own worker thread
// (one QThreadPool thread, so calls run in the order they were made) and its result comes back
// on the GUI thread, as a callback or a signal. The GUI thread never waits on I/O.
//
// Events: a LiveFeed (ui/models/LiveFeed.h: the frame timer, GUI thread, 60 Hz) drains the
// engine's EventRing and the bridge emits ONE frame(LiveFrame) per frame that carried events,
// with everything that arrived, by reference (no copy: connect directly; the span is valid
// during the signal only). Drops are per source: the frame ends with the ring's EventsDropped
// markers, and each live view resyncs from status only when its own source lost events
// (LiveFrame::lostFor); the bridge then re-reads the registry (the device tree's resync) and
// emits eventsDropped() for the status bar. The registry (origins,
// snapshots, clones, attachments, jobs) is re-read after every change made here, when the
// workspace folder changes (another process, e.g. loopsnapctl, added or forgot an entry), on
// events that change a status (debounced), and every second for the status of closed devices.
//
// Threads: construct, call and connect on the GUI thread only. Callbacks run on the GUI thread
// and are dropped when their context object is gone.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <QObject>
#include <QPointer>
#include <QString>
#include <QThreadPool>
#include <QTimer>
#include <QVector>

#include "core/backend/types.h"
#include "core/engine/engine.h"
#include "core/events/event.h"
#include "core/util/result.h"
#include "ui/models/LiveFeed.h"

class QFileSystemWatcher;

namespace loopsnap::ui {

class HelperBridge;

// One NBD export started from this app.
struct ServedExport {
    QString deviceId;
    QString uri;
    uint64_t serveId = 0;
};

// What the bridge last read from the engine; a plain value the models copy from.
struct RegistrySnapshot {
    std::vector<OriginInfo> origins;
    std::vector<SnapshotInfo> snapshots;
    std::vector<CloneInfo> clones;
    std::vector<AttachInfo> attachments;
    std::vector<JobInfo> jobs;
    std::vector<ServedExport> serving;  // kept by the bridge (the engine lists no servers)
    QString workspaceDir;
};

class EngineBridge : public QObject {
    Q_OBJECT
public:
    explicit EngineBridge(QObject* parent = nullptr);
    ~EngineBridge() override;  // waits for the running call, then closes the engine (final commits)

    // Opens the engine on the worker thread; emits opened() or failed(error, tr-text-free action).
    void open(EngineOptions options);
    bool isOpen() const { return ring_ != nullptr; }
    const RegistrySnapshot& registry() const { return registry_; }

    // Runs `work(engine)` on the worker thread and `done(result)` on the GUI thread, unless
    // `context` was destroyed first. T must be copyable or movable. Errors are also emitted as
    // failed(error, action) when `action` is not empty (the message area shows them).
    template <typename T>
    void call(QObject* context, QString action, std::function<Result<T>(Engine&)> work,
              std::function<void(const Result<T>&)> done = {});

    // Common operations (each refreshes the registry afterwards).
    void createSnapshot(CreateSnapshotRequest request, QObject* context, std::function<void(const Result<SnapshotInfo>&)> done = {});
    void createClone(CreateCloneRequest request, std::optional<HydrationTuning> hydrate, QObject* context,
                     std::function<void(const Result<CloneInfo>&)> done = {});
    void addSnapshot(QString originPath, QString cowPath);
    void addClone(QString metaPath);
    void forget(QString id);
    void deleteFiles(QString id);
    void attach(QString id, bool readOnly, QObject* context, std::function<void(const Result<AttachInfo>&)> done = {});
    void detach(QString loopDevice, QObject* context = nullptr, std::function<void(const Result<bool>&)> done = {});
    void serve(ServeRequest request, QObject* context, std::function<void(const Result<ServeInfo>&)> done = {});
    void startHydration(QString cloneId, HydrationTuning tuning);
    // Background hydration of a clone on or off (userspace: its job paused or resumed, a new one
    // started when none runs; kernel: enable_hydration / disable_hydration), and its tuning
    // (threshold and batch size; kernel: hydration_threshold and hydration_batch_size).
    void setHydration(QString cloneId, bool enabled, QObject* context = nullptr, std::function<void(const Result<bool>&)> done = {});
    void tuneHydration(QString cloneId, HydrationTuning tuning, QObject* context = nullptr,
                       std::function<void(const Result<bool>&)> done = {});

    // Kernel-backend operations go through loopsnap-helper (HelperBridge.h); its devices are
    // merged into registry() (ids prefixed "kernel:"), re-read after open and after each change.
    // forget, deleteFiles, startHydration, setHydration and tuneHydration of such an id go to the
    // helper (forget: Remove, the device goes down and the files stay; deleteFiles: Delete, which
    // also takes the store out of its origin); their errors are emitted as failed().
    HelperBridge* helper() const { return helper_; }

    // Re-reads the workspace and every status now (asynchronously).
    void refresh();
    // The frame timer's interval; tests may shorten it.
    void setFrameInterval(int ms) { frameIntervalMs_ = ms; if (feed_) feed_->start(ms); }
    // Waits (GUI thread, event loop running) until no call is queued or running. Tests only.
    bool waitIdle(int timeoutMs);

signals:
    void opened();
    void registryChanged();                                     // registry() holds the new state
    void frame(const loopsnap::ui::LiveFrame& frame);  // once per frame with events; direct connections only
    void eventsDropped(quint64 totalDropped);          // a frame had drop markers; registry resync follows
    void failed(const loopsnap::Error& error, const QString& action);
    void busyChanged(bool busy);

private:
    void runOnWorker(std::function<std::function<void()>()> job);  // job returns its GUI-thread part
    void onFrame(const LiveFrame& frame);
    void scheduleRefresh(int delayMs);
    void watchWorkspace();
    void mergeHelperDevices(RegistrySnapshot& into) const;
    // done(r) and, when it failed, failed(error, action).
    template <typename T>
    std::function<void(const Result<T>&)> reporting(QString action, std::function<void(const Result<T>&)> done);
    template <typename T>
    void mutate(QString action, std::function<Result<T>(Engine&)> work, QObject* context,
                std::function<void(const Result<T>&)> done);

    std::unique_ptr<Engine> engine_;   // created and destroyed on the worker thread
    EventRing* ring_ = nullptr;
    QThreadPool worker_;
    int pending_ = 0;
    RegistrySnapshot registry_;
    std::unique_ptr<LiveFeed> feed_;   // over the engine's ring, once open
    int frameIntervalMs_ = 16;
    QTimer pollTimer_, refreshDebounce_;
    QFileSystemWatcher* watcher_ = nullptr;
    bool refreshQueued_ = false;
    HelperBridge* helper_ = nullptr;
};

template <typename T>
void EngineBridge::call(QObject* context, QString action, std::function<Result<T>(Engine&)> work,
                        std::function<void(const Result<T>&)> done) {
    QPointer<QObject> guard(context);
    const bool hasContext = context != nullptr;
    runOnWorker([this, action, work = std::move(work), done = std::move(done), guard, hasContext]() -> std::function<void()> {
        std::shared_ptr<Result<T>> result;
        if (!engine_)
            result = std::make_shared<Result<T>>(makeError(ErrorCode::Aborted, "the engine is not open", "", "engine-closed"));
        else
            result = std::make_shared<Result<T>>(work(*engine_));
        return [this, action, done, guard, hasContext, result] {
            if (!result->ok() && !action.isEmpty()) emit failed(result->error(), action);
            if (done && (!hasContext || guard)) done(*result);
        };
    });
}

}  // namespace loopsnap::ui

Q_DECLARE_METATYPE(loopsnap::Event)
Q_DECLARE_METATYPE(loopsnap::Error)
