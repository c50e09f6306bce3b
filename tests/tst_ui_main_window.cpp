// The main window against issue #12's list: every device action in the toolbar, the menus and
// the context menu with its keyboard shortcut; serve over NBD showing the URI with a Copy button
// (the URI then answers an NBD client); the details pane's status line and dm table line; a state
// icon per state; QSettings keeping the window geometry and the last folders; `loopsnap --help`
// and `--version`; the About box; the app icon.
#include <QtTest>

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QToolBar>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/test_support.h"
#include "support/ui_support.h"
#include "ui/dialogs/ServeDialog.h"
#include "ui/demo/DemoSession.h"
#include "ui/models/DeviceTreeModel.h"
#include "ui/pages/DetailsPane.h"
#include "ui/pages/DevicesPage.h"
#include "ui/pages/MainWindow.h"
#include "ui/pages/PageRegistry.h"
#include "ui/widgets/StateIcons.h"
#include "ui/wizards/SnapshotWizard.h"

using namespace loopsnap;
using namespace loopsnap::ui;

namespace {
QString gui() { return qEnvironmentVariable("LOOPSNAP_GUI"); }

bool sh(const std::string& cmd) {
    const auto r = test::runCommand(cmd);
    if (r.exitCode != 0) qWarning("command failed (%d): %s\n%s", r.exitCode, cmd.c_str(), r.err.c_str());
    return r.exitCode == 0;
}

QList<QAction*> allMenuActions(QMenuBar* bar) {
    QList<QAction*> out;
    for (QAction* top : bar->actions())
        if (top->menu()) out += top->menu()->actions();
    return out;
}

QStringList names(const QList<QAction*>& actions) {
    QStringList out;
    for (QAction* a : actions) out << (a ? a->objectName() : QStringLiteral("|"));
    return out;
}
}  // namespace

class TstUiMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void actionsInToolbarMenusAndShortcuts_data();
    void actionsInToolbarMenusAndShortcuts();
    void contextMenuPerKind();
    void serveShowsUriWithCopyButton();
    void serveOnSocketAndTcpCopiesEachUri();
    void detailsShowStatusAndTableLine();
    void everyStateHasItsOwnIcon();
    void settingsKeepGeometryAndLastFolders();
    void helpAndVersion();
    void aboutBoxNamesTheVersion();

private:
    bool makeWorkspace();
    std::unique_ptr<test::TempDir> dir_;
    std::unique_ptr<EngineBridge> bridge_;
    std::unique_ptr<MainWindow> window_;
};

void TstUiMainWindow::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);   // QSettings away from the user's
    QCoreApplication::setOrganizationName(QStringLiteral("Loopsnap-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_ui_main_window"));
    QSettings().clear();
    registerBuiltinPages();
    QVERIFY(makeWorkspace());
    bridge_ = test::openBridge(dir_->file("workspace"));
    QVERIFY(bridge_);
    window_ = std::make_unique<MainWindow>(bridge_.get());
    window_->show();
    bridge_->refresh();   // the window was made after the bridge opened: it fills on the next read
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    QTRY_COMPARE_WITH_TIMEOUT(window_->model()->rowCount(), 2, 5000);   // the origin and the clone
}

// An origin o.img with snapshot s.cow (4K chunks, one chunk written) and a clone of src.img.
bool TstUiMainWindow::makeWorkspace() {
    dir_ = std::make_unique<test::TempDir>();
    const std::string env = "LOOPSNAP_WORKSPACE=" + dir_->file("workspace") + " " + test::loopsnapctl();
    test::writeFile(dir_->file("o.img"), test::patternBytes(1, 0, 4 << 20));
    test::writeFile(dir_->file("x.bin"), test::patternBytes(2, 0, 4096));
    test::writeFile(dir_->file("src.img"), test::patternBytes(3, 0, 1 << 20));
    return sh(env + " snapshot create --origin " + dir_->file("o.img") + " --cow " + dir_->file("s.cow") + " --cow-size 1M --chunk 4K") &&
           sh(env + " origin write --origin " + dir_->file("o.img") + " --cow " + dir_->file("s.cow") + " --offset 0 --in " + dir_->file("x.bin")) &&
           sh(env + " clone create --source " + dir_->file("src.img") + " --dest " + dir_->file("d.img") + " --meta " + dir_->file("c.meta") +
              " --region 64K");
}

