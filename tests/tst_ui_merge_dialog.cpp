// The rollback dialog (ui/dialogs/MergeDialog), driven offscreen as a user would, from the
// snapshot's action in the main window:
// - it completes the rollback of a real snapshot: the origin (the file, and what the engine
//   presents) then equals the snapshot's view and a second snapshot is unchanged; after it the
//   empty store is kept or removed (rows);
// - a merge stopped in one app instance shows as "merging, interrupted" (with "Resume rollback…")
//   and is finished in a new instance, by the app's dialog or by `loopsnapctl merge` while the app
//   watches (rows);
// - while another process holds the origin (or its store) the dialog refuses naming the holder
//   (pid and program) and nothing is written; once it is gone "Check again" allows the merge.
#include <QtTest>

#include <QAction>
#include <QLabel>
#include <QProcess>
#include <QPushButton>

#include <optional>

#include "core/posix/file_device.h"
#include "support/test_support.h"
#include "support/ui_support.h"
#include "ui/demo/DemoSession.h"
#include "ui/dialogs/MergeDialog.h"
#include "ui/models/DeviceTreeModel.h"
#include "ui/pages/DevicesPage.h"
#include "ui/pages/MainWindow.h"
#include "ui/pages/PageRegistry.h"

using namespace loopsnap;
using namespace loopsnap::ui;
using namespace loopsnap::test;

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

template <typename T>
Result<T> callSync(EngineBridge& bridge, std::function<Result<T>(Engine&)> work, int timeoutMs = 60000) {
    std::optional<Result<T>> out;
    bridge.call<T>(nullptr, QString(), std::move(work), [&out](const Result<T>& r) { out = r; });
    QDeadlineTimer deadline(timeoutMs);
    while (!out && !deadline.hasExpired()) QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    if (!out) return makeError(ErrorCode::Aborted, "timed out", "", "timeout");
    return *out;
}

struct Setup {
    std::string originPath, aCow, bCow;
    QString originId, aId, bId;
    std::vector<std::byte> viewA, viewB;
    uint64_t exceptionsA = 0;
};

// Origin with snapshot A; `writes` origin writes of one chunk every `stride` chunks; snapshot B;
// a few more writes (B gets exceptions of its own). Returns the views A and B must keep.
Setup makeSnapshots(EngineBridge& bridge, const TempDir& dir, uint64_t size, uint32_t chunk, uint64_t writes, uint64_t stride) {
    Setup s;
    s.originPath = dir.file("origin.img");
    s.aCow = dir.file("a.cow");
    s.bCow = dir.file("b.cow");
    s.viewA = patternBytes(1, 0, size);
    writeFile(s.originPath, s.viewA);
    auto made = callSync<Setup>(bridge, [s, size, chunk, writes, stride](Engine& e) -> Result<Setup> {
        Setup out = s;
        const uint64_t cowSize = 2 * writes * chunk + 64 * chunk + (4 << 20);
        LS_ASSIGN(SnapshotInfo a, e.createSnapshot({s.originPath, s.aCow, cowSize, chunk, "P"}));
        out.originId = q(a.originId);
        out.aId = q(a.id);
        LS_ASSIGN(auto origin, e.device(a.originId));
        for (uint64_t i = 0; i < writes; ++i) {
            const uint64_t off = (i * stride % (size / chunk)) * chunk;
            LS_TRY(origin->write(off, patternBytes(10 + i, off, chunk)));
        }
        LS_ASSIGN(SnapshotInfo b, e.createSnapshot({s.originPath, s.bCow, cowSize, chunk, "P"}));
        out.bId = q(b.id);
        out.viewB = readAll(*origin);
        for (uint64_t i = 0; i < 8; ++i) {
            const uint64_t off = (i * 3 + 1) * chunk;
            LS_TRY(origin->write(off, patternBytes(900 + i, off, chunk)));
        }
        LS_TRY(origin->flush());
        LS_ASSIGN(SnapshotInfo a2, e.snapshot(a.id));
        out.exceptionsA = a2.exceptions;
        return out;
    });
    if (!made.ok()) qFatal("setup: %s", made.error().toString().c_str());
    return made.value();
}

std::vector<std::byte> viewOf(EngineBridge& bridge, const QString& id) {
    auto r = callSync<std::vector<std::byte>>(bridge, [id](Engine& e) -> Result<std::vector<std::byte>> {
        LS_ASSIGN(auto dev, e.device(id.toStdString()));
        return readAll(*dev);
    });
    if (!r.ok()) qFatal("view: %s", r.error().toString().c_str());
    return r.value();
}

