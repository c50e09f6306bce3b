// KernelBackend behind the facade's Backend seam (core/backend/backend.h): the same calls the
// userspace backends answer, carried out with the kernel's targets. Runs inside the VM.
#include <QtTest>
#include <memory>

#include "core/backend/backend.h"
#include "core/linux/kernel_backend.h"
#include "core/snapshot/snapshot_files.h"
#include "kernel_test_support.h"
#include "support/test_support.h"

using namespace loopsnap;

namespace {
constexpr uint64_t KiB = 1024, MiB = 1024 * 1024;
}

class TestKernelBackend : public QObject {
    Q_OBJECT
    std::unique_ptr<test::TempDir> dir;
    std::unique_ptr<Backend> backend;

private slots:
    void initTestCase() { LS_REQUIRE_KERNEL(); }
    void init() {
        dir = std::make_unique<test::TempDir>();
        backend = makeKernelBackend(BackendContext{}, ktest::kWorkspace);
    }
    void cleanup() {
        backend.reset();
        ktest::removeAllDevices();
        dir.reset();
    }

    void snapshotLifecycleAndMerge() {
        const uint64_t size = 2 * MiB;
        std::string origin = dir->file("origin.img"), cow = dir->file("s.cow");
        ktest::makePatternFile(origin, size, 1);
        QCOMPARE(backend->kind(), BackendKind::Kernel);
        auto created = backend->createSnapshot(CreateSnapshotRequest{origin, cow, 1 * MiB, 4 * KiB, "P"});
        LS_QVERIFY_OK(created);
        QCOMPARE(QString::fromStdString(created->status), QString("16/2048 16"));
        QVERIFY(!backend->originOpen(origin));
        LS_QVERIFY_OK(backend->openOrigin(origin));
        QVERIFY(backend->originOpen(origin));
        LS_QVERIFY_OK(backend->attachSnapshot(origin, cow));
        LS_QVERIFY_OK(backend->attachSnapshot(origin, cow));  // idempotent
        QCOMPARE(backend->attachedSnapshots(origin), std::vector<std::string>{backend->canonicalPath(cow)});
        auto name = kernelDeviceName(ktest::kWorkspace, "snap", cow);
        LS_QVERIFY_OK(name);
        QVERIFY(dm::deviceExists(name.value()));

        // I/O through the handles the engine hands out: the /dev/mapper devices.
        auto od = backend->originDevice(origin);
        LS_QVERIFY_OK(od);
        auto data = test::patternBytes(5, 0, 12 * KiB);
        LS_QVERIFY_OK(od.value()->write(8 * KiB, data));
        LS_QVERIFY_OK(od.value()->flush());
        auto sd = backend->snapshotDevice(cow);
        LS_QVERIFY_OK(sd);
        QVERIFY(test::readAll(*sd.value()) == test::patternBytes(1, 0, size));
        auto view = test::patternBytes(1, 0, size);
        auto mine = test::patternBytes(6, 0, 4 * KiB);
        LS_QVERIFY_OK(sd.value()->write(64 * KiB, mine));
        LS_QVERIFY_OK(sd.value()->flush());
        std::copy(mine.begin(), mine.end(), view.begin() + 64 * KiB);
        od = Error{ErrorCode::Aborted, ""};
        sd = Error{ErrorCode::Aborted, ""};

        auto st = backend->snapshotStatus(origin, cow);
        LS_QVERIFY_OK(st);
        QVERIFY(st->open);
        QCOMPARE(st->exceptions, uint64_t(4));  // origin 8K..20K: chunks 2..4; the snapshot write: chunk 16
        QCOMPARE(st->state, DeviceState::Valid);

        auto merge = backend->beginMerge(origin, cow);
        LS_QVERIFY_OK(merge);
        QCOMPARE(QString(merge.value()->unit()), QString("chunks"));
        auto outcome = merge.value()->run();
        LS_QVERIFY_OK(outcome);
        QCOMPARE(outcome.value(), OperationOutcome::Finished);
        QCOMPARE(merge.value()->counters().done.load(), merge.value()->counters().total.load());
        LS_QVERIFY_OK(backend->closeOrigin(origin));
        QVERIFY(!backend->originOpen(origin));
        QVERIFY(ktest::ourDevices().empty());
        QVERIFY(test::readFile(origin) == view);
        auto after = backend->snapshotStatus(origin, cow);
        LS_QVERIFY_OK(after);
        QVERIFY(!after->open);
        QCOMPARE(QString::fromStdString(after->status), QString("16/2048 16"));
        LS_QVERIFY_OK(backend->deleteSnapshotFiles(cow));
        QVERIFY(!backend->exists(cow));
    }

