#include "core/snapshot/snapshot_files.h"

#include <algorithm>

#include "core/posix/atomic_file.h"
#include "core/posix/file_device.h"
#include "core/snapshot/exception_store.h"
#include "core/snapshot/snapshot_records.h"

namespace loopsnap {
namespace {

// No front end's command in the message: the CLI adds the command that finishes the merge from
// subject, detail and related (app/loopsnapctl/cli.cpp), the app offers its own action.
Error mergeUnfinished(const std::string& originPath, const std::string& cowPath) {
    Error e = makeError(ErrorCode::Busy,
                        originPath + ": a merge of snapshot " + cowPath + " into this origin has started and not finished, so the origin is "
                            "partly rolled back and only that merge may open it; finish the merge of " + cowPath + " first",
                        originPath, "merge-unfinished");
    e.related = {cowPath};
    return e;
}

// Names the first gone store; related lists every recorded store that is gone.
Error snapshotMissing(const std::string& originPath, const std::string& cowPath, const std::vector<std::string>& recorded) {
    Error e = makeError(ErrorCode::NotFound,
                        "snapshot store " + cowPath + " is recorded as a snapshot of " + originPath +
                            " but does not exist: the origin is not opened for writing, since a write would change what that snapshot should keep",
                        originPath, "snapshot-missing");
    for (const std::string& r : recorded)
        if (!fileExists(r)) e.related.push_back(r);
    return e;
}

Error otherOrigin(const std::string& cowPath, const std::string& recordedOrigin, const std::string& originPath) {
    return makeError(ErrorCode::InvalidArgument,
                     cowPath + " is a snapshot of " + recordedOrigin + ", not of " + originPath + ": a store belongs to one origin",
                     cowPath, "other-origin");
}

bool contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// A store to attach: where, with which settings, and whether the caller named it.
struct PlannedSnapshot {
    std::string path;  // as given (listed) or as recorded
    std::string key;   // canonical
    Sidecar sidecar;
    bool listed = false;
};

// The listed stores (in order) and then the recorded ones not listed; every check that needs no
// store opened: gone, merging, recorded with another origin.
Result<std::vector<PlannedSnapshot>> planSnapshots(const std::string& originPath, const std::string& originKey, const OriginRecord& record,
                                                   const std::vector<std::string>& cowPaths, const SnapshotOpenOptions& options) {
    std::vector<PlannedSnapshot> plan;
    std::vector<std::string> keys;
    for (const std::string& cow : cowPaths) {
        plan.push_back(PlannedSnapshot{cow, canonicalPath(cow), {}, true});
        keys.push_back(plan.back().key);
    }
    if (!options.readOnly) {
        for (const std::string& recorded : record.snapshots) {
            if (contains(keys, recorded)) continue;
            if (!fileExists(recorded)) return snapshotMissing(originPath, recorded, record.snapshots);
            plan.push_back(PlannedSnapshot{recorded, recorded, {}, false});
        }
    }
    for (PlannedSnapshot& p : plan) {
        LS_ASSIGN(p.sidecar, readSidecar(p.path));
        if (p.sidecar.merging && !options.allowMerging) return mergeUnfinished(originPath, p.path);
        if (!p.sidecar.origin.empty() && p.sidecar.origin != originKey) return otherOrigin(p.path, p.sidecar.origin, originPath);
    }
    return plan;
}

SnapshotOptions snapshotOptionsFor(const PlannedSnapshot& p, const SnapshotOpenOptions& options) {
    SnapshotOptions so;
    so.type = p.sidecar.type;
    so.sizeBytes = p.sidecar.sizeBytes;
    so.chunkBytes = p.sidecar.chunkBytes.value_or(kDefaultChunkBytes);
    so.legacyCompletionOrder = options.legacyCompletionOrder;
    so.readOnly = options.readOnly;
    so.name = p.path;
    return so;
}

// Records the listed stores that are not recorded yet (and names the origin in their sidecars),
// durably: from now on every open of the origin copies into them.
Status recordListed(const std::string& originPath, const std::string& originKey, OriginRecord record, const std::vector<PlannedSnapshot>& plan) {
    bool changed = false;
    for (const PlannedSnapshot& p : plan) {
        if (!p.listed || contains(record.snapshots, p.key)) continue;
        record.snapshots.push_back(p.key);
        changed = true;
    }
    if (changed) LS_TRY(writeOriginRecord(originPath, record));
    for (const PlannedSnapshot& p : plan) {
        if (!p.listed || !p.sidecar.origin.empty()) continue;
        Sidecar sc = p.sidecar;
        sc.origin = originKey;
        LS_TRY(writeSidecar(p.path, sc));
    }
    return {};
}

// Validates a store `snapshot create` is about to make, before anything is written. Returns the
// store's size in bytes.
Result<uint64_t> validateNewStore(const SnapshotCreateRequest& rq, const std::string& originKey) {
    const std::string& cow = rq.cowPath;
    if (canonicalPath(cow) == originKey)
        return makeError(ErrorCode::InvalidArgument, cow + " is the origin itself", cow, "same-file");
    uint64_t storeBytes = rq.cowSize;
    if (fileExists(cow)) {
        LS_ASSIGN(auto existing, FileDevice::open(cow, FileOpenOptions{.writable = false}));
        storeBytes = existing->size();
        std::byte raw[cowfmt::kHeaderBytes] = {};
        if (storeBytes >= sizeof raw) {
            LS_TRY(existing->read(0, raw));
            uint32_t magic = cowfmt::decodeHeader(raw).magic;
            if (magic == cowfmt::kMagic)
                return makeError(ErrorCode::InvalidArgument, cow + " already holds a snapshot store; refusing to overwrite it", cow, "store-exists");
            if (magic != 0)
                return makeError(ErrorCode::Corruption, cow + ": not a snapshot store and not a new one (bad magic, not 0): refusing to overwrite it",
                                 cow, "bad-magic");
        }
        LS_ASSIGN(Sidecar old, readSidecar(cow));
        if (!old.origin.empty() && old.origin != originKey) return otherOrigin(cow, old.origin, rq.originPath);
    } else if (!rq.cowSize) {
        return makeError(ErrorCode::InvalidArgument, cow + " does not exist and no size was given to create it", cow, "cow-size-needed");
    }
    LS_TRY(validateNewStoreSize(rq.type, storeBytes, rq.chunkBytes, cow));
    return storeBytes;
}

// Undoes what a refused or failed `snapshot create` wrote, newest first.
struct CreateUndo {
    std::string originPath, cowPath;
    bool createdCow = false;
    std::optional<std::string> oldSidecar;  // set once the sidecar was replaced: its old text ("" = none)
    std::optional<OriginRecord> oldRecord;  // set once the record was replaced
    bool done = false;
    ~CreateUndo() {
        if (done) return;
        if (oldRecord) (void)writeOriginRecord(originPath, *oldRecord);
        if (oldSidecar) {
            if (oldSidecar->empty()) (void)removeFileDurably(sidecarPath(cowPath));
            else (void)writeFileAtomically(sidecarPath(cowPath), *oldSidecar);
        }
        if (createdCow) (void)removeFileDurably(cowPath);
    }
};

}  // namespace

namespace {

// `snapshot create` on an origin this process holds: everything validated before the first
// write, and a refused or failed create undone (CreateUndo).
Result<std::shared_ptr<Snapshot>> createOn(const std::shared_ptr<Origin>& origin, const SnapshotCreateRequest& rq,
                                           const SnapshotOpenOptions& options) {
    LS_TRY(validateChunkBytes(rq.chunkBytes));
    const std::string originKey = canonicalPath(rq.originPath);
    LS_ASSIGN(OriginRecord record, readOriginRecord(rq.originPath));
    if (!record.merging.empty()) return mergeUnfinished(rq.originPath, record.merging);
    LS_ASSIGN(uint64_t storeBytes, validateNewStore(rq, originKey));
    (void)storeBytes;

    // Write order: settings, then the record, then the format. A crash before the record leaves a
    // store nothing refers to (a rerun reuses it: magic 0); after it, a recorded new store that
    // the next open formats with these settings, before that open's first write.
    CreateUndo undo{rq.originPath, rq.cowPath};
    std::shared_ptr<FileDevice> cowDev;
    if (!fileExists(rq.cowPath)) {
        LS_ASSIGN(cowDev, FileDevice::open(rq.cowPath, FileOpenOptions{.create = true, .createSize = rq.cowSize}));
        undo.createdCow = true;
    } else {
        LS_ASSIGN(cowDev, FileDevice::open(rq.cowPath));
    }
    auto oldSidecarText = readWholeFile(sidecarPath(rq.cowPath));
    undo.oldSidecar = oldSidecarText.ok() ? oldSidecarText.value() : std::string();
    Sidecar sc;
    sc.type = rq.type;
    sc.sizeBytes = origin->size();  // 0 for an empty origin: a real, recorded length
    sc.chunkBytes = rq.chunkBytes;
    sc.origin = originKey;
    LS_TRY(writeSidecar(rq.cowPath, sc));
    const std::string cowKey = canonicalPath(rq.cowPath);
    if (!contains(record.snapshots, cowKey)) {
        undo.oldRecord = record;
        OriginRecord updated = record;
        updated.snapshots.push_back(cowKey);
        LS_TRY(writeOriginRecord(rq.originPath, updated));
    }
    SnapshotOptions so{.type = rq.type, .chunkBytes = rq.chunkBytes, .sizeBytes = sc.sizeBytes};
    so.legacyCompletionOrder = options.legacyCompletionOrder;
    so.name = rq.cowPath;
    LS_ASSIGN(auto snap, origin->attachSnapshot(cowDev, so));
    undo.done = true;
    return snap;
}

}  // namespace

Result<SnapshotStatus> createSnapshotFiles(const SnapshotCreateRequest& rq) {
    LS_TRY(validateChunkBytes(rq.chunkBytes));
    // The origin is held exclusively while the snapshot is created (LVM suspends it), which also
    // serialises changes of its record.
    LS_ASSIGN(auto originDev, FileDevice::open(rq.originPath));
    auto origin = Origin::create(originDev);
    LS_ASSIGN(auto snap, createOn(origin, rq, {}));
    return snap->status();
}

Result<OpenedSnapshots> openSnapshotFiles(const std::string& originPath, const std::vector<std::string>& cowPaths,
                                          const SnapshotOpenOptions& options) {
    const std::string originKey = canonicalPath(originPath);
    // Read-write: the origin's lock first, so the record read below is the one this open keeps
    // in step with (no other process changes it while the origin is held).
    LS_ASSIGN(auto originDev, FileDevice::open(originPath, FileOpenOptions{.writable = !options.readOnly}));
    LS_ASSIGN(OriginRecord record, readOriginRecord(originPath));
    // Refuse before opening a store: writing to a half-merged origin as if it were whole would mix
    // rolled-back and current chunks, and reading it would show that mix.
    if (!record.merging.empty() && !options.allowMerging) return mergeUnfinished(originPath, record.merging);
    LS_ASSIGN(auto plan, planSnapshots(originPath, originKey, record, cowPaths, options));

    OpenedSnapshots out;
    OriginOptions oo;
    oo.executor = options.executor;
    oo.events = options.events;
    oo.name = originPath;
    oo.readOnly = options.readOnly;
    out.origin = Origin::create(originDev, oo);
    for (const PlannedSnapshot& p : plan) {
        LS_ASSIGN(auto cowDev, FileDevice::open(p.path, FileOpenOptions{.writable = !options.readOnly}));
        LS_ASSIGN(auto snap, out.origin->attachSnapshot(cowDev, snapshotOptionsFor(p, options)));
        (p.listed ? out.snapshots : out.recorded).push_back(snap);
    }
    if (!options.readOnly) LS_TRY(recordListed(originPath, originKey, record, plan));
    return out;
}

Result<StoreInspection> inspectSnapshotStore(const std::string& cowPath) {
    LS_ASSIGN(auto cowDev, FileDevice::open(cowPath, FileOpenOptions{.writable = false}));
    LS_ASSIGN(Sidecar sc, readSidecar(cowPath));
    if (sc.type == StoreType::Transient)
        return makeError(ErrorCode::Unsupported, cowPath + " is a transient (N) store: nothing of it survives a restart", cowPath, "transient");
    return inspectStoreOn(cowDev, sc.type, sc.merging);
}

Result<StoreInspection> inspectStoreOn(const std::shared_ptr<BlockDevice>& cow, StoreType type, bool merging) {
    StoreInspection out;
    out.type = type;
    PersistentStore store(cow, kDefaultChunkBytes / 512);
    store.setInspectOnly(true);
    LS_ASSIGN(StoreLoad load, store.load([&](uint64_t o, uint64_t n) { out.exceptions.emplace_back(o, n); }));
    auto h = store.header();
    out.magic = h.magic;
    out.valid = h.valid;
    out.version = h.version;
    out.chunkSectors = h.chunkSectors;
    StoreUsage u = store.usage();
    out.status.state = !load.valid ? SnapshotState::Invalid : merging ? SnapshotState::Merging : SnapshotState::Valid;
    out.merging = merging;
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
    if (!fileExists(cowPath)) return makeError(ErrorCode::NotFound, "snapshot store " + cowPath + " does not exist", cowPath, "missing");
    // Read-only first: a store that is new (magic 0), transient or corrupt is refused before
    // opening it for writing (attaching a new store would format it).
    LS_ASSIGN(StoreInspection inspection, inspectSnapshotStore(cowPath));
    (void)inspection;
    const std::string cowKey = canonicalPath(cowPath);
    // Another store's unfinished merge: refused before the open below records anything (checked
    // again once the origin is held).
    LS_ASSIGN(OriginRecord early, readOriginRecord(originPath));
    if (!early.merging.empty() && early.merging != cowKey) return mergeUnfinished(originPath, early.merging);
    for (const std::string& other : otherCows) {
        LS_ASSIGN(Sidecar osc, readSidecar(other));
        if (osc.merging) return mergeUnfinished(originPath, other);
    }
    std::vector<std::string> cows{cowPath};
    cows.insert(cows.end(), otherCows.begin(), otherCows.end());
    SnapshotOpenOptions o = options;
    o.allowMerging = true;
    o.readOnly = false;
    MergeFiles out;
    LS_ASSIGN(out.opened, openSnapshotFiles(originPath, cows, o));
    // The origin is held now: the record read here is current. Another store's merge into this
    // origin is unfinished: only that one may go on.
    LS_ASSIGN(OriginRecord record, readOriginRecord(originPath));
    if (!record.merging.empty() && record.merging != cowKey) return mergeUnfinished(originPath, record.merging);
    for (const auto& s : out.opened.recorded)
        if (s->status().state == SnapshotState::Merging) return mergeUnfinished(originPath, s->name());
    LS_ASSIGN(Sidecar sc, readSidecar(cowPath));
    LS_ASSIGN(out.merge, SnapshotMerge::begin(out.opened.origin, out.opened.snapshots.front(), mergeOptions));
    out.cowPath = cowPath;
    out.originPath = originPath;
    out.resumed = sc.merging || record.merging == cowKey;
    // Durable before the first batch touches the origin, origin record first: from here on every
    // open of the origin (and of this snapshot) knows the origin is partly rolled back, and the
    // record keeps every other snapshot for the resumed merge.
    if (record.merging != cowKey) {
        record.merging = cowKey;
        LS_TRY(writeOriginRecord(originPath, record));
    }
    if (!sc.merging) {
        sc.merging = true;
        if (!sc.sizeBytes) sc.sizeBytes = out.opened.origin->size();
        LS_TRY(writeSidecar(cowPath, sc));
    }
    return out;
}

Result<MergeOutcome> MergeFiles::run() {
    LS_ASSIGN(MergeOutcome outcome, merge->run());
    if (outcome == MergeOutcome::Finished) {
        // The store is empty now (and durable): the snapshot is an ordinary, empty one again. The
        // sidecar's mark goes first, so a sidecar that says merging always has a record that does.
        LS_ASSIGN(Sidecar sc, readSidecar(cowPath));
        sc.merging = false;
        LS_TRY(writeSidecar(cowPath, sc));
        LS_ASSIGN(OriginRecord record, readOriginRecord(originPath));
        record.merging.clear();
        LS_TRY(writeOriginRecord(originPath, record));
    }
    return outcome;
}

// ---------------------------------------------------------------------------------------------
// On an origin the caller holds open (the engine facade)

Result<std::shared_ptr<Snapshot>> attachSnapshotFile(const std::shared_ptr<Origin>& origin, const std::string& cowPath,
                                                     const SnapshotOpenOptions& options) {
    const std::string originPath = origin->underlyingDevice()->describe();
    const std::string originKey = canonicalPath(originPath);
    // Opening an origin attaches every recorded snapshot of it (openSnapshotFiles): one of those
    // is the snapshot asked for, already live.
    const std::string cowKey = canonicalPath(cowPath);
    for (const auto& live : origin->snapshots())
        if (canonicalPath(live->name()) == cowKey) return live;
    LS_ASSIGN(OriginRecord record, readOriginRecord(originPath));
    PlannedSnapshot p{cowPath, cowKey, {}, true};
    LS_ASSIGN(p.sidecar, readSidecar(cowPath));
    if (p.sidecar.merging && !options.allowMerging) return mergeUnfinished(originPath, cowPath);
    if (!p.sidecar.origin.empty() && p.sidecar.origin != originKey) return otherOrigin(cowPath, p.sidecar.origin, originPath);
    LS_ASSIGN(auto cowDev, FileDevice::open(cowPath, FileOpenOptions{.writable = !options.readOnly}));
    LS_ASSIGN(auto snap, origin->attachSnapshot(cowDev, snapshotOptionsFor(p, options)));
    if (!options.readOnly) LS_TRY(recordListed(originPath, originKey, record, {p}));
    return snap;
}

Result<std::shared_ptr<Snapshot>> createSnapshotOnOrigin(const std::shared_ptr<Origin>& origin, const SnapshotCreateRequest& rq,
                                                         const SnapshotOpenOptions& options) {
    return createOn(origin, rq, options);
}

Result<MergeFiles> beginMergeOnOrigin(const std::shared_ptr<Origin>& origin, const std::shared_ptr<Snapshot>& snapshot,
                                      const std::string& cowPath, MergeOptions mergeOptions) {
    const std::string originPath = origin->underlyingDevice()->describe();
    const std::string cowKey = canonicalPath(cowPath);
    LS_ASSIGN(OriginRecord record, readOriginRecord(originPath));
    if (!record.merging.empty() && record.merging != cowKey) return mergeUnfinished(originPath, record.merging);
    LS_ASSIGN(Sidecar sc, readSidecar(cowPath));
    MergeFiles out;
    out.opened.origin = origin;
    out.opened.snapshots.push_back(snapshot);
    LS_ASSIGN(out.merge, SnapshotMerge::begin(origin, snapshot, mergeOptions));
    out.cowPath = cowPath;
    out.originPath = originPath;
    out.resumed = sc.merging || record.merging == cowKey;
    // The same durable marks, in the same order, as openMergeFiles.
    if (record.merging != cowKey) {
        record.merging = cowKey;
        LS_TRY(writeOriginRecord(originPath, record));
    }
    if (!sc.merging) {
        sc.merging = true;
        if (!sc.sizeBytes) sc.sizeBytes = origin->size();
        LS_TRY(writeSidecar(cowPath, sc));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// The origin record

Status forgetSnapshotOfOrigin(const std::string& originPath, const std::string& cowPath) {
    // Hold the origin (if it still exists) so no open of it races the record change.
    std::shared_ptr<FileDevice> held;
    if (fileExists(originPath)) {
        LS_ASSIGN(held, FileDevice::open(originPath));
    }
    LS_ASSIGN(OriginRecord record, readOriginRecord(originPath));
    const std::string key = canonicalPath(cowPath);
    if (record.merging == key) return mergeUnfinished(originPath, cowPath);
    auto it = std::find(record.snapshots.begin(), record.snapshots.end(), key);
    if (it == record.snapshots.end())
        return makeError(ErrorCode::NotFound, cowPath + " is not recorded as a snapshot of " + originPath, cowPath, "not-recorded");
    record.snapshots.erase(it);
    return writeOriginRecord(originPath, record);
}

Status checkPlainFileOpen(const std::string& path, bool writable) {
    LS_ASSIGN(OriginRecord record, readOriginRecord(path));
    if (!record.merging.empty()) return mergeUnfinished(path, record.merging);
    if (writable && !record.snapshots.empty())
        return makeError(ErrorCode::Busy,
                         path + " is the origin of " + std::to_string(record.snapshots.size()) + " recorded snapshot(s) (" + record.snapshots.front() +
                             (record.snapshots.size() > 1 ? ", ..." : "") +
                             "): a plain write would change what they keep; open it as an origin, or read-only",
                         path, "origin-has-snapshots");
    return {};
}

}  // namespace loopsnap
