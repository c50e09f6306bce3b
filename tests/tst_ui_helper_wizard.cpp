// The wizards' backend choice (ui/wizards/BackendChoice.h): Userspace or Kernel, Kernel greyed
// out with its reason where it cannot run; a kernel snapshot or clone is made through
// loopsnap-helper (ui/bridge/HelperBridge.h). Here the helper is the in-process HelperService on
// a private dbus-daemon with a fake polkit authority, over the userspace backend (this kernel has
// no device-mapper): the wizard's request, polkit's answer and the device arriving in the tree
// with its backend are what is checked.
#include <QtTest>
#include <QDBusConnection>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QStandardPaths>

#include "core/engine/engine.h"
#include "helper/helper_protocol.h"
#include "helper/helper_service.h"
#include "support/helper_on_bus.h"
#include "support/test_support.h"
#include "support/ui_support.h"
#include "ui/bridge/HelperBridge.h"
#include "ui/bridge/ProbeCache.h"
#include "ui/models/DeviceTreeModel.h"
#include "ui/text/ErrorText.h"
#include "ui/wizards/BackendChoice.h"
#include "ui/wizards/CloneWizard.h"
#include "ui/wizards/SnapshotWizard.h"

using namespace loopsnap;
using namespace loopsnap::ui;

namespace {

QStringList listing(const QString& dir) { return QDir(dir).entryList(QDir::Files | QDir::NoDotAndDotDot, QDir::Name); }

// Snapshot wizard up to its options page, with `origin` as origin.
void toSnapshotOptions(SnapshotWizard& w, const QString& origin, const QString& cow = {}) {
    w.currentPage()->findChild<QLineEdit*>(QStringLiteral("originPath"))->setText(origin);
    auto* info = w.currentPage()->findChild<QLabel*>(QStringLiteral("originInfo"));
    QTRY_VERIFY_WITH_TIMEOUT(!info->text().startsWith(QStringLiteral("Reading")), 5000);
    w.next();
    QCOMPARE(w.currentId(), int(SnapshotWizard::StorePageId));
    w.currentPage()->findChild<QLineEdit*>(QStringLiteral("cowSize"))->setText(QStringLiteral("2M"));
    if (!cow.isEmpty()) w.currentPage()->findChild<QLineEdit*>(QStringLiteral("cowPath"))->setText(cow);
    w.next();
    QCOMPARE(w.currentId(), int(SnapshotWizard::OptionsPageId));
}

void toCloneOptions(CloneWizard& w, const QString& source, const QString& dest, const QString& meta) {
    w.setSource(source);
    auto* info = w.currentPage()->findChild<QLabel*>(QStringLiteral("sourceInfo"));
    QTRY_VERIFY_WITH_TIMEOUT(!info->text().startsWith(QStringLiteral("Reading")), 5000);
    w.next();
    QCOMPARE(w.currentId(), int(CloneWizard::DestinationPageId));
    w.currentPage()->findChild<QLineEdit*>(QStringLiteral("destPath"))->setText(dest);
    w.currentPage()->findChild<QLineEdit*>(QStringLiteral("metaPath"))->setText(meta);
    w.next();
    QCOMPARE(w.currentId(), int(CloneWizard::OptionsPageId));
}

}  // namespace