void TstUiMainWindow::actionsInToolbarMenusAndShortcuts_data() {
    QTest::addColumn<QString>("action");
    QTest::addColumn<QKeySequence>("shortcut");
    QTest::addColumn<bool>("inToolbar");
    QTest::newRow("new snapshot") << "newSnapshot" << QKeySequence(QKeySequence::New) << true;
    QTest::newRow("new clone") << "newClone" << QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_N) << true;
    QTest::newRow("add store") << "addStore" << QKeySequence(Qt::CTRL | Qt::Key_O) << false;
    QTest::newRow("add clone") << "addClone" << QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O) << false;
    QTest::newRow("attach") << "attach" << QKeySequence(Qt::CTRL | Qt::Key_L) << true;
    QTest::newRow("detach") << "detach" << QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L) << true;
    QTest::newRow("serve") << "serve" << QKeySequence(Qt::CTRL | Qt::Key_E) << true;
    QTest::newRow("rollback") << "page:merge" << QKeySequence(Qt::CTRL | Qt::Key_M) << true;
    QTest::newRow("exception monitor") << "page:exceptions" << QKeySequence(Qt::CTRL | Qt::Key_1) << true;
    QTest::newRow("hydration dashboard") << "page:hydration" << QKeySequence(Qt::CTRL | Qt::Key_2) << true;
    QTest::newRow("forget") << "forget" << QKeySequence(Qt::CTRL | Qt::Key_Backspace) << false;
    QTest::newRow("delete") << "delete" << QKeySequence(QKeySequence::Delete) << true;
    QTest::newRow("refresh") << "refresh" << QKeySequence(QKeySequence::Refresh) << false;
    QTest::newRow("quit") << "quit" << QKeySequence(Qt::CTRL | Qt::Key_Q) << false;
}

void TstUiMainWindow::actionsInToolbarMenusAndShortcuts() {
    QFETCH(QString, action);
    QFETCH(QKeySequence, shortcut);
    QFETCH(bool, inToolbar);
    QAction* a = window_->action(action);
    QVERIFY2(a, qPrintable(action));
    QCOMPARE(a->shortcut(), shortcut);
    QVERIFY(!a->text().isEmpty());
    QVERIFY2(allMenuActions(window_->menuBar()).contains(a), "not in a menu");
    auto* toolbar = window_->findChild<QToolBar*>(QStringLiteral("mainToolbar"));
    QVERIFY(toolbar);
    QCOMPARE(toolbar->actions().contains(a), inToolbar);
    if (inToolbar) QVERIFY2(!a->icon().isNull(), "a toolbar action without an icon");
    // Shortcuts are unique in the window.
    int same = 0;
    for (QAction* other : window_->findChildren<QAction*>())
        if (!other->shortcut().isEmpty() && other->shortcut() == shortcut) ++same;
    QCOMPARE(same, 1);
}

