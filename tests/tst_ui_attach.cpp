// The main window's Attach / Detach actions on real loop devices: a snapshot, an origin (whose
// writes through its loop device copy into the snapshot first) and a clone, each shown as
// /dev/loopN (message area and details pane) and readable there with the device's contents, then
// detached. Refusals: forget and delete while attached (the actions are off, and the engine
// refuses the call by itself), detach of a mounted device (it stays attached), a store that is
// gone. Needs root, /dev/loop-control and /dev/fuse; skips (saying which) without them.
#include <QtTest>

#include <QAction>
#include <QLabel>
#include <QTreeView>

#include <fcntl.h>
#include <unistd.h>

#include "support/test_support.h"
#include "support/ui_support.h"
#include "ui/demo/DemoSession.h"
#include "ui/models/DeviceTreeModel.h"
#include "ui/pages/DetailsPane.h"
#include "ui/pages/DevicesPage.h"
#include "ui/pages/MainWindow.h"
#include "ui/text/ErrorText.h"
#include "ui/widgets/MessageArea.h"

using namespace loopsnap;
using namespace loopsnap::ui;

namespace {

constexpr uint64_t kOriginBytes = 4 << 20;
constexpr uint64_t kChanged = 256 << 10;   // the origin's first 256 KiB change after the snapshot

QString attachUnavailable() {
    if (::geteuid() != 0) return QStringLiteral("attaching a loop device needs root");
    if (::access("/dev/loop-control", F_OK) != 0) return QStringLiteral("no /dev/loop-control (loop module not loaded)");
    if (::access("/dev/fuse", F_OK) != 0) return QStringLiteral("no /dev/fuse (fuse module not loaded)");
    return {};
}
#define REQUIRE_ATTACH()                                                         \
    do {                                                                         \
        const QString why = attachUnavailable();                                 \
        if (!why.isEmpty()) QSKIP(qPrintable(why));                              \
    } while (0)

std::vector<std::byte> readBlockDevice(const QString& path, uint64_t length) {
    std::vector<std::byte> out(length);
    const int fd = ::open(path.toLocal8Bit().constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    size_t done = 0;
    while (done < length) {
        const ssize_t n = ::pread(fd, out.data() + done, length - done, off_t(done));
        if (n <= 0) break;
        done += size_t(n);
    }
    ::close(fd);
    out.resize(done);
    return out;
}

bool writeBlockDevice(const QString& path, uint64_t offset, const std::vector<std::byte>& data) {
    const int fd = ::open(path.toLocal8Bit().constData(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::pwrite(fd, data.data(), data.size(), off_t(offset)) == ssize_t(data.size()) && ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

bool sh(const std::string& cmd) {
    const auto r = test::runCommand(cmd);
    if (r.exitCode != 0) qWarning("command failed (%d): %s\n%s", r.exitCode, cmd.c_str(), r.err.c_str());
    return r.exitCode == 0;
}

// The snapshot's view before the origin changed, and the origin after.
std::vector<std::byte> snapshotContents() { return test::patternBytes(1, 0, kOriginBytes); }
std::vector<std::byte> originContents() {
    auto v = test::patternBytes(1, 0, kOriginBytes);
    auto changed = test::patternBytes(2, 0, kChanged);
    std::copy(changed.begin(), changed.end(), v.begin());
    return v;
}

}  // namespace

class TstUiAttach : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void attachShowsLoopDeviceWithContents_data();
    void attachShowsLoopDeviceWithContents();
    void originWritesThroughLoopDeviceKeepTheSnapshot();
    void forgetAndDeleteRefusedWhileAttached();
    void mountedDeviceIsNotDetached();
    void missingStoreIsNotAttached();

private:
    // Origin o.img (pattern 1) with snapshot s.cow, then the origin's first 256 KiB rewritten
    // (pattern 2) by loopsnapctl; a clone of src.img; the window on that workspace.
    bool makeWorkspace(bool ext4 = false);
    bool openWindow();
    QString attachmentOf(const QString& id) const;
    QString snapshotId() const;
    QString originId() const;
    QString cloneId() const;
    bool trigger(const QString& action, const DeviceRef& ref);

    std::unique_ptr<test::TempDir> runtime_;
    std::unique_ptr<test::TempDir> dir_;
    std::unique_ptr<EngineBridge> bridge_;
    std::unique_ptr<MainWindow> window_;
    std::string ws_;
};

void TstUiAttach::initTestCase() {
    // Attachment records of this suite only (other suites attach at the same time).
    runtime_ = std::make_unique<test::TempDir>();
    qputenv("LOOPSNAP_RUNTIME_DIR", QByteArray::fromStdString(runtime_->path()));
}

void TstUiAttach::init() { dir_ = std::make_unique<test::TempDir>(); }

void TstUiAttach::cleanup() {
    window_.reset();
    bridge_.reset();   // the engine detaches whatever a failed test left attached
    dir_.reset();
}

bool TstUiAttach::makeWorkspace(bool ext4) {
    ws_ = dir_->file("workspace");
    const std::string env = "LOOPSNAP_WORKSPACE=" + ws_ + " ";
    const std::string o = dir_->file("o.img"), s = dir_->file("s.cow");
    if (ext4) {
        test::writeFile(o, std::vector<std::byte>(8 << 20));
        if (!sh("mkfs.ext4 -q -F -L attachtest " + o)) return false;
    } else {
        test::writeFile(o, snapshotContents());
    }
    if (!sh(env + test::loopsnapctl() + " snapshot create --origin " + o + " --cow " + s + " --cow-size 2M --chunk 4K")) return false;
    if (!ext4) {
        test::writeFile(dir_->file("new.bin"), test::patternBytes(2, 0, kChanged));
        if (!sh(env + test::loopsnapctl() + " origin write --origin " + o + " --cow " + s + " --offset 0 --in " + dir_->file("new.bin")))
            return false;
        test::writeFile(dir_->file("src.img"), test::patternBytes(3, 0, 1 << 20));
        if (!sh(env + test::loopsnapctl() + " clone create --source " + dir_->file("src.img") + " --dest " + dir_->file("d.img") +
                " --meta " + dir_->file("c.meta") + " --region 64K"))
            return false;
    }
    return true;
}

bool TstUiAttach::openWindow() {
    bridge_ = test::openBridge(ws_);
    if (!bridge_) return false;
    window_ = std::make_unique<MainWindow>(bridge_.get());
    window_->show();
    bridge_->refresh();   // the window was made after the bridge opened: it fills on the next read
    if (!QTest::qWaitForWindowExposed(window_.get()) || snapshotId().isEmpty()) return false;
    QDeadlineTimer deadline(10000);
    while (!window_->model()->snapshot(snapshotId()) && !deadline.hasExpired()) QTest::qWait(20);
    return window_->model()->snapshot(snapshotId()) != nullptr;
}

QString TstUiAttach::snapshotId() const {
    return bridge_->registry().snapshots.empty() ? QString() : QString::fromStdString(bridge_->registry().snapshots.front().id);
}
QString TstUiAttach::originId() const {
    return bridge_->registry().origins.empty() ? QString() : QString::fromStdString(bridge_->registry().origins.front().id);
}
QString TstUiAttach::cloneId() const {
    return bridge_->registry().clones.empty() ? QString() : QString::fromStdString(bridge_->registry().clones.front().id);
}

QString TstUiAttach::attachmentOf(const QString& id) const {
    for (const auto& a : bridge_->registry().attachments)
        if (QString::fromStdString(a.deviceId) == id) return QString::fromStdString(a.loopDevice);
    return {};
}

bool TstUiAttach::trigger(const QString& action, const DeviceRef& ref) {
    window_->devicesPage()->select(ref);
    if (window_->devicesPage()->currentDevice() != ref) return false;
    QAction* a = window_->action(action);
    if (!a || !a->isEnabled()) return false;
    a->trigger();
    return true;
}

void TstUiAttach::attachShowsLoopDeviceWithContents_data() {
    QTest::addColumn<int>("kind");
    QTest::newRow("snapshot") << int(DeviceKind::Snapshot);
    QTest::newRow("origin") << int(DeviceKind::Origin);
    QTest::newRow("clone") << int(DeviceKind::Clone);
}

void TstUiAttach::attachShowsLoopDeviceWithContents() {
    QFETCH(int, kind);
    REQUIRE_ATTACH();
    QVERIFY(makeWorkspace());
    QVERIFY(openWindow());
    const DeviceKind k = DeviceKind(kind);
    const QString id = k == DeviceKind::Snapshot ? snapshotId() : k == DeviceKind::Origin ? originId() : cloneId();
    QVERIFY(!id.isEmpty());
    const DeviceRef ref{k, id};
    const std::vector<std::byte> expected = k == DeviceKind::Snapshot ? snapshotContents()
                                            : k == DeviceKind::Origin ? originContents()
                                                                      : test::patternBytes(3, 0, 1 << 20);

    QVERIFY(trigger("attach", ref));
    QTRY_VERIFY_WITH_TIMEOUT(!attachmentOf(id).isEmpty(), 15000);
    const QString loop = attachmentOf(id);
    QVERIFY2(loop.startsWith("/dev/loop"), qPrintable(loop));

    // Shown: in the message area and the details pane; the actions follow.
    QTRY_VERIFY_WITH_TIMEOUT(window_->messages()->texts().join('\n').contains(loop), 5000);
    bool inDetails = false;
    for (QLabel* l : window_->devicesPage()->details()->findChildren<QLabel*>()) inDetails = inDetails || l->text().contains(loop);
    QVERIFY2(inDetails, "the details pane does not name the loop device");
    QVERIFY(!window_->action("attach")->isEnabled());
    QVERIFY(window_->action("detach")->isEnabled());

    // Readable, with the device's contents.
    const auto got = readBlockDevice(loop, expected.size());
    QCOMPARE(got.size(), expected.size());
    QVERIFY2(got == expected, "the loop device does not read as the device");

    // Detach: gone from the registry and the runtime folder; the actions follow.
    QVERIFY(trigger("detach", ref));
    QTRY_VERIFY_WITH_TIMEOUT(attachmentOf(id).isEmpty(), 15000);
    QVERIFY(bridge_->waitIdle(10000));
    QVERIFY(!QFileInfo::exists(QString::fromStdString(runtime_->path()) + "/" + QFileInfo(loop).fileName() + ".attach"));
    QTRY_VERIFY_WITH_TIMEOUT(window_->messages()->texts().join('\n').contains(tr("Detached")), 5000);
    QVERIFY(window_->action("attach")->isEnabled());
    QVERIFY(!window_->action("detach")->isEnabled());
    // No error on the way.
    for (const QString& t : window_->messages()->texts()) QVERIFY2(!t.contains("failed"), qPrintable(t));
}

void TstUiAttach::originWritesThroughLoopDeviceKeepTheSnapshot() {
    REQUIRE_ATTACH();
    QVERIFY(makeWorkspace());
    QVERIFY(openWindow());
    const DeviceRef origin{DeviceKind::Origin, originId()}, snap{DeviceKind::Snapshot, snapshotId()};
    const uint64_t allocatedBefore = window_->model()->snapshot(snap.id)->allocatedSectors;
    QVERIFY(trigger("attach", origin));
    QTRY_VERIFY_WITH_TIMEOUT(!attachmentOf(origin.id).isEmpty(), 15000);
    const QString loop = attachmentOf(origin.id);
    const auto fresh = test::patternBytes(4, 1 << 20, 128 << 10);
    QVERIFY(writeBlockDevice(loop, 1 << 20, fresh));
    QVERIFY(trigger("detach", origin));
    QTRY_VERIFY_WITH_TIMEOUT(attachmentOf(origin.id).isEmpty(), 15000);
    QVERIFY(bridge_->waitIdle(10000));

    // The snapshot still reads as before both changes; the origin file holds the new bytes.
    QVERIFY(trigger("attach", snap));
    QTRY_VERIFY_WITH_TIMEOUT(!attachmentOf(snap.id).isEmpty(), 15000);
    QVERIFY(readBlockDevice(attachmentOf(snap.id), kOriginBytes) == snapshotContents());
    QVERIFY(trigger("detach", snap));
    QTRY_VERIFY_WITH_TIMEOUT(attachmentOf(snap.id).isEmpty(), 15000);
    QVERIFY(bridge_->waitIdle(10000));
    auto expected = originContents();
    std::copy(fresh.begin(), fresh.end(), expected.begin() + (1 << 20));
    QVERIFY(test::readFile(dir_->file("o.img")) == expected);
    // 128 KiB of first writes: 32 chunks of 4 KiB (256 sectors) copied into the store and committed.
    bridge_->refresh();
    QTRY_COMPARE_WITH_TIMEOUT(window_->model()->snapshot(snap.id)->allocatedSectors, allocatedBefore + 256, 5000);
}

void TstUiAttach::forgetAndDeleteRefusedWhileAttached() {
    REQUIRE_ATTACH();
    QVERIFY(makeWorkspace());
    QVERIFY(openWindow());
    const DeviceRef snap{DeviceKind::Snapshot, snapshotId()};
    QVERIFY(trigger("attach", snap));
    QTRY_VERIFY_WITH_TIMEOUT(!attachmentOf(snap.id).isEmpty(), 15000);
    const QString loop = attachmentOf(snap.id);
    QVERIFY(!window_->action("forget")->isEnabled());
    QVERIFY(!window_->action("delete")->isEnabled());

    // The engine refuses by itself too: for the snapshot and for its origin, which the attachment
    // keeps open; the message names the store, and nothing changes.
    const int before = window_->messages()->count();
    bridge_->forget(snap.id);
    bridge_->deleteFiles(snap.id);
    bridge_->forget(originId());
    QVERIFY(bridge_->waitIdle(10000));
    QTRY_VERIFY_WITH_TIMEOUT(window_->messages()->count() >= std::min(before + 3, 3), 5000);
    const QString all = window_->messages()->texts().join('\n');
    QVERIFY2(all.contains("is attached as a loop device"), qPrintable(all));
    QVERIFY2(all.contains(QString::fromStdString(dir_->file("s.cow"))), qPrintable(all));
    QVERIFY(QFileInfo::exists(QString::fromStdString(dir_->file("s.cow"))));
    QCOMPARE(bridge_->registry().snapshots.size(), size_t(1));
    QCOMPARE(bridge_->registry().origins.size(), size_t(1));
    QCOMPARE(attachmentOf(snap.id), loop);
    QVERIFY(readBlockDevice(loop, kOriginBytes) == snapshotContents());

    QVERIFY(trigger("detach", snap));
    QTRY_VERIFY_WITH_TIMEOUT(attachmentOf(snap.id).isEmpty(), 15000);
    QVERIFY(window_->action("forget")->isEnabled());
    QVERIFY(window_->action("delete")->isEnabled());
}

void TstUiAttach::mountedDeviceIsNotDetached() {
    REQUIRE_ATTACH();
    if (QStandardPaths::findExecutable("mkfs.ext4").isEmpty()) QSKIP("mkfs.ext4 is not installed");
    QVERIFY(makeWorkspace(true));
    QVERIFY(openWindow());
    const DeviceRef snap{DeviceKind::Snapshot, snapshotId()};
    QVERIFY(trigger("attach", snap));
    QTRY_VERIFY_WITH_TIMEOUT(!attachmentOf(snap.id).isEmpty(), 15000);
    const QString loop = attachmentOf(snap.id);
    const std::string mnt = dir_->file("mnt");
    QVERIFY(QDir().mkpath(QString::fromStdString(mnt)));
    QVERIFY(sh("mount -o ro,noload " + loop.toStdString() + " " + mnt));
    struct Unmount {
        std::string mnt;
        bool done = false;
        bool now() { return done = done || sh("umount " + mnt); }
        ~Unmount() { now(); }
    } unmount{mnt};
    QVERIFY2(window_->action("detach")->isEnabled(), "detach is off");
    window_->action("detach")->trigger();
    QVERIFY(bridge_->waitIdle(15000));
    QTRY_VERIFY_WITH_TIMEOUT(window_->messages()->texts().join('\n').contains("is mounted"), 5000);
    QVERIFY2(window_->messages()->texts().join('\n').contains(loop), qPrintable(window_->messages()->texts().join('\n')));
    QCOMPARE(attachmentOf(snap.id), loop);   // still attached, and still readable
    QVERIFY(window_->action("detach")->isEnabled());
    QVERIFY(readBlockDevice(loop, 4096).size() == 4096);
    QVERIFY(unmount.now());
    QVERIFY(trigger("detach", snap));
    QTRY_VERIFY_WITH_TIMEOUT(attachmentOf(snap.id).isEmpty(), 15000);
}

void TstUiAttach::missingStoreIsNotAttached() {
    REQUIRE_ATTACH();
    QVERIFY(makeWorkspace());
    QVERIFY(openWindow());
    const DeviceRef snap{DeviceKind::Snapshot, snapshotId()};
    QVERIFY(QFile::remove(QString::fromStdString(dir_->file("s.cow"))));
    bridge_->refresh();
    QVERIFY(bridge_->waitIdle(10000));
    QTRY_COMPARE_WITH_TIMEOUT(window_->model()->snapshot(snap.id)->state, DeviceState::Missing, 5000);
    QVERIFY(trigger("attach", snap));
    QVERIFY(bridge_->waitIdle(15000));
    QTRY_VERIFY_WITH_TIMEOUT(window_->messages()->texts().join('\n').contains(actionText("attach")), 5000);
    const QString all = window_->messages()->texts().join('\n');
    QVERIFY2(all.contains(QString::fromStdString(dir_->file("s.cow"))), qPrintable(all));
    QVERIFY(bridge_->registry().attachments.empty());
    QVERIFY(QDir(QString::fromStdString(runtime_->path())).entryList({"*.attach"}, QDir::Files).isEmpty());
}

QTEST_MAIN(TstUiAttach)
#include "tst_ui_attach.moc"
