#include "core/engine/merge_plan.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/engine/engine.h"

namespace loopsnap {

namespace fs = std::filesystem;

namespace {

std::string readLine(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    if (in) std::getline(in, line);
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ' || line.back() == '\r')) line.pop_back();
    return line;
}

// The form paths are compared in: absolute and normalised, symlinks resolved where they exist.
std::string normalPath(const std::string& p) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(fs::path(p), ec);
    if (ec) return fs::path(p).lexically_normal().string();
    return c.string();
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescapeMountField(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
            out.push_back(char(std::stoi(s.substr(i + 1, 3), nullptr, 8)));
            i += 3;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

struct MountEntry {
    std::string devnum;      // "7:3"
    std::string mountPoint;
    std::string source;      // "/dev/loop3"
    bool readWrite = false;
};

std::vector<MountEntry> readMountInfo(const MergeEnvironment& env) {
    std::vector<MountEntry> out;
    std::ifstream in(env.procRoot + "/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        // id parent maj:min root mountpoint options [optional...] - fstype source superoptions
        std::istringstream fields(line);
        std::string id, parent, devnum, root, mountPoint, options, word;
        if (!(fields >> id >> parent >> devnum >> root >> mountPoint >> options)) continue;
        while (fields >> word && word != "-") {}
        std::string fstype, source;
        fields >> fstype >> source;
        MountEntry e;
        e.devnum = devnum;
        e.mountPoint = unescapeMountField(mountPoint);
        e.source = unescapeMountField(source);
        // The per-mount options come first: "rw,relatime" or "ro,...".
        e.readWrite = options == "rw" || options.rfind("rw,", 0) == 0;
        out.push_back(std::move(e));
    }
    return out;
}

// A block device in sysfs: its name ("loop3", "sdb"), its "M:m" and its partitions' (name, M:m).
struct SysBlock {
    std::string name, devnum;
    std::vector<std::pair<std::string, std::string>> partitions;
};

SysBlock readSysBlock(const fs::path& dir) {
    SysBlock b;
    b.name = dir.filename().string();
    b.devnum = readLine((dir / "dev").string());
    std::error_code ec;
    for (const auto& sub : fs::directory_iterator(dir, ec)) {
        std::error_code e2;
        if (!sub.is_directory(e2)) continue;
        if (!fs::exists(sub.path() / "partition", e2)) continue;
        b.partitions.emplace_back(sub.path().filename().string(), readLine((sub.path() / "dev").string()));
    }
    std::sort(b.partitions.begin(), b.partitions.end());
    return b;
}

// Mounted read-write: the device itself or any of its partitions.
void addMountRefusals(const SysBlock& block, const std::string& originPath, const std::vector<MountEntry>& mounts,
                      std::vector<MergeRefusal>& out) {
    std::vector<std::pair<std::string, std::string>> devices{{block.name, block.devnum}};
    devices.insert(devices.end(), block.partitions.begin(), block.partitions.end());
    for (const auto& [name, devnum] : devices) {
        if (devnum.empty()) continue;
        for (const MountEntry& m : mounts) {
            if (m.devnum != devnum || !m.readWrite) continue;
            MergeRefusal r;
            r.kind = MergeRefusalKind::Mounted;
            r.path = originPath;
            r.device = "/dev/" + name;
            r.mountPoint = m.mountPoint;
            out.push_back(std::move(r));
        }
    }
}

// The pid holding a POSIX write lock on `path` against us, or 0.
int64_t lockHolder(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    struct flock fl{};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    int64_t pid = 0;
    if (::fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) pid = fl.l_pid;
    ::close(fd);
    return pid;
}

}  // namespace

const char* mergeRefusalKindName(MergeRefusalKind kind) noexcept {
    switch (kind) {
    case MergeRefusalKind::Attached: return "attached";
    case MergeRefusalKind::Mounted: return "mounted";
    case MergeRefusalKind::Held: return "held";
    }
    return "?";
}

std::string MergeRefusal::message() const {
    switch (kind) {
    case MergeRefusalKind::Attached:
        return path + " is attached as " + device + "; detach it before rolling back";
    case MergeRefusalKind::Mounted:
        return path + " is mounted read-write at " + mountPoint + " (" + device + "); unmount it before rolling back";
    case MergeRefusalKind::Held:
        return path + " is in use by process " + std::to_string(pid) + " (" + program + "); stop it before rolling back";
    }
    return path;
}

Error mergeRefusalError(const MergeRefusal& r) {
    const char* detail = r.kind == MergeRefusalKind::Attached ? "origin-attached"
                         : r.kind == MergeRefusalKind::Mounted ? "origin-mounted"
                                                               : "origin-in-use";
    return makeError(ErrorCode::Busy, r.message(), r.path, detail);
}

std::vector<MergeRefusal> mergeRefusals(const std::string& originPath, const std::string& cowPath, BackendKind backend,
                                        const MergeEnvironment& env) {
    std::vector<MergeRefusal> out;
    if (backend == BackendKind::Memory) return out;
    const std::string origin = normalPath(originPath);
    const std::vector<MountEntry> mounts = readMountInfo(env);
    struct stat st{};
    const bool isBlock = ::stat(origin.c_str(), &st) == 0 && S_ISBLK(st.st_mode);

    if (isBlock) {
        // A block device origin: its sysfs node by number, then mounts of it or its partitions.
        const std::string devnum = std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
        std::error_code ec;
        fs::path node = fs::canonical(fs::path(env.sysRoot) / "dev/block" / devnum, ec);
        if (!ec) {
            SysBlock b = readSysBlock(node);
            if (b.devnum.empty()) b.devnum = devnum;
            addMountRefusals(b, originPath, mounts, out);
        } else {
            SysBlock b;
            b.name = fs::path(origin).filename().string();
            b.devnum = devnum;
            addMountRefusals(b, originPath, mounts, out);
        }
    }

    // Loop devices over the origin (a file, or a block device looped again).
    std::vector<SysBlock> loops;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(fs::path(env.sysRoot) / "block", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("loop", 0) != 0) continue;
        std::string backing = readLine((entry.path() / "loop/backing_file").string());
        if (backing.empty()) continue;
        const std::string deleted = " (deleted)";
        if (backing.size() > deleted.size() && backing.compare(backing.size() - deleted.size(), deleted.size(), deleted) == 0) continue;
        if (normalPath(backing) != origin) continue;
        loops.push_back(readSysBlock(entry.path()));
    }
    std::sort(loops.begin(), loops.end(), [](const SysBlock& a, const SysBlock& b) { return a.name < b.name; });
    if (backend != BackendKind::Kernel)
        for (const SysBlock& l : loops) {
            MergeRefusal r;
            r.kind = MergeRefusalKind::Attached;
            r.path = originPath;
            r.device = "/dev/" + l.name;
            out.push_back(std::move(r));
        }
    for (const SysBlock& l : loops) addMountRefusals(l, originPath, mounts, out);

