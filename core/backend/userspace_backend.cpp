// The userspace engine as a Backend, over files or over memory devices keyed by path.
//
// One UserspaceBackend holds the tables of what is open; a Storage turns a path into a device and
// keeps a store's settings (the sidecar on files, a table in memory). The data path is the
// engine's own (Origin, Snapshot, SnapshotMerge, Clone, HydrationScheduler): the file storage only
// calls snapshot_files.h and clone_files.h, which own the order of writes.
//
// Threads and locks: mutex_ guards the tables and is held only to look up or change an entry,
// never across device I/O, a merge or hydration step, or a listener call.
#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "core/backend/backend.h"
#include "core/backend/status_values.h"
#include "core/clone/clone.h"
#include "core/clone/clone_files.h"
#include "core/io/memory_device.h"
#include "core/posix/atomic_file.h"
#include "core/posix/file_device.h"
#include "core/snapshot/exception_store.h"
#include "core/snapshot/snapshot_files.h"

namespace loopsnap {

Result<SnapshotTrace> Backend::snapshotTrace(const std::string& cowPath) {
    return makeError(ErrorCode::Unsupported, "this backend has no copy and commit trace", cowPath, "capability-unsupported");
}
Result<StoreLayout> Backend::storeLayout(const std::string& cowPath) {
    return makeError(ErrorCode::Unsupported, "this backend cannot show the store's layout", cowPath, "capability-unsupported");
}
std::string Backend::originDevicePath(const std::string&) { return {}; }
Result<CloneRegionMap> Backend::cloneRegionMap(const std::string& metaPath) {
    return makeError(ErrorCode::Unsupported, "this backend has no region map", metaPath, "capability-unsupported");
}
Status Backend::setLegacyCompletionOrder(const std::string& cowPath, bool) {
    return makeError(ErrorCode::Unsupported, "this backend cannot switch the commit order", cowPath, "capability-unsupported");
}

namespace {

SnapshotCreateRequest lowerRequest(const CreateSnapshotRequest& rq, StoreType type) {
    SnapshotCreateRequest out;
    out.originPath = rq.originPath;
    out.cowPath = rq.cowPath;
    out.cowSize = rq.cowSize;
    out.chunkBytes = rq.chunkBytes;
    out.type = type;
    return out;
}

// A merge begun on an open origin; finish() runs once it finished (clears the merge mark).
struct StorageMerge {
    std::shared_ptr<SnapshotMerge> merge;
    std::function<Status()> finish;
};

// How a path becomes a device, and where a store's settings live.
class Storage {
public:
    virtual ~Storage() = default;
    virtual bool exists(const std::string& path) = 0;
    virtual Result<uint64_t> size(const std::string& path) = 0;
    virtual std::string canonical(const std::string& path) = 0;
    virtual Result<SnapshotStatus> createSnapshot(const SnapshotCreateRequest& request) = 0;  // nothing stays open
    virtual Result<std::shared_ptr<Snapshot>> createSnapshotOn(const std::shared_ptr<Origin>& origin, const SnapshotCreateRequest& request,
                                                               const SnapshotOpenOptions& options) = 0;
    virtual Result<StoreInspection> inspect(const std::string& cowPath) = 0;  // writes nothing
    virtual Result<std::shared_ptr<Origin>> openOrigin(const std::string& originPath, const SnapshotOpenOptions& options) = 0;
    virtual Result<std::shared_ptr<Snapshot>> attach(const std::shared_ptr<Origin>& origin, const std::string& cowPath,
                                                     const SnapshotOpenOptions& options) = 0;
    virtual Result<StorageMerge> beginMerge(const std::shared_ptr<Origin>& origin, const std::shared_ptr<Snapshot>& snapshot,
                                            const std::string& cowPath, MergeOptions options) = 0;
    virtual Status createClone(const CloneCreateRequest& request) = 0;  // nothing stays open
    virtual Result<std::shared_ptr<Clone>> openClone(const std::string& metaPath, CloneOptions options) = 0;
    virtual Result<CloneInfo> readClone(const std::string& metaPath) = 0;  // committed state, writes nothing
    virtual Status removeSnapshot(const std::string& cowPath) = 0;
    virtual Status removeClone(const std::string& metaPath, bool withDest) = 0;
};

// Committed clone state read from metadata without writing (and without the source).
Result<CloneInfo> cloneInfoFromMetadata(std::shared_ptr<BlockDevice> metaDevice, const std::string& metaPath,
                                        const std::function<std::string(const std::string&)>& resolve) {
    LS_ASSIGN(auto md, CloneMetadata::load(std::move(metaDevice)));
    CloneStatus st;
    st.usedMetadataBlocks = md->usedBlocks();
    st.totalMetadataBlocks = md->totalBlocks();
    st.regionSectors = md->header().geometry.regionSectors();
    st.hydratedRegions = md->committed().count();
    st.totalRegions = md->header().geometry.regionCount();
    CloneInfo info;
    info.metaPath = metaPath;
    info.source = resolve(md->header().sourceRecord);
    info.dest = resolve(md->header().destRecord);
    fillCloneStatus(info, st);
    info.sizeBytes = md->header().geometry.deviceSize;
    return info;
}

// ---------------------------------------------------------------------------------------------
// Files

class FileStorage final : public Storage {
public:
    bool exists(const std::string& path) override { return fileExists(path); }
    Result<uint64_t> size(const std::string& path) override {
        if (!fileExists(path)) return makeError(ErrorCode::NotFound, path + " does not exist", path, "missing");
        LS_ASSIGN(auto dev, FileDevice::open(path, FileOpenOptions{.writable = false}));
        return dev->size();
    }
    std::string canonical(const std::string& path) override {
        if (NbdSourceDeviceUri(path)) return path;
        return std::filesystem::absolute(std::filesystem::path(path)).lexically_normal().string();
    }
    static bool NbdSourceDeviceUri(const std::string& p) { return p.rfind("nbd://", 0) == 0 || p.rfind("nbd+unix://", 0) == 0; }
    Result<SnapshotStatus> createSnapshot(const SnapshotCreateRequest& rq) override { return createSnapshotFiles(rq); }
    Result<std::shared_ptr<Snapshot>> createSnapshotOn(const std::shared_ptr<Origin>& origin, const SnapshotCreateRequest& rq,
                                                       const SnapshotOpenOptions& options) override {
        return createSnapshotOnOrigin(origin, rq, options);
    }
    Result<StoreInspection> inspect(const std::string& cowPath) override {
        if (!fileExists(cowPath)) return makeError(ErrorCode::NotFound, "snapshot store " + cowPath + " does not exist", cowPath, "missing");
        return inspectSnapshotStore(cowPath);
    }
    Result<std::shared_ptr<Origin>> openOrigin(const std::string& originPath, const SnapshotOpenOptions& options) override {
        if (!fileExists(originPath)) return makeError(ErrorCode::NotFound, "origin " + originPath + " does not exist", originPath, "missing");
        LS_ASSIGN(OpenedSnapshots opened, openSnapshotFiles(originPath, {}, options));
        return opened.origin;
    }
    Result<std::shared_ptr<Snapshot>> attach(const std::shared_ptr<Origin>& origin, const std::string& cowPath,
                                             const SnapshotOpenOptions& options) override {
        if (!fileExists(cowPath)) return makeError(ErrorCode::NotFound, "snapshot store " + cowPath + " does not exist", cowPath, "missing");
        // Read-only first: a new (magic 0) or corrupt store is refused before it is opened for
        // writing (attaching a new store would format it).
        LS_TRY(inspectSnapshotStore(cowPath));
        return attachSnapshotFile(origin, cowPath, options);
    }
    Result<StorageMerge> beginMerge(const std::shared_ptr<Origin>& origin, const std::shared_ptr<Snapshot>& snapshot,
                                    const std::string& cowPath, MergeOptions options) override {
        LS_ASSIGN(MergeFiles files, beginMergeOnOrigin(origin, snapshot, cowPath, options));
        auto shared = std::make_shared<MergeFiles>(std::move(files));
        StorageMerge out;
        out.merge = shared->merge;
        // MergeFiles::run clears the mark after a finished merge; here the merge already ran,
        // so run() on a finished merge returns at once and then clears the mark.
        out.finish = [shared]() -> Status {
            LS_TRY(shared->run());
            return {};
        };
        return out;
    }
    Status createClone(const CloneCreateRequest& rq) override {
        LS_TRY(createCloneFiles(rq));
        return {};
    }
    Result<std::shared_ptr<Clone>> openClone(const std::string& metaPath, CloneOptions options) override {
        return openCloneFiles(metaPath, std::move(options));
    }
    Result<CloneInfo> readClone(const std::string& metaPath) override {
        if (!fileExists(metaPath)) return makeError(ErrorCode::NotFound, "metadata file " + metaPath + " does not exist", metaPath, "missing");
        LS_ASSIGN(auto dev, FileDevice::open(metaPath, FileOpenOptions{.writable = false}));
        return cloneInfoFromMetadata(dev, metaPath, [&](const std::string& r) { return resolveClonePath(r, metaPath); });
    }
    Status removeSnapshot(const std::string& cowPath) override {
        LS_TRY(removeFileDurably(cowPath + ".loopsnap"));
        return removeFileDurably(cowPath);
    }
    Status removeClone(const std::string& metaPath, bool withDest) override {
        if (withDest) {
            auto info = readClone(metaPath);
            if (info.ok() && !NbdSourceDeviceUri(info->dest)) LS_TRY(removeFileDurably(info->dest));
        }
        return removeFileDurably(metaPath);
    }
};

// ---------------------------------------------------------------------------------------------
// Memory: devices keyed by path; a store's settings in a table (what the sidecar holds on files)

struct MemorySettings {
    StoreType type = StoreType::Persistent;
    uint64_t sizeBytes = 0;
    bool merging = false;
};

class MemoryStorage final : public Storage {
public:
    Status createDevice(const std::string& path, uint64_t sizeBytes) {
        if (!sizeBytes) return makeError(ErrorCode::InvalidArgument, "a device needs a size", path, "bad-size");
        std::lock_guard lock(mutex_);
        devices_[path] = std::make_shared<MemoryDevice>(sizeBytes, path);
        settings_.erase(path);
        return {};
    }
    void removeDevice(const std::string& path) {
        std::lock_guard lock(mutex_);
        devices_.erase(path);
        settings_.erase(path);
    }
    Result<std::shared_ptr<MemoryDevice>> device(const std::string& path) {
        std::lock_guard lock(mutex_);
        auto it = devices_.find(path);
        if (it == devices_.end()) return makeError(ErrorCode::NotFound, path + " does not exist", path, "missing");
        return it->second;
    }

