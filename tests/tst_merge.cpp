// Merge (rollback) of a snapshot into its origin: the kernel's snapshot-merge semantics on the
// userspace engine (../shared/spec/device-mapper-semantics.md section 3).
#include <QtTest>

#include <atomic>
#include <random>
#include <thread>

#include "core/io/fault_device.h"
#include "core/io/memory_device.h"
#include "core/snapshot/cow_format.h"
#include "core/snapshot/snapshot.h"
#include "core/snapshot/snapshot_files.h"
#include "core/snapshot/snapshot_merge.h"
#include "core/util/endian.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;

namespace {

constexpr uint64_t K4 = 4096;

// Collects events of the kinds asked for; optionally acts on them (listener.h allows status
// queries and pause/stop from the callback).
class Collector final : public EventListener {
public:
    std::function<void(const Event&)> onMerge;
    void onEvent(const Event& e) noexcept override {
        if (e.kind < EventKind::MergeStarted || e.kind > EventKind::MergeFailed) return;
        {
            std::lock_guard lock(mutex);
            events.push_back(e);
        }
        if (onMerge) onMerge(e);
    }
    std::vector<Event> of(EventKind kind) {
        std::lock_guard lock(mutex);
        std::vector<Event> out;
        for (auto& e : events)
            if (e.kind == kind) out.push_back(e);
        return out;
    }
    std::mutex mutex;
    std::vector<Event> events;
};

// An origin with snapshot A (written through both the origin and the snapshot) and snapshot B
// taken halfway; the references are what A and B read before the merge.
struct History {
    std::shared_ptr<MemoryDevice> originMem, cowA, cowB;
    std::vector<std::byte> refA, refB;
    uint64_t exceptionsA = 0;
};

History makeHistory(uint64_t seed, uint64_t originBytes, uint32_t chunkBytes, StoreType type, uint64_t ops) {
    History h;
    h.originMem = std::make_shared<MemoryDevice>(patternBytes(seed, 0, originBytes), "origin");
    const uint64_t chunks = (originBytes + chunkBytes - 1) / chunkBytes;
    const uint64_t cowBytes = (chunks + 2 * (chunks / (chunkBytes / 16) + 2) + 4) * chunkBytes;
    h.cowA = std::make_shared<MemoryDevice>(cowBytes, "cow-a");
    h.cowB = std::make_shared<MemoryDevice>(cowBytes, "cow-b");
    auto origin = Origin::create(h.originMem);
    auto a = origin->attachSnapshot(h.cowA, SnapshotOptions{.type = type, .chunkBytes = chunkBytes}).value();
    std::shared_ptr<Snapshot> b;
    std::mt19937_64 rng(seed);
    for (uint64_t i = 0; i < ops; ++i) {
        if (i == ops / 2) b = origin->attachSnapshot(h.cowB, SnapshotOptions{.chunkBytes = chunkBytes}).value();
        uint64_t len = rng() % 3 == 0 ? 512 * (1 + rng() % 16) : uint64_t(chunkBytes) * (1 + rng() % 6);
        len = std::min(len, originBytes);
        uint64_t off = std::min<uint64_t>((rng() % originBytes) / 512 * 512, originBytes - len);
        auto data = patternBytes(seed * 1000 + i, off, len);
        Status st = rng() % 4 == 0 ? a->write(off, data) : origin->write(off, data);
        if (!st.ok()) qFatal("history write failed: %s", st.error().toString().c_str());
    }
    if (!origin->flush().ok() || !a->flush().ok()) qFatal("flush failed");
    h.refA = readAll(*a->device());
    h.refB = readAll(*b->device());
    h.exceptionsA = a->status().exceptions;
    return h;
}

struct Opened {
    std::shared_ptr<Origin> origin;
    std::shared_ptr<Snapshot> a, b;
    std::shared_ptr<Collector> events;
};

Opened reopen(const std::shared_ptr<BlockDevice>& origin, const std::shared_ptr<BlockDevice>& cowA,
              const std::shared_ptr<BlockDevice>& cowB, StoreType type = StoreType::Persistent) {
    Opened o;
    o.events = std::make_shared<Collector>();
    auto sink = std::make_shared<EventSink>();
    sink->addListener(o.events);
    o.origin = Origin::create(origin, OriginOptions{.events = sink});
    o.a = o.origin->attachSnapshot(cowA, SnapshotOptions{.type = type}).value();
    if (cowB) o.b = o.origin->attachSnapshot(cowB, SnapshotOptions{}).value();
    return o;
}

bool sameBytes(const std::vector<std::byte>& a, const std::vector<std::byte>& b) { return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0; }


}  // namespace

