#include "ui/pages/MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QStyle>
#include <QTabBar>
#include <QTabWidget>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

#include "ui/bridge/EngineBridge.h"
#include "ui/bridge/ProbeCache.h"
#include "ui/demo/DemoSession.h"
#include "ui/dialogs/ServeDialog.h"
#include "ui/models/DeviceTreeModel.h"
#include "ui/pages/DevicesPage.h"
#include "ui/pages/PageRegistry.h"
#include "ui/text/ErrorText.h"
#include "ui/widgets/MessageArea.h"
#include "ui/widgets/StateIcons.h"
#include "ui/wizards/CloneWizard.h"
#include "ui/wizards/SnapshotWizard.h"

namespace loopsnap::ui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }

// Pages other issues provide; their actions exist from the start and are enabled once a page
// with that id is registered (PageRegistry.h).
struct KnownPage { const char* id; const char* title; PageSubject subject; };
const KnownPage kKnownPages[] = {
    {"merge", QT_TRANSLATE_NOOP("loopsnap::ui::MainWindow", "&Rollback…"), PageSubject::Snapshot},
    {"exceptions", QT_TRANSLATE_NOOP("loopsnap::ui::MainWindow", "&Exception monitor"), PageSubject::Snapshot},
    {"hydration", QT_TRANSLATE_NOOP("loopsnap::ui::MainWindow", "&Hydration dashboard"), PageSubject::Clone},
    {"crashlab", QT_TRANSLATE_NOOP("loopsnap::ui::MainWindow", "&Crash lab"), PageSubject::None},
};

// Icons of the known pages that bring none (toolbar buttons read better with one).
QIcon knownPageIcon(const QString& id) {
    if (id == QLatin1String("merge")) return stateIcon(DeviceState::Merging);
    if (id == QLatin1String("hydration")) return stateIcon(DeviceState::Hydrating);
    if (id == QLatin1String("exceptions")) return qApp->style()->standardIcon(QStyle::SP_FileDialogDetailedView);
    if (id == QLatin1String("crashlab")) return qApp->style()->standardIcon(QStyle::SP_MessageBoxWarning);
    return {};
}
}  // namespace

MainWindow::MainWindow(EngineBridge* bridge, QWidget* parent) : QMainWindow(parent), bridge_(bridge) {
    setWindowTitle(tr("Loopsnap"));
    setWindowIcon(appIcon());
    probes_ = new ProbeCache(this);
    model_ = new DeviceTreeModel(probes_, this);

    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(6, 6, 6, 0);
    messages_ = new MessageArea(central);
    layout->addWidget(messages_);
    tabs_ = new QTabWidget(central);
    tabs_->setDocumentMode(true);
    tabs_->setTabsClosable(true);
    devices_ = new DevicesPage(model_, bridge_, tabs_);
    tabs_->addTab(devices_, tr("Devices"));
    tabs_->tabBar()->setTabButton(0, QTabBar::RightSide, nullptr);
    tabs_->tabBar()->setTabButton(0, QTabBar::LeftSide, nullptr);
    connect(tabs_, &QTabWidget::tabCloseRequested, this, [this](int i) {
        if (i == 0) return;
        QWidget* w = tabs_->widget(i);
        tabs_->removeTab(i);
        w->deleteLater();
    });
    layout->addWidget(tabs_, 1);
    setCentralWidget(central);

    statusLabel_ = new QLabel(this);
    statusBar()->addWidget(statusLabel_, 1);

    createActions();
    createMenusAndToolbar();

    connect(bridge_, &EngineBridge::registryChanged, this, [this] {
        model_->setRegistry(bridge_->registry());
        const auto& r = bridge_->registry();
        statusLabel_->setText(tr("Workspace %1 · %n origin(s)", nullptr, int(r.origins.size())).arg(r.workspaceDir) +
                              tr(" · %n snapshot(s)", nullptr, int(r.snapshots.size())) +
                              tr(" · %n clone(s)", nullptr, int(r.clones.size())));
        updateActions();
    });
    connect(bridge_, &EngineBridge::failed, this, &MainWindow::showError);
    connect(bridge_, &EngineBridge::eventsDropped, this, [this](quint64 n) {
        statusBar()->showMessage(tr("The display fell behind the engine (%1 events skipped); the view was re-read.").arg(n), 4000);
    });
    connect(devices_, &DevicesPage::currentDeviceChanged, this, [this] { updateActions(); });
    connect(devices_, &DevicesPage::contextMenuRequested, this, &MainWindow::showContextMenu);
    connect(devices_, &DevicesPage::demoRequested, this, [this] { openDemoWindow(); });
    connect(devices_, &DevicesPage::newSnapshotRequested, this, &MainWindow::newSnapshot);
    connect(devices_, &DevicesPage::newCloneRequested, this, &MainWindow::newClone);

    QSettings settings;
    if (!restoreGeometry(settings.value("window/geometry").toByteArray())) resize(1180, 680);
    restoreState(settings.value("window/state").toByteArray());
    devices_->tree()->header()->restoreState(settings.value("window/treeHeader").toByteArray());
    devices_->tree()->setColumnHidden(DeviceTreeModel::PathColumn, true);
    updateActions();
}

