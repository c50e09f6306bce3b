// libblkid probing (core/linux/blkid_probe.h): what the wizards and the device tree show.
#include <QtTest>

#include <cstdlib>
#include <fstream>

#include <sys/stat.h>
#include <unistd.h>

#include "core/linux/blkid_probe.h"
#include "support/test_support.h"

using namespace loopsnap;

class TstBlkidProbe : public QObject {
    Q_OBJECT
private slots:
    void ext4ImageHasTypeLabelAndUuid();
    void zeroedImageHasNothing();
    void missingPathIsNotFound();
    void unreadablePathIsAnError();
    void listsBlockDevicesWithSizes();
};

void TstBlkidProbe::ext4ImageHasTypeLabelAndUuid() {
    if (std::system("command -v mkfs.ext4 >/dev/null 2>&1") != 0) QSKIP("mkfs.ext4 is not installed");
    test::TempDir dir;
    const std::string img = dir.file("fs.img");
    { std::ofstream(img).close(); }
    QCOMPARE(::truncate(img.c_str(), 8 << 20), 0);
    const auto r = test::runCommand("mkfs.ext4 -q -F -L demo-label -U 3f1c2b9e-7a55-4a8e-9d51-0c6b2f8e4a11 " + img);
    QVERIFY2(r.exitCode == 0, r.err.c_str());
    auto probe = probeBlockContents(img);
    LS_QVERIFY_OK(probe);
    QVERIFY(probe->known);
    QVERIFY(probe->found);
    QCOMPARE(QString::fromStdString(probe->type), QStringLiteral("ext4"));
    QCOMPARE(QString::fromStdString(probe->usage), QStringLiteral("filesystem"));
    QCOMPARE(QString::fromStdString(probe->label), QStringLiteral("demo-label"));
    QCOMPARE(QString::fromStdString(probe->uuid), QStringLiteral("3f1c2b9e-7a55-4a8e-9d51-0c6b2f8e4a11"));
    QCOMPARE(probe->sizeBytes, uint64_t(8) << 20);
    QVERIFY(!probe->blockDevice);
    QVERIFY(!probe->mount.has_value());  // a file no loop device is bound to is not mounted
}

void TstBlkidProbe::zeroedImageHasNothing() {
    test::TempDir dir;
    const std::string img = dir.file("zero.img");
    test::writeFile(img, std::vector<std::byte>(4 << 20));
    auto probe = probeBlockContents(img);
    LS_QVERIFY_OK(probe);
    QVERIFY(probe->known);
    QVERIFY(!probe->found);
    QVERIFY(probe->type.empty());
    QVERIFY(probe->label.empty());
    QVERIFY(probe->uuid.empty());
    QVERIFY(probe->partitionTable.empty());
    QCOMPARE(probe->sizeBytes, uint64_t(4) << 20);
}

void TstBlkidProbe::missingPathIsNotFound() {
    test::TempDir dir;
    auto probe = probeBlockContents(dir.file("nope.img"));
    QVERIFY(!probe.ok());
    QCOMPARE(probe.error().code, ErrorCode::NotFound);
    QCOMPARE(QString::fromStdString(probe.error().detail), QStringLiteral("missing"));
    QCOMPARE(probe.error().subject, dir.file("nope.img"));
}

void TstBlkidProbe::unreadablePathIsAnError() {
    if (::geteuid() == 0) QSKIP("root reads a file without read permission");
    test::TempDir dir;
    const std::string img = dir.file("secret.img");
    test::writeFile(img, std::vector<std::byte>(4096));
    ::chmod(img.c_str(), 0);
    auto probe = probeBlockContents(img);
    QVERIFY(!probe.ok());
    QCOMPARE(probe.error().code, ErrorCode::IOError);
    QCOMPARE(QString::fromStdString(probe.error().detail), QStringLiteral("unreadable"));
}

void TstBlkidProbe::listsBlockDevicesWithSizes() {
    // Every listed device exists under /dev and has a size (empty loop devices are left out).
    for (const auto& d : listBlockDevices()) {
        QVERIFY(QString::fromStdString(d.path).startsWith("/dev/"));
        QVERIFY(d.sizeBytes > 0);
    }
}

QTEST_GUILESS_MAIN(TstBlkidProbe)
#include "tst_blkid_probe.moc"
