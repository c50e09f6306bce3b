// Attach orchestration (FUSE file + loop device) and its runtime records. See attach.h.
#include "core/engine/attach.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include "core/engine/engine.h"
#include "core/posix/atomic_file.h"
#include "core/posix/file_device.h"
#if LOOPSNAP_HAVE_LOOP && LOOPSNAP_HAVE_FUSE
#include "core/linux/fuse_export.h"
#include "core/linux/loop_device.h"
#endif

namespace loopsnap {

namespace {

bool processAlive(int64_t pid) { return pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno == EPERM); }

std::string baseName(const std::string& path) { return std::filesystem::path(path).filename().string(); }

std::string recordPath(const std::string& loopDevice) { return AttachRegistry::runtimeDir() + "/" + baseName(loopDevice) + ".attach"; }

std::string formatRecord(const AttachInfo& a) {
    std::ostringstream out;
    out << "pid=" << a.pid << "\ndevice=" << a.loopDevice << "\nid=" << a.deviceId << "\nspec=" << a.spec << "\nfile=" << a.file
        << "\nmountpoint=" << a.mountpoint << "\nsize=" << a.sizeBytes << "\nread_only=" << (a.readOnly ? 1 : 0) << "\n";
    return out.str();
}

std::optional<AttachInfo> parseRecord(const std::string& text) {
    std::map<std::string, std::string> kv;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (auto eq = line.find('='); eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
    if (!kv.count("pid") || !kv.count("device")) return std::nullopt;
    AttachInfo a;
    a.pid = std::strtoll(kv["pid"].c_str(), nullptr, 10);
    a.loopDevice = kv["device"];
    a.deviceId = kv["id"];
    a.spec = kv["spec"];
    a.file = kv["file"];
    a.mountpoint = kv["mountpoint"];
    a.sizeBytes = std::strtoull(kv["size"].c_str(), nullptr, 10);
    a.readOnly = kv["read_only"] == "1";
    return a;
}

Status checkLoopDevicePath(const std::string& loopDevice) {
    if (loopDevice.rfind("/dev/loop", 0) != 0 || loopDevice.size() <= 9)
        return makeError(ErrorCode::InvalidArgument, loopDevice + " is not a loop device (/dev/loopN)", loopDevice, "not-a-loop-device");
    return {};
}

// Busy (detail "mounted") when the block device is mounted or held exclusively.
Status refuseMounted(const std::string& loopDevice) {
    int fd = ::open(loopDevice.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC);
    if (fd >= 0) {
        ::close(fd);
        return {};
    }
    if (errno == EBUSY)
        return makeError(ErrorCode::Busy, loopDevice + " is in use (mounted?): unmount it first", loopDevice, "mounted");
    return {};
}

}  // namespace

struct AttachRegistry::Entry {
    AttachInfo info;
    ResolvedDevice device;
    std::vector<std::string> ids;
    bool ownMountpoint = false;
#if LOOPSNAP_HAVE_LOOP && LOOPSNAP_HAVE_FUSE
    std::unique_ptr<FuseExport> fuse;
#endif
};

AttachRegistry::AttachRegistry() = default;
AttachRegistry::~AttachRegistry() { detachAll(); }

std::string AttachRegistry::runtimeDir() {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("LOOPSNAP_RUNTIME_DIR"); env && *env) candidates.push_back(env);
    // /run/loopsnap first: every root process (sudo or not, any session) finds the same records;
    // other users cannot write it and use their session's runtime folder.
    candidates.push_back("/run/loopsnap");
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg) candidates.push_back(std::string(xdg) + "/loopsnap");
    candidates.push_back("/tmp/loopsnap-" + std::to_string(::getuid()));
    for (const std::string& c : candidates) {
        ::mkdir(c.c_str(), 0700);
        struct stat st{};
        if (::stat(c.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && ::access(c.c_str(), W_OK) == 0) return c;
    }
    return "/tmp";
}

#if LOOPSNAP_HAVE_LOOP && LOOPSNAP_HAVE_FUSE

