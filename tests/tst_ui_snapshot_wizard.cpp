// The snapshot wizard driven page by page: a valid run creates a real snapshot that appears in
// the tree; each invalid input shows its message on its page and nothing is written.
#include <QtTest>
#include <QComboBox>
#include <QDir>
#include <QLineEdit>
#include <QPushButton>
#include <QStandardPaths>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "support/test_support.h"
#include "support/ui_support.h"
#include "ui/bridge/ProbeCache.h"
#include "ui/models/DeviceTreeModel.h"
#include "ui/wizards/SnapshotWizard.h"
#include "ui/wizards/WizardSupport.h"

using namespace loopsnap;
using namespace loopsnap::ui;

class TstUiSnapshotWizard : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }  // QSettings away from the user's
    void createsSnapshotThatAppearsInTree();
    void invalidInputShowsMessageAndWritesNothing_data();
    void invalidInputShowsMessageAndWritesNothing();
    void mountedReadWriteOriginWarns();
};

namespace {
QString validationText(QWizard& w) {
    auto* label = w.currentPage()->findChild<ValidationLabel*>(QStringLiteral("validation"));
    return label && label->isVisible() ? label->text() : QString();
}

// Sets the origin and waits until its probe answered.
void setOrigin(SnapshotWizard& w, const QString& path) {
    w.currentPage()->findChild<QLineEdit*>(QStringLiteral("originPath"))->setText(path);
    auto* info = w.currentPage()->findChild<QLabel*>(QStringLiteral("originInfo"));
    QTRY_VERIFY_WITH_TIMEOUT(!info->text().startsWith(QStringLiteral("Reading")), 5000);
}

QStringList listing(const QString& dir) { return QDir(dir).entryList(QDir::Files | QDir::NoDotAndDotDot, QDir::Name); }
}  // namespace

void TstUiSnapshotWizard::createsSnapshotThatAppearsInTree() {
    test::TempDir dir;
    auto bridge = test::openBridge(dir.file("ws"));
    QVERIFY(bridge);
    ProbeCache probes;
    DeviceTreeModel model(&probes);
    connect(bridge.get(), &EngineBridge::registryChanged, &model, [&] { model.setRegistry(bridge->registry()); });
    test::writeFile(dir.file("disk.img"), test::patternBytes(1, 0, 8 << 20));

    SnapshotWizard w(bridge.get());
    w.show();
    QCOMPARE(w.currentId(), int(SnapshotWizard::OriginPageId));
    setOrigin(w, QString::fromStdString(dir.file("disk.img")));
    QVERIFY(w.currentPage()->findChild<QLabel*>("originInfo")->text().contains("found no filesystem"));
    w.next();
    QCOMPARE(w.currentId(), int(SnapshotWizard::StorePageId));
    // Defaults: beside the origin, a quarter of it (at least 4 MiB), 16K chunks, P.
    QCOMPARE(w.cowPath(), QString::fromStdString(dir.file("disk-snap.cow")));
    QCOMPARE(w.cowSize(), uint64_t(4) << 20);
    QCOMPARE(w.chunkBytes(), 16u * 1024);
    QCOMPARE(w.storeType(), QStringLiteral("P"));
    w.currentPage()->findChild<QComboBox*>("chunkSize")->setCurrentText("4K");
    w.currentPage()->findChild<QLineEdit*>("cowSize")->setText("2M");
    w.next();
    QCOMPARE(w.currentId(), int(SnapshotWizard::OptionsPageId));
    w.next();
    QCOMPARE(w.currentId(), int(SnapshotWizard::SummaryPageId));
    const QString command = w.currentPage()->findChild<QLineEdit*>("command")->text();
    QCOMPARE(command, QStringLiteral("loopsnapctl snapshot create --origin %1 --cow %2 --cow-size 2M --chunk 4K --store P")
                          .arg(QString::fromStdString(dir.file("disk.img")), QString::fromStdString(dir.file("disk-snap.cow"))));
    QCOMPARE(listing(QString::fromStdString(dir.path())), QStringList{"disk.img"});  // nothing written before Finish

    QSignalSpy created(&w, &SnapshotWizard::created);
    w.button(QWizard::FinishButton)->click();
    QVERIFY(created.wait(10000));
    QVERIFY(QFileInfo::exists(QString::fromStdString(dir.file("disk-snap.cow"))));
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 1, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(model.index(0, 0)), 1, 5000);
    const QModelIndex snap = model.index(0, DeviceTreeModel::NameColumn, model.index(0, 0));
    QCOMPARE(snap.data().toString(), QStringLiteral("disk-snap.cow"));
    QCOMPARE(snap.data(DeviceTreeModel::StatusLineRole).toString(), QStringLiteral("16/4096 16"));  // 2 MiB, 4K chunks

    // The CLI sees the same store.
    const auto st = test::runCommand(test::loopsnapctl() + " snapshot status --cow " + dir.file("disk-snap.cow"));
    QCOMPARE(QString::fromStdString(st.out).trimmed(), QStringLiteral("16/4096 16"));
}

