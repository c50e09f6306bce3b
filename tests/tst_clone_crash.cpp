// Crash consistency of clones.
//
// crashStates: drives the engine's clone crash checker (core/crashlab/clone_crash.cpp, the same
// one `loopsnapctl crashtest clone` runs): a seeded workload of hydrations, partial and
// whole-region writes, FUA writes, flushes and discards is recorded on the destination and the
// metadata, and every crash state of the shared generator (flushed and FUA writes present,
// subsets of the unflushed ones) is reopened with Clone::open and checked: the metadata loads,
// every hydrated region holds source or user data, completed flushes are durable. With
// legacyCommit (metadata before destination flush) the checker must find the garbage read.
//
// tornMetadataCommit: a commit write torn at every sector boundary (prefix, suffix, random
// sector subsets, bit flips) loads either the previous or the new state, never anything else.
#include <QtTest>

#include <atomic>
#include <thread>

#include <cstdlib>

#include "clone_test_rig.h"
#include "core/clone/clone.h"
#include "core/crashlab/crash_test.h"
#include "core/io/memory_device.h"
#include "core/io/recording_device.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;

namespace {

constexpr uint64_t kRs = 4096;

// Under the sanitizers (LOOPSNAP_CRASH_SANITIZER=1) every third crash point is visited, with
// fewer sampled subsets: the same code paths in a fraction of the time.
bool sanitizerRun() { return std::getenv("LOOPSNAP_CRASH_SANITIZER") != nullptr; }

uint64_t scale() {
    // LOOPSNAP_CRASH_SCALE=n multiplies the sampled subsets per crash point (a longer run).
    const char* s = std::getenv("LOOPSNAP_CRASH_SCALE");
    return s ? std::max<uint64_t>(1, std::strtoull(s, nullptr, 10)) : 1;
}

}  // namespace

class TestCloneCrash : public QObject {
    Q_OBJECT
private slots:
    void crashStates_data();
    void crashStates();
    void tornMetadataCommit_data();
    void tornMetadataCommit();
    void progressCountsEveryState();
    void cancelStopsBetweenStates();
};

void TestCloneCrash::crashStates_data() {
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<bool>("legacy");
    QTest::addColumn<bool>("background");
    QTest::addColumn<bool>("torn");
    for (quint64 seed : {1, 2, 3, 4, 5, 6}) {
        QTest::newRow(qPrintable(QString("fixed-seed%1").arg(seed))) << seed << false << false << false;
        if (seed <= 4) QTest::newRow(qPrintable(QString("legacy-seed%1").arg(seed))) << seed << true << false << false;
    }
    // Background hydration and timer commits interleave with user I/O: the log differs from run
    // to run, and the fixed order must hold for whatever interleaving happened.
    QTest::newRow("fixed-background-hydration-seed7") << quint64(7) << false << true << false;
    QTest::newRow("fixed-background-hydration-seed8") << quint64(8) << false << true << false;
    // Unflushed writes may also persist in part (512-byte sectors): the two-slot checksummed
    // metadata commit and the flush-before-commit order must still hold.
    QTest::newRow("fixed-torn-writes-seed9") << quint64(9) << false << false << true;
    QTest::newRow("fixed-torn-writes-seed10") << quint64(10) << false << false << true;
    QTest::newRow("legacy-torn-writes-seed9") << quint64(9) << true << false << true;
}

