#include "core/linux/kernel_devices.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>

#include "core/linux/loop_device.h"
#include "core/posix/atomic_file.h"
#include "core/snapshot/cow_format.h"
#include "core/snapshot/snapshot_files.h"
#include "core/snapshot/snapshot_records.h"

namespace loopsnap::kernel {

namespace {

constexpr uint64_t kSector = 512;
constexpr uint64_t kCloneMagic = 0x8af27f64;  // dm-clone-metadata.c DM_CLONE_MAGIC
constexpr size_t kCloneMagicOffset = 32;      // csum, flags, blocknr, uuid[16], then magic

Error missingFile(const std::string& path) {
    return makeError(ErrorCode::NotFound, path + " does not exist", path, "missing-file");
}

// A device for a table: the file's own loop device (held open until a table holds it) or the
// block device itself.
struct Backing {
    std::string device;
    uint64_t sizeBytes = 0;
    HeldLoopDevice held;  // empty for block devices
};

Result<uint64_t> blockDeviceBytes(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return makeError(ErrorCode::IOError, "cannot open " + path + ": " + std::strerror(errno), path, "open-failed");
    uint64_t bytes = 0;
    int rc = ::ioctl(fd, BLKGETSIZE64, &bytes);
    ::close(fd);
    if (rc != 0) return makeError(ErrorCode::IOError, "cannot read the size of " + path, path, "open-failed");
    return bytes;
}

Result<uint64_t> pathBytes(const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return missingFile(path);
    if (S_ISBLK(st.st_mode)) return blockDeviceBytes(path);
    if (!S_ISREG(st.st_mode))
        return makeError(ErrorCode::InvalidArgument, path + " is neither a file nor a block device", path, "not-a-file");
    return uint64_t(st.st_size);
}

// Validates `path` and binds it. A file that some loop device already shows is in use: by us
// (its device is active) or by someone else; either way a second writer is refused.
Result<Backing> bindBacking(const std::string& path, bool readOnly) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return missingFile(path);
    Backing b;
    if (S_ISBLK(st.st_mode)) {
        // O_EXCL on a block device fails while it is mounted or held by a dm table.
        int fd = ::open(path.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC);
        if (fd < 0)
            return makeError(ErrorCode::Busy, path + " is in use (mounted or held by another device)", path, "in-use");
        ::close(fd);
        b.device = path;
        LS_ASSIGN(b.sizeBytes, blockDeviceBytes(path));
        return b;
    }
    if (!S_ISREG(st.st_mode))
        return makeError(ErrorCode::InvalidArgument, path + " is neither a file nor a block device", path, "not-a-file");
    auto bound = loopDevicesBackedBy(path);
    if (!bound.empty())
        return makeError(ErrorCode::Busy, path + " is in use: bound to " + bound.front(), path, "in-use");
    LoopAttachOptions options{.readOnly = readOnly, .directIo = true, .autoclear = true};
    LS_ASSIGN(b.held, attachHeldLoopDevice(path, options));
    b.device = b.held.path();
    LS_ASSIGN(b.sizeBytes, blockDeviceBytes(b.device));
    return b;
}

// Tables name devices as "major:minor"; this finds /dev/<name> for one.
std::string deviceForNumbers(const std::string& majorMinor) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink("/sys/dev/block/" + majorMinor, ec);
    if (ec) return majorMinor;
    return "/dev/" + target.filename().string();
}

std::string numbersOf(const std::string& device) {
    struct stat st{};
    if (::stat(device.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) return device;
    return std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
}

std::vector<std::string> words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
}

