// Engine: registry (workspace) + backend + jobs. See engine.h for threads, locks and ordering.
#include "core/engine/engine.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "core/backend/backend.h"
#include "core/concurrency/executor.h"
#include "core/engine/attach.h"
#include "core/engine/serve_specs.h"
#include "core/engine/merge_plan.h"
#include "core/engine/workspace.h"
#include "core/export/nbd_server.h"
#include "core/util/progress.h"
#if LOOPSNAP_HAVE_DEVMAPPER
#include "core/linux/devmapper.h"
#include "core/linux/kernel_backend.h"
#endif

namespace loopsnap {

namespace {

Error notFound(const std::string& id) {
    return makeError(ErrorCode::NotFound, "the workspace has no entry " + id, id, "no-such-entry");
}

// Pause/stop between the steps of an engine-side job (workload, crash test).
class JobGate {
public:
    void setPaused(bool paused) {
        {
            std::lock_guard lock(mutex_);
            paused_ = paused;
        }
        cv_.notify_all();
    }
    void stop() {
        stop_.store(true);
        cv_.notify_all();
    }
    const std::atomic<bool>& stopFlag() const { return stop_; }
    // Returns false when stopped.
    bool waitWhilePaused() {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return !paused_ || stop_.load(); });
        return !stop_.load();
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool paused_ = false;
    std::atomic<bool> stop_{false};
};

}  // namespace

struct Job {
    std::mutex mutex;  // guards info, outcome
    std::condition_variable changed;
    JobInfo info;
    std::optional<CrashTestOutcome> outcome;
    std::unique_ptr<BackendOperation> op;  // merge, hydration; released (under mutex) when it ends
    OperationCounters ownCounters;         // workload, crash test
    std::atomic<uint64_t> crashPointsDone{0}, crashPointsTotal{0};  // crash test
    std::string unit;
    JobGate gate;                          // workload, crash test
    RateMeter meter;
    std::thread thread;
    std::string deviceId;                  // the device it keeps busy ("" none)
    std::mutex joinMutex;                  // serialises joining `thread`
    std::thread ticker;                    // publishes JobProgress (see publishProgress)
    bool bodyDone = false;                 // guarded by mutex: the job's thread has returned

    OperationCounters& counters() { return op ? op->counters() : ownCounters; }  // caller holds mutex
    void setState(JobState s) {
        {
            std::lock_guard lock(mutex);
            info.state = s;
        }
        changed.notify_all();
    }
    JobState state() {
        std::lock_guard lock(mutex);
        return info.state;
    }
};

struct Engine::Impl {
    EngineOptions options;
    std::shared_ptr<ThreadPool> executor;
    std::shared_ptr<EventSink> sink;
    std::shared_ptr<EventRing> ring;
    std::shared_ptr<Backend> backend;
    std::unique_ptr<Workspace> workspace;

    std::mutex mutex;  // registry: list, jobs, openOrigins, openClones, servers, runner
    WorkspaceList list;
    std::map<uint64_t, std::shared_ptr<Job>> jobs;
    uint64_t nextJobId = 1;
    std::set<std::string> openOrigins, openClones;  // paths opened through this engine
    std::map<uint64_t, std::unique_ptr<NbdServer>> servers;
    uint64_t nextServeId = 1;
    CrashTestRunner crashRunner;

    BackendKind kind() const { return backend->kind(); }

    Status reload() {
        LS_ASSIGN(WorkspaceList fresh, workspace->load());
        std::lock_guard lock(mutex);
        list = std::move(fresh);
        return {};
    }
    Result<WorkspaceList> update(const std::function<Status(WorkspaceList&)>& change) {
        LS_ASSIGN(WorkspaceList saved, workspace->update(change));
        std::lock_guard lock(mutex);
        list = saved;
        return saved;
    }
    WorkspaceList snapshotOfList() {
        std::lock_guard lock(mutex);
        return list;
    }

    // ---- infos ----
    bool mergeRunning(const std::string& snapshotId) {
        std::lock_guard lock(mutex);
        for (auto& [id, job] : jobs)
            if (job->info.kind == JobKind::Merge && job->info.subjectId == snapshotId && !jobStateFinal(job->state())) return true;
        return false;
    }
    SnapshotInfo snapshotInfo(const WorkspaceSnapshot& entry, const WorkspaceList& l) {
        const WorkspaceOrigin* origin = l.originById(entry.originId);
        std::string originPath = origin ? origin->path : "";
        SnapshotInfo info;
        auto st = backend->snapshotStatus(originPath, entry.cowPath);
        if (st.ok()) {
            info = std::move(st).value();
        } else {
            info.cowPath = entry.cowPath;
            info.problem = st.error();
            info.state = st.error().code == ErrorCode::NotFound ? DeviceState::Missing : DeviceState::Invalid;
            info.status = info.state == DeviceState::Missing ? "Missing" : "Invalid";
        }
        info.id = entry.id;
        info.originId = entry.originId;
        info.backend = entry.backend;
        info.mergeRunning = info.state == DeviceState::Merging && mergeRunning(entry.id);
        return info;
    }
    OriginInfo originInfo(const WorkspaceOrigin& entry, const WorkspaceList& l) {
        OriginInfo info;
        info.id = entry.id;
        info.path = entry.path;
        info.backend = entry.backend;
        auto size = backend->deviceSize(entry.path);
        if (size.ok()) {
            info.sizeBytes = *size;
        } else {
            info.problem = size.error();
            info.state = DeviceState::Missing;
        }
        for (auto& s : l.snapshots) {
            if (s.originId != entry.id) continue;
            info.snapshotIds.push_back(s.id);
            if (info.state == DeviceState::Valid) {
                auto st = backend->snapshotStatus(entry.path, s.cowPath);
                if (st.ok() && st->state == DeviceState::Merging) info.state = DeviceState::Merging;
            }
        }
        info.open = backend->originOpen(entry.path);
        info.device = backend->originDevicePath(entry.path);
        return info;
    }
    CloneInfo cloneInfo(const WorkspaceClone& entry) {
        CloneInfo info;
        auto st = backend->cloneStatus(entry.metaPath);
        if (st.ok()) {
            info = std::move(st).value();
        } else {
            info.metaPath = entry.metaPath;
            info.problem = st.error();
            info.state = st.error().code == ErrorCode::NotFound ? DeviceState::Missing : DeviceState::Failed;
            info.status = info.state == DeviceState::Missing ? "Missing" : "Fail";
        }
        info.id = entry.id;
        info.backend = entry.backend;
        return info;
    }