Result<AttachInfo> AttachRegistry::attach(const AttachRequest& request, ResolvedDevice device, std::vector<std::string> ids) {
    auto entry = std::make_shared<Entry>();
    entry->ids = std::move(ids);
    AttachInfo& info = entry->info;
    info.deviceId = device.deviceId;
    info.spec = request.spec.empty() ? "id:" + request.deviceId : request.spec;
    info.readOnly = request.readOnly;
    info.sizeBytes = device.device->size();
    info.pid = ::getpid();
    info.ownedHere = true;
    static std::atomic<uint64_t> counter{0};
    entry->ownMountpoint = request.mountpoint.empty();
    info.mountpoint = entry->ownMountpoint ? runtimeDir() + "/fuse." + std::to_string(::getpid()) + "." + std::to_string(counter++)
                                           : request.mountpoint;
    if (entry->ownMountpoint && ::mkdir(info.mountpoint.c_str(), 0700) != 0 && errno != EEXIST)
        return makeError(ErrorCode::IOError, "cannot create " + info.mountpoint + ": " + std::strerror(errno), info.mountpoint, "mountpoint");
    auto cleanupDir = [&] {
        if (entry->ownMountpoint) ::rmdir(info.mountpoint.c_str());
    };
    FuseExportOptions fo;
    fo.readOnly = request.readOnly;
    auto fx = FuseExport::start(device.device, info.mountpoint, fo);
    if (!fx.ok()) {
        cleanupDir();
        return std::move(fx).error();
    }
    entry->fuse = std::move(fx).value();
    info.file = entry->fuse->filePath();
    auto loop = attachLoopDevice(info.file, LoopAttachOptions{request.readOnly, 0});
    if (!loop.ok()) {
        (void)entry->fuse->stop();
        cleanupDir();
        return std::move(loop).error();
    }
    info.loopDevice = *loop;
    entry->device = std::move(device);
    if (auto st = writeFileAtomically(recordPath(info.loopDevice), formatRecord(info)); !st.ok()) {
        (void)detachLoopDevice(info.loopDevice);
        (void)entry->fuse->stop();
        cleanupDir();
        return std::move(st).error();
    }
    std::lock_guard lock(mutex_);
    entries_.push_back(entry);
    return info;
}

