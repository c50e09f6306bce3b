// The kernel and the userspace engine on the same COW store: a store written by one opens in the
// other with identical contents and status. (Merges handed over between them:
// tst_kernel_merge.) Runs inside scripts/test-kernel.sh's VM.
#include <QtTest>
#include <memory>
#include <random>

#include "core/snapshot/snapshot_files.h"
#include "kernel_test_support.h"
#include "support/test_support.h"

using namespace loopsnap;
using loopsnap::kernel::SnapshotRequest;

namespace {
constexpr uint64_t KiB = 1024, MiB = 1024 * 1024;
constexpr uint64_t kOriginBytes = 4 * MiB;

// A seeded history of origin and snapshot writes of 1..3 chunks (some not chunk-aligned).
struct Op {
    bool toSnapshot;
    uint64_t offset;
    std::vector<std::byte> data;
};
std::vector<Op> history(uint64_t seed, uint32_t chunk, int ops) {
    std::mt19937_64 rng(seed);
    std::vector<Op> out;
    for (int i = 0; i < ops; ++i) {
        uint64_t len = (1 + rng() % 3) * chunk - (rng() % 2 ? 4 * KiB * (chunk > 4 * KiB) : 0);
        uint64_t off = (rng() % (kOriginBytes / chunk - 3)) * chunk + (rng() % 2 ? 0 : 4 * KiB * (chunk > 4 * KiB));
        out.push_back({rng() % 4 == 0, off, test::patternBytes(seed * 1000 + i, off, len)});
    }
    return out;
}
}  // namespace

class TestKernelCrosscheck : public QObject {
    Q_OBJECT
    std::unique_ptr<test::TempDir> dir;

    static void storeRows() {
        QTest::addColumn<uint32_t>("chunk");
        QTest::addColumn<int>("ops");
        // 4K chunks: 256 records per area, so 300 writes cross into a second metadata area.
        QTest::newRow("4K, two areas") << uint32_t(4 * KiB) << 300;
        QTest::newRow("64K") << uint32_t(64 * KiB) << 40;
    }

private slots:
    void initTestCase() { LS_REQUIRE_KERNEL(); }
    void init() { dir = std::make_unique<test::TempDir>(); }
    void cleanup() {
        ktest::removeAllDevices();
        dir.reset();
    }

    void userspaceStoreActivatesInTheKernel_data() { storeRows(); }
    void userspaceStoreActivatesInTheKernel() {
        QFETCH(uint32_t, chunk);
        QFETCH(int, ops);
        std::string originFile = dir->file("origin.img"), cowFile = dir->file("s.cow");
        ktest::makePatternFile(originFile, kOriginBytes, 3);
        LS_QVERIFY_OK(createSnapshotFiles({originFile, cowFile, 4 * MiB, chunk, StoreType::Persistent}));
        std::vector<std::byte> view;
        std::string statusLine;
        {
            auto opened = openSnapshotFiles(originFile, {cowFile});
            LS_QVERIFY_OK(opened);
            auto& snap = opened->snapshots[0];
            for (const auto& op : history(7, chunk, ops))
                LS_QVERIFY_OK(op.toSnapshot ? snap->write(op.offset, op.data) : opened->origin->write(op.offset, op.data));
            LS_QVERIFY_OK(opened->origin->flush());
            LS_QVERIFY_OK(snap->flush());
            view.resize(kOriginBytes);
            LS_QVERIFY_OK(snap->read(0, view));
            statusLine = snap->status().kernelStatusLine();
        }
        auto originAfter = test::readFile(originFile);
        auto o = kernel::activateOrigin(ktest::kWorkspace, "o1", originFile);
        LS_QVERIFY_OK(o);
        auto s = kernel::activateSnapshot(o.value(), ktest::kWorkspace, SnapshotRequest{"s1", cowFile});
        LS_QVERIFY_OK(s);
        auto st = kernel::snapshotStatus(s->name);
        LS_QVERIFY_OK(st);
        QCOMPARE(QString::fromStdString(st->kernelStatusLine()), QString::fromStdString(statusLine));
        // The 4K row's records fill the first metadata area: the kernel loads the second one too.
        if (chunk == 4 * KiB) QVERIFY(st->metadataSectors >= 3 * chunk / 512);
        QVERIFY(ktest::readWholeDevice(s->path()) == view);
        QVERIFY(ktest::readWholeDevice(o->path()) == originAfter);
    }

    void kernelStoreOpensInUserspace_data() { storeRows(); }
    void kernelStoreOpensInUserspace() {
        QFETCH(uint32_t, chunk);
        QFETCH(int, ops);
        std::string originFile = dir->file("origin.img"), cowFile = dir->file("s.cow");
        ktest::makePatternFile(originFile, kOriginBytes, 4);
        auto o = kernel::activateOrigin(ktest::kWorkspace, "o1", originFile);
        LS_QVERIFY_OK(o);
        auto s = kernel::activateSnapshot(o.value(), ktest::kWorkspace,
                                          SnapshotRequest{"s1", cowFile, true, 4 * MiB, chunk, StoreType::Persistent});
        LS_QVERIFY_OK(s);
        for (const auto& op : history(8, chunk, ops)) ktest::writeDevice(op.toSnapshot ? s->path() : o->path(), op.offset, op.data);
        auto view = ktest::readWholeDevice(s->path());
        auto st = kernel::snapshotStatus(s->name);
        LS_QVERIFY_OK(st);
        QVERIFY(st->exceptions > 0);
        LS_QVERIFY_OK(kernel::deactivateSnapshot(s.value()));
        LS_QVERIFY_OK(kernel::deactivateOrigin(o.value()));

        auto inspected = inspectSnapshotStore(cowFile);
        LS_QVERIFY_OK(inspected);
        QCOMPARE(inspected->exceptions.size(), size_t(st->exceptions));
        auto opened = openSnapshotFiles(originFile, {cowFile});
        LS_QVERIFY_OK(opened);
        auto& snap = opened->snapshots[0];
        QCOMPARE(QString::fromStdString(snap->status().kernelStatusLine()), QString::fromStdString(st->kernelStatusLine()));
        std::vector<std::byte> userspaceView(kOriginBytes);
        LS_QVERIFY_OK(snap->read(0, userspaceView));
        QVERIFY(userspaceView == view);
    }
};

QTEST_GUILESS_MAIN(TestKernelCrosscheck)
#include "tst_kernel_crosscheck.moc"
