#include "core/util/size.h"

#include <cstdio>
#include <limits>

namespace loopsnap {

Result<uint64_t> parseSize(std::string_view text) {
    if (text.empty()) return makeError(ErrorCode::InvalidArgument, "empty size");
    uint64_t value = 0;
    size_t i = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        uint64_t digit = uint64_t(text[i] - '0');
        if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10)
            return makeError(ErrorCode::InvalidArgument, "size too large: " + std::string(text));
        value = value * 10 + digit;
    }
    if (i == 0) return makeError(ErrorCode::InvalidArgument, "not a size: " + std::string(text));
    std::string_view suffix = text.substr(i);
    unsigned shift = 0;
    if (suffix.empty()) shift = 0;
    else {
        char c = suffix[0];
        switch (c) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        case 't': case 'T': shift = 40; break;
        case 'b': case 'B': shift = 0; break;
        default: return makeError(ErrorCode::InvalidArgument, "unknown size suffix in: " + std::string(text));
        }
        std::string_view rest = suffix.substr(1);
        // Accept "K", "KB", "KiB" alike: all mean powers of 1024 here.
        bool bytesSuffix = (c == 'b' || c == 'B');
        if (!(rest.empty() || rest == "B" || rest == "b" || rest == "iB" || rest == "ib") || (bytesSuffix && !rest.empty()))
            return makeError(ErrorCode::InvalidArgument, "unknown size suffix in: " + std::string(text));
    }
    if (shift && value > (std::numeric_limits<uint64_t>::max() >> shift))
        return makeError(ErrorCode::InvalidArgument, "size too large: " + std::string(text));
    return value << shift;
}

std::string formatSize(uint64_t bytes) {
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = double(bytes);
    int u = 0;
    while (v >= 1024.0 && u < 5) { v /= 1024.0; ++u; }
    char buf[32];
    if (u == 0) std::snprintf(buf, sizeof buf, "%llu B", (unsigned long long)bytes);
    else if (v == double(uint64_t(v))) std::snprintf(buf, sizeof buf, "%llu %s", (unsigned long long)v, units[u]);
    else std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

}  // namespace loopsnap
