// MainWindow: menus, toolbar, context menu and shortcuts for every device action, the devices
// page, tabs for the registered pages (PageRegistry.h), the message area for engine errors and
// the status bar. Owns the bridge's consumers (model, probe cache); the bridge itself is given.
// Geometry, window state and the tree's columns persist in QSettings. GUI thread only.
#pragma once

#include <QHash>
#include <QMainWindow>
#include <QPointer>

#include "core/util/result.h"
#include "ui/models/DeviceRef.h"

class QAction;
class QLabel;
class QTabWidget;

namespace loopsnap::ui {

class DemoSession;
class DevicesPage;
class DeviceTreeModel;
class EngineBridge;
class MessageArea;
class ProbeCache;
struct PageSpec;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(EngineBridge* bridge, QWidget* parent = nullptr);
    ~MainWindow() override;

    DevicesPage* devicesPage() const { return devices_; }
    DeviceTreeModel* model() const { return model_; }
    MessageArea* messages() const { return messages_; }
    EngineBridge* bridge() const { return bridge_; }
    QAction* action(const QString& name) const { return actions_.value(name); }
    // What the device tree's context menu offers for `ref` (a null ref: the empty space), in
    // order; nullptr stands for a separator.
    QList<QAction*> contextActions(const DeviceRef& ref) const;

    // Opens (or brings to front) the registered page `id` for `device`; nullptr if not registered.
    QWidget* openPage(const QString& id, const DeviceRef& device);
    // Starts the demo session (temporary folder) in this window's workspace (loopsnap --demo,
    // whose workspace is inside that folder).
    void startDemo(const QString& folder = QString());
    DemoSession* demo() const { return demo_; }
    // "Try a demo": a new window with an engine and a workspace of its own inside a new demo
    // folder, so the demo never adds entries to this window's workspace. The window is a child
    // of this one (deleted with it, or when it is closed); its engine closes with it.
    MainWindow* openDemoWindow();
    bool isDemoWindow() const { return demoWindow_; }

public slots:
    void newSnapshot();
    void newClone();
    void about();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createActions();
    void createMenusAndToolbar();
    void updateActions();
    void showContextMenu(const QPoint& globalPos);
    void addExistingStore();
    void addExistingClone();
    void attachSelected();
    void detachSelected();
    void serveSelected();
    void forgetSelected();
    void deleteSelected();
    void showError(const loopsnap::Error& error, const QString& action);
    QAction* makeAction(const QString& name, const QString& text, const QKeySequence& shortcut, const QString& tip);

    EngineBridge* bridge_;
    ProbeCache* probes_;
    DeviceTreeModel* model_;
    DevicesPage* devices_;
    MessageArea* messages_;
    QTabWidget* tabs_;
    QLabel* statusLabel_;
    QHash<QString, QAction*> actions_;
    QList<QAction*> pageActions_;
    QPointer<DemoSession> demo_;
    bool demoWindow_ = false;   // opened by openDemoWindow(): keeps no window settings
};

}  // namespace loopsnap::ui
