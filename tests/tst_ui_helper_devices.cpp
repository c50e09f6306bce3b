// Operations of the desktop app on loopsnap-helper's devices (ids "kernel:…"): forget (the
// helper's Remove: the device goes down, the files stay), delete (the helper's Delete: the files
// go and the origin stays usable: a new snapshot of it can be made),
// hydration on/off and tuning (dm-clone's messages through Message), each asynchronous and each
// error in the main window's message area. The helper is the in-process HelperService on a
// private dbus-daemon with a fake polkit authority, over the userspace backend (this kernel has
// no device-mapper), as in tst_ui_helper_wizard.
#include <QtTest>
#include <QDBusConnection>
#include <QPushButton>
#include <QStandardPaths>

#include "core/engine/engine.h"
#include "helper/helper_protocol.h"
#include "helper/helper_service.h"
#include "support/helper_on_bus.h"
#include "support/test_support.h"
#include "support/ui_support.h"
#include "ui/bridge/HelperBridge.h"
#include "ui/dialogs/MergeDialog.h"
#include "ui/demo/DemoSession.h"
#include "ui/models/DeviceTreeModel.h"
#include "ui/pages/DevicesPage.h"
#include "ui/pages/MainWindow.h"
#include "ui/widgets/MessageArea.h"

using namespace loopsnap;
using namespace loopsnap::ui;

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
}  // namespace

