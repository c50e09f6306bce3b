// Parsing and printing of sizes as the CLI contract defines them: plain bytes or K/M/G/T suffixes
// (powers of 1024). Lives in core so the CLI, the wizard and the NBD URIs agree on one grammar.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/util/result.h"

namespace loopsnap {

Result<uint64_t> parseSize(std::string_view text);
std::string formatSize(uint64_t bytes);  // "16 KiB", "1.5 GiB": for humans only

constexpr bool isPowerOfTwo(uint64_t v) { return v && !(v & (v - 1)); }

constexpr uint64_t kSectorSize = 512;

}  // namespace loopsnap
