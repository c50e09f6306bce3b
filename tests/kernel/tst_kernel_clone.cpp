// The kernel's dm-clone through the kernel backend: hydration, its messages, removal, refusals.
// Runs inside scripts/test-kernel.sh's VM (dm-clone.ko is built there from linux-source).
#include <QtTest>
#include <memory>

#include "core/linux/loop_device.h"
#include "kernel_test_support.h"
#include "support/test_support.h"

using namespace loopsnap;
using loopsnap::kernel::CloneRequest;

namespace {
constexpr uint64_t KiB = 1024, MiB = 1024 * 1024;
constexpr uint64_t kRegion = 64 * KiB;

void apply(std::vector<std::byte>& image, uint64_t off, const std::vector<std::byte>& data) {
    std::copy(data.begin(), data.end(), image.begin() + off);
}
}  // namespace

class TestKernelClone : public QObject {
    Q_OBJECT
    std::unique_ptr<test::TempDir> dir;

    CloneRequest request(bool create) {
        CloneRequest rq{"c1", dir->file("source.img"), dir->file("dest.img"), dir->file("clone.meta"), {}, create};
        rq.table.regionSectors = kRegion / 512;
        return rq;
    }
    void makeFiles(uint64_t size) {
        ktest::makePatternFile(dir->file("source.img"), size, 21);
        ktest::makeZeroFile(dir->file("dest.img"), size);
        ktest::makeZeroFile(dir->file("clone.meta"), 4 * MiB);
    }

private slots:
    void initTestCase() {
        LS_REQUIRE_KERNEL();
        qInfo("clone target %s", dm::targetVersion("clone")->c_str());
    }
    void init() { dir = std::make_unique<test::TempDir>(); }
    void cleanup() {
        ktest::removeAllDevices();
        dir.reset();
    }

    void hydrationAndMessages() {
        const uint64_t size = 2 * MiB;
        makeFiles(size);
        auto c = kernel::activateClone(ktest::kWorkspace, request(true));
        LS_QVERIFY_OK(c);
        auto st = kernel::cloneStatus(c->name);
        LS_QVERIFY_OK(st);
        QCOMPARE(st->totalRegions, size / kRegion);
        QCOMPARE(st->hydratedRegions, uint64_t(0));
        QCOMPARE(st->regionSectors, uint32_t(kRegion / 512));
        QVERIFY(!st->hydrationEnabled);
        QCOMPARE(st->metadataBlockSectors, uint32_t(8));
        QCOMPARE(st->totalMetadataBlocks, uint64_t(4 * MiB / 4096));
        // The kernel's line and the userspace type's printing of it agree field for field.
        auto raw = dm::deviceStatus(c->name);
        LS_QVERIFY_OK(raw);
        QCOMPARE(QString::fromStdString(st->kernelLine()), QString::fromStdString(raw->front().params));

        auto expected = test::patternBytes(21, 0, size);
        QVERIFY(ktest::readWholeDevice(c->path()) == expected);  // unhydrated: from the source
        auto partial = test::patternBytes(31, 0, 4 * KiB);
        ktest::writeDevice(c->path(), kRegion + 36 * KiB, partial);  // hydrates region 1 first
        apply(expected, kRegion + 36 * KiB, partial);
        auto whole = test::patternBytes(32, 0, kRegion);
        ktest::writeDevice(c->path(), 3 * kRegion, whole);  // a whole region: no copy needed
        apply(expected, 3 * kRegion, whole);
        st = kernel::cloneStatus(c->name);
        LS_QVERIFY_OK(st);
        QCOMPARE(st->hydratedRegions, uint64_t(2));

        LS_QVERIFY_OK(kernel::setCloneHydrationThreshold(c->name, 8));
        LS_QVERIFY_OK(kernel::setCloneHydrationBatchSize(c->name, 4));
        st = kernel::cloneStatus(c->name);
        LS_QVERIFY_OK(st);
        QCOMPARE(st->hydrationThreshold, uint32_t(8));
        QCOMPARE(st->hydrationBatchSize, uint32_t(4));
        LS_QVERIFY_OK(kernel::setCloneHydration(c->name, true));
        auto done = kernel::waitForHydration(c->name, std::chrono::seconds(60));
        LS_QVERIFY_OK(done);
        QCOMPARE(done->hydratedRegions, done->totalRegions);
        QVERIFY(done->hydrationEnabled);
        LS_QVERIFY_OK(kernel::setCloneHydration(c->name, false));
        st = kernel::cloneStatus(c->name);
        LS_QVERIFY_OK(st);
        QVERIFY(!st->hydrationEnabled);
        QVERIFY(ktest::readWholeDevice(c->path()) == expected);

        LS_QVERIFY_OK(kernel::deactivateClone(c.value()));
        QVERIFY(!dm::deviceExists(c->name));
        QVERIFY(ktest::loopsOf({dir->file("source.img"), dir->file("dest.img"), dir->file("clone.meta")}).empty());
        QVERIFY(test::readFile(dir->file("dest.img")) == expected);  // the destination holds it all
        QVERIFY(test::readFile(dir->file("source.img")) == test::patternBytes(21, 0, size));  // never written

        // Activated again from its metadata, it is still fully hydrated.
        auto again = kernel::activateClone(ktest::kWorkspace, request(false));
        LS_QVERIFY_OK(again);
        st = kernel::cloneStatus(again->name);
        LS_QVERIFY_OK(st);
        QCOMPARE(st->hydratedRegions, st->totalRegions);
    }