    bool exists(const std::string& path) override {
        std::lock_guard lock(mutex_);
        return devices_.count(path) > 0;
    }
    Result<uint64_t> size(const std::string& path) override {
        LS_ASSIGN(auto dev, device(path));
        return dev->size();
    }
    std::string canonical(const std::string& path) override { return path; }

    Result<SnapshotStatus> createSnapshot(const SnapshotCreateRequest& rq) override {
        LS_ASSIGN(auto originDev, device(rq.originPath));
        auto origin = Origin::create(originDev);
        LS_ASSIGN(auto snap, createSnapshotOn(origin, rq, {}));
        SnapshotStatus st = snap->status();
        origin->detachSnapshot(snap);
        return st;
    }
    Result<std::shared_ptr<Snapshot>> createSnapshotOn(const std::shared_ptr<Origin>& origin, const SnapshotCreateRequest& rq,
                                                       const SnapshotOpenOptions& options) override {
        LS_TRY(validateChunkBytes(rq.chunkBytes));
        std::shared_ptr<MemoryDevice> cow;
        if (!exists(rq.cowPath)) {
            if (!rq.cowSize) return makeError(ErrorCode::InvalidArgument, rq.cowPath + " does not exist and no size was given to create it",
                                              rq.cowPath, "cow-size-missing");
            LS_TRY(createDevice(rq.cowPath, rq.cowSize));
        }
        LS_ASSIGN(cow, device(rq.cowPath));
        std::byte raw[cowfmt::kHeaderBytes] = {};
        if (cow->size() >= sizeof raw) {
            LS_TRY(cow->read(0, raw));
            if (cowfmt::decodeHeader(raw).magic == cowfmt::kMagic)
                return makeError(ErrorCode::InvalidArgument, rq.cowPath + " already holds a snapshot store; refusing to overwrite it",
                                 rq.cowPath, "store-exists");
        }
        {
            std::lock_guard lock(mutex_);
            settings_[rq.cowPath] = MemorySettings{rq.type, origin->size(), false};
        }
        SnapshotOptions so{.type = rq.type, .chunkBytes = rq.chunkBytes, .sizeBytes = origin->size()};
        so.legacyCompletionOrder = options.legacyCompletionOrder;
        so.name = rq.cowPath;
        return origin->attachSnapshot(cow, so);
    }
    Result<StoreInspection> inspect(const std::string& cowPath) override {
        LS_ASSIGN(auto cow, device(cowPath));
        MemorySettings sc = settingsOf(cowPath);
        if (sc.type == StoreType::Transient)
            return makeError(ErrorCode::Unsupported, cowPath + " is a transient (N) store", cowPath, "transient-store");
        return inspectStoreOn(cow, sc.type, sc.merging);
    }
    Result<std::shared_ptr<Origin>> openOrigin(const std::string& originPath, const SnapshotOpenOptions& options) override {
        LS_ASSIGN(auto dev, device(originPath));
        OriginOptions oo;
        oo.executor = options.executor;
        oo.events = options.events;
        oo.name = originPath;
        return Origin::create(dev, oo);
    }
    Result<std::shared_ptr<Snapshot>> attach(const std::shared_ptr<Origin>& origin, const std::string& cowPath,
                                             const SnapshotOpenOptions& options) override {
        LS_TRY(inspect(cowPath));  // refuses a new or corrupt store before it could be formatted
        LS_ASSIGN(auto cow, device(cowPath));
        MemorySettings sc = settingsOf(cowPath);
        if (sc.merging && !options.allowMerging)
            return makeError(ErrorCode::Busy, cowPath + ": a merge of this snapshot into its origin has started and not finished", cowPath,
                             "merge-unfinished");
        SnapshotOptions so;
        so.type = sc.type;
        so.sizeBytes = sc.sizeBytes;
        so.legacyCompletionOrder = options.legacyCompletionOrder;
        so.name = cowPath;
        return origin->attachSnapshot(cow, so);
    }
    Result<StorageMerge> beginMerge(const std::shared_ptr<Origin>& origin, const std::shared_ptr<Snapshot>& snapshot,
                                    const std::string& cowPath, MergeOptions options) override {
        StorageMerge out;
        LS_ASSIGN(out.merge, SnapshotMerge::begin(origin, snapshot, options));
        setMerging(cowPath, true);
        out.finish = [this, cowPath]() -> Status {
            setMerging(cowPath, false);
            return {};
        };
        return out;
    }
    Status createClone(const CloneCreateRequest& rq) override {
        if (exists(rq.meta)) return makeError(ErrorCode::InvalidArgument, "metadata " + rq.meta + " already exists; refusing to overwrite it",
                                              rq.meta, "meta-exists");
        LS_ASSIGN(auto source, device(rq.source));
        CloneGeometry geometry{source->size(), rq.regionSize};
        LS_TRY(validateCloneGeometry(geometry));
        if (!exists(rq.dest)) LS_TRY(createDevice(rq.dest, source->size()));
        LS_ASSIGN(auto dest, device(rq.dest));
        if (dest->size() != source->size())
            return makeError(ErrorCode::InvalidArgument, "source " + rq.source + " and destination " + rq.dest + " differ in size", rq.dest,
                             "size-mismatch");
        LS_TRY(createDevice(rq.meta, CloneMetadata::requiredSize(geometry)));
        LS_ASSIGN(auto meta, device(rq.meta));
        CloneOptions options;
        options.commitInterval = std::chrono::milliseconds(0);
        options.name = rq.meta;
        auto clone = Clone::create(source, dest, meta, rq.regionSize, options, rq.source, rq.dest);
        if (!clone.ok()) {
            removeDevice(rq.meta);
            return std::move(clone).error();
        }
        return clone.value()->close();
    }
    Result<std::shared_ptr<Clone>> openClone(const std::string& metaPath, CloneOptions options) override {
        LS_ASSIGN(auto meta, device(metaPath));
        LS_ASSIGN(CloneHeader header, CloneMetadata::readHeader(*meta));
        LS_ASSIGN(auto dest, device(header.destRecord));
        LS_ASSIGN(auto source, device(header.sourceRecord));
        if (options.name == "clone") options.name = metaPath;
        return Clone::open(source, dest, meta, std::move(options));
    }
    Result<CloneInfo> readClone(const std::string& metaPath) override {
        LS_ASSIGN(auto meta, device(metaPath));
        return cloneInfoFromMetadata(meta, metaPath, [](const std::string& r) { return r; });
    }
    Status removeSnapshot(const std::string& cowPath) override {
        removeDevice(cowPath);
        return {};
    }
    Status removeClone(const std::string& metaPath, bool withDest) override {
        if (withDest) {
            auto info = readClone(metaPath);
            if (info.ok()) removeDevice(info->dest);
        }
        removeDevice(metaPath);
        return {};
    }

private:
    MemorySettings settingsOf(const std::string& cowPath) {
        std::lock_guard lock(mutex_);
        auto it = settings_.find(cowPath);
        return it == settings_.end() ? MemorySettings{} : it->second;
    }
    void setMerging(const std::string& cowPath, bool merging) {
        std::lock_guard lock(mutex_);
        settings_[cowPath].merging = merging;
    }
    std::mutex mutex_;
    std::map<std::string, std::shared_ptr<MemoryDevice>> devices_;
    std::map<std::string, MemorySettings> settings_;
};

// ---------------------------------------------------------------------------------------------
// Long operations

// Waits between steps; pause/resume/stop from any thread.
class StepGate {
public:
    void pause() { set(true, stop_); }
    void resume() { set(false, stop_); }
    void stop() { set(paused_, true); }
    bool stopped() {
        std::lock_guard lock(mutex_);
        return stop_;
    }
    bool paused() {
        std::lock_guard lock(mutex_);
        return paused_;
    }
    // Sleeps up to `timeout` or until a change.
    void wait(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, timeout, [&] { return changed_; });
        changed_ = false;
    }

private:
    void set(bool paused, bool stop) {
        {
            std::lock_guard lock(mutex_);
            paused_ = paused;
            stop_ = stop;
            changed_ = true;
        }
        cv_.notify_all();
    }
    std::mutex mutex_;
    std::condition_variable cv_;
    bool paused_ = false, stop_ = false, changed_ = false;
};

class MergeOperation final : public BackendOperation {
public:
    MergeOperation(StorageMerge merge, std::function<void()> onFinished) : merge_(std::move(merge)), onFinished_(std::move(onFinished)) {}
    Result<OperationOutcome> run() override {
        LS_ASSIGN(MergeOutcome outcome, merge_.merge->run());
        sample();
        if (outcome == MergeOutcome::Stopped) return OperationOutcome::Stopped;
        LS_TRY(merge_.finish());
        onFinished_();
        return OperationOutcome::Finished;
    }
    void pause() override { merge_.merge->pause(); }
    void resume() override { merge_.merge->resume(); }
    void stop() override { merge_.merge->stop(); }
    OperationCounters& counters() override {
        sample();
        return counters_;
    }
    const char* unit() const override { return "chunks"; }

private:
    void sample() {
        const MergeCounters& c = merge_.merge->counters();
        uint64_t chunk = merge_.merge->chunkBytes();
        counters_.total.store(c.totalChunks.load(std::memory_order_relaxed), std::memory_order_relaxed);
        counters_.done.store(c.mergedChunks.load(std::memory_order_relaxed), std::memory_order_relaxed);
        counters_.bytesDone.store(c.bytesCopied.load(std::memory_order_relaxed), std::memory_order_relaxed);
        counters_.bytesTotal.store(c.totalChunks.load(std::memory_order_relaxed) * chunk, std::memory_order_relaxed);
    }
    StorageMerge merge_;
    std::function<void()> onFinished_;
    OperationCounters counters_;
};

class HydrationOperation final : public BackendOperation {
public:
    // The tuning applies at once (a tuneHydration after begin is not undone when run() starts).
    HydrationOperation(std::shared_ptr<Clone> clone, HydrationTuning tuning) : clone_(std::move(clone)) {
        clone_->setHydrationThreshold(tuning.threshold);
        clone_->setHydrationBatchSize(tuning.batchSize);
    }
    Result<OperationOutcome> run() override {
        bool enabled = false;
        for (;;) {
            sample();
            if (clone_->fullyHydrated()) {
                clone_->disableHydration();
                LS_TRY(clone_->flush());  // commit: every hydrated region is durable
                sample();
                return OperationOutcome::Finished;
            }
            if (auto err = clone_->hydrationError()) {
                clone_->disableHydration();
                (void)clone_->flush();  // keep what was hydrated
                return *err;
            }
            if (gate_.stopped()) {
                clone_->disableHydration();
                LS_TRY(clone_->flush());
                sample();
                return OperationOutcome::Stopped;
            }
            bool wantOn = !gate_.paused();
            if (wantOn != enabled) {
                if (wantOn) clone_->enableHydration();
                else clone_->disableHydration();
                enabled = wantOn;
            }
            gate_.wait(std::chrono::milliseconds(10));
        }
    }
    void pause() override { gate_.pause(); }
    void resume() override { gate_.resume(); }
    void stop() override { gate_.stop(); }
    OperationCounters& counters() override {
        sample();
        return counters_;
    }
    const char* unit() const override { return "regions"; }

private:
    void sample() {
        uint64_t region = clone_->geometry().regionSize;
        counters_.total.store(clone_->regionCount(), std::memory_order_relaxed);
        counters_.done.store(clone_->hydratedRegions(), std::memory_order_relaxed);
        counters_.bytesDone.store(clone_->hydratedRegions() * region, std::memory_order_relaxed);
        counters_.bytesTotal.store(clone_->regionCount() * region, std::memory_order_relaxed);
    }
    std::shared_ptr<Clone> clone_;
    StepGate gate_;
    OperationCounters counters_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// The backend

class UserspaceBackend : public Backend {
public:
    UserspaceBackend(BackendKind kind, BackendContext context, std::unique_ptr<Storage> storage)
        : kind_(kind), context_(std::move(context)), storage_(std::move(storage)) {}
    ~UserspaceBackend() override {
        std::vector<std::string> origins, clones;
        {
            std::lock_guard lock(mutex_);
            for (auto& [path, o] : origins_) origins.push_back(path);
            for (auto& [path, c] : clones_) clones.push_back(path);
        }
        for (auto& p : clones) (void)closeClone(p);
        for (auto& p : origins) (void)closeOrigin(p);
    }
    Storage& storage() { return *storage_; }
    void setContext(BackendContext context) override {
        std::lock_guard lock(mutex_);
        context_ = std::move(context);
    }

