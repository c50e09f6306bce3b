#include "core/clone/clone_files.h"

#include <sys/stat.h>

#include <filesystem>
#include <variant>

#include "core/io/nbd_source_device.h"
#include "core/posix/file_device.h"

namespace loopsnap {

namespace fs = std::filesystem;

static fs::path metaFolder(const std::string& metaPath) {
    return fs::absolute(fs::path(metaPath)).lexically_normal().parent_path();
}

std::string recordClonePath(const std::string& path, const std::string& metaPath) {
    if (NbdSourceDevice::isNbdUri(path)) return path;
    fs::path p(path);
    if (p.is_absolute()) return p.lexically_normal().string();
    fs::path rel = fs::absolute(p).lexically_normal().lexically_relative(metaFolder(metaPath));
    return rel.empty() ? path : rel.string();
}

std::string resolveClonePath(const std::string& record, const std::string& metaPath) {
    if (NbdSourceDevice::isNbdUri(record)) return record;
    fs::path p(record);
    if (p.is_absolute()) return record;
    return (metaFolder(metaPath) / p).lexically_normal().string();
}

static Result<std::shared_ptr<BlockDevice>> openSource(const std::string& spec, std::optional<uint64_t> knownSize) {
    if (NbdSourceDevice::isNbdUri(spec)) {
        if (knownSize) return std::shared_ptr<BlockDevice>(NbdSourceDevice::openLazy(spec, *knownSize));
        LS_ASSIGN(auto dev, NbdSourceDevice::open(spec));
        return std::shared_ptr<BlockDevice>(dev);
    }
    if (!fileExists(spec)) return makeError(ErrorCode::NotFound, "source " + spec + " does not exist");
    FileOpenOptions o;
    o.writable = false;
    LS_ASSIGN(auto dev, FileDevice::open(spec, o));
    return std::shared_ptr<BlockDevice>(dev);
}

namespace {

// What a path names: an existing file's device and inode (through symlinks and hard links), or,
// for a file that does not exist yet, the absolute path it would be created at (symlinks in the
// folders and a dangling final symlink resolved), so two spellings of one new file compare equal.
using FileIdentity = std::variant<std::pair<dev_t, ino_t>, std::string>;

FileIdentity fileIdentity(const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0) return std::make_pair(st.st_dev, st.st_ino);
    std::error_code ec;
    fs::path p = fs::absolute(fs::path(path), ec);
    for (int depth = 0; depth < 40 && fs::is_symlink(fs::symlink_status(p, ec)); ++depth) {
        fs::path target = fs::read_symlink(p, ec);
        if (ec) break;
        p = target.is_absolute() ? target : p.parent_path() / target;
    }
    return fs::weakly_canonical(p, ec).string();
}

// Source, destination and metadata must be three different files: a clone whose destination is
// its source would change the source with every write, and one whose metadata is its destination
// would have user data overwrite the metadata (or fail after creating the file).
Status checkCloneFilesDistinct(const CloneCreateRequest& req) {
    struct Named {
        const char* role;
        const std::string* path;
    };
    std::vector<Named> files;
    if (!NbdSourceDevice::isNbdUri(req.source)) files.push_back({"source", &req.source});
    files.push_back({"destination", &req.dest});
    files.push_back({"metadata", &req.meta});
    std::vector<FileIdentity> ids;
    for (const auto& f : files) ids.push_back(fileIdentity(*f.path));
    for (size_t i = 0; i < files.size(); ++i)
        for (size_t j = i + 1; j < files.size(); ++j)
            if (ids[i] == ids[j])
                return makeError(ErrorCode::InvalidArgument,
                                 std::string(files[i].role) + " " + *files[i].path + " and " + files[j].role + " " +
                                     *files[j].path +
                                     " are the same file; the source, destination and metadata must be three "
                                     "different files",
                                 *files[j].path, "clone-files-not-distinct");
    return {};
}

}  // namespace

Result<CloneStatus> createCloneFiles(const CloneCreateRequest& req) {
    LS_TRY(checkCloneFilesDistinct(req));
    if (fileExists(req.meta))
        return makeError(ErrorCode::InvalidArgument, "metadata file " + req.meta + " already exists; refusing to overwrite it");
    LS_ASSIGN(auto source, openSource(req.source, std::nullopt));
    CloneGeometry geometry{source->size(), req.regionSize};
    LS_TRY(validateCloneGeometry(geometry));
    CloneHeader probe;
    probe.sourceRecord = recordClonePath(req.source, req.meta);
    probe.destRecord = recordClonePath(req.dest, req.meta);
    if (probe.sourceRecord.size() > kCloneMaxPathLength || probe.destRecord.size() > kCloneMaxPathLength)
        return makeError(ErrorCode::InvalidArgument, "source or destination path is too long to record");

    std::shared_ptr<FileDevice> dest;
    if (fileExists(req.dest)) {
        LS_ASSIGN(dest, FileDevice::open(req.dest));
        if (dest->size() != source->size())
            return makeError(ErrorCode::InvalidArgument,
                             "source " + req.source + " (" + std::to_string(source->size()) + " bytes) and destination " +
                                 req.dest + " (" + std::to_string(dest->size()) + " bytes) differ in size");
    } else {
        FileOpenOptions o;
        o.create = true;
        o.createSize = source->size();
        LS_ASSIGN(dest, FileDevice::open(req.dest, o));
    }
    FileOpenOptions mo;
    mo.create = true;
    mo.createSize = CloneMetadata::requiredSize(geometry);
    LS_ASSIGN(auto meta, FileDevice::open(req.meta, mo));
    CloneOptions options;
    options.commitInterval = std::chrono::milliseconds(0);
    options.name = req.meta;
    LS_ASSIGN(auto clone, Clone::create(source, dest, meta, req.regionSize, options, probe.sourceRecord, probe.destRecord));
    CloneStatus st = clone->status();
    LS_TRY(clone->close());
    return st;
}

Result<std::shared_ptr<Clone>> openCloneFiles(const std::string& metaPath, CloneOptions options) {
    if (!fileExists(metaPath)) return makeError(ErrorCode::NotFound, "metadata file " + metaPath + " does not exist");
    LS_ASSIGN(auto meta, FileDevice::open(metaPath));
    LS_ASSIGN(CloneHeader header, CloneMetadata::readHeader(*meta));
    std::string destPath = resolveClonePath(header.destRecord, metaPath);
    std::string sourceSpec = resolveClonePath(header.sourceRecord, metaPath);
    if (!fileExists(destPath))
        return makeError(ErrorCode::NotFound, "destination " + destPath + " recorded in " + metaPath + " does not exist");
    LS_ASSIGN(auto dest, FileDevice::open(destPath));
    LS_ASSIGN(auto source, openSource(sourceSpec, header.geometry.deviceSize));
    if (options.name == "clone") options.name = metaPath;
    return Clone::open(source, dest, meta, std::move(options));
}

}  // namespace loopsnap