    // ---- devices ----
    bool jobUsesDevice(const std::string& id) {
        std::lock_guard lock(mutex);
        for (auto& [jid, job] : jobs)
            if (job->deviceId == id && !jobStateFinal(job->state())) return true;
        return false;
    }
    // Opens the origin with every snapshot of it; `mergingCow` may have an unfinished merge.
    Status openOrigin(const WorkspaceOrigin& origin, const WorkspaceList& l, const std::string& mergingCow = {}) {
        bool wasOpen = backend->originOpen(origin.path);
        LS_TRY(backend->openOrigin(origin.path, !mergingCow.empty()));
        {
            std::lock_guard lock(mutex);
            openOrigins.insert(origin.path);
        }
        for (auto& s : l.snapshots) {
            if (s.originId != origin.id) continue;
            Status st = backend->attachSnapshot(origin.path, s.cowPath, s.cowPath == mergingCow);
            if (!st.ok()) {
                if (!wasOpen) {
                    (void)backend->closeOrigin(origin.path);
                    std::lock_guard lock(mutex);
                    openOrigins.erase(origin.path);
                }
                Error e = std::move(st).error();
                if (e.subject.empty()) e.subject = s.id;
                return e;
            }
        }
        return {};
    }
    Status openClone(const WorkspaceClone& clone) {
        LS_TRY(backend->openClone(clone.metaPath));
        std::lock_guard lock(mutex);
        openClones.insert(clone.metaPath);
        return {};
    }
    Status openById(const std::string& id) {
        WorkspaceList l = snapshotOfList();
        if (auto o = l.originById(id)) return openOrigin(*o, l);
        if (auto s = l.snapshotById(id)) {
            auto o = l.originById(s->originId);
            if (!o) return notFound(s->originId);
            return openOrigin(*o, l);
        }
        if (auto c = l.cloneById(id)) return openClone(*c);
        return notFound(id);
    }