    void devicesOutliveTheBackend() {
        std::string origin = dir->file("origin.img"), cow = dir->file("s.cow");
        ktest::makePatternFile(origin, 1 * MiB, 2);
        LS_QVERIFY_OK(backend->createSnapshot(CreateSnapshotRequest{origin, cow, 512 * KiB, 16 * KiB, "PO"}));
        LS_QVERIFY_OK(backend->openOrigin(origin));
        LS_QVERIFY_OK(backend->attachSnapshot(origin, cow));
        backend = makeKernelBackend(BackendContext{}, ktest::kWorkspace);  // another process, say
        QVERIFY(backend->originOpen(origin));
        QCOMPARE(backend->attachedSnapshots(origin).size(), size_t(1));
        auto st = backend->snapshotStatus(origin, cow);
        LS_QVERIFY_OK(st);
        QVERIFY(st->open);
        QCOMPARE(QString::fromStdString(st->store), QString("PO"));
        auto refused = backend->deleteSnapshotFiles(cow);
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().code, ErrorCode::Busy);
    }

    void cloneHydration() {
        std::string source = dir->file("source.img"), dest = dir->file("dest.img"), meta = dir->file("c.meta");
        ktest::makePatternFile(source, 2 * MiB, 3);
        auto created = backend->createClone(CreateCloneRequest{source, dest, meta, 64 * KiB});
        LS_QVERIFY_OK(created);
        QCOMPARE(created->totalRegions, uint64_t(32));
        QCOMPARE(created->hydratedRegions, uint64_t(0));
        QVERIFY(!backend->cloneOpen(meta));
        auto nbd = backend->createClone(CreateCloneRequest{"nbd+unix:///x?socket=/nope", dir->file("d2"), dir->file("m2"), 64 * KiB});
        QVERIFY(!nbd.ok());
        QCOMPARE(nbd.error().code, ErrorCode::Unsupported);
        auto job = backend->beginHydration(meta, HydrationTuning{4, 2});
        LS_QVERIFY_OK(job);
        auto outcome = job.value()->run();
        LS_QVERIFY_OK(outcome);
        QCOMPARE(outcome.value(), OperationOutcome::Finished);
        auto st = backend->cloneStatus(meta);
        LS_QVERIFY_OK(st);
        QCOMPARE(st->state, DeviceState::Hydrated);
        QCOMPARE(st->hydrationThreshold, uint32_t(4));
        QCOMPARE(st->hydrationBatchSize, uint32_t(2));
        auto cd = backend->cloneDevice(meta);
        LS_QVERIFY_OK(cd);
        QVERIFY(test::readAll(*cd.value()) == test::patternBytes(3, 0, 2 * MiB));
        cd = Error{ErrorCode::Aborted, ""};
        LS_QVERIFY_OK(backend->closeClone(meta));
        QVERIFY(test::readFile(dest) == test::patternBytes(3, 0, 2 * MiB));
        LS_QVERIFY_OK(backend->deleteCloneFiles(meta, true));
        QVERIFY(!backend->exists(meta) && !backend->exists(dest));
    }
};

QTEST_GUILESS_MAIN(TestKernelBackend)
#include "tst_kernel_backend.moc"