QString stateShown(MainWindow& w, const QString& snapshotId) {
    return w.model()->indexFor({DeviceKind::Snapshot, snapshotId}, DeviceTreeModel::StateColumn).data().toString();
}

// The rollback dialog opened from the snapshot's action (Ctrl+M), as a user does.
MergeDialog* openRollback(MainWindow& w, const QString& snapshotId) {
    w.devicesPage()->select({DeviceKind::Snapshot, snapshotId});
    QAction* a = w.action(QStringLiteral("page:merge"));
    if (!a || !a->isEnabled()) return nullptr;
    if (a->shortcut() != QKeySequence(Qt::CTRL | Qt::Key_M)) return nullptr;
    a->trigger();
    return w.findChild<MergeDialog*>();
}

}  // namespace

class TstUiMergeDialog : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { registerBuiltinPages(); }
    void completesRollback_data();
    void completesRollback();
    void stoppedMergeIsResumedInANewInstance_data();
    void stoppedMergeIsResumedInANewInstance();
    void refusesWhileHeldNamingTheHolder_data();
    void refusesWhileHeldNamingTheHolder();
};

void TstUiMergeDialog::completesRollback_data() {
    QTest::addColumn<bool>("removeStore");
    QTest::newRow("keep the empty store") << false;
    QTest::newRow("remove the store") << true;
}

void TstUiMergeDialog::completesRollback() {
    QFETCH(bool, removeStore);
    TempDir dir;
    auto bridge = openBridge(dir.file("ws"));
    QVERIFY(bridge);
    MainWindow w(bridge.get());
    w.show();
    Setup s = makeSnapshots(*bridge, dir, 1 << 20, 16384, 12, 5);
    QVERIFY(s.exceptionsA > 0);
    bridge->refresh();
    QVERIFY(bridge->waitIdle(10000));

    MergeDialog* dialog = openRollback(w, s.aId);
    QVERIFY(dialog);
    QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), MergeDialog::Stage::Ready, 10000);
    // What will be overwritten, the chunks and bytes, the other snapshot by name.
    QVERIFY2(dialog->planText().contains(q(s.originPath)), qPrintable(dialog->planText()));
    QVERIFY(dialog->planText().contains(QString::number(s.exceptionsA) + QStringLiteral(" chunk")));
    QCOMPARE(dialog->plan()->chunksToMerge, s.exceptionsA);
    QCOMPARE(dialog->plan()->bytesToCopy, s.exceptionsA * 16384);
    QVERIFY2(dialog->othersText().contains(QStringLiteral("b.cow")) && dialog->othersText().contains(QStringLiteral("keep their contents")),
             qPrintable(dialog->othersText()));
    QVERIFY(dialog->refusalText().isEmpty());
    QVERIFY(dialog->startButton()->isVisible() && dialog->startButton()->isEnabled());

    QTest::mouseClick(dialog->startButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), MergeDialog::Stage::Finished, 60000);
    QCOMPARE(dialog->lastJob().progress.done, s.exceptionsA);
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->batchLines().isEmpty(), 5000);
    QCOMPARE(dialog->lastJob().progress.total, s.exceptionsA);
    QVERIFY2(dialog->progressText().startsWith(QStringLiteral("0 chunk")), qPrintable(dialog->progressText()));
    QVERIFY(dialog->keepButton()->isVisible() && dialog->removeButton()->isVisible());

    // The origin holds the snapshot's contents, on disk and as the engine presents it; B kept its view.
    QCOMPARE(readFile(s.originPath), s.viewA);
    QCOMPARE(viewOf(*bridge, s.originId), s.viewA);
    QCOMPARE(viewOf(*bridge, s.bId), s.viewB);
    QCOMPARE(viewOf(*bridge, s.aId), s.viewA);  // the empty store presents the origin

    QPointer<MergeDialog> guard(dialog);
    if (removeStore) {
        QTest::mouseClick(dialog->removeButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!fileExists(s.aCow), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!w.model()->snapshot(s.aId), 10000);
    } else {
        QTest::mouseClick(dialog->keepButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(guard.isNull(), 5000);  // closed (deletes itself)
        QVERIFY(fileExists(s.aCow));
        QTRY_COMPARE_WITH_TIMEOUT(stateShown(w, s.aId), QStringLiteral("valid"), 10000);
        QCOMPARE(w.model()->snapshot(s.aId)->exceptions, uint64_t(0));
        // The empty store has nothing to roll back: the dialog says so and offers no start.
        MergeDialog* again = openRollback(w, s.aId);
        QVERIFY(again);
        QTRY_COMPARE_WITH_TIMEOUT(again->stage(), MergeDialog::Stage::Ready, 10000);
        QCOMPARE(again->plan()->chunksToMerge, uint64_t(0));
        QVERIFY(!again->startButton()->isEnabled());
        again->close();
    }
    QTRY_VERIFY_WITH_TIMEOUT(guard.isNull(), 5000);
    QCOMPARE(viewOf(*bridge, s.bId), s.viewB);
}

