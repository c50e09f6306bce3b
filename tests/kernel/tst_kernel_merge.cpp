// The kernel's snapshot-merge through the kernel backend, and merges handed between the kernel
// and the userspace engine in both directions. Runs inside scripts/test-kernel.sh's VM.
#include <QtTest>
#include <memory>
#include <thread>

#include "core/linux/loop_device.h"
#include "core/snapshot/snapshot_files.h"
#include "kernel_test_support.h"
#include "support/test_support.h"

using namespace loopsnap;
using loopsnap::kernel::OriginDevice;
using loopsnap::kernel::SnapshotDevice;
using loopsnap::kernel::SnapshotRequest;

namespace {

constexpr uint64_t KiB = 1024, MiB = 1024 * 1024;
constexpr uint64_t kChunk = 4 * KiB;
constexpr const char* kDelayName = "kt-delay-origin";

void apply(std::vector<std::byte>& image, uint64_t off, const std::vector<std::byte>& data) {
    std::copy(data.begin(), data.end(), image.begin() + off);
}

// Stops a userspace merge from its own thread after `after` batches: deterministic, unlike a
// timer racing the merge.
struct StopAfterBatches : EventListener {
    std::atomic<SnapshotMerge*> merge{nullptr};
    uint64_t after;
    explicit StopAfterBatches(uint64_t n) : after(n) {}
    void onEvent(const Event& e) noexcept override {
        if (e.kind == EventKind::MergeBatch && e.seq + 1 >= after)
            if (auto* m = merge.load()) m->stop();
    }
};

}  // namespace

class TestKernelMerge : public QObject {
    Q_OBJECT
    std::unique_ptr<test::TempDir> dir;
    std::optional<HeldLoopDevice> delayLoop;

    // A snapshot with `runs` exceptions that are not consecutive (every other chunk): each one is
    // its own merge batch. Some are snapshot writes, so the snapshot's view is not the original.
    std::vector<std::byte> makeHistory(const OriginDevice& o, const SnapshotDevice& s, uint64_t size, int runs) {
        auto view = test::patternBytes(1, 0, size);
        for (int i = 0; i < runs; ++i) {
            uint64_t off = uint64_t(2 * i) * kChunk;
            auto data = test::patternBytes(50 + i, off, kChunk);
            if (i % 5 == 0) {
                ktest::writeDevice(s.path(), off, data);
                apply(view, off, data);
            } else {
                ktest::writeDevice(o.path(), off, data);
            }
        }
        return view;
    }

    // The origin file seen through dm-delay (writes and flushes 15 ms late), so that a kernel
    // merge of one-chunk batches takes long enough to be interrupted on purpose.
    std::string slowOrigin(const std::string& file) {
        LoopAttachOptions options{.directIo = true, .autoclear = true};
        auto loop = attachHeldLoopDevice(file, options);
        if (!loop.ok()) throw std::runtime_error(loop.error().toString());
        uint64_t sectors = ktest::deviceBytes(loop->path()) / 512;
        dm::TableLine line{0, sectors, "delay", loop->path() + " 0 0 " + loop->path() + " 0 15"};
        auto st = dm::createDevice(kDelayName, "", {line});
        if (!st.ok()) throw std::runtime_error(st.error().toString());
        delayLoop.emplace(std::move(loop).value());
        return std::string("/dev/mapper/") + kDelayName;
    }

    void dropSlowOrigin() {
        if (dm::deviceExists(kDelayName)) LS_QVERIFY_OK(dm::removeDevice(kDelayName));
        delayLoop.reset();
    }

private slots:
    void initTestCase() { LS_REQUIRE_KERNEL(); }
    void init() { dir = std::make_unique<test::TempDir>(); }
    void cleanup() {
        ktest::removeAllDevices();
        if (dm::deviceExists(kDelayName)) (void)dm::removeDevice(kDelayName);
        delayLoop.reset();
        dir.reset();
    }