    BackendKind kind() const override { return kind_; }
    bool exists(const std::string& path) override { return storage_->exists(path); }
    Result<uint64_t> deviceSize(const std::string& path) override { return storage_->size(path); }
    std::string canonicalPath(const std::string& path) override { return storage_->canonical(path); }

    Result<SnapshotInfo> createSnapshot(const CreateSnapshotRequest& request) override {
        LS_ASSIGN(StoreType type, parseStoreType(request.store));
        SnapshotCreateRequest rq = lowerRequest(request, type);
        if (auto origin = liveOrigin(request.originPath)) {
            LS_ASSIGN(auto snap, storage_->createSnapshotOn(origin, rq, openOptions(false)));
            {
                std::lock_guard lock(mutex_);
                auto& open = origins_[request.originPath];
                open.snapshots[request.cowPath] = snap;
                open.order.push_back(request.cowPath);
                cowToOrigin_[request.cowPath] = request.originPath;
            }
            return snapshotStatus(request.originPath, request.cowPath);
        }
        LS_ASSIGN(SnapshotStatus st, storage_->createSnapshot(rq));
        SnapshotInfo info;
        info.cowPath = request.cowPath;
        info.backend = kind_;
        fillSnapshotStatus(info, st);
        info.store = storeTypeName(type);
        info.chunkBytes = request.chunkBytes;
        auto size = storage_->size(request.originPath);
        info.sizeBytes = size.ok() ? size.value() : 0;
        return info;
    }