class TstUiHelperWizard : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<test::TempDir> dir_;
    std::unique_ptr<test::HelperOnBus> helper_;
    QString file(const char* name) const { return QString::fromStdString(dir_->file(name)); }
    QDBusConnection client() const { return helper_->client(); }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        dir_ = std::make_unique<test::TempDir>();
        helper_ = std::make_unique<test::HelperOnBus>(QStringLiteral("wizard"));
        const QString started = helper_->start(dir_->path());
        if (helper_->notInstalled()) QSKIP(qPrintable(started));
        QVERIFY2(started.isEmpty(), qPrintable(started));
        test::writeFile(dir_->file("disk.img"), test::patternBytes(1, 0, 8 << 20));
        test::writeFile(dir_->file("src.img"), test::patternBytes(2, 0, 1 << 20));
    }
    void cleanupTestCase() { helper_.reset(); }

    // What the machine offers, then each availability as BackendChoice shows it.
    void choiceFollowsAvailability_data() {
        QTest::addColumn<bool>("clone");
        QTest::newRow("snapshot wizard") << false;
        QTest::newRow("clone wizard") << true;
    }
    void choiceFollowsAvailability() {
        QFETCH(bool, clone);
        auto bridge = test::openBridge(dir_->file("ws-choice"));
        QVERIFY(bridge);
        std::unique_ptr<QWizard> w;
        BackendChoice* choice = nullptr;
        if (clone) {
            auto* cw = new CloneWizard(bridge.get());
            w.reset(cw);
            choice = cw->backendChoice();
        } else {
            auto* sw = new SnapshotWizard(bridge.get());
            w.reset(sw);
            choice = sw->backendChoice();
        }
        w->show();
        QVERIFY(choice);
        auto* kernel = choice->findChild<QRadioButton*>(QStringLiteral("backendKernel"));
        auto* userspace = choice->findChild<QRadioButton*>(QStringLiteral("backendUserspace"));
        auto* note = choice->findChild<QLabel*>(QStringLiteral("backendNote"));
        QVERIFY(kernel && userspace && note);
        QVERIFY(userspace->isChecked());
        QCOMPARE(choice->backend(), BackendKind::Userspace);

        const KernelAvailability here = probeKernelAvailability();
        QCOMPARE(kernel->isEnabled(), here.available);
        if (!here.available) {
            QVERIFY(!here.reason.isEmpty());
            QVERIFY(note->isVisibleTo(choice));
            QVERIFY2(note->text().contains(here.reason), qPrintable(note->text()));
        }

        choice->setAvailability({false, QStringLiteral("device-mapper is not available in this kernel")});
        QVERIFY(!kernel->isEnabled());
        QTest::mouseClick(kernel, Qt::LeftButton);
        QCOMPARE(choice->backend(), BackendKind::Userspace);  // a greyed-out choice cannot be taken
        QVERIFY(note->text().contains(QLatin1String("device-mapper is not available")));

        choice->setAvailability({true, {}});
        QVERIFY(kernel->isEnabled());
        QVERIFY(!note->isVisibleTo(choice));
        QTest::mouseClick(kernel, Qt::LeftButton);
        QCOMPARE(choice->backend(), BackendKind::Kernel);
        // Taken away again (e.g. the helper was uninstalled): back to Userspace.
        choice->setAvailability({false, QStringLiteral("gone")});
        QCOMPARE(choice->backend(), BackendKind::Userspace);
    }

    // Kernel chosen: the snapshot is created by the helper after polkit said yes, with the
    // user's interaction allowed (a password dialog), and arrives in the device tree.
    void kernelSnapshotThroughHelper_data() {
        QTest::addColumn<bool>("allow");
        QTest::newRow("authorised") << true;
        QTest::newRow("refused") << false;
    }
    void kernelSnapshotThroughHelper() {
        QFETCH(bool, allow);
        const std::string tag = allow ? "a" : "r";
        auto bridge = test::openBridge(dir_->file(("ws-snap-" + tag).c_str()));
        QVERIFY(bridge);
        bridge->helper()->setConnection(client());
        ProbeCache probes;
        DeviceTreeModel model(&probes);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        connect(bridge.get(), &EngineBridge::registryChanged, &model, [&] { model.setRegistry(bridge->registry()); });

        const QString origin = file("disk.img"), cow = file(allow ? "kernel-a.cow" : "kernel-r.cow");
        SnapshotWizard w(bridge.get());
        w.show();
        toSnapshotOptions(w, origin, cow);
        w.backendChoice()->setAvailability({true, {}});
        auto* attach = w.currentPage()->findChild<QRadioButton*>(QStringLiteral("attach"));
        auto* serve = w.currentPage()->findChild<QRadioButton*>(QStringLiteral("serve"));
        QVERIFY(attach->isEnabled() && serve->isEnabled());
        QTest::mouseClick(w.backendChoice()->findChild<QRadioButton*>(QStringLiteral("backendKernel")), Qt::LeftButton);
        QCOMPARE(w.backend(), BackendKind::Kernel);
        QVERIFY(!attach->isEnabled() && !serve->isEnabled());  // the kernel's device is in /dev/mapper
        w.next();
        QCOMPARE(w.currentId(), int(SnapshotWizard::SummaryPageId));
        QVERIFY2(w.currentPage()->findChild<QLineEdit*>(QStringLiteral("command"))->text().startsWith(QLatin1String("loopsnapctl --backend kernel snapshot create")),
                 qPrintable(w.currentPage()->findChild<QLineEdit*>(QStringLiteral("command"))->text()));
        QVERIFY(w.currentPage()->findChild<QLabel*>(QStringLiteral("summary"))->text().contains(QLatin1String("loopsnap-helper")));

        helper_->authority.allow = allow;
        const int interactive = helper_->authority.interactiveCalls;
        QSignalSpy created(&w, &SnapshotWizard::created);
        w.button(QWizard::FinishButton)->click();
        // Interactive: the desktop's polkit agent may ask (the background List never is).
        QTRY_COMPARE_WITH_TIMEOUT(helper_->authority.interactiveCalls, interactive + 1, 10000);
        QCOMPARE(helper_->authority.subjectName, client().baseService());
        if (!allow) {
            QTRY_VERIFY_WITH_TIMEOUT(!w.finishError().isEmpty(), 10000);
            QVERIFY2(w.finishError().startsWith(QLatin1String("Not authorised")), qPrintable(w.finishError()));
            QVERIFY(w.isVisible());  // stays open with the reason
            QCOMPARE(created.count(), 0);
            QVERIFY(!QFileInfo::exists(cow));
            QVERIFY(w.button(QWizard::FinishButton)->isEnabled());
            return;
        }
        // The QTRY above spins the event loop: the helper's reply and created() may already have
        // come (QSignalSpy::wait() counts only emissions after it starts), so wait on the count.
        QTRY_VERIFY2_WITH_TIMEOUT(created.count() == 1, qPrintable(w.finishError()), 30000);
        QVERIFY(!w.isVisible());
        const QString id = created.at(0).at(0).toString();
        QVERIFY2(id.startsWith(QLatin1String(HelperBridge::kIdPrefix)), qPrintable(id));
        QVERIFY(QFileInfo::exists(cow));
        // The helper's devices arrive in the tree, with their backend.
        QTRY_VERIFY_WITH_TIMEOUT(model.indexFor(DeviceRef{DeviceKind::Snapshot, id}).isValid(), 10000);
        const SnapshotInfo* info = model.snapshot(id);
        QVERIFY(info);
        QCOMPARE(QString::fromStdString(info->cowPath), cow);
        const QModelIndex backendCell = model.indexFor(DeviceRef{DeviceKind::Snapshot, id}, DeviceTreeModel::BackendColumn);
        QCOMPARE(model.data(backendCell).toString(), backendText(info->backend));
        // The app's own workspace has none of it.
        bridge->refresh();
        bridge->waitIdle(5000);
        QTRY_VERIFY(model.indexFor(DeviceRef{DeviceKind::Snapshot, id}).isValid());
    }

    void kernelCloneThroughHelper() {
        auto bridge = test::openBridge(dir_->file("ws-clone"));
        QVERIFY(bridge);
        bridge->helper()->setConnection(client());
        helper_->authority.allow = true;
        CloneWizard w(bridge.get());
        w.show();
        toCloneOptions(w, file("src.img"), file("kclone.img"), file("kclone.meta"));
        w.backendChoice()->setAvailability({true, {}});
        QTest::mouseClick(w.backendChoice()->findChild<QRadioButton*>(QStringLiteral("backendKernel")), Qt::LeftButton);
        w.next();
        QCOMPARE(w.currentId(), int(CloneWizard::SummaryPageId));
        QVERIFY(w.currentPage()->findChild<QLineEdit*>(QStringLiteral("command"))->text().startsWith(QLatin1String("loopsnapctl --backend kernel clone create")));
        QSignalSpy created(&w, &CloneWizard::created);
        w.button(QWizard::FinishButton)->click();
        QVERIFY2(created.wait(30000), qPrintable(w.finishError()));
        QVERIFY(created.at(0).at(0).toString().startsWith(QLatin1String(HelperBridge::kIdPrefix)));
        QVERIFY(QFileInfo::exists(file("kclone.meta")));
        QTRY_VERIFY_WITH_TIMEOUT(!bridge->helper()->clones().empty(), 10000);
    }

    // No helper on the bus: the wizard says so and stays open; nothing is written.
    void helperMissing() {
        auto bridge = test::openBridge(dir_->file("ws-missing"));
        QVERIFY(bridge);
        QDBusConnection lonely = QDBusConnection::connectToBus(helper_->address(), QStringLiteral("wizard-lonely"));
        bridge->helper()->setConnection(lonely);
        QVERIFY(helper_->serviceConnection().unregisterService(QString::fromLatin1(helper::kServiceName)));
        SnapshotWizard w(bridge.get());
        w.show();
        toSnapshotOptions(w, file("disk.img"));
        w.backendChoice()->setAvailability({true, {}});
        QTest::mouseClick(w.backendChoice()->findChild<QRadioButton*>(QStringLiteral("backendKernel")), Qt::LeftButton);
        w.next();
        const QStringList before = listing(QString::fromStdString(dir_->path()));
        w.button(QWizard::FinishButton)->click();
        QTRY_VERIFY_WITH_TIMEOUT(!w.finishError().isEmpty(), 10000);
        QVERIFY2(w.finishError().contains(QLatin1String("loopsnap-helper cannot be reached")), qPrintable(w.finishError()));
        QCOMPARE(listing(QString::fromStdString(dir_->path())), before);
        QVERIFY(helper_->serviceConnection().registerService(QString::fromLatin1(helper::kServiceName)));
        QDBusConnection::disconnectFromBus(QStringLiteral("wizard-lonely"));
    }
};

QTEST_MAIN(TstUiHelperWizard)
#include "tst_ui_helper_wizard.moc"