    void mergeToTheEnd() {
        const uint64_t size = 4 * MiB;
        std::string originFile = dir->file("origin.img");
        ktest::makePatternFile(originFile, size, 1);
        auto o = kernel::activateOrigin(ktest::kWorkspace, "o1", originFile);
        LS_QVERIFY_OK(o);
        auto s = kernel::activateSnapshot(o.value(), ktest::kWorkspace,
                                          SnapshotRequest{"s1", dir->file("s1.cow"), true, 2 * MiB, 4 * KiB, StoreType::Persistent});
        LS_QVERIFY_OK(s);
        auto view = makeHistory(o.value(), s.value(), size, 40);
        // A second snapshot taken later keeps its own contents through the merge.
        auto t = kernel::activateSnapshot(o.value(), ktest::kWorkspace,
                                          SnapshotRequest{"t1", dir->file("t1.cow"), true, 2 * MiB, 16 * KiB, StoreType::Persistent});
        LS_QVERIFY_OK(t);
        auto originBefore = ktest::readWholeDevice(o->path());

        auto merging = kernel::beginMerge(o.value(), s.value());
        LS_QVERIFY_OK(merging);
        QVERIFY(merging->merging);
        QVERIFY(!dm::deviceExists(s->name));
        auto mark = kernel::readStoreSettings(s->cowFile);
        LS_QVERIFY_OK(mark);
        QVERIFY(mark->merging);
        // From the start the origin presents the snapshot.
        QVERIFY(ktest::readWholeDevice(merging->path()) == view);
        // A write during the merge lands, and is copied into the other snapshot first.
        auto during = test::patternBytes(77, 0, 8 * KiB);
        ktest::writeDevice(merging->path(), 1 * MiB, during);
        apply(view, 1 * MiB, during);

        int progressCalls = 0;
        auto done = kernel::waitForMerge(merging.value(), std::chrono::seconds(60), [&](const SnapshotStatus&) { ++progressCalls; });
        LS_QVERIFY_OK(done);
        QCOMPARE(done->allocatedSectors, done->metadataSectors);
        QVERIFY(progressCalls >= 1);
        auto finished = kernel::finishMerge(merging.value());
        LS_QVERIFY_OK(finished);
        auto table = dm::deviceTable(o->name);
        LS_QVERIFY_OK(table);
        QCOMPARE(QString::fromStdString(table->front().type), QString("snapshot-origin"));
        QVERIFY(ktest::readWholeDevice(o->path()) == view);
        QVERIFY(ktest::readWholeDevice(t->path()) == originBefore);
        mark = kernel::readStoreSettings(s->cowFile);
        LS_QVERIFY_OK(mark);
        QVERIFY(!mark->merging);
        // The store is an empty snapshot again; the origin file holds the snapshot's contents.
        LS_QVERIFY_OK(kernel::deactivateSnapshot(t.value()));
        LS_QVERIFY_OK(kernel::deactivateOrigin(finished.value()));
        auto store = inspectSnapshotStore(s->cowFile);
        LS_QVERIFY_OK(store);
        QVERIFY(store->exceptions.empty());
        QCOMPARE(QString::fromStdString(store->status.kernelStatusLine()), QString("16/4096 16"));
        QVERIFY(test::readFile(originFile) == view);
    }

