#include "core/backend/types.h"

namespace loopsnap {

const char* backendKindName(BackendKind kind) noexcept {
    switch (kind) {
    case BackendKind::Userspace: return "userspace";
    case BackendKind::Kernel: return "kernel";
    case BackendKind::Memory: return "memory";
    }
    return "?";
}

Result<BackendKind> parseBackendKind(const std::string& text) {
    if (text == "userspace") return BackendKind::Userspace;
    if (text == "kernel") return BackendKind::Kernel;
    if (text == "memory") return BackendKind::Memory;
    return makeError(ErrorCode::InvalidArgument, "unknown backend '" + text + "' (userspace, kernel or memory)", text, "unknown-backend");
}

const char* deviceStateName(DeviceState state) noexcept {
    switch (state) {
    case DeviceState::Valid: return "valid";
    case DeviceState::Invalid: return "invalid";
    case DeviceState::Overflow: return "overflow";
    case DeviceState::Merging: return "merging";
    case DeviceState::MergeFailed: return "merge-failed";
    case DeviceState::Hydrating: return "hydrating";
    case DeviceState::Hydrated: return "hydrated";
    case DeviceState::Failed: return "failed";
    case DeviceState::Missing: return "missing";
    }
    return "?";
}

const char* jobKindName(JobKind kind) noexcept {
    switch (kind) {
    case JobKind::Merge: return "merge";
    case JobKind::Hydration: return "hydration";
    case JobKind::CrashTest: return "crashtest";
    case JobKind::Workload: return "workload";
    }
    return "?";
}

const char* jobStateName(JobState state) noexcept {
    switch (state) {
    case JobState::Pending: return "pending";
    case JobState::Running: return "running";
    case JobState::Paused: return "paused";
    case JobState::Stopping: return "stopping";
    case JobState::Finished: return "finished";
    case JobState::Failed: return "failed";
    case JobState::Cancelled: return "cancelled";
    }
    return "?";
}

}  // namespace loopsnap
