#include "kernel_test_support.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <QtTest>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "core/linux/loop_device.h"
#include "support/test_support.h"

namespace loopsnap::ktest {

namespace {

struct AlignedBuffer {
    void* p = nullptr;
    explicit AlignedBuffer(size_t n) {
        if (::posix_memalign(&p, 4096, n ? n : 4096) != 0) throw std::runtime_error("posix_memalign");
    }
    ~AlignedBuffer() { std::free(p); }
};

}  // namespace

bool requireKernel() {
    auto ok = dm::checkSupport();
    if (!ok.ok()) {
        qWarning("%s", ok.error().toString().c_str());
        return false;
    }
    for (const char* target : {"snapshot", "snapshot-origin", "snapshot-merge", "clone"})
        if (!dm::targetVersion(target).ok()) {
            qWarning("target %s is missing", target);
            return false;
        }
    return true;
}

std::vector<std::byte> readDevice(const std::string& device, uint64_t offset, uint64_t length) {
    int fd = ::open(device.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("open " + device + ": " + std::strerror(errno));
    AlignedBuffer buf(length);
    uint64_t done = 0;
    while (done < length) {
        ssize_t n = ::pread(fd, static_cast<char*>(buf.p) + done, length - done, off_t(offset + done));
        if (n <= 0) {
            ::close(fd);
            throw std::runtime_error("read " + device + ": " + std::strerror(n < 0 ? errno : EIO));
        }
        done += uint64_t(n);
    }
    ::close(fd);
    auto* b = static_cast<const std::byte*>(buf.p);
    return std::vector<std::byte>(b, b + length);
}

uint64_t deviceBytes(const std::string& device) {
    int fd = ::open(device.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("open " + device + ": " + std::strerror(errno));
    uint64_t bytes = 0;
    ::ioctl(fd, BLKGETSIZE64, &bytes);
    ::close(fd);
    return bytes;
}

std::vector<std::byte> readWholeDevice(const std::string& device) { return readDevice(device, 0, deviceBytes(device)); }

int tryWriteDevice(const std::string& device, uint64_t offset, const std::vector<std::byte>& data) {
    int fd = ::open(device.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
    if (fd < 0) return errno;
    AlignedBuffer buf(data.size());
    std::memcpy(buf.p, data.data(), data.size());
    uint64_t done = 0;
    int err = 0;
    while (done < data.size()) {
        ssize_t n = ::pwrite(fd, static_cast<char*>(buf.p) + done, data.size() - done, off_t(offset + done));
        if (n <= 0) {
            err = n < 0 ? errno : EIO;
            break;
        }
        done += uint64_t(n);
    }
    if (!err && ::fdatasync(fd) != 0) err = errno;
    ::close(fd);
    return err;
}

void writeDevice(const std::string& device, uint64_t offset, const std::vector<std::byte>& data) {
    int err = tryWriteDevice(device, offset, data);
    if (err) throw std::runtime_error("write " + device + ": " + std::strerror(err));
}

void makePatternFile(const std::string& path, uint64_t bytes, uint64_t seed) {
    test::writeFile(path, test::patternBytes(seed, 0, bytes));
}

void makeZeroFile(const std::string& path, uint64_t bytes) { test::writeFile(path, std::vector<std::byte>(bytes)); }

std::string fingerprint(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "";
    uint64_t h = 1469598103934665603ull, size = 0;
    char c;
    while (in.get(c)) {
        h = (h ^ uint8_t(c)) * 1099511628211ull;
        ++size;
    }
    return std::to_string(size) + ":" + std::to_string(h);
}

std::vector<std::string> ourDevices() {
    auto names = dm::listDevices();
    return names.ok() ? names.value() : std::vector<std::string>{};
}

std::vector<std::string> loopsOf(const std::vector<std::string>& files) {
    std::vector<std::string> loops;
    for (const auto& f : files)
        for (auto& l : loopDevicesBackedBy(f)) loops.push_back(l);
    return loops;
}

void removeAllDevices() {
    for (int pass = 0; pass < 2; ++pass)
        for (const auto& name : ourDevices()) {
            auto table = dm::deviceTable(name);
            bool leaf = table.ok() && !table->empty() && (table->front().type == "snapshot" || table->front().type == "clone");
            if (pass == 0 && !leaf) continue;
            auto st = dm::removeDevice(name);
            if (!st.ok()) qWarning("cleanup: %s", st.error().toString().c_str());
        }
}

}  // namespace loopsnap::ktest
