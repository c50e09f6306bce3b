// Loop attach through FUSE: the core pieces on a memory device, the clean refusals without
// /dev/fuse or /dev/loop-control, and the end-to-end story with ext4: files in an origin, a
// snapshot, the origin changed through its loop device, the snapshot mounted read-only still
// shows the old files. Needs root, /dev/fuse and loop devices; skips (saying why) without them.
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>

#include <filesystem>

#include <algorithm>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/engine/engine.h"
#include "core/io/memory_device.h"
#include "core/posix/file_device.h"
#include "core/linux/fuse_export.h"
#include "core/linux/loop_device.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;

namespace {

class CountingDevice final : public BlockDevice {
public:
    explicit CountingDevice(uint64_t size) : inner(std::make_shared<MemoryDevice>(size)) {}
    uint64_t size() const override { return inner->size(); }
    Status read(uint64_t o, std::span<std::byte> out) override { return inner->read(o, out); }
    Status write(uint64_t o, std::span<const std::byte> d, WriteFlags f) override {
        writes++;
        return inner->write(o, d, f);
    }
    Status flush() override {
        flushes++;
        return inner->flush();
    }
    Status writeZeroes(uint64_t o, uint64_t l, WriteFlags f) override {
        zeroes++;
        return inner->writeZeroes(o, l, f);
    }
    std::string describe() const override { return "counting"; }
    std::shared_ptr<MemoryDevice> inner;
    std::atomic<int> writes{0}, flushes{0}, zeroes{0};
};

QString attachUnavailableReason() {
    if (::geteuid() != 0) return "needs root";
    if (auto st = checkLoopSupport(); !st.ok()) return QString::fromStdString(st.error().message);
    if (auto st = FuseExport::checkSupport(); !st.ok()) return QString::fromStdString(st.error().message);
    return {};
}
#define REQUIRE_ATTACH()                                                  \
    do {                                                                  \
        QString why = attachUnavailableReason();                          \
        if (!why.isEmpty()) QSKIP(qPrintable("loop attach unavailable: " + why)); \
    } while (0)

bool sh(const std::string& cmd, std::string* out = nullptr) {
    auto r = runCommand(cmd);
    if (out) *out = r.out;
    if (r.exitCode != 0) qWarning("command failed (%d): %s\n%s", r.exitCode, cmd.c_str(), r.err.c_str());
    return r.exitCode == 0;
}

// A running `loopsnapctl attach`, detached (and killed as a last resort) when it goes out of scope.
struct Attached {
    QProcess proc;
    QString device;
    bool start(const QStringList& args) {
        proc.start(QString::fromStdString(loopsnapctl()), QStringList{"attach"} + args);
        if (!proc.waitForStarted() || !proc.waitForReadyRead(10000)) return false;
        device = QString::fromUtf8(proc.readLine()).trimmed();
        return device.startsWith("/dev/loop");
    }
    int detach() {
        auto r = runCommand(loopsnapctl() + " detach " + device.toStdString());
        if (r.exitCode == 0) proc.waitForFinished(10000);
        return r.exitCode;
    }
    ~Attached() {
        if (proc.state() != QProcess::NotRunning) {
            proc.terminate();
            proc.waitForFinished(10000);
        }
    }
};

}  // namespace

class TestAttach : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void fuseFileAndLoopDeviceReachTheDevice();
    void readOnlyExportRefusesWriters();
    void mountedLoopDeviceIsNotDetached();
    void cliRefusesWithoutLoopOrFuse();
    void snapshotMountedReadOnlyShowsOldFiles();
    void engineAttachRefusesCloseAndMountedDetach();
    void attachmentsAndDetachAcrossProcesses();
    void engineRefusesBadLoopDevice();
    void attachRecordsWhatItOpensInTheWorkspace_data();
    void attachRecordsWhatItOpensInTheWorkspace();

private:
    std::unique_ptr<TempDir> runtime_;
};

void TestAttach::initTestCase() {
    runtime_ = std::make_unique<TempDir>();
    qputenv("LOOPSNAP_RUNTIME_DIR", QByteArray::fromStdString(runtime_->path()));
}