bool sameFile(const std::string& a, const std::string& b) {
    struct stat x{}, y{};
    if (::stat(a.c_str(), &x) != 0 || ::stat(b.c_str(), &y) != 0) return false;
    // Two nodes of one block device (/dev/dm-0, /dev/mapper/x) are the same device.
    if (S_ISBLK(x.st_mode) && S_ISBLK(y.st_mode)) return x.st_rdev == y.st_rdev;
    return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

// The merge marks are the userspace engine's (snapshot_records.h), in its order: set in the
// origin record, then in the sidecar; cleared in the sidecar, then in the origin record. So
// either backend finishes a merge the other began, and both refuse plain use of a half-merged
// origin. (The userspace engine writes the origin record under the origin's file lock; here the
// kernel holds the origin, and the caller serialises work on one workspace.)
Status writeMergeMark(const std::string& cowPath, const std::string& originPath, uint64_t originBytes, bool merging) {
    std::string cow = canonicalPath(cowPath);
    LS_ASSIGN(OriginRecord record, readOriginRecord(originPath));
    LS_ASSIGN(Sidecar sidecar, readSidecar(cowPath));
    if (!sidecar.present) sidecar.sizeBytes = originBytes;  // a store the kernel wrote
    sidecar.merging = merging;
    if (merging) {
        record.merging = cow;
        if (std::find(record.snapshots.begin(), record.snapshots.end(), cow) == record.snapshots.end()) record.snapshots.push_back(cow);
        LS_TRY(writeOriginRecord(originPath, record));
        return writeSidecar(cowPath, sidecar);
    }
    LS_TRY(writeSidecar(cowPath, sidecar));
    if (record.merging == cow) record.merging.clear();
    return writeOriginRecord(originPath, record);
}

Result<uint32_t> tableChunkSectors(const std::string& dmName) {
    LS_ASSIGN(auto table, dm::deviceTable(dmName));
    if (table.empty()) return makeError(ErrorCode::NotFound, dmName + " has no table", dmName, "device-missing");
    auto w = words(table.front().params);
    uint32_t chunk = 0;
    if ((table.front().type != "snapshot" && table.front().type != "snapshot-merge") || w.size() < 4 ||
        std::sscanf(w[3].c_str(), "%u", &chunk) != 1)
        return makeError(ErrorCode::InvalidArgument, dmName + " is not a snapshot device", dmName, "not-a-snapshot");
    return chunk;
}

struct StoreFacts {
    StoreType type = StoreType::Persistent;
    uint32_t chunkSectors = 0;
    bool merging = false;
};

// Everything the kernel will rely on, checked with the userspace engine's read-only reader.
Result<StoreFacts> checkStore(const std::string& cowPath, uint64_t originBytes) {
    if (::access(cowPath.c_str(), F_OK) != 0) return missingFile(cowPath);
    LS_ASSIGN(StoreSettings settings, readStoreSettings(cowPath));
    if (settings.sizeBytes && settings.sizeBytes != originBytes)
        return makeError(ErrorCode::InvalidArgument,
                         cowPath + " is a snapshot of " + std::to_string(settings.sizeBytes) + " bytes, but the origin has " +
                             std::to_string(originBytes),
                         cowPath, "size-mismatch");
    StoreFacts facts;
    facts.type = settings.type;
    facts.merging = settings.merging;
    if (settings.type == StoreType::Transient) return facts;  // nothing on disk to check
    auto inspected = inspectSnapshotStore(cowPath);
    if (!inspected.ok()) {
        Error e = std::move(inspected).error();
        if (e.subject.empty()) e.subject = cowPath;
        if (e.detail.empty()) e.detail = "bad-store";
        return e;
    }
    const StoreInspection& store = inspected.value();
    facts.chunkSectors = store.chunkSectors;
    uint64_t originChunks = (originBytes / kSector + store.chunkSectors - 1) / store.chunkSectors;
    for (const auto& [oldChunk, newChunk] : store.exceptions)
        if (oldChunk >= originChunks)
            return makeError(ErrorCode::InvalidArgument,
                             cowPath + " has an exception for chunk " + std::to_string(oldChunk) + ", beyond the origin's end",
                             cowPath, "size-mismatch");
    return facts;
}

// Snapshot devices whose table names `originBacking` as their origin.
std::vector<std::string> snapshotsOf(const std::string& originBacking) {
    std::vector<std::string> found;
    auto names = dm::listDevices();
    if (!names.ok()) return found;
    std::string numbers = numbersOf(originBacking);
    for (const auto& name : names.value()) {
        auto table = dm::deviceTable(name);
        if (!table.ok() || table->empty() || table->front().type != "snapshot") continue;
        auto w = words(table->front().params);
        if (!w.empty() && (w[0] == numbers || w[0] == originBacking)) found.push_back(name);
    }
    return found;
}

template <typename Fn>
Status withOriginSuspended(const std::string& originName, Fn&& fn) {
    LS_TRY(dm::suspendDevice(originName));
    Status inner = fn();
    Status resumed = dm::resumeDevice(originName);
    if (!inner.ok()) return inner;
    return resumed;
}

}  // namespace

