#include "core/engine/workspace.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "core/posix/atomic_file.h"

namespace loopsnap {

namespace {

constexpr std::string_view kMagicLine = "loopsnap-workspace 1";

std::string escapePath(const std::string& path) {
    std::string out;
    for (char c : path) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string unescapePath(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) {
            ++i;
            out += text[i] == 'n' ? '\n' : text[i];
        } else {
            out += text[i];
        }
    }
    return out;
}

// Splits off the next space-separated word of `rest`.
std::string_view nextWord(std::string_view& rest) {
    size_t sp = rest.find(' ');
    std::string_view word = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
    return word;
}

// Holds flock(LOCK_EX) on a file in the workspace folder for its lifetime.
class FolderLock {
public:
    static Result<FolderLock> take(const std::string& dir) {
        std::string path = dir + "/workspace.lock";
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return makeError(ErrorCode::IOError, "cannot open " + path + ": " + std::strerror(errno), path, "lock-failed");
        while (::flock(fd, LOCK_EX) != 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            return makeError(ErrorCode::IOError, "cannot lock " + path + ": " + std::strerror(err), path, "lock-failed");
        }
        return FolderLock(fd);
    }
    FolderLock(FolderLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    FolderLock& operator=(FolderLock&&) = delete;
    ~FolderLock() {
        if (fd_ >= 0) ::close(fd_);  // closing releases the lock
    }

private:
    explicit FolderLock(int fd) : fd_(fd) {}
    int fd_;
};

}  // namespace

std::string WorkspaceList::allocateId(char prefix) { return std::string(1, prefix) + std::to_string(nextId++); }

const WorkspaceOrigin* WorkspaceList::originByPath(const std::string& path, BackendKind backend) const {
    for (auto& o : origins)
        if (o.path == path && o.backend == backend) return &o;
    return nullptr;
}
const WorkspaceOrigin* WorkspaceList::originById(const std::string& id) const {
    for (auto& o : origins)
        if (o.id == id) return &o;
    return nullptr;
}
const WorkspaceSnapshot* WorkspaceList::snapshotByPath(const std::string& cowPath, BackendKind backend) const {
    for (auto& s : snapshots)
        if (s.cowPath == cowPath && s.backend == backend) return &s;
    return nullptr;
}
const WorkspaceSnapshot* WorkspaceList::snapshotById(const std::string& id) const {
    for (auto& s : snapshots)
        if (s.id == id) return &s;
    return nullptr;
}
const WorkspaceClone* WorkspaceList::cloneByPath(const std::string& metaPath, BackendKind backend) const {
    for (auto& c : clones)
        if (c.metaPath == metaPath && c.backend == backend) return &c;
    return nullptr;
}
const WorkspaceClone* WorkspaceList::cloneById(const std::string& id) const {
    for (auto& c : clones)
        if (c.id == id) return &c;
    return nullptr;
}

Status WorkspaceList::remove(const std::string& id) {
    auto before = origins.size() + snapshots.size() + clones.size();
    if (originById(id)) {
        std::erase_if(snapshots, [&](const WorkspaceSnapshot& s) { return s.originId == id; });
        std::erase_if(origins, [&](const WorkspaceOrigin& o) { return o.id == id; });
    }
    std::erase_if(snapshots, [&](const WorkspaceSnapshot& s) { return s.id == id; });
    std::erase_if(clones, [&](const WorkspaceClone& c) { return c.id == id; });
    if (origins.size() + snapshots.size() + clones.size() == before)
        return makeError(ErrorCode::NotFound, "the workspace has no entry " + id, id, "no-such-entry");
    return {};
}

std::string formatWorkspace(const WorkspaceList& list) {
    std::ostringstream out;
    out << kMagicLine << "\nnext-id " << list.nextId << "\n";
    for (auto& o : list.origins) out << "origin " << o.id << ' ' << backendKindName(o.backend) << ' ' << escapePath(o.path) << "\n";
    for (auto& s : list.snapshots)
        out << "snapshot " << s.id << ' ' << s.originId << ' ' << backendKindName(s.backend) << ' ' << escapePath(s.cowPath) << "\n";
    for (auto& c : list.clones) out << "clone " << c.id << ' ' << backendKindName(c.backend) << ' ' << escapePath(c.metaPath) << "\n";
    return out.str();
}

Result<WorkspaceList> parseWorkspace(std::string_view text, const std::string& path) {
    WorkspaceList list;
    size_t lineNo = 0;
    bool sawMagic = false;
    auto bad = [&](const std::string& why) {
        return makeError(ErrorCode::Corruption, path + " line " + std::to_string(lineNo) + ": " + why, path, "bad-workspace");
    };
    while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++lineNo;
        if (line.empty() || line[0] == '#') continue;
        if (!sawMagic) {
            if (line != kMagicLine) return bad("not a loopsnap workspace (expected '" + std::string(kMagicLine) + "')");
            sawMagic = true;
            continue;
        }
        std::string_view rest = line;
        std::string_view kind = nextWord(rest);
        if (kind == "next-id") {
            try {
                list.nextId = std::stoull(std::string(rest));
            } catch (...) {
                return bad("bad next-id");
            }
            continue;
        }
        std::string id(nextWord(rest));
        if (id.empty()) return bad("entry without an id");
        std::string originId;
        if (kind == "snapshot") originId = std::string(nextWord(rest));
        auto backend = parseBackendKind(std::string(nextWord(rest)));
        if (!backend.ok()) return bad(backend.error().message);
        std::string entryPath = unescapePath(rest);
        if (entryPath.empty()) return bad("entry without a path");
        if (kind == "origin") list.origins.push_back({id, entryPath, *backend});
        else if (kind == "snapshot") list.snapshots.push_back({id, originId, entryPath, *backend});
        else if (kind == "clone") list.clones.push_back({id, entryPath, *backend});
        else return bad("unknown entry '" + std::string(kind) + "'");
    }
    if (!sawMagic && lineNo > 0) return bad("not a loopsnap workspace");
    return list;
}