Status AttachRegistry::detach(const std::string& loopDevice, std::chrono::milliseconds timeout) {
    LS_TRY(checkLoopDevicePath(loopDevice));
    std::shared_ptr<Entry> own;
    {
        std::lock_guard lock(mutex_);
        for (auto& e : entries_)
            if (e->info.loopDevice == loopDevice) own = e;
    }
    if (own) {
        LS_TRY(refuseMounted(loopDevice));
        // The loop device first (it holds the FUSE file open), then FUSE, which flushes.
        Status st = detachLoopDevice(loopDevice);
        if (!st.ok() && st.error().code != ErrorCode::NotFound) {
            if (st.error().code == ErrorCode::Busy && st.error().detail.empty()) {
                Error e = std::move(st).error();
                e.detail = "mounted";
                e.subject = loopDevice;
                return e;
            }
            return st;
        }
        Status flushed = own->fuse->stop();
        (void)removeFileDurably(recordPath(loopDevice));
        if (own->ownMountpoint) ::rmdir(own->info.mountpoint.c_str());
        {
            std::lock_guard lock(mutex_);
            entries_.erase(std::remove(entries_.begin(), entries_.end(), own), entries_.end());
        }
        return flushed;
    }
    LS_TRY(checkLoopSupport());
    std::optional<AttachInfo> rec;
    if (auto text = readWholeFile(recordPath(loopDevice)); text.ok()) rec = parseRecord(*text);
    if (!rec || !processAlive(rec->pid)) {
        // Not attached by an engine (or its process died): a plain loop detach.
        (void)removeFileDurably(recordPath(loopDevice));
        LS_TRY(refuseMounted(loopDevice));
        return detachLoopDevice(loopDevice);
    }
    if (rec->pid == ::getpid())
        return makeError(ErrorCode::Busy, loopDevice + " is attached by another engine of this process: detach it there", loopDevice,
                         "owner-busy");
    // Another process's attachment: refuse before disturbing it when the device is mounted.
    LS_TRY(refuseMounted(loopDevice));
    ::kill(pid_t(rec->pid), SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (processAlive(rec->pid) && fileExists(recordPath(loopDevice))) {
        if (std::chrono::steady_clock::now() > deadline)
            return makeError(ErrorCode::Busy, "attach process " + std::to_string(rec->pid) + " did not finish", loopDevice, "owner-busy");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (auto b = loopBackingFile(loopDevice); b.ok())
        return makeError(ErrorCode::Busy, loopDevice + " is still bound to " + *b, loopDevice, "still-bound");
    return {};
}

#else

Result<AttachInfo> AttachRegistry::attach(const AttachRequest& request, ResolvedDevice, std::vector<std::string>) {
    return makeError(ErrorCode::Unsupported, "attach needs Linux with loop devices and libfuse3", request.deviceId, "attach-unavailable");
}
Status AttachRegistry::detach(const std::string& loopDevice, std::chrono::milliseconds) {
    return makeError(ErrorCode::Unsupported, "detach needs Linux with loop devices", loopDevice, "attach-unavailable");
}

#endif

std::vector<AttachInfo> AttachRegistry::list() {
    std::vector<AttachInfo> out;
    {
        std::lock_guard lock(mutex_);
        for (auto& e : entries_) out.push_back(e->info);
    }
    auto listed = [&](const std::string& device) {
        return std::any_of(out.begin(), out.end(), [&](const AttachInfo& a) { return a.loopDevice == device; });
    };
    std::error_code ec;
    for (auto& f : std::filesystem::directory_iterator(runtimeDir(), ec)) {
        std::string name = f.path().filename().string();
        if (name.size() < 8 || name.compare(name.size() - 7, 7, ".attach") != 0) continue;
        auto text = readWholeFile(f.path().string());
        if (!text.ok()) continue;
        auto rec = parseRecord(*text);
        if (!rec || listed(rec->loopDevice) || !processAlive(rec->pid)) continue;  // ours are listed above; dead ones are stale
        out.push_back(*rec);
    }
    std::sort(out.begin(), out.end(), [](const AttachInfo& a, const AttachInfo& b) { return a.loopDevice < b.loopDevice; });
    return out;
}

bool AttachRegistry::uses(const std::string& id) {
    std::lock_guard lock(mutex_);
    for (auto& e : entries_)
        if (std::find(e->ids.begin(), e->ids.end(), id) != e->ids.end()) return true;
    return false;
}

void AttachRegistry::detachAll() {
    std::vector<std::shared_ptr<Entry>> all;
    {
        std::lock_guard lock(mutex_);
        all = entries_;
    }
    for (auto& e : all) {
        Status st = detach(e->info.loopDevice, std::chrono::milliseconds(0));
        if (!st.ok()) {
            // Still mounted: leave the loop device to the kernel and stop serving what we can.
#if LOOPSNAP_HAVE_LOOP && LOOPSNAP_HAVE_FUSE
            (void)e->fuse->stop();
#endif
            (void)removeFileDurably(recordPath(e->info.loopDevice));
            std::lock_guard lock(mutex_);
            entries_.erase(std::remove(entries_.begin(), entries_.end(), e), entries_.end());
        }
    }
}

// ---- the Engine's side ----

Result<AttachInfo> Engine::attach(const std::string& id, bool readOnly) {
    AttachRequest rq;
    rq.deviceId = id;
    rq.readOnly = readOnly;
    return attach(rq);
}

Result<AttachInfo> Engine::attach(const AttachRequest& request) {
    if (request.deviceId.empty() == request.spec.empty())
        return makeError(ErrorCode::InvalidArgument, "attach needs a device id or a device spec", request.spec, "attach-what");
#if LOOPSNAP_HAVE_LOOP && LOOPSNAP_HAVE_FUSE
    LS_TRY(checkLoopSupport());
    LS_TRY(FuseExport::checkSupport());
#endif
    ResolvedDevice device;
    if (!request.spec.empty()) {
        ResolveOptions ro;
        ro.readOnly = request.readOnly;
        ro.record = true;  // what a user attaches is remembered (cli-contract.md, Workspace)
        LS_ASSIGN(auto all, resolveDevices(*this, {request.spec}, ro));
        device = std::move(all.front());
    } else {
        LS_ASSIGN(device, resolveDeviceId(*this, request.deviceId, request.readOnly));
    }
    // Closing any of an origin's devices closes the origin: the attachment keeps them all.
    std::vector<std::string> ids;
    if (!device.deviceId.empty()) {
        ids.push_back(device.deviceId);
        std::string originId = device.deviceId;
        if (auto s = snapshot(device.deviceId); s.ok()) originId = s->originId;
        if (auto o = origin(originId); o.ok()) {
            ids.push_back(originId);
            ids.insert(ids.end(), o->snapshotIds.begin(), o->snapshotIds.end());
        }
    }
    return attachRegistry_->attach(request, std::move(device), std::move(ids));
}

Status Engine::detach(const std::string& loopDevice) { return detach(loopDevice, std::chrono::seconds(30)); }

Status Engine::detach(const std::string& loopDevice, std::chrono::milliseconds timeout) {
    return attachRegistry_->detach(loopDevice, timeout);
}

std::vector<AttachInfo> Engine::attachments() { return attachRegistry_->list(); }

}  // namespace loopsnap