Result<StoreSettings> readStoreSettings(const std::string& cowPath) {
    LS_ASSIGN(Sidecar sidecar, readSidecar(cowPath));
    return StoreSettings{sidecar.type, sidecar.sizeBytes.value_or(0), sidecar.merging};
}

// ---- origin ---------------------------------------------------------------------------------

Result<OriginDevice> activateOrigin(const std::string& workspace, const std::string& originId, const std::string& originPath,
                                    const std::vector<std::string>& cowPaths) {
    LS_ASSIGN(std::string name, dm::deviceName(workspace, "origin", originId));
    LS_ASSIGN(uint64_t fileBytes, pathBytes(originPath));
    OriginDevice origin{name, "", originPath, fileBytes / kSector * kSector};
    if (dm::deviceExists(name)) {
        // Already up: it must be this file's.
        LS_ASSIGN(auto table, dm::deviceTable(name));
        auto w = table.empty() ? std::vector<std::string>{} : words(table.front().params);
        origin.backing = w.empty() ? "" : deviceForNumbers(w[0]);
        auto backingFile = loopBackingFile(origin.backing);
        bool same = backingFile.ok() ? sameFile(backingFile.value(), originPath) : sameFile(origin.backing, originPath);
        if (!same)
            return makeError(ErrorCode::Busy, name + " is active over another device (" + origin.backing + ")", name, "name-taken");
        origin.merging = !table.empty() && table.front().type == "snapshot-merge";
        if (origin.merging && w.size() > 1) {
            auto cowFile = loopBackingFile(deviceForNumbers(w[1]));
            if (cowFile.ok()) origin.mergingCow = cowFile.value();
        }
        return origin;
    }
    // A store whose merge began goes on merging (the kernel resumes it on activation).
    std::optional<std::string> mergingCow;
    for (const auto& cow : cowPaths) {
        LS_ASSIGN(StoreSettings settings, readStoreSettings(cow));
        if (!settings.merging) continue;
        if (mergingCow)
            return makeError(ErrorCode::InvalidArgument, "two stores of " + originPath + " are marked as merging", cow,
                             "merge-unfinished");
        mergingCow = cow;
    }
    std::optional<StoreFacts> mergeFacts;
    if (mergingCow) {
        LS_ASSIGN(mergeFacts, checkStore(*mergingCow, origin.sizeBytes));
    }
    LS_ASSIGN(Backing originBacking, bindBacking(originPath, false));
    origin.backing = originBacking.device;
    origin.sizeBytes = originBacking.sizeBytes / kSector * kSector;
    uint64_t sectors = origin.sizeBytes / kSector;
    if (mergingCow) {
        LS_ASSIGN(Backing cowBacking, bindBacking(*mergingCow, false));
        LS_ASSIGN(auto line, dm::snapshotMergeTable(origin.backing, cowBacking.device, mergeFacts->type, mergeFacts->chunkSectors, sectors));
        LS_TRY(dm::createDevice(name, dm::uuidForName(name), {line}));
        origin.merging = true;
        origin.mergingCow = *mergingCow;
        return origin;
    }
    LS_ASSIGN(auto line, dm::snapshotOriginTable(origin.backing, sectors));
    LS_TRY(dm::createDevice(name, dm::uuidForName(name), {line}));
    return origin;
}

Status deactivateOrigin(const OriginDevice& origin) {
    auto snaps = snapshotsOf(origin.backing);
    if (!snaps.empty())
        return makeError(ErrorCode::Busy, origin.name + " still has an active snapshot (" + snaps.front() + ")", origin.name,
                         "has-snapshots");
    return dm::removeDevice(origin.name);
}

// ---- snapshots ------------------------------------------------------------------------------

