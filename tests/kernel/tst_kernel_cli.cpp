// loopsnapctl --backend kernel: the CLI contract's commands on the kernel's own targets, through
// the engine facade (cli-contract.md, Backends), plus activate/deactivate and list's `device`
// field. Runs inside scripts/test-kernel.sh's VM ($LOOPSNAPCTL is the CLI shipped into the guest).
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <sys/stat.h>

#include "kernel_test_support.h"
#include "support/test_support.h"

using namespace loopsnap;

namespace {
constexpr uint64_t KiB = 1024, MiB = 1024 * 1024;

QJsonObject json(const std::string& out) {
    auto lines = QString::fromStdString(out).trimmed().split('\n');
    return QJsonDocument::fromJson(lines.last().toUtf8()).object();
}
bool blockDevice(const std::string& path) {
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode);
}
}  // namespace

class TestKernelCli : public QObject {
    Q_OBJECT
    std::unique_ptr<test::TempDir> dir;

    test::CommandResult ctl(const std::string& args) {
        return test::runCommand(test::loopsnapctl() + " --backend kernel " + args);
    }
    void ok(const std::string& args, test::CommandResult* out = nullptr) {
        auto r = ctl(args);
        if (out) *out = r;
        QVERIFY2(r.exitCode == 0, (args + ": " + r.err).c_str());
    }

private slots:
    void initTestCase() {
        LS_REQUIRE_KERNEL();
        if (test::loopsnapctl().empty()) QFAIL("LOOPSNAPCTL is not set");
    }
    void init() {
        dir = std::make_unique<test::TempDir>();
        qputenv("LOOPSNAP_WORKSPACE", QByteArray::fromStdString(dir->file("ws")));
    }
    void cleanup() {
        ktest::removeAllDevices();
        dir.reset();
    }

    // create, origin write (copy-on-write in the kernel), status, read, list, activate/deactivate.
    void snapshotCommands() {
        std::string o = dir->file("o.img"), c = dir->file("s.cow"), patch = dir->file("patch.bin"), view = dir->file("view.img");
        ktest::makePatternFile(o, 2 * MiB, 1);
        auto before = test::readFile(o);
        test::writeFile(patch, test::patternBytes(2, 0, 8 * KiB));
        test::CommandResult r;
        ok("--json snapshot create --origin " + o + " --cow " + c + " --cow-size 1M --chunk 4K", &r);
        QCOMPARE(json(r.out)["status"].toString(), QString("16/2048 16"));
        QVERIFY2(ktest::ourDevices().empty(), "a one-shot command left kernel devices up");
        ok("--json origin write --origin " + o + " --cow " + c + " --offset 8K --in " + patch, &r);
        QVERIFY(ktest::ourDevices().empty());
        // Two chunks copied: 16 metadata sectors + 2 chunks of 8 sectors.
        ok("--json snapshot status --cow " + c, &r);
        QCOMPARE(json(r.out)["status"].toString(), QString("32/2048 16"));
        QCOMPARE(json(r.out)["exceptions"].toInt(), 2);
        auto after = test::readFile(o);
        QVERIFY(std::equal(after.begin() + 8 * KiB, after.begin() + 16 * KiB, test::patternBytes(2, 0, 8 * KiB).begin()));
        ok("snapshot read --origin " + o + " --cow " + c + " --out " + view);
        QVERIFY2(test::readFile(view) == before, "the kernel snapshot does not show the old origin");

        ok("--json list", &r);
        auto origins = json(r.out)["origins"].toArray();
        QCOMPARE(origins.size(), 1);
        QJsonObject origin = origins[0].toObject();
        QCOMPARE(origin["backend"].toString(), QString("kernel"));
        QVERIFY(!origin.contains("device"));
        QString id = origin["id"].toString();

        ok("--json activate " + id.toStdString(), &r);
        QCOMPARE(json(r.out)["devices"].toArray().size(), 2);  // the origin and its snapshot
        ok("--json list", &r);
        origin = json(r.out)["origins"].toArray()[0].toObject();
        std::string originDevice = origin["device"].toString().toStdString();
        std::string snapDevice = origin["snapshots"].toArray()[0].toObject()["device"].toString().toStdString();
        QVERIFY2(originDevice.rfind("/dev/mapper/loopsnap-", 0) == 0, originDevice.c_str());
        QVERIFY2(blockDevice(originDevice), originDevice.c_str());
        QVERIFY2(blockDevice(snapDevice), snapDevice.c_str());
        QVERIFY(ktest::readWholeDevice(snapDevice) == before);
        ok("list", &r);
        QVERIFY2(r.out.find(originDevice) != std::string::npos, r.out.c_str());

        ok("--json deactivate " + id.toStdString(), &r);
        QVERIFY(ktest::ourDevices().empty());
        ok("--json list", &r);
        QVERIFY(!json(r.out)["origins"].toArray()[0].toObject().contains("device"));
    }

