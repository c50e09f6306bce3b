#include "ui/wizards/BackendChoice.h"

#include <QLabel>
#include <QRadioButton>
#include <QVBoxLayout>

#include "ui/wizards/WizardSupport.h"

namespace loopsnap::ui {

BackendChoice::BackendChoice(QWidget* parent) : QGroupBox(tr("Backend"), parent) {
    setObjectName(QStringLiteral("backendChoice"));
    auto* layout = new QVBoxLayout(this);
    userspace_ = new QRadioButton(tr("&Userspace: this app's engine over the files"), this);
    userspace_->setObjectName(QStringLiteral("backendUserspace"));
    userspace_->setChecked(true);
    kernel_ = new QRadioButton(tr("&Kernel: device-mapper in /dev/mapper, through loopsnap-helper (asks for an administrator)"), this);
    kernel_->setObjectName(QStringLiteral("backendKernel"));
    note_ = makeNoteLabel(this);
    note_->setObjectName(QStringLiteral("backendNote"));
    note_->setIndent(24);
    layout->addWidget(userspace_);
    layout->addWidget(kernel_);
    layout->addWidget(note_);
    connect(kernel_, &QRadioButton::toggled, this, [this] { emit changed(backend()); });
    setAvailability(probeKernelAvailability());
}

BackendKind BackendChoice::backend() const { return kernel_->isChecked() ? BackendKind::Kernel : BackendKind::Userspace; }

void BackendChoice::setAvailability(const KernelAvailability& availability) {
    availability_ = availability;
    kernel_->setEnabled(availability.available);
    if (!availability.available && kernel_->isChecked()) userspace_->setChecked(true);
    note_->setText(availability.available ? QString() : tr("Kernel is not available: %1").arg(availability.reason));
    note_->setVisible(!availability.available);
    kernel_->setToolTip(availability.available ? QString() : availability.reason);
}

}  // namespace loopsnap::ui