class TestMerge : public QObject {
    Q_OBJECT
private slots:
    void mergeGivesTheOriginTheSnapshotsContents_data();
    void mergeGivesTheOriginTheSnapshotsContents();
    void statusFollowsTheKernelDuringMerge();
    void concurrentOriginIoDuringMerge();
    void writesToUnmergedChunksGoToTheCowAndSnapshotRefusesWrites();
    void pauseAndResume();
    void stopThenResumeInANewProcess();
    void ioErrorFailsTheMergeAndKeepsTheOriginConsistent_data();
    void ioErrorFailsTheMergeAndKeepsTheOriginConsistent();
    void kernelLaidOutStoreMergesRunByRunBackwards_data();
    void kernelLaidOutStoreMergesRunByRunBackwards();
    void refusals_data();
    void refusals();
    void filesMarkAnUnfinishedMerge();
};

void TestMerge::mergeGivesTheOriginTheSnapshotsContents_data() {
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<quint64>("originBytes");
    QTest::addColumn<quint32>("chunk");
    QTest::addColumn<bool>("overflowStore");
    QTest::addColumn<quint64>("ops");
    QTest::newRow("4K chunks") << quint64(1) << quint64(1 << 20) << quint32(4096) << false << quint64(120);
    QTest::newRow("16K chunks, PO store") << quint64(2) << quint64(1 << 20) << quint32(16384) << true << quint64(120);
    QTest::newRow("64K chunks, origin not a chunk multiple") << quint64(3) << quint64((1 << 20) + 12288) << quint32(65536) << false << quint64(60);
    QTest::newRow("4K chunks, two metadata areas") << quint64(4) << quint64(2 << 20) << quint32(4096) << false << quint64(400);
}

void TestMerge::mergeGivesTheOriginTheSnapshotsContents() {
    QFETCH(quint64, seed);
    QFETCH(quint64, originBytes);
    QFETCH(quint32, chunk);
    QFETCH(bool, overflowStore);
    QFETCH(quint64, ops);
    StoreType type = overflowStore ? StoreType::PersistentOverflow : StoreType::Persistent;
    History h = makeHistory(seed, originBytes, chunk, type, ops);
    QVERIFY(h.exceptionsA > 10);
    QVERIFY(!sameBytes(h.refA, readAll(*h.originMem)));  // there is something to roll back

    Opened o = reopen(h.originMem, h.cowA, h.cowB, type);
    auto merge = SnapshotMerge::begin(o.origin, o.a);
    LS_QVERIFY_OK(merge);
    QCOMPARE(o.a->status().state, SnapshotState::Merging);
    QVERIFY(sameBytes(readAll(*o.origin), h.refA));  // the origin presents the snapshot at once
    auto outcome = merge.value()->run();
    LS_QVERIFY_OK(outcome);
    QCOMPARE(outcome.value(), MergeOutcome::Finished);
    QVERIFY(merge.value()->finished());

    QVERIFY(sameBytes(readAll(*h.originMem), h.refA));  // the device itself, not just the view
    QVERIFY(sameBytes(readAll(*o.b->device()), h.refB));  // the other snapshot kept its contents
    SnapshotStatus st = o.a->status();
    QCOMPARE(st.allocatedSectors, st.metadataSectors);   // the kernel's "merge finished"
    QCOMPARE(st.exceptions, uint64_t(0));
    QCOMPARE(o.origin->snapshots().size(), size_t(1));   // the merged snapshot is detached
    QCOMPARE(merge.value()->counters().mergedChunks.load(), h.exceptionsA);
    auto started = o.events->of(EventKind::MergeStarted);
    auto finished = o.events->of(EventKind::MergeFinished);
    QCOMPARE(started.size(), size_t(1));
    QCOMPARE(started[0].a, h.exceptionsA);
    QCOMPARE(finished.size(), size_t(1));
    QCOMPARE(finished[0].a, h.exceptionsA);
    auto batches = o.events->of(EventKind::MergeBatch);
    QCOMPARE(batches.size(), size_t(merge.value()->counters().batches.load()));
    QCOMPARE(batches.back().c, uint64_t(0));

    // On disk: the store reloads empty and valid; B still reads its own contents.
    auto again = reopen(h.originMem, h.cowA, h.cowB, type);
    QCOMPARE(again.a->status().exceptions, uint64_t(0));
    QCOMPARE(again.a->status().state, SnapshotState::Valid);
    QVERIFY(sameBytes(readAll(*again.b->device()), h.refB));
    QVERIFY(sameBytes(readAll(*again.origin), h.refA));
}