void TstUiMergeDialog::stoppedMergeIsResumedInANewInstance_data() {
    QTest::addColumn<bool>("byCli");
    QTest::newRow("resumed by the app") << false;
    QTest::newRow("resumed by loopsnapctl merge, the app watching") << true;
}

void TstUiMergeDialog::stoppedMergeIsResumedInANewInstance() {
    QFETCH(bool, byCli);
    TempDir dir;
    Setup s;
    uint64_t mergedFirst = 0;
    {
        // First instance: start the rollback and stop it as soon as it runs.
        auto bridge = openBridge(dir.file("ws"));
        QVERIFY(bridge);
        MainWindow w(bridge.get());
        w.show();
        // 256 chunks of 4 KiB, none adjacent: 256 batches, each durable before the next.
        s = makeSnapshots(*bridge, dir, 4 << 20, 4096, 256, 2);
        bridge->refresh();
        QVERIFY(bridge->waitIdle(10000));
        MergeDialog* dialog = openRollback(w, s.aId);
        QVERIFY(dialog);
        QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), MergeDialog::Stage::Ready, 10000);
        QTest::mouseClick(dialog->startButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), MergeDialog::Stage::Running, 10000);
        QVERIFY(dialog->stopButton()->isVisible());
        // Pause holds it between batches; Resume goes on; paused again, then stopped.
        QTest::mouseClick(dialog->pauseButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), MergeDialog::Stage::Paused, 10000);
        QCOMPARE(dialog->pauseButton()->text(), QStringLiteral("&Resume"));
        QTest::qWait(600);  // a batch under way when Pause arrived completes, and is polled
        const uint64_t pausedAt = dialog->lastJob().progress.done;
        QTest::qWait(800);  // polled meanwhile
        QCOMPARE(dialog->lastJob().progress.done, pausedAt);
        QVERIFY(dialog->progressText().contains(QStringLiteral("paused")));
        QTest::mouseClick(dialog->pauseButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), MergeDialog::Stage::Running, 10000);
        QTest::mouseClick(dialog->pauseButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), MergeDialog::Stage::Paused, 10000);
        QTest::mouseClick(dialog->stopButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), MergeDialog::Stage::Stopped, 30000);
        mergedFirst = dialog->lastJob().progress.done;
        qInfo("stopped after %llu of %llu chunks", (unsigned long long)mergedFirst, (unsigned long long)s.exceptionsA);
        QVERIFY2(mergedFirst < s.exceptionsA, "the merge finished before Stop reached it");
        QVERIFY(dialog->resultText().contains(QStringLiteral("Stopped after")));
        QCOMPARE(dialog->startButton()->text(), QStringLiteral("&Resume rollback"));
        // The tree says so at once.
        QTRY_COMPARE_WITH_TIMEOUT(stateShown(w, s.aId), QStringLiteral("merging, interrupted"), 10000);
        dialog->close();
    }  // the app quits: window, bridge and engine gone

    // Second instance on the same workspace.
    auto bridge = openBridge(dir.file("ws"));
    QVERIFY(bridge);
    MainWindow w(bridge.get());
    w.show();
    QTRY_COMPARE_WITH_TIMEOUT(stateShown(w, s.aId), QStringLiteral("merging, interrupted"), 10000);
    w.devicesPage()->select({DeviceKind::Snapshot, s.aId});
    QTRY_VERIFY(w.action(QStringLiteral("page:merge"))->text().contains(QStringLiteral("Resume")));

    if (byCli) {
        QProcess cli;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("LOOPSNAP_WORKSPACE"), q(dir.file("ws")));
        cli.setProcessEnvironment(env);
        cli.start(q(loopsnapctl()), {QStringLiteral("--json"), QStringLiteral("merge"), QStringLiteral("--origin"), q(s.originPath),
                                     QStringLiteral("--cow"), q(s.aCow)});
        QVERIFY(cli.waitForFinished(120000));
        const QByteArray out = cli.readAllStandardOutput();
        QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());
        QVERIFY2(out.contains("\"resumed\":true"), out.constData());
        // The app follows: the snapshot is an empty, valid store again.
        QTRY_COMPARE_WITH_TIMEOUT(stateShown(w, s.aId), QStringLiteral("valid"), 15000);
        QTRY_COMPARE_WITH_TIMEOUT(w.model()->snapshot(s.aId)->exceptions, uint64_t(0), 15000);
    } else {
        MergeDialog* dialog = openRollback(w, s.aId);
        QVERIFY(dialog);
        QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), MergeDialog::Stage::Ready, 10000);
        QVERIFY(dialog->plan()->resumes);
        QVERIFY(dialog->planText().contains(QStringLiteral("interrupted")));
        QCOMPARE(dialog->startButton()->text(), QStringLiteral("&Resume rollback"));
        QCOMPARE(dialog->plan()->chunksToMerge, s.exceptionsA - mergedFirst);
        QTest::mouseClick(dialog->startButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), MergeDialog::Stage::Finished, 120000);
        QTRY_COMPARE_WITH_TIMEOUT(stateShown(w, s.aId), QStringLiteral("valid"), 10000);
        QTest::mouseClick(dialog->keepButton(), Qt::LeftButton);
    }
    QCOMPARE(readFile(s.originPath), s.viewA);
    QCOMPARE(viewOf(*bridge, s.originId), s.viewA);
    QCOMPARE(viewOf(*bridge, s.bId), s.viewB);
}

