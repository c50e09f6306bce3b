#include "ui/dialogs/ServeDialog.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>

#include "ui/bridge/EngineBridge.h"
#include "ui/text/ErrorText.h"
#include "ui/wizards/WizardSupport.h"

namespace loopsnap::ui {

ServeDialog::ServeDialog(EngineBridge* bridge, const DeviceRef& device, const QString& name, QWidget* parent)
    : QDialog(parent), bridge_(bridge), device_(device) {
    setWindowTitle(tr("Serve %1 over NBD").arg(name));
    exportName_ = QFileInfo(name).completeBaseName().replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]")), QStringLiteral("_"));
    if (exportName_.isEmpty()) exportName_ = QStringLiteral("export");
    auto* form = new QFormLayout(this);
    socket_ = new QLineEdit(QDir(qEnvironmentVariable("XDG_RUNTIME_DIR", QDir::tempPath()))
                                .filePath(QStringLiteral("loopsnap-%1.sock").arg(exportName_)), this);
    form->addRow(tr("&Unix socket:"), socket_);
    tcp_ = new QLineEdit(this);
    tcp_->setPlaceholderText(tr("optional, e.g. 127.0.0.1:10809"));
    form->addRow(tr("&TCP address:"), tcp_);
    readOnly_ = new QCheckBox(tr("&Read-only export"), this);
    form->addRow(QString(), readOnly_);
    uris_ = new QVBoxLayout;
    auto* row = new QHBoxLayout;
    uris_->addLayout(row);
    uri_ = new QLineEdit(this);
    uri_->setObjectName(QStringLiteral("uri"));
    uri_->setReadOnly(true);
    uri_->setPlaceholderText(tr("The URI appears here once serving"));
    copy_ = new QPushButton(tr("&Copy"), this);
    copy_->setObjectName(QStringLiteral("copyUri"));
    copy_->setEnabled(false);
    row->addWidget(uri_, 1);
    row->addWidget(copy_);
    form->addRow(tr("URI:"), uris_);
    error_ = new ValidationLabel(this);
    form->addRow(error_);
    buttons_ = new QDialogButtonBox(QDialogButtonBox::Close, this);
    serveButton_ = buttons_->addButton(tr("&Serve"), QDialogButtonBox::AcceptRole);
    serveButton_->setObjectName(QStringLiteral("serve"));
    serveButton_->setDefault(true);
    form->addRow(buttons_);
    connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(serveButton_, &QPushButton::clicked, this, &ServeDialog::startServing);
    connect(copy_, &QPushButton::clicked, this, [this] { QApplication::clipboard()->setText(uri_->text()); });
    resize(620, sizeHint().height());
}

QString ServeDialog::uri() const { return uri_->text(); }

void ServeDialog::startServing() {
    ServeRequest rq;
    rq.socketPath = socket_->text().trimmed().toStdString();
    rq.tcp = tcp_->text().trimmed().toStdString();
    rq.readOnly = readOnly_->isChecked();
    rq.exports.push_back({exportName_.toStdString(), device_.id.toStdString()});
    if (rq.socketPath.empty() && rq.tcp.empty()) return error_->fail(tr("Give a socket path or a TCP address."));
    if (!rq.socketPath.empty() && QFileInfo::exists(socket_->text().trimmed()))
        return error_->fail(tr("%1 already exists. Choose another socket path.").arg(socket_->text()));
    serveButton_->setEnabled(false);
    bridge_->serve(rq, this, [this](const Result<ServeInfo>& r) {
        if (!r.ok()) {
            serveButton_->setEnabled(true);
            error_->fail(errorText(r.error()));
            return;
        }
        // One row per URI (the unix socket's, then TCP's), each with its own Copy: a client takes
        // one URI, and two joined in one field would be none.
        for (size_t i = 0; i < r->uris.size(); ++i) {
            const QString u = QString::fromStdString(r->uris[i]);
            if (i == 0) {
                uri_->setText(u);
                uri_->setCursorPosition(0);
                continue;
            }
            auto* row = new QHBoxLayout;
            auto* edit = new QLineEdit(u, this);
            edit->setObjectName(QStringLiteral("uri%1").arg(i + 1));
            edit->setReadOnly(true);
            edit->setCursorPosition(0);
            auto* copy = new QPushButton(tr("&Copy"), this);
            copy->setObjectName(QStringLiteral("copyUri%1").arg(i + 1));
            connect(copy, &QPushButton::clicked, this, [u] { QApplication::clipboard()->setText(u); });
            row->addWidget(edit, 1);
            row->addWidget(copy);
            uris_->addLayout(row);
        }
        copy_->setEnabled(true);
        copy_->setFocus();
        error_->clearMessage();
        for (auto* w : {static_cast<QWidget*>(socket_), static_cast<QWidget*>(tcp_), static_cast<QWidget*>(readOnly_)}) w->setEnabled(false);
    });
}

}  // namespace loopsnap::ui