void TestMerge::statusFollowsTheKernelDuringMerge() {
    History h = makeHistory(11, 1 << 20, 4096, StoreType::Persistent, 100);
    Opened o = reopen(h.originMem, h.cowA, h.cowB);
    std::vector<SnapshotStatus> seen;
    auto snap = o.a;
    o.events->onMerge = [&](const Event& e) {
        if (e.kind == EventKind::MergeBatch) seen.push_back(snap->status());  // one thread: the merge's
    };
    SnapshotStatus before = o.a->status();
    auto merge = SnapshotMerge::begin(o.origin, o.a).value();
    LS_QVERIFY_OK(merge->run());
    QVERIFY(seen.size() > 5);
    uint64_t last = before.allocatedSectors;
    for (const SnapshotStatus& s : seen) {
        QCOMPARE(s.state, SnapshotState::Merging);
        QVERIFY2(s.allocatedSectors < last, "allocated sectors shrink with every batch");
        last = s.allocatedSectors;
        QVERIFY(s.allocatedSectors >= s.metadataSectors);
        QCOMPARE(QString::fromStdString(s.kernelStatusLine()),
                 QString("%1/%2 %3").arg(s.allocatedSectors).arg(s.totalSectors).arg(s.metadataSectors));
    }
    QCOMPARE(seen.back().allocatedSectors, seen.back().metadataSectors);  // finished
    // A store with one area: "16/<total> 16" with 4K chunks, like the kernel's empty store.
    QCOMPARE(QString::fromStdString(o.a->status().kernelStatusLine()), QString("16/%1 16").arg(h.cowA->size() / 512));
}