void TstUiMergeDialog::refusesWhileHeldNamingTheHolder_data() {
    QTest::addColumn<QString>("held");
    QTest::addColumn<bool>("clickCheckAgain");  // else the dialog notices by itself (it re-plans every second)
    QTest::newRow("origin held by another process") << "origin.img" << true;
    QTest::newRow("store held by another process") << "a.cow" << false;
}

void TstUiMergeDialog::refusesWhileHeldNamingTheHolder() {
    QFETCH(QString, held);
    QFETCH(bool, clickCheckAgain);
    TempDir dir;
    auto bridge = openBridge(dir.file("ws"));
    QVERIFY(bridge);
    MainWindow w(bridge.get());
    w.show();
    Setup s = makeSnapshots(*bridge, dir, 1 << 20, 16384, 12, 5);
    // Closed in this app, so that the other process can hold the file.
    QVERIFY(callSync<bool>(*bridge, [id = s.originId.toStdString()](Engine& e) -> Result<bool> {
        Status st = e.closeDevice(id);
        if (!st.ok()) return std::move(st).error();
        return true;
    }).ok());
    const auto originBefore = readFile(s.originPath), aBefore = readFile(s.aCow), bBefore = readFile(s.bCow);
    LockHolder lock;
    QVERIFY(lock.start(dir.file(held.toStdString()), "lockholder"));
    const pid_t holder = lock.pid();
    bridge->refresh();
    QVERIFY(bridge->waitIdle(10000));

    MergeDialog* dialog = openRollback(w, s.aId);
    QVERIFY(dialog);
    QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), MergeDialog::Stage::Refused, 10000);
    const QString why = dialog->refusalText();
    QVERIFY2(why.contains(QStringLiteral("process %1 (lockholder)").arg(holder)), qPrintable(why));
    QVERIFY(why.contains(held));
    QVERIFY(!dialog->startButton()->isEnabled());
    QVERIFY(dialog->findChild<QLabel*>(QStringLiteral("refusal"))->isVisible());
    // Clicking does nothing; nothing was written (also by the re-checks meanwhile).
    QTest::mouseClick(dialog->startButton(), Qt::LeftButton);
    QTest::qWait(2500);
    QCOMPARE(dialog->stage(), MergeDialog::Stage::Refused);
    QCOMPARE(readFile(s.originPath), originBefore);
    QCOMPARE(readFile(s.aCow), aBefore);
    QCOMPARE(readFile(s.bCow), bBefore);
    QCOMPARE(w.model()->snapshot(s.aId)->state, DeviceState::Valid);

    lock.release();
    if (clickCheckAgain) QTest::mouseClick(dialog->recheckButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), MergeDialog::Stage::Ready, 10000);
    QVERIFY(dialog->startButton()->isEnabled());
    QVERIFY(dialog->refusalText().isEmpty());
    dialog->close();
}

QTEST_MAIN(TstUiMergeDialog)
#include "tst_ui_merge_dialog.moc"
