#include "core/backend/status_values.h"

#include "core/clone/clone.h"
#include "core/snapshot/snapshot.h"

namespace loopsnap {

namespace {
constexpr uint64_t kSectorBytes = 512;
}

DeviceState deviceStateOf(SnapshotState s) noexcept {
    switch (s) {
    case SnapshotState::Valid: return DeviceState::Valid;
    case SnapshotState::Invalid: return DeviceState::Invalid;
    case SnapshotState::Overflow: return DeviceState::Overflow;
    case SnapshotState::Merging: return DeviceState::Merging;
    case SnapshotState::MergeFailed: return DeviceState::MergeFailed;
    }
    return DeviceState::Invalid;
}

void fillSnapshotStatus(SnapshotInfo& info, const SnapshotStatus& st) {
    info.state = deviceStateOf(st.state);
    info.status = st.kernelStatusLine();
    info.allocatedSectors = st.allocatedSectors;
    info.totalSectors = st.totalSectors;
    info.metadataSectors = st.metadataSectors;
    info.exceptions = st.exceptions;
    if (st.chunkSectors) info.chunkBytes = uint32_t(st.chunkSectors * kSectorBytes);
}

void fillCloneStatus(CloneInfo& info, const CloneStatus& st) {
    info.status = st.kernelLine();
    info.state = st.failed ? DeviceState::Failed
                 : (st.totalRegions && st.hydratedRegions == st.totalRegions) ? DeviceState::Hydrated
                                                                              : DeviceState::Hydrating;
    info.regionBytes = uint64_t(st.regionSectors) * kSectorBytes;
    info.hydratedRegions = st.hydratedRegions;
    info.totalRegions = st.totalRegions;
    info.hydratingRegions = st.hydratingRegions;
    info.hydrationEnabled = st.hydrationEnabled;
    info.hydrationThreshold = st.hydrationThreshold;
    info.hydrationBatchSize = st.hydrationBatchSize;
}

}  // namespace loopsnap
