// SnapshotWizard: origin (image file or block device, what libblkid finds, a warning when it is
// mounted read-write), store (COW path, size with a recommended default and a free-space check,
// chunk size 4 KiB–512 KiB, store type P/PO/N), options (attach as a loop device or serve over
// NBD once created), summary (what will be created and the equivalent loopsnapctl command).
// Each page validates when Next is pressed and says why it cannot go on (ValidationLabel);
// nothing is written before Finish, which asks the bridge to create the snapshot and stays open
// with the engine's message if that fails. GUI thread only.
#pragma once

#include <QWizard>
#include <QWizardPage>

#include "core/backend/types.h"
#include "core/linux/blkid_probe.h"

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QRadioButton;

namespace loopsnap::ui {

class AsyncProber;
class BackendChoice;
class EngineBridge;
class ValidationLabel;

class SnapshotWizard : public QWizard {
    Q_OBJECT
public:
    enum PageId { OriginPageId, StorePageId, OptionsPageId, SummaryPageId };
    explicit SnapshotWizard(EngineBridge* bridge, QWidget* parent = nullptr);
    void setOriginPath(const QString& path);

    // What Finish will do (valid once the pages validated).
    QString originPath() const;
    uint64_t originSize() const;
    QString cowPath() const;
    uint64_t cowSize() const;
    uint32_t chunkBytes() const;
    QString storeType() const;
    BackendKind backend() const;   // Kernel: created by loopsnap-helper
    BackendChoice* backendChoice() const;
    QString equivalentCommand() const;
    QString finishError() const { return finishError_; }

signals:
    void created(const QString& snapshotId);

public:
    void accept() override;

private:
    EngineBridge* bridge_;
    QString finishError_;
    bool finishing_ = false;
};

class SnapshotOriginPage : public QWizardPage {
    Q_OBJECT
public:
    explicit SnapshotOriginPage(QWidget* parent = nullptr);
    bool validatePage() override;
    bool isComplete() const override;
    QString path() const;
    uint64_t originSize() const { return size_; }
    void setPath(const QString& path);

private:
    void onProbed();
    QRadioButton* fileRadio_;
    QRadioButton* deviceRadio_;
    QLineEdit* fileEdit_;
    QComboBox* deviceCombo_;
    QLabel* info_;
    QLabel* mountWarning_;
    ValidationLabel* error_;
    AsyncProber* prober_;
    uint64_t size_ = 0;
};

class SnapshotStorePage : public QWizardPage {
    Q_OBJECT
public:
    explicit SnapshotStorePage(QWidget* parent = nullptr);
    void initializePage() override;
    bool validatePage() override;
    QString cowPath() const;
    uint64_t cowSize() const;
    uint32_t chunkBytes() const;
    QString storeType() const;

private:
    void updateNotes();
    QLineEdit* cowEdit_;
    QLineEdit* sizeEdit_;
    QLabel* sizeNote_;
    QComboBox* chunkCombo_;
    QLabel* chunkNote_;
    QButtonGroup* storeGroup_;
    ValidationLabel* error_;
    QString lastOrigin_;
};

class SnapshotOptionsPage : public QWizardPage {
    Q_OBJECT
public:
    explicit SnapshotOptionsPage(QWidget* parent = nullptr);
    bool validatePage() override;
    bool attach() const;
    bool serve() const;
    QString socketPath() const;
    BackendChoice* backendChoice() const { return backend_; }

private:
    BackendChoice* backend_;
    QRadioButton* none_;
    QRadioButton* attach_;
    QRadioButton* serve_;
    QLineEdit* socketEdit_;
    QLabel* attachNote_;
    ValidationLabel* error_;
};

class SnapshotSummaryPage : public QWizardPage {
    Q_OBJECT
public:
    explicit SnapshotSummaryPage(QWidget* parent = nullptr);
    void initializePage() override;
    ValidationLabel* errorLabel() const { return error_; }

private:
    QLabel* summary_;
    QLineEdit* command_;
    ValidationLabel* error_;
};

}  // namespace loopsnap::ui