void TestMerge::concurrentOriginIoDuringMerge() {
    History h = makeHistory(21, 1 << 20, 4096, StoreType::Persistent, 150);
    // Slow COW reads so the merge takes long enough for the I/O thread to interleave with it.
    auto slowCow = std::make_shared<FaultDevice>(h.cowA);
    slowCow->setRule([](FaultDevice::Op op, uint64_t, uint64_t, uint64_t) {
        if (op == FaultDevice::Op::Read) std::this_thread::sleep_for(std::chrono::microseconds(300));
        return false;
    });
    Opened o = reopen(h.originMem, slowCow, h.cowB);
    auto merge = SnapshotMerge::begin(o.origin, o.a).value();
    std::vector<std::byte> model = h.refA;
    Result<MergeOutcome> outcome = makeError(ErrorCode::Aborted, "not run");
    std::thread worker([&] { outcome = merge->run(); });

    std::mt19937_64 rng(99);
    uint64_t opsDuringMerge = 0, badReads = 0;
    const uint64_t size = model.size();
    for (uint64_t i = 0; i < 4000 && !merge->finished(); ++i) {
        uint64_t len = 512 * (1 + rng() % 24);
        uint64_t off = std::min<uint64_t>(rng() % size / 512 * 512, size - len);
        if (rng() % 2) {
            auto data = patternBytes(5000 + i, off, len);
            QVERIFY(o.origin->write(off, data).ok());
            std::memcpy(model.data() + off, data.data(), len);
        } else {
            std::vector<std::byte> got(len);
            QVERIFY(o.origin->read(off, got).ok());
            if (std::memcmp(got.data(), model.data() + off, len) != 0) ++badReads;
        }
        ++opsDuringMerge;
    }
    worker.join();
    LS_QVERIFY_OK(outcome);
    QCOMPARE(badReads, uint64_t(0));
    QVERIFY2(opsDuringMerge > 20, "the I/O thread must have run while the merge did");
    QVERIFY(merge->counters().batches.load() > 20);
    QVERIFY(sameBytes(readAll(*h.originMem), model));
    QVERIFY(sameBytes(readAll(*o.b->device()), h.refB));
    // And after a restart the origin still holds it.
    auto again = reopen(h.originMem, h.cowA, h.cowB);
    QVERIFY(sameBytes(readAll(*again.origin), model));
    QVERIFY(sameBytes(readAll(*again.b->device()), h.refB));
}

void TestMerge::writesToUnmergedChunksGoToTheCowAndSnapshotRefusesWrites() {
    History h = makeHistory(31, 1 << 20, 4096, StoreType::Persistent, 80);
    Opened o = reopen(h.originMem, h.cowA, nullptr);
    auto records = o.a->exceptions();
    QVERIFY(!records.empty());
    auto [oldChunk, newChunk] = records.front();  // merged last: the walk goes backwards
    auto merge = SnapshotMerge::begin(o.origin, o.a).value();
    auto originBefore = readAll(*h.originMem);

    auto data = patternBytes(777, oldChunk * K4, K4);
    LS_QVERIFY_OK(o.origin->write(oldChunk * K4, data));
    std::vector<std::byte> cowChunk(K4), originChunk(K4);
    LS_QVERIFY_OK(h.cowA->read(newChunk * K4, cowChunk));
    LS_QVERIFY_OK(h.originMem->read(oldChunk * K4, originChunk));
    QVERIFY2(sameBytes(cowChunk, data), "the write went to the unmerged chunk's COW copy");
    QVERIFY2(std::memcmp(originChunk.data(), originBefore.data() + oldChunk * K4, K4) == 0, "the origin chunk is untouched until merged");

    auto refused = o.a->write(0, data);
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, ErrorCode::Busy);

    LS_QVERIFY_OK(merge->run());
    LS_QVERIFY_OK(h.originMem->read(oldChunk * K4, originChunk));
    QVERIFY2(sameBytes(originChunk, data), "the merge moved the new data to the origin");
}

void TestMerge::pauseAndResume() {
    History h = makeHistory(41, 1 << 20, 4096, StoreType::Persistent, 80);
    Opened o = reopen(h.originMem, h.cowA, nullptr);
    auto merge = SnapshotMerge::begin(o.origin, o.a).value();
    uint64_t pausedAt = 0;
    o.events->onMerge = [&](const Event& e) {
        if (e.kind == EventKind::MergeBatch && e.seq == 3) merge->pause();
    };
    Result<MergeOutcome> outcome = makeError(ErrorCode::Aborted, "not run");
    std::thread worker([&] { outcome = merge->run(); });
    QTRY_VERIFY_WITH_TIMEOUT(merge->paused() && merge->counters().batches.load() >= 3, 5000);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    pausedAt = merge->counters().batches.load();
    QCOMPARE(pausedAt, uint64_t(3));  // no batch runs while paused
    QVERIFY(!merge->finished());
    QCOMPARE(o.a->status().state, SnapshotState::Merging);
    QVERIFY(sameBytes(readAll(*o.origin), h.refA));  // the view is whole while paused
    merge->resume();
    worker.join();
    LS_QVERIFY_OK(outcome);
    QCOMPARE(outcome.value(), MergeOutcome::Finished);
    QVERIFY(sameBytes(readAll(*h.originMem), h.refA));
}

