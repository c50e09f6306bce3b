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


}  // namespace loopsnap
