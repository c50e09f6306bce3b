// The kernel's dm-snapshot through the kernel backend: snapshot-origin + snapshot over loop
// devices. Runs inside scripts/test-kernel.sh's VM.
#include <fcntl.h>
#include <unistd.h>

#include <QtTest>
#include <memory>
#include <set>

#include "core/linux/loop_device.h"
#include "core/snapshot/snapshot_files.h"
#include "kernel_test_support.h"
#include "support/test_support.h"

using namespace loopsnap;
using loopsnap::kernel::OriginDevice;
using loopsnap::kernel::SnapshotDevice;
using loopsnap::kernel::SnapshotRequest;

Q_DECLARE_METATYPE(loopsnap::StoreType)

namespace {

constexpr uint64_t KiB = 1024, MiB = 1024 * 1024;

void apply(std::vector<std::byte>& image, uint64_t off, const std::vector<std::byte>& data) {
    std::copy(data.begin(), data.end(), image.begin() + off);
}

}  // namespace

class TestKernelSnapshot : public QObject {
    Q_OBJECT
    std::unique_ptr<test::TempDir> dir;

    OriginDevice origin(const std::string& path, uint64_t bytes, uint64_t seed) {
        ktest::makePatternFile(path, bytes, seed);
        auto o = kernel::activateOrigin(ktest::kWorkspace, "o1", path);
        if (!o.ok()) throw std::runtime_error(o.error().toString());
        return o.value();
    }

    Result<SnapshotDevice> snapshot(const OriginDevice& o, const std::string& id, uint64_t cowBytes, uint32_t chunk, StoreType type) {
        return kernel::activateSnapshot(o, ktest::kWorkspace,
                                        SnapshotRequest{id, dir->file(id + ".cow"), true, cowBytes, chunk, type});
    }

private slots:
    void initTestCase() {
        LS_REQUIRE_KERNEL();
        qInfo("dm %s, snapshot %s, snapshot-merge %s", dm::driverVersion()->c_str(), dm::targetVersion("snapshot")->c_str(),
              dm::targetVersion("snapshot-merge")->c_str());
    }
    void init() { dir = std::make_unique<test::TempDir>(); }
    void cleanup() {
        ktest::removeAllDevices();
        dir.reset();
    }

    void freshStatus_data() {
        QTest::addColumn<uint32_t>("chunk");
        QTest::addColumn<StoreType>("type");
        QTest::addColumn<QString>("expected");
        QTest::newRow("4K P") << uint32_t(4 * KiB) << StoreType::Persistent << "16/2048 16";
        QTest::newRow("16K PO") << uint32_t(16 * KiB) << StoreType::PersistentOverflow << "64/2048 64";
        QTest::newRow("64K P") << uint32_t(64 * KiB) << StoreType::Persistent << "256/2048 256";
        QTest::newRow("4K N") << uint32_t(4 * KiB) << StoreType::Transient << "0/2048 0";
    }
    void freshStatus() {
        QFETCH(uint32_t, chunk);
        QFETCH(StoreType, type);
        QFETCH(QString, expected);
        auto o = origin(dir->file("origin.img"), 4 * MiB, 1);
        auto s = snapshot(o, "s1", 1 * MiB, chunk, type);
        LS_QVERIFY_OK(s);
        auto st = kernel::snapshotStatus(s->name);
        LS_QVERIFY_OK(st);
        QCOMPARE(QString::fromStdString(st->kernelStatusLine()), expected);
        QCOMPARE(st->exceptions, uint64_t(0));
        // The snapshot reads as the origin; its device is where the name says.
        QCOMPARE(s->path(), "/dev/mapper/loopsnap-kt-snap-s1");
        QVERIFY(ktest::readWholeDevice(s->path()) == test::patternBytes(1, 0, 4 * MiB));
        if (type != StoreType::Transient) {
            LS_QVERIFY_OK(kernel::deactivateSnapshot(s.value()));
            auto inspected = inspectSnapshotStore(s->cowFile);  // the userspace engine's reader
            LS_QVERIFY_OK(inspected);
            QCOMPARE(QString::fromStdString(inspected->status.kernelStatusLine()), expected);
        }
    }

