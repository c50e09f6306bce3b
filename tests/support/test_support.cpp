#include "support/test_support.h"

#include "core/util/endian.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace loopsnap::test {

void fillPattern(std::span<std::byte> out, uint64_t seed, uint64_t offset) {
    // splitmix64 of (seed, 8-byte word index): cheap, position-dependent, seed-dependent.
    for (size_t i = 0; i < out.size(); ++i) {
        uint64_t pos = offset + i;
        uint64_t z = (seed * 0x9E3779B97F4A7C15ull) ^ (pos / 8) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        out[i] = std::byte((z >> (8 * (pos % 8))) & 0xff);
    }
}

std::vector<std::byte> patternBytes(uint64_t seed, uint64_t offset, size_t length) {
    std::vector<std::byte> v(length);
    fillPattern(v, seed, offset);
    return v;
}

std::vector<std::byte> readAll(BlockDevice& dev) {
    std::vector<std::byte> v(dev.size());
    auto st = dev.read(0, v);
    if (!st.ok()) throw std::runtime_error(st.error().toString());
    return v;
}

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/loopsnap-test-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

void writeFile(const std::string& path, std::span<const std::byte> data) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
    if (!f) throw std::runtime_error("cannot write " + path);
}

std::vector<std::byte> readFile(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot read " + path);
    std::vector<char> raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::vector<std::byte> v(raw.size());
    if (!raw.empty()) std::memcpy(v.data(), raw.data(), raw.size());
    return v;
}

static std::string slurp(const std::string& path) {
    std::ifstream f(path);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

CommandResult runCommand(const std::string& commandLine) {
    TempDir dir;
    std::string outPath = dir.file("out"), errPath = dir.file("err");
    std::string full = commandLine + " >" + outPath + " 2>" + errPath + " </dev/null";
    int status = std::system(full.c_str());
    CommandResult r;
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(outPath);
    r.err = slurp(errPath);
    return r;
}

std::string loopsnapctl() {
    const char* p = std::getenv("LOOPSNAPCTL");
    return p ? p : "loopsnapctl";
}

std::vector<std::byte> kernelStyleStore(uint32_t chunkSectors, uint64_t chunks, const std::vector<cowfmt::Record>& records,
                                        uint32_t valid) {
    uint64_t cb = uint64_t(chunkSectors) * 512;
    std::vector<std::byte> img(chunks * cb);
    storeLe32(img.data(), cowfmt::kMagic);
    storeLe32(img.data() + 4, valid);
    storeLe32(img.data() + 8, 1);
    storeLe32(img.data() + 12, chunkSectors);
    uint64_t epa = cb / 16;
    for (size_t i = 0; i < records.size(); ++i) {
        uint64_t area = i / epa, idx = i % epa;
        std::byte* p = img.data() + cowfmt::areaLocation(area, epa) * cb + idx * 16;
        storeLe64(p, records[i].oldChunk);
        storeLe64(p + 8, records[i].newChunk);
    }
    return img;
}

bool LockHolder::start(const std::string& path, const char* name) {
    release();
    int pipefd[2];
    if (::pipe(pipefd) != 0) return false;
    pid_t pid = ::fork();
    if (pid < 0) {
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        return false;
    }
    if (pid == 0) {
        ::prctl(PR_SET_NAME, name, 0, 0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);  // never outlives the test
        int fd = ::open(path.c_str(), O_RDWR);
        struct flock fl{};
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        char ok = (fd >= 0 && ::fcntl(fd, F_SETLK, &fl) == 0) ? '1' : '0';
        (void)!::write(pipefd[1], &ok, 1);
        for (;;) ::pause();
    }
    ::close(pipefd[1]);
    char ok = '0';
    (void)!::read(pipefd[0], &ok, 1);
    ::close(pipefd[0]);
    pid_ = pid;
    if (ok != '1') {
        release();
        return false;
    }
    return true;
}

void LockHolder::release() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

}  // namespace loopsnap::test
