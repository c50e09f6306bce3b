// Origin write-behind (Origin::writeBehind, the NBD server's path for writes without FUA) and
// coalesced copies: a write is visible to reads as soon as writeBehind returns, the snapshot
// keeps the old data, flush() makes every earlier write durable (a crash after the flush keeps
// all of them and a loadable store whose records point at the old data), a failed deferred write
// is reported by the next flush, attach and merge never race a queued write, and consecutive
// chunks are copied as one run.
#include <QtTest>

#include <random>
#include <thread>

#include "core/concurrency/executor.h"
#include "core/io/fault_device.h"
#include "core/io/memory_device.h"
#include "core/io/volatile_cache_device.h"
#include "core/snapshot/snapshot.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;

namespace {
constexpr uint64_t K4 = 4096;
constexpr uint64_t kChunks = 256;

Status writeBehindCopy(Origin& o, uint64_t off, std::vector<std::byte> data) {
    auto keep = std::make_shared<std::vector<std::byte>>(std::move(data));
    return o.writeBehind(off, *keep, keep);
}
}  // namespace

class TestWriteBehind : public QObject {
    Q_OBJECT
private slots:
    void visibleAtOnceSnapshotKeepsOldData_data();
    void visibleAtOnceSnapshotKeepsOldData();
    void flushThenCrashKeepsEveryWrite_data();
    void flushThenCrashKeepsEveryWrite();
    void failedDeferredWriteIsReportedByFlush();
    void attachAfterQueuedWritesSeesThem();
    void consecutiveChunksAreOneCopyRun();
};

void TestWriteBehind::visibleAtOnceSnapshotKeepsOldData_data() {
    QTest::addColumn<int>("threads");
    QTest::addColumn<int>("writeSectors");  // 8 = one 4 KiB chunk
    QTest::newRow("1 thread, 4 KiB") << 1 << 8;
    QTest::newRow("8 threads, 4 KiB") << 8 << 8;
    QTest::newRow("8 threads, 512 B") << 8 << 1;
    QTest::newRow("4 threads, 3 chunks") << 4 << 24;
}

void TestWriteBehind::visibleAtOnceSnapshotKeepsOldData() {
    QFETCH(int, threads);
    QFETCH(int, writeSectors);
    const auto initial = patternBytes(1, 0, kChunks * K4);
    auto originDev = std::make_shared<MemoryDevice>(initial, "origin");
    auto origin = Origin::create(originDev, OriginOptions{std::make_shared<ThreadPool>(4)});
    auto snap = origin->attachSnapshot(std::make_shared<MemoryDevice>((kChunks + 16) * K4 * 2), SnapshotOptions{.chunkBytes = K4}).value();
    std::vector<std::thread> writers;
    std::atomic<int> bad{0};
    const uint64_t len = uint64_t(writeSectors) * 512;
    for (int t = 0; t < threads; ++t) {
        writers.emplace_back([&, t] {
            // Thread t writes chunk groups t, t + threads, ... (no two threads overlap).
            const uint64_t span = (len + K4 - 1) / K4;
            for (uint64_t c = uint64_t(t) * span; c * K4 + len <= kChunks * K4; c += uint64_t(threads) * span) {
                auto data = patternBytes(100 + c, 0, len);
                if (!writeBehindCopy(*origin, c * K4, data).ok()) ++bad;
                std::vector<std::byte> back(len);
                // Visible to a read issued after the return, though maybe not on the origin yet.
                if (!origin->read(c * K4, back).ok() || back != data) ++bad;
            }
        });
    }
    for (auto& w : writers) w.join();
    QCOMPARE(bad.load(), 0);
    QVERIFY(origin->flush().ok());
    // The snapshot still reads the data of the moment it was taken.
    std::vector<std::byte> view(kChunks * K4);
    QVERIFY(snap->read(0, view).ok());
    QVERIFY(view == initial);
    QVERIFY(snap->counters().committed.load() == snap->counters().allocated.load());
    // Group commit: never more area writes than committed exceptions.
    QVERIFY(snap->counters().areaWrites.load() <= snap->counters().committed.load());
}

void TestWriteBehind::flushThenCrashKeepsEveryWrite_data() {
    QTest::addColumn<int>("seed");
    QTest::newRow("seed 1") << 1;
    QTest::newRow("seed 2") << 2;
    QTest::newRow("seed 3") << 3;
}

