// ServeDialog: serve one device over NBD (a unix socket, optionally TCP on 127.0.0.1), then show
// each URI (unix socket, then TCP) with its own Copy button. The server runs in the engine until the app quits. GUI thread only.
#pragma once

#include <QDialog>

#include "ui/models/DeviceRef.h"

class QCheckBox;
class QDialogButtonBox;
class QLineEdit;
class QPushButton;
class QVBoxLayout;

namespace loopsnap::ui {

class EngineBridge;
class ValidationLabel;

class ServeDialog : public QDialog {
    Q_OBJECT
public:
    ServeDialog(EngineBridge* bridge, const DeviceRef& device, const QString& name, QWidget* parent = nullptr);
    QString uri() const;

private:
    void startServing();
    EngineBridge* bridge_;
    DeviceRef device_;
    QString exportName_;
    QLineEdit* socket_;
    QLineEdit* tcp_;
    QCheckBox* readOnly_;
    QVBoxLayout* uris_;   // one row per URI once serving
    QLineEdit* uri_;      // the first (unix socket) URI
    QPushButton* copy_;
    QDialogButtonBox* buttons_;
    QPushButton* serveButton_;
    ValidationLabel* error_;
};

}  // namespace loopsnap::ui
