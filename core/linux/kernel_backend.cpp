#include "core/linux/kernel_backend.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/backend/status_values.h"
#include "core/linux/kernel_devices.h"
#include "core/linux/loop_device.h"
#include "core/posix/atomic_file.h"
#include "core/posix/file_device.h"
#include "core/snapshot/snapshot_files.h"
#include "core/snapshot/snapshot_records.h"

namespace loopsnap {

namespace {

constexpr uint64_t kSector = 512;

std::string hashName(const std::string& text) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return std::string(buf, 12);
}

std::string defaultWorkspaceId() {
    const char* dir = std::getenv("LOOPSNAP_WORKSPACE");
    std::string base = dir && *dir ? dir : std::string(std::getenv("HOME") ? std::getenv("HOME") : "/") + "/.local/share/loopsnap";
    return "w" + hashName(canonicalPath(base)).substr(0, 7);
}

Result<uint64_t> sizeOf(const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return makeError(ErrorCode::NotFound, path + " does not exist", path, "missing");
    if (S_ISBLK(st.st_mode)) {
        LS_ASSIGN(auto dev, FileDevice::open(path, FileOpenOptions{.writable = false, .lock = false}));
        return dev->size();
    }
    return uint64_t(st.st_size);
}

// "<meta>.loopsnap-kernel": what the kernel's clone table needs besides the metadata.
struct CloneRecord {
    std::string source, dest;
    uint64_t regionBytes = 0;
};
std::string cloneRecordPath(const std::string& meta) { return meta + ".loopsnap-kernel"; }

Status writeCloneRecord(const std::string& meta, const CloneRecord& r) {
    return writeFileAtomically(cloneRecordPath(meta), "# loopsnap: the kernel clone's table (dm-clone keeps no paths)\nsource=" + r.source +
                                                         "\ndest=" + r.dest + "\nregion=" + std::to_string(r.regionBytes) + "\n");
}

Result<CloneRecord> readCloneRecord(const std::string& meta) {
    auto text = readWholeFile(cloneRecordPath(meta));
    if (!text.ok())
        return makeError(ErrorCode::NotFound, meta + " is not a kernel clone (no " + cloneRecordPath(meta) + ")", meta, "missing");
    CloneRecord r;
    std::istringstream in(text.value());
    std::string line;
    while (std::getline(in, line)) {
        auto eq = line.find('=');
        if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
        std::string key = line.substr(0, eq), value = line.substr(eq + 1);
        if (key == "source") r.source = value;
        else if (key == "dest") r.dest = value;
        else if (key == "region") r.regionBytes = std::strtoull(value.c_str(), nullptr, 10);
    }
    if (r.source.empty() || r.dest.empty() || !r.regionBytes)
        return makeError(ErrorCode::Corruption, cloneRecordPath(meta) + " is incomplete", meta, "bad-clone-record");
    return r;
}

class KernelMerge final : public BackendOperation {
public:
    explicit KernelMerge(kernel::OriginDevice origin) : origin_(std::move(origin)) {}
    Result<OperationOutcome> run() override {
        auto outcome = kernel::waitForMerge(
            origin_, std::chrono::hours(24 * 365),
            [&](const SnapshotStatus& st) {
                if (!counters_.total.load()) counters_.total = st.exceptions;
                uint64_t total = counters_.total.load();
                counters_.done = total > st.exceptions ? total - st.exceptions : 0;
                counters_.bytesDone = counters_.done.load() * st.chunkSectors * kSector;
                counters_.bytesTotal = total * st.chunkSectors * kSector;
            },
            [&] { return stop_.load(); });
        if (!outcome.ok()) return std::move(outcome).error();
        if (outcome->allocatedSectors != outcome->metadataSectors) return OperationOutcome::Stopped;
        LS_TRY(kernel::finishMerge(origin_));
        return OperationOutcome::Finished;
    }
    void pause() override {
        if (!paused_.exchange(true)) (void)dm::suspendDevice(origin_.name);
    }
    void resume() override {
        if (paused_.exchange(false)) (void)dm::resumeDevice(origin_.name);
    }
    void stop() override {
        stop_ = true;
        resume();
    }
    OperationCounters& counters() override { return counters_; }
    const char* unit() const override { return "chunks"; }

private:
    kernel::OriginDevice origin_;
    std::atomic<bool> stop_{false}, paused_{false};
    OperationCounters counters_;
};

class KernelHydration final : public BackendOperation {
public:
    explicit KernelHydration(std::string name) : name_(std::move(name)) {}
    Result<OperationOutcome> run() override {
        LS_TRY(kernel::setCloneHydration(name_, true));
        while (true) {
            LS_ASSIGN(CloneStatus st, kernel::waitForHydration(name_, std::chrono::milliseconds(200)));
            counters_.total = st.totalRegions;
            counters_.done = st.hydratedRegions;
            counters_.bytesDone = st.hydratedRegions * st.regionSectors * kSector;
            counters_.bytesTotal = st.totalRegions * st.regionSectors * kSector;
            if (st.hydratedRegions == st.totalRegions) return OperationOutcome::Finished;
            if (stop_) {
                LS_TRY(kernel::setCloneHydration(name_, false));
                return OperationOutcome::Stopped;
            }
        }
    }
    void pause() override { (void)kernel::setCloneHydration(name_, false); }
    void resume() override { (void)kernel::setCloneHydration(name_, true); }
    void stop() override { stop_ = true; }
    OperationCounters& counters() override { return counters_; }
    const char* unit() const override { return "regions"; }

private:
    std::string name_;
    std::atomic<bool> stop_{false};
    OperationCounters counters_;
};

class KernelBackend final : public Backend {
public:
    KernelBackend(BackendContext context, std::string workspace) : context_(std::move(context)), ws_(std::move(workspace)) {}