void TstUiMainWindow::contextMenuPerKind() {
    const auto& r = bridge_->registry();
    const DeviceRef origin{DeviceKind::Origin, QString::fromStdString(r.origins.at(0).id)};
    const DeviceRef snap{DeviceKind::Snapshot, QString::fromStdString(r.snapshots.at(0).id)};
    const DeviceRef clone{DeviceKind::Clone, QString::fromStdString(r.clones.at(0).id)};
    QCOMPARE(names(window_->contextActions({})), (QStringList{"newSnapshot", "newClone", "|", "addStore", "addClone"}));
    QCOMPARE(names(window_->contextActions(origin)),
             (QStringList{"newSnapshot", "|", "attach", "detach", "serve", "|", "forget"}));
    QCOMPARE(names(window_->contextActions(snap)),
             (QStringList{"attach", "detach", "serve", "|", "page:merge", "page:exceptions", "|", "forget", "delete"}));
    QCOMPARE(names(window_->contextActions(clone)),
             (QStringList{"attach", "detach", "serve", "|", "page:hydration", "|", "forget", "delete"}));
    // Enabled as the selection allows.
    window_->devicesPage()->select(snap);
    QVERIFY(window_->action("attach")->isEnabled() && !window_->action("detach")->isEnabled());
    QVERIFY(window_->action("page:merge")->isEnabled() && window_->action("page:exceptions")->isEnabled());
    QVERIFY(!window_->action("page:hydration")->isEnabled());
    window_->devicesPage()->select(origin);
    QVERIFY(!window_->action("delete")->isEnabled());   // an origin's files are never deleted
    window_->devicesPage()->select(clone);
    QVERIFY(window_->action("page:hydration")->isEnabled() && window_->action("delete")->isEnabled());
}

void TstUiMainWindow::serveShowsUriWithCopyButton() {
    const DeviceRef snap{DeviceKind::Snapshot, QString::fromStdString(bridge_->registry().snapshots.at(0).id)};
    window_->devicesPage()->select(snap);
    window_->action("serve")->trigger();
    ServeDialog* dialog = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((dialog = window_->findChild<ServeDialog*>()) && dialog->isVisible(), 3000);
    auto* socket = dialog->findChildren<QLineEdit*>().at(0);
    const QString path = QString::fromStdString(dir_->file("serve.sock"));
    socket->setText(path);
    auto* copy = dialog->findChild<QPushButton*>(QStringLiteral("copyUri"));
    QVERIFY(copy && !copy->isEnabled());
    dialog->findChild<QPushButton*>(QStringLiteral("serve"))->click();
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->uri().isEmpty(), 10000);
    QVERIFY2(dialog->uri().startsWith("nbd+unix:///") && dialog->uri().contains("socket=" + path), qPrintable(dialog->uri()));
    QVERIFY(copy->isEnabled());
    copy->click();
    QCOMPARE(QApplication::clipboard()->text(), dialog->uri());
    // The details pane names it, and an NBD client reads the snapshot there.
    auto named = [&] {   // after the registry's next read
        for (QLabel* l : window_->devicesPage()->details()->findChildren<QLabel*>())
            if (l->text().contains(dialog->uri())) return true;
        return false;
    };
    QTRY_VERIFY2_WITH_TIMEOUT(named(), "the details pane does not show the URI", 10000);
    if (!QStandardPaths::findExecutable("nbdinfo").isEmpty()) {
        const auto r = test::runCommand("nbdinfo --size '" + dialog->uri().toStdString() + "'");
        QCOMPARE(QString::fromStdString(r.out).trimmed(), QStringLiteral("4194304"));
    }
    dialog->close();
}