Result<SnapshotDevice> activateSnapshot(const OriginDevice& origin, const std::string& workspace, const SnapshotRequest& rq) {
    LS_ASSIGN(std::string name, dm::deviceName(workspace, "snap", rq.snapshotId));
    if (dm::deviceExists(name)) return makeError(ErrorCode::Busy, name + " is already active", name, "already-active");
    if (origin.merging && sameFile(origin.mergingCow, rq.cowPath))
        return makeError(ErrorCode::Busy, rq.cowPath + " is merging into its origin", rq.cowPath, "merge-running");
    if (rq.create) {
        if (::access(rq.cowPath.c_str(), F_OK) == 0 && !loopDevicesBackedBy(rq.cowPath).empty())
            return makeError(ErrorCode::Busy, rq.cowPath + " is in use", rq.cowPath, "in-use");
        LS_TRY(createSnapshotFiles(SnapshotCreateRequest{origin.file, rq.cowPath, rq.cowSizeBytes, rq.chunkBytes, rq.type}));
    }
    LS_ASSIGN(StoreFacts facts, checkStore(rq.cowPath, origin.sizeBytes));
    if (facts.merging)
        return makeError(ErrorCode::InvalidArgument, rq.cowPath + ": a merge into the origin has started and not finished", rq.cowPath,
                         "merge-unfinished");
    if (facts.type == StoreType::Transient) facts.chunkSectors = rq.chunkBytes / kSector;
    LS_ASSIGN(Backing cow, bindBacking(rq.cowPath, false));
    SnapshotDevice snap{name, cow.device, rq.cowPath, facts.type, facts.chunkSectors, origin.sizeBytes};
    LS_ASSIGN(auto line, dm::snapshotTable(origin.backing, cow.device, facts.type, facts.chunkSectors, origin.sizeBytes / kSector));
    // The origin is suspended around the new snapshot: without it an origin write spanning
    // several chunks copies only its first chunk into the new snapshot.
    LS_TRY(withOriginSuspended(origin.name, [&]() -> Status { return dm::createDevice(name, dm::uuidForName(name), {line}); }));
    return snap;
}

Status deactivateSnapshot(const SnapshotDevice& snapshot) { return dm::removeDevice(snapshot.name); }

Result<SnapshotStatus> snapshotStatus(const std::string& dmName) {
    LS_ASSIGN(uint32_t chunk, tableChunkSectors(dmName));
    LS_ASSIGN(auto status, dm::deviceStatus(dmName));
    if (status.empty()) return makeError(ErrorCode::NotFound, dmName + " has no table", dmName, "device-missing");
    return dm::parseSnapshotStatus(status.front().params, chunk);
}

// ---- merge ----------------------------------------------------------------------------------

Result<OriginDevice> beginMerge(const OriginDevice& origin, const SnapshotDevice& snapshot) {
    if (origin.merging)
        return makeError(ErrorCode::Busy, origin.name + " is already merging " + origin.mergingCow, origin.name, "merge-running");
    if (snapshot.type == StoreType::Transient)
        return makeError(ErrorCode::InvalidArgument, "a transient (N) snapshot cannot be merged", snapshot.cowFile, "merge-transient");
    LS_ASSIGN(SnapshotStatus status, snapshotStatus(snapshot.name));
    if (status.state != SnapshotState::Valid)
        return makeError(ErrorCode::InvalidArgument, snapshot.cowFile + " cannot be merged: " + status.kernelStatusLine(), snapshot.cowFile,
                         "merge-invalid-store");
    LS_ASSIGN(dm::DeviceInfo info, dm::deviceInfo(snapshot.name));
    if (info.openCount > 0)
        return makeError(ErrorCode::Busy, snapshot.name + " is in use (open " + std::to_string(info.openCount) + " times)",
                         snapshot.name, "device-busy");
    LS_ASSIGN(auto mergeLine, dm::snapshotMergeTable(origin.backing, snapshot.cowBacking, snapshot.type, snapshot.chunkSectors,
                                                     origin.sizeBytes / kSector));
    // The mark first (durably): from here on a crash resumes the merge on the next activation.
    LS_TRY(writeMergeMark(snapshot.cowFile, origin.file, origin.sizeBytes, true));
    // The store's loop device is autoclear: keep it alive while no table holds it.
    LS_ASSIGN(HeldLoopDevice keepCow, holdLoopDevice(snapshot.cowBacking));
    Status swapped = withOriginSuspended(origin.name, [&]() -> Status {
        // Suspended: pending exceptions have drained and every record is on disk.
        LS_TRY(dm::removeDevice(snapshot.name));
        return dm::loadTable(origin.name, {mergeLine});
    });
    if (!swapped.ok()) {
        (void)writeMergeMark(snapshot.cowFile, origin.file, origin.sizeBytes, false);
        return std::move(swapped).error();
    }
    OriginDevice out = origin;
    out.merging = true;
    out.mergingCow = snapshot.cowFile;
    return out;
}