    // ---- jobs ----
    Result<uint64_t> addJob(std::shared_ptr<Job> job, std::function<void(Job&)> body) {
        uint64_t id;
        {
            std::lock_guard lock(mutex);
            for (auto& [jid, other] : jobs)
                if (!job->deviceId.empty() && other->deviceId == job->deviceId && !jobStateFinal(other->state()))
                    return makeError(ErrorCode::Busy, "job " + std::to_string(jid) + " is already working on " + job->deviceId, job->deviceId,
                                     "job-running");
            id = nextJobId++;
            job->info.id = id;
            jobs[id] = job;
        }
        job->setState(JobState::Running);
        Job* raw = job.get();
        job->thread = std::thread([raw, body = std::move(body)] {
            body(*raw);
            {
                std::lock_guard lock(raw->mutex);
                raw->bodyDone = true;
            }
            raw->changed.notify_all();
        });
        job->ticker = std::thread([raw, events = sink] { publishProgress(*raw, *events); });
        return id;
    }
    // The job's event source ("job:<id>"): JobProgress on every state change and at most ten
    // times a second while the counters move, until the final state; then SourceUnregistered.
    // Runs on a thread of its own, publishing with no engine lock held.
    static void publishProgress(Job& job, EventSink& events) {
        const uint32_t source = events.registerSource("job:" + std::to_string(job.info.id));
        std::unique_lock lock(job.mutex);
        JobState published = JobState::Pending;
        uint64_t publishedDone = UINT64_MAX;
        for (;;) {
            const JobState state = job.info.state;
            OperationCounters& c = job.counters();
            const uint64_t done = c.done.load(std::memory_order_relaxed), total = c.total.load(std::memory_order_relaxed);
            if (state != published || done != publishedDone) {
                published = state;
                publishedDone = done;
                lock.unlock();
                events.publish(Event::jobProgress(source, job.info.id, done, total, state));
                lock.lock();
            }
            if ((jobStateFinal(job.info.state) || job.bodyDone) && job.info.state == published) break;
            job.changed.wait_for(lock, std::chrono::milliseconds(100));
        }
        lock.unlock();
        events.unregisterSource(source);
    }
    static void finishOperationJob(Job& job, Result<OperationOutcome> outcome) {
        // The finished operation is released (it holds the devices open); its last counters stay.
        std::unique_ptr<BackendOperation> finished;
        std::lock_guard lock(job.mutex);
        OperationCounters& c = job.op->counters();
        for (auto [from, to] : {std::pair{&c.done, &job.ownCounters.done}, std::pair{&c.total, &job.ownCounters.total},
                                std::pair{&c.bytesDone, &job.ownCounters.bytesDone}, std::pair{&c.bytesTotal, &job.ownCounters.bytesTotal}})
            to->store(from->load());
        job.unit = job.op->unit();
        finished = std::move(job.op);
        if (!outcome.ok()) {
            job.info.state = JobState::Failed;
            job.info.error = outcome.error();
            job.info.summary = std::string(jobKindName(job.info.kind)) + " failed: " + outcome.error().toString();
        } else if (*outcome == OperationOutcome::Finished) {
            job.info.state = JobState::Finished;
            job.info.summary = std::string(jobKindName(job.info.kind)) + " finished";
        } else {
            job.info.state = JobState::Cancelled;
            job.info.summary = std::string(jobKindName(job.info.kind)) + " stopped; starting it again resumes";
        }
        job.changed.notify_all();
    }
    JobInfo sample(Job& job) {
        std::lock_guard lock(job.mutex);  // op is released under it when the job ends
        OperationCounters& c = job.counters();
        JobInfo info = job.info;
        info.progress.unit = job.op ? job.op->unit() : job.unit;
        info.progress.done = c.done.load(std::memory_order_relaxed);
        info.progress.total = c.total.load(std::memory_order_relaxed);
        info.progress.bytesDone = c.bytesDone.load(std::memory_order_relaxed);
        info.progress.bytesTotal = c.bytesTotal.load(std::memory_order_relaxed);
        info.progress.crashPointsDone = job.crashPointsDone.load(std::memory_order_relaxed);
        info.progress.crashPointsTotal = job.crashPointsTotal.load(std::memory_order_relaxed);
        info.progress.rateBytesPerSecond = job.meter.sample(info.progress.bytesDone);
        uint64_t remaining = info.progress.bytesTotal > info.progress.bytesDone ? info.progress.bytesTotal - info.progress.bytesDone : 0;
        info.progress.etaSeconds = jobStateFinal(info.state) ? 0 : job.meter.etaSeconds(remaining);
        return info;
    }
    std::shared_ptr<Job> findJob(uint64_t id) {
        std::lock_guard lock(mutex);
        auto it = jobs.find(id);
        return it == jobs.end() ? nullptr : it->second;
    }
    // Records the snapshot (and its origin when new); returns the snapshot's id.
    Result<std::string> record(const std::string& origin, const std::string& cow, std::string* originIdOut) {
        BackendKind k = kind();
        std::string id, originId;
        LS_TRY(update([&](WorkspaceList& l) -> Status {
            const WorkspaceOrigin* o = l.originByPath(origin, k);
            if (o) {
                originId = o->id;
            } else {
                originId = l.allocateId('o');
                l.origins.push_back({originId, origin, k});
            }
            if (auto s = l.snapshotByPath(cow, k)) {
                id = s->id;
                originId = s->originId;
                return {};
            }
            id = l.allocateId('s');
            l.snapshots.push_back({id, originId, cow, k});
            return {};
        }));
        if (originIdOut) *originIdOut = originId;
        return id;
    }
    void runWorkload(Job& job, WorkloadRequest rq, std::shared_ptr<BlockDevice> origin, std::shared_ptr<BlockDevice> snapshot);
};

void Engine::Impl::runWorkload(Job& job, WorkloadRequest rq, std::shared_ptr<BlockDevice> origin, std::shared_ptr<BlockDevice> snapshot) {
    std::atomic<uint64_t> next{0};
    std::mutex errorMutex;
    std::optional<Error> firstError;
    unsigned threads = std::max(1u, rq.threads);
    auto worker = [&](unsigned index) {
        std::mt19937_64 rng(rq.seed * 1000003 + index);
        std::vector<std::byte> buf(64 * 1024);
        for (;;) {
            if (!job.gate.waitWhilePaused()) return;
            uint64_t op = next.fetch_add(1);
            if (op >= rq.ops) return;
            uint64_t dev = origin->size();
            uint64_t len = std::min<uint64_t>(dev, 512 * (1 + rng() % 128));
            uint64_t off = (rng() % ((dev - len) / 512 + 1)) * 512;
            std::byte fill{uint8_t(rng())};
            std::fill(buf.begin(), buf.begin() + len, fill);
            bool toSnapshot = snapshot && rng() % 2;
            Status st = (toSnapshot ? snapshot : origin)->write(off, std::span<const std::byte>(buf.data(), len));
            if (!st.ok()) {
                std::lock_guard lock(errorMutex);
                if (!firstError) firstError = st.error();
                job.gate.stop();
                return;
            }
            job.ownCounters.done.fetch_add(1, std::memory_order_relaxed);
            job.ownCounters.bytesDone.fetch_add(len, std::memory_order_relaxed);
            if (rq.pause.count()) std::this_thread::sleep_for(rq.pause);
        }
    };
    std::vector<std::thread> pool;
    for (unsigned i = 0; i < threads; ++i) pool.emplace_back(worker, i);
    for (auto& t : pool) t.join();
    Status flushed = origin->flush();
    if (!firstError && !flushed.ok()) firstError = flushed.error();
    std::lock_guard lock(job.mutex);
    uint64_t done = job.ownCounters.done.load();
    if (firstError) {
        job.info.state = JobState::Failed;
        job.info.error = firstError;
        job.info.summary = "workload failed: " + firstError->toString();
    } else if (done < rq.ops) {
        job.info.state = JobState::Cancelled;
        job.info.summary = "workload cancelled after " + std::to_string(done) + " operations";
    } else {
        job.info.state = JobState::Finished;
        job.info.summary = "workload applied " + std::to_string(done) + " operations";
    }
    job.changed.notify_all();
}