void TstUiSnapshotWizard::invalidInputShowsMessageAndWritesNothing_data() {
    QTest::addColumn<QString>("origin");   // file name in the temp dir, or an absolute path
    QTest::addColumn<QString>("cow");      // "" = the default
    QTest::addColumn<QString>("size");
    QTest::addColumn<QString>("chunk");
    QTest::addColumn<int>("page");
    QTest::addColumn<QString>("message");
    QTest::newRow("origin missing") << "nope.img" << "" << "" << "" << int(SnapshotWizard::OriginPageId) << "does not exist";
    // A unix socket is a file nobody can read, root included (open fails with ENXIO).
    QTest::newRow("origin unreadable") << "unreadable.sock" << "" << "" << "" << int(SnapshotWizard::OriginPageId) << "cannot be read";
    QTest::newRow("origin empty") << "empty.img" << "" << "" << "" << int(SnapshotWizard::OriginPageId) << "is empty";
    QTest::newRow("store is the origin") << "disk.img" << "disk.img" << "" << "" << int(SnapshotWizard::StorePageId) << "cannot be the origin";
    QTest::newRow("store exists") << "disk.img" << "old.cow" << "" << "" << int(SnapshotWizard::StorePageId) << "already exists";
    QTest::newRow("store folder missing") << "disk.img" << "no/such/dir/s.cow" << "" << "" << int(SnapshotWizard::StorePageId) << "does not exist";
    QTest::newRow("no room") << "disk.img" << "" << "1000T" << "" << int(SnapshotWizard::StorePageId) << "free";
    QTest::newRow("bad size") << "disk.img" << "" << "lots" << "" << int(SnapshotWizard::StorePageId) << "is not a size";
    QTest::newRow("too small") << "disk.img" << "" << "32K" << "16K" << int(SnapshotWizard::StorePageId) << "too small";
    QTest::newRow("chunk too large") << "disk.img" << "" << "" << "1M" << int(SnapshotWizard::StorePageId) << "out of range";
    QTest::newRow("chunk too small") << "disk.img" << "" << "" << "2K" << int(SnapshotWizard::StorePageId) << "out of range";
    QTest::newRow("chunk not a power of two") << "disk.img" << "" << "" << "24K" << int(SnapshotWizard::StorePageId) << "out of range";
}

