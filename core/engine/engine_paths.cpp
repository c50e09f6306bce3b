// The Engine's one-shot commands by path (engine.h, "one-shot commands by path"): what the CLI
// runs for a single command on stores it names, without recording them in the workspace. The
// stores open through the device resolver (device_resolver.h) and close when the call returns.
#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "core/backend/status_values.h"
#include "core/engine/device_resolver.h"
#include "core/engine/engine.h"
#include "core/posix/file_device.h"
#include "core/snapshot/snapshot_files.h"

namespace loopsnap {

Result<StoreReport> Engine::inspectStore(const std::string& cowPath) {
    if (backendKind() == BackendKind::Memory)
        return makeError(ErrorCode::Unsupported, "inspect reads store files; the memory backend has none", cowPath, "capability-unsupported");
    // Both file backends keep the kernel's persistent format on the file (kernel_backend.h).
    LS_ASSIGN(StoreInspection in, inspectSnapshotStore(cowPath));
    StoreReport r;
    r.magic = in.magic;
    r.valid = in.valid;
    r.version = in.version;
    r.chunkSectors = in.chunkSectors;
    r.store = storeTypeName(in.type);
    r.exceptions = std::move(in.exceptions);
    SnapshotInfo& s = r.status;
    s.cowPath = cowPath;
    s.store = r.store;
    s.backend = backendKind();
    fillSnapshotStatus(s, in.status);
    return r;
}

Result<std::shared_ptr<BlockDevice>> Engine::plainFileDevice(const std::string& path, bool readOnly) {
    LS_TRY(checkPlainFileOpen(path, !readOnly));
    FileOpenOptions fo;
    fo.writable = !readOnly;
    LS_ASSIGN(auto f, FileDevice::open(path, fo));
    return std::shared_ptr<BlockDevice>(std::move(f));
}

Status Engine::forgetSnapshotOfOrigin(const std::string& originPath, const std::string& cowPath) {
    return loopsnap::forgetSnapshotOfOrigin(originPath, cowPath);
}

Result<PathWorkloadReport> Engine::runPathWorkload(const PathWorkloadRequest& rq) {
    if (rq.cowPaths.empty()) return makeError(ErrorCode::InvalidArgument, "a workload needs at least one snapshot", rq.originPath, "no-snapshot");
    std::string spec = "origin:" + rq.originPath;
    std::vector<std::string> specs;
    for (const auto& c : rq.cowPaths) {
        spec += ":" + c;
        specs.push_back("snapshot:" + rq.originPath + ":" + c);
    }
    specs.insert(specs.begin(), spec);
    ResolveOptions ro;
    ro.legacyCompletionOrder = rq.legacyCompletionOrder;
    LS_ASSIGN(auto devices, resolveDevices(*this, specs, ro));
    BlockDevice& origin = *devices[0].device;
    std::vector<SnapshotInfo> first = devices[0].snapshots();
    const uint64_t size = origin.size();
    uint32_t minChunk = UINT32_MAX;
    for (auto& s : first) minChunk = std::min(minChunk, s.chunkBytes ? s.chunkBytes : uint32_t(16 * 1024));
    std::atomic<uint64_t> originWrites{0}, snapshotWrites{0}, failed{0}, next{0};
    const size_t nSnaps = rq.cowPaths.size();
    std::vector<std::thread> workers;
    for (uint64_t t = 0; t < std::max(1u, rq.threads); ++t) {
        workers.emplace_back([&, t] {
            std::mt19937_64 rng(rq.seed * 1000003 + t);
            std::vector<std::byte> buf;
            while (next.fetch_add(1) < rq.ops) {
                uint64_t len = std::min<uint64_t>(size, (1 + rng() % 3) * minChunk / (1 + rng() % 2));
                uint64_t off = (rng() % (size - len + 1)) / 512 * 512;
                buf.resize(len);
                for (auto& b : buf) b = std::byte(rng());
                bool toSnapshot = rng() % 10 < 3;
                Status st;
                if (toSnapshot) {
                    ResolvedDevice& s = devices[1 + rng() % nSnaps];
                    auto infos = s.snapshots();
                    if (infos.empty() || infos[0].state != DeviceState::Valid) continue;
                    st = s.device->write(off, buf);
                    snapshotWrites.fetch_add(1);
                } else {
                    st = origin.write(off, buf);
                    originWrites.fetch_add(1);
                }
                if (!st.ok()) failed.fetch_add(1);
            }
        });
    }
    for (auto& w : workers) w.join();
    Status fl = origin.flush();
    for (size_t i = 1; i < devices.size(); ++i) (void)devices[i].device->flush();
    if (!fl.ok()) return std::move(fl).error();
    PathWorkloadReport report;
    report.originWrites = originWrites.load();
    report.snapshotWrites = snapshotWrites.load();
    report.failedWrites = failed.load();
    report.snapshots = devices[0].snapshots();
    report.traces = devices[0].traces();
    return report;
}

}  // namespace loopsnap