void TestAttach::fuseFileAndLoopDeviceReachTheDevice() {
    REQUIRE_ATTACH();
    TempDir dir;
    std::string mnt = dir.file("mnt");
    QCOMPARE(::mkdir(mnt.c_str(), 0700), 0);
    auto dev = std::make_shared<CountingDevice>(8 << 20);
    LS_QVERIFY_OK(dev->inner->write(0, patternBytes(1, 0, 8 << 20)));
    auto fx = FuseExport::start(dev, mnt);
    LS_QVERIFY_OK(fx);
    struct stat st{};
    QCOMPARE(::stat((*fx)->filePath().c_str(), &st), 0);
    QCOMPARE(quint64(st.st_size), quint64(8 << 20));

    auto loop = attachLoopDevice((*fx)->filePath());
    LS_QVERIFY_OK(loop);
    auto guard = qScopeGuard([&] { (void)detachLoopDevice(*loop); });
    auto backing = loopBackingFile(*loop);
    LS_QVERIFY_OK(backing);
    QCOMPARE(*backing, (*fx)->filePath());
    {
        int fd = ::open(loop->c_str(), O_RDWR | O_CLOEXEC);
        QVERIFY(fd >= 0);
        auto data = patternBytes(2, 0, 65536);
        QCOMPARE(::pwrite(fd, data.data(), data.size(), 1 << 20), ssize_t(data.size()));
        int flushesBefore = dev->flushes.load();
        QCOMPARE(::fsync(fd), 0);  // a flush of /dev/loopN is a flush of the device
        QVERIFY(dev->flushes.load() > flushesBefore);
        std::vector<std::byte> direct(65536);
        LS_QVERIFY_OK(dev->inner->read(1 << 20, direct));
        QVERIFY(direct == data);
        // Reads through the loop device come from the device.
        LS_QVERIFY_OK(dev->inner->write(4 << 20, patternBytes(3, 0, 4096)));
        QCOMPARE(::ioctl(fd, BLKFLSBUF, 0), 0);
        std::vector<std::byte> back(4096);
        QCOMPARE(::pread(fd, back.data(), back.size(), 4 << 20), ssize_t(4096));
        QVERIFY(back == patternBytes(3, 0, 4096));
        ::close(fd);
    }
    // Discard on the loop device becomes zeroes on the device.
    QVERIFY(sh("blkdiscard -o 2097152 -l 65536 " + *loop));
    std::vector<std::byte> zeroed(65536);
    LS_QVERIFY_OK(dev->inner->read(2 << 20, zeroed));
    QVERIFY(zeroed == std::vector<std::byte>(65536));
    QVERIFY(dev->zeroes.load() > 0);

    LS_QVERIFY_OK(detachLoopDevice(*loop));
    QVERIFY(!loopBackingFile(*loop).ok());
    LS_QVERIFY_OK((*fx)->stop());
    QVERIFY(!fileExists(mnt + "/device"));
}

void TestAttach::readOnlyExportRefusesWriters() {
    REQUIRE_ATTACH();
    TempDir dir;
    std::string mnt = dir.file("mnt");
    QCOMPARE(::mkdir(mnt.c_str(), 0700), 0);
    auto dev = std::make_shared<MemoryDevice>(patternBytes(4, 0, 1 << 20));
    auto fx = FuseExport::start(dev, mnt, FuseExportOptions{"disk.img", true});
    LS_QVERIFY_OK(fx);
    QCOMPARE((*fx)->filePath(), mnt + "/disk.img");
    QCOMPARE(::open((*fx)->filePath().c_str(), O_RDWR), -1);
    QCOMPARE(errno, EROFS);
    QCOMPARE(readFile((*fx)->filePath()), patternBytes(4, 0, 1 << 20));
    auto loop = attachLoopDevice((*fx)->filePath(), LoopAttachOptions{true, 0});
    LS_QVERIFY_OK(loop);
    auto guard = qScopeGuard([&] { (void)detachLoopDevice(*loop); });
    int fd = ::open(loop->c_str(), O_RDONLY | O_CLOEXEC);
    QVERIFY(fd >= 0);
    int ro = 0;
    QCOMPARE(::ioctl(fd, BLKROGET, &ro), 0);
    ::close(fd);
    QCOMPARE(ro, 1);
    LS_QVERIFY_OK(detachLoopDevice(*loop));
    LS_QVERIFY_OK((*fx)->stop());
}