    void badMessagesRefused() {
        makeFiles(1 * MiB);
        auto c = kernel::activateClone(ktest::kWorkspace, request(true));
        LS_QVERIFY_OK(c);
        auto zero = kernel::setCloneHydrationThreshold(c->name, 0);
        QVERIFY(!zero.ok());
        QCOMPARE(zero.error().code, ErrorCode::InvalidArgument);
        auto bogus = dm::sendMessage(c->name, "hydration_threshold many");
        QVERIFY(!bogus.ok());
        auto st = kernel::cloneStatus(c->name);
        LS_QVERIFY_OK(st);
        QCOMPARE(st->hydrationThreshold, uint32_t(1));  // unchanged
    }

    void badInputChangesNothing_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("detail");
        QTest::newRow("destination of another size") << "dest-size" << int(ErrorCode::InvalidArgument) << "size-mismatch";
        QTest::newRow("missing metadata") << "missing-meta" << int(ErrorCode::NotFound) << "missing-file";
        QTest::newRow("metadata not empty") << "meta-used" << int(ErrorCode::InvalidArgument) << "meta-not-empty";
        QTest::newRow("destination in use") << "dest-in-use" << int(ErrorCode::Busy) << "in-use";
        QTest::newRow("not a kernel clone") << "no-superblock" << int(ErrorCode::Corruption) << "bad-magic";
    }
    void badInputChangesNothing() {
        QFETCH(QString, kind);
        QFETCH(int, code);
        QFETCH(QString, detail);
        makeFiles(2 * MiB);
        bool create = kind != "no-superblock";
        if (kind == "dest-size") ktest::makeZeroFile(dir->file("dest.img"), 3 * MiB);
        if (kind == "missing-meta") std::remove(dir->file("clone.meta").c_str());
        if (kind == "meta-used") ktest::makePatternFile(dir->file("clone.meta"), 4 * MiB, 5);
        std::optional<std::string> foreign;
        if (kind == "dest-in-use") {
            auto l = attachLoopDevice(dir->file("dest.img"));
            LS_QVERIFY_OK(l);
            foreign = l.value();
        }
        std::vector<std::string> files{dir->file("source.img"), dir->file("dest.img"), dir->file("clone.meta")};
        std::vector<std::string> prints;
        for (auto& f : files) prints.push_back(ktest::fingerprint(f));
        auto loopsBefore = ktest::loopsOf(files);
        auto devicesBefore = ktest::ourDevices();
        auto c = kernel::activateClone(ktest::kWorkspace, request(create));
        auto loopsAfter = ktest::loopsOf(files);
        if (foreign) LS_QVERIFY_OK(detachLoopDevice(*foreign));
        QVERIFY(!c.ok());
        QCOMPARE(int(c.error().code), code);
        QCOMPARE(QString::fromStdString(c.error().detail), detail);
        QCOMPARE(loopsAfter, loopsBefore);
        QCOMPARE(ktest::ourDevices(), devicesBefore);
        for (size_t i = 0; i < files.size(); ++i) QCOMPARE(ktest::fingerprint(files[i]), prints[i]);
    }
};

QTEST_GUILESS_MAIN(TestKernelClone)
#include "tst_kernel_clone.moc"