// Served on a unix socket and on TCP: two URIs, each in its own row with its own Copy button
// (a client takes one URI), and each reaches the device.
void TstUiMainWindow::serveOnSocketAndTcpCopiesEachUri() {
    const DeviceRef snap{DeviceKind::Snapshot, QString::fromStdString(bridge_->registry().snapshots.at(0).id)};
    window_->devicesPage()->select(snap);
    window_->action("serve")->trigger();
    ServeDialog* dialog = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((dialog = window_->findChildren<ServeDialog*>().value(0)) && dialog->isVisible(), 3000);
    for (ServeDialog* d : window_->findChildren<ServeDialog*>())
        if (d->isVisible()) dialog = d;
    quint16 port = 0;
    {
        // A free port on loopback, given back at once.
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        QVERIFY(fd >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof(addr);
        QVERIFY(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
        QVERIFY(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port = ntohs(addr.sin_port);
        ::close(fd);
    }
    const QString path = QString::fromStdString(dir_->file("serve2.sock"));
    dialog->findChildren<QLineEdit*>().at(0)->setText(path);
    dialog->findChildren<QLineEdit*>().at(1)->setText(QStringLiteral("127.0.0.1:%1").arg(port));
    dialog->findChild<QPushButton*>(QStringLiteral("serve"))->click();
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->uri().isEmpty(), 10000);
    auto* second = dialog->findChild<QLineEdit*>(QStringLiteral("uri2"));
    QVERIFY2(second, "no second URI row");
    QVERIFY2(dialog->uri().startsWith("nbd+unix:///") && !dialog->uri().contains(' '), qPrintable(dialog->uri()));
    QVERIFY2(second->text().startsWith("nbd://127.0.0.1:" + QString::number(port)), qPrintable(second->text()));
    dialog->findChild<QPushButton*>(QStringLiteral("copyUri"))->click();
    QCOMPARE(QApplication::clipboard()->text(), dialog->uri());
    dialog->findChild<QPushButton*>(QStringLiteral("copyUri2"))->click();
    QCOMPARE(QApplication::clipboard()->text(), second->text());
    if (!QStandardPaths::findExecutable("nbdinfo").isEmpty()) {
        for (const QString& uri : {dialog->uri(), second->text()}) {
            const auto r = test::runCommand("nbdinfo --size '" + uri.toStdString() + "'");
            QCOMPARE(QString::fromStdString(r.out).trimmed(), QStringLiteral("4194304"));
        }
    }
    dialog->close();
}

void TstUiMainWindow::detailsShowStatusAndTableLine() {
    const auto& r = bridge_->registry();
    DetailsPane* pane = window_->devicesPage()->details();
    window_->devicesPage()->select({DeviceKind::Snapshot, QString::fromStdString(r.snapshots.at(0).id)});
    QCOMPARE(pane->statusLine(), QStringLiteral("24/2048 16"));   // one 4 KiB chunk copied: 8 data + 16 metadata sectors
    QCOMPARE(pane->tableLine(), QStringLiteral("0 8192 snapshot %1 %2 P 8").arg(QString::fromStdString(dir_->file("o.img")),
                                                                                 QString::fromStdString(dir_->file("s.cow"))));
    window_->devicesPage()->select({DeviceKind::Origin, QString::fromStdString(r.origins.at(0).id)});
    QCOMPARE(pane->tableLine(), QStringLiteral("0 8192 snapshot-origin %1").arg(QString::fromStdString(dir_->file("o.img"))));
    window_->devicesPage()->select({DeviceKind::Clone, QString::fromStdString(r.clones.at(0).id)});
    QVERIFY2(pane->statusLine().contains("hydration_threshold"), qPrintable(pane->statusLine()));
    QCOMPARE(pane->tableLine(), QStringLiteral("0 2048 clone %1 %2 %3 128 1 no_hydration 4 hydration_threshold 1 hydration_batch_size 1")
                                    .arg(QString::fromStdString(dir_->file("c.meta")), QString::fromStdString(dir_->file("d.img")),
                                         QString::fromStdString(dir_->file("src.img"))));
}

void TstUiMainWindow::everyStateHasItsOwnIcon() {
    const DeviceState states[] = {DeviceState::Valid, DeviceState::Invalid, DeviceState::Overflow, DeviceState::Merging,
                                  DeviceState::MergeFailed, DeviceState::Hydrating, DeviceState::Hydrated, DeviceState::Failed,
                                  DeviceState::Missing};
    QList<QImage> seen;
    for (DeviceState s : states) {
        const QIcon icon = stateIcon(s);
        QVERIFY(!icon.isNull());
        const QImage img = icon.pixmap(16, 16).toImage();
        QVERIFY(!img.isNull());
        QVERIFY2(!seen.contains(img), qPrintable(QStringLiteral("state %1 looks like another").arg(int(s))));
        seen << img;
    }
    QVERIFY(!appIcon().isNull());
    QVERIFY(!appIcon().pixmap(64, 64).isNull());
    QVERIFY(!window_->windowIcon().isNull());
}

void TstUiMainWindow::settingsKeepGeometryAndLastFolders() {
    // Geometry: a window closed at one size comes back at it.
    {
        MainWindow w(bridge_.get());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.resize(900, 555);
        QTRY_COMPARE(w.size(), QSize(900, 555));
        w.close();
    }
    QVERIFY(!QSettings().value("window/geometry").toByteArray().isEmpty());
    {
        MainWindow w(bridge_.get());
        QCOMPARE(w.size(), QSize(900, 555));
    }
    // Last folders: a snapshot made by the wizard remembers where its origin and store are.
    test::TempDir other;
    test::writeFile(other.file("disk.img"), test::patternBytes(5, 0, 4 << 20));
    QDir().mkpath(QString::fromStdString(other.file("stores")));
    SnapshotWizard wizard(bridge_.get());
    wizard.show();
    wizard.setOriginPath(QString::fromStdString(other.file("disk.img")));
    auto* info = wizard.currentPage()->findChild<QLabel*>(QStringLiteral("originInfo"));
    QTRY_VERIFY_WITH_TIMEOUT(!info->text().startsWith(QStringLiteral("Reading")), 5000);
    wizard.next();
    wizard.currentPage()->findChild<QLineEdit*>(QStringLiteral("cowPath"))->setText(QString::fromStdString(other.file("stores/s.cow")));
    wizard.currentPage()->findChild<QLineEdit*>(QStringLiteral("cowSize"))->setText(QStringLiteral("1M"));
    wizard.next();
    wizard.next();
    QCOMPARE(wizard.currentId(), int(SnapshotWizard::SummaryPageId));
    QSignalSpy created(&wizard, &SnapshotWizard::created);
    wizard.button(QWizard::FinishButton)->click();
    QVERIFY2(created.wait(10000), qPrintable(wizard.finishError()));
    QCOMPARE(QSettings().value("folders/origin").toString(), QString::fromStdString(other.path()));
    QCOMPARE(QSettings().value("folders/store").toString(), QString::fromStdString(other.file("stores")));
    QVERIFY(bridge_->waitIdle(10000));
    bridge_->forget(QString::fromStdString(bridge_->registry().origins.back().id));   // leave the workspace as it was
    QVERIFY(bridge_->waitIdle(10000));
}

void TstUiMainWindow::helpAndVersion() {
    if (gui().isEmpty()) QSKIP("LOOPSNAP_GUI is not set (run through ctest)");
    QProcess p;
    // As over ssh or in a script: no display and no platform chosen; --help and --version must
    // still answer (a QApplication would abort before reading them).
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"}) env.remove(QLatin1String(name));
    p.setProcessEnvironment(env);
    p.start(gui(), {"--version"});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 0);
    QCOMPARE(QString::fromLocal8Bit(p.readAllStandardOutput()).trimmed(), QStringLiteral("loopsnap %1").arg(LOOPSNAP_VERSION));
    p.start(gui(), {"--help"});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 0);
    const QString help = QString::fromLocal8Bit(p.readAllStandardOutput());
    for (const char* option : {"--demo", "--workspace <DIR>", "--screenshot <FILE>", "--view <VIEW>", "--help", "--version"})
        QVERIFY2(help.contains(QLatin1String(option)), option);
    p.start(gui(), {"--no-such-option"});
    QVERIFY(p.waitForFinished(30000));
    QVERIFY(p.exitCode() != 0);
}

void TstUiMainWindow::aboutBoxNamesTheVersion() {
    QString text;
    QTimer::singleShot(0, this, [&] {
        QTRY_VERIFY_WITH_TIMEOUT(qobject_cast<QMessageBox*>(QApplication::activeModalWidget()), 3000);
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        text = box->text();
        box->accept();
    });
    window_->action("about")->trigger();
    QVERIFY2(text.contains(QStringLiteral("Loopsnap %1").arg(LOOPSNAP_VERSION)), qPrintable(text));
    QVERIFY(text.contains("loopsnapctl"));
    QVERIFY2(text.contains(QStringLiteral(LOOPSNAP_HOMEPAGE)) && text.contains(QStringLiteral(LOOPSNAP_COPYRIGHT_HOLDER)), qPrintable(text));
}

QTEST_MAIN(TstUiMainWindow)
#include "tst_ui_main_window.moc"