void TestCloneCrash::crashStates() {
    QFETCH(quint64, seed);
    QFETCH(bool, legacy);
    QFETCH(bool, background);
    QFETCH(bool, torn);
    CrashTestOptions o;
    o.tornWrites = torn;
    o.seed = seed;
    o.legacy = legacy;
    o.backgroundHydration = background;
    o.samples = unsigned(24 * scale());
    if (sanitizerRun()) {
        o.samples = 4;
        o.pointStride = 3;
    }
    CrashTestReport r = runCloneCrashTest(o);
    qInfo("seed %llu%s: %llu crash states at %llu points in %.2f s; %s", (unsigned long long)seed, legacy ? " (legacy)" : "",
          (unsigned long long)r.statesChecked, (unsigned long long)r.crashPoints, r.seconds, r.workload.c_str());
    QVERIFY2(r.invariant != "setup", r.detail.c_str());
    QVERIFY(r.workload.find("metadata commits") != std::string::npos);
    if (legacy) {
        // The pre-fix ordering must be caught: that is what the checker is for.
        QVERIFY2(r.violation, "legacyCommit produced no violation: the crash checker is blind");
        QCOMPARE(QString::fromStdString(r.invariant), QString("hydrated-region-garbage"));
        QVERIFY(r.detail.find("marked hydrated") != std::string::npos);
        // The trace shows the metadata commit that reached the disk and a destination write lost.
        QVERIFY2(r.trace.find("metadata slot write") != std::string::npos, r.trace.c_str());
        QVERIFY2(r.trace.find("LOST") != std::string::npos, r.trace.c_str());
        QVERIFY(r.crashPoint > 0 && r.crashPoint <= r.logEntries);
        QVERIFY(r.cloneGarbageRegion.has_value());  // the structured form of the detail
        QVERIFY(*r.cloneGarbageRegion < 64);
        QVERIFY(r.detail.find("region " + std::to_string(*r.cloneGarbageRegion) + " ") != std::string::npos);
    } else {
        QVERIFY2(!r.violation, qPrintable(QString::fromStdString(r.invariant + ": " + r.detail + "\n" + r.trace)));
        QVERIFY(r.logEntries > 200);
        QVERIFY(r.statesChecked > (sanitizerRun() ? 500u : 4000u));
    }
}

void TestCloneCrash::tornMetadataCommit_data() {
    QTest::addColumn<quint64>("regions");
    QTest::newRow("one-bitmap-block") << quint64(100);
    QTest::newRow("three-bitmap-blocks") << quint64(3 * 4096 * 8 - 5);
}