Result<SnapshotStatus> waitForMerge(const OriginDevice& origin, std::chrono::milliseconds timeout,
                                    const std::function<void(const SnapshotStatus&)>& progress, const std::function<bool()>& shouldStop) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    LS_ASSIGN(dm::DeviceInfo info, dm::deviceInfo(origin.name));
    uint32_t eventNr = info.eventNr;
    std::optional<uint64_t> lastAllocated;
    while (true) {
        LS_ASSIGN(SnapshotStatus status, snapshotStatus(origin.name));
        if (status.state == SnapshotState::MergeFailed)
            return makeError(ErrorCode::IOError, origin.mergingCow + ": the kernel's merge failed", origin.mergingCow, "merge-failed");
        bool done = status.state == SnapshotState::Valid && status.allocatedSectors == status.metadataSectors;
        if (progress && (!lastAllocated || *lastAllocated != status.allocatedSectors || done)) progress(status);
        lastAllocated = status.allocatedSectors;
        if (done || (shouldStop && shouldStop()) || std::chrono::steady_clock::now() >= deadline) return status;
        // Status is polled too: not every batch raises an event.
        LS_ASSIGN(eventNr, dm::waitForEvent(origin.name, eventNr, std::chrono::milliseconds(50)));
    }
}

Result<OriginDevice> finishMerge(const OriginDevice& origin) {
    if (!origin.merging) return makeError(ErrorCode::InvalidArgument, origin.name + " is not merging", origin.name, "not-merging");
    LS_ASSIGN(SnapshotStatus status, snapshotStatus(origin.name));
    if (status.state != SnapshotState::Valid || status.allocatedSectors != status.metadataSectors)
        return makeError(ErrorCode::InvalidArgument, origin.mergingCow + ": the merge has not finished (" + status.kernelStatusLine() + ")",
                         origin.mergingCow, "merge-unfinished");
    LS_ASSIGN(auto line, dm::snapshotOriginTable(origin.backing, origin.sizeBytes / kSector));
    LS_TRY(dm::loadTable(origin.name, {line}));
    LS_TRY(withOriginSuspended(origin.name, [] { return okStatus(); }));
    LS_TRY(writeMergeMark(origin.mergingCow, origin.file, origin.sizeBytes, false));
    OriginDevice out = origin;
    out.merging = false;
    out.mergingCow.clear();
    return out;
}

// ---- clones ---------------------------------------------------------------------------------