MainWindow::~MainWindow() = default;

void MainWindow::closeEvent(QCloseEvent* event) {
    if (demoWindow_) {   // the user's window settings stay the main window's
        QMainWindow::closeEvent(event);
        return;
    }
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    settings.setValue("window/treeHeader", devices_->tree()->header()->saveState());
    QMainWindow::closeEvent(event);
}

QAction* MainWindow::makeAction(const QString& name, const QString& text, const QKeySequence& shortcut, const QString& tip) {
    auto* a = new QAction(text, this);
    a->setObjectName(name);
    if (!shortcut.isEmpty()) a->setShortcut(shortcut);
    a->setToolTip(tip);
    a->setStatusTip(tip);
    actions_.insert(name, a);
    return a;
}

void MainWindow::createActions() {
    auto* st = style();
    connect(makeAction("newSnapshot", tr("New &snapshot…"), QKeySequence::New, tr("Take a snapshot of a disk image or block device")),
            &QAction::triggered, this, &MainWindow::newSnapshot);
    actions_["newSnapshot"]->setIcon(kindIcon(DeviceKind::Snapshot));
    connect(makeAction("newClone", tr("New &clone…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_N), tr("Clone a file, block device or NBD export")),
            &QAction::triggered, this, &MainWindow::newClone);
    actions_["newClone"]->setIcon(kindIcon(DeviceKind::Clone));
    connect(makeAction("addStore", tr("Add existing s&tore…"), QKeySequence(Qt::CTRL | Qt::Key_O), tr("Add a COW store made earlier or by loopsnapctl")),
            &QAction::triggered, this, &MainWindow::addExistingStore);
    actions_["addStore"]->setIcon(st->standardIcon(QStyle::SP_DialogOpenButton));
    connect(makeAction("addClone", tr("Add existing c&lone…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), tr("Add a clone by its metadata file")),
            &QAction::triggered, this, &MainWindow::addExistingClone);
    connect(makeAction("demo", tr("Try a &demo"), {}, tr("A demo session in a new window, with its own temporary folder and workspace")), &QAction::triggered, this, [this] { openDemoWindow(); });
    connect(makeAction("quit", tr("&Quit"), QKeySequence::Quit, tr("Quit Loopsnap")), &QAction::triggered, this, &QWidget::close);
    if (actions_["quit"]->shortcut().isEmpty()) actions_["quit"]->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));   // platforms without a standard one

    connect(makeAction("attach", tr("&Attach as loop device"), QKeySequence(Qt::CTRL | Qt::Key_L), tr("Make the device a /dev/loopN (root)")),
            &QAction::triggered, this, &MainWindow::attachSelected);
    actions_["attach"]->setIcon(st->standardIcon(QStyle::SP_DriveHDIcon));
    connect(makeAction("detach", tr("&Detach loop device"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L), tr("Release the loop device")),
            &QAction::triggered, this, &MainWindow::detachSelected);
    actions_["detach"]->setIcon(st->standardIcon(QStyle::SP_MediaStop));
    connect(makeAction("serve", tr("Serve over &NBD…"), QKeySequence(Qt::CTRL | Qt::Key_E), tr("Export the device to NBD clients")),
            &QAction::triggered, this, &MainWindow::serveSelected);
    actions_["serve"]->setIcon(st->standardIcon(QStyle::SP_DriveNetIcon));
    connect(makeAction("forget", tr("&Forget"), QKeySequence(Qt::CTRL | Qt::Key_Backspace), tr("Remove the entry from the workspace; no file is touched")),
            &QAction::triggered, this, &MainWindow::forgetSelected);
    connect(makeAction("delete", tr("&Delete store…"), QKeySequence::Delete, tr("Delete the store's files (asks first)")),
            &QAction::triggered, this, &MainWindow::deleteSelected);
    actions_["delete"]->setIcon(st->standardIcon(QStyle::SP_TrashIcon));
    connect(makeAction("refresh", tr("&Refresh"), QKeySequence::Refresh, tr("Re-read the workspace and every status")),
            &QAction::triggered, bridge_, &EngineBridge::refresh);
    actions_["refresh"]->setIcon(st->standardIcon(QStyle::SP_BrowserReload));
    connect(makeAction("about", tr("&About Loopsnap"), {}, {}), &QAction::triggered, this, &MainWindow::about);
    connect(makeAction("aboutQt", tr("About &Qt"), {}, {}), &QAction::triggered, qApp, &QApplication::aboutQt);

    // Page actions: the known slots first (in this order), then any other registered page.
    QStringList ids;
    for (const auto& k : kKnownPages) ids << QString::fromLatin1(k.id);
    for (const auto& spec : registeredPages())
        if (!ids.contains(spec.id)) ids << spec.id;
    for (const QString& id : ids) {
        const PageSpec* spec = findPage(id);
        QString title;
        for (const auto& k : kKnownPages)
            if (id == QLatin1String(k.id)) title = tr(k.title);
        if (spec) title = spec->title;
        QAction* a = makeAction("page:" + id, title, spec ? spec->shortcut : QKeySequence(),
                                spec ? spec->toolTip : tr("Not part of this build yet"));
        if (spec && !spec->icon.isNull()) a->setIcon(spec->icon);
        else a->setIcon(knownPageIcon(id));
        a->setData(id);
        connect(a, &QAction::triggered, this, [this, id] { openPage(id, devices_->currentDevice()); });
        pageActions_ << a;
    }
}

void MainWindow::createMenusAndToolbar() {
    // Short toolbar labels (the menus keep the full texts), so every button fits at 1180 px.
    const std::pair<const char*, QString> shortTexts[] = {
        {"newSnapshot", tr("Snapshot")}, {"newClone", tr("Clone")}, {"attach", tr("Attach")}, {"detach", tr("Detach")},
        {"serve", tr("Serve")}, {"delete", tr("Delete")}, {"page:merge", tr("Rollback")}, {"page:exceptions", tr("Exceptions")},
        {"page:hydration", tr("Hydration")}, {"page:crashlab", tr("Crash lab")},
    };
    for (const auto& [name, text] : shortTexts)
        if (QAction* a = actions_.value(QLatin1String(name))) a->setIconText(text);
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(actions_["newSnapshot"]);
    file->addAction(actions_["newClone"]);
    file->addSeparator();
    file->addAction(actions_["addStore"]);
    file->addAction(actions_["addClone"]);
    file->addSeparator();
    file->addAction(actions_["demo"]);
    file->addSeparator();
    file->addAction(actions_["quit"]);
    QMenu* device = menuBar()->addMenu(tr("&Device"));
    device->addAction(actions_["attach"]);
    device->addAction(actions_["detach"]);
    device->addAction(actions_["serve"]);
    device->addSeparator();
    device->addAction(actions_["page:merge"]);
    device->addSeparator();
    device->addAction(actions_["forget"]);
    device->addAction(actions_["delete"]);
    QMenu* view = menuBar()->addMenu(tr("&View"));
    for (QAction* a : pageActions_)
        if (a->data().toString() != QLatin1String("merge")) view->addAction(a);
    view->addSeparator();
    view->addAction(actions_["refresh"]);
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(actions_["about"]);
    help->addAction(actions_["aboutQt"]);

    QToolBar* tb = addToolBar(tr("Main"));
    tb->setObjectName(QStringLiteral("mainToolbar"));
    tb->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tb->setMovable(false);
    tb->addAction(actions_["newSnapshot"]);
    tb->addAction(actions_["newClone"]);
    tb->addSeparator();
    tb->addAction(actions_["attach"]);
    tb->addAction(actions_["detach"]);
    tb->addAction(actions_["serve"]);
    tb->addAction(actions_["delete"]);
    tb->addSeparator();
    for (QAction* a : pageActions_)
        if (findPage(a->data().toString())) tb->addAction(a);  // registered pages only; the menus list all
}

void MainWindow::updateActions() {
    const DeviceRef ref = devices_->currentDevice();
    const bool any = !ref.isNull();
    const bool deletable = ref.kind == DeviceKind::Snapshot || ref.kind == DeviceKind::Clone;
    bool attached = false;
    for (const auto& a : bridge_->registry().attachments) attached = attached || q(a.deviceId) == ref.id;
    actions_["attach"]->setEnabled(any && !attached);
    actions_["detach"]->setEnabled(attached);
    actions_["serve"]->setEnabled(any);
    // An attached device is served to its loop device: detach it before forgetting or deleting.
    actions_["forget"]->setEnabled(any && !attached);
    actions_["delete"]->setEnabled(deletable && !attached);
    for (QAction* a : pageActions_) {
        const PageSpec* spec = findPage(a->data().toString());
        a->setEnabled(spec && (spec->subject == PageSubject::None || pageAppliesTo(*spec, ref.kind)));
    }
    // A snapshot whose rollback was stopped or cut off offers to resume it.
    if (QAction* merge = actions_.value(QStringLiteral("page:merge")); merge && findPage(QStringLiteral("merge"))) {
        const SnapshotInfo* s = ref.kind == DeviceKind::Snapshot ? model_->snapshot(ref.id) : nullptr;
        const bool interrupted = s && s->state == DeviceState::Merging && !s->mergeRunning;
        merge->setText(interrupted ? tr("Resume &rollback…") : findPage(QStringLiteral("merge"))->title);
        merge->setIconText(interrupted ? tr("Resume rollback") : tr("Rollback"));
    }
}

QList<QAction*> MainWindow::contextActions(const DeviceRef& ref) const {
    QList<QAction*> out;   // nullptr: a separator
    if (ref.isNull()) return {actions_["newSnapshot"], actions_["newClone"], nullptr, actions_["addStore"], actions_["addClone"]};
    if (ref.kind == DeviceKind::Origin) out << actions_["newSnapshot"] << nullptr;
    out << actions_["attach"] << actions_["detach"] << actions_["serve"] << nullptr;
    for (QAction* a : pageActions_) {
        const PageSpec* spec = findPage(a->data().toString());
        if (spec && spec->subject != PageSubject::None && pageAppliesTo(*spec, ref.kind)) out << a;
    }
    if (out.last()) out << nullptr;
    out << actions_["forget"];
    if (ref.kind != DeviceKind::Origin) out << actions_["delete"];   // an origin's files are the user's data
    return out;
}

void MainWindow::showContextMenu(const QPoint& globalPos) {
    QMenu menu(this);
    for (QAction* a : contextActions(devices_->currentDevice())) {
        if (a) menu.addAction(a);
        else menu.addSeparator();
    }
    menu.exec(globalPos);
}

QWidget* MainWindow::openPage(const QString& id, const DeviceRef& device) {
    const PageSpec* spec = findPage(id);
    if (!spec || !spec->create) return nullptr;
    PageContext ctx{bridge_, device, this};
    if (spec->presentation == PagePresentation::Dialog) {
        QWidget* w = spec->create(ctx, this);
        w->setAttribute(Qt::WA_DeleteOnClose);
        w->setWindowModality(Qt::WindowModal);
        w->show();
        return w;
    }
    const QString key = id + QLatin1Char(':') + device.id;
    for (int i = 1; i < tabs_->count(); ++i)
        if (tabs_->widget(i)->property("pageKey").toString() == key) {
            tabs_->setCurrentIndex(i);
            return tabs_->widget(i);
        }
    QWidget* w = spec->create(ctx, tabs_);
    w->setProperty("pageKey", key);
    QString title = spec->title;
    title.remove(QLatin1Char('&'));
    title.remove(QStringLiteral("…"));
    const QModelIndex idx = model_->indexFor(device);
    if (idx.isValid()) title += QStringLiteral(" · ") + idx.data().toString();
    tabs_->setCurrentIndex(tabs_->addTab(w, spec->icon, title));
    return w;
}

void MainWindow::newSnapshot() {
    auto* wizard = new SnapshotWizard(bridge_, this);
    wizard->setAttribute(Qt::WA_DeleteOnClose);
    const DeviceRef ref = devices_->currentDevice();
    if (ref.kind == DeviceKind::Origin)
        if (const OriginInfo* o = model_->origin(ref.id)) wizard->setOriginPath(q(o->path));
    connect(wizard, &SnapshotWizard::created, this, [this](const QString& id) { devices_->select({DeviceKind::Snapshot, id}); });
    wizard->open();
}

void MainWindow::newClone() {
    auto* wizard = new CloneWizard(bridge_, this);
    wizard->setAttribute(Qt::WA_DeleteOnClose);
    connect(wizard, &CloneWizard::created, this, [this](const QString& id) { devices_->select({DeviceKind::Clone, id}); });
    wizard->open();
}

void MainWindow::addExistingStore() {
    QSettings settings;
    const QString cow = QFileDialog::getOpenFileName(this, tr("Choose the COW store"), settings.value("folders/store").toString(),
                                                     tr("Snapshot stores (*.cow);;All files (*)"));
    if (cow.isEmpty()) return;
    settings.setValue("folders/store", QFileInfo(cow).absolutePath());
    const QString origin = QFileDialog::getOpenFileName(this, tr("Choose the origin of %1").arg(QFileInfo(cow).fileName()),
                                                        settings.value("folders/origin").toString());
    if (origin.isEmpty()) return;
    settings.setValue("folders/origin", QFileInfo(origin).absolutePath());
    bridge_->addSnapshot(origin, cow);
}

void MainWindow::addExistingClone() {
    QSettings settings;
    const QString meta = QFileDialog::getOpenFileName(this, tr("Choose the clone's metadata file"), settings.value("folders/clone").toString(),
                                                      tr("Clone metadata (*.meta);;All files (*)"));
    if (meta.isEmpty()) return;
    settings.setValue("folders/clone", QFileInfo(meta).absolutePath());
    bridge_->addClone(meta);
}

void MainWindow::attachSelected() {
    const DeviceRef ref = devices_->currentDevice();
    if (ref.isNull()) return;
    const QString name = model_->indexFor(ref).data().toString();
    bridge_->attach(ref.id, false, this, [this, name](const Result<AttachInfo>& r) {
        if (!r.ok()) return;  // the message area shows why
        messages_->showMessage(MessageArea::Kind::Info, tr("Attached"),
                               tr("%1 is now %2. Detach it before deleting its files.").arg(name, q(r->loopDevice)));
    });
}

void MainWindow::detachSelected() {
    const DeviceRef ref = devices_->currentDevice();
    const QString name = model_->indexFor(ref).data().toString();
    for (const auto& a : bridge_->registry().attachments)
        if (q(a.deviceId) == ref.id)
            bridge_->detach(q(a.loopDevice), this, [this, name, loop = q(a.loopDevice)](const Result<bool>& r) {
                if (r.ok()) messages_->showMessage(MessageArea::Kind::Info, tr("Detached"), tr("%1 is no longer %2.").arg(name, loop));
            });
}

void MainWindow::serveSelected() {
    const DeviceRef ref = devices_->currentDevice();
    if (ref.isNull()) return;
    const QModelIndex idx = model_->indexFor(ref);
    auto* dialog = new ServeDialog(bridge_, ref, idx.data().toString(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

void MainWindow::forgetSelected() {
    const DeviceRef ref = devices_->currentDevice();
    if (!ref.isNull()) bridge_->forget(ref.id);
}

void MainWindow::deleteSelected() {
    const DeviceRef ref = devices_->currentDevice();
    QStringList files;
    if (const SnapshotInfo* s = ref.kind == DeviceKind::Snapshot ? model_->snapshot(ref.id) : nullptr)
        files << q(s->cowPath) << q(s->cowPath) + QStringLiteral(".loopsnap");
    else if (const CloneInfo* c = ref.kind == DeviceKind::Clone ? model_->clone(ref.id) : nullptr)
        files << q(c->metaPath) << q(c->dest);
    if (files.isEmpty()) return;
    QMessageBox box(QMessageBox::Warning, tr("Delete files"),
                    tr("Delete these files for good? The origin is not touched.\n\n%1").arg(files.join('\n')),
                    QMessageBox::Cancel, this);
    QPushButton* del = box.addButton(tr("Delete files"), QMessageBox::DestructiveRole);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    if (box.clickedButton() == static_cast<QAbstractButton*>(del)) bridge_->deleteFiles(ref.id);
}

void MainWindow::showError(const loopsnap::Error& error, const QString& action) {
    // The engine names workspace entries by id ("s2"); the message names the file.
    Error named = error;
    const QString subject = q(error.subject);
    if (const SnapshotInfo* s = model_->snapshot(subject)) named.subject = s->cowPath;
    else if (const OriginInfo* o = model_->origin(subject)) named.subject = o->path;
    else if (const CloneInfo* c = model_->clone(subject)) named.subject = c->dest;
    if (error.detail == "snapshot-missing")   // the subject is the origin: name the store that is gone
        for (const auto& s : bridge_->registry().snapshots)
            if (s.state == DeviceState::Missing)
                if (const OriginInfo* o = model_->origin(q(s.originId)); o && o->path == named.subject) {
                    named.subject = s.cowPath;
                    named.detail = "snapshot-store-missing";
                    break;
                }
    messages_->showMessage(MessageArea::Kind::Error, actionText(action), errorText(named), q(error.toString()));
}

void MainWindow::startDemo(const QString& folder) {
    if (demo_) return;
    demo_ = new DemoSession(bridge_, this, folder);
    connect(demo_, &DemoSession::failed, this, [this](const QString& text) {
        messages_->showMessage(MessageArea::Kind::Error, actionText(QStringLiteral("demo")), text);
    });
    connect(demo_, &DemoSession::ready, this, [this] {
        messages_->showMessage(MessageArea::Kind::Info, tr("Demo session"),
                               tr("In %1: an ext4 origin with a snapshot under a running write workload, and a clone "
                                  "hydrating from a throttled NBD source (about a minute). Nothing outside that folder is touched.")
                                   .arg(demo_->folder()));
    });
    demo_->start();
}

MainWindow* MainWindow::openDemoWindow() {
    const QString folder = DemoSession::newDemoFolder();
    auto* bridge = new EngineBridge;
    auto* window = new MainWindow(bridge, this);   // a QMainWindow is always a window of its own
    bridge->setParent(window);                     // ~MainWindow's children: the engine closes with it
    window->demoWindow_ = true;
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->setWindowTitle(tr("Loopsnap demo — %1").arg(folder));
    window->action(QStringLiteral("demo"))->setEnabled(false);   // one demo per demo window
    if (auto* button = window->devicesPage()->findChild<QPushButton*>(QStringLiteral("tryDemo")))
        button->setEnabled(false);
    window->resize(size());
    connect(bridge, &EngineBridge::opened, window, [window, folder] { window->startDemo(folder); });
    EngineOptions options;
    options.workspaceDir = QDir(folder).filePath(QStringLiteral("workspace")).toStdString();
    bridge->open(options);
    window->show();
    return window;
}

void MainWindow::about() {
    QMessageBox::about(this, tr("About Loopsnap"),
                       tr("<h3>Loopsnap %1</h3><p>Block-level snapshots and clones of disk images and block devices, "
                          "with the semantics of Linux dm-snapshot (on the kernel's own COW format) and dm-clone, "
                          "in a portable userspace engine.</p><p>Qt %2 · the command line twin is <tt>loopsnapctl</tt>.</p>"
                          "<p><a href=\"%3\">%3</a><br>© %4 · GPL-2.0-or-later</p>")
                           .arg(QStringLiteral(LOOPSNAP_VERSION), QString::fromLatin1(qVersion()), QStringLiteral(LOOPSNAP_HOMEPAGE),
                                QStringLiteral(LOOPSNAP_COPYRIGHT_HOLDER)));
}

}  // namespace loopsnap::ui