    Result<SnapshotInfo> snapshotStatus(const std::string& originPath, const std::string& cowPath) override {
        SnapshotInfo info;
        info.cowPath = cowPath;
        info.backend = kind_;
        if (auto snap = liveSnapshot(cowPath)) {
            fillSnapshotStatus(info, snap->status());
            info.store = storeTypeName(snap->storeType());
            info.chunkBytes = snap->chunkBytes();
            info.sizeBytes = snap->size();
            info.open = true;
            return info;
        }
        LS_ASSIGN(StoreInspection ins, storage_->inspect(cowPath));
        fillSnapshotStatus(info, ins.status);
        info.store = storeTypeName(ins.type);
        auto size = storage_->size(originPath);
        info.sizeBytes = size.ok() ? size.value() : 0;
        return info;
    }

    Status openOrigin(const std::string& originPath, bool forMerge) override {
        if (liveOrigin(originPath)) return {};
        LS_ASSIGN(auto origin, storage_->openOrigin(originPath, openOptions(forMerge)));
        std::lock_guard lock(mutex_);
        if (origins_.count(originPath)) return {};  // a racing open won; ours closes unused
        origins_[originPath].origin = origin;
        return {};
    }

    Status attachSnapshot(const std::string& originPath, const std::string& cowPath, bool allowMerging) override {
        if (liveSnapshot(cowPath)) return {};
        auto origin = liveOrigin(originPath);
        if (!origin) return makeError(ErrorCode::InvalidArgument, "origin " + originPath + " is not open", originPath, "not-open");
        LS_ASSIGN(auto snap, storage_->attach(origin, cowPath, openOptions(allowMerging)));
        std::lock_guard lock(mutex_);
        auto& open = origins_[originPath];
        open.snapshots[cowPath] = snap;
        open.order.push_back(cowPath);
        cowToOrigin_[cowPath] = originPath;
        return {};
    }

