// The clone wizard driven page by page with an nbdkit source on a unix socket: the source is
// probed (libnbd) for its size, the clone is created and appears in the tree; invalid input
// shows its message and writes nothing.
#include <QtTest>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QStandardPaths>

#include "support/test_support.h"
#include "support/ui_support.h"
#include "ui/bridge/ProbeCache.h"
#include "ui/models/DeviceTreeModel.h"
#include "ui/wizards/CloneWizard.h"
#include "ui/wizards/WizardSupport.h"

using namespace loopsnap;
using namespace loopsnap::ui;

namespace {
// nbdkit serving a file on a unix socket (loopback only), stopped by the destructor.
class Nbdkit {
public:
    Nbdkit(const QString& file, const QString& socket) : socket_(socket) {
        const QString exe = QStandardPaths::findExecutable("nbdkit", {"/usr/sbin", "/usr/bin"});
        if (exe.isEmpty()) return;
        proc_.start(exe, {"-f", "--exit-with-parent", "-U", socket, "file", file});
        for (int i = 0; i < 750 && !QFileInfo::exists(socket); ++i) QTest::qWait(20);
    }
    ~Nbdkit() { proc_.terminate(); proc_.waitForFinished(3000); }
    bool installed() const { return !QStandardPaths::findExecutable("nbdkit", {"/usr/sbin", "/usr/bin"}).isEmpty(); }
    bool running() const { return QFileInfo::exists(socket_) && proc_.state() != QProcess::NotRunning; }
    QString uri() const { return QStringLiteral("nbd+unix:///?socket=") + socket_; }
private:
    QString socket_;
    QProcess proc_;
};

QString validationText(QWizard& w) {
    auto* label = w.currentPage()->findChild<ValidationLabel*>(QStringLiteral("validation"));
    return label && label->isVisible() ? label->text() : QString();
}

void setSourceUri(CloneWizard& w, const QString& uri) {
    w.currentPage()->findChild<QLineEdit*>("sourceUri")->parentWidget()->findChildren<QRadioButton*>().at(2)->setChecked(true);
    w.currentPage()->findChild<QLineEdit*>("sourceUri")->setText(uri);
    auto* info = w.currentPage()->findChild<QLabel*>("sourceInfo");
    QTRY_VERIFY_WITH_TIMEOUT(!info->text().startsWith("Connecting"), 10000);
}

QStringList listing(const QString& dir) { return QDir(dir).entryList(QDir::Files | QDir::System | QDir::NoDotAndDotDot, QDir::Name); }
}  // namespace

class TstUiCloneWizard : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }  // QSettings away from the user's
    void clonesNbdSourceIntoTree();
    void invalidInputShowsMessageAndWritesNothing_data();
    void invalidInputShowsMessageAndWritesNothing();
    void existingDestinationIsCheckedBeforeOverwrite_data();
    void existingDestinationIsCheckedBeforeOverwrite();
};

void TstUiCloneWizard::clonesNbdSourceIntoTree() {
    test::TempDir dir;
    const QString d = QString::fromStdString(dir.path());
    test::writeFile(dir.file("src.img"), test::patternBytes(5, 0, 1 << 20));
    Nbdkit nbd(QString::fromStdString(dir.file("src.img")), QString::fromStdString(dir.file("src.sock")));
    if (!nbd.installed()) QSKIP("nbdkit is not installed");
    QVERIFY2(nbd.running(), "nbdkit did not start serving on its unix socket");
    auto bridge = test::openBridge(dir.file("ws"));
    QVERIFY(bridge);
    ProbeCache probes;
    DeviceTreeModel model(&probes);
    connect(bridge.get(), &EngineBridge::registryChanged, &model, [&] { model.setRegistry(bridge->registry()); });

    CloneWizard w(bridge.get());
    w.show();
    setSourceUri(w, nbd.uri());
    QVERIFY2(w.currentPage()->findChild<QLabel*>("sourceInfo")->text().contains(QLocale().toString(1048576ull) + " bytes"),
             qPrintable(w.currentPage()->findChild<QLabel*>("sourceInfo")->text()));
    w.next();
    QCOMPARE(w.currentId(), int(CloneWizard::DestinationPageId));
    QCOMPARE(w.sourceSize(), uint64_t(1) << 20);
    w.currentPage()->findChild<QLineEdit*>("destPath")->setText(QDir(d).filePath("dest.img"));
    w.currentPage()->findChild<QLineEdit*>("metaPath")->setText(QDir(d).filePath("dest.meta"));
    w.next();
    QCOMPARE(w.currentId(), int(CloneWizard::OptionsPageId));
    w.currentPage()->findChild<QComboBox*>("regionSize")->setCurrentText("16K");
    w.currentPage()->findChild<QSpinBox*>("threshold")->setValue(2);
    w.next();
    QCOMPARE(w.currentId(), int(CloneWizard::SummaryPageId));
    QVERIFY(w.currentPage()->findChild<QLineEdit*>("command")->text().startsWith(
        QStringLiteral("loopsnapctl clone create --source 'nbd+unix:///?socket=%1' --dest %2 --meta %3 --region 16K && loopsnapctl clone hydrate")
            .arg(QString::fromStdString(dir.file("src.sock")), QDir(d).filePath("dest.img"), QDir(d).filePath("dest.meta"))));
    QCOMPARE(listing(d), (QStringList{"src.img", "src.sock"}));  // nothing written before Finish

    QSignalSpy created(&w, &CloneWizard::created);
    w.button(QWizard::FinishButton)->click();
    QVERIFY2(created.wait(10000), qPrintable(w.finishError()));
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 1, 5000);
    const QModelIndex clone = model.index(0, DeviceTreeModel::NameColumn);
    QCOMPARE(clone.data().toString(), QStringLiteral("dest.img"));
    // Hydration was started: the whole source arrives on the destination.
    QTRY_COMPARE_WITH_TIMEOUT(model.index(0, DeviceTreeModel::StateColumn).data().toString(), QStringLiteral("hydrated"), 20000);
    QVERIFY(test::readFile(dir.file("dest.img")) == test::patternBytes(5, 0, 1 << 20));
}