void TestAttach::mountedLoopDeviceIsNotDetached() {
    REQUIRE_ATTACH();
    TempDir dir;
    std::string img = dir.file("e.img"), mnt = dir.file("mnt");
    QCOMPARE(::mkdir(mnt.c_str(), 0700), 0);
    QVERIFY(sh("truncate -s 16M " + img + " && mkfs.ext4 -qF " + img));
    Attached a;
    QVERIFY(a.start({"--export-spec", QString::fromStdString("file:" + img)}));
    QVERIFY(sh("mount " + a.device.toStdString() + " " + mnt));
    auto r = runCommand(loopsnapctl() + " detach " + a.device.toStdString());
    bool unmounted = sh("umount " + mnt);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.find("in use") != std::string::npos, r.err.c_str());
    QVERIFY(unmounted);
    QCOMPARE(a.detach(), 0);
    QCOMPARE(a.proc.exitCode(), 0);
    QVERIFY(!loopBackingFile(a.device.toStdString()).ok());
    QCOMPARE(runCommand(loopsnapctl() + " detach /tmp/x").exitCode, 2);
}

void TestAttach::cliRefusesWithoutLoopOrFuse() {
    if (::geteuid() != 0) QSKIP("needs root to hide /dev in a private mount namespace");
    if (runCommand("unshare -m true").exitCode != 0) QSKIP("unshare -m is not permitted here");
    TempDir dir;
    writeFile(dir.file("f.img"), patternBytes(1, 0, 4096));
    std::string attach = loopsnapctl() + " attach --export-spec file:" + dir.file("f.img");
    // A private /dev without loop-control...
    auto r = runCommand("unshare -m sh -c 'mount -t tmpfs none /dev && exec " + attach + "'");
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.find("/dev/loop-control is missing") != std::string::npos, r.err.c_str());
    // ...and one with loop-control but without fuse.
    r = runCommand("unshare -m sh -c 'mount -t tmpfs none /dev && mknod /dev/loop-control c 10 237 && exec " + attach + "'");
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.find("/dev/fuse is missing") != std::string::npos, r.err.c_str());
}

void TestAttach::snapshotMountedReadOnlyShowsOldFiles() {
    REQUIRE_ATTACH();
    TempDir dir;
    std::string origin = dir.file("origin.img"), cow = dir.file("snap.cow"), mnt = dir.file("mnt");
    QCOMPARE(::mkdir(mnt.c_str(), 0700), 0);
    // An ext4 origin with two files, written with debugfs (no mount needed).
    writeFile(dir.file("a.txt"), std::span<const std::byte>(reinterpret_cast<const std::byte*>("version one\n"), 12));
    auto big = patternBytes(7, 0, 300 << 10);
    writeFile(dir.file("big.bin"), big);
    QVERIFY(sh("truncate -s 32M " + origin + " && mkfs.ext4 -qF " + origin));
    QVERIFY(sh("debugfs -w -R 'write " + dir.file("a.txt") + " a.txt' " + origin));
    QVERIFY(sh("debugfs -w -R 'write " + dir.file("big.bin") + " big.bin' " + origin));
    QVERIFY(sh(loopsnapctl() + " snapshot create --origin " + origin + " --cow " + cow + " --cow-size 16M"));

    // Change the origin through its loop device: rewrite a.txt, delete big.bin, add new.txt.
    {
        Attached a;
        QVERIFY(a.start({"--export-spec", QString::fromStdString("origin:" + origin + ":" + cow)}));
        QVERIFY(sh("mount " + a.device.toStdString() + " " + mnt));
        bool changed = sh("echo 'version two' > " + mnt + "/a.txt && rm " + mnt + "/big.bin && echo new > " + mnt +
                          "/new.txt && sync");
        QVERIFY(sh("umount " + mnt));
        QVERIFY(changed);
        QCOMPARE(a.detach(), 0);
        QCOMPARE(a.proc.exitCode(), 0);
    }
    std::string out;
    QVERIFY(sh("debugfs -R 'cat /a.txt' " + origin + " 2>/dev/null", &out));
    QCOMPARE(out, std::string("version two\n"));

    // The snapshot, attached and mounted read-only, shows the old files.
    Attached s;
    QVERIFY(s.start({"--export-spec", QString::fromStdString("snapshot:" + origin + ":" + cow), "--read-only"}));
    QVERIFY(sh("mount -o ro,noload " + s.device.toStdString() + " " + mnt));
    QString a = QString::fromStdString(readFile(mnt + "/a.txt").size() ? std::string(reinterpret_cast<const char*>(readFile(mnt + "/a.txt").data()), 12) : "");
    bool bigSame = fileExists(mnt + "/big.bin") && readFile(mnt + "/big.bin") == big;
    bool noNew = !fileExists(mnt + "/new.txt");
    QVERIFY(sh("umount " + mnt));
    QCOMPARE(a, QString("version one\n"));
    QVERIFY(bigSame);
    QVERIFY(noNew);
    QCOMPARE(s.detach(), 0);
    QCOMPARE(s.proc.exitCode(), 0);
}