void TestMerge::stopThenResumeInANewProcess() {
    History h = makeHistory(51, 1 << 20, 4096, StoreType::Persistent, 120);
    uint64_t mergedFirst = 0;
    {
        Opened o = reopen(h.originMem, h.cowA, h.cowB);
        auto merge = SnapshotMerge::begin(o.origin, o.a).value();
        o.events->onMerge = [&](const Event& e) {
            if (e.kind == EventKind::MergeBatch && e.seq == 5) merge->stop();
        };
        auto outcome = merge->run();
        LS_QVERIFY_OK(outcome);
        QCOMPARE(outcome.value(), MergeOutcome::Stopped);
        QCOMPARE(merge->counters().batches.load(), uint64_t(5));
        mergedFirst = merge->counters().mergedChunks.load();
        QVERIFY(mergedFirst > 0 && mergedFirst < h.exceptionsA);
    }  // everything is dropped, as when the process ends
    Opened o = reopen(h.originMem, h.cowA, h.cowB);
    QCOMPARE(o.a->status().exceptions, h.exceptionsA - mergedFirst);  // what was merged stays merged
    auto merge = SnapshotMerge::begin(o.origin, o.a).value();
    QCOMPARE(merge->counters().totalChunks.load(), h.exceptionsA - mergedFirst);
    QVERIFY(sameBytes(readAll(*o.origin), h.refA));
    auto outcome = merge->run();
    LS_QVERIFY_OK(outcome);
    QCOMPARE(outcome.value(), MergeOutcome::Finished);
    QVERIFY(sameBytes(readAll(*h.originMem), h.refA));
    QVERIFY(sameBytes(readAll(*o.b->device()), h.refB));
}

void TestMerge::ioErrorFailsTheMergeAndKeepsTheOriginConsistent_data() {
    QTest::addColumn<QString>("device");
    QTest::addColumn<int>("op");  // FaultDevice::Op
    QTest::newRow("origin write") << "origin" << int(FaultDevice::Op::Write);
    QTest::newRow("origin flush") << "origin" << int(FaultDevice::Op::Flush);
    QTest::newRow("COW read") << "cow" << int(FaultDevice::Op::Read);
    QTest::newRow("COW area write") << "cow" << int(FaultDevice::Op::Write);
}

void TestMerge::ioErrorFailsTheMergeAndKeepsTheOriginConsistent() {
    QFETCH(QString, device);
    QFETCH(int, op);
    History h = makeHistory(61, 1 << 20, 4096, StoreType::Persistent, 80);
    auto faultyOrigin = std::make_shared<FaultDevice>(h.originMem);
    auto faultyCow = std::make_shared<FaultDevice>(h.cowA);
    Opened o = reopen(faultyOrigin, faultyCow, nullptr);
    auto merge = SnapshotMerge::begin(o.origin, o.a).value();
    // Fail the chosen request kind once a few batches have gone through.
    std::atomic<bool> armed{false};
    o.events->onMerge = [&](const Event& e) {
        if (e.kind == EventKind::MergeBatch && e.seq == 4) armed = true;
    };
    (device == "origin" ? faultyOrigin : faultyCow)->setRule([&](FaultDevice::Op o2, uint64_t, uint64_t, uint64_t) {
        return armed.load() && int(o2) == op;
    });
    auto outcome = merge->run();
    QVERIFY(!outcome.ok());
    QCOMPARE(outcome.error().code, ErrorCode::IOError);
    QVERIFY(QString::fromStdString(outcome.error().message).contains("merge of"));
    QCOMPARE(o.a->status().state, SnapshotState::MergeFailed);
    QCOMPARE(QString::fromStdString(o.a->status().kernelStatusLine()), QString("Merge failed"));
    QCOMPARE(o.events->of(EventKind::MergeFailed).size(), size_t(1));
    faultyOrigin->setRule({});
    faultyCow->setRule({});
    QVERIFY2(sameBytes(readAll(*o.origin), h.refA), "the origin still presents the snapshot after the failure");
    QVERIFY(!merge->run().ok());  // failed for good in this process

    // A new process retries and finishes.
    Opened again = reopen(h.originMem, h.cowA, nullptr);
    auto retry = SnapshotMerge::begin(again.origin, again.a).value();
    QVERIFY(sameBytes(readAll(*again.origin), h.refA));
    LS_QVERIFY_OK(retry->run());
    QVERIFY(sameBytes(readAll(*h.originMem), h.refA));
}

