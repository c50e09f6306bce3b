// One progress interface for loopsnapctl's long operations (merge, hydration, crash tests): a
// progress bar with rate and ETA on a terminal, or one JSON object per line with --json
// (cli-contract.md, General). The command samples Engine::job() and hands the JobProgress here;
// it names the JSON fields of its own contract.
//
// Threads: used from the command's main thread only.
#pragma once

#include <QJsonObject>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "cli.h"

namespace loopsnap::cli {

// "[#########.........]  45%  12.0 MiB/s  ETA 0:07" for terminals.
std::string renderProgressBar(uint64_t done, uint64_t total, double bytesPerSecond, double etaSeconds, int width = 30);

class ProgressOutput {
public:
    // `fields` turns a sample into the command's JSON progress fields ("event":"progress",
    // rate_bytes_per_second and eta_seconds are added here). `jsonInterval`: the least time
    // between two JSON lines; `bar`: draw the bar on a terminal (a crash test has no byte rate);
    // `firstLineAtOnce`: the first JSON line comes with the first sample, else one interval later
    // (a crash test knows its totals only once the sweep has started).
    ProgressOutput(const Context& ctx, std::function<QJsonObject(const JobProgress&)> fields,
                   std::chrono::milliseconds jsonInterval = std::chrono::milliseconds(500), bool bar = true,
                   bool firstLineAtOnce = true);
    // JSON: at most one line per jsonInterval, and always the final one. Terminal: redraws the bar.
    void update(const JobProgress& progress, bool final);

private:
    const Context& ctx_;
    std::function<QJsonObject(const JobProgress&)> fields_;
    std::chrono::milliseconds jsonInterval_;
    bool bar_;
    std::chrono::steady_clock::time_point lastJson_;
};

// Samples the job every 100 ms into `output` until it is final; a stop request (SIGINT/SIGTERM)
// cancels it (merge and hydration stop between steps and stay resumable). Returns the final info.
Result<JobInfo> followJob(Engine& engine, uint64_t jobId, ProgressOutput& output, const std::atomic<bool>& stop);

}  // namespace loopsnap::cli