    BackendKind kind() const override { return BackendKind::Kernel; }
    void setContext(BackendContext context) override {
        std::lock_guard lock(mutex_);
        context_ = std::move(context);
    }

    bool exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }
    Result<uint64_t> deviceSize(const std::string& path) override { return sizeOf(path); }
    std::string canonicalPath(const std::string& path) override { return loopsnap::canonicalPath(path); }

    // ---- snapshots ----
    Result<SnapshotInfo> createSnapshot(const CreateSnapshotRequest& rq) override {
        LS_ASSIGN(StoreType type, parseStoreType(rq.store));
        LS_ASSIGN(SnapshotStatus st, createSnapshotFiles(SnapshotCreateRequest{rq.originPath, rq.cowPath, rq.cowSize, rq.chunkBytes, type}));
        SnapshotInfo info;
        info.cowPath = canonicalPath(rq.cowPath);
        info.store = storeTypeName(type);
        info.backend = BackendKind::Kernel;
        fillSnapshotStatus(info, st);
        if (!info.chunkBytes) info.chunkBytes = rq.chunkBytes;
        auto size = sizeOf(rq.originPath);
        info.sizeBytes = size.ok() ? size.value() : 0;
        return info;
    }

    Result<SnapshotInfo> snapshotStatus(const std::string& originPath, const std::string& cowPath) override {
        SnapshotInfo info;
        info.cowPath = canonicalPath(cowPath);
        info.backend = BackendKind::Kernel;
        LS_ASSIGN(std::string snapName, name("snap", cowPath));
        LS_ASSIGN(kernel::StoreSettings settings, kernel::readStoreSettings(cowPath));
        info.store = storeTypeName(settings.type);
        auto size = sizeOf(originPath);
        info.sizeBytes = settings.sizeBytes ? settings.sizeBytes : (size.ok() ? size.value() : 0);
        if (dm::deviceExists(snapName)) {
            LS_ASSIGN(SnapshotStatus st, kernel::snapshotStatus(snapName));
            fillSnapshotStatus(info, st);
            info.open = true;
            info.device = "/dev/mapper/" + snapName;
            return info;
        }
        auto origin = liveOrigin(originPath);
        if (origin && origin->merging && sameStore(origin->mergingCow, cowPath)) {
            LS_ASSIGN(SnapshotStatus st, kernel::snapshotStatus(origin->name));
            fillSnapshotStatus(info, st);
            if (st.state == SnapshotState::Valid) info.state = DeviceState::Merging;
            info.mergeRunning = true;  // the kernel merges while the device is up
            info.open = true;
            info.device = origin->path();  // snapshot-merge: the origin's device presents the merge
            return info;
        }
        LS_ASSIGN(StoreInspection ins, inspectSnapshotStore(cowPath));
        fillSnapshotStatus(info, ins.status);
        if (ins.merging) info.state = DeviceState::Merging;
        return info;
    }