void TestWriteBehind::flushThenCrashKeepsEveryWrite() {
    QFETCH(int, seed);
    const auto initial = patternBytes(7, 0, kChunks * K4);
    auto originStable = std::make_shared<MemoryDevice>(initial, "origin");
    auto cowStable = std::make_shared<MemoryDevice>((kChunks + 16) * K4 * 2, "cow");
    {
        auto o = Origin::create(originStable);
        QVERIFY(o->attachSnapshot(cowStable, SnapshotOptions{.chunkBytes = K4}).ok());
    }
    auto originCache = std::make_shared<VolatileCacheDevice>(originStable);
    auto cowCache = std::make_shared<VolatileCacheDevice>(cowStable);
    std::vector<std::byte> expected = initial;
    {
        auto origin = Origin::create(originCache, OriginOptions{std::make_shared<ThreadPool>(4)});
        auto snap = origin->attachSnapshot(cowCache, SnapshotOptions{.chunkBytes = K4}).value();
        std::mt19937_64 rng{uint64_t(seed)};
        for (int i = 0; i < 200; ++i) {
            uint64_t c = rng() % kChunks;
            auto data = patternBytes(1000 + uint64_t(i), 0, K4);
            std::copy(data.begin(), data.end(), expected.begin() + std::ptrdiff_t(c * K4));
            QVERIFY(writeBehindCopy(*origin, c * K4, data).ok());
        }
        QVERIFY(origin->flush().ok());
        QVERIFY(snap->flush().ok());
        // Power loss right after the flush replies: unflushed (later) writes would be fair game,
        // but nothing was written after it.
        QVERIFY(originCache->crash(VolatileCacheDevice::CrashMode::RandomSubset, uint64_t(seed)).ok());
        QVERIFY(cowCache->crash(VolatileCacheDevice::CrashMode::RandomSubset, uint64_t(seed) + 1).ok());
    }
    QVERIFY(readAll(*originStable) == expected);
    auto origin = Origin::create(originStable);
    auto snap = origin->attachSnapshot(cowStable, SnapshotOptions{.chunkBytes = K4});
    QVERIFY2(snap.ok(), snap.ok() ? "" : snap.error().toString().c_str());
    QCOMPARE(snap.value()->status().state, SnapshotState::Valid);
    std::vector<std::byte> view(kChunks * K4);
    QVERIFY(snap.value()->read(0, view).ok());
    QVERIFY(view == initial);
}

void TestWriteBehind::failedDeferredWriteIsReportedByFlush() {
    auto fault = std::make_shared<FaultDevice>(std::make_shared<MemoryDevice>(patternBytes(3, 0, kChunks * K4), "origin"));
    auto origin = Origin::create(fault);
    auto snap = origin->attachSnapshot(std::make_shared<MemoryDevice>((kChunks + 16) * K4 * 2), SnapshotOptions{.chunkBytes = K4}).value();
    // Fail origin writes only (the snapshot's copies read the origin, which still works).
    fault->setRule([](FaultDevice::Op op, uint64_t, uint64_t, uint64_t) { return op == FaultDevice::Op::Write; });
    QVERIFY(writeBehindCopy(*origin, 0, patternBytes(4, 0, K4)).ok());
    Status st = origin->flush();
    QVERIFY(!st.ok());
    fault->setRule({});
    QVERIFY(origin->flush().ok());  // reported once, like a write-back cache's error
    QVERIFY(snap->status().state == SnapshotState::Valid);
}

void TestWriteBehind::attachAfterQueuedWritesSeesThem() {
    const auto initial = patternBytes(5, 0, kChunks * K4);
    auto origin = Origin::create(std::make_shared<MemoryDevice>(initial, "origin"));
    auto first = origin->attachSnapshot(std::make_shared<MemoryDevice>((kChunks + 16) * K4 * 2), SnapshotOptions{.chunkBytes = K4}).value();
    auto data = patternBytes(6, 0, 16 * K4);
    QVERIFY(writeBehindCopy(*origin, 0, data).ok());
    auto second = origin->attachSnapshot(std::make_shared<MemoryDevice>((kChunks + 16) * K4 * 2), SnapshotOptions{.chunkBytes = K4}).value();
    std::vector<std::byte> a(16 * K4), b(16 * K4);
    QVERIFY(first->read(0, a).ok());
    QVERIFY(second->read(0, b).ok());
    QVERIFY(a == std::vector<std::byte>(initial.begin(), initial.begin() + std::ptrdiff_t(16 * K4)));
    QVERIFY(b == data);
}

void TestWriteBehind::consecutiveChunksAreOneCopyRun() {
    const auto initial = patternBytes(8, 0, kChunks * K4);
    auto origin = Origin::create(std::make_shared<MemoryDevice>(initial, "origin"));
    auto snap = origin->attachSnapshot(std::make_shared<MemoryDevice>((kChunks + 16) * K4 * 2), SnapshotOptions{.chunkBytes = K4}).value();
    // 200 consecutive chunks (800 KiB, below the 1 MiB bound) get consecutive COW chunks: one run.
    QVERIFY(origin->write(0, patternBytes(9, 0, 200 * K4)).ok());
    QCOMPARE(snap->counters().copyRuns.load(), uint64_t(1));
    QCOMPARE(snap->counters().coalescedChunks.load(), uint64_t(200));
    QCOMPARE(snap->counters().committed.load(), uint64_t(200));
    std::vector<std::byte> view(kChunks * K4);
    QVERIFY(snap->read(0, view).ok());
    QVERIFY(view == initial);
    // A single chunk is a run of one, not coalesced.
    QVERIFY(origin->write(250 * K4, patternBytes(10, 0, K4)).ok());
    QCOMPARE(snap->counters().copyRuns.load(), uint64_t(2));
    QCOMPARE(snap->counters().coalescedChunks.load(), uint64_t(200));
}

QTEST_GUILESS_MAIN(TestWriteBehind)
#include "tst_write_behind.moc"
