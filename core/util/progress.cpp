#include "core/util/progress.h"

#include <cmath>
#include <cstdio>

#include "core/util/size.h"

namespace loopsnap {

double RateMeter::sample(uint64_t bytes, std::chrono::steady_clock::time_point now) {
    if (first_) {
        first_ = false;
        lastBytes_ = bytes;
        last_ = now;
        return rate_;
    }
    double dt = std::chrono::duration<double>(now - last_).count();
    if (dt < 0.05) return rate_;
    double inst = double(bytes - lastBytes_) / dt;
    rate_ = rate_ == 0 ? inst : 0.7 * rate_ + 0.3 * inst;  // exponential smoothing
    lastBytes_ = bytes;
    last_ = now;
    return rate_;
}

std::string renderProgressBar(uint64_t done, uint64_t total, double bytesPerSecond, double etaSeconds, int width) {
    double frac = total ? double(done) / double(total) : 1.0;
    if (frac > 1) frac = 1;
    int filled = int(std::lround(frac * width));
    std::string bar = "[" + std::string(size_t(filled), '#') + std::string(size_t(width - filled), '.') + "]";
    char tail[96];
    std::string rate = formatSize(uint64_t(bytesPerSecond)) + "/s";
    if (etaSeconds >= 0) {
        long s = long(etaSeconds + 0.5);
        std::snprintf(tail, sizeof tail, " %3d%%  %s  ETA %ld:%02ld", int(frac * 100), rate.c_str(), s / 60, s % 60);
    } else {
        std::snprintf(tail, sizeof tail, " %3d%%  %s  ETA --:--", int(frac * 100), rate.c_str());
    }
    return bar + tail;
}

}  // namespace loopsnap