    Status openOrigin(const std::string& originPath, bool /*forMerge: the kernel resumes a merge on activation*/) override {
        LS_ASSIGN(std::string id, idFor(originPath));
        LS_ASSIGN(OriginRecord record, readOriginRecord(originPath));
        std::vector<std::string> merging;
        if (!record.merging.empty()) merging.push_back(record.merging);
        LS_TRY(kernel::activateOrigin(ws_, id, originPath, merging));
        return {};
    }

    Status attachSnapshot(const std::string& originPath, const std::string& cowPath, bool allowMerging) override {
        auto origin = liveOrigin(originPath);
        if (!origin)
            return makeError(ErrorCode::InvalidArgument, originPath + " is not open in the kernel", originPath, "origin-not-open");
        LS_ASSIGN(std::string snapName, name("snap", cowPath));
        if (dm::deviceExists(snapName)) return {};
        if (origin->merging && sameStore(origin->mergingCow, cowPath)) {
            if (allowMerging) return {};  // it is attached as the merge itself
            return makeError(ErrorCode::Busy, cowPath + " is merging into its origin", cowPath, "merge-unfinished");
        }
        LS_ASSIGN(std::string id, idFor(cowPath));
        LS_TRY(kernel::activateSnapshot(*origin, ws_, kernel::SnapshotRequest{id, cowPath}));
        return {};
    }

    Status detachSnapshot(const std::string& originPath, const std::string& cowPath) override {
        LS_ASSIGN(std::string snapName, name("snap", cowPath));
        if (!dm::deviceExists(snapName)) return {};
        return dm::removeDevice(snapName);
    }

    std::vector<std::string> attachedSnapshots(const std::string& originPath) override {
        std::vector<std::string> out;
        auto origin = liveOrigin(originPath);
        if (!origin) return out;
        auto names = dm::listDevices(std::string(dm::kNamePrefix) + ws_ + "-snap-");
        if (!names.ok()) return out;
        auto originNumbers = numbersOf(origin->backing);
        for (const auto& n : names.value()) {
            auto table = dm::deviceTable(n);
            if (!table.ok() || table->empty()) continue;
            std::istringstream words(table->front().params);
            std::string originDev, cowDev;
            words >> originDev >> cowDev;
            if (originDev != originNumbers) continue;
            auto file = loopBackingFile(deviceForNumbers(cowDev));
            if (file.ok()) out.push_back(canonicalPath(file.value()));
        }
        if (origin->merging) out.push_back(canonicalPath(origin->mergingCow));
        return out;
    }

    Status closeOrigin(const std::string& originPath) override {
        auto origin = liveOrigin(originPath);
        if (!origin) return {};
        for (const auto& cow : attachedSnapshots(originPath)) {
            if (origin->merging && sameStore(origin->mergingCow, cow)) continue;
            LS_TRY(detachSnapshot(originPath, cow));
        }
        return kernel::deactivateOrigin(*origin);
    }

    bool originOpen(const std::string& originPath) override { return liveOrigin(originPath).has_value(); }
    std::string originDevicePath(const std::string& originPath) override {
        auto n = name("origin", originPath);
        return n.ok() && dm::deviceExists(n.value()) ? "/dev/mapper/" + n.value() : std::string();
    }

    Result<std::shared_ptr<BlockDevice>> originDevice(const std::string& originPath) override {
        auto origin = liveOrigin(originPath);
        if (!origin) return makeError(ErrorCode::InvalidArgument, originPath + " is not open in the kernel", originPath, "origin-not-open");
        return openNode(origin->path());
    }