std::string defaultWorkspaceDir() {
    if (const char* w = std::getenv("LOOPSNAP_WORKSPACE"); w && *w) return w;
    if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::string(x) + "/loopsnap";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/share/loopsnap";
    return {};
}

Result<std::unique_ptr<Workspace>> Workspace::open(const std::string& dir, bool persist) {
    if (!persist) return std::unique_ptr<Workspace>(new Workspace("", false));
    std::string folder = dir.empty() ? defaultWorkspaceDir() : dir;
    if (folder.empty())
        return makeError(ErrorCode::InvalidArgument, "no workspace folder: set LOOPSNAP_WORKSPACE or HOME", "", "no-workspace-folder");
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) return makeError(ErrorCode::IOError, "cannot create the workspace folder " + folder + ": " + ec.message(), folder, "mkdir-failed");
    folder = std::filesystem::absolute(folder).lexically_normal().string();
    while (folder.size() > 1 && folder.back() == '/') folder.pop_back();
    return std::unique_ptr<Workspace>(new Workspace(folder, true));
}

Result<WorkspaceList> Workspace::load() {
    if (!persist_) {
        std::lock_guard lock(mutex_);
        return memory_;
    }
    auto text = readWholeFile(filePath());
    if (!text.ok()) {
        if (text.error().code == ErrorCode::NotFound) return WorkspaceList{};
        return std::move(text).error();
    }
    return parseWorkspace(*text, filePath());
}

Result<WorkspaceList> Workspace::update(const std::function<Status(WorkspaceList&)>& change) {
    std::lock_guard lock(mutex_);
    if (!persist_) {
        WorkspaceList next = memory_;
        LS_TRY(change(next));
        memory_ = next;
        return next;
    }
    LS_ASSIGN(FolderLock folderLock, FolderLock::take(dir_));
    auto text = readWholeFile(filePath());
    WorkspaceList list;
    if (text.ok()) {
        LS_ASSIGN(list, parseWorkspace(*text, filePath()));
    } else if (text.error().code != ErrorCode::NotFound) {
        return std::move(text).error();
    }
    LS_TRY(change(list));
    LS_TRY(writeFileAtomically(filePath(), formatWorkspace(list)));
    return list;
}

}  // namespace loopsnap