    void mergeRollsBack() {
        std::string o = dir->file("o.img"), c = dir->file("s.cow"), patch = dir->file("patch.bin");
        ktest::makePatternFile(o, 2 * MiB, 3);
        auto before = test::readFile(o);
        test::writeFile(patch, test::patternBytes(4, 0, 64 * KiB));
        ok("snapshot create --origin " + o + " --cow " + c + " --cow-size 1M --chunk 4K");
        ok("origin write --origin " + o + " --cow " + c + " --offset 256K --in " + patch);
        QVERIFY(test::readFile(o) != before);
        test::CommandResult r;
        ok("--json merge --origin " + o + " --cow " + c, &r);
        QCOMPARE(json(r.out)["result"].toString(), QString("merged"));
        QVERIFY2(test::readFile(o) == before, "the merge did not roll the origin back");
        QVERIFY(ktest::ourDevices().empty());
    }

    void cloneCommands() {
        std::string src = dir->file("src.img"), dest = dir->file("dest.img"), meta = dir->file("c.meta");
        ktest::makePatternFile(src, 2 * MiB, 5);
        ktest::makeZeroFile(dest, 2 * MiB);
        ok("clone create --source " + src + " --dest " + dest + " --meta " + meta + " --region 64K");
        test::CommandResult r;
        ok("--json clone hydrate --meta " + meta, &r);
        QCOMPARE(json(r.out)["result"].toString(), QString("hydrated"));
        QVERIFY(ktest::ourDevices().empty());
        QVERIFY(test::readFile(dest) == test::readFile(src));
        // The kernel shows a clone's status only while it is up: refused (by detail) until activated.
        r = ctl("--json clone status --meta " + meta);
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(json(r.out)["error"].toObject()["detail"].toString(), QString("kernel-clone-inactive"));
        ok("--json list", &r);
        QJsonObject clone = json(r.out)["clones"].toArray()[0].toObject();
        QCOMPARE(clone["backend"].toString(), QString("kernel"));
        QVERIFY(!clone.contains("device"));
        std::string id = clone["id"].toString().toStdString();
        ok("--json activate " + id, &r);
        ok("--json clone status --meta " + meta, &r);
        QCOMPARE(json(r.out)["hydrated_regions"].toInt(), 32);
        QCOMPARE(json(r.out)["total_regions"].toInt(), 32);
        ok("--json list", &r);
        std::string device = json(r.out)["clones"].toArray()[0].toObject()["device"].toString().toStdString();
        QVERIFY2(blockDevice(device), device.c_str());
        QVERIFY(ktest::readWholeDevice(device) == test::readFile(src));
        ok("deactivate " + id);
        QVERIFY(ktest::ourDevices().empty());
    }

    void refusals() {
        test::CommandResult r = ctl("--json activate nosuch");
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(json(r.out)["error"].toObject()["detail"].toString(), QString("no-such-entry"));
        // A missing store: refused, nothing made.
        r = ctl("--json snapshot create --origin " + dir->file("missing.img") + " --cow " + dir->file("x.cow") + " --cow-size 1M");
        QCOMPARE(r.exitCode, 1);
        QVERIFY(ktest::ourDevices().empty());
        QVERIFY(!QFile::exists(QString::fromStdString(dir->file("x.cow"))));
    }
};

QTEST_GUILESS_MAIN(TestKernelCli)
#include "tst_kernel_cli.moc"