    Status detachSnapshot(const std::string& originPath, const std::string& cowPath) override {
        std::shared_ptr<Origin> origin;
        std::shared_ptr<Snapshot> snap;
        {
            std::lock_guard lock(mutex_);
            auto it = origins_.find(originPath);
            if (it == origins_.end()) return {};
            origin = it->second.origin;
            auto s = it->second.snapshots.find(cowPath);
            if (s == it->second.snapshots.end()) return {};
            snap = s->second;
            forgetSnapshotLocked(it->second, cowPath);
        }
        Status flushed = snap->flush();
        origin->detachSnapshot(snap);
        return flushed;
    }

    std::vector<std::string> attachedSnapshots(const std::string& originPath) override {
        std::lock_guard lock(mutex_);
        auto it = origins_.find(originPath);
        return it == origins_.end() ? std::vector<std::string>{} : it->second.order;
    }

    Status closeOrigin(const std::string& originPath) override {
        OpenOrigin open;
        {
            std::lock_guard lock(mutex_);
            auto it = origins_.find(originPath);
            if (it == origins_.end()) return {};
            open = std::move(it->second);
            origins_.erase(it);
            for (auto& [cow, snap] : open.snapshots) cowToOrigin_.erase(cow);
        }
        Status first = open.origin->flush();
        for (auto& [cow, snap] : open.snapshots) {
            Status s = snap->flush();
            if (first.ok() && !s.ok()) first = s;
            open.origin->detachSnapshot(snap);
        }
        return first;
    }