// The facade: an origin attached by id keeps its devices (closeDevice refuses, detail "attached"),
// a mounted loop device is not detached (detail "mounted"), attachments() lists it; after the
// unmount detach undoes everything and the origin closes.
void TestAttach::engineAttachRefusesCloseAndMountedDetach() {
    REQUIRE_ATTACH();
    TempDir dir;
    std::string origin = dir.file("o.img"), cow = dir.file("s.cow"), mnt = dir.file("mnt");
    QCOMPARE(::mkdir(mnt.c_str(), 0700), 0);
    QVERIFY(sh("truncate -s 16M " + origin + " && mkfs.ext4 -qF " + origin));
    EngineOptions eo;
    eo.persistWorkspace = false;
    auto engine = Engine::open(eo);
    LS_QVERIFY_OK(engine);
    Engine& e = **engine;
    CreateSnapshotRequest rq;
    rq.originPath = origin;
    rq.cowPath = cow;
    rq.cowSize = 8 << 20;
    auto snap = e.createSnapshot(rq);
    LS_QVERIFY_OK(snap);
    auto a = e.attach(snap->originId, false);
    LS_QVERIFY_OK(a);
    QVERIFY(a->loopDevice.rfind("/dev/loop", 0) == 0);
    QCOMPARE(a->deviceId, snap->originId);
    QVERIFY(a->ownedHere);
    QCOMPARE(quint64(a->sizeBytes), quint64(16 << 20));
    auto listed = e.attachments();
    QCOMPARE(int(listed.size()), 1);
    QCOMPARE(listed[0].loopDevice, a->loopDevice);
    QVERIFY(fileExists(runtime_->path() + "/" + a->loopDevice.substr(5) + ".attach"));

    for (const std::string& id : {snap->originId, snap->id}) {
        Status closed = e.closeDevice(id);
        QVERIFY(!closed.ok());
        QCOMPARE(closed.error().detail, std::string("attached"));
    }
    QVERIFY(sh("mount " + a->loopDevice + " " + mnt));
    bool wrote = sh("echo changed > " + mnt + "/f.txt && sync");
    Status refused = e.detach(a->loopDevice);
    bool unmounted = sh("umount " + mnt);
    QVERIFY(wrote);
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, ErrorCode::Busy);
    QCOMPARE(refused.error().detail, std::string("mounted"));
    QVERIFY(unmounted);
    QCOMPARE(int(e.attachments().size()), 1);

    LS_QVERIFY_OK(e.detach(a->loopDevice));
    QVERIFY(!loopBackingFile(a->loopDevice).ok());
    QVERIFY(e.attachments().empty());
    QVERIFY(!fileExists(runtime_->path() + "/" + a->loopDevice.substr(5) + ".attach"));
    LS_QVERIFY_OK(e.closeDevice(snap->originId));
    // The origin's writes went through the engine: the snapshot still has the empty file system's blocks.
    auto st = e.snapshot(snap->id);
    LS_QVERIFY_OK(st);
    QVERIFY2(st->exceptions > 0, st->status.c_str());
}

// `loopsnapctl attach` in another process: this process's Engine lists its attachment (with the
// other pid) and detaches it, which ends that process cleanly.
void TestAttach::attachmentsAndDetachAcrossProcesses() {
    REQUIRE_ATTACH();
    TempDir dir;
    std::string img = dir.file("f.img");
    writeFile(img, patternBytes(9, 0, 4 << 20));
    Attached child;
    QVERIFY(child.start({"--export-spec", QString::fromStdString("file:" + img)}));
    EngineOptions eo;
    eo.persistWorkspace = false;
    auto engine = Engine::open(eo);
    LS_QVERIFY_OK(engine);
    auto listed = (*engine)->attachments();
    auto it = std::find_if(listed.begin(), listed.end(), [&](const AttachInfo& a) { return a.loopDevice == child.device.toStdString(); });
    QVERIFY(it != listed.end());
    QCOMPARE(qint64(it->pid), qint64(child.proc.processId()));
    QVERIFY(!it->ownedHere);
    QCOMPARE(it->spec, "file:" + img);
    QCOMPARE(quint64(it->sizeBytes), quint64(4 << 20));
    LS_QVERIFY_OK((*engine)->detach(child.device.toStdString()));
    QVERIFY(child.proc.waitForFinished(10000));
    QCOMPARE(child.proc.exitCode(), 0);
    QVERIFY(!loopBackingFile(child.device.toStdString()).ok());
    listed = (*engine)->attachments();
    QVERIFY(std::none_of(listed.begin(), listed.end(), [&](const AttachInfo& a) { return a.loopDevice == child.device.toStdString(); }));
}

