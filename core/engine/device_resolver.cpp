// Device resolution under the facade. See device_resolver.h.
#include "core/engine/device_resolver.h"

#include <algorithm>

#include "core/backend/status_values.h"
#include "core/engine/engine.h"
#include "core/snapshot/snapshot.h"

namespace loopsnap {

namespace {

SnapshotInfo infoOf(const Snapshot& s) {
    SnapshotInfo info;
    info.cowPath = s.name();
    fillSnapshotStatus(info, s.status());  // chunkBytes 0 where the status has none, as `snapshot status` prints it
    info.open = true;
    return info;
}

SnapshotTrace traceOf(const Snapshot& s) {
    const SnapshotCounters& c = s.counters();
    SnapshotTrace t;
    t.allocated = c.allocated.load(std::memory_order_relaxed);
    t.copiesInFlight = c.copiesInFlight.load(std::memory_order_relaxed);
    t.copiesFinished = c.copiesFinished.load(std::memory_order_relaxed);
    t.committed = c.committed.load(std::memory_order_relaxed);
    t.waitingOutOfOrder = c.waitingOutOfOrder.load(std::memory_order_relaxed);
    t.finishedOutOfOrder = c.finishedOutOfOrder.load(std::memory_order_relaxed);
    t.areaWrites = c.areaWrites.load(std::memory_order_relaxed);
    t.eventSource = s.eventSource();
    t.legacyCompletionOrder = s.legacyCompletionOrder();
    return t;
}

// The registry's status of these snapshot ids, sampled at each call (ids no longer listed are skipped).
std::function<std::vector<SnapshotInfo>()> snapshotsOf(Engine& engine, std::vector<std::string> ids) {
    return [e = &engine, ids = std::move(ids)] {
        std::vector<SnapshotInfo> v;
        for (auto& sid : ids)
            if (auto s = e->snapshot(sid); s.ok()) v.push_back(*s);
        return v;
    };
}

// Records in the workspace what the spec opener opened (as `add` records it): every store the
// origin of an origin: or snapshot: spec opened with (the listed ones, and for a read-write open
// the recorded ones attached beside them), and every clone. Plain files are no store and stay
// unrecorded. After the open, so that a store the open formatted reads as one. A read-only open
// formats nothing: a new store (magic 0) it showed as empty is no store yet and is not recorded.
Status recordOpened(Engine& engine, const std::vector<DeviceSpec>& parsed, const std::vector<ResolvedDevice>& devices,
                    bool readOnly) {
    std::vector<std::pair<std::string, std::string>> done;
    for (size_t i = 0; i < parsed.size(); ++i) {
        const DeviceSpec& p = parsed[i];
        const ServedDevice& d = *devices[i].served;
        if (p.kind == DeviceSpecKind::Clone) {
            LS_TRY(engine.addClone(p.path));
            continue;
        }
        if (p.kind == DeviceSpecKind::File || !d.origin) continue;
        for (const auto& snap : d.origin->snapshots()) {
            std::pair<std::string, std::string> key{p.path, snap->name()};
            if (std::find(done.begin(), done.end(), key) != done.end()) continue;
            auto added = engine.addSnapshot(key.first, key.second);
            if (!added.ok() && !(readOnly && added.error().code == ErrorCode::NotFound)) return std::move(added).error();
            done.push_back(std::move(key));
        }
    }
    return {};
}

// Userspace: the spec opener with the engine's events.
Result<std::vector<ResolvedDevice>> resolveUserspace(Engine& engine, const std::vector<std::string>& specs,
                                                     const std::vector<DeviceSpec>& parsed, const ResolveOptions& options) {
    DeviceSpecOptions so;
    so.events = engine.eventSink();
    so.readOnly = options.readOnly;
    so.legacyCompletionOrder = options.legacyCompletionOrder;
    LS_ASSIGN(auto opened, openDeviceSpecs(specs, so));
    std::vector<ResolvedDevice> out;
    for (auto& d : opened) {
        auto served = std::make_shared<const ServedDevice>(std::move(d));
        ResolvedDevice r;
        r.spec = served->spec;
        r.kind = served->kind;
        r.device = served->device;
        r.readOnly = served->readOnly;
        r.served = served;
        r.snapshots = [served] {
            std::vector<SnapshotInfo> v;
            for (auto& s : served->relatedSnapshots()) v.push_back(infoOf(*s));
            return v;
        };
        r.traces = [served] {
            std::vector<SnapshotTrace> v;
            for (auto& s : served->relatedSnapshots()) v.push_back(traceOf(*s));
            return v;
        };
        out.push_back(std::move(r));
    }
    if (options.record) LS_TRY(recordOpened(engine, parsed, out, options.readOnly));
    return out;
}

}  // namespace

Result<ResolvedDevice> resolveDeviceId(Engine& engine, const std::string& id, bool readOnly) {
    ResolvedDevice r;
    r.spec = "id:" + id;
    r.deviceId = id;
    r.readOnly = readOnly;
    std::vector<std::string> related;
    if (auto o = engine.origin(id); o.ok()) {
        r.kind = DeviceSpecKind::Origin;
        related = o->snapshotIds;
    } else if (auto s = engine.snapshot(id); s.ok()) {
        r.kind = DeviceSpecKind::Snapshot;
        related = {id};
    } else if (auto c = engine.clone(id); c.ok()) {
        r.kind = DeviceSpecKind::Clone;
    } else {
        return std::move(o).error();
    }
    LS_ASSIGN(r.device, engine.device(id));
    Engine* e = &engine;
    r.snapshots = snapshotsOf(engine, related);
    r.traces = [e, related] {
        std::vector<SnapshotTrace> v;
        for (auto& sid : related) {
            auto t = e->snapshotTrace(sid);
            v.push_back(t.ok() ? *t : SnapshotTrace{});
        }
        return v;
    };
    return r;
}

Result<std::vector<ResolvedDevice>> resolveDevices(Engine& engine, const std::vector<std::string>& specs, const ResolveOptions& options) {
    std::vector<DeviceSpec> parsed;
    for (const auto& s : specs) {
        auto p = parseDeviceSpec(s);
        if (!p.ok()) {
            Error e = std::move(p).error();
            if (e.detail.empty()) e.detail = "bad-spec";
            if (e.subject.empty()) e.subject = s;
            return e;
        }
        parsed.push_back(*p);
    }
    if (engine.backendKind() == BackendKind::Userspace) return resolveUserspace(engine, specs, parsed, options);

    // Another backend: through the registry (the stores are recorded as `add` records them).
    std::vector<ResolvedDevice> out;
    for (size_t i = 0; i < parsed.size(); ++i) {
        const DeviceSpec& p = parsed[i];
        if (p.kind == DeviceSpecKind::File) {
            LS_ASSIGN(auto dev, engine.plainFileDevice(p.path, options.readOnly));
            ResolvedDevice r;
            r.spec = specs[i];
            r.kind = p.kind;
            r.device = dev;
            r.readOnly = options.readOnly;
            r.snapshots = [] { return std::vector<SnapshotInfo>{}; };
            r.traces = [] { return std::vector<SnapshotTrace>{}; };
            out.push_back(std::move(r));
            continue;
        }
        std::string id;
        std::vector<std::string> related;
        if (p.kind == DeviceSpecKind::Clone) {
            LS_ASSIGN(auto c, engine.addClone(p.path));
            id = c.id;
        } else {
            for (const auto& cow : p.cowPaths) {
                LS_ASSIGN(auto s, engine.addSnapshot(p.path, cow));
                related.push_back(s.id);
                id = p.kind == DeviceSpecKind::Snapshot ? s.id : s.originId;
            }
            if (id.empty()) {
                auto known = engine.idForPath(p.path);
                if (!known)
                    return makeError(ErrorCode::NotFound, "origin " + p.path + " is not in the workspace: name one of its snapshots", p.path,
                                     "not-in-workspace");
                id = *known;
            }
        }
        LS_ASSIGN(auto r, resolveDeviceId(engine, id, options.readOnly));
        r.spec = specs[i];
        r.kind = p.kind;
        if (p.kind == DeviceSpecKind::Origin) {
            r.snapshots = snapshotsOf(engine, related);
            r.traces = [related] { return std::vector<SnapshotTrace>(related.size()); };
        }
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace loopsnap