    bool originOpen(const std::string& originPath) override { return liveOrigin(originPath) != nullptr; }

    Result<std::shared_ptr<BlockDevice>> originDevice(const std::string& originPath) override {
        auto origin = liveOrigin(originPath);
        if (!origin) return makeError(ErrorCode::InvalidArgument, "origin " + originPath + " is not open", originPath, "not-open");
        return std::shared_ptr<BlockDevice>(origin);
    }
    Result<std::shared_ptr<BlockDevice>> snapshotDevice(const std::string& cowPath) override {
        auto snap = liveSnapshot(cowPath);
        if (!snap) return makeError(ErrorCode::InvalidArgument, "snapshot " + cowPath + " is not open", cowPath, "not-open");
        return snap->device();
    }

    Result<std::unique_ptr<BackendOperation>> beginMerge(const std::string& originPath, const std::string& cowPath,
                                                         bool legacySkipOriginFlush) override {
        auto origin = liveOrigin(originPath);
        auto snap = liveSnapshot(cowPath);
        if (!origin || !snap)
            return makeError(ErrorCode::InvalidArgument, "snapshot " + cowPath + " is not open on origin " + originPath, cowPath, "not-open");
        MergeOptions mo;
        mo.skipOriginFlush = legacySkipOriginFlush;
        LS_ASSIGN(StorageMerge merge, storage_->beginMerge(origin, snap, cowPath, mo));
        // A finished merge detaches the snapshot from the origin (SnapshotMerge::run): drop it
        // from the table too, so it reads its (now empty) store from disk again.
        auto onFinished = [this, originPath, cowPath] {
            std::lock_guard lock(mutex_);
            auto it = origins_.find(originPath);
            if (it != origins_.end()) forgetSnapshotLocked(it->second, cowPath);
        };
        return std::unique_ptr<BackendOperation>(new MergeOperation(std::move(merge), onFinished));
    }

    Result<CloneInfo> createClone(const CreateCloneRequest& request) override {
        CloneCreateRequest rq;
        rq.source = request.source;
        rq.dest = request.dest;
        rq.meta = request.meta;
        rq.regionSize = request.regionBytes;
        LS_TRY(storage_->createClone(rq));
        return cloneStatus(request.meta);
    }

