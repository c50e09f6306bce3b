#include "core/linux/devmapper.h"

#include <fcntl.h>
#include <libdevmapper.h>
#include <linux/dm-ioctl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <sstream>

namespace loopsnap::dm {

namespace {

// ---- the process-wide libdevmapper lock and its captured error line ------------------------
std::mutex& dmMutex() {
    static std::mutex m;
    return m;
}
std::string g_lastDmError;  // guarded by dmMutex()

extern "C" void captureDmLog(int level, const char* file, int line, int dmErrno, const char* format, ...) {
    if (level > 3) return;  // _LOG_ERR is 3; warnings and debug stay quiet
    char buffer[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(buffer, sizeof buffer, format, args);
    va_end(args);
    g_lastDmError = buffer;
}

struct LockedLibrary {
    std::lock_guard<std::mutex> guard{dmMutex()};
    LockedLibrary() {
        static bool installed = false;
        if (!installed) {
            dm_log_with_errno_init(captureDmLog);
            installed = true;
        }
        g_lastDmError.clear();
    }
};

struct TaskDeleter {
    void operator()(dm_task* t) const { dm_task_destroy(t); }
};
using Task = std::unique_ptr<dm_task, TaskDeleter>;

ErrorCode codeForErrno(int e) {
    switch (e) {
    case EBUSY: return ErrorCode::Busy;
    case ENXIO:
    case ENODEV:
    case ENOENT: return ErrorCode::NotFound;
    case EINVAL: return ErrorCode::InvalidArgument;
    case EEXIST: return ErrorCode::Busy;
    case EACCES:
    case EPERM: return ErrorCode::Unsupported;
    default: return ErrorCode::IOError;
    }
}

const char* detailForErrno(int e) {
    switch (e) {
    case EBUSY: return "device-busy";
    case EEXIST: return "device-exists";
    case ENXIO:
    case ENODEV:
    case ENOENT: return "device-missing";
    case EINVAL: return "table-refused";
    case EACCES:
    case EPERM: return "needs-root";
    default: return "dm-ioctl-failed";
    }
}

Error taskError(dm_task* task, const std::string& what, const std::string& name) {
    int e = task ? dm_task_get_errno(task) : 0;
    if (e == 0) e = errno;
    std::string message = "device-mapper: " + what + " " + name + " failed";
    if (!g_lastDmError.empty()) message += ": " + g_lastDmError;
    else if (e) message += std::string(": ") + std::strerror(e);
    return makeError(codeForErrno(e), message, name, detailForErrno(e));
}

Result<Task> newTask(int type, const std::string& name, const char* what) {
    Task task(dm_task_create(type));
    if (!task) return makeError(ErrorCode::IOError, std::string("device-mapper: cannot create a ") + what + " task", name, "dm-ioctl-failed");
    if (!name.empty() && !dm_task_set_name(task.get(), name.c_str()))
        return makeError(ErrorCode::InvalidArgument, "device-mapper: bad device name " + name, name, "bad-name");
    return task;
}

// Runs a task whose completion creates or removes nodes: with a udev cookie where udev runs.
bool runWithCookie(dm_task* task) {
    uint32_t cookie = 0;
    if (!dm_task_set_cookie(task, &cookie, 0)) return false;
    int ok = dm_task_run(task);
    // dm_udev_wait also releases the cookie's semaphore after a failed run.
    dm_udev_wait(cookie);
    return ok != 0;
}

Status addTable(dm_task* task, const std::vector<TableLine>& table, const std::string& name) {
    for (const auto& line : table)
        if (!dm_task_add_target(task, line.startSector, line.lengthSectors, line.type.c_str(), line.params.c_str()))
            return makeError(ErrorCode::InvalidArgument, "device-mapper: cannot add a " + line.type + " target to " + name, name,
                             "table-refused");
    return {};
}

Result<std::vector<TableLine>> readTargets(int type, const std::string& name, const char* what) {
    LockedLibrary lib;
    LS_ASSIGN(Task task, newTask(type, name, what));
    if (!dm_task_run(task.get())) return taskError(task.get(), what, name);
    dm_info info{};
    if (!dm_task_get_info(task.get(), &info) || !info.exists)
        return makeError(ErrorCode::NotFound, "device-mapper: no device " + name, name, "device-missing");
    std::vector<TableLine> lines;
    void* next = nullptr;
    do {
        uint64_t start = 0, length = 0;
        char* targetType = nullptr;
        char* params = nullptr;
        next = dm_get_next_target(task.get(), next, &start, &length, &targetType, &params);
        if (targetType) lines.push_back({start, length, targetType, params ? params : ""});
    } while (next);
    return lines;
}

bool validPart(std::string_view part) {
    if (part.empty()) return false;
    return std::all_of(part.begin(), part.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '+';
    });
}

Status checkDevicePath(const std::string& path) {
    bool bad = path.empty() || path[0] != '/' ||
               std::any_of(path.begin(), path.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\0'; });
    if (bad)
        return makeError(ErrorCode::InvalidArgument, "not a usable block device path for a table: '" + path + "'", path,
                         "bad-device-path");
    return {};
}

Status checkSectors(uint64_t sectors, const char* what) {
    if (sectors == 0) return makeError(ErrorCode::InvalidArgument, std::string(what) + ": a table needs a length", "", "empty-table");
    return {};
}

bool chunkSizeValid(uint32_t chunkSectors) {
    return chunkSectors >= 8 && (chunkSectors & (chunkSectors - 1)) == 0;
}

std::vector<std::string_view> splitWords(std::string_view s) {
    std::vector<std::string_view> words;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ') ++i;
        size_t j = i;
        while (j < s.size() && s[j] != ' ') ++j;
        if (j > i) words.push_back(s.substr(i, j - i));
        i = j;
    }
    return words;
}

template <typename T>
bool parseNumber(std::string_view s, T& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

bool parseFraction(std::string_view s, uint64_t& a, uint64_t& b) {
    auto slash = s.find('/');
    return slash != std::string_view::npos && parseNumber(s.substr(0, slash), a) && parseNumber(s.substr(slash + 1), b);
}

Error badStatus(std::string_view what, std::string_view line) {
    return makeError(ErrorCode::Corruption, std::string("unexpected ") + std::string(what) + " status line '" + std::string(line) + "'", "",
                     "bad-status-line");
}

}  // namespace

// ---- support and versions -------------------------------------------------------------------

Status checkSupport() {
    // libdevmapper creates /dev/mapper/control from /proc/misc when the node is missing.
    auto version = driverVersion();
    if (!version.ok())
        return makeError(ErrorCode::Unsupported,
                         "device-mapper is not available (no dm-mod in this kernel, or not root): " + version.error().message, "",
                         "no-device-mapper");
    return {};
}

Result<std::string> driverVersion() {
    LockedLibrary lib;
    LS_ASSIGN(Task task, newTask(DM_DEVICE_VERSION, "", "version"));
    if (!dm_task_run(task.get())) return taskError(task.get(), "version", "");
    char buffer[64] = {};
    if (!dm_task_get_driver_version(task.get(), buffer, sizeof buffer))
        return makeError(ErrorCode::IOError, "device-mapper: no driver version", "", "dm-ioctl-failed");
    return std::string(buffer);
}

Result<std::string> targetVersion(std::string_view targetType) {
    LockedLibrary lib;
    LS_ASSIGN(Task task, newTask(DM_DEVICE_LIST_VERSIONS, "", "list versions"));
    if (!dm_task_run(task.get())) return taskError(task.get(), "list versions", "");
    dm_versions* v = dm_task_get_versions(task.get());
    while (v) {
        if (targetType == v->name)
            return std::to_string(v->version[0]) + "." + std::to_string(v->version[1]) + "." + std::to_string(v->version[2]);
        if (!v->next) break;
        v = reinterpret_cast<dm_versions*>(reinterpret_cast<char*>(v) + v->next);
    }
    return makeError(ErrorCode::NotFound, "the kernel has no '" + std::string(targetType) + "' target loaded", std::string(targetType),
                     "target-missing");
}

// ---- names ----------------------------------------------------------------------------------

Result<std::string> deviceName(std::string_view workspaceId, std::string_view role, std::string_view objectId) {
    if (!validPart(workspaceId) || !validPart(role) || !validPart(objectId))
        return makeError(ErrorCode::InvalidArgument,
                         "device names are made of [A-Za-z0-9_.+] parts: '" + std::string(workspaceId) + "', '" + std::string(role) +
                             "', '" + std::string(objectId) + "'",
                         std::string(objectId), "bad-name");
    std::string name = std::string(kNamePrefix) + std::string(workspaceId) + "-" + std::string(role) + "-" + std::string(objectId);
    if (name.size() >= DM_NAME_LEN)
        return makeError(ErrorCode::InvalidArgument, "device name too long: " + name, name, "bad-name");
    return name;
}

std::string uuidForName(std::string_view name) {
    std::string_view rest = name.substr(0, kNamePrefix.size()) == kNamePrefix ? name.substr(kNamePrefix.size()) : name;
    return std::string(kUuidPrefix) + std::string(rest);
}

// ---- device operations ----------------------------------------------------------------------

Status createDevice(const std::string& name, const std::string& uuid, const std::vector<TableLine>& table, CreateOptions options) {
    LockedLibrary lib;
    LS_ASSIGN(Task task, newTask(DM_DEVICE_CREATE, name, "create"));
    if (!uuid.empty() && !dm_task_set_uuid(task.get(), uuid.c_str()))
        return makeError(ErrorCode::InvalidArgument, "device-mapper: bad uuid " + uuid, name, "bad-name");
    if (options.readOnly) dm_task_set_ro(task.get());
    LS_TRY(addTable(task.get(), table, name));
    // libdevmapper creates, loads and resumes in one task, and removes the device again when the
    // load fails.
    if (!runWithCookie(task.get())) return taskError(task.get(), "create", name);
    return {};
}

Status loadTable(const std::string& name, const std::vector<TableLine>& table) {
    LockedLibrary lib;
    LS_ASSIGN(Task task, newTask(DM_DEVICE_RELOAD, name, "reload"));
    LS_TRY(addTable(task.get(), table, name));
    if (!dm_task_run(task.get())) return taskError(task.get(), "reload", name);
    return {};
}

Status clearInactiveTable(const std::string& name) {
    LockedLibrary lib;
    LS_ASSIGN(Task task, newTask(DM_DEVICE_CLEAR, name, "clear"));
    if (!dm_task_run(task.get())) return taskError(task.get(), "clear", name);
    return {};
}

Status suspendDevice(const std::string& name, bool noFlush) {
    LockedLibrary lib;
    LS_ASSIGN(Task task, newTask(DM_DEVICE_SUSPEND, name, "suspend"));
    if (noFlush) dm_task_no_flush(task.get());
    if (!dm_task_run(task.get())) return taskError(task.get(), "suspend", name);
    return {};
}

Status resumeDevice(const std::string& name) {
    LockedLibrary lib;
    LS_ASSIGN(Task task, newTask(DM_DEVICE_RESUME, name, "resume"));
    if (!runWithCookie(task.get())) return taskError(task.get(), "resume", name);
    return {};
}

Status removeDevice(const std::string& name) {
    LockedLibrary lib;
    {
        LS_ASSIGN(Task info, newTask(DM_DEVICE_INFO, name, "info"));
        dm_info i{};
        if (dm_task_run(info.get()) && dm_task_get_info(info.get(), &i) && i.exists && i.open_count > 0)
            return makeError(ErrorCode::Busy, "device-mapper: " + name + " is in use (open " + std::to_string(i.open_count) + " times)",
                             name, "device-busy");
    }
    LS_ASSIGN(Task task, newTask(DM_DEVICE_REMOVE, name, "remove"));
    if (!runWithCookie(task.get())) return taskError(task.get(), "remove", name);
    return {};
}

Result<DeviceInfo> deviceInfo(const std::string& name) {
    LockedLibrary lib;
    LS_ASSIGN(Task task, newTask(DM_DEVICE_INFO, name, "info"));
    if (!dm_task_run(task.get())) return taskError(task.get(), "info", name);
    dm_info i{};
    if (!dm_task_get_info(task.get(), &i) || !i.exists)
        return makeError(ErrorCode::NotFound, "device-mapper: no device " + name, name, "device-missing");
    DeviceInfo out;
    out.name = name;
    if (const char* uuid = dm_task_get_uuid(task.get())) out.uuid = uuid;
    out.suspended = i.suspended;
    out.readOnly = i.read_only;
    out.liveTable = i.live_table;
    out.inactiveTable = i.inactive_table;
    out.openCount = i.open_count;
    out.eventNr = i.event_nr;
    out.major = i.major;
    out.minor = i.minor;
    out.targetCount = i.target_count;
    return out;
}

bool deviceExists(const std::string& name) { return deviceInfo(name).ok(); }

Result<std::vector<TableLine>> deviceStatus(const std::string& name) { return readTargets(DM_DEVICE_STATUS, name, "status"); }
Result<std::vector<TableLine>> deviceTable(const std::string& name) { return readTargets(DM_DEVICE_TABLE, name, "table"); }

Result<std::string> sendMessage(const std::string& name, const std::string& message) {
    LockedLibrary lib;
    LS_ASSIGN(Task task, newTask(DM_DEVICE_TARGET_MSG, name, "message"));
    if (!dm_task_set_sector(task.get(), 0) || !dm_task_set_message(task.get(), message.c_str()))
        return makeError(ErrorCode::InvalidArgument, "device-mapper: cannot set message '" + message + "'", name, "bad-message");
    if (!dm_task_run(task.get())) return taskError(task.get(), "message '" + message + "' to", name);
    const char* reply = dm_task_get_message_response(task.get());
    return std::string(reply ? reply : "");
}

Result<std::vector<std::string>> listDevices(std::string_view prefix) {
    LockedLibrary lib;
    LS_ASSIGN(Task task, newTask(DM_DEVICE_LIST, "", "list"));
    if (!dm_task_run(task.get())) return taskError(task.get(), "list", "");
    std::vector<std::string> names;
    dm_names* n = dm_task_get_names(task.get());
    if (n && n->dev) {
        while (true) {
            std::string_view name(n->name);
            if (name.substr(0, prefix.size()) == prefix) names.emplace_back(name);
            if (!n->next) break;
            n = reinterpret_cast<dm_names*>(reinterpret_cast<char*>(n) + n->next);
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

// libdevmapper has no waiting call with a timeout (DM_DEVICE_WAITEVENT blocks until the event),
// so this uses the kernel's own poll support on a private /dev/mapper/control descriptor
// (dm ioctl >= 4.37): DM_DEV_ARM_POLL, then read the counter, then poll(). Arming before the
// read means an event between the two wakes the poll at once.
Result<uint32_t> waitForEvent(const std::string& name, uint32_t seenEventNr, std::chrono::milliseconds timeout) {
    int fd = ::open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        // libdevmapper creates the node on first use; make sure it has.
        LS_TRY(deviceInfo(name));
        fd = ::open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
        if (fd < 0)
            return makeError(ErrorCode::Unsupported, std::string("cannot open /dev/mapper/control: ") + std::strerror(errno), name,
                             "no-device-mapper");
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        dm_ioctl arm{};
        arm.version[0] = DM_VERSION_MAJOR;
        arm.version[1] = 0;
        arm.version[2] = 0;
        arm.data_size = sizeof arm;
        bool armed = ::ioctl(fd, DM_DEV_ARM_POLL, &arm) == 0;
        LS_ASSIGN(DeviceInfo info, deviceInfo(name));
        if (info.eventNr != seenEventNr) return info.eventNr;
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return info.eventNr;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
        // Without poll support (old kernels) fall back to checking ten times a second.
        int wait = armed ? int(std::min<long long>(left, 1000)) : int(std::min<long long>(left, 100));
        pollfd p{fd, POLLIN, 0};
        ::poll(&p, 1, wait);
    }
}

// ---- tables ---------------------------------------------------------------------------------

Result<TableLine> snapshotOriginTable(const std::string& originDevice, uint64_t sectors) {
    LS_TRY(checkDevicePath(originDevice));
    LS_TRY(checkSectors(sectors, "snapshot-origin"));
    return TableLine{0, sectors, "snapshot-origin", originDevice};
}

Result<TableLine> snapshotTable(const std::string& originDevice, const std::string& cowDevice, StoreType type,
                                uint32_t chunkSectors, uint64_t sectors) {
    LS_TRY(checkDevicePath(originDevice));
    LS_TRY(checkDevicePath(cowDevice));
    LS_TRY(checkSectors(sectors, "snapshot"));
    if (!chunkSizeValid(chunkSectors))
        return makeError(ErrorCode::InvalidArgument, "chunk size must be a power of two of at least 8 sectors, not " + std::to_string(chunkSectors),
                         cowDevice, "bad-chunk-size");
    return TableLine{0, sectors, "snapshot",
                     originDevice + " " + cowDevice + " " + storeTypeName(type) + " " + std::to_string(chunkSectors)};
}

Result<TableLine> snapshotMergeTable(const std::string& originDevice, const std::string& cowDevice, StoreType type,
                                     uint32_t chunkSectors, uint64_t sectors) {
    if (type == StoreType::Transient)
        return makeError(ErrorCode::InvalidArgument, "a transient (N) store cannot be merged", cowDevice, "merge-transient");
    LS_ASSIGN(TableLine line, snapshotTable(originDevice, cowDevice, type, chunkSectors, sectors));
    line.type = "snapshot-merge";
    return line;
}

Result<TableLine> cloneTable(const std::string& metadataDevice, const std::string& destinationDevice,
                             const std::string& sourceDevice, uint64_t sectors, const CloneTableOptions& options) {
    LS_TRY(checkDevicePath(metadataDevice));
    LS_TRY(checkDevicePath(destinationDevice));
    LS_TRY(checkDevicePath(sourceDevice));
    LS_TRY(checkSectors(sectors, "clone"));
    uint32_t r = options.regionSectors;
    if (r < 8 || r > 2097152 || (r & (r - 1)) != 0)
        return makeError(ErrorCode::InvalidArgument, "region size must be a power of two from 8 to 2097152 sectors, not " + std::to_string(r),
                         destinationDevice, "bad-region-size");
    if (options.hydrationThreshold == 0 || options.hydrationBatchSize == 0)
        return makeError(ErrorCode::InvalidArgument, "hydration threshold and batch size must be positive", destinationDevice,
                         "bad-hydration-setting");
    std::string params = metadataDevice + " " + destinationDevice + " " + sourceDevice + " " + std::to_string(r);
    std::vector<std::string> features;
    if (!options.hydration) features.push_back("no_hydration");
    if (!options.discardPassdown) features.push_back("no_discard_passdown");
    params += " " + std::to_string(features.size());
    for (const auto& f : features) params += " " + f;
    params += " 4 hydration_threshold " + std::to_string(options.hydrationThreshold) + " hydration_batch_size " +
              std::to_string(options.hydrationBatchSize);
    return TableLine{0, sectors, "clone", params};
}

// ---- status lines ---------------------------------------------------------------------------

Result<SnapshotStatus> parseSnapshotStatus(std::string_view line, uint32_t chunkSectors) {
    SnapshotStatus s;
    s.chunkSectors = chunkSectors;
    if (line == "Invalid") { s.state = SnapshotState::Invalid; return s; }
    if (line == "Overflow") { s.state = SnapshotState::Overflow; return s; }
    if (line == "Merge failed") { s.state = SnapshotState::MergeFailed; return s; }
    auto words = splitWords(line);
    if (words.size() != 2 || !parseFraction(words[0], s.allocatedSectors, s.totalSectors) ||
        !parseNumber(words[1], s.metadataSectors) || s.metadataSectors > s.allocatedSectors)
        return badStatus("snapshot", line);
    if (chunkSectors) s.exceptions = (s.allocatedSectors - s.metadataSectors) / chunkSectors;
    return s;
}

Result<CloneStatus> parseCloneStatus(std::string_view line) {
    CloneStatus s;
    if (line == "Fail") { s.failed = true; return s; }
    auto w = splitWords(line);
    size_t i = 0;
    auto next = [&]() -> std::string_view { return i < w.size() ? w[i++] : std::string_view{}; };
    uint64_t region = 0, count = 0;
    if (!parseNumber(next(), s.metadataBlockSectors) || !parseFraction(next(), s.usedMetadataBlocks, s.totalMetadataBlocks) ||
        !parseNumber(next(), region) || !parseFraction(next(), s.hydratedRegions, s.totalRegions) ||
        !parseNumber(next(), s.hydratingRegions) || !parseNumber(next(), count))
        return badStatus("clone", line);
    s.regionSectors = uint32_t(region);
    s.hydrationEnabled = true;
    s.discardPassdown = true;
    for (uint64_t f = 0; f < count; ++f) {
        auto feature = next();
        if (feature == "no_hydration") s.hydrationEnabled = false;
        else if (feature == "no_discard_passdown") s.discardPassdown = false;
        else if (feature.empty()) return badStatus("clone", line);
        // other features (metadata2 and later ones) do not change these fields
    }
    if (!parseNumber(next(), count)) return badStatus("clone", line);
    for (uint64_t a = 0; a < count; a += 2) {
        auto key = next();
        auto value = next();
        uint32_t v = 0;
        if (!parseNumber(value, v)) return badStatus("clone", line);
        if (key == "hydration_threshold") s.hydrationThreshold = v;
        else if (key == "hydration_batch_size") s.hydrationBatchSize = v;
    }
    auto mode = next();
    if (mode != "rw" && mode != "ro") return badStatus("clone", line);
    s.readOnly = mode == "ro";
    if (i != w.size()) return badStatus("clone", line);
    return s;
}

}  // namespace loopsnap::dm
