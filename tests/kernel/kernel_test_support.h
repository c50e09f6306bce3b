// Helpers for the tests that run against the real kernel targets (inside scripts/test-kernel.sh's
// VM): device I/O with O_DIRECT (so what a test reads is what the device holds, not a page cache
// of another block device), file fingerprints for "nothing changed" checks, and a cleanup that
// removes every loopsnap-* dm device a test left behind.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/linux/kernel_devices.h"

namespace loopsnap::ktest {

constexpr const char* kWorkspace = "kt";

// Whether device-mapper and the snapshot, snapshot-origin, snapshot-merge and clone targets are
// there (as root). LS_REQUIRE_KERNEL fails the test inside the VM (LOOPSNAP_KERNEL_VM set) and
// skips it elsewhere, so a stray host run says why.
bool requireKernel();
#define LS_REQUIRE_KERNEL()                                                                    \
    do {                                                                                       \
        if (!loopsnap::ktest::requireKernel()) {                                               \
            if (std::getenv("LOOPSNAP_KERNEL_VM")) QFAIL("device-mapper is missing in the VM"); \
            QSKIP("needs root and device-mapper: run scripts/test-kernel.sh");                 \
        }                                                                                      \
    } while (0)

// O_DIRECT I/O on a block device; lengths and offsets are multiples of 4096. Writes are
// followed by fdatasync (a real flush down the stack).
std::vector<std::byte> readDevice(const std::string& device, uint64_t offset, uint64_t length);
std::vector<std::byte> readWholeDevice(const std::string& device);
void writeDevice(const std::string& device, uint64_t offset, const std::vector<std::byte>& data);
// Like writeDevice, returning errno (0 on success) instead of failing.
int tryWriteDevice(const std::string& device, uint64_t offset, const std::vector<std::byte>& data);
uint64_t deviceBytes(const std::string& device);

// A file of `bytes` filled with patternBytes(seed, ...).
void makePatternFile(const std::string& path, uint64_t bytes, uint64_t seed);
void makeZeroFile(const std::string& path, uint64_t bytes);
// A cheap fingerprint of a file's bytes (size + FNV-1a); "" when missing.
std::string fingerprint(const std::string& path);

// Every loopsnap-* device now, and the loop devices bound to `files`.
std::vector<std::string> ourDevices();
std::vector<std::string> loopsOf(const std::vector<std::string>& files);

// Removes every loopsnap-* device: snapshots and clones first, then origins.
void removeAllDevices();

}  // namespace loopsnap::ktest
