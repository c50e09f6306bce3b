// engine_bench: the engine-only figures of bench/run.sh, each printed as one line
//   FIGURE OURS PEER UNIT
// so the driver can tabulate them beside the other figures.
//
//   engine_bench memory [N]          bytes per exception of the snapshot's exception table at N
//                                    exceptions inserted in random order; peer: the kernel's
//                                    struct dm_exception (32 bytes, a lower bound: its hash
//                                    buckets come on top)
//   engine_bench activation DIR [N]  seconds to open a persistent store of N exceptions (the
//                                    engine's attach: validate, load every record); peer: one
//                                    sequential pass of pread over the same metadata chunks.
//                                    Both run with the store's pages dropped from the page
//                                    cache first (posix_fadvise DONTNEED after fdatasync).
//   engine_bench hydration-read DIR [MIB]
//                                    p99 latency (ms) of random 4 KiB foreground reads of a clone
//                                    (64 KiB regions, threshold 64, batch 16) while background
//                                    hydration runs; peer: the same reads with hydration paused.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <algorithm>

#include "core/clone/clone.h"
#include "core/posix/file_device.h"
#include "core/snapshot/cow_format.h"
#include "core/snapshot/exception_table.h"
#include "core/snapshot/snapshot.h"
#include "core/util/endian.h"

using namespace loopsnap;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

int memoryFigure(uint64_t n) {
    ExceptionTable table = ExceptionTable::forStore(n * 2);
    std::mt19937_64 rng(1);
    for (uint64_t i = 0; i < n; ++i) table.insert(rng() % (n * 64), i + 1);
    std::printf("memory-per-exception %.2f 32 bytes\n", double(table.memoryBytes()) / double(table.size()));
    return 0;
}

void dropCache(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) return;
    (void)::fdatasync(fd);
    (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
}

constexpr uint64_t kOriginChunks = uint64_t(1) << 24;  // a 64 GiB origin (a sparse file)

// A kernel-format store of n exceptions with 4 KiB chunks: header, then the areas with their
// records (data chunks are left as holes: activation reads only metadata).
Result<uint64_t> writeStore(const std::string& path, uint64_t n, uint64_t* metadataChunks) {
    const uint64_t cb = 4096, epa = cowfmt::exceptionsPerArea(cb);
    const uint64_t areas = (n + epa - 1) / epa;
    const uint64_t chunks = 1 + areas * (epa + 1) + 1;
    LS_ASSIGN(auto dev, FileDevice::open(path, FileOpenOptions{.writable = true, .lock = false, .create = true, .createSize = chunks * cb}));
    std::vector<std::byte> chunk(cb);
    cowfmt::encodeHeader(cowfmt::Header{cowfmt::kMagic, 1, cowfmt::kDiskVersion, uint32_t(cb / 512)}, chunk);
    LS_TRY(dev->write(0, chunk));
    std::mt19937_64 rng(2);
    uint64_t written = 0;
    for (uint64_t a = 0; a < areas; ++a) {
        std::fill(chunk.begin(), chunk.end(), std::byte{0});
        for (uint64_t i = 0; i < epa && written < n; ++i, ++written) {
            uint64_t newChunk = cowfmt::areaLocation(a, epa) + 1 + i;
            cowfmt::writeRecord(chunk, i, cowfmt::Record{rng() % kOriginChunks, newChunk});
        }
        LS_TRY(dev->write(cowfmt::areaLocation(a, epa) * cb, chunk));
    }
    // The area after the last full one must be zero (the load stops there): it is a hole.
    LS_TRY(dev->flush());
    *metadataChunks = areas;
    return chunks * cb;
}

