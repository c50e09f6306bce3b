// "Try a demo" as a user meets it: the button on the empty first screen opens the demo in a
// window of its own, with its own temporary folder and workspace; the user's workspace gains
// nothing, and closing the demo window closes its engine and leaves the first window working.
#include <QtTest>
#include <QDir>
#include <QPointer>
#include <QPushButton>

#include "support/test_support.h"
#include "support/ui_support.h"
#include "ui/demo/DemoSession.h"
#include "ui/models/DeviceTreeModel.h"
#include "ui/pages/DevicesPage.h"
#include "ui/pages/MainWindow.h"

using namespace loopsnap;
using namespace loopsnap::ui;

class TstUiDemoWindow : public QObject {
    Q_OBJECT
private slots:
    void tryDemoOpensItsOwnWindowAndWorkspace();
};

void TstUiDemoWindow::tryDemoOpensItsOwnWindowAndWorkspace() {
    test::TempDir dir;
    const std::string ws = dir.file("workspace");
    auto bridge = test::openBridge(ws);
    QVERIFY(bridge);
    MainWindow window(bridge.get());
    window.resize(1000, 640);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    auto* button = window.devicesPage()->findChild<QPushButton*>(QStringLiteral("tryDemo"));
    QVERIFY(button);
    QTRY_VERIFY_WITH_TIMEOUT(button->isVisible(), 5000);   // the empty first screen
    QTest::mouseClick(button, Qt::LeftButton);

    QPointer<MainWindow> demoWindow = window.findChild<MainWindow*>();
    QVERIFY(demoWindow);
    QVERIFY(demoWindow->isWindow());
    QVERIFY(demoWindow->isDemoWindow());
    QVERIFY(!window.isDemoWindow());
    QVERIFY(QTest::qWaitForWindowExposed(demoWindow));
    QVERIFY(demoWindow->windowTitle().contains(QStringLiteral("demo")));
    QVERIFY(!demoWindow->action(QStringLiteral("demo"))->isEnabled());

    QTRY_VERIFY_WITH_TIMEOUT(demoWindow->demo() && demoWindow->demo()->isReady(), 90000);
    const QString folder = demoWindow->demo()->folder();
    const auto cleanFolder = qScopeGuard([folder] { QDir(folder).removeRecursively(); });
    QVERIFY(folder.startsWith(QDir::tempPath()));
    QCOMPARE(demoWindow->bridge()->registry().workspaceDir, QDir(folder).filePath(QStringLiteral("workspace")));
    QTRY_COMPARE_WITH_TIMEOUT(demoWindow->bridge()->registry().snapshots.size(), size_t(1), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(demoWindow->bridge()->registry().clones.size(), size_t(1), 10000);  // the registry may show the snapshot first
    QTRY_VERIFY_WITH_TIMEOUT(demoWindow->model()->rowCount() >= 2, 10000);   // the origin and the clone

    // The user's workspace gained nothing, after a re-read from disk too.
    bridge->refresh();
    QVERIFY(bridge->waitIdle(10000));
    QCOMPARE(bridge->registry().workspaceDir, QString::fromStdString(ws));
    QVERIFY(bridge->registry().origins.empty());
    QVERIFY(bridge->registry().snapshots.empty());
    QVERIFY(bridge->registry().clones.empty());
    QCOMPARE(window.model()->rowCount(), 0);

    // Closing the demo window deletes it (and its engine: the workload stops, stores close).
    demoWindow->close();
    QTRY_VERIFY_WITH_TIMEOUT(demoWindow.isNull(), 30000);
    QVERIFY(window.action(QStringLiteral("demo"))->isEnabled());
    QVERIFY(button->isEnabled());
    bridge->refresh();
    QVERIFY(bridge->waitIdle(10000));
    QVERIFY(bridge->registry().origins.empty());
}

QTEST_MAIN(TstUiDemoWindow)
#include "tst_ui_demo_window.moc"