void TestMerge::kernelLaidOutStoreMergesRunByRunBackwards_data() {
    QTest::addColumn<int>("count");
    QTest::newRow("300 records, two areas") << 300;
    QTest::newRow("256 records, one full area") << 256;
    QTest::newRow("257 records") << 257;
    QTest::newRow("one record") << 1;
}

void TestMerge::kernelLaidOutStoreMergesRunByRunBackwards() {
    QFETCH(int, count);
    // 300 records with 4K chunks (256 per area): area 0 at chunk 1, area 1 at chunk 258. Data
    // chunks skip 258, as the kernel's allocator does. Runs: consecutive old and new chunks.
    const uint64_t originChunks = 400;
    std::vector<cowfmt::Record> records;
    uint64_t next = 2;
    auto take = [&] {
        if (next == 258) ++next;
        return next++;
    };
    // Every origin chunk once (the kernel never records a chunk twice): 100 singles in a scattered
    // order, 50 runs of 3 consecutive chunks, 50 singles walking down; record 256 starts area 1,
    // and chunk 258 (area 1's metadata) breaks consecutive new chunks, as in the kernel.
    for (uint64_t i = 0; i < 100; ++i) records.push_back({(i * 37) % 100, take()});
    for (uint64_t i = 0; i < 50; ++i)
        for (uint64_t k = 0; k < 3; ++k) records.push_back({100 + i * 4 + k, take()});
    for (uint64_t i = 0; i < 50; ++i) records.push_back({399 - i, take()});
    QCOMPARE(records.size(), size_t(300));
    records.resize(size_t(count));
    auto img = kernelStyleStore(8, 600, records);
    auto origin = std::make_shared<MemoryDevice>(patternBytes(70, 0, originChunks * K4), "origin");
    // Each record's COW chunk holds recognisable data; later records for the same chunk win.
    std::vector<std::byte> expected = readAll(*origin);
    for (const auto& r : records) {
        auto d = patternBytes(1000 + r.newChunk, 0, K4);
        std::memcpy(img.data() + r.newChunk * K4, d.data(), K4);
        std::memcpy(expected.data() + r.oldChunk * K4, d.data(), K4);
    }
    // Expected batches, computed the kernel's way: within an area, backwards, old and new both
    // consecutive.
    uint64_t expectedBatches = 0;
    std::vector<uint64_t> expectedFirstOld;
    for (int64_t areaEnd = count; areaEnd > 0;) {
        int64_t areaStart = (areaEnd - 1) / 256 * 256;
        int64_t i = areaEnd - 1;
        while (i >= areaStart) {
            int64_t j = i;
            while (j > areaStart && records[j - 1].oldChunk + 1 == records[j].oldChunk && records[j - 1].newChunk + 1 == records[j].newChunk &&
                   records[i].oldChunk - records[j - 1].oldChunk == uint64_t(i - j + 1))
                --j;
            ++expectedBatches;
            expectedFirstOld.push_back(records[j].oldChunk);
            i = j - 1;
        }
        areaEnd = areaStart;
    }
    auto cow = std::make_shared<MemoryDevice>(img, "kernel-cow");
    Opened o = reopen(origin, cow, nullptr);
    QCOMPARE(o.a->status().exceptions, uint64_t(count));
    auto merge = SnapshotMerge::begin(o.origin, o.a).value();
    LS_QVERIFY_OK(merge->run());
    QVERIFY(sameBytes(readAll(*origin), expected));
    QCOMPARE(merge->counters().batches.load(), expectedBatches);
    auto batches = o.events->of(EventKind::MergeBatch);
    QCOMPARE(batches.size(), expectedFirstOld.size());
    for (size_t i = 0; i < batches.size(); ++i) QCOMPARE(batches[i].a, expectedFirstOld[i]);
    // The store is left as the kernel leaves it: every area zeroed back to "no records".
    Opened again = reopen(origin, cow, nullptr);
    QCOMPARE(again.a->status().exceptions, uint64_t(0));
    QCOMPARE(QString::fromStdString(again.a->status().kernelStatusLine()), QString("16/4800 16"));
}

