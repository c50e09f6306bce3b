// CloneWizard: source (a file, a block device or an NBD URI, probed for its size — libnbd for
// NBD — before going on), destination (a new file of the source's size, or an existing device
// at least that large; libblkid warns when it holds a filesystem that would be overwritten, and
// going on then needs an explicit tick), the metadata file, region size, hydration on or off
// with threshold and batch size, and a summary with the equivalent loopsnapctl commands.
// Nothing is written before Finish. GUI thread only.
#pragma once

#include "core/backend/types.h"

#include <QWizard>
#include <QWizardPage>

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QRadioButton;
class QSpinBox;

namespace loopsnap::ui {

class AsyncProber;
class BackendChoice;
class EngineBridge;
class ValidationLabel;

class CloneWizard : public QWizard {
    Q_OBJECT
public:
    enum PageId { SourcePageId, DestinationPageId, OptionsPageId, SummaryPageId };
    explicit CloneWizard(EngineBridge* bridge, QWidget* parent = nullptr);
    void setSource(const QString& pathOrUri);

    QString source() const;
    uint64_t sourceSize() const;
    QString dest() const;
    QString meta() const;
    uint64_t regionBytes() const;
    bool hydrate() const;
    uint32_t threshold() const;
    uint32_t batchSize() const;
    BackendKind backend() const;   // Kernel: created by loopsnap-helper
    BackendChoice* backendChoice() const;
    QStringList equivalentCommands() const;
    QString finishError() const { return finishError_; }

    void accept() override;

signals:
    void created(const QString& cloneId);

private:
    EngineBridge* bridge_;
    QString finishError_;
    bool finishing_ = false;
};

class CloneSourcePage : public QWizardPage {
    Q_OBJECT
public:
    explicit CloneSourcePage(QWidget* parent = nullptr);
    bool validatePage() override;
    QString source() const;
    uint64_t size() const { return size_; }
    void setSource(const QString& s);

private:
    void onProbed();
    QRadioButton* fileRadio_;
    QRadioButton* deviceRadio_;
    QRadioButton* nbdRadio_;
    QLineEdit* fileEdit_;
    QComboBox* deviceCombo_;
    QLineEdit* uriEdit_;
    QLabel* info_;
    ValidationLabel* error_;
    AsyncProber* prober_;
    uint64_t size_ = 0;
};

class CloneDestinationPage : public QWizardPage {
    Q_OBJECT
public:
    explicit CloneDestinationPage(QWidget* parent = nullptr);
    void initializePage() override;
    bool validatePage() override;
    QString dest() const;
    QString meta() const;

private:
    void onProbed();
    QRadioButton* newRadio_;
    QRadioButton* existingRadio_;
    QLineEdit* newEdit_;
    QLineEdit* existingEdit_;
    QLineEdit* metaEdit_;
    QLabel* info_;
    QLabel* fsWarning_;
    QCheckBox* overwrite_;
    ValidationLabel* error_;
    AsyncProber* prober_;
    QString lastSource_;
};

class CloneOptionsPage : public QWizardPage {
    Q_OBJECT
public:
    explicit CloneOptionsPage(QWidget* parent = nullptr);
    bool validatePage() override;
    uint64_t regionBytes() const;
    bool hydrate() const;
    uint32_t threshold() const;
    uint32_t batchSize() const;
    BackendChoice* backendChoice() const { return backend_; }

private:
    BackendChoice* backend_;
    QComboBox* region_;
    QLabel* regionNote_;
    QCheckBox* hydrate_;
    QSpinBox* threshold_;
    QSpinBox* batch_;
    ValidationLabel* error_;
};

class CloneSummaryPage : public QWizardPage {
    Q_OBJECT
public:
    explicit CloneSummaryPage(QWidget* parent = nullptr);
    void initializePage() override;
    ValidationLabel* errorLabel() const { return error_; }

private:
    QLabel* summary_;
    QLineEdit* command_;
    ValidationLabel* error_;
};

}  // namespace loopsnap::ui
