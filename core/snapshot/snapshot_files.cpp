#include "core/snapshot/snapshot_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/posix/file_device.h"
#include "core/snapshot/exception_store.h"

namespace loopsnap {
namespace {

struct Sidecar {
    StoreType type = StoreType::Persistent;
    uint64_t sizeBytes = 0;  // 0: the origin's size
    bool merging = false;    // a merge into the origin has started and not finished
    bool present = false;
};

std::string sidecarPath(const std::string& cow) { return cow + ".loopsnap"; }

Result<Sidecar> readSidecar(const std::string& cow) {
    Sidecar sc;
    std::ifstream in(sidecarPath(cow));
    if (!in) return sc;  // none: a store the kernel (or someone else) wrote; P, origin's size
    sc.present = true;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string key = line.substr(0, eq), value = line.substr(eq + 1);
        if (key == "store") {
            LS_ASSIGN(sc.type, parseStoreType(value));
        } else if (key == "merging") {
            sc.merging = value == "yes";
        } else if (key == "size") {
            try {
                sc.sizeBytes = std::stoull(value);
            } catch (...) {
                return makeError(ErrorCode::Corruption, sidecarPath(cow) + ": bad size '" + value + "'");
            }
        }
    }
    return sc;
}

// Atomic replace: write a temporary file, fsync it, rename over, fsync the folder.
Status writeSidecar(const std::string& cow, const Sidecar& sc) {
    std::string path = sidecarPath(cow), tmp = path + ".tmp";
    std::ostringstream text;
    text << "# loopsnap snapshot settings (the kernel keeps these in its table, not on disk)\n"
         << "store=" << storeTypeName(sc.type) << "\nsize=" << sc.sizeBytes << "\n";
    if (sc.merging) text << "# the origin is partly rolled back: loopsnapctl merge finishes it\nmerging=yes\n";
    std::string body = text.str();
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return makeError(ErrorCode::IOError, "cannot write " + tmp);
    bool ok = ::write(fd, body.data(), body.size()) == ssize_t(body.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) return makeError(ErrorCode::IOError, "cannot write " + path);
    std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
    int dfd = ::open(dir.empty() ? "/" : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

}  // namespace

Result<SnapshotStatus> createSnapshotFiles(const SnapshotCreateRequest& rq) {
    LS_TRY(validateChunkBytes(rq.chunkBytes));
    // The origin is held exclusively while the snapshot is created (LVM suspends it).
    LS_ASSIGN(auto originDev, FileDevice::open(rq.originPath));
    std::shared_ptr<FileDevice> cowDev;
    if (!fileExists(rq.cowPath)) {
        if (!rq.cowSize) return makeError(ErrorCode::InvalidArgument, rq.cowPath + " does not exist: give --cow-size to create it");
        LS_ASSIGN(cowDev, FileDevice::open(rq.cowPath, FileOpenOptions{.create = true, .createSize = rq.cowSize}));
    } else {
        LS_ASSIGN(cowDev, FileDevice::open(rq.cowPath));
        std::byte raw[cowfmt::kHeaderBytes] = {};
        if (cowDev->size() >= sizeof raw) {
            LS_TRY(cowDev->read(0, raw));
            if (cowfmt::decodeHeader(raw).magic == cowfmt::kMagic)
                return makeError(ErrorCode::InvalidArgument, rq.cowPath + " already holds a snapshot store; refusing to overwrite it");
        }
    }
    Sidecar sc;
    sc.type = rq.type;
    sc.sizeBytes = originDev->size();
    // Settings first: a crash before formatting leaves a store with magic 0, which the next
    // open formats, so no order of crash leaves a formatted store with the wrong settings.
    LS_TRY(writeSidecar(rq.cowPath, sc));
    auto origin = Origin::create(originDev);
    LS_ASSIGN(auto snap, origin->attachSnapshot(cowDev, SnapshotOptions{.type = rq.type, .chunkBytes = rq.chunkBytes, .sizeBytes = sc.sizeBytes}));
    return snap->status();
}

std::string mergeInProgressMessage(const std::string& originPath, const std::string& cowPath) {
    return cowPath + ": a merge of this snapshot into its origin has started and not finished, so the origin is partly rolled back; "
                     "finish it with: loopsnapctl merge --origin " + originPath + " --cow " + cowPath;
}

Result<OpenedSnapshots> openSnapshotFiles(const std::string& originPath, const std::vector<std::string>& cowPaths,
                                          const SnapshotOpenOptions& options) {
    OpenedSnapshots out;
    // Refuse before opening anything: writing to a half-merged origin as if it were whole would
    // mix rolled-back and current chunks.
    for (const std::string& cowPath : cowPaths) {
        LS_ASSIGN(Sidecar sc, readSidecar(cowPath));
        if (sc.merging && !options.allowMerging) return makeError(ErrorCode::Busy, mergeInProgressMessage(originPath, cowPath));
    }
    LS_ASSIGN(auto originDev, FileDevice::open(originPath));
    OriginOptions oo;
    oo.executor = options.executor;
    oo.events = options.events;
    oo.name = originPath;
    out.origin = Origin::create(originDev, oo);
    for (const std::string& cowPath : cowPaths) {
        LS_ASSIGN(Sidecar sc, readSidecar(cowPath));
        LS_ASSIGN(auto cowDev, FileDevice::open(cowPath));
        SnapshotOptions so;
        so.type = sc.type;
        so.sizeBytes = sc.sizeBytes;
        so.legacyCompletionOrder = options.legacyCompletionOrder;
        so.name = cowPath;
        LS_ASSIGN(auto snap, out.origin->attachSnapshot(cowDev, so));
        out.snapshots.push_back(snap);
    }
    return out;
}

Result<StoreInspection> inspectSnapshotStore(const std::string& cowPath) {
    LS_ASSIGN(auto cowDev, FileDevice::open(cowPath, FileOpenOptions{.writable = false}));
    LS_ASSIGN(Sidecar sc, readSidecar(cowPath));
    StoreInspection out;
    out.type = sc.type;
    if (sc.type == StoreType::Transient)
        return makeError(ErrorCode::Unsupported, cowPath + " is a transient (N) store: nothing of it survives a restart");
    PersistentStore store(cowDev, kDefaultChunkBytes / 512);
    store.setInspectOnly(true);
    LS_ASSIGN(StoreLoad load, store.load([&](uint64_t o, uint64_t n) { out.exceptions.emplace_back(o, n); }));
    auto h = store.header();
    out.magic = h.magic;
    out.valid = h.valid;
    out.version = h.version;
    out.chunkSectors = h.chunkSectors;
    StoreUsage u = store.usage();
    out.status.state = !load.valid ? SnapshotState::Invalid : sc.merging ? SnapshotState::Merging : SnapshotState::Valid;
    out.merging = sc.merging;
    out.status.allocatedSectors = u.allocatedSectors;
    out.status.totalSectors = u.totalSectors;
    out.status.metadataSectors = u.metadataSectors;
    out.status.chunkSectors = h.chunkSectors;
    out.status.exceptions = out.exceptions.size();
    return out;
}

// ---------------------------------------------------------------------------------------------
// Merge

Result<MergeFiles> openMergeFiles(const std::string& originPath, const std::string& cowPath, const std::vector<std::string>& otherCows,
                                  const SnapshotOpenOptions& options, MergeOptions mergeOptions) {
    if (!fileExists(cowPath)) return makeError(ErrorCode::NotFound, "snapshot store " + cowPath + " does not exist");
    // Read-only first: a store that is new (magic 0), transient or corrupt is refused before
    // opening it for writing (attaching a new store would format it).
    LS_ASSIGN(StoreInspection inspection, inspectSnapshotStore(cowPath));
    (void)inspection;
    LS_ASSIGN(Sidecar sc, readSidecar(cowPath));
    std::vector<std::string> cows{cowPath};
    cows.insert(cows.end(), otherCows.begin(), otherCows.end());
    SnapshotOpenOptions o = options;
    o.allowMerging = false;
    for (const std::string& other : otherCows) {
        LS_ASSIGN(Sidecar osc, readSidecar(other));
        if (osc.merging) return makeError(ErrorCode::Busy, mergeInProgressMessage(originPath, other));
    }
    o.allowMerging = true;
    MergeFiles out;
    LS_ASSIGN(out.opened, openSnapshotFiles(originPath, cows, o));
    LS_ASSIGN(out.merge, SnapshotMerge::begin(out.opened.origin, out.opened.snapshots.front(), mergeOptions));
    out.cowPath = cowPath;
    out.resumed = sc.merging;
    if (!sc.merging) {
        // Durable before the first batch touches the origin: from here on, every open of this
        // snapshot knows the origin is partly rolled back.
        sc.merging = true;
        sc.present = true;
        if (!sc.sizeBytes) sc.sizeBytes = out.opened.origin->size();
        LS_TRY(writeSidecar(cowPath, sc));
    }
    return out;
}

Result<MergeOutcome> MergeFiles::run() {
    LS_ASSIGN(MergeOutcome outcome, merge->run());
    if (outcome == MergeOutcome::Finished) {
        // The store is empty now (and durable): the snapshot is an ordinary, empty one again.
        LS_ASSIGN(Sidecar sc, readSidecar(cowPath));
        sc.merging = false;
        LS_TRY(writeSidecar(cowPath, sc));
    }
    return outcome;
}

// ---------------------------------------------------------------------------------------------
// On an origin the caller holds open

Result<std::shared_ptr<Snapshot>> attachSnapshotFile(const std::shared_ptr<Origin>& origin, const std::string& cowPath,
                                                     const SnapshotOpenOptions& options) {
    LS_ASSIGN(Sidecar sc, readSidecar(cowPath));
    if (sc.merging && !options.allowMerging) return makeError(ErrorCode::Busy, mergeInProgressMessage(origin->describe(), cowPath));
    LS_ASSIGN(auto cowDev, FileDevice::open(cowPath));
    SnapshotOptions so;
    so.type = sc.type;
    so.sizeBytes = sc.sizeBytes;
    so.legacyCompletionOrder = options.legacyCompletionOrder;
    so.name = cowPath;
    return origin->attachSnapshot(cowDev, so);
}

Result<std::shared_ptr<Snapshot>> createSnapshotOnOrigin(const std::shared_ptr<Origin>& origin, const SnapshotCreateRequest& rq,
                                                         const SnapshotOpenOptions& options) {
    LS_TRY(validateChunkBytes(rq.chunkBytes));
    std::shared_ptr<FileDevice> cowDev;
    if (!fileExists(rq.cowPath)) {
        if (!rq.cowSize) return makeError(ErrorCode::InvalidArgument, rq.cowPath + " does not exist and no size was given to create it",
                                          rq.cowPath, "cow-size-missing");
        LS_ASSIGN(cowDev, FileDevice::open(rq.cowPath, FileOpenOptions{.create = true, .createSize = rq.cowSize}));
    } else {
        LS_ASSIGN(cowDev, FileDevice::open(rq.cowPath));
        std::byte raw[cowfmt::kHeaderBytes] = {};
        if (cowDev->size() >= sizeof raw) {
            LS_TRY(cowDev->read(0, raw));
            if (cowfmt::decodeHeader(raw).magic == cowfmt::kMagic)
                return makeError(ErrorCode::InvalidArgument, rq.cowPath + " already holds a snapshot store; refusing to overwrite it",
                                 rq.cowPath, "store-exists");
        }
    }
    Sidecar sc;
    sc.type = rq.type;
    sc.sizeBytes = origin->size();
    LS_TRY(writeSidecar(rq.cowPath, sc));  // settings before the format, as createSnapshotFiles
    SnapshotOptions so{.type = rq.type, .chunkBytes = rq.chunkBytes, .sizeBytes = sc.sizeBytes};
    so.legacyCompletionOrder = options.legacyCompletionOrder;
    so.name = rq.cowPath;
    return origin->attachSnapshot(cowDev, so);
}

Result<MergeFiles> beginMergeOnOrigin(const std::shared_ptr<Origin>& origin, const std::shared_ptr<Snapshot>& snapshot,
                                      const std::string& cowPath, MergeOptions mergeOptions) {
    LS_ASSIGN(Sidecar sc, readSidecar(cowPath));
    MergeFiles out;
    out.opened.origin = origin;
    out.opened.snapshots.push_back(snapshot);
    LS_ASSIGN(out.merge, SnapshotMerge::begin(origin, snapshot, mergeOptions));
    out.cowPath = cowPath;
    out.resumed = sc.merging;
    if (!sc.merging) {
        sc.merging = true;
        sc.present = true;
        if (!sc.sizeBytes) sc.sizeBytes = origin->size();
        LS_TRY(writeSidecar(cowPath, sc));
    }
    return out;
}

}  // namespace loopsnap