    void originWritesCopyEveryChunk_data() {
        QTest::addColumn<uint32_t>("chunk");
        QTest::newRow("4K") << uint32_t(4 * KiB);
        QTest::newRow("16K") << uint32_t(16 * KiB);
        QTest::newRow("64K") << uint32_t(64 * KiB);
    }
    void originWritesCopyEveryChunk() {
        QFETCH(uint32_t, chunk);
        const uint64_t size = 4 * MiB;
        auto o = origin(dir->file("origin.img"), size, 1);
        auto s = snapshot(o, "s1", 2 * MiB, chunk, StoreType::Persistent);
        LS_QVERIFY_OK(s);
        auto original = test::patternBytes(1, 0, size);
        auto expected = original;
        // A write over three chunks, one straddling two chunks at 4K alignment, one at the end.
        struct W { uint64_t off, len; };
        std::vector<W> writes{{0, 3 * uint64_t(chunk)}, {MiB + chunk - 4 * KiB, 8 * KiB}, {size - chunk, chunk}};
        std::set<uint64_t> touched;
        for (size_t i = 0; i < writes.size(); ++i) {
            auto data = test::patternBytes(100 + i, writes[i].off, writes[i].len);
            ktest::writeDevice(o.path(), writes[i].off, data);
            apply(expected, writes[i].off, data);
            for (uint64_t c = writes[i].off / chunk; c <= (writes[i].off + writes[i].len - 1) / chunk; ++c) touched.insert(c);
        }
        QVERIFY(ktest::readWholeDevice(s->path()) == original);
        QVERIFY(ktest::readWholeDevice(o.path()) == expected);
        auto st = kernel::snapshotStatus(s->name);
        LS_QVERIFY_OK(st);
        QCOMPARE(st->exceptions, uint64_t(touched.size()));
        QCOMPARE(st->allocatedSectors, st->metadataSectors + touched.size() * (chunk / 512));
    }

    void snapshotWrites() {
        const uint64_t size = 4 * MiB;
        auto o = origin(dir->file("origin.img"), size, 2);
        auto s = snapshot(o, "s1", 1 * MiB, 16 * KiB, StoreType::Persistent);
        LS_QVERIFY_OK(s);
        auto view = test::patternBytes(2, 0, size);
        auto data = test::patternBytes(7, 0, 20 * KiB);
        ktest::writeDevice(s->path(), 8 * KiB, data);  // partial first chunk, then part of the second
        apply(view, 8 * KiB, data);
        QVERIFY(ktest::readWholeDevice(s->path()) == view);
        QVERIFY(ktest::readWholeDevice(o.path()) == test::patternBytes(2, 0, size));
        auto st = kernel::snapshotStatus(s->name);
        LS_QVERIFY_OK(st);
        QCOMPARE(st->exceptions, uint64_t(2));
    }

    void overflow_data() {
        QTest::addColumn<StoreType>("type");
        QTest::addColumn<bool>("throughSnapshot");
        QTest::addColumn<QString>("expected");
        QTest::newRow("P origin writes invalidate") << StoreType::Persistent << false << "Invalid";
        QTest::newRow("PO origin writes invalidate") << StoreType::PersistentOverflow << false << "Invalid";
        QTest::newRow("P snapshot writes invalidate") << StoreType::Persistent << true << "Invalid";
        QTest::newRow("PO snapshot writes overflow") << StoreType::PersistentOverflow << true << "Overflow";
    }
    void overflow() {
        QFETCH(StoreType, type);
        QFETCH(bool, throughSnapshot);
        QFETCH(QString, expected);
        const uint64_t size = 1 * MiB;
        auto o = origin(dir->file("origin.img"), size, 3);
        // 64 KiB of 4 KiB chunks: header, one metadata chunk and 14 data chunks.
        auto s = snapshot(o, "s1", 64 * KiB, 4 * KiB, type);
        LS_QVERIFY_OK(s);
        auto data = test::patternBytes(9, 0, 20 * 4 * KiB);
        int err = ktest::tryWriteDevice(throughSnapshot ? s->path() : o.path(), 0, data);
        auto st = kernel::snapshotStatus(s->name);
        LS_QVERIFY_OK(st);
        QCOMPARE(QString::fromStdString(st->kernelStatusLine()), expected);
        if (!throughSnapshot) {
            QCOMPARE(err, 0);  // a failing snapshot never fails the origin
            QVERIFY(ktest::readDevice(o.path(), 0, data.size()) == data);
        } else {
            QVERIFY(err != 0);  // the snapshot write that did not fit fails
            QVERIFY(ktest::readWholeDevice(o.path()) == test::patternBytes(3, 0, size));
        }
        if (expected == "Invalid") {
            // Invalid is written to the header: the userspace engine reads it back as final.
            LS_QVERIFY_OK(kernel::deactivateSnapshot(s.value()));
            auto inspected = inspectSnapshotStore(s->cowFile);
            LS_QVERIFY_OK(inspected);
            QCOMPARE(inspected->valid, uint32_t(0));
            QCOMPARE(QString::fromStdString(inspected->status.kernelStatusLine()), QString("Invalid"));
        }
    }