void TstUiCloneWizard::invalidInputShowsMessageAndWritesNothing_data() {
    QTest::addColumn<QString>("source");   // "nbd" = the nbdkit URI, else text for the URI field
    QTest::addColumn<QString>("dest");
    QTest::addColumn<QString>("meta");
    QTest::addColumn<QString>("region");
    QTest::addColumn<int>("page");
    QTest::addColumn<QString>("message");
    QTest::newRow("not a URI") << "http://example/x" << "" << "" << "" << int(CloneWizard::SourcePageId) << "is not an NBD URI";
    QTest::newRow("no server") << "nbd+unix:///?socket=@DIR@/none.sock" << "" << "" << "" << int(CloneWizard::SourcePageId) << "Cannot reach";
    QTest::newRow("dest exists") << "nbd" << "old.img" << "" << "" << int(CloneWizard::DestinationPageId) << "already exists";
    QTest::newRow("meta exists") << "nbd" << "" << "old.img" << "" << int(CloneWizard::DestinationPageId) << "already exists";
    QTest::newRow("dest folder missing") << "nbd" << "no/dir/d.img" << "" << "" << int(CloneWizard::DestinationPageId) << "does not exist";
    QTest::newRow("region out of range") << "nbd" << "" << "" << "8M" << int(CloneWizard::OptionsPageId) << "out of range";
    QTest::newRow("region not a power of two") << "nbd" << "" << "" << "48K" << int(CloneWizard::OptionsPageId) << "out of range";
}

void TstUiCloneWizard::invalidInputShowsMessageAndWritesNothing() {
    QFETCH(QString, source);
    QFETCH(QString, dest);
    QFETCH(QString, meta);
    QFETCH(QString, region);
    QFETCH(int, page);
    QFETCH(QString, message);
    test::TempDir dir;
    const QString d = QString::fromStdString(dir.path());
    test::writeFile(dir.file("src.img"), test::patternBytes(6, 0, 256 << 10));
    test::writeFile(dir.file("old.img"), test::patternBytes(7, 0, 4096));
    Nbdkit nbd(QString::fromStdString(dir.file("src.img")), QString::fromStdString(dir.file("src.sock")));
    if (!nbd.installed()) QSKIP("nbdkit is not installed");
    QVERIFY2(nbd.running(), "nbdkit did not start serving on its unix socket");
    auto bridge = test::openBridge(dir.file("ws"));
    QVERIFY(bridge);
    const QStringList before = listing(d);

    CloneWizard w(bridge.get());
    w.show();
    setSourceUri(w, source == "nbd" ? nbd.uri() : QString(source).replace("@DIR@", d));
    w.next();
    if (page >= CloneWizard::DestinationPageId) {
        QCOMPARE(w.currentId(), int(CloneWizard::DestinationPageId));
        w.currentPage()->findChild<QLineEdit*>("destPath")->setText(QDir(d).filePath(dest.isEmpty() ? QStringLiteral("d.img") : dest));
        w.currentPage()->findChild<QLineEdit*>("metaPath")->setText(QDir(d).filePath(meta.isEmpty() ? QStringLiteral("d.meta") : meta));
        w.next();
    }
    if (page >= CloneWizard::OptionsPageId) {
        QCOMPARE(w.currentId(), int(CloneWizard::OptionsPageId));
        w.currentPage()->findChild<QComboBox*>("regionSize")->setCurrentText(region);
        w.next();
    }
    QCOMPARE(w.currentId(), page);
    QVERIFY2(validationText(w).contains(message), qPrintable(validationText(w)));
    QCOMPARE(listing(d), before);
    QVERIFY(test::readFile(dir.file("old.img")) == test::patternBytes(7, 0, 4096));
    bridge->refresh();
    bridge->waitIdle(5000);
    QVERIFY(bridge->registry().clones.empty());
}