class TstUiHelperDevices : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<test::TempDir> dir_;
    std::unique_ptr<test::HelperOnBus> helper_;
    int serial_ = 0;
    QString file(const std::string& name) const { return q(dir_->file(name.c_str())); }
    QDBusConnection client() const { return helper_->client(); }

    std::unique_ptr<EngineBridge> bridge() {
        auto b = test::openBridge(dir_->file(("ws-" + std::to_string(++serial_)).c_str()));
        if (b) b->helper()->setConnection(client());
        return b;
    }
    // A kernel snapshot of disk.img (or a clone of src.img) made through the helper; its id.
    QString makeSnapshot(EngineBridge& b, const std::string& cow) {
        CreateSnapshotRequest rq{dir_->file("disk.img"), dir_->file(cow.c_str()), 2 << 20, 16 * 1024, "P"};
        std::optional<Result<SnapshotInfo>> got;
        b.helper()->createSnapshot(rq, this, [&](const Result<SnapshotInfo>& r) { got = r; });
        if (!QTest::qWaitFor([&] { return got.has_value(); }, 20000)) return {};
        if (!got->ok()) {
            qWarning("helper snapshot: %s", got->error().toString().c_str());
            return {};
        }
        const QString id = q(got->value().id);
        QTest::qWaitFor([&] { return b.helper()->findSnapshot(id) != nullptr; }, 10000);
        return id;
    }
    QString makeClone(EngineBridge& b, const std::string& name) {
        CreateCloneRequest rq{dir_->file("src.img"), dir_->file((name + ".img").c_str()), dir_->file((name + ".meta").c_str()), 64 * 1024};
        std::optional<Result<CloneInfo>> got;
        b.helper()->createClone(rq, std::nullopt, this, [&](const Result<CloneInfo>& r) { got = r; });
        if (!QTest::qWaitFor([&] { return got.has_value(); }, 20000)) return {};
        if (!got->ok()) {
            qWarning("helper clone: %s", got->error().toString().c_str());
            return {};
        }
        const QString id = q(got->value().id);
        QTest::qWaitFor([&] { return b.helper()->findClone(id) != nullptr; }, 10000);
        return id;
    }
    std::optional<CloneInfo> cloneStatus(EngineBridge& b, const QString& id) {
        std::optional<Result<CloneInfo>> got;
        b.helper()->cloneStatus(id, this, [&](const Result<CloneInfo>& r) { got = r; });
        if (!QTest::qWaitFor([&] { return got.has_value(); }, 10000) || !got->ok()) return std::nullopt;
        return got->value();
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        dir_ = std::make_unique<test::TempDir>();
        helper_ = std::make_unique<test::HelperOnBus>(QStringLiteral("devices"));
        const QString started = helper_->start(dir_->path());
        if (helper_->notInstalled()) QSKIP(qPrintable(started));
        QVERIFY2(started.isEmpty(), qPrintable(started));
        test::writeFile(dir_->file("disk.img"), test::patternBytes(1, 0, 8 << 20));
        test::writeFile(dir_->file("src.img"), test::patternBytes(2, 0, 1 << 20));
    }
    void init() { helper_->authority.allow = true; }
    void cleanupTestCase() { helper_.reset(); }

    // Forget: the helper's Remove (interactive polkit), the device leaves the tree, the files stay.
    // Delete: the helper's Delete, the files are gone too and the origin takes a new snapshot.
    void forgetAndDelete_data() {
        QTest::addColumn<bool>("clone");
        QTest::addColumn<bool>("deleteFiles");
        QTest::newRow("forget snapshot") << false << false;
        QTest::newRow("forget clone") << true << false;
        QTest::newRow("delete snapshot") << false << true;
        QTest::newRow("delete clone") << true << true;
    }
    void forgetAndDelete() {
        QFETCH(bool, clone);
        QFETCH(bool, deleteFiles);
        auto b = bridge();
        QVERIFY(b);
        DeviceTreeModel model(nullptr);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        connect(b.get(), &EngineBridge::registryChanged, &model, [&] { model.setRegistry(b->registry()); });
        const std::string name = std::string(clone ? "c" : "s") + (deleteFiles ? "-del" : "-forget") + std::to_string(serial_);
        const QString id = clone ? makeClone(*b, name) : makeSnapshot(*b, name + ".cow");
        QVERIFY(!id.isEmpty());
        const DeviceRef ref{clone ? DeviceKind::Clone : DeviceKind::Snapshot, id};
        QTRY_VERIFY_WITH_TIMEOUT(model.indexFor(ref).isValid(), 10000);
        QStringList files;
        if (clone) files << file(name + ".meta") << file(name + ".img");
        else files << file(name + ".cow");
        for (const QString& f : files) QVERIFY2(QFileInfo::exists(f), qPrintable(f));

        QSignalSpy failed(b.get(), &EngineBridge::failed);
        const int interactive = helper_->authority.interactiveCalls;
        if (deleteFiles) b->deleteFiles(id);
        else b->forget(id);
        QTRY_VERIFY_WITH_TIMEOUT(!model.indexFor(ref).isValid(), 10000);
        QCOMPARE(helper_->authority.interactiveCalls, interactive + 1);
        QVERIFY(!b->helper()->findSnapshot(id) && !b->helper()->findClone(id));
        if (deleteFiles) {
            for (const QString& f : files) QTRY_VERIFY2_WITH_TIMEOUT(!QFileInfo::exists(f), qPrintable(f), 10000);
            if (!clone) QVERIFY(!makeSnapshot(*b, name + "-again.cow").isEmpty());  // the origin forgot it
        } else {
            for (const QString& f : files) QVERIFY2(QFileInfo::exists(f), qPrintable(f));
        }
        b->waitIdle(5000);
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.at(0).at(1).toString()));
    }

    // Hydration of a kernel clone: tuning and on/off are dm-clone's messages through the helper.
    void hydrationControls() {
        auto b = bridge();
        QVERIFY(b);
        const QString id = makeClone(*b, "hydrate");
        QVERIFY(!id.isEmpty());
        QSignalSpy failed(b.get(), &EngineBridge::failed);
        std::optional<Result<bool>> tuned;
        b->tuneHydration(id, HydrationTuning{7, 3}, this, [&](const Result<bool>& r) { tuned = r; });
        QTRY_VERIFY_WITH_TIMEOUT(tuned.has_value(), 10000);
        QVERIFY2(tuned->ok(), tuned->ok() ? "" : tuned->error().message.c_str());
        auto info = cloneStatus(*b, id);
        QVERIFY(info);
        QCOMPARE(info->hydrationThreshold, 7u);
        QCOMPARE(info->hydrationBatchSize, 3u);
        QVERIFY(!info->hydrationEnabled);
        QCOMPARE(info->hydratedRegions, uint64_t(0));

        // Off while off changes nothing; on hydrates every region.
        std::optional<Result<bool>> off;
        b->setHydration(id, false, this, [&](const Result<bool>& r) { off = r; });
        QTRY_VERIFY_WITH_TIMEOUT(off.has_value(), 10000);
        QVERIFY(off->ok());
        QCOMPARE(cloneStatus(*b, id)->hydratedRegions, uint64_t(0));
        std::optional<Result<bool>> on;
        b->setHydration(id, true, this, [&](const Result<bool>& r) { on = r; });
        QTRY_VERIFY_WITH_TIMEOUT(on.has_value(), 10000);
        QVERIFY(on->ok());
        QTRY_VERIFY_WITH_TIMEOUT([&] {
            auto now = cloneStatus(*b, id);
            return now && now->totalRegions > 0 && now->hydratedRegions == now->totalRegions;
        }(), 20000);
        QVERIFY(failed.isEmpty());

        // Out of range: the helper refuses; the error is reported.
        std::optional<Result<bool>> bad;
        b->tuneHydration(id, HydrationTuning{0, 3}, this, [&](const Result<bool>& r) { bad = r; });
        QTRY_VERIFY_WITH_TIMEOUT(bad.has_value(), 10000);
        QVERIFY(!bad->ok());
        QCOMPARE(bad->error().code, ErrorCode::InvalidArgument);
        QCOMPARE(failed.count(), 1);
        QCOMPARE(failed.at(0).at(1).toString(), QStringLiteral("hydrate"));
    }

    // Rollback of a kernel snapshot: planned from the helper's Status, started with its Merge and
    // followed until the origin holds the snapshot's contents; no pause or stop.
    void rollbackThroughHelper() {
        auto b = bridge();
        QVERIFY(b);
        test::writeFile(dir_->file("roll.img"), test::patternBytes(5, 0, 4 << 20));
        CreateSnapshotRequest rq{dir_->file("roll.img"), dir_->file("roll.cow"), 2 << 20, 16 * 1024, "P"};
        std::optional<Result<SnapshotInfo>> got;
        b->helper()->createSnapshot(rq, this, [&](const Result<SnapshotInfo>& r) { got = r; });
        QTRY_VERIFY_WITH_TIMEOUT(got.has_value(), 20000);
        QVERIFY2(got->ok(), got->ok() ? "" : got->error().message.c_str());
        const QString id = q(got->value().id);
        QTRY_VERIFY_WITH_TIMEOUT(b->helper()->findSnapshot(id), 10000);
        // Writes to the origin in the helper (the kernel's device there): 5 chunks copied away.
        QVERIFY(helper_->engine);
        const std::string originId = b->helper()->findSnapshot(id)->originId.substr(qstrlen(HelperBridge::kIdPrefix));
        auto origin = helper_->engine->device(originId);
        QVERIFY2(origin.ok(), origin.ok() ? "" : origin.error().message.c_str());
        const auto fresh = test::patternBytes(9, 0, 5 * 16 * 1024);
        QVERIFY(origin.value()->write(16 * 1024, fresh).ok());
        QVERIFY(origin.value()->flush().ok());
        origin.value().reset();
        b->helper()->refresh();
        QTRY_VERIFY_WITH_TIMEOUT(b->helper()->findSnapshot(id) && b->helper()->findSnapshot(id)->exceptions == 5, 10000);

        MergeDialog dialog(b.get(), id);
        dialog.show();
        QTRY_COMPARE_WITH_TIMEOUT(dialog.stage(), MergeDialog::Stage::Ready, 10000);
        QVERIFY(dialog.plan());
        QCOMPARE(dialog.plan()->chunksToMerge, uint64_t(5));
        QCOMPARE(q(dialog.plan()->originPath), file("roll.img"));
        QVERIFY(dialog.startButton()->isEnabled());
        dialog.startButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(dialog.stage() == MergeDialog::Stage::Finished || dialog.stage() == MergeDialog::Stage::Failed, 20000);
        QVERIFY2(dialog.stage() == MergeDialog::Stage::Finished, qPrintable(dialog.resultText()));
        QVERIFY(!dialog.pauseButton()->isVisible() && !dialog.stopButton()->isVisible());
        QCOMPARE(dialog.lastJob().progress.done, uint64_t(5));
        // The origin file holds the snapshot's contents again: its original pattern.
        QFile image(file("roll.img"));
        QVERIFY(image.open(QIODevice::ReadOnly));
        QVERIFY(image.seek(16 * 1024));
        const QByteArray back = image.read(5 * 16 * 1024);
        const auto original = test::patternBytes(5, 16 * 1024, 5 * 16 * 1024);
        QVERIFY(back == QByteArray(reinterpret_cast<const char*>(original.data()), qsizetype(original.size())));
        QTRY_VERIFY_WITH_TIMEOUT(b->helper()->findSnapshot(id) && b->helper()->findSnapshot(id)->exceptions == 0, 10000);
    }

    // Refused by polkit, or an id the helper does not have: nothing changes and the main window's
    // message area says why.
    void errorsInMessageArea_data() {
        QTest::addColumn<bool>("unknownId");
        QTest::newRow("not authorised") << false;
        QTest::newRow("unknown kernel id") << true;
    }
    void errorsInMessageArea() {
        QFETCH(bool, unknownId);
        auto b = bridge();
        QVERIFY(b);
        MainWindow window(b.get());
        window.show();
        const QString id = makeSnapshot(*b, "refused" + std::to_string(serial_) + ".cow");
        QVERIFY(!id.isEmpty());
        const QString target = unknownId ? QString::fromLatin1(HelperBridge::kIdPrefix) + QStringLiteral("nope") : id;
        helper_->authority.allow = unknownId;
        const int before = window.messages()->count();
        b->forget(target);
        QTRY_VERIFY_WITH_TIMEOUT(window.messages()->count() > before, 10000);
        const QString text = window.messages()->texts().join(QLatin1Char('\n'));
        QVERIFY2(text.contains(unknownId ? QStringLiteral("nope") : QStringLiteral("Not authorised")), qPrintable(text));
        helper_->authority.allow = true;
        b->helper()->refresh();
        QTest::qWait(200);
        QVERIFY(b->helper()->findSnapshot(id));
        QVERIFY(QFileInfo::exists(file("refused" + std::to_string(serial_) + ".cow")));
    }
};

QTEST_MAIN(TstUiHelperDevices)
#include "tst_ui_helper_devices.moc"