void TestMerge::refusals_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("code");
    QTest::newRow("transient store") << "transient" << int(ErrorCode::Unsupported);
    QTest::newRow("invalid snapshot") << "invalid" << int(ErrorCode::Invalidated);
    QTest::newRow("overflowed snapshot") << "overflow" << int(ErrorCode::NoSpace);
    QTest::newRow("snapshot shorter than the origin") << "short" << int(ErrorCode::InvalidArgument);
    QTest::newRow("exception beyond the origin") << "beyond" << int(ErrorCode::Corruption);
    QTest::newRow("chunk larger than the origin") << "tiny-origin" << int(ErrorCode::InvalidArgument);
    QTest::newRow("snapshot of another origin") << "foreign" << int(ErrorCode::InvalidArgument);
    QTest::newRow("second merge into one origin") << "second" << int(ErrorCode::Busy);
}

void TestMerge::refusals() {
    QFETCH(QString, kind);
    QFETCH(int, code);
    uint64_t originBytes = kind == "tiny-origin" ? 8192 : 256 * K4;
    auto originMem = std::make_shared<MemoryDevice>(patternBytes(80, 0, originBytes), "origin");
    auto cowMem = std::make_shared<MemoryDevice>(64 * K4, "cow");
    auto origin = Origin::create(originMem);
    std::shared_ptr<Snapshot> snap;
    SnapshotOptions so{.chunkBytes = 4096};
    if (kind == "transient") so.type = StoreType::Transient;
    if (kind == "overflow") so.type = StoreType::PersistentOverflow;
    if (kind == "short") so.sizeBytes = originBytes - K4;
    if (kind == "tiny-origin") so.chunkBytes = 16384;
    if (kind == "beyond") {
        // A store written for a bigger origin: an exception for chunk 300 of a 256-chunk origin.
        cowMem = std::make_shared<MemoryDevice>(kernelStyleStore(8, 64, {{5, 2}, {300, 3}}), "cow");
    }
    if (kind == "invalid") {
        auto img = kernelStyleStore(8, 64, {{5, 2}});
        storeLe32(img.data() + 4, 0);
        cowMem = std::make_shared<MemoryDevice>(img, "cow");
    }
    snap = origin->attachSnapshot(cowMem, so).value();
    if (kind != "invalid" && kind != "beyond") LS_QVERIFY_OK(origin->write(0, patternBytes(81, 0, 2 * K4)));
    if (kind == "overflow") {
        for (uint64_t c = 0; c < 200 && snap->status().state == SnapshotState::Valid; ++c) (void)snap->write(c * K4, patternBytes(82, 0, K4));
        QCOMPARE(snap->status().state, SnapshotState::Overflow);
    }
    std::shared_ptr<Origin> target = origin;
    if (kind == "foreign") target = Origin::create(std::make_shared<MemoryDevice>(originBytes, "other-origin"));
    std::shared_ptr<SnapshotMerge> first;
    if (kind == "second") {
        auto cow2 = std::make_shared<MemoryDevice>(64 * K4, "cow2");
        auto snap2 = origin->attachSnapshot(cow2, so).value();
        first = SnapshotMerge::begin(origin, snap2).value();
    }
    auto originBefore = readAll(*originMem);
    auto cowBefore = readAll(*cowMem);
    auto r = SnapshotMerge::begin(target, snap);
    QVERIFY(!r.ok());
    QCOMPARE(int(r.error().code), code);
    qInfo("%s", r.error().toString().c_str());
    QVERIFY(QString::fromStdString(r.error().message).startsWith("cannot merge snapshot"));
    QVERIFY2(sameBytes(readAll(*originMem), originBefore), "a refused merge touches nothing");
    QVERIFY(sameBytes(readAll(*cowMem), cowBefore));
    if (kind != "second") QVERIFY(snap->status().state != SnapshotState::Merging);
}