int activationFigure(const std::string& dir, uint64_t n) {
    const std::string path = dir + "/activation.cow";
    ::unlink(path.c_str());
    uint64_t areas = 0;
    auto size = writeStore(path, n, &areas);
    if (!size.ok()) {
        std::fprintf(stderr, "engine_bench: %s\n", size.error().toString().c_str());
        return 1;
    }
    // Peer: one sequential pass over the metadata chunks.
    dropCache(path);
    auto t0 = Clock::now();
    {
        int fd = ::open(path.c_str(), O_RDONLY);
        std::vector<char> buf(4096);
        const uint64_t epa = 256;
        for (uint64_t a = 0; a < areas; ++a)
            if (::pread(fd, buf.data(), buf.size(), off_t(cowfmt::areaLocation(a, epa) * 4096)) != 4096) return 1;
        ::close(fd);
    }
    double peer = seconds(t0, Clock::now());
    // Ours: attach the store to an origin (validation + load of every record into the table).
    dropCache(path);
    const std::string originPath = dir + "/activation-origin.img";
    ::unlink(originPath.c_str());
    auto originDev = FileDevice::open(originPath, FileOpenOptions{.writable = true, .lock = false, .create = true, .createSize = kOriginChunks * 4096});
    if (!originDev.ok()) return 1;
    auto origin = Origin::create(originDev.value());
    auto cow = FileDevice::open(path, FileOpenOptions{.writable = true, .lock = false});
    if (!cow.ok()) return 1;
    t0 = Clock::now();
    SnapshotOptions so;
    so.chunkBytes = 4096;
    auto snap = origin->attachSnapshot(cow.value(), so);
    double ours = seconds(t0, Clock::now());
    if (!snap.ok()) {
        std::fprintf(stderr, "engine_bench: %s\n", snap.error().toString().c_str());
        return 1;
    }
    if (snap.value()->status().exceptions == 0) return 1;
    std::printf("activation-1m %.4f %.4f seconds\n", ours, peer);
    snap = makeError(ErrorCode::Aborted, "done");
    origin.reset();
    ::unlink(path.c_str());
    ::unlink(originPath.c_str());
    return 0;
}

double p99(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(double(v.size()) * 0.99))];
}

int hydrationReadFigure(const std::string& dir, uint64_t mib) {
    const uint64_t size = mib << 20, region = 64 << 10;
    const std::string src = dir + "/hr-source.img", dst = dir + "/hr-dest.img", meta = dir + "/hr.meta";
    for (auto& p : {src, dst, meta}) ::unlink(p.c_str());
    auto source = FileDevice::open(src, FileOpenOptions{.writable = true, .lock = false, .create = true, .createSize = size});
    auto dest = FileDevice::open(dst, FileOpenOptions{.writable = true, .lock = false, .create = true, .createSize = size});
    auto md = FileDevice::open(meta, FileOpenOptions{.writable = true, .lock = false, .create = true, .createSize = 8 << 20});
    if (!source.ok() || !dest.ok() || !md.ok()) return 1;
    {
        std::vector<std::byte> buf(1 << 20);
        std::mt19937_64 fill(3);
        for (auto& b : buf) b = std::byte(fill());
        for (uint64_t off = 0; off < size; off += buf.size())
            if (!source.value()->write(off, buf).ok()) return 1;
        (void)source.value()->flush();
    }
    CloneOptions co;
    co.hydrationThreshold = 64;
    co.hydrationBatchSize = 16;
    auto clone = Clone::create(source.value(), dest.value(), md.value(), region, co);
    if (!clone.ok()) {
        std::fprintf(stderr, "engine_bench: %s\n", clone.error().toString().c_str());
        return 1;
    }
    auto& c = *clone.value();
    std::mt19937_64 rng(4);
    std::vector<std::byte> buf(4096);
    auto sample = [&](size_t n, bool untilHydrated) {
        std::vector<double> lat;
        for (size_t i = 0; i < n || (untilHydrated && !c.fullyHydrated() && i < 50 * n); ++i) {
            uint64_t off = (rng() % (size / 4096)) * 4096;
            auto t0 = Clock::now();
            if (!c.read(off, buf).ok()) return std::vector<double>{};
            lat.push_back(seconds(t0, Clock::now()) * 1000);
            if (untilHydrated && c.fullyHydrated()) break;
        }
        return lat;
    };
    auto paused = sample(4000, false);
    c.enableHydration();
    auto during = sample(4000, true);
    const uint64_t hydratedWhileSampled = c.hydratedRegions();
    c.disableHydration();
    if (paused.empty() || during.empty()) return 1;
    std::printf("hydration-read-p99 %.4f %.4f ms\n", p99(during), p99(paused));
    std::fprintf(stderr, "engine_bench: %zu reads during hydration (%llu of %llu regions hydrated by then)\n", during.size(),
                 (unsigned long long)hydratedWhileSampled, (unsigned long long)c.regionCount());
    (void)c.close();
    for (auto& p : {src, dst, meta}) ::unlink(p.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: engine_bench memory [N] | activation DIR [N] | hydration-read DIR [MIB]\n");
        return 2;
    }
    std::string what = argv[1];
    if (what == "memory") return memoryFigure(argc > 2 ? std::stoull(argv[2]) : 1000000);
    if (what == "hydration-read" && argc > 2) return hydrationReadFigure(argv[2], argc > 3 ? std::stoull(argv[3]) : 256);
    if (what == "activation" && argc > 2) return activationFigure(argv[2], argc > 3 ? std::stoull(argv[3]) : 1000000);
    std::fprintf(stderr, "engine_bench: unknown figure %s\n", what.c_str());
    return 2;
}