    Result<std::shared_ptr<BlockDevice>> snapshotDevice(const std::string& cowPath) override {
        LS_ASSIGN(std::string snapName, name("snap", cowPath));
        if (!dm::deviceExists(snapName))
            return makeError(ErrorCode::InvalidArgument, cowPath + " is not attached in the kernel", cowPath, "snapshot-not-open");
        return openNode("/dev/mapper/" + snapName);
    }

    Result<std::unique_ptr<BackendOperation>> beginMerge(const std::string& originPath, const std::string& cowPath,
                                                         bool legacySkipOriginFlush) override {
        if (legacySkipOriginFlush)
            return makeError(ErrorCode::Unsupported, "the kernel's merge has no legacy ordering", cowPath, "capability-unsupported");
        auto origin = liveOrigin(originPath);
        if (!origin) return makeError(ErrorCode::InvalidArgument, originPath + " is not open in the kernel", originPath, "origin-not-open");
        if (origin->merging) {
            if (!sameStore(origin->mergingCow, cowPath))
                return makeError(ErrorCode::Busy, originPath + " is merging another snapshot", originPath, "merge-running");
            return std::unique_ptr<BackendOperation>(std::make_unique<KernelMerge>(*origin));  // resumed at activation
        }
        LS_ASSIGN(std::string snapName, name("snap", cowPath));
        LS_ASSIGN(kernel::SnapshotDevice snap, snapshotFromTable(snapName, cowPath));
        LS_ASSIGN(kernel::OriginDevice merging, kernel::beginMerge(*origin, snap));
        return std::unique_ptr<BackendOperation>(std::make_unique<KernelMerge>(merging));
    }

    // ---- clones ----
    Result<CloneInfo> createClone(const CreateCloneRequest& rq) override {
        if (rq.source.find("://") != std::string::npos)
            return makeError(ErrorCode::Unsupported, "the kernel's clone needs a local source, not " + rq.source, rq.source,
                             "kernel-needs-local-source");
        if (exists(rq.meta)) return makeError(ErrorCode::InvalidArgument, rq.meta + " already exists", rq.meta, "meta-exists");
        LS_ASSIGN(uint64_t sourceBytes, sizeOf(rq.source));
        uint64_t regionSectors = rq.regionBytes / kSector;
        if (regionSectors < 8 || (regionSectors & (regionSectors - 1)))
            return makeError(ErrorCode::InvalidArgument, "region size must be a power of two of at least 4 KiB", rq.meta, "bad-region-size");
        bool madeDest = false;
        if (!exists(rq.dest)) {
            LS_TRY(FileDevice::open(rq.dest, FileOpenOptions{.create = true, .createSize = sourceBytes}));
            madeDest = true;
        }
        // dm-clone: a superblock, space maps and a bitset of one bit per region, in 4 KiB blocks.
        uint64_t regions = (sourceBytes / kSector + regionSectors - 1) / regionSectors;
        uint64_t metaBytes = std::max<uint64_t>(4 << 20, (1 << 20) + regions / 4);
        auto cleanup = [&] {
            std::remove(rq.meta.c_str());
            std::remove(cloneRecordPath(rq.meta).c_str());
            if (madeDest) std::remove(rq.dest.c_str());
        };
        {
            auto meta = FileDevice::open(rq.meta, FileOpenOptions{.create = true, .createSize = metaBytes});
            if (!meta.ok()) {
                cleanup();
                return std::move(meta).error();
            }
        }
        CloneRecord record{canonicalPath(rq.source), canonicalPath(rq.dest), rq.regionBytes};
        if (auto st = writeCloneRecord(rq.meta, record); !st.ok()) {
            cleanup();
            return std::move(st).error();
        }
        // The first activation formats the metadata; nothing stays open.
        auto device = activate(rq.meta, record, true, {});
        if (!device.ok()) {
            cleanup();
            return std::move(device).error();
        }
        auto info = liveCloneInfo(rq.meta, record, device->name);
        (void)kernel::deactivateClone(device.value());
        if (info.ok()) info->open = false;
        return info;
    }