    void mergeRefusals() {
        std::string originFile = dir->file("origin.img");
        ktest::makePatternFile(originFile, 2 * MiB, 1);
        auto o = kernel::activateOrigin(ktest::kWorkspace, "o1", originFile);
        LS_QVERIFY_OK(o);
        auto n = kernel::activateSnapshot(o.value(), ktest::kWorkspace,
                                          SnapshotRequest{"n1", dir->file("n1.cow"), true, 1 * MiB, 4 * KiB, StoreType::Transient});
        LS_QVERIFY_OK(n);
        auto refused = kernel::beginMerge(o.value(), n.value());
        QVERIFY(!refused.ok());
        QCOMPARE(QString::fromStdString(refused.error().detail), QString("merge-transient"));
        auto p = kernel::activateSnapshot(o.value(), ktest::kWorkspace,
                                          SnapshotRequest{"p1", dir->file("p1.cow"), true, 64 * KiB, 4 * KiB, StoreType::Persistent});
        LS_QVERIFY_OK(p);
        ktest::writeDevice(o->path(), 0, test::patternBytes(3, 0, 80 * KiB));  // overfills: Invalid
        auto sidecar = ktest::fingerprint(p->cowFile + ".loopsnap");
        refused = kernel::beginMerge(o.value(), p.value());
        QVERIFY(!refused.ok());
        QCOMPARE(QString::fromStdString(refused.error().detail), QString("merge-invalid-store"));
        QCOMPARE(ktest::fingerprint(p->cowFile + ".loopsnap"), sidecar);  // no mark written
        QVERIFY(dm::deviceExists(p->name));
    }

    void kernelMergeInterruptedThenResumed_data() {
        QTest::addColumn<bool>("resumeInKernel");
        QTest::newRow("resumed by the kernel") << true;
        QTest::newRow("finished by the userspace engine") << false;
    }
    void kernelMergeInterruptedThenResumed() {
        QFETCH(bool, resumeInKernel);
        const uint64_t size = 2 * MiB;
        std::string originFile = dir->file("origin.img");
        ktest::makePatternFile(originFile, size, 1);
        std::string cowFile = dir->file("s1.cow");
        LS_QVERIFY_OK(createSnapshotFiles({originFile, cowFile, 1 * MiB, 4 * KiB, StoreType::Persistent}));
        std::string slow = slowOrigin(originFile);
        auto o = kernel::activateOrigin(ktest::kWorkspace, "o1", slow);
        LS_QVERIFY_OK(o);
        auto s = kernel::activateSnapshot(o.value(), ktest::kWorkspace, SnapshotRequest{"s1", cowFile});
        LS_QVERIFY_OK(s);
        const int runs = 60;
        auto view = makeHistory(o.value(), s.value(), size, runs);
        auto merging = kernel::beginMerge(o.value(), s.value());
        LS_QVERIFY_OK(merging);
        // Interrupt once a few batches are merged: deactivation suspends the merge between batches.
        uint64_t startAllocated = 0;
        auto partial = kernel::waitForMerge(merging.value(), std::chrono::seconds(30), [&](const SnapshotStatus& st) {
            if (!startAllocated) startAllocated = st.allocatedSectors;
        }, [&] {
            auto st = kernel::snapshotStatus(merging->name);
            return st.ok() && st->exceptions <= uint64_t(runs - 3);
        });
        LS_QVERIFY_OK(partial);
        LS_QVERIFY_OK(kernel::deactivateOrigin(merging.value()));
        auto left = inspectSnapshotStore(cowFile);
        LS_QVERIFY_OK(left);
        QVERIFY2(!left->exceptions.empty() && left->exceptions.size() < size_t(runs),
                 qPrintable(QString("records left after the interruption: %1").arg(left->exceptions.size())));
        QVERIFY(left->merging);  // the mark outlives the devices
        if (resumeInKernel) {
            // Activation finds the mark and comes up merging: the kernel goes on where it stopped.
            auto again = kernel::activateOrigin(ktest::kWorkspace, "o1", slow, {cowFile});
            LS_QVERIFY_OK(again);
            QVERIFY(again->merging);
            QVERIFY(ktest::readWholeDevice(again->path()) == view);
            auto done = kernel::waitForMerge(again.value(), std::chrono::seconds(60));
            LS_QVERIFY_OK(done);
            LS_QVERIFY_OK(kernel::finishMerge(again.value()));
            LS_QVERIFY_OK(dm::removeDevice(again->name));
            dropSlowOrigin();
        } else {
            dropSlowOrigin();
            auto merge = openMergeFiles(originFile, cowFile, {});
            LS_QVERIFY_OK(merge);
            QVERIFY(merge->resumed);
            auto outcome = merge->run();
            LS_QVERIFY_OK(outcome);
            QCOMPARE(outcome.value(), MergeOutcome::Finished);
        }
        QVERIFY(test::readFile(originFile) == view);
        auto store = inspectSnapshotStore(cowFile);
        LS_QVERIFY_OK(store);
        QVERIFY(store->exceptions.empty());
        QVERIFY(!store->merging);
    }