// An existing destination: one smaller than the source is refused; one holding a filesystem is
// named with what libblkid found and used only once "Overwrite what is on it" is ticked; until
// then nothing on it changes.
void TstUiCloneWizard::existingDestinationIsCheckedBeforeOverwrite_data() {
    QTest::addColumn<bool>("ext4");
    QTest::addColumn<qint64>("bytes");
    QTest::addColumn<QString>("message");
    QTest::newRow("smaller than the source") << false << qint64(4096) << "smaller than the source";
    QTest::newRow("holds ext4") << true << qint64(1 << 20) << "Tick “Overwrite what is on it”";
}

void TstUiCloneWizard::existingDestinationIsCheckedBeforeOverwrite() {
    QFETCH(bool, ext4);
    QFETCH(qint64, bytes);
    QFETCH(QString, message);
    test::TempDir dir;
    test::writeFile(dir.file("src.img"), test::patternBytes(6, 0, 256 << 10));
    const QString target = QString::fromStdString(dir.file("target.img"));
    if (ext4) {
        if (QStandardPaths::findExecutable("mkfs.ext4", {"/usr/sbin", "/sbin", "/usr/bin"}).isEmpty()) QSKIP("mkfs.ext4 is not installed");
        QFile f(target);
        QVERIFY(f.open(QIODevice::WriteOnly) && f.resize(bytes));
        f.close();
        QProcess mkfs;
        mkfs.start(QStandardPaths::findExecutable("mkfs.ext4", {"/usr/sbin", "/sbin", "/usr/bin"}), {"-q", "-F", "-L", "keepme", target});
        QVERIFY(mkfs.waitForFinished(30000) && mkfs.exitCode() == 0);
    } else {
        test::writeFile(target.toStdString(), test::patternBytes(7, 0, size_t(bytes)));
    }
    const auto before = test::readFile(target.toStdString());
    Nbdkit nbd(QString::fromStdString(dir.file("src.img")), QString::fromStdString(dir.file("src.sock")));
    if (!nbd.installed()) QSKIP("nbdkit is not installed");
    QVERIFY2(nbd.running(), "nbdkit did not start serving on its unix socket");
    auto bridge = test::openBridge(dir.file("ws"));
    QVERIFY(bridge);

    CloneWizard w(bridge.get());
    w.show();
    setSourceUri(w, nbd.uri());
    w.next();
    QCOMPARE(w.currentId(), int(CloneWizard::DestinationPageId));
    w.currentPage()->findChild<QRadioButton*>("destExistingChoice")->setChecked(true);
    w.currentPage()->findChild<QLineEdit*>("destExisting")->setText(target);
    w.currentPage()->findChild<QLineEdit*>("metaPath")->setText(QString::fromStdString(dir.file("t.meta")));
    auto* warning = w.currentPage()->findChild<QLabel*>("fsWarning");
    auto* overwrite = w.currentPage()->findChild<QCheckBox*>("overwrite");
    QVERIFY(warning && overwrite);
    if (ext4) {
        QTRY_VERIFY_WITH_TIMEOUT(warning->isVisible(), 10000);
        QVERIFY2(warning->text().contains("ext4") && warning->text().contains("keepme"), qPrintable(warning->text()));
        QVERIFY(overwrite->isVisible() && !overwrite->isChecked());
    }
    QTRY_VERIFY_WITH_TIMEOUT((w.next(), w.currentId() == int(CloneWizard::DestinationPageId) && validationText(w).contains(message)
                              && !validationText(w).startsWith("Still reading")), 10000);
    QVERIFY2(validationText(w).contains(message), qPrintable(validationText(w)));
    QVERIFY(test::readFile(target.toStdString()) == before);
    QVERIFY(!QFileInfo::exists(QString::fromStdString(dir.file("t.meta"))));
    if (ext4) {
        overwrite->setChecked(true);
        w.next();
        QCOMPARE(w.currentId(), int(CloneWizard::OptionsPageId));
        QVERIFY(test::readFile(target.toStdString()) == before);  // nothing is written before Finish
    }
}

QTEST_MAIN(TstUiCloneWizard)
#include "tst_ui_clone_wizard.moc"