    void twoSnapshotsOfOneOrigin() {
        const uint64_t size = 4 * MiB;
        auto o = origin(dir->file("origin.img"), size, 4);
        auto a = snapshot(o, "a", 2 * MiB, 4 * KiB, StoreType::Persistent);
        LS_QVERIFY_OK(a);
        auto image = test::patternBytes(4, 0, size);
        auto first = test::patternBytes(11, 0, 256 * KiB);
        ktest::writeDevice(o.path(), 512 * KiB, first);
        auto afterFirst = image;
        apply(afterFirst, 512 * KiB, first);
        // The second snapshot joins an active origin (suspended around it) with its own chunk size.
        auto b = snapshot(o, "b", 2 * MiB, 64 * KiB, StoreType::PersistentOverflow);
        LS_QVERIFY_OK(b);
        auto second = test::patternBytes(12, 0, 384 * KiB);  // spans six 64K chunks of b
        ktest::writeDevice(o.path(), 448 * KiB, second);
        auto final = afterFirst;
        apply(final, 448 * KiB, second);
        QVERIFY(ktest::readWholeDevice(a->path()) == image);
        QVERIFY(ktest::readWholeDevice(b->path()) == afterFirst);
        QVERIFY(ktest::readWholeDevice(o.path()) == final);
        auto sb = kernel::snapshotStatus(b->name);
        LS_QVERIFY_OK(sb);
        QCOMPARE(sb->exceptions, uint64_t(6));  // 448K..832K: chunks 7..12, every one copied
    }

    void removeReleasesEverything() {
        auto o = origin(dir->file("origin.img"), 2 * MiB, 5);
        auto s = snapshot(o, "s1", 1 * MiB, 16 * KiB, StoreType::Persistent);
        LS_QVERIFY_OK(s);
        QCOMPARE(ktest::loopsOf({s->cowFile}).size(), size_t(1));
        auto info = loopDeviceInfo(s->cowBacking);
        LS_QVERIFY_OK(info);
        QVERIFY(info->autoclear);
        QVERIFY(info->directIo);  // ext4 in the VM allows direct I/O
        LS_QVERIFY_OK(kernel::deactivateSnapshot(s.value()));
        QVERIFY(!dm::deviceExists(s->name));
        QVERIFY(ktest::loopsOf({s->cowFile}).empty());  // autoclear: gone with the table
        auto cowPrint = ktest::fingerprint(s->cowFile);
        ktest::writeDevice(o.path(), 0, test::patternBytes(13, 0, 64 * KiB));
        QCOMPARE(ktest::fingerprint(s->cowFile), cowPrint);
        LS_QVERIFY_OK(kernel::deactivateOrigin(o));
        QVERIFY(!dm::deviceExists(o.name));
        QVERIFY(ktest::loopsOf({o.file}).empty());
        QVERIFY(ktest::ourDevices().empty());
        // The origin file holds what was written through the device.
        QVERIFY(test::readFile(o.file) == [] {
            auto v = test::patternBytes(5, 0, 2 * MiB);
            apply(v, 0, test::patternBytes(13, 0, 64 * KiB));
            return v;
        }());
    }

