// BackendChoice: the "Backend" box of the snapshot and clone wizards: Userspace (the engine in
// this app, over the files) or Kernel (device-mapper targets in /dev/mapper, run by
// loopsnap-helper). Kernel is greyed out with the reason when it cannot be used here
// (probeKernelAvailability: not Linux, no device-mapper, helper not installed).
// GUI thread only.
#pragma once

#include <QGroupBox>

#include "core/backend/types.h"
#include "ui/bridge/HelperBridge.h"

class QLabel;
class QRadioButton;

namespace loopsnap::ui {

class BackendChoice : public QGroupBox {
    Q_OBJECT
public:
    explicit BackendChoice(QWidget* parent = nullptr);
    BackendKind backend() const;
    // Replaces what probeKernelAvailability() said (tests; a kernel that appeared later).
    void setAvailability(const KernelAvailability& availability);
    const KernelAvailability& availability() const { return availability_; }

signals:
    void changed(loopsnap::BackendKind backend);

private:
    QRadioButton* userspace_;
    QRadioButton* kernel_;
    QLabel* note_;
    KernelAvailability availability_;
};

}  // namespace loopsnap::ui
