#include "helper/request_validation.h"

#include <limits.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/linux/blkid_probe.h"

namespace loopsnap::helper {

namespace {

Error bad(ErrorCode code, std::string message, const std::string& subject, std::string detail) {
    return makeError(code, std::move(message), subject, std::move(detail));
}

bool isPowerOfTwo(uint64_t v) { return v && !(v & (v - 1)); }

// Lexical checks: absolute, no control characters, every component a plain name.
Status checkSyntax(const std::string& path) {
    if (path.empty()) return bad(ErrorCode::InvalidArgument, "a path is required", path, "bad-path");
    if (path.size() >= PATH_MAX) return bad(ErrorCode::InvalidArgument, "the path is too long", path.substr(0, 64), "bad-path");
    for (unsigned char c : path)
        if (c < 0x20 || c == 0x7f)
            return bad(ErrorCode::InvalidArgument, "the path contains a control character", path, "bad-path");
    if (path.front() != '/')
        return bad(ErrorCode::InvalidArgument, "the path must be absolute: " + path, path, "relative-path");
    size_t start = 1;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        const std::string part = path.substr(start, end - start);
        if (part == "..")
            return bad(ErrorCode::InvalidArgument, "the path must not contain '..': " + path, path, "path-traversal");
        if (part == "." || (part.empty() && end != path.size()) || (part.empty() && path.size() > 1))
            return bad(ErrorCode::InvalidArgument, "the path must be normalised (no '.', '//' or trailing '/'): " + path, path,
                       "bad-path");
        start = end + 1;
    }
    return {};
}

Result<std::string> resolved(const std::string& path) {
    char buf[PATH_MAX];
    if (!::realpath(path.c_str(), buf)) {
        const int err = errno;
        if (err == ENOENT || err == ENOTDIR) return bad(ErrorCode::NotFound, "no such file or device: " + path, path, "missing");
        return bad(ErrorCode::InvalidArgument, path + ": " + std::strerror(err), path, "bad-path");
    }
    return std::string(buf);
}

Status checkNotMounted(const std::string& path, const std::string& shown) {
    if (auto m = findMount(path)) {
        std::string how = m->via.empty() ? "" : " through " + m->via;
        return bad(ErrorCode::Busy, shown + " is mounted on " + m->mountPoint + how + "; refusing to write to it", shown, "mounted");
    }
    return {};
}

// An existing store or metadata file that holds something libblkid recognises is not ours.
Status checkNoForeignContents(const std::string& path, const std::string& shown) {
    auto probe = probeBlockContents(path);
    if (!probe.ok()) return std::move(probe).error();
    if (probe->found) {
        std::string what = !probe->type.empty() ? probe->type : probe->partitionTable.empty() ? "data" : probe->partitionTable + " partition table";
        return bad(ErrorCode::Busy, shown + " holds " + what + "; refusing to format over it", shown, "holds-data");
    }
    return {};
}

}  // namespace

Result<std::string> validatePath(const std::string& path, PathUse use) {
    LS_TRY(checkSyntax(path));
    struct stat st{};
    const bool exists = ::lstat(path.c_str(), &st) == 0;
    if (!exists) {
        if (errno != ENOENT) return bad(ErrorCode::InvalidArgument, path + ": " + std::strerror(errno), path, "bad-path");
        if (use != PathUse::Create && use != PathUse::Overwrite && use != PathUse::CreateNew)
            return bad(ErrorCode::NotFound, "no such file or device: " + path, path, "missing");
        const size_t slash = path.rfind('/');
        const std::string parent = slash == 0 ? "/" : path.substr(0, slash);
        LS_ASSIGN(std::string dir, resolved(parent));
        struct stat ds{};
        if (::stat(dir.c_str(), &ds) != 0 || !S_ISDIR(ds.st_mode))
            return bad(ErrorCode::NotFound, "the folder " + parent + " does not exist", path, "missing");
        return (dir == "/" ? std::string() : dir) + path.substr(slash);
    }
    if (use == PathUse::CreateNew) return bad(ErrorCode::InvalidArgument, path + " exists already", path, "exists");
    LS_ASSIGN(std::string real, resolved(path));
    if (::stat(real.c_str(), &st) != 0) return bad(ErrorCode::NotFound, "no such file or device: " + path, path, "missing");
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        return bad(ErrorCode::InvalidArgument, path + " is neither a regular file nor a block device", path, "not-a-file-or-device");
    if (use == PathUse::WriteExisting || use == PathUse::Create || use == PathUse::Overwrite) LS_TRY(checkNotMounted(real, path));
    if (use == PathUse::Create) LS_TRY(checkNoForeignContents(real, path));
    return real;
}

Status validateSnapshotRequest(uint64_t cowSize, uint32_t chunkBytes, const std::string& store) {
    if (store != "P" && store != "PO" && store != "N")
        return bad(ErrorCode::InvalidArgument, "the store type must be P, PO or N, not '" + store + "'", "store", "bad-argument");
    if (!isPowerOfTwo(chunkBytes) || chunkBytes < 4096 || chunkBytes > 512 * 1024)
        return bad(ErrorCode::InvalidArgument, "the chunk size must be a power of two from 4 KiB to 512 KiB", "chunkBytes", "bad-argument");
    // 0 = the store's size as it is (an existing file or device); else a whole number of chunks.
    if (cowSize % chunkBytes != 0)
        return bad(ErrorCode::InvalidArgument, "the store size must be a whole number of chunks", "cowSize", "bad-argument");
    if (cowSize > (uint64_t(1) << 50))
        return bad(ErrorCode::InvalidArgument, "the store size is larger than 1 PiB", "cowSize", "bad-argument");
    return {};
}

Status validateCloneRequest(uint64_t regionBytes) {
    // dm-clone: a power of two from 8 sectors to 2^21 sectors.
    if (!isPowerOfTwo(regionBytes) || regionBytes < 4096 || regionBytes > (uint64_t(1) << 30))
        return bad(ErrorCode::InvalidArgument, "the region size must be a power of two from 4 KiB to 1 GiB", "regionBytes", "bad-argument");
    return {};
}

Status validateCloneMessage(const std::string& name, uint32_t value) {
    if (name == "enable_hydration" || name == "disable_hydration") {
        if (value != 0) return bad(ErrorCode::InvalidArgument, name + " takes no value (send 0)", "value", "bad-argument");
        return {};
    }
    if (name == "hydration_threshold" || name == "hydration_batch_size") {
        if (value < 1 || value > (1u << 20))
            return bad(ErrorCode::InvalidArgument, name + " must be from 1 to 1048576", "value", "bad-argument");
        return {};
    }
    return bad(ErrorCode::InvalidArgument,
               "unknown clone message '" + name + "' (enable_hydration, disable_hydration, hydration_threshold, hydration_batch_size)",
               "name", "bad-argument");
}

Status refuseMounted(const std::string& path) { return checkNotMounted(path, path); }

}  // namespace loopsnap::helper