void TestMerge::filesMarkAnUnfinishedMerge() {
    TempDir dir;
    const std::string origin = dir.file("origin.img"), cow = dir.file("snap.cow");
    writeFile(origin, patternBytes(90, 0, 1 << 20));
    LS_QVERIFY_OK(createSnapshotFiles(SnapshotCreateRequest{origin, cow, 1 << 20, 4096}));
    std::vector<std::byte> ref;
    {
        auto opened = openSnapshotFiles(origin, {cow}).value();
        for (uint64_t i = 0; i < 40; ++i) LS_QVERIFY_OK(opened.origin->write(i * 3 * K4, patternBytes(91 + i, 0, 2 * K4)));
        ref = readAll(*opened.snapshots[0]->device());
    }
    {
        auto files = openMergeFiles(origin, cow, {});
        LS_QVERIFY_OK(files);
        QVERIFY(!files.value().resumed);
        auto* merge = files.value().merge.get();
        auto collector = std::make_shared<Collector>();
        files.value().opened.origin->events()->addListener(collector);
        collector->onMerge = [&](const Event& e) {
            if (e.kind == EventKind::MergeBatch && e.seq == 3) merge->stop();
        };
        auto outcome = files.value().run();
        LS_QVERIFY_OK(outcome);
        QCOMPARE(outcome.value(), MergeOutcome::Stopped);
    }
    // Interrupted: every other use of the snapshot is refused; subject and detail say what to finish
    // (the CLI turns them into the command, core names none).
    auto refused = openSnapshotFiles(origin, {cow});
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, ErrorCode::Busy);
    QCOMPARE(refused.error().detail, std::string("merge-unfinished"));
    QVERIFY(refused.error().message.find("loopsnapctl") == std::string::npos);
    auto inspected = inspectSnapshotStore(cow);
    LS_QVERIFY_OK(inspected);
    QCOMPARE(inspected.value().status.state, SnapshotState::Merging);
    {
        auto files = openMergeFiles(origin, cow, {});
        LS_QVERIFY_OK(files);
        QVERIFY(files.value().resumed);
        auto outcome = files.value().run();
        LS_QVERIFY_OK(outcome);
        QCOMPARE(outcome.value(), MergeOutcome::Finished);
    }
    QVERIFY(sameBytes(readFile(origin), ref));
    auto after = openSnapshotFiles(origin, {cow});
    LS_QVERIFY_OK(after);  // an ordinary, empty snapshot again
    QCOMPARE(after.value().snapshots[0]->status().exceptions, uint64_t(0));
    QCOMPARE(inspectSnapshotStore(cow).value().status.state, SnapshotState::Valid);
}

QTEST_GUILESS_MAIN(TestMerge)
#include "tst_merge.moc"
