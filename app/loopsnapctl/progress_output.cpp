#include "progress_output.h"

#include <cmath>
#include <cstdio>
#include <thread>

#include "core/util/size.h"

namespace loopsnap::cli {

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

ProgressOutput::ProgressOutput(const Context& ctx, std::function<QJsonObject(const JobProgress&)> fields,
                               std::chrono::milliseconds jsonInterval, bool bar, bool firstLineAtOnce)
    : ctx_(ctx), fields_(std::move(fields)), jsonInterval_(jsonInterval), bar_(bar),
      lastJson_(std::chrono::steady_clock::now() - (firstLineAtOnce ? jsonInterval + std::chrono::seconds(1) : std::chrono::milliseconds(0))) {}

void ProgressOutput::update(const JobProgress& progress, bool final) {
    if (ctx_.json) {
        auto now = std::chrono::steady_clock::now();
        if (!final && now - lastJson_ < jsonInterval_) return;
        lastJson_ = now;
        QJsonObject o = fields_(progress);
        o["event"] = "progress";
        o["rate_bytes_per_second"] = progress.rateBytesPerSecond;
        o["eta_seconds"] = progress.etaSeconds;
        printJsonLine(o);
    } else if (ctx_.interactive && bar_) {
        std::fprintf(stderr, "\r%s", renderProgressBar(progress.done, progress.total, progress.rateBytesPerSecond, progress.etaSeconds).c_str());
        if (final) std::fprintf(stderr, "\n");
        std::fflush(stderr);
    }
}

Result<JobInfo> followJob(Engine& engine, uint64_t jobId, ProgressOutput& output, const std::atomic<bool>& stop) {
    bool cancelled = false;
    for (;;) {
        if (stop.load() && !cancelled) {
            cancelled = true;
            LS_TRY(engine.cancelJob(jobId));
        }
        LS_ASSIGN(JobInfo info, engine.waitJob(jobId, std::chrono::milliseconds(100)));
        if (jobStateFinal(info.state)) {
            output.update(info.progress, true);
            return info;
        }
        output.update(info.progress, false);
    }
}

}  // namespace loopsnap::cli