void TstUiSnapshotWizard::invalidInputShowsMessageAndWritesNothing() {
    QFETCH(QString, origin);
    QFETCH(QString, cow);
    QFETCH(QString, size);
    QFETCH(QString, chunk);
    QFETCH(int, page);
    QFETCH(QString, message);
    test::TempDir dir;
    const QString d = QString::fromStdString(dir.path());
    auto bridge = test::openBridge(dir.file("ws"));
    QVERIFY(bridge);
    test::writeFile(dir.file("disk.img"), test::patternBytes(2, 0, 1 << 20));
    test::writeFile(dir.file("empty.img"), {});
    test::writeFile(dir.file("old.cow"), test::patternBytes(3, 0, 4096));
    {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        QVERIFY(fd >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        const std::string sock = dir.file("unreadable.sock");
        QVERIFY(sock.size() < sizeof(addr.sun_path));
        std::memcpy(addr.sun_path, sock.c_str(), sock.size() + 1);
        QVERIFY(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
        ::close(fd);  // the socket file stays
    }
    const QStringList before = listing(d);
    const auto oldCow = test::readFile(dir.file("old.cow"));

    SnapshotWizard w(bridge.get());
    w.show();
    setOrigin(w, QDir(d).filePath(origin));
    w.next();
    if (page == SnapshotWizard::StorePageId) {
        QCOMPARE(w.currentId(), int(SnapshotWizard::StorePageId));
        if (!cow.isEmpty()) w.currentPage()->findChild<QLineEdit*>("cowPath")->setText(QDir(d).filePath(cow));
        if (!size.isEmpty()) w.currentPage()->findChild<QLineEdit*>("cowSize")->setText(size);
        if (!chunk.isEmpty()) w.currentPage()->findChild<QComboBox*>("chunkSize")->setCurrentText(chunk);
        w.next();
    }
    QCOMPARE(w.currentId(), page);
    QVERIFY2(validationText(w).contains(message), qPrintable(validationText(w)));
    QCOMPARE(listing(d), before);
    QVERIFY(test::readFile(dir.file("old.cow")) == oldCow);
    bridge->refresh();
    bridge->waitIdle(5000);
    QVERIFY(bridge->registry().snapshots.empty());
    QVERIFY(bridge->registry().origins.empty());
}

// An ext4 image mounted read-write through a loop device: the origin page says so, with the
// mount point (a snapshot of it is only crash-consistent), and still lets the user go on.
void TstUiSnapshotWizard::mountedReadWriteOriginWarns() {
    if (::geteuid() != 0) QSKIP("mounting the test image needs root");
    if (::access("/dev/loop-control", F_OK) != 0) QSKIP("no /dev/loop-control (loop module not loaded)");
    if (QStandardPaths::findExecutable("mkfs.ext4").isEmpty()) QSKIP("mkfs.ext4 is not installed");
    test::TempDir dir;
    auto bridge = test::openBridge(dir.file("ws"));
    QVERIFY(bridge);
    const std::string img = dir.file("live.img"), mnt = dir.file("mnt");
    test::writeFile(img, std::vector<std::byte>(8 << 20));
    QVERIFY(test::runCommand("mkfs.ext4 -q -F " + img).exitCode == 0);
    QVERIFY(QDir().mkpath(QString::fromStdString(mnt)));
    const auto mounted = test::runCommand("mount -o loop,rw " + img + " " + mnt);
    if (mounted.exitCode != 0) QSKIP(qPrintable("cannot mount the test image here: " + QString::fromStdString(mounted.err)));
    struct Unmount { std::string mnt; ~Unmount() { test::runCommand("umount " + mnt); } } unmount{mnt};

    SnapshotWizard w(bridge.get());
    w.show();
    setOrigin(w, QString::fromStdString(img));
    auto* warning = w.currentPage()->findChild<QLabel*>(QStringLiteral("mountWarning"));
    QVERIFY(warning);
    QTRY_VERIFY_WITH_TIMEOUT(warning->isVisible(), 5000);
    QVERIFY2(warning->text().contains("mounted read-write on " + QString::fromStdString(mnt)), qPrintable(warning->text()));
    QVERIFY(warning->text().contains("crash-consistent"));
    w.next();
    QCOMPARE(w.currentId(), int(SnapshotWizard::StorePageId));   // a warning, not a refusal
}

QTEST_MAIN(TstUiSnapshotWizard)
#include "tst_ui_snapshot_wizard.moc"