    Result<CloneInfo> cloneStatus(const std::string& metaPath) override {
        if (auto clone = liveClone(metaPath)) {
            CloneInfo info;
            info.metaPath = metaPath;
            info.backend = kind_;
            info.source = clone->header().sourceRecord;
            info.dest = clone->header().destRecord;
            if (kind_ != BackendKind::Memory) {
                info.source = resolveClonePath(info.source, metaPath);
                info.dest = resolveClonePath(info.dest, metaPath);
            }
            fillCloneStatus(info, clone->status());
            info.sizeBytes = clone->size();
            const Clone::ForegroundIo io = clone->foregroundIo();
            info.foregroundBytesRead = io.bytesRead;
            info.foregroundBytesWritten = io.bytesWritten + io.bytesDiscarded;
            if (auto err = clone->hydrationError()) info.problem = *err;
            info.open = true;
            return info;
        }
        LS_ASSIGN(CloneInfo info, storage_->readClone(metaPath));
        info.backend = kind_;
        return info;
    }

    Status openClone(const std::string& metaPath) override {
        if (liveClone(metaPath)) return {};
        CloneOptions options;
        {
            std::lock_guard lock(mutex_);
            options.events = context_.events;
            options.legacyCommit = context_.legacyCloneCommit;
        }
        options.name = metaPath;
        LS_ASSIGN(auto clone, storage_->openClone(metaPath, options));
        std::lock_guard lock(mutex_);
        if (!clones_.count(metaPath)) clones_[metaPath] = clone;
        return {};
    }

    Status closeClone(const std::string& metaPath) override {
        std::shared_ptr<Clone> clone;
        {
            std::lock_guard lock(mutex_);
            auto it = clones_.find(metaPath);
            if (it == clones_.end()) return {};
            clone = it->second;
            clones_.erase(it);
        }
        return clone->close();
    }

    bool cloneOpen(const std::string& metaPath) override { return liveClone(metaPath) != nullptr; }

    Result<std::shared_ptr<BlockDevice>> cloneDevice(const std::string& metaPath) override {
        auto clone = liveClone(metaPath);
        if (!clone) return makeError(ErrorCode::InvalidArgument, "clone " + metaPath + " is not open", metaPath, "not-open");
        return std::shared_ptr<BlockDevice>(clone);
    }

    Status tuneHydration(const std::string& metaPath, HydrationTuning tuning) override {
        auto clone = liveClone(metaPath);
        if (!clone) return makeError(ErrorCode::InvalidArgument, "clone " + metaPath + " is not open", metaPath, "not-open");
        clone->setHydrationThreshold(tuning.threshold);
        clone->setHydrationBatchSize(tuning.batchSize);
        return {};
    }

    Result<std::unique_ptr<BackendOperation>> beginHydration(const std::string& metaPath, HydrationTuning tuning) override {
        auto clone = liveClone(metaPath);
        if (!clone) return makeError(ErrorCode::InvalidArgument, "clone " + metaPath + " is not open", metaPath, "not-open");
        return std::unique_ptr<BackendOperation>(new HydrationOperation(clone, tuning));
    }

    Status deleteSnapshotFiles(const std::string& cowPath) override {
        if (liveSnapshot(cowPath)) return makeError(ErrorCode::Busy, "snapshot " + cowPath + " is open", cowPath, "in-use");
        return storage_->removeSnapshot(cowPath);
    }
    Status deleteCloneFiles(const std::string& metaPath, bool withDest) override {
        if (liveClone(metaPath)) return makeError(ErrorCode::Busy, "clone " + metaPath + " is open", metaPath, "in-use");
        return storage_->removeClone(metaPath, withDest);
    }

    Result<SnapshotTrace> snapshotTrace(const std::string& cowPath) override {
        auto snap = liveSnapshot(cowPath);
        if (!snap) return makeError(ErrorCode::InvalidArgument, "snapshot " + cowPath + " is not open", cowPath, "not-open");
        const SnapshotCounters& c = snap->counters();
        SnapshotTrace t;
        t.allocated = c.allocated.load(std::memory_order_relaxed);
        t.copiesInFlight = c.copiesInFlight.load(std::memory_order_relaxed);
        t.copiesFinished = c.copiesFinished.load(std::memory_order_relaxed);
        t.committed = c.committed.load(std::memory_order_relaxed);
        t.waitingOutOfOrder = c.waitingOutOfOrder.load(std::memory_order_relaxed);
        t.finishedOutOfOrder = c.finishedOutOfOrder.load(std::memory_order_relaxed);
        t.areaWrites = c.areaWrites.load(std::memory_order_relaxed);
        t.copyRuns = c.copyRuns.load(std::memory_order_relaxed);
        t.coalescedChunks = c.coalescedChunks.load(std::memory_order_relaxed);
        t.eventSource = snap->eventSource();
        t.legacyCompletionOrder = snap->legacyCompletionOrder();
        return t;
    }

    Status setLegacyCompletionOrder(const std::string& cowPath, bool legacy) override {
        auto snap = liveSnapshot(cowPath);
        if (!snap) return makeError(ErrorCode::InvalidArgument, "snapshot " + cowPath + " is not open", cowPath, "not-open");
        snap->setLegacyCompletionOrder(legacy);
        return {};
    }