    Result<CloneInfo> cloneStatus(const std::string& metaPath) override {
        LS_ASSIGN(CloneRecord record, readCloneRecord(metaPath));
        LS_ASSIGN(std::string cloneName, name("clone", metaPath));
        if (dm::deviceExists(cloneName)) return liveCloneInfo(metaPath, record, cloneName);
        // Not active: only the kernel reads its clone metadata, and activating it to look would
        // write it; report what the record knows and say why the rest is missing.
        CloneInfo info;
        info.metaPath = canonicalPath(metaPath);
        info.source = record.source;
        info.dest = record.dest;
        info.backend = BackendKind::Kernel;
        info.regionBytes = record.regionBytes;
        auto size = sizeOf(record.source);
        info.sizeBytes = size.ok() ? size.value() : 0;
        info.totalRegions = record.regionBytes ? (info.sizeBytes + record.regionBytes - 1) / record.regionBytes : 0;
        info.state = DeviceState::Hydrating;
        info.problem = makeError(ErrorCode::Unsupported, "the kernel clone is not active: its state shows once it is opened", metaPath,
                                 "kernel-clone-inactive");
        return info;
    }

    Status openClone(const std::string& metaPath) override {
        LS_ASSIGN(std::string cloneName, name("clone", metaPath));
        if (dm::deviceExists(cloneName)) return {};
        LS_ASSIGN(CloneRecord record, readCloneRecord(metaPath));
        LS_TRY(activate(metaPath, record, false, {}));
        return {};
    }

    Status closeClone(const std::string& metaPath) override {
        LS_ASSIGN(std::string cloneName, name("clone", metaPath));
        if (!dm::deviceExists(cloneName)) return {};
        return dm::removeDevice(cloneName);
    }

    bool cloneOpen(const std::string& metaPath) override {
        auto n = name("clone", metaPath);
        return n.ok() && dm::deviceExists(n.value());
    }

    Result<std::shared_ptr<BlockDevice>> cloneDevice(const std::string& metaPath) override {
        LS_ASSIGN(std::string cloneName, name("clone", metaPath));
        if (!dm::deviceExists(cloneName))
            return makeError(ErrorCode::InvalidArgument, metaPath + " is not open in the kernel", metaPath, "clone-not-open");
        return openNode("/dev/mapper/" + cloneName);
    }

    Status tuneHydration(const std::string& metaPath, HydrationTuning tuning) override {
        LS_ASSIGN(std::string cloneName, name("clone", metaPath));
        LS_TRY(kernel::setCloneHydrationThreshold(cloneName, tuning.threshold));
        return kernel::setCloneHydrationBatchSize(cloneName, tuning.batchSize);
    }

    Result<std::unique_ptr<BackendOperation>> beginHydration(const std::string& metaPath, HydrationTuning tuning) override {
        LS_TRY(openClone(metaPath));
        LS_TRY(tuneHydration(metaPath, tuning));
        LS_ASSIGN(std::string cloneName, name("clone", metaPath));
        return std::unique_ptr<BackendOperation>(std::make_unique<KernelHydration>(cloneName));
    }

    Status deleteSnapshotFiles(const std::string& cowPath) override {
        LS_ASSIGN(std::string snapName, name("snap", cowPath));
        if (dm::deviceExists(snapName)) return makeError(ErrorCode::Busy, cowPath + " is attached in the kernel", cowPath, "in-use");
        LS_TRY(removeFileDurably(cowPath + ".loopsnap"));
        return removeFileDurably(cowPath);
    }

    Status deleteCloneFiles(const std::string& metaPath, bool withDest) override {
        if (cloneOpen(metaPath)) return makeError(ErrorCode::Busy, metaPath + " is open in the kernel", metaPath, "in-use");
        auto record = readCloneRecord(metaPath);
        if (withDest && record.ok()) LS_TRY(removeFileDurably(record->dest));
        LS_TRY(removeFileDurably(cloneRecordPath(metaPath)));
        return removeFileDurably(metaPath);
    }

private:
    Result<std::string> idFor(const std::string& path) const { return hashName(loopsnap::canonicalPath(path)); }
    Result<std::string> name(const char* role, const std::string& path) const {
        return dm::deviceName(ws_, role, hashName(loopsnap::canonicalPath(path)));
    }
    static bool sameStore(const std::string& a, const std::string& b) { return loopsnap::canonicalPath(a) == loopsnap::canonicalPath(b); }

