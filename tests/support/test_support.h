// Helpers shared by the tests: deterministic data, temporary directories, byte comparisons.
#pragma once

#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/io/block_device.h"
#include "core/snapshot/cow_format.h"

namespace loopsnap::test {

// Bytes derived from (seed, offset): any chunk of "version seed" is recognisable on its own.
std::vector<std::byte> patternBytes(uint64_t seed, uint64_t offset, size_t length);
void fillPattern(std::span<std::byte> out, uint64_t seed, uint64_t offset);

std::vector<std::byte> readAll(BlockDevice& dev);

// A snapshot store laid out by hand exactly as the kernel writes it: header (valid as given),
// then `records` in areas of chunkSize/16 records, each area at the kernel's location.
std::vector<std::byte> kernelStyleStore(uint32_t chunkSectors, uint64_t chunks, const std::vector<cowfmt::Record>& records,
                                        uint32_t valid = 1);

// A fresh directory under $TMPDIR, removed by the destructor.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

void writeFile(const std::string& path, std::span<const std::byte> data);
std::vector<std::byte> readFile(const std::string& path);

// Runs a command line through /bin/sh; returns exit status, captures stdout/stderr.
struct CommandResult {
    int exitCode = -1;
    std::string out, err;
};
CommandResult runCommand(const std::string& commandLine);
std::string loopsnapctl();  // path of the CLI under test ($LOOPSNAPCTL)

// Another process holding the POSIX write lock of a file, as a program that has a store open
// read-write does: a forked child named `name` (what /proc/<pid>/comm and the engine's "in use
// by" message show) that takes the lock and waits. start() returns once the lock is held (false
// if it could not be taken); release() (or the destructor) kills the child and reaps it.
class LockHolder {
public:
    LockHolder() = default;
    ~LockHolder() { release(); }
    LockHolder(const LockHolder&) = delete;
    LockHolder& operator=(const LockHolder&) = delete;
    bool start(const std::string& path, const char* name = "lockholder");
    void release();
    int pid() const { return pid_; }

private:
    int pid_ = -1;
};

}  // namespace loopsnap::test

#define LS_QVERIFY_OK(expr)                                                                 \
    do {                                                                                    \
        auto&& ls_r_ = (expr);                                                              \
        if (!ls_r_.ok()) QFAIL(qPrintable(QString::fromStdString(ls_r_.error().toString()))); \
    } while (0)