void TestCloneCrash::tornMetadataCommit() {
    QFETCH(quint64, regions);
    const uint64_t size = regions * kRs;
    auto source = std::make_shared<MemoryDevice>(size);
    auto metaMem = std::make_shared<MemoryDevice>(CloneMetadata::requiredSize({size, kRs}));
    auto c = Clone::create(source, std::make_shared<MemoryDevice>(size), metaMem, kRs, quietCloneOptions());
    LS_QVERIFY_OK(c);
    LS_QVERIFY_OK(c.value()->close());
    c.value().reset();
    // Two commits in a row, each captured: commit A (gen 2) then commit B (gen 3), so both slots
    // are exercised as the target of a torn write.
    for (int round = 0; round < 2; ++round) {
        auto md = CloneMetadata::load(metaMem);
        LS_QVERIFY_OK(md);
        const RegionBitmap before = md.value()->committed();
        const uint64_t genBefore = md.value()->generation();
        RegionBitmap after = before;
        for (uint64_t r = round; r < regions; r += 3) after.set(r);
        const auto imageBefore = metaMem->contents();
        auto log = std::make_shared<WriteLog>();
        auto rec = RecordingDevice::create(metaMem, log, "meta").value();
        auto md2 = CloneMetadata::load(rec);
        LS_QVERIFY_OK(md2);
        LS_QVERIFY_OK(md2.value()->commit(after));
        const LogEntry* slotWrite = nullptr;
        for (const auto& e : log->entries())
            if (e.kind == LogEntry::Kind::Write) {
                QVERIFY2(!slotWrite, "a commit is expected to be one write");
                slotWrite = &e;
            }
        QVERIFY(slotWrite);
        const uint64_t sectors = slotWrite->data.size() / 512;
        auto check = [&](const std::vector<bool>& sectorWritten, const QString& what) {
            auto img = imageBefore;
            bool all = true;
            for (uint64_t s = 0; s < sectors; ++s) {
                if (sectorWritten[s])
                    std::copy(slotWrite->data.begin() + s * 512, slotWrite->data.begin() + (s + 1) * 512,
                              img.begin() + slotWrite->offset + s * 512);
                all = all && sectorWritten[s];
            }
            auto loaded = CloneMetadata::load(std::make_shared<MemoryDevice>(img));
            if (!loaded.ok()) QFAIL(qPrintable(what + ": does not load: " + QString::fromStdString(loaded.error().toString())));
            bool isOld = loaded.value()->generation() == genBefore && loaded.value()->committed() == before;
            bool isNew = loaded.value()->generation() == genBefore + 1 && loaded.value()->committed() == after;
            if (!(isOld || isNew)) QFAIL(qPrintable(what + ": loaded a state that was never committed"));
            if (all && !isNew) QFAIL(qPrintable(what + ": complete write did not load the new state"));
        };
        for (uint64_t k = 0; k <= sectors; ++k) {
            std::vector<bool> prefix(sectors, false), suffix(sectors, false);
            for (uint64_t s = 0; s < k; ++s) prefix[s] = true;
            for (uint64_t s = sectors - k; s < sectors; ++s) suffix[s] = true;
            check(prefix, QString("round %1 prefix %2").arg(round).arg(k));
            check(suffix, QString("round %1 suffix %2").arg(round).arg(k));
        }
        std::mt19937_64 rng(regions + round);
        for (int t = 0; t < 64; ++t) {
            std::vector<bool> subset(sectors);
            for (uint64_t s = 0; s < sectors; ++s) subset[s] = rng() & 1;
            check(subset, QString("round %1 subset %2").arg(round).arg(t));
        }
        // A complete write with one flipped bit anywhere in the slot must fall back to the old state.
        for (int t = 0; t < 32; ++t) {
            auto img = imageBefore;
            std::copy(slotWrite->data.begin(), slotWrite->data.end(), img.begin() + slotWrite->offset);
            uint64_t bit = rng() % (slotWrite->data.size() * 8);
            img[slotWrite->offset + bit / 8] ^= std::byte(1u << (bit % 8));
            auto loaded = CloneMetadata::load(std::make_shared<MemoryDevice>(img));
            LS_QVERIFY_OK(loaded);
            QCOMPARE(loaded.value()->generation(), genBefore);
            QVERIFY(loaded.value()->committed() == before);
        }
    }
}

// The progress sink sees every state and crash point the report counts.
void TestCloneCrash::progressCountsEveryState() {
    CrashSweepProgress progress;
    CrashTestOptions o;
    o.seed = 2;
    o.samples = 4;
    o.progress = &progress;
    CrashTestReport r = runCloneCrashTest(o);
    QVERIFY(!r.violation && !r.cancelled);
    QCOMPARE(progress.statesChecked.load(), r.statesChecked);
    QCOMPARE(progress.crashPointsTotal.load(), r.crashPoints);
    QCOMPARE(progress.crashPointsDone.load(), r.crashPoints);
}

// A cancel flag set while the sweep runs stops it between states with a report that says so.
void TestCloneCrash::cancelStopsBetweenStates() {
    CrashSweepProgress progress;
    std::atomic<bool> cancel{false};
    CrashTestOptions o;
    o.seed = 2;
    o.progress = &progress;
    o.cancel = &cancel;
    std::thread canceller([&] {
        while (progress.statesChecked.load() < 200) std::this_thread::sleep_for(std::chrono::microseconds(200));
        cancel.store(true);
    });
    CrashTestReport r = runCloneCrashTest(o);
    canceller.join();
    QVERIFY(r.cancelled);
    QVERIFY(!r.violation);
    QVERIFY(r.statesChecked >= 200);
    QCOMPARE(progress.statesChecked.load(), r.statesChecked);
    QVERIFY(progress.crashPointsDone.load() < r.crashPoints);
    // A flag already set: nothing is checked.
    CrashTestReport none = runCloneCrashTest(o);
    QVERIFY(none.cancelled);
    QCOMPARE(none.statesChecked, uint64_t(0));
}

QTEST_GUILESS_MAIN(TestCloneCrash)
#include "tst_clone_crash.moc"