void TestAttach::engineRefusesBadLoopDevice() {
    EngineOptions eo;
    eo.persistWorkspace = false;
    auto engine = Engine::open(eo);
    LS_QVERIFY_OK(engine);
    Status st = (*engine)->detach("/tmp/x");
    QVERIFY(!st.ok());
    QCOMPARE(st.error().detail, std::string("not-a-loop-device"));
    auto a = (*engine)->attach("no-such-id", false);
    QVERIFY(!a.ok());
}

// cli-contract.md, Workspace: what `attach --export-spec` opens is remembered. The stores are made
// in another workspace; while attached, `list` in the attaching one shows the origin with its
// store, or the clone; a plain file is no store and is not recorded.
void TestAttach::attachRecordsWhatItOpensInTheWorkspace_data() {
    QTest::addColumn<QString>("spec");
    QTest::addColumn<QString>("cow");    // recorded store ("" none)
    QTest::addColumn<QString>("clone");  // recorded clone metadata ("" none)
    QTest::newRow("origin") << "origin:{O}:{A}" << "{A}" << "";
    QTest::newRow("snapshot read-only") << "snapshot:{O}:{A}" << "{A}" << "";
    QTest::newRow("clone") << "clone:{M}" << "" << "{M}";
    QTest::newRow("plain file") << "file:{F}" << "" << "";
}

void TestAttach::attachRecordsWhatItOpensInTheWorkspace() {
    REQUIRE_ATTACH();
    QFETCH(QString, spec);
    QFETCH(QString, cow);
    QFETCH(QString, clone);
    TempDir dir;
    const std::string canonical = std::filesystem::canonical(dir.path()).string();
    writeFile(dir.file("o.img"), patternBytes(1, 0, 4 << 20));
    writeFile(dir.file("f.img"), patternBytes(2, 0, 1 << 20));
    writeFile(dir.file("src.img"), patternBytes(3, 0, 1 << 20));
    const std::string setup = "LOOPSNAP_WORKSPACE=" + dir.file("setup-ws") + " " + loopsnapctl();
    QVERIFY(sh(setup + " snapshot create --origin " + dir.file("o.img") + " --cow " + dir.file("a.cow") + " --cow-size 1M --chunk 4K"));
    QVERIFY(sh(setup + " clone create --source " + dir.file("src.img") + " --dest " + dir.file("d.img") + " --meta " + dir.file("c.meta")));
    auto fill = [&](QString t) {
        return t.replace("{O}", QString::fromStdString(canonical + "/o.img"))
            .replace("{A}", QString::fromStdString(canonical + "/a.cow"))
            .replace("{M}", QString::fromStdString(canonical + "/c.meta"))
            .replace("{F}", QString::fromStdString(canonical + "/f.img"));
    };
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("LOOPSNAP_WORKSPACE", QString::fromStdString(dir.file("attach-ws")));
    Attached a;
    a.proc.setProcessEnvironment(env);
    QStringList args{"--export-spec", fill(spec)};
    if (spec.startsWith("snapshot:")) args << "--read-only";
    QVERIFY(a.start(args));

    QProcess list;
    list.setProcessEnvironment(env);
    list.start(QString::fromStdString(loopsnapctl()), {"--json", "list"});
    QVERIFY(list.waitForFinished(10000));
    QCOMPARE(list.exitCode(), 0);
    const QJsonObject listed = QJsonDocument::fromJson(list.readAllStandardOutput()).object();
    QStringList cows, origins, clones;
    for (const auto& ov : listed["origins"].toArray()) {
        origins << ov.toObject()["path"].toString();
        for (const auto& sv : ov.toObject()["snapshots"].toArray()) cows << sv.toObject()["cow"].toString();
    }
    for (const auto& cv : listed["clones"].toArray()) clones << cv.toObject()["meta"].toString();
    QCOMPARE(cows, cow.isEmpty() ? QStringList{} : QStringList{fill(cow)});
    QCOMPARE(origins, cow.isEmpty() ? QStringList{} : QStringList{fill("{O}")});
    QCOMPARE(clones, clone.isEmpty() ? QStringList{} : QStringList{fill(clone)});
    QCOMPARE(a.detach(), 0);
    QCOMPARE(a.proc.exitCode(), 0);
}

QTEST_GUILESS_MAIN(TestAttach)
#include "tst_attach.moc"