    static std::string numbersOf(const std::string& device) {
        struct stat st{};
        if (::stat(device.c_str(), &st) != 0) return device;
        return std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
    }
    static std::string deviceForNumbers(const std::string& numbers) {
        std::error_code ec;
        auto target = std::filesystem::read_symlink("/sys/dev/block/" + numbers, ec);
        return ec ? numbers : "/dev/" + target.filename().string();
    }

    // The running origin device of this path, found by name (whoever brought it up).
    std::optional<kernel::OriginDevice> liveOrigin(const std::string& originPath) {
        auto n = name("origin", originPath);
        if (!n.ok() || !dm::deviceExists(n.value())) return std::nullopt;
        auto id = idFor(originPath);
        auto found = kernel::activateOrigin(ws_, id.value(), originPath);  // finds, never creates: the name exists
        if (!found.ok()) return std::nullopt;
        return found.value();
    }

    Result<kernel::SnapshotDevice> snapshotFromTable(const std::string& snapName, const std::string& cowPath) {
        LS_ASSIGN(auto table, dm::deviceTable(snapName));
        if (table.empty() || table.front().type != "snapshot")
            return makeError(ErrorCode::InvalidArgument, cowPath + " is not attached in the kernel", cowPath, "snapshot-not-open");
        std::istringstream words(table.front().params);
        std::string originDev, cowDev, type;
        uint32_t chunk = 0;
        words >> originDev >> cowDev >> type >> chunk;
        LS_ASSIGN(StoreType storeType, parseStoreType(type));
        return kernel::SnapshotDevice{snapName, deviceForNumbers(cowDev), cowPath, storeType, chunk, table.front().lengthSectors * kSector};
    }

    Result<kernel::CloneDevice> activate(const std::string& metaPath, const CloneRecord& record, bool create, dm::CloneTableOptions table) {
        LS_ASSIGN(std::string id, idFor(metaPath));
        table.regionSectors = uint32_t(record.regionBytes / kSector);
        return kernel::activateClone(ws_, kernel::CloneRequest{id, record.source, record.dest, metaPath, table, create});
    }

    Result<CloneInfo> liveCloneInfo(const std::string& metaPath, const CloneRecord& record, const std::string& cloneName) {
        LS_ASSIGN(CloneStatus st, kernel::cloneStatus(cloneName));
        CloneInfo info;
        info.metaPath = canonicalPath(metaPath);
        info.source = record.source;
        info.dest = record.dest;
        info.backend = BackendKind::Kernel;
        fillCloneStatus(info, st);
        auto size = sizeOf(record.source);
        info.sizeBytes = size.ok() ? size.value() : 0;
        info.open = true;
        info.device = "/dev/mapper/" + cloneName;
        return info;
    }

    static Result<std::shared_ptr<BlockDevice>> openNode(const std::string& node) {
        LS_ASSIGN(auto dev, FileDevice::open(node, FileOpenOptions{.writable = true, .lock = false}));
        return std::shared_ptr<BlockDevice>(dev);
    }

    std::mutex mutex_;
    BackendContext context_;  // the kernel's devices need none of it; kept for the contract
    std::string ws_;
};

}  // namespace

Result<std::string> kernelDeviceName(const std::string& workspaceId, const std::string& role, const std::string& path) {
    return dm::deviceName(workspaceId, role, hashName(canonicalPath(path)));
}

std::unique_ptr<Backend> makeKernelBackend(BackendContext context, std::string workspaceId) {
    if (workspaceId.empty()) workspaceId = defaultWorkspaceId();
    return std::make_unique<KernelBackend>(std::move(context), std::move(workspaceId));
}

}  // namespace loopsnap
