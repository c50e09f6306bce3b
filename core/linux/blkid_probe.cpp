// libblkid probing and /proc/self/mountinfo lookup (see blkid_probe.h).
#include "core/linux/blkid_probe.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#if LOOPSNAP_HAVE_BLKID
#include <blkid/blkid.h>
#endif

namespace loopsnap {
namespace fs = std::filesystem;

namespace {

std::string readSysfsLine(const fs::path& p) {
    std::ifstream in(p);
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\n')) line.pop_back();
    return line;
}

// "maj:min" of a block device path, or of the loop device an image file is bound to.
struct DeviceNumber { std::string majMin; std::string via; };

std::vector<DeviceNumber> deviceNumbersFor(const std::string& path) {
    std::vector<DeviceNumber> out;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return out;
    if (S_ISBLK(st.st_mode)) {
        out.push_back({std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev)), ""});
        return out;
    }
    std::error_code ec;
    const fs::path canonical = fs::canonical(path, ec);
    if (ec) return out;
    for (const auto& entry : fs::directory_iterator("/sys/block", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("loop", 0) != 0) continue;
        const std::string backing = readSysfsLine(entry.path() / "loop" / "backing_file");
        if (backing.empty() || fs::path(backing) != canonical) continue;
        out.push_back({readSysfsLine(entry.path() / "dev"), "/dev/" + name});
    }
    return out;
}

}  // namespace

std::optional<MountState> findMount(const std::string& path) {
    const auto numbers = deviceNumbersFor(path);
    if (numbers.empty()) return std::nullopt;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    std::optional<MountState> found;
    // mountinfo: id parent maj:min root mountpoint options ... - fstype source superoptions
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string id, parent, majMin, root, mountPoint, options;
        fields >> id >> parent >> majMin >> root >> mountPoint >> options;
        for (const auto& n : numbers) {
            if (n.majMin != majMin) continue;
            const bool rw = options.rfind("rw", 0) == 0;
            if (!found || (rw && !found->readWrite)) found = MountState{mountPoint, rw, n.via};
        }
    }
    return found;
}

#if LOOPSNAP_HAVE_BLKID

Result<BlockProbe> probeBlockContents(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        const int err = errno;
        if (err == ENOENT || err == ENOTDIR)
            return makeError(ErrorCode::NotFound, "no such file or device: " + path, path, "missing");
        return makeError(ErrorCode::IOError, path + ": " + std::strerror(err), path, "unreadable");
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return makeError(ErrorCode::IOError, "cannot open " + path + " for reading: " + std::strerror(errno), path, "unreadable");
    BlockProbe result;
    result.known = true;
    result.blockDevice = S_ISBLK(st.st_mode);
    blkid_probe pr = blkid_new_probe();
    if (!pr || blkid_probe_set_device(pr, fd, 0, 0) != 0) {
        if (pr) blkid_free_probe(pr);
        ::close(fd);
        return makeError(ErrorCode::IOError, "libblkid cannot probe " + path, path, "unreadable");
    }
    result.sizeBytes = uint64_t(blkid_probe_get_size(pr));
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_USAGE);
    blkid_probe_enable_partitions(pr, 1);
    const int rc = blkid_do_safeprobe(pr);
    auto value = [&](const char* name) {
        const char* data = nullptr;
        size_t len = 0;
        if (blkid_probe_lookup_value(pr, name, &data, &len) != 0 || !data) return std::string();
        return std::string(data, strnlen(data, len));
    };
    if (rc == 0) {
        result.found = true;
        result.type = value("TYPE");
        result.usage = value("USAGE");
        result.label = value("LABEL");
        result.uuid = value("UUID");
        result.partitionTable = value("PTTYPE");
        if (result.type.empty() && !result.partitionTable.empty()) result.usage = "partition-table";
    } else if (rc == -2) {
        result.found = true;
        result.type = "ambiguous";
    } else if (rc < 0) {
        blkid_free_probe(pr);
        ::close(fd);
        return makeError(ErrorCode::IOError, "libblkid failed to read " + path, path, "unreadable");
    }
    blkid_free_probe(pr);
    ::close(fd);
    result.mount = findMount(path);
    return result;
}

#else

Result<BlockProbe> probeBlockContents(const std::string& path) {
    std::error_code ec;
    if (!fs::exists(path, ec))
        return makeError(ErrorCode::NotFound, "no such file or device: " + path, path, "missing");
    BlockProbe result;  // known == false: no libblkid here
    result.sizeBytes = fs::is_regular_file(path, ec) ? uint64_t(fs::file_size(path, ec)) : 0;
    return result;
}

#endif

std::vector<BlockDeviceEntry> listBlockDevices() {
    std::vector<BlockDeviceEntry> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/sys/class/block", ec)) {
        const fs::path sys = entry.path();
        const std::string name = sys.filename().string();
        const uint64_t sectors = std::strtoull(readSysfsLine(sys / "size").c_str(), nullptr, 10);
        if (sectors == 0) continue;  // unbound loop devices, empty drives
        BlockDeviceEntry e;
        e.path = "/dev/" + name;
        e.sizeBytes = sectors * 512;
        e.readOnly = readSysfsLine(sys / "ro") == "1";
        e.model = readSysfsLine(sys / "device" / "model");
        out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    return out;
}

}  // namespace loopsnap