    void badInputChangesNothing_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("detail");
        QTest::newRow("missing origin file") << "missing-origin" << int(ErrorCode::NotFound) << "missing-file";
        QTest::newRow("missing store") << "missing-cow" << int(ErrorCode::NotFound) << "missing-file";
        QTest::newRow("store of another size") << "other-size" << int(ErrorCode::InvalidArgument) << "size-mismatch";
        QTest::newRow("origin file bound elsewhere") << "origin-in-use" << int(ErrorCode::Busy) << "in-use";
        QTest::newRow("store bound elsewhere") << "cow-in-use" << int(ErrorCode::Busy) << "in-use";
        QTest::newRow("corrupt store") << "corrupt" << int(ErrorCode::Corruption) << "";
    }
    void badInputChangesNothing() {
        QFETCH(QString, kind);
        QFETCH(int, code);
        QFETCH(QString, detail);
        std::string originPath = dir->file("origin.img"), cowPath = dir->file("s.cow");
        ktest::makePatternFile(originPath, 2 * MiB, 6);
        if (kind != "missing-cow") {
            LS_QVERIFY_OK(createSnapshotFiles({originPath, cowPath, 512 * KiB, 16 * KiB, StoreType::Persistent}));
        }
        if (kind == "other-size") ktest::makePatternFile(originPath, 4 * MiB, 6);  // the origin grew
        if (kind == "corrupt") {
            auto bytes = test::readFile(cowPath);
            bytes[0] = std::byte{0x42};
            test::writeFile(cowPath, bytes);
        }
        std::string foreignLoop;
        if (kind == "origin-in-use" || kind == "cow-in-use") {
            auto l = attachLoopDevice(kind == "origin-in-use" ? originPath : cowPath);
            LS_QVERIFY_OK(l);
            foreignLoop = l.value();
        }
        auto devicesBefore = ktest::ourDevices();
        auto loopsBefore = ktest::loopsOf({originPath, cowPath});
        auto originPrint = ktest::fingerprint(originPath), cowPrint = ktest::fingerprint(cowPath);

        Status result = [&]() -> Status {
            std::string o = kind == "missing-origin" ? dir->file("nothing.img") : originPath;
            LS_ASSIGN(OriginDevice od, kernel::activateOrigin(ktest::kWorkspace, "o1", o));
            auto s = kernel::activateSnapshot(od, ktest::kWorkspace, SnapshotRequest{"s1", cowPath});
            if (!s.ok()) {
                // The origin came up for this request: take it down, then compare.
                (void)kernel::deactivateOrigin(od);
                return std::move(s).error();
            }
            return {};
        }();
        auto loopsAfter = ktest::loopsOf({originPath, cowPath});
        if (!foreignLoop.empty()) LS_QVERIFY_OK(detachLoopDevice(foreignLoop));
        QVERIFY(!result.ok());
        QCOMPARE(int(result.error().code), code);
        if (!detail.isEmpty()) QCOMPARE(QString::fromStdString(result.error().detail), detail);
        QVERIFY(!result.error().subject.empty());
        QCOMPARE(ktest::ourDevices(), devicesBefore);
        QCOMPARE(loopsAfter, loopsBefore);
        QCOMPARE(ktest::fingerprint(originPath), originPrint);
        QCOMPARE(ktest::fingerprint(cowPath), cowPrint);
    }

    void devicesInUseStay() {
        auto o = origin(dir->file("origin.img"), 2 * MiB, 8);
        auto s = snapshot(o, "s1", 1 * MiB, 16 * KiB, StoreType::Persistent);
        LS_QVERIFY_OK(s);
        int fd = ::open(s->path().c_str(), O_RDONLY | O_CLOEXEC);
        QVERIFY(fd >= 0);
        auto removed = kernel::deactivateSnapshot(s.value());
        QVERIFY(!removed.ok());
        QCOMPARE(removed.error().code, ErrorCode::Busy);
        QVERIFY(dm::deviceExists(s->name));
        ::close(fd);
        // An origin with an active snapshot is not taken away under it.
        auto originGone = kernel::deactivateOrigin(o);
        QVERIFY(!originGone.ok());
        QCOMPARE(QString::fromStdString(originGone.error().detail), QString("has-snapshots"));
        QVERIFY(dm::deviceExists(o.name));
        // A second activation of the same snapshot is refused; the first keeps working.
        auto again = kernel::activateSnapshot(o, ktest::kWorkspace, SnapshotRequest{"s1", s->cowFile});
        QVERIFY(!again.ok());
        QCOMPARE(again.error().code, ErrorCode::Busy);
        QVERIFY(ktest::readWholeDevice(s->path()) == test::patternBytes(8, 0, 2 * MiB));
        // Activating the origin again finds the running device.
        auto same = kernel::activateOrigin(ktest::kWorkspace, "o1", o.file);
        LS_QVERIFY_OK(same);
        QCOMPARE(same->backing, o.backing);
    }
};

QTEST_GUILESS_MAIN(TestKernelSnapshot)
#include "tst_kernel_snapshot.moc"
