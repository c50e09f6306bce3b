// Shared rig of the clone tests: a clone over memory devices with a byte-level model of what the
// clone must read back (source bytes, overwritten by user writes; discarded bytes unknown).
#pragma once

#include <QtTest>

#include <memory>
#include <random>
#include <vector>

#include "core/clone/clone.h"
#include "core/io/memory_device.h"
#include "support/test_support.h"

namespace loopsnap::test {

inline CloneOptions quietCloneOptions() {
    CloneOptions o;
    o.commitInterval = std::chrono::milliseconds(0);  // commits only where the test asks
    return o;
}

struct CloneModel {
    std::vector<std::byte> bytes;
    std::vector<bool> known;  // false: discarded, contents unspecified

    explicit CloneModel(std::vector<std::byte> source) : bytes(std::move(source)), known(bytes.size(), true) {}
    void write(uint64_t off, std::span<const std::byte> data) {
        std::copy(data.begin(), data.end(), bytes.begin() + off);
        std::fill(known.begin() + off, known.begin() + off + data.size(), true);
    }
    void discardRegions(uint64_t first, uint64_t last, uint64_t rs) {
        uint64_t b = first * rs, e = std::min<uint64_t>(last * rs, bytes.size());
        if (b < e) std::fill(known.begin() + b, known.begin() + e, false);
    }
    // First offset where `actual` (read at `off`) differs from a known model byte, or -1.
    int64_t firstMismatch(uint64_t off, std::span<const std::byte> actual) const {
        for (size_t i = 0; i < actual.size(); ++i)
            if (known[off + i] && actual[i] != bytes[off + i]) return int64_t(off + i);
        return -1;
    }
};

}  // namespace loopsnap::test
