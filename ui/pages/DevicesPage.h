// DevicesPage: the main view. The device tree (DeviceTreeModel, usage bars, state icons) beside
// the details pane; when the workspace is empty, a first screen with "Try a demo", "New
// snapshot…" and "New clone…" instead. The selection survives model resets (restored by id).
// GUI thread only.
#pragma once

#include <QWidget>

#include "ui/models/DeviceRef.h"

class QPushButton;
class QStackedWidget;
class QTreeView;

namespace loopsnap::ui {

class DetailsPane;
class DeviceTreeModel;
class EngineBridge;

class DevicesPage : public QWidget {
    Q_OBJECT
public:
    DevicesPage(DeviceTreeModel* model, EngineBridge* bridge, QWidget* parent = nullptr);
    DeviceRef currentDevice() const;
    void select(const DeviceRef& ref);
    QTreeView* tree() const { return tree_; }
    DetailsPane* details() const { return details_; }
    bool showingWelcome() const;

signals:
    void currentDeviceChanged(const loopsnap::ui::DeviceRef& ref);
    void contextMenuRequested(const QPoint& globalPos);
    void demoRequested();
    void newSnapshotRequested();
    void newCloneRequested();

private:
    void updateEmptyState();

    DeviceTreeModel* model_;
    QStackedWidget* stack_;
    QTreeView* tree_;
    DetailsPane* details_;
    DeviceRef selected_;
    bool userTouchedColumns_ = false;
};

}  // namespace loopsnap::ui