    Result<StoreLayout> storeLayout(const std::string& cowPath) override {
        // The kernel's persistent layout: chunk 0 the header, then areas of one metadata chunk
        // followed by chunkBytes/16 data chunks.
        SnapshotInfo info;
        if (auto snap = liveSnapshot(cowPath)) {
            fillSnapshotStatus(info, snap->status());
            info.chunkBytes = snap->chunkBytes();
        } else {
            LS_ASSIGN(StoreInspection ins, storage_->inspect(cowPath));
            fillSnapshotStatus(info, ins.status);
        }
        if (!info.chunkBytes) return makeError(ErrorCode::Corruption, cowPath + " has no chunk size", cowPath, "bad-header");
        StoreLayout layout;
        uint64_t chunkSectors = info.chunkBytes / 512;
        layout.chunkBytes = info.chunkBytes;
        layout.totalChunks = info.totalSectors / chunkSectors;
        layout.nextFreeChunk = info.allocatedSectors / chunkSectors;
        layout.exceptionsPerArea = info.chunkBytes / 16;
        layout.metadataChunks.push_back(0);
        for (uint64_t c = 1; c < layout.totalChunks && c <= layout.nextFreeChunk; c += layout.exceptionsPerArea + 1)
            layout.metadataChunks.push_back(c);
        return layout;
    }

    Result<CloneRegionMap> cloneRegionMap(const std::string& metaPath) override {
        auto clone = liveClone(metaPath);
        if (!clone) return makeError(ErrorCode::InvalidArgument, "clone " + metaPath + " is not open", metaPath, "not-open");
        CloneRegionMap map;
        map.regionBytes = clone->geometry().regionSize;
        map.eventSource = clone->eventSource();
        RegionBitmap bits = clone->hydratedBitmap();
        map.regions.resize(bits.regions());
        for (uint64_t r = 0; r < bits.regions(); ++r) map.regions[r] = bits.test(r) ? 2 : 0;
        return map;
    }

private:
    struct OpenOrigin {
        std::shared_ptr<Origin> origin;
        std::map<std::string, std::shared_ptr<Snapshot>> snapshots;
        std::vector<std::string> order;
    };
    void forgetSnapshotLocked(OpenOrigin& open, const std::string& cowPath) {
        open.snapshots.erase(cowPath);
        open.order.erase(std::remove(open.order.begin(), open.order.end(), cowPath), open.order.end());
        cowToOrigin_.erase(cowPath);
    }
    SnapshotOpenOptions openOptions(bool allowMerging) {
        std::lock_guard lock(mutex_);
        SnapshotOpenOptions o;
        o.executor = context_.executor;
        o.events = context_.events;
        o.legacyCompletionOrder = context_.legacyCompletionOrder;
        o.allowMerging = allowMerging;
        return o;
    }
    std::shared_ptr<Origin> liveOrigin(const std::string& path) {
        std::lock_guard lock(mutex_);
        auto it = origins_.find(path);
        return it == origins_.end() ? nullptr : it->second.origin;
    }
    std::shared_ptr<Snapshot> liveSnapshot(const std::string& cowPath) {
        std::lock_guard lock(mutex_);
        auto o = cowToOrigin_.find(cowPath);
        if (o == cowToOrigin_.end()) return nullptr;
        auto& snaps = origins_[o->second].snapshots;
        auto it = snaps.find(cowPath);
        return it == snaps.end() ? nullptr : it->second;
    }
    std::shared_ptr<Clone> liveClone(const std::string& path) {
        std::lock_guard lock(mutex_);
        auto it = clones_.find(path);
        return it == clones_.end() ? nullptr : it->second;
    }

    BackendKind kind_;
    BackendContext context_;
    std::unique_ptr<Storage> storage_;
    std::mutex mutex_;
    std::map<std::string, OpenOrigin> origins_;
    std::map<std::string, std::string> cowToOrigin_;
    std::map<std::string, std::shared_ptr<Clone>> clones_;
};

class MemoryBackend final : public UserspaceBackend {
public:
    explicit MemoryBackend(BackendContext context)
        : UserspaceBackend(BackendKind::Memory, std::move(context), std::make_unique<MemoryStorage>()) {}
    MemoryStorage& memory() { return static_cast<MemoryStorage&>(storage()); }
};

std::unique_ptr<Backend> makeFileBackend(BackendContext context) {
    return std::make_unique<UserspaceBackend>(BackendKind::Userspace, std::move(context), std::make_unique<FileStorage>());
}

std::shared_ptr<MemoryBackend> makeMemoryBackend(BackendContext context) { return std::make_shared<MemoryBackend>(std::move(context)); }

Status createMemoryDevice(MemoryBackend& backend, const std::string& path, uint64_t sizeBytes) {
    return backend.memory().createDevice(path, sizeBytes);
}
void removeMemoryDevice(MemoryBackend& backend, const std::string& path) { backend.memory().removeDevice(path); }
Result<std::shared_ptr<BlockDevice>> rawMemoryDevice(MemoryBackend& backend, const std::string& path) {
    LS_ASSIGN(auto dev, backend.memory().device(path));
    return std::shared_ptr<BlockDevice>(dev);
}
std::shared_ptr<Backend> asBackend(std::shared_ptr<MemoryBackend> backend) { return backend; }

}  // namespace loopsnap