Result<CloneDevice> activateClone(const std::string& workspace, const CloneRequest& rq) {
    LS_ASSIGN(std::string name, dm::deviceName(workspace, "clone", rq.cloneId));
    if (dm::deviceExists(name)) return makeError(ErrorCode::Busy, name + " is already active", name, "already-active");
    LS_ASSIGN(uint64_t sourceBytes, pathBytes(rq.sourcePath));
    LS_ASSIGN(uint64_t destBytes, pathBytes(rq.destPath));
    LS_ASSIGN(uint64_t metaBytes, pathBytes(rq.metaPath));
    if (sourceBytes != destBytes)
        return makeError(ErrorCode::InvalidArgument,
                         rq.destPath + " has " + std::to_string(destBytes) + " bytes, the source " + std::to_string(sourceBytes),
                         rq.destPath, "size-mismatch");
    if (sourceBytes < kSector) return makeError(ErrorCode::InvalidArgument, rq.sourcePath + " is empty", rq.sourcePath, "size-mismatch");
    if (metaBytes < 64 * 1024)
        return makeError(ErrorCode::InvalidArgument, rq.metaPath + " is too small for clone metadata (64 KiB at least)", rq.metaPath,
                         "meta-too-small");
    {
        // create wants a fresh (zero) metadata device, which the kernel formats; activation an
        // existing kernel clone superblock. Read only: nothing is written here.
        std::array<unsigned char, 4096> block{};
        int fd = ::open(rq.metaPath.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return missingFile(rq.metaPath);
        ssize_t n = ::pread(fd, block.data(), block.size(), 0);
        ::close(fd);
        if (n < ssize_t(kCloneMagicOffset + 8))
            return makeError(ErrorCode::IOError, "cannot read " + rq.metaPath, rq.metaPath, "read-failed");
        bool zero = std::all_of(block.begin(), block.begin() + n, [](unsigned char c) { return c == 0; });
        uint64_t magic = 0;
        std::memcpy(&magic, block.data() + kCloneMagicOffset, 8);  // little-endian on disk, as this host
        if (rq.create && !zero)
            return makeError(ErrorCode::InvalidArgument, rq.metaPath + " is not empty: refusing to format it", rq.metaPath, "meta-not-empty");
        if (!rq.create && magic != kCloneMagic)
            return makeError(ErrorCode::Corruption, rq.metaPath + " holds no kernel clone metadata", rq.metaPath, "bad-magic");
    }
    LS_ASSIGN(Backing source, bindBacking(rq.sourcePath, true));
    LS_ASSIGN(Backing dest, bindBacking(rq.destPath, false));
    LS_ASSIGN(Backing meta, bindBacking(rq.metaPath, false));
    uint64_t sectors = sourceBytes / kSector;
    LS_ASSIGN(auto line, dm::cloneTable(meta.device, dest.device, source.device, sectors, rq.table));
    LS_TRY(dm::createDevice(name, dm::uuidForName(name), {line}));
    return CloneDevice{name, source.device, dest.device, meta.device, rq.table.regionSectors, sectors * kSector};
}

Status deactivateClone(const CloneDevice& clone) { return dm::removeDevice(clone.name); }

Result<CloneStatus> cloneStatus(const std::string& dmName) {
    LS_ASSIGN(auto status, dm::deviceStatus(dmName));
    if (status.empty() || status.front().type != "clone")
        return makeError(ErrorCode::InvalidArgument, dmName + " is not a clone device", dmName, "not-a-clone");
    return dm::parseCloneStatus(status.front().params);
}

Status setCloneHydration(const std::string& dmName, bool enabled) {
    LS_TRY(dm::sendMessage(dmName, enabled ? "enable_hydration" : "disable_hydration"));
    return {};
}

Status setCloneHydrationThreshold(const std::string& dmName, uint32_t regions) {
    if (regions == 0) return makeError(ErrorCode::InvalidArgument, "hydration threshold must be positive", dmName, "bad-hydration-setting");
    LS_TRY(dm::sendMessage(dmName, "hydration_threshold " + std::to_string(regions)));
    return {};
}

Status setCloneHydrationBatchSize(const std::string& dmName, uint32_t regions) {
    if (regions == 0) return makeError(ErrorCode::InvalidArgument, "hydration batch size must be positive", dmName, "bad-hydration-setting");
    LS_TRY(dm::sendMessage(dmName, "hydration_batch_size " + std::to_string(regions)));
    return {};
}

Result<CloneStatus> waitForHydration(const std::string& dmName, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    LS_ASSIGN(dm::DeviceInfo info, dm::deviceInfo(dmName));
    uint32_t eventNr = info.eventNr;
    while (true) {
        LS_ASSIGN(CloneStatus status, cloneStatus(dmName));
        if (status.failed) return makeError(ErrorCode::IOError, dmName + ": the kernel's clone failed", dmName, "clone-failed");
        if (status.hydratedRegions == status.totalRegions || std::chrono::steady_clock::now() >= deadline) return status;
        LS_ASSIGN(eventNr, dm::waitForEvent(dmName, eventNr, std::chrono::milliseconds(50)));
    }
}

}  // namespace loopsnap::kernel