    // Write locks of other processes (a POSIX lock held by this process is not reported to it).
    for (const std::string& p : {originPath, cowPath}) {
        if (p.empty()) continue;
        int64_t pid = lockHolder(p);
        if (!pid) continue;
        MergeRefusal r;
        r.kind = MergeRefusalKind::Held;
        r.path = p;
        r.pid = pid;
        r.program = readLine(env.procRoot + "/" + std::to_string(pid) + "/comm");
        if (r.program.empty()) r.program = "unknown";
        out.push_back(std::move(r));
    }
    return out;
}

Status checkMergeAllowed(const std::string& originPath, const std::string& cowPath, BackendKind backend, const MergeEnvironment& env) {
    auto refusals = mergeRefusals(originPath, cowPath, backend, env);
    if (refusals.empty()) return {};
    return mergeRefusalError(refusals.front());
}

Result<MergePlan> planMerge(Engine& engine, const std::string& snapshotId, const MergeEnvironment& env) {
    LS_ASSIGN(SnapshotInfo s, engine.snapshot(snapshotId));
    LS_ASSIGN(OriginInfo o, engine.origin(s.originId));
    if (s.state == DeviceState::Missing || s.state == DeviceState::Invalid) {
        if (s.problem) return *s.problem;
        return makeError(ErrorCode::InvalidArgument, s.cowPath + " cannot be merged: the snapshot is " + deviceStateName(s.state), snapshotId,
                         "snapshot-not-mergeable");
    }
    if (o.state == DeviceState::Missing) {
        if (o.problem) return *o.problem;
        return makeError(ErrorCode::NotFound, o.path + " is missing", o.id, "origin-missing");
    }
    MergePlan plan;
    plan.snapshotId = s.id;
    plan.cowPath = s.cowPath;
    plan.originId = o.id;
    plan.originPath = o.path;
    plan.originBytes = o.sizeBytes;
    plan.chunkBytes = s.chunkBytes;
    plan.backend = s.backend;
    plan.chunksToMerge = s.exceptions;
    plan.bytesToCopy = std::min<uint64_t>(uint64_t(s.exceptions) * s.chunkBytes, o.sizeBytes);
    plan.running = s.state == DeviceState::Merging && s.mergeRunning;
    plan.resumes = s.state == DeviceState::Merging && !s.mergeRunning;
    for (const std::string& id : o.snapshotIds) {
        if (id == snapshotId) continue;
        auto other = engine.snapshot(id);
        MergePlanSnapshot m;
        m.id = id;
        if (other.ok()) {
            m.cowPath = other->cowPath;
            m.exceptions = other->exceptions;
            m.state = other->state;
        } else {
            m.state = DeviceState::Missing;
        }
        plan.others.push_back(std::move(m));
    }
    if (!plan.running) plan.refusals = mergeRefusals(o.path, s.cowPath, s.backend, env);
    return plan;
}

}  // namespace loopsnap