    void userspaceMergeFinishedByTheKernel() {
        const uint64_t size = 2 * MiB;
        std::string originFile = dir->file("origin.img"), cowFile = dir->file("s1.cow");
        ktest::makePatternFile(originFile, size, 1);
        LS_QVERIFY_OK(createSnapshotFiles({originFile, cowFile, 1 * MiB, 4 * KiB, StoreType::Persistent}));
        std::vector<std::byte> view = test::patternBytes(1, 0, size);
        {
            auto opened = openSnapshotFiles(originFile, {cowFile});
            LS_QVERIFY_OK(opened);
            for (int i = 0; i < 30; ++i) {
                uint64_t off = uint64_t(2 * i) * kChunk;
                auto data = test::patternBytes(90 + i, off, kChunk);
                if (i % 4 == 0) {
                    LS_QVERIFY_OK(opened->snapshots[0]->write(off, data));
                    apply(view, off, data);
                } else {
                    LS_QVERIFY_OK(opened->origin->write(off, data));
                }
            }
            LS_QVERIFY_OK(opened->origin->flush());
            LS_QVERIFY_OK(opened->snapshots[0]->flush());
        }
        {
            auto stopper = std::make_shared<StopAfterBatches>(5);
            auto events = std::make_shared<EventSink>();
            events->addListener(stopper);
            SnapshotOpenOptions options;
            options.events = events;
            auto merge = openMergeFiles(originFile, cowFile, {}, options);
            LS_QVERIFY_OK(merge);
            stopper->merge = merge->merge.get();
            auto outcome = merge->run();
            LS_QVERIFY_OK(outcome);
            QCOMPARE(outcome.value(), MergeOutcome::Stopped);
        }
        auto left = inspectSnapshotStore(cowFile);
        LS_QVERIFY_OK(left);
        QVERIFY(left->exceptions.size() >= 24 && left->exceptions.size() <= 26);  // stopped after about five batches
        QVERIFY(left->merging);
        // The kernel takes the half-merged store over on activation and finishes it.
        auto o = kernel::activateOrigin(ktest::kWorkspace, "o1", originFile, {cowFile});
        LS_QVERIFY_OK(o);
        QVERIFY(o->merging);
        QVERIFY(ktest::readWholeDevice(o->path()) == view);
        auto done = kernel::waitForMerge(o.value(), std::chrono::seconds(60));
        LS_QVERIFY_OK(done);
        auto plain = kernel::finishMerge(o.value());
        LS_QVERIFY_OK(plain);
        LS_QVERIFY_OK(kernel::deactivateOrigin(plain.value()));
        QVERIFY(test::readFile(originFile) == view);
        auto store = inspectSnapshotStore(cowFile);
        LS_QVERIFY_OK(store);
        QVERIFY(store->exceptions.empty());
        QVERIFY(!store->merging);
        // ...and the userspace engine opens it as an ordinary empty snapshot again.
        auto reopened = openSnapshotFiles(originFile, {cowFile});
        LS_QVERIFY_OK(reopened);
        QCOMPARE(reopened->snapshots[0]->status().exceptions, uint64_t(0));
    }
};

QTEST_GUILESS_MAIN(TestKernelMerge)
#include "tst_kernel_merge.moc"