// ---------------------------------------------------------------------------------------------

Engine::Engine(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)), attachRegistry_(std::make_unique<AttachRegistry>()), specServers_(std::make_unique<SpecServers>()) {}

Result<std::unique_ptr<Engine>> Engine::open(EngineOptions options) {
    auto impl = std::make_unique<Impl>();
    impl->executor = std::make_shared<ThreadPool>(std::max(1u, options.copyThreads));
    impl->sink = std::make_shared<EventSink>();
    impl->ring = std::make_shared<EventRing>(options.eventRingCapacity);
    impl->sink->addListener(impl->ring);
    BackendContext context{impl->executor, impl->sink, options.legacyCompletionOrder, options.legacyCloneCommit};
    if (options.backendInstance) {
        impl->backend = options.backendInstance;
        impl->backend->setContext(context);
    } else if (options.backend == BackendKind::Userspace) {
        impl->backend = makeFileBackend(context);
    } else if (options.backend == BackendKind::Memory) {
        impl->backend = asBackend(makeMemoryBackend(context));
    } else {
#if LOOPSNAP_HAVE_DEVMAPPER
        LS_TRY(dm::checkSupport());
        impl->backend = makeKernelBackend(context);
#else
        return makeError(ErrorCode::Unsupported, "this build has no kernel backend (libdevmapper was not found)",
                         backendKindName(options.backend), "backend-unavailable");
#endif
    }
    LS_ASSIGN(impl->workspace, Workspace::open(options.workspaceDir, options.persistWorkspace));
    impl->options = std::move(options);
    LS_TRY(impl->reload());
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Engine::~Engine() {
    specServers_.reset();     // stops serving and flushes
    attachRegistry_.reset();  // detaches what is attached here
    std::vector<std::shared_ptr<Job>> jobs;
    {
        std::lock_guard lock(impl_->mutex);
        for (auto& [id, job] : impl_->jobs) jobs.push_back(job);
        impl_->servers.clear();
    }
    for (auto& job : jobs) {
        std::lock_guard lock(job->mutex);
        if (job->op) job->op->stop();
        job->gate.stop();
    }
    for (auto& job : jobs) {
        std::lock_guard lock(job->joinMutex);
        if (job->thread.joinable()) job->thread.join();
    }
    for (auto& job : jobs)
        if (job->ticker.joinable()) job->ticker.join();
    std::set<std::string> origins, clones;
    {
        std::lock_guard lock(impl_->mutex);
        origins = impl_->openOrigins;
        clones = impl_->openClones;
    }
    for (auto& c : clones) (void)impl_->backend->closeClone(c);
    for (auto& o : origins) (void)impl_->backend->closeOrigin(o);
}

// ---- registry ----

std::vector<OriginInfo> Engine::origins() {
    WorkspaceList l = impl_->snapshotOfList();
    std::vector<OriginInfo> out;
    for (auto& o : l.origins) out.push_back(impl_->originInfo(o, l));
    return out;
}
std::vector<SnapshotInfo> Engine::snapshots() {
    WorkspaceList l = impl_->snapshotOfList();
    std::vector<SnapshotInfo> out;
    for (auto& s : l.snapshots) out.push_back(impl_->snapshotInfo(s, l));
    return out;
}
std::vector<CloneInfo> Engine::clones() {
    WorkspaceList l = impl_->snapshotOfList();
    std::vector<CloneInfo> out;
    for (auto& c : l.clones) out.push_back(impl_->cloneInfo(c));
    return out;
}
Result<OriginInfo> Engine::origin(const std::string& id) {
    WorkspaceList l = impl_->snapshotOfList();
    auto o = l.originById(id);
    if (!o) return notFound(id);
    return impl_->originInfo(*o, l);
}
Result<SnapshotInfo> Engine::snapshot(const std::string& id) {
    WorkspaceList l = impl_->snapshotOfList();
    auto s = l.snapshotById(id);
    if (!s) return notFound(id);
    return impl_->snapshotInfo(*s, l);
}
Result<CloneInfo> Engine::clone(const std::string& id) {
    WorkspaceList l = impl_->snapshotOfList();
    auto c = l.cloneById(id);
    if (!c) return notFound(id);
    return impl_->cloneInfo(*c);
}

std::optional<std::string> Engine::idForPath(const std::string& path) {
    std::string p = impl_->backend->canonicalPath(path);
    WorkspaceList l = impl_->snapshotOfList();
    BackendKind k = impl_->kind();
    if (auto o = l.originByPath(p, k)) return o->id;
    if (auto s = l.snapshotByPath(p, k)) return s->id;
    if (auto c = l.cloneByPath(p, k)) return c->id;
    return std::nullopt;
}

Status Engine::refresh() { return impl_->reload(); }

BackendKind Engine::backendKind() const { return impl_->kind(); }

Result<CloneInfo> Engine::inspectClone(const std::string& metaPath) {
    return impl_->backend->cloneStatus(impl_->backend->canonicalPath(metaPath));
}

const std::string& Engine::workspaceDir() const { return impl_->workspace->dir(); }

Result<SnapshotInfo> Engine::createSnapshot(const CreateSnapshotRequest& request) {
    CreateSnapshotRequest rq = request;
    rq.originPath = impl_->backend->canonicalPath(request.originPath);
    rq.cowPath = impl_->backend->canonicalPath(request.cowPath);
    LS_ASSIGN(SnapshotInfo created, impl_->backend->createSnapshot(rq));
    LS_ASSIGN(created.id, impl_->record(rq.originPath, rq.cowPath, &created.originId));
    return created;
}

Result<SnapshotInfo> Engine::addSnapshot(const std::string& originPath, const std::string& cowPath) {
    std::string origin = impl_->backend->canonicalPath(originPath), cow = impl_->backend->canonicalPath(cowPath);
    // Validate before recording: the store must read as a snapshot store (read-only).
    if (!impl_->backend->exists(origin)) return makeError(ErrorCode::NotFound, "origin " + origin + " does not exist", origin, "missing");
    auto status = impl_->backend->snapshotStatus(origin, cow);
    // A transient (N) store cannot be read back (nothing of it survives), but it is a store.
    if (!status.ok() && status.error().code != ErrorCode::Unsupported) return std::move(status).error();
    LS_ASSIGN(std::string id, impl_->record(origin, cow, nullptr));
    // An origin open here gets the snapshot at once, while its I/O goes on.
    if (impl_->backend->originOpen(origin)) LS_TRY(impl_->backend->attachSnapshot(origin, cow));
    return snapshot(id);
}

Result<CloneInfo> Engine::createClone(const CreateCloneRequest& request) {
    CreateCloneRequest rq = request;
    rq.meta = impl_->backend->canonicalPath(request.meta);
    LS_TRY(impl_->backend->createClone(rq));
    return addClone(rq.meta);
}

Result<CloneInfo> Engine::addClone(const std::string& metaPath) {
    std::string meta = impl_->backend->canonicalPath(metaPath);
    LS_TRY(impl_->backend->cloneStatus(meta));
    BackendKind k = impl_->kind();
    std::string id;
    LS_TRY(impl_->update([&](WorkspaceList& l) -> Status {
        if (auto c = l.cloneByPath(meta, k)) {
            id = c->id;
            return {};
        }
        id = l.allocateId('c');
        l.clones.push_back({id, meta, k});
        return {};
    }));
    return clone(id);
}

Status Engine::forget(const std::string& id) {
    WorkspaceList l = impl_->snapshotOfList();
    if (impl_->jobUsesDevice(id)) return makeError(ErrorCode::Busy, "a job is working on " + id, id, "job-running");
    // An attached device (or one its attachment keeps open: the origin and every snapshot of
    // it) is served to its loop device: neither dropped from the origin nor forgotten under it.
    if (attachRegistry_->uses(id)) return makeError(ErrorCode::Busy, id + " is attached as a loop device: detach it first", id, "attached");
    if (l.originById(id) || l.cloneById(id)) LS_TRY(closeDevice(id));
    if (auto s = l.snapshotById(id)) {
        if (auto o = l.originById(s->originId)) LS_TRY(impl_->backend->detachSnapshot(o->path, s->cowPath));
    }
    LS_TRY(impl_->update([&](WorkspaceList& list) { return list.remove(id); }));
    return {};
}

Status Engine::deleteFiles(const std::string& id) {
    WorkspaceList l = impl_->snapshotOfList();
    if (impl_->jobUsesDevice(id)) return makeError(ErrorCode::Busy, "a job is working on " + id, id, "job-running");
    if (attachRegistry_->uses(id)) return makeError(ErrorCode::Busy, id + " is attached as a loop device: detach it first", id, "attached");
    if (auto s = l.snapshotById(id)) {
        if (auto o = l.originById(s->originId)) LS_TRY(impl_->backend->detachSnapshot(o->path, s->cowPath));
        LS_TRY(impl_->backend->deleteSnapshotFiles(s->cowPath));
    } else if (auto c = l.cloneById(id)) {
        LS_TRY(closeDevice(id));
        LS_TRY(impl_->backend->deleteCloneFiles(c->metaPath, true));
    } else if (l.originById(id)) {
        return makeError(ErrorCode::InvalidArgument, "an origin's files are the user's data; forget it instead", id, "origin-not-deletable");
    } else {
        return notFound(id);
    }
    return forget(id);
}

// ---- devices ----

Status Engine::openDevice(const std::string& id) { return impl_->openById(id); }

namespace {
Error needsKernel(const std::string& id, const char* what) {
    return makeError(ErrorCode::Unsupported,
                     std::string(what) + " needs the kernel backend: the userspace engine's devices live only in the process that opens them",
                     id, "needs-kernel-backend");
}
}  // namespace

Status Engine::activate(const std::string& id) {
    if (impl_->kind() != BackendKind::Kernel) return needsKernel(id, "activating a device");
    LS_TRY(impl_->openById(id));
    // The kernel keeps the devices up: this Engine does not take them down when it ends.
    WorkspaceList l = impl_->snapshotOfList();
    std::lock_guard lock(impl_->mutex);
    if (auto c = l.cloneById(id)) impl_->openClones.erase(c->metaPath);
    const WorkspaceOrigin* o = l.originById(id);
    if (auto s = l.snapshotById(id)) o = l.originById(s->originId);
    if (o) impl_->openOrigins.erase(o->path);
    return {};
}

Status Engine::deactivate(const std::string& id) {
    if (impl_->kind() != BackendKind::Kernel) return needsKernel(id, "deactivating a device");
    return closeDevice(id);
}

Status Engine::closeDevice(const std::string& id) {
    if (impl_->jobUsesDevice(id)) return makeError(ErrorCode::Busy, "a job is working on " + id, id, "job-running");
    if (attachRegistry_->uses(id)) return makeError(ErrorCode::Busy, id + " is attached as a loop device: detach it first", id, "attached");
    WorkspaceList l = impl_->snapshotOfList();
    std::string originPath;
    if (auto o = l.originById(id)) originPath = o->path;
    else if (auto s = l.snapshotById(id)) {
        if (auto o = l.originById(s->originId)) originPath = o->path;
    } else if (auto c = l.cloneById(id)) {
        Status st = impl_->backend->closeClone(c->metaPath);
        std::lock_guard lock(impl_->mutex);
        impl_->openClones.erase(c->metaPath);
        return st;
    } else {
        return notFound(id);
    }
    // A job on one snapshot keeps its origin busy.
    for (auto& s : l.snapshots)
        if (auto o = l.originById(s.originId); o && o->path == originPath && impl_->jobUsesDevice(s.id))
            return makeError(ErrorCode::Busy, "a job is working on " + s.id, s.id, "job-running");
    Status st = impl_->backend->closeOrigin(originPath);
    std::lock_guard lock(impl_->mutex);
    impl_->openOrigins.erase(originPath);
    return st;
}

Result<std::shared_ptr<BlockDevice>> Engine::device(const std::string& id) {
    LS_TRY(impl_->openById(id));
    WorkspaceList l = impl_->snapshotOfList();
    if (auto o = l.originById(id)) return impl_->backend->originDevice(o->path);
    if (auto s = l.snapshotById(id)) return impl_->backend->snapshotDevice(s->cowPath);
    if (auto c = l.cloneById(id)) return impl_->backend->cloneDevice(c->metaPath);
    return notFound(id);
}

// ---- jobs ----

Result<uint64_t> Engine::startMerge(const std::string& snapshotId) {
    WorkspaceList l = impl_->snapshotOfList();
    auto s = l.snapshotById(snapshotId);
    if (!s) return notFound(snapshotId);
    auto o = l.originById(s->originId);
    if (!o) return notFound(s->originId);
    if (impl_->jobUsesDevice(snapshotId)) return makeError(ErrorCode::Busy, "a job is working on " + snapshotId, snapshotId, "job-running");
    // Refused, before anything is opened or written, while the origin is attached, mounted
    // read-write or held by another process (merge_plan.h).
    LS_TRY(checkMergeAllowed(o->path, s->cowPath, impl_->kind()));
    LS_TRY(impl_->openOrigin(*o, l, s->cowPath));
    auto job = std::make_shared<Job>();
    job->info.kind = JobKind::Merge;
    job->info.subjectId = snapshotId;
    job->deviceId = snapshotId;
    LS_ASSIGN(job->op, impl_->backend->beginMerge(o->path, s->cowPath));
    return impl_->addJob(job, [](Job& j) { Impl::finishOperationJob(j, j.op->run()); });
}

Result<uint64_t> Engine::startHydration(const std::string& cloneId, HydrationTuning tuning) {
    WorkspaceList l = impl_->snapshotOfList();
    auto c = l.cloneById(cloneId);
    if (!c) return notFound(cloneId);
    if (impl_->jobUsesDevice(cloneId)) return makeError(ErrorCode::Busy, "a job is working on " + cloneId, cloneId, "job-running");
    LS_TRY(impl_->openClone(*c));
    auto job = std::make_shared<Job>();
    job->info.kind = JobKind::Hydration;
    job->info.subjectId = cloneId;
    job->deviceId = cloneId;
    LS_ASSIGN(job->op, impl_->backend->beginHydration(c->metaPath, tuning));
    return impl_->addJob(job, [](Job& j) { Impl::finishOperationJob(j, j.op->run()); });
}

Status Engine::tuneHydration(const std::string& cloneId, HydrationTuning tuning) {
    WorkspaceList l = impl_->snapshotOfList();
    auto c = l.cloneById(cloneId);
    if (!c) return notFound(cloneId);
    return impl_->backend->tuneHydration(c->metaPath, tuning);
}

Result<uint64_t> Engine::startWorkload(const WorkloadRequest& request) {
    LS_ASSIGN(auto origin, device(request.originId));
    std::shared_ptr<BlockDevice> snap;
    if (!request.snapshotId.empty()) {
        LS_ASSIGN(snap, device(request.snapshotId));
    }
    auto job = std::make_shared<Job>();
    job->info.kind = JobKind::Workload;
    job->info.subjectId = request.snapshotId.empty() ? request.originId : request.snapshotId;
    job->unit = "operations";
    job->ownCounters.total.store(request.ops);
    Impl* impl = impl_.get();
    return impl_->addJob(job, [impl, request, origin, snap](Job& j) { impl->runWorkload(j, request, origin, snap); });
}

void Engine::setCrashTestRunner(CrashTestRunner runner) {
    std::lock_guard lock(impl_->mutex);
    impl_->crashRunner = std::move(runner);
}

Result<uint64_t> Engine::startCrashTest(const CrashTestRequest& request) {
    CrashTestRunner runner;
    {
        std::lock_guard lock(impl_->mutex);
        runner = impl_->crashRunner;
    }
    if (!runner)
        return makeError(ErrorCode::Unsupported, "no crash test runner is registered with this engine", request.scenario, "no-crashtest-runner");
    auto job = std::make_shared<Job>();
    job->info.kind = JobKind::CrashTest;
    job->unit = "states";
    return impl_->addJob(job, [runner, request](Job& j) {
        auto progress = [&j](const CrashTestProgress& p) {
            j.ownCounters.done.store(p.statesChecked, std::memory_order_relaxed);
            // The number of states is known only when the sweep ends: estimated from the crash
            // points done so far (each point has its own number of states).
            j.ownCounters.total.store(p.crashPointsDone ? std::max(p.statesChecked, p.statesChecked * p.crashPointsTotal / p.crashPointsDone)
                                                        : p.statesChecked,
                                      std::memory_order_relaxed);
            j.crashPointsDone.store(p.crashPointsDone, std::memory_order_relaxed);
            j.crashPointsTotal.store(p.crashPointsTotal, std::memory_order_relaxed);
        };
        Result<CrashTestOutcome> outcome = runner(request, progress, j.gate.stopFlag());
        std::lock_guard lock(j.mutex);
        if (!outcome.ok()) {
            j.info.state = j.gate.stopFlag().load() ? JobState::Cancelled : JobState::Failed;
            j.info.error = outcome.error();
            j.info.summary = "crash test " + request.scenario + ": " + outcome.error().toString();
        } else {
            j.outcome = *outcome;
            j.ownCounters.done.store(outcome->statesChecked, std::memory_order_relaxed);
            j.ownCounters.total.store(std::max(outcome->statesChecked, j.ownCounters.total.load()), std::memory_order_relaxed);
            j.info.state = j.gate.stopFlag().load() || outcome->cancelled ? JobState::Cancelled : JobState::Finished;
            j.info.summary = "crash test " + request.scenario + ": " + std::to_string(outcome->statesChecked) + " crash states checked, " +
                             (outcome->violation ? "VIOLATION of " + outcome->invariant : std::string("no violation"));
        }
        j.changed.notify_all();
    });
}

Result<CrashTestOutcome> Engine::crashTestOutcome(uint64_t jobId) {
    auto job = impl_->findJob(jobId);
    if (!job) return makeError(ErrorCode::NotFound, "no job " + std::to_string(jobId), std::to_string(jobId), "no-such-job");
    std::lock_guard lock(job->mutex);
    if (!job->outcome)
        return makeError(ErrorCode::InvalidArgument, "job " + std::to_string(jobId) + " has no crash test outcome (yet)", std::to_string(jobId),
                         "no-outcome");
    return *job->outcome;
}

Status Engine::pauseJob(uint64_t jobId) {
    auto job = impl_->findJob(jobId);
    if (!job) return makeError(ErrorCode::NotFound, "no job " + std::to_string(jobId), std::to_string(jobId), "no-such-job");
    if (job->info.kind == JobKind::CrashTest)
        return makeError(ErrorCode::Unsupported, "a crash test cannot pause; cancel it instead", std::to_string(jobId), "not-pausable");
    std::lock_guard lock(job->mutex);
    if (job->info.state != JobState::Running && job->info.state != JobState::Paused)
        return makeError(ErrorCode::InvalidArgument, std::string("job is ") + jobStateName(job->info.state), std::to_string(jobId), "not-running");
    if (job->op) job->op->pause();
    else job->gate.setPaused(true);
    job->info.state = JobState::Paused;
    job->changed.notify_all();
    return {};
}

Status Engine::resumeJob(uint64_t jobId) {
    auto job = impl_->findJob(jobId);
    if (!job) return makeError(ErrorCode::NotFound, "no job " + std::to_string(jobId), std::to_string(jobId), "no-such-job");
    std::lock_guard lock(job->mutex);
    if (job->info.state != JobState::Paused && job->info.state != JobState::Running)
        return makeError(ErrorCode::InvalidArgument, std::string("job is ") + jobStateName(job->info.state), std::to_string(jobId), "not-paused");
    if (job->op) job->op->resume();
    else job->gate.setPaused(false);
    job->info.state = JobState::Running;
    job->changed.notify_all();
    return {};
}

Status Engine::cancelJob(uint64_t jobId) {
    auto job = impl_->findJob(jobId);
    if (!job) return makeError(ErrorCode::NotFound, "no job " + std::to_string(jobId), std::to_string(jobId), "no-such-job");
    std::lock_guard lock(job->mutex);
    if (jobStateFinal(job->info.state)) return {};
    job->info.state = JobState::Stopping;
    if (job->op) job->op->stop();
    job->gate.setPaused(false);
    job->gate.stop();
    job->changed.notify_all();
    return {};
}

Result<JobInfo> Engine::job(uint64_t jobId) {
    auto job = impl_->findJob(jobId);
    if (!job) return makeError(ErrorCode::NotFound, "no job " + std::to_string(jobId), std::to_string(jobId), "no-such-job");
    return impl_->sample(*job);
}

std::vector<JobInfo> Engine::jobs() {
    std::vector<std::shared_ptr<Job>> all;
    {
        std::lock_guard lock(impl_->mutex);
        for (auto& [id, job] : impl_->jobs) all.push_back(job);
    }
    std::vector<JobInfo> out;
    for (auto& j : all) out.push_back(impl_->sample(*j));
    return out;
}

Result<JobInfo> Engine::waitJob(uint64_t jobId, std::chrono::milliseconds timeout) {
    auto job = impl_->findJob(jobId);
    if (!job) return makeError(ErrorCode::NotFound, "no job " + std::to_string(jobId), std::to_string(jobId), "no-such-job");
    {
        std::unique_lock lock(job->mutex);
        job->changed.wait_for(lock, timeout, [&] { return jobStateFinal(job->info.state); });
    }
    if (jobStateFinal(job->state()) && job->thread.joinable() && job->thread.get_id() != std::this_thread::get_id()) {
        // The thread is done or about to return: join so its device references are released.
        std::lock_guard lock(job->joinMutex);
        if (job->thread.joinable()) job->thread.join();
    }
    return impl_->sample(*job);
}

// ---- serving and attaching ----

Result<ServeInfo> Engine::serve(const ServeRequest& request) {
    if (request.exports.empty()) return makeError(ErrorCode::InvalidArgument, "nothing to serve", "", "no-exports");
    auto server = std::make_unique<NbdServer>();
    for (auto& e : request.exports) {
        LS_ASSIGN(auto dev, device(e.deviceId));
        LS_TRY(server->addExport(NbdExport{e.name, dev, request.readOnly, e.deviceId}));
    }
    ServeInfo info;
    if (!request.socketPath.empty()) {
        LS_TRY(server->listenUnix(request.socketPath));
        for (auto& e : request.exports) info.uris.push_back("nbd+unix:///" + e.name + "?socket=" + request.socketPath);
    }
    if (!request.tcp.empty()) {
        auto colon = request.tcp.rfind(':');
        if (colon == std::string::npos) return makeError(ErrorCode::InvalidArgument, "expected HOST:PORT", request.tcp, "bad-tcp-address");
        std::string host = request.tcp.substr(0, colon);
        uint16_t port = 0;
        try {
            port = uint16_t(std::stoul(request.tcp.substr(colon + 1)));
        } catch (...) {
            return makeError(ErrorCode::InvalidArgument, "bad port in " + request.tcp, request.tcp, "bad-tcp-address");
        }
        LS_ASSIGN(uint16_t bound, server->listenTcp(host, port));
        for (auto& e : request.exports) info.uris.push_back("nbd://" + host + ":" + std::to_string(bound) + "/" + e.name);
    }
    if (info.uris.empty()) return makeError(ErrorCode::InvalidArgument, "give a socket path or a TCP address", "", "no-listener");
    std::lock_guard lock(impl_->mutex);
    info.id = impl_->nextServeId++;
    impl_->servers[info.id] = std::move(server);
    return info;
}

Status Engine::stopServing(uint64_t serveId) {
    if (specServers_->has(serveId)) return specServers_->stop(serveId);
    std::unique_ptr<NbdServer> server;
    {
        std::lock_guard lock(impl_->mutex);
        auto it = impl_->servers.find(serveId);
        if (it == impl_->servers.end())
            return makeError(ErrorCode::NotFound, "no server " + std::to_string(serveId), std::to_string(serveId), "no-such-server");
        server = std::move(it->second);
        impl_->servers.erase(it);
    }
    server->stop();
    return {};
}

// attach, detach, attachments: attach.cpp; serveSpecs: serve_specs.cpp; one-shot path commands: engine_paths.cpp.

// ---- events and capabilities ----

EventRing& Engine::eventRing() { return *impl_->ring; }

Status Engine::setLegacyCompletionOrder(const std::string& snapshotId, bool legacy) {
    WorkspaceList l = impl_->snapshotOfList();
    auto s = l.snapshotById(snapshotId);
    if (!s) return notFound(snapshotId);
    LS_TRY(impl_->openById(snapshotId));
    return impl_->backend->setLegacyCompletionOrder(s->cowPath, legacy);
}
std::shared_ptr<EventSink> Engine::eventSink() { return impl_->sink; }

Result<SnapshotTrace> Engine::snapshotTrace(const std::string& snapshotId) {
    WorkspaceList l = impl_->snapshotOfList();
    auto s = l.snapshotById(snapshotId);
    if (!s) return notFound(snapshotId);
    return impl_->backend->snapshotTrace(s->cowPath);
}
Result<StoreLayout> Engine::storeLayout(const std::string& snapshotId) {
    WorkspaceList l = impl_->snapshotOfList();
    auto s = l.snapshotById(snapshotId);
    if (!s) return notFound(snapshotId);
    return impl_->backend->storeLayout(s->cowPath);
}
Result<CloneRegionMap> Engine::cloneRegionMap(const std::string& cloneId) {
    WorkspaceList l = impl_->snapshotOfList();
    auto c = l.cloneById(cloneId);
    if (!c) return notFound(cloneId);
    return impl_->backend->cloneRegionMap(c->metaPath);
}

}  // namespace loopsnap
