// DetailsPane: everything about the selected device: kind and name, state, the kernel's status
// line, paths, chunk or region size, exceptions or hydrated regions, what libblkid finds, loop
// devices it is attached to, and the dm table line the kernel would use. Reads only the model
// (no I/O). GUI thread only.
#pragma once

#include <QWidget>

#include "ui/models/DeviceRef.h"

class QFormLayout;
class QLabel;
class QLineEdit;

namespace loopsnap::ui {

class DeviceTreeModel;
class EngineBridge;

class DetailsPane : public QWidget {
    Q_OBJECT
public:
    DetailsPane(DeviceTreeModel* model, EngineBridge* bridge, QWidget* parent = nullptr);
    void show(const DeviceRef& ref);
    const DeviceRef& device() const { return ref_; }
    QString statusLine() const;
    QString tableLine() const;

private:
    void rebuild();
    void addRow(const QString& label, const QString& value, const QString& toolTip = {});

    DeviceTreeModel* model_;
    EngineBridge* bridge_;
    DeviceRef ref_;
    QLabel* heading_;
    QFormLayout* form_;
    QLineEdit* table_;
    QLabel* empty_;
    QWidget* body_;
    QString status_;
};

}  // namespace loopsnap::ui
