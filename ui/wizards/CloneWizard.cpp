#include "ui/wizards/CloneWizard.h"

#include "ui/bridge/HelperBridge.h"
#include "ui/wizards/BackendChoice.h"

#include <QCheckBox>
#include <QCoreApplication>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSpinBox>
#include <QStorageInfo>
#include <QVBoxLayout>

#include "core/io/nbd_source_device.h"
#include "core/util/size.h"
#include "ui/bridge/EngineBridge.h"
#include "ui/bridge/ProbeCache.h"
#include "ui/text/ErrorText.h"
#include "ui/widgets/StateIcons.h"
#include "ui/wizards/WizardSupport.h"

namespace loopsnap::ui {

namespace {
constexpr uint64_t kMinRegion = 4 * 1024, kMaxRegion = 4 * 1024 * 1024;

QLabel* infoBox(QWidget* parent, const QString& name) {
    auto* l = new QLabel(parent);
    l->setObjectName(name);
    l->setWordWrap(true);
    l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    l->setFrameShape(QFrame::StyledPanel);
    l->setMargin(8);
    l->setMinimumHeight(70);
    l->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    return l;
}

QString canonicalOrSelf(const QString& path) {
    const QString c = QFileInfo(path).canonicalFilePath();
    return c.isEmpty() ? QFileInfo(path).absoluteFilePath() : c;
}

QString probeFailure(const Error& e, const QString& what) {
    if (e.code == ErrorCode::NotFound) return QCoreApplication::translate("CloneWizard", "%1 does not exist.").arg(what);
    return errorText(e);
}
}  // namespace

// ---------------------------------------------------------------- source

CloneSourcePage::CloneSourcePage(QWidget* parent) : QWizardPage(parent) {
    setTitle(tr("Source"));
    setSubTitle(tr("What to clone. The clone is usable at once; regions not copied yet are read from here."));
    auto* layout = new QVBoxLayout(this);
    fileRadio_ = new QRadioButton(tr("An image &file"), this);
    fileRadio_->setChecked(true);
    fileEdit_ = new QLineEdit(this);
    fileEdit_->setObjectName(QStringLiteral("sourcePath"));
    auto* browse = new QPushButton(tr("&Browse…"), this);
    deviceRadio_ = new QRadioButton(tr("A &block device"), this);
    deviceCombo_ = new QComboBox(this);
    for (const auto& d : listBlockDevices())
        deviceCombo_->addItem(QString::fromStdString(d.path) + QStringLiteral("  (") + humanSize(d.sizeBytes) + QLatin1Char(')'),
                              QString::fromStdString(d.path));
    if (deviceCombo_->count() == 0) {
        deviceRadio_->setEnabled(false);
        deviceRadio_->setText(tr("A block device (none with a size on this machine)"));
    }
    nbdRadio_ = new QRadioButton(tr("An &NBD export (nbdkit, qemu-nbd, rbd-nbd, …)"), this);
    uriEdit_ = new QLineEdit(this);
    uriEdit_->setObjectName(QStringLiteral("sourceUri"));
    uriEdit_->setPlaceholderText(QStringLiteral("nbd://host:10809/export   or   nbd+unix:///export?socket=/run/x.sock"));
    layout->addWidget(fileRadio_);
    auto* row = new QHBoxLayout;
    row->addWidget(fileEdit_, 1);
    row->addWidget(browse);
    layout->addLayout(row);
    layout->addWidget(deviceRadio_);
    layout->addWidget(deviceCombo_);
    layout->addWidget(nbdRadio_);
    layout->addWidget(uriEdit_);
    info_ = infoBox(this, QStringLiteral("sourceInfo"));
    layout->addWidget(info_);
    layout->addStretch(1);
    error_ = new ValidationLabel(this);
    layout->addWidget(error_);
    prober_ = new AsyncProber(this);
    connect(prober_, &AsyncProber::finished, this, &CloneSourcePage::onProbed);
    auto changed = [this] {
        fileEdit_->setEnabled(fileRadio_->isChecked());
        deviceCombo_->setEnabled(deviceRadio_->isChecked());
        uriEdit_->setEnabled(nbdRadio_->isChecked());
        error_->clearMessage();
        size_ = 0;
        info_->setText(source().isEmpty() ? tr("Choose a source to see its size.")
                                          : (nbdRadio_->isChecked() ? tr("Connecting to %1…") : tr("Reading %1…")).arg(source()));
        prober_->request(source());
    };
    for (auto* r : {fileRadio_, deviceRadio_, nbdRadio_}) connect(r, &QRadioButton::toggled, this, changed);
    connect(fileEdit_, &QLineEdit::textChanged, this, changed);
    connect(uriEdit_, &QLineEdit::textChanged, this, changed);
    connect(deviceCombo_, &QComboBox::currentIndexChanged, this, changed);
    connect(browse, &QPushButton::clicked, this, [this] {
        QSettings settings;
        const QString p = QFileDialog::getOpenFileName(this, tr("Choose the source image"), settings.value("folders/cloneSource").toString());
        if (p.isEmpty()) return;
        settings.setValue("folders/cloneSource", QFileInfo(p).absolutePath());
        fileRadio_->setChecked(true);
        fileEdit_->setText(p);
    });
    changed();
}

void CloneSourcePage::setSource(const QString& s) {
    if (NbdSourceDevice::isNbdUri(s.toStdString())) {
        nbdRadio_->setChecked(true);
        uriEdit_->setText(s);
    } else {
        fileRadio_->setChecked(true);
        fileEdit_->setText(s);
    }
}

QString CloneSourcePage::source() const {
    if (nbdRadio_->isChecked()) return uriEdit_->text().trimmed();
    if (deviceRadio_->isChecked()) return deviceCombo_->currentData().toString();
    return fileEdit_->text().trimmed();
}

void CloneSourcePage::onProbed() {
    const auto& last = prober_->last();
    if (!last) return;
    if (!last->ok()) {
        info_->setText(probeFailure(last->error(), source()));
        return;
    }
    size_ = last->value().sizeBytes;
    if (last->value().isNbd) info_->setText(tr("NBD export reached: %1 (%2 bytes).").arg(humanSize(size_), QLocale().toString(qulonglong(size_))));
    else info_->setText(probeDetails(Result<BlockProbe>(*last->value().probe)));
}

bool CloneSourcePage::validatePage() {
    const QString s = source();
    if (s.isEmpty()) return error_->fail(tr("Choose a source: a file, a block device or an NBD URI.")), false;
    if (nbdRadio_->isChecked() && !NbdSourceDevice::isNbdUri(s.toStdString()))
        return error_->fail(tr("“%1” is not an NBD URI. Write nbd://HOST[:PORT]/EXPORT or nbd+unix:///EXPORT?socket=PATH.").arg(s)), false;
    if (prober_->lastSubject() != s) prober_->request(s);
    if (prober_->pending() || !prober_->last())
        return error_->fail(tr("Still probing %1 for its size; press Next again in a moment.").arg(s)), false;
    const auto& r = *prober_->last();
    if (!r.ok()) {
        if (nbdRadio_->isChecked())
            return error_->fail(tr("Cannot reach %1: %2. Check that the NBD server runs and the URI is right.")
                                    .arg(s, QString::fromStdString(r.error().message))), false;
        return error_->fail(probeFailure(r.error(), s)), false;
    }
    if (r->sizeBytes == 0) return error_->fail(tr("%1 is empty: there is nothing to clone.").arg(s)), false;
    error_->clearMessage();
    return true;
}

// ---------------------------------------------------------------- destination

CloneDestinationPage::CloneDestinationPage(QWidget* parent) : QWizardPage(parent) {
    setTitle(tr("Destination"));
    setSubTitle(tr("Where the clone's data goes, and its metadata file (which regions are copied)."));
    auto* layout = new QVBoxLayout(this);
    newRadio_ = new QRadioButton(tr("A &new file of the source's size"), this);
    newRadio_->setChecked(true);
    newEdit_ = new QLineEdit(this);
    newEdit_->setObjectName(QStringLiteral("destPath"));
    existingRadio_ = new QRadioButton(tr("An &existing device or file at least as large (it is overwritten)"), this);
    existingRadio_->setObjectName(QStringLiteral("destExistingChoice"));
    existingEdit_ = new QLineEdit(this);
    existingEdit_->setObjectName(QStringLiteral("destExisting"));
    existingEdit_->setPlaceholderText(QStringLiteral("/dev/sdX"));
    metaEdit_ = new QLineEdit(this);
    metaEdit_->setObjectName(QStringLiteral("metaPath"));
    layout->addWidget(newRadio_);
    layout->addWidget(newEdit_);
    layout->addWidget(existingRadio_);
    layout->addWidget(existingEdit_);
    info_ = infoBox(this, QStringLiteral("destInfo"));
    info_->setVisible(false);
    layout->addWidget(info_);
    fsWarning_ = makeWarningLabel(this, QStringLiteral("fsWarning"));
    layout->addWidget(fsWarning_);
    overwrite_ = new QCheckBox(tr("&Overwrite what is on it"), this);
    overwrite_->setObjectName(QStringLiteral("overwrite"));
    overwrite_->setVisible(false);
    layout->addWidget(overwrite_);
    auto* metaRow = new QHBoxLayout;
    metaRow->addWidget(new QLabel(tr("&Metadata file:"), this));
    metaRow->addWidget(metaEdit_, 1);
    static_cast<QLabel*>(metaRow->itemAt(0)->widget())->setBuddy(metaEdit_);
    layout->addLayout(metaRow);
    layout->addStretch(1);
    error_ = new ValidationLabel(this);
    layout->addWidget(error_);
    prober_ = new AsyncProber(this);
    connect(prober_, &AsyncProber::finished, this, &CloneDestinationPage::onProbed);
    auto changed = [this] {
        newEdit_->setEnabled(newRadio_->isChecked());
        existingEdit_->setEnabled(existingRadio_->isChecked());
        error_->clearMessage();
        fsWarning_->setVisible(false);
        overwrite_->setVisible(false);
        overwrite_->setChecked(false);
        info_->setVisible(existingRadio_->isChecked());
        if (existingRadio_->isChecked()) prober_->request(existingEdit_->text());
    };
    for (auto* r : {newRadio_, existingRadio_}) connect(r, &QRadioButton::toggled, this, changed);
    connect(existingEdit_, &QLineEdit::textChanged, this, changed);
    connect(newEdit_, &QLineEdit::textChanged, this, [this] { error_->clearMessage(); });
    connect(metaEdit_, &QLineEdit::textChanged, this, [this] { error_->clearMessage(); });
    changed();
}

void CloneDestinationPage::initializePage() {
    auto* w = static_cast<CloneWizard*>(wizard());
    const QString src = w->source();
    if (src == lastSource_) return;
    lastSource_ = src;
    QSettings settings;
    QString folder = settings.value("folders/clone", QDir::homePath()).toString();
    if (!QDir(folder).exists()) folder = QDir::homePath();  // a remembered folder that is gone
    QString base = QStringLiteral("clone");
    if (!NbdSourceDevice::isNbdUri(src.toStdString()) && !src.startsWith(QLatin1String("/dev/"))) {
        folder = QFileInfo(src).absolutePath();
        base = QFileInfo(src).completeBaseName() + QStringLiteral("-clone");
    }
    QString dest = QDir(folder).filePath(base + QStringLiteral(".img"));
    for (int n = 2; (QFileInfo::exists(dest) || QFileInfo::exists(dest + ".meta")) && n < 100; ++n)
        dest = QDir(folder).filePath(base + QString::number(n) + QStringLiteral(".img"));
    newEdit_->setText(dest);
    metaEdit_->setText(dest + QStringLiteral(".meta"));
}

QString CloneDestinationPage::dest() const { return (newRadio_->isChecked() ? newEdit_ : existingEdit_)->text().trimmed(); }
QString CloneDestinationPage::meta() const { return metaEdit_->text().trimmed(); }

void CloneDestinationPage::onProbed() {
    const auto& last = prober_->last();
    if (!last) return;
    if (!last->ok()) {
        info_->setText(probeFailure(last->error(), existingEdit_->text()));
        return;
    }
    const BlockProbe& p = *last->value().probe;
    info_->setText(probeDetails(Result<BlockProbe>(p)));
    if (p.found) {
        QString what = QString::fromStdString(p.type.empty() ? p.partitionTable : p.type);
        if (!p.label.empty()) what += tr(" labelled “%1”").arg(QString::fromStdString(p.label));
        fsWarning_->setText(tr("%1 holds %2. Cloning overwrites it: everything on it is lost.").arg(existingEdit_->text(), what));
        fsWarning_->setVisible(true);
        overwrite_->setVisible(true);
    }
}

bool CloneDestinationPage::validatePage() {
    auto* w = static_cast<CloneWizard*>(wizard());
    const QString d = dest(), m = meta();
    const uint64_t need = w->sourceSize();
    if (d.isEmpty()) return error_->fail(tr("Choose the destination.")), false;
    if (canonicalOrSelf(d) == canonicalOrSelf(w->source())) return error_->fail(tr("The destination cannot be the source itself.")), false;
    if (newRadio_->isChecked()) {
        const QFileInfo fi(d);
        if (fi.exists()) return error_->fail(tr("%1 already exists. Choose a new file, or “An existing device or file” to overwrite it.").arg(d)), false;
        if (!QFileInfo(fi.absolutePath()).isDir()) return error_->fail(tr("The folder %1 does not exist.").arg(fi.absolutePath())), false;
        if (!QFileInfo(fi.absolutePath()).isWritable()) return error_->fail(tr("You cannot create files in %1.").arg(fi.absolutePath())), false;
        QStorageInfo storage(fi.absolutePath());
        if (storage.isValid() && storage.isReady() && uint64_t(storage.bytesAvailable()) < need)
            return error_->fail(tr("%1 has only %2 free, and the clone needs %3 once hydrated. Choose another folder.")
                                    .arg(storage.rootPath(), humanSize(uint64_t(storage.bytesAvailable())), humanSize(need))), false;
    } else {
        if (prober_->lastSubject() != d) prober_->request(d);
        if (prober_->pending() || !prober_->last()) return error_->fail(tr("Still reading %1; press Next again in a moment.").arg(d)), false;
        const auto& r = *prober_->last();
        if (!r.ok()) return error_->fail(probeFailure(r.error(), d)), false;
        if (r->sizeBytes < need)
            return error_->fail(tr("%1 holds %2, smaller than the source (%3). Choose a device at least as large.")
                                    .arg(d, humanSize(r->sizeBytes), humanSize(need))), false;
        if (r->probe && r->probe->mount)
            return error_->fail(tr("%1 is mounted on %2. Unmount it first.").arg(d, QString::fromStdString(r->probe->mount->mountPoint))), false;
        if (r->probe && r->probe->found && !overwrite_->isChecked())
            return error_->fail(tr("%1 holds a filesystem or partition table. Tick “Overwrite what is on it” to use it anyway.").arg(d)), false;
    }
    if (m.isEmpty()) return error_->fail(tr("Choose a file for the clone's metadata.")), false;
    if (QFileInfo::exists(m)) return error_->fail(tr("%1 already exists. An existing clone is added with File ▸ Add existing clone.").arg(m)), false;
    if (canonicalOrSelf(m) == canonicalOrSelf(d)) return error_->fail(tr("The metadata file must differ from the destination.")), false;
    if (!QFileInfo(QFileInfo(m).absolutePath()).isDir()) return error_->fail(tr("The folder %1 does not exist.").arg(QFileInfo(m).absolutePath())), false;
    error_->clearMessage();
    return true;
}

// ---------------------------------------------------------------- options

CloneOptionsPage::CloneOptionsPage(QWidget* parent) : QWizardPage(parent) {
    setTitle(tr("Regions and hydration"));
    setSubTitle(tr("The clone copies the source region by region, in the background while hydration is on."));
    auto* form = new QFormLayout(this);
    backend_ = new BackendChoice(this);
    form->addRow(backend_);
    region_ = new QComboBox(this);
    region_->setObjectName(QStringLiteral("regionSize"));
    region_->setEditable(true);
    for (uint64_t r = kMinRegion; r <= kMaxRegion; r *= 2) region_->addItem(humanSize(r), QVariant::fromValue<qulonglong>(r));
    region_->setCurrentIndex(region_->findData(QVariant::fromValue<qulonglong>(64 * 1024)));
    form->addRow(tr("&Region size:"), region_);
    regionNote_ = makeNoteLabel(this);
    regionNote_->setText(tr("The unit of copying and of the metadata's bitmap. Small regions copy less before a partial write "
                            "can proceed; large ones mean fewer, larger reads from the source and a smaller bitmap."));
    form->addRow(QString(), regionNote_);
    hydrate_ = new QCheckBox(tr("&Hydrate in the background (copy every region, then the source is no longer needed)"), this);
    hydrate_->setObjectName(QStringLiteral("hydrate"));
    hydrate_->setChecked(true);
    form->addRow(hydrate_);
    threshold_ = new QSpinBox(this);
    threshold_->setObjectName(QStringLiteral("threshold"));
    threshold_->setRange(1, 1024);
    threshold_->setValue(1);
    threshold_->setToolTip(tr("dm-clone hydration_threshold: regions copied at once"));
    form->addRow(tr("Regions in &flight:"), threshold_);
    batch_ = new QSpinBox(this);
    batch_->setObjectName(QStringLiteral("batch"));
    batch_->setRange(1, 1024);
    batch_->setValue(1);
    batch_->setToolTip(tr("dm-clone hydration_batch_size: consecutive regions per copy"));
    form->addRow(tr("&Batch size:"), batch_);
    auto* note = makeNoteLabel(this);
    note->setText(tr("More regions in flight and larger batches hydrate faster and leave less bandwidth to your own reads and writes."));
    form->addRow(QString(), note);
    error_ = new ValidationLabel(this);
    form->addRow(error_);
    connect(hydrate_, &QCheckBox::toggled, threshold_, &QWidget::setEnabled);
    connect(hydrate_, &QCheckBox::toggled, batch_, &QWidget::setEnabled);
    connect(region_, &QComboBox::currentTextChanged, this, [this] { error_->clearMessage(); });
}

uint64_t CloneOptionsPage::regionBytes() const { return parseSizeText(region_->currentText()).value_or(0); }
bool CloneOptionsPage::hydrate() const { return hydrate_->isChecked(); }
uint32_t CloneOptionsPage::threshold() const { return uint32_t(threshold_->value()); }
uint32_t CloneOptionsPage::batchSize() const { return uint32_t(batch_->value()); }

bool CloneOptionsPage::validatePage() {
    const uint64_t r = regionBytes();
    if (r < kMinRegion || r > kMaxRegion || !isPowerOfTwo(r))
        return error_->fail(tr("The region size “%1” is out of range: it must be a power of two from 4 KiB to 4 MiB.").arg(region_->currentText())), false;
    if (backend_->backend() == BackendKind::Kernel && static_cast<CloneWizard*>(wizard())->source().contains(QLatin1String("://")))
        return error_->fail(tr("The kernel backend clones from a file or block device, not over NBD. Choose Userspace for an NBD source.")), false;
    error_->clearMessage();
    return true;
}

// ---------------------------------------------------------------- summary

CloneSummaryPage::CloneSummaryPage(QWidget* parent) : QWizardPage(parent) {
    setTitle(tr("Summary"));
    setSubTitle(tr("Nothing has been written yet. Finish creates the clone."));
    auto* layout = new QVBoxLayout(this);
    summary_ = new QLabel(this);
    summary_->setObjectName(QStringLiteral("summary"));
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(summary_);
    layout->addWidget(new QLabel(tr("The same from a terminal:"), this));
    command_ = new QLineEdit(this);
    command_->setObjectName(QStringLiteral("command"));
    command_->setReadOnly(true);
    command_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    layout->addWidget(command_);
    layout->addStretch(1);
    error_ = new ValidationLabel(this);
    layout->addWidget(error_);
}

void CloneSummaryPage::initializePage() {
    auto* w = static_cast<CloneWizard*>(wizard());
    summary_->setText(tr("A clone of <b>%1</b> (%2)<br>onto <b>%3</b>, metadata in <b>%4</b>, %5 regions.<br>%6")
                          .arg(w->source().toHtmlEscaped(), humanSize(w->sourceSize()), w->dest().toHtmlEscaped(),
                               w->meta().toHtmlEscaped(), humanSize(w->regionBytes()),
                               w->hydrate() ? tr("Hydration starts at once: %n region(s) in flight, batches of %1.", nullptr,
                                                 int(w->threshold())).arg(w->batchSize())
                                            : tr("No background hydration: regions are copied when they are written.")));
    command_->setText(w->equivalentCommands().join(QStringLiteral(" && ")));
    command_->setCursorPosition(0);
    error_->clearMessage();
}

// ---------------------------------------------------------------- wizard

CloneWizard::CloneWizard(EngineBridge* bridge, QWidget* parent) : QWizard(parent), bridge_(bridge) {
    setWindowTitle(tr("New clone"));
    setWindowIcon(appIcon());
    setWizardStyle(QWizard::ClassicStyle);
    setOption(QWizard::NoBackButtonOnStartPage);
    setPage(SourcePageId, new CloneSourcePage(this));
    setPage(DestinationPageId, new CloneDestinationPage(this));
    setPage(OptionsPageId, new CloneOptionsPage(this));
    setPage(SummaryPageId, new CloneSummaryPage(this));
    setMinimumSize(720, 540);
}

void CloneWizard::setSource(const QString& s) { static_cast<CloneSourcePage*>(page(SourcePageId))->setSource(s); }
QString CloneWizard::source() const { return static_cast<CloneSourcePage*>(page(SourcePageId))->source(); }
uint64_t CloneWizard::sourceSize() const { return static_cast<CloneSourcePage*>(page(SourcePageId))->size(); }
QString CloneWizard::dest() const { return static_cast<CloneDestinationPage*>(page(DestinationPageId))->dest(); }
QString CloneWizard::meta() const { return static_cast<CloneDestinationPage*>(page(DestinationPageId))->meta(); }
uint64_t CloneWizard::regionBytes() const { return static_cast<CloneOptionsPage*>(page(OptionsPageId))->regionBytes(); }
bool CloneWizard::hydrate() const { return static_cast<CloneOptionsPage*>(page(OptionsPageId))->hydrate(); }
uint32_t CloneWizard::threshold() const { return static_cast<CloneOptionsPage*>(page(OptionsPageId))->threshold(); }
uint32_t CloneWizard::batchSize() const { return static_cast<CloneOptionsPage*>(page(OptionsPageId))->batchSize(); }

BackendKind CloneWizard::backend() const { return backendChoice()->backend(); }
BackendChoice* CloneWizard::backendChoice() const { return static_cast<CloneOptionsPage*>(page(OptionsPageId))->backendChoice(); }

QStringList CloneWizard::equivalentCommands() const {
    QStringList out;
    const QString ctl = backend() == BackendKind::Kernel ? QStringLiteral("loopsnapctl --backend kernel") : QStringLiteral("loopsnapctl");
    out << QStringLiteral("%5 clone create --source %1 --dest %2 --meta %3 --region %4")
               .arg(shellQuote(source()), shellQuote(dest()), shellQuote(meta()), cliSize(regionBytes()), ctl);
    if (hydrate())
        out << QStringLiteral("%4 clone hydrate --meta %1 --threshold %2 --batch %3")
                   .arg(shellQuote(meta())).arg(threshold()).arg(batchSize()).arg(ctl);
    return out;
}

void CloneWizard::accept() {
    if (finishing_) return;
    finishing_ = true;
    button(QWizard::FinishButton)->setEnabled(false);
    button(QWizard::BackButton)->setEnabled(false);
    CreateCloneRequest rq;
    rq.source = source().toStdString();
    rq.dest = dest().toStdString();
    rq.meta = meta().toStdString();
    rq.regionBytes = regionBytes();
    std::optional<HydrationTuning> tuning;
    if (hydrate()) tuning = HydrationTuning{threshold(), batchSize()};
    auto* summary = static_cast<CloneSummaryPage*>(page(SummaryPageId));
    auto finished = [this, summary](const Result<CloneInfo>& r) {
        finishing_ = false;
        if (!r.ok()) {
            finishError_ = errorText(r.error());
            summary->errorLabel()->fail(finishError_);
            button(QWizard::FinishButton)->setEnabled(true);
            button(QWizard::BackButton)->setEnabled(true);
            return;
        }
        QSettings().setValue("folders/clone", QFileInfo(dest()).absolutePath());
        emit created(QString::fromStdString(r->id));
        QWizard::accept();
    };
    if (backend() == BackendKind::Kernel) bridge_->helper()->createClone(rq, tuning, this, finished);
    else bridge_->createClone(rq, tuning, this, finished);
}

}  // namespace loopsnap::ui
