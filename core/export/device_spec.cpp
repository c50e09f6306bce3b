#include "core/export/device_spec.h"
#include "core/clone/clone_files.h"

#include <algorithm>
#include <map>

#include "core/posix/file_device.h"
#include "core/snapshot/snapshot_files.h"

namespace loopsnap {

namespace {

const char* kGrammar =
    "expected origin:ORIGIN[:COW...], snapshot:ORIGIN:COW, clone:META or file:PATH";

std::vector<std::string> splitColons(std::string_view text) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        size_t pos = text.find(':', start);
        parts.emplace_back(text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return parts;
}

}  // namespace

const char* deviceSpecKindName(DeviceSpecKind kind) {
    switch (kind) {
        case DeviceSpecKind::Origin: return "origin";
        case DeviceSpecKind::Snapshot: return "snapshot";
        case DeviceSpecKind::Clone: return "clone";
        case DeviceSpecKind::File: return "file";
    }
    return "?";
}

Result<DeviceSpec> parseDeviceSpec(std::string_view text) {
    auto parts = splitColons(text);
    auto bad = [&](const std::string& why) {
        return makeError(ErrorCode::InvalidArgument, "bad device spec '" + std::string(text) + "': " + why);
    };
    if (parts.size() < 2) return bad(kGrammar);
    for (size_t i = 1; i < parts.size(); ++i)
        if (parts[i].empty()) return bad("empty path (paths cannot contain ':')");
    DeviceSpec spec;
    spec.path = parts[1];
    const std::string& kind = parts[0];
    if (kind == "origin") {
        spec.kind = DeviceSpecKind::Origin;
        spec.cowPaths.assign(parts.begin() + 2, parts.end());
    } else if (kind == "snapshot") {
        if (parts.size() != 3) return bad("snapshot:ORIGIN:COW names exactly one COW store");
        spec.kind = DeviceSpecKind::Snapshot;
        spec.cowPaths = {parts[2]};
    } else if (kind == "clone" || kind == "file") {
        if (parts.size() != 2) return bad(kind + ":PATH takes one path (paths cannot contain ':')");
        spec.kind = kind == "clone" ? DeviceSpecKind::Clone : DeviceSpecKind::File;
    } else {
        return bad("unknown kind '" + kind + "'; " + kGrammar);
    }
    return spec;
}

Result<std::pair<std::string, DeviceSpec>> parseExportArgument(std::string_view text) {
    size_t eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq > 4096)
        return makeError(ErrorCode::InvalidArgument, "bad export '" + std::string(text) + "': expected NAME=SPEC");
    LS_ASSIGN(auto spec, parseDeviceSpec(text.substr(eq + 1)));
    return std::make_pair(std::string(text.substr(0, eq)), std::move(spec));
}

std::vector<std::shared_ptr<Snapshot>> ServedDevice::relatedSnapshots() const {
    if (kind == DeviceSpecKind::Snapshot && snapshot) return {snapshot};
    return snapshots;
}

Result<ServedDevice> openDeviceSpec(std::string spec, const DeviceSpecOptions& options) {
    LS_ASSIGN(auto all, openDeviceSpecs({std::move(spec)}, options));
    return std::move(all.front());
}

Result<std::vector<ServedDevice>> openDeviceSpecs(const std::vector<std::string>& specs,
                                                  const DeviceSpecOptions& options) {
    std::vector<DeviceSpec> parsed;
    for (const auto& s : specs) {
        LS_ASSIGN(auto p, parseDeviceSpec(s));
        parsed.push_back(std::move(p));
    }
    // One Origin per origin path, with the union of the COW stores its specs name.
    std::vector<std::string> originOrder;
    std::map<std::string, std::vector<std::string>> cowsOf;
    for (const auto& p : parsed) {
        if (p.kind != DeviceSpecKind::Origin && p.kind != DeviceSpecKind::Snapshot) continue;
        if (!cowsOf.count(p.path)) originOrder.push_back(p.path);
        auto& cows = cowsOf[p.path];
        for (const auto& c : p.cowPaths)
            if (std::find(cows.begin(), cows.end(), c) == cows.end()) cows.push_back(c);
    }
    for (const auto& p : parsed)
        if (p.kind == DeviceSpecKind::File && cowsOf.count(p.path))
            return makeError(ErrorCode::Busy, p.path + " is named both as a file and as an origin");

    SnapshotOpenOptions so;
    so.events = options.events;
    so.executor = options.executor;
    so.legacyCompletionOrder = options.legacyCompletionOrder;
    so.readOnly = options.readOnly;  // a read-only export formats and writes nothing
    std::map<std::string, OpenedSnapshots> opened;
    for (const auto& origin : originOrder) {
        LS_ASSIGN(auto o, openSnapshotFiles(origin, cowsOf[origin], so));
        opened.emplace(origin, std::move(o));
    }
    auto snapshotFor = [&](const std::string& origin, const std::string& cow) {
        const auto& cows = cowsOf[origin];
        size_t i = size_t(std::find(cows.begin(), cows.end(), cow) - cows.begin());
        return opened[origin].snapshots.at(i);
    };

    std::vector<ServedDevice> out;
    for (size_t i = 0; i < parsed.size(); ++i) {
        const auto& p = parsed[i];
        ServedDevice d;
        d.spec = specs[i];
        d.kind = p.kind;
        d.readOnly = options.readOnly;
        switch (p.kind) {
            case DeviceSpecKind::File: {
                // A half-merged origin, or (for writing) one with snapshots, must not be opened
                // around the engine.
                LS_TRY(checkPlainFileOpen(p.path, !options.readOnly));
                FileOpenOptions fo;
                fo.writable = !options.readOnly;
                LS_ASSIGN(auto f, FileDevice::open(p.path, fo));
                d.device = f;
                break;
            }
            case DeviceSpecKind::Origin:
                d.origin = opened[p.path].origin;
                d.device = d.origin;
                for (const auto& c : p.cowPaths) d.snapshots.push_back(snapshotFor(p.path, c));
                break;
            case DeviceSpecKind::Snapshot:
                d.origin = opened[p.path].origin;
                d.snapshot = snapshotFor(p.path, p.cowPaths.front());
                d.device = d.snapshot->device();
                break;
            case DeviceSpecKind::Clone: {
                // A served clone hydrates in the background while clients use it, as dm-clone does.
                CloneOptions co;
                co.hydrationEnabled = true;
                co.events = options.events;
                co.name = p.path;
                LS_ASSIGN(auto clone, openCloneFiles(p.path, co));
                d.clone = clone;
                d.device = clone;
                break;
            }
        }
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace loopsnap
