#include "ui/wizards/SnapshotWizard.h"

#include "ui/bridge/HelperBridge.h"
#include "ui/wizards/BackendChoice.h"

#include <unistd.h>

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QStorageInfo>
#include <QVBoxLayout>

#include "core/util/size.h"
#include "ui/bridge/EngineBridge.h"
#include "ui/bridge/ProbeCache.h"
#include "ui/text/ErrorText.h"
#include "ui/widgets/StateIcons.h"
#include "ui/wizards/WizardSupport.h"

namespace loopsnap::ui {

namespace {
constexpr uint32_t kMinChunk = 4 * 1024, kMaxChunk = 512 * 1024;

QString canonicalOrSelf(const QString& path) {
    const QString c = QFileInfo(path).canonicalFilePath();
    return c.isEmpty() ? QFileInfo(path).absoluteFilePath() : c;
}

QHBoxLayout* pathRow(QLineEdit* edit, QPushButton* browse) {
    auto* row = new QHBoxLayout;
    row->addWidget(edit, 1);
    row->addWidget(browse);
    return row;
}
}  // namespace

// ---------------------------------------------------------------- origin

SnapshotOriginPage::SnapshotOriginPage(QWidget* parent) : QWizardPage(parent) {
    setTitle(tr("Origin"));
    setSubTitle(tr("The disk image or block device to take a snapshot of. It is only read here."));
    auto* layout = new QVBoxLayout(this);
    fileRadio_ = new QRadioButton(tr("An image &file"), this);
    fileRadio_->setChecked(true);
    layout->addWidget(fileRadio_);
    fileEdit_ = new QLineEdit(this);
    fileEdit_->setObjectName(QStringLiteral("originPath"));
    fileEdit_->setPlaceholderText(tr("/path/to/disk.img"));
    auto* browse = new QPushButton(tr("&Browse…"), this);
    layout->addLayout(pathRow(fileEdit_, browse));
    deviceRadio_ = new QRadioButton(tr("A &block device"), this);
    layout->addWidget(deviceRadio_);
    deviceCombo_ = new QComboBox(this);
    deviceCombo_->setObjectName(QStringLiteral("originDevice"));
    deviceCombo_->setEnabled(false);
    for (const auto& d : listBlockDevices()) {
        QString label = QString::fromStdString(d.path) + QStringLiteral("  (") + humanSize(d.sizeBytes);
        if (!d.model.empty()) label += QStringLiteral(", ") + QString::fromStdString(d.model);
        if (d.readOnly) label += tr(", read-only");
        deviceCombo_->addItem(label + QLatin1Char(')'), QString::fromStdString(d.path));
    }
    if (deviceCombo_->count() == 0) {
        deviceRadio_->setEnabled(false);
        deviceRadio_->setText(tr("A block device (none with a size on this machine)"));
    }
    layout->addWidget(deviceCombo_);
    info_ = new QLabel(this);
    info_->setObjectName(QStringLiteral("originInfo"));
    info_->setWordWrap(true);
    info_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    info_->setFrameShape(QFrame::StyledPanel);
    info_->setMargin(8);
    info_->setMinimumHeight(90);
    info_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    layout->addWidget(info_);
    mountWarning_ = makeWarningLabel(this, QStringLiteral("mountWarning"));
    layout->addWidget(mountWarning_);
    layout->addStretch(1);
    error_ = new ValidationLabel(this);
    layout->addWidget(error_);

    prober_ = new AsyncProber(this);
    connect(prober_, &AsyncProber::finished, this, &SnapshotOriginPage::onProbed);
    auto changed = [this] {
        error_->clearMessage();
        info_->setText(path().isEmpty() ? tr("Choose a file or a device to see what it holds.") : tr("Reading %1…").arg(path()));
        mountWarning_->setVisible(false);
        prober_->request(path());
        emit completeChanged();
    };
    connect(fileEdit_, &QLineEdit::textChanged, this, changed);
    connect(deviceCombo_, &QComboBox::currentIndexChanged, this, changed);
    connect(fileRadio_, &QRadioButton::toggled, this, [this, changed](bool file) {
        fileEdit_->setEnabled(file);
        deviceCombo_->setEnabled(!file);
        changed();
    });
    connect(browse, &QPushButton::clicked, this, [this] {
        QSettings settings;
        const QString p = QFileDialog::getOpenFileName(this, tr("Choose the origin image"), settings.value("folders/origin").toString(),
                                                       tr("Disk images (*.img *.raw *.bin);;All files (*)"));
        if (p.isEmpty()) return;
        settings.setValue("folders/origin", QFileInfo(p).absolutePath());
        fileRadio_->setChecked(true);
        fileEdit_->setText(p);
    });
        changed();
}

void SnapshotOriginPage::setPath(const QString& p) {
    if (p.startsWith(QLatin1String("/dev/"))) {
        const int i = deviceCombo_->findData(p);
        if (i >= 0) {
            deviceRadio_->setChecked(true);
            deviceCombo_->setCurrentIndex(i);
            return;
        }
    }
    fileRadio_->setChecked(true);
    fileEdit_->setText(p);
}

QString SnapshotOriginPage::path() const {
    return fileRadio_->isChecked() ? fileEdit_->text().trimmed() : deviceCombo_->currentData().toString();
}

bool SnapshotOriginPage::isComplete() const { return !path().isEmpty(); }

void SnapshotOriginPage::onProbed() {
    const auto& last = prober_->last();
    if (!last) return;
    if (!last->ok()) {
        info_->setText(errorText(last->error()));
        size_ = 0;
        return;
    }
    const SourceFacts& f = last->value();
    size_ = f.sizeBytes;
    info_->setText(f.probe ? probeDetails(Result<BlockProbe>(*f.probe)) : tr("Size: %1").arg(humanSize(f.sizeBytes)));
    if (f.probe && f.probe->mount && f.probe->mount->readWrite) {
        mountWarning_->setText(tr("%1 is mounted read-write on %2. A snapshot of a filesystem in use is only crash-consistent: "
                                  "it looks like the disk after a power cut. Unmount it or freeze it (fsfreeze) for a clean snapshot.")
                                   .arg(path(), QString::fromStdString(f.probe->mount->mountPoint)));
        mountWarning_->setVisible(true);
    }
}

bool SnapshotOriginPage::validatePage() {
    const QString p = path();
    if (p.isEmpty()) return error_->fail(tr("Choose an origin image or block device.")), false;
    if (prober_->lastSubject() != p) prober_->request(p);
    if (prober_->pending() || !prober_->last())
        return error_->fail(tr("Still reading %1; press Next again in a moment.").arg(p)), false;
    const auto& r = *prober_->last();
    if (!r.ok()) {
        if (r.error().code == ErrorCode::NotFound) return error_->fail(tr("%1 does not exist. Choose an existing image or device.").arg(p)), false;
        return error_->fail(tr("%1 cannot be read. Check its permissions (block devices usually need root).").arg(p)), false;
    }
    if (QFileInfo(p).isDir()) return error_->fail(tr("%1 is a folder. Choose an image file or a block device.").arg(p)), false;
    if (r->sizeBytes == 0) return error_->fail(tr("%1 is empty: there is nothing to take a snapshot of.").arg(p)), false;
    error_->clearMessage();
    return true;
}

// ---------------------------------------------------------------- store

SnapshotStorePage::SnapshotStorePage(QWidget* parent) : QWizardPage(parent) {
    setTitle(tr("Store"));
    setSubTitle(tr("Where the snapshot keeps the chunks the origin overwrites (the kernel's COW format)."));
    auto* form = new QFormLayout(this);
    form->setRowWrapPolicy(QFormLayout::DontWrapRows);
    cowEdit_ = new QLineEdit(this);
    cowEdit_->setObjectName(QStringLiteral("cowPath"));
    auto* browse = new QPushButton(tr("B&rowse…"), this);
    form->addRow(tr("&Store file:"), pathRow(cowEdit_, browse));
    sizeEdit_ = new QLineEdit(this);
    sizeEdit_->setObjectName(QStringLiteral("cowSize"));
    sizeEdit_->setToolTip(tr("Bytes, or with K, M, G or T (powers of 1024), as loopsnapctl takes it."));
    form->addRow(tr("Si&ze:"), sizeEdit_);
    sizeNote_ = makeNoteLabel(this);
    form->addRow(QString(), sizeNote_);
    chunkCombo_ = new QComboBox(this);
    chunkCombo_->setObjectName(QStringLiteral("chunkSize"));
    chunkCombo_->setEditable(true);
    for (uint32_t c = kMinChunk; c <= kMaxChunk; c *= 2) chunkCombo_->addItem(humanSize(c), c);
    chunkCombo_->setCurrentIndex(chunkCombo_->findData(16 * 1024));
    form->addRow(tr("&Chunk size:"), chunkCombo_);
    chunkNote_ = makeNoteLabel(this);
    form->addRow(QString(), chunkNote_);
    storeGroup_ = new QButtonGroup(this);
    auto* types = new QVBoxLayout;
    const struct { const char* code; const char* text; } kinds[] = {
        {"P", QT_TR_NOOP("P — persistent: kept across a restart. When the store fills, the snapshot becomes invalid for good; the origin carries on.")},
        {"PO", QT_TR_NOOP("PO — persistent with overflow: kept across a restart. When the store fills, writes to the snapshot fail but its contents stay readable.")},
        {"N", QT_TR_NOOP("N — transient: nothing is kept across a restart (no metadata is written). When the store fills, the snapshot becomes invalid.")},
    };
    int id = 0;
    for (const auto& k : kinds) {
        // Long lines: the text wraps in a label beside the radio button.
        auto* r = new QRadioButton(this);
        r->setObjectName(QStringLiteral("store") + QLatin1String(k.code));
        r->setProperty("store", QString::fromLatin1(k.code));
        r->setAccessibleName(tr(k.text));
        storeGroup_->addButton(r, id++);
        auto* row = new QHBoxLayout;
        row->addWidget(r, 0, Qt::AlignTop);
        auto* l = new QLabel(tr(k.text), this);
        l->setWordWrap(true);
        row->addWidget(l, 1);
        types->addLayout(row);
    }
    storeGroup_->button(0)->setChecked(true);
    form->addRow(tr("Store type:"), types);
    error_ = new ValidationLabel(this);
    form->addRow(error_);
    connect(browse, &QPushButton::clicked, this, [this] {
        QSettings settings;
        const QString p = QFileDialog::getSaveFileName(this, tr("Where to create the store"), cowEdit_->text(),
                                                       tr("Snapshot stores (*.cow);;All files (*)"), nullptr,
                                                       QFileDialog::DontConfirmOverwrite);
        if (p.isEmpty()) return;
        settings.setValue("folders/store", QFileInfo(p).absolutePath());
        cowEdit_->setText(p);
    });
    for (auto* e : {cowEdit_, sizeEdit_}) connect(e, &QLineEdit::textChanged, this, [this] { error_->clearMessage(); updateNotes(); });
    connect(chunkCombo_, &QComboBox::currentTextChanged, this, [this] { error_->clearMessage(); updateNotes(); });
}

void SnapshotStorePage::initializePage() {
    auto* w = static_cast<SnapshotWizard*>(wizard());
    const QString origin = w->originPath();
    if (origin == lastOrigin_) return;  // keep what the user typed when coming back
    lastOrigin_ = origin;
    const QFileInfo fi(origin);
    QSettings settings;
    QString folder = origin.startsWith(QLatin1String("/dev/")) ? settings.value("folders/store", QDir::homePath()).toString()
                                                               : fi.absolutePath();
    QString base = fi.completeBaseName().isEmpty() ? fi.fileName() : fi.completeBaseName();
    QString candidate = QDir(folder).filePath(base + QStringLiteral("-snap.cow"));
    for (int n = 2; QFileInfo::exists(candidate) && n < 100; ++n)
        candidate = QDir(folder).filePath(base + QStringLiteral("-snap%1.cow").arg(n));
    cowEdit_->setText(candidate);
    // Recommended: a quarter of the origin (room for a quarter of it to change), at least 4 MiB,
    // in whole MiB.
    const uint64_t originSize = w->originSize();
    uint64_t rec = std::max<uint64_t>(4ull << 20, originSize / 4);
    rec = (rec + (1 << 20) - 1) / (1 << 20) * (1 << 20);
    sizeEdit_->setText(cliSize(rec));
    sizeEdit_->setProperty("recommended", QVariant::fromValue<qulonglong>(rec));
    updateNotes();
}

QString SnapshotStorePage::cowPath() const { return cowEdit_->text().trimmed(); }
uint64_t SnapshotStorePage::cowSize() const { return parseSizeText(sizeEdit_->text()).value_or(0); }
uint32_t SnapshotStorePage::chunkBytes() const {
    auto v = parseSizeText(chunkCombo_->currentText());
    return v && *v <= kMaxChunk * 2ull ? uint32_t(*v) : 0;
}
QString SnapshotStorePage::storeType() const { return storeGroup_->checkedButton()->property("store").toString(); }

void SnapshotStorePage::updateNotes() {
    const qulonglong rec = sizeEdit_->property("recommended").toULongLong();
    QString note = tr("Recommended: %1, a quarter of the origin: room for that much of it to change while the snapshot exists.")
                       .arg(humanSize(rec));
    const QString folder = QFileInfo(cowPath()).absolutePath();
    QStorageInfo storage(folder);
    if (storage.isValid() && storage.isReady())
        note += QLatin1Char(' ') + tr("%1 is free on %2.").arg(humanSize(uint64_t(storage.bytesAvailable())), storage.rootPath());
    sizeNote_->setText(note);
    const uint32_t c = chunkBytes();
    if (c >= kMinChunk && c <= kMaxChunk && isPowerOfTwo(c)) {
        chunkNote_->setText(tr("Each first write to a chunk copies %1 into the store. Small chunks copy less for scattered small writes "
                               "but need more records (16 bytes per chunk); large chunks mean fewer, bigger copies and fill the store "
                               "faster when writes are scattered.").arg(humanSize(c)));
    } else {
        chunkNote_->setText(tr("A power of two from 4 KiB to 512 KiB."));
    }
}

bool SnapshotStorePage::validatePage() {
    auto* w = static_cast<SnapshotWizard*>(wizard());
    const QString cow = cowPath();
    if (cow.isEmpty()) return error_->fail(tr("Choose where to keep the store.")), false;
    const QFileInfo fi(cow);
    if (canonicalOrSelf(cow) == canonicalOrSelf(w->originPath()))
        return error_->fail(tr("The store cannot be the origin itself. Choose another file for the store.")), false;
    if (fi.exists())
        return error_->fail(tr("%1 already exists. Choose a new file name (an existing store is added with File ▸ Add existing store).").arg(cow)), false;
    const QFileInfo dir(fi.absolutePath());
    if (!dir.isDir()) return error_->fail(tr("The folder %1 does not exist.").arg(fi.absolutePath())), false;
    if (!dir.isWritable()) return error_->fail(tr("You cannot create files in %1. Choose another folder.").arg(fi.absolutePath())), false;
    const auto size = parseSizeText(sizeEdit_->text());
    if (!size || *size == 0)
        return error_->fail(tr("“%1” is not a size. Write bytes, or a number with K, M, G or T (for example 256M).").arg(sizeEdit_->text())), false;
    const uint32_t chunk = chunkBytes();
    if (chunk < kMinChunk || chunk > kMaxChunk || !isPowerOfTwo(chunk))
        return error_->fail(tr("The chunk size “%1” is out of range: it must be a power of two from 4 KiB to 512 KiB.").arg(chunkCombo_->currentText())), false;
    if (*size < 3ull * chunk)
        return error_->fail(tr("%1 is too small for %2 chunks: a store needs at least three (header, one metadata area, one data chunk), %3.")
                                .arg(humanSize(*size), humanSize(chunk), humanSize(3ull * chunk))), false;
    QStorageInfo storage(fi.absolutePath());
    if (storage.isValid() && storage.isReady() && uint64_t(storage.bytesAvailable()) < *size)
        return error_->fail(tr("%1 has only %2 free, and the store needs %3. Choose a smaller size or a folder on another filesystem.")
                                .arg(storage.rootPath(), humanSize(uint64_t(storage.bytesAvailable())), humanSize(*size))), false;
    error_->clearMessage();
    return true;
}

// ---------------------------------------------------------------- options

SnapshotOptionsPage::SnapshotOptionsPage(QWidget* parent) : QWizardPage(parent) {
    setTitle(tr("Options"));
    setSubTitle(tr("What to do with the snapshot once it exists."));
    auto* layout = new QVBoxLayout(this);
    backend_ = new BackendChoice(this);
    layout->addWidget(backend_);
    none_ = new QRadioButton(tr("&Only create it (it appears in the device list)"), this);
    none_->setChecked(true);
    attach_ = new QRadioButton(tr("&Attach it as a loop device (/dev/loopN), to mount it"), this);
    attach_->setObjectName(QStringLiteral("attach"));
    serve_ = new QRadioButton(tr("&Serve it over NBD on a unix socket"), this);
    serve_->setObjectName(QStringLiteral("serve"));
    layout->addWidget(none_);
    layout->addWidget(attach_);
    attachNote_ = makeNoteLabel(this);
    attachNote_->setText(::geteuid() == 0 ? tr("Loop devices are available to root; Loopsnap runs as root.")
                                          : tr("Attaching needs root; Loopsnap does not run as root, so serving over NBD is the way here."));
    attachNote_->setIndent(24);
    layout->addWidget(attachNote_);
    layout->addWidget(serve_);
    socketEdit_ = new QLineEdit(this);
    socketEdit_->setObjectName(QStringLiteral("socketPath"));
    socketEdit_->setEnabled(false);
    auto* row = new QHBoxLayout;
    row->addSpacing(24);
    row->addWidget(new QLabel(tr("Socket:"), this));
    row->addWidget(socketEdit_, 1);
    layout->addLayout(row);
    layout->addStretch(1);
    error_ = new ValidationLabel(this);
    layout->addWidget(error_);
    connect(serve_, &QRadioButton::toggled, socketEdit_, &QWidget::setEnabled);
    // The kernel's snapshot is a device in /dev/mapper already: no loop device, no NBD export.
    connect(backend_, &BackendChoice::changed, this, [this](BackendKind kind) {
        const bool user = kind != BackendKind::Kernel;
        if (!user) none_->setChecked(true);
        attach_->setEnabled(user);
        serve_->setEnabled(user);
    });
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR", QDir::tempPath());
    socketEdit_->setText(QDir(runtime).filePath(QStringLiteral("loopsnap-%1.sock").arg(QCoreApplication::applicationPid())));
}

bool SnapshotOptionsPage::attach() const { return attach_->isChecked(); }
bool SnapshotOptionsPage::serve() const { return serve_->isChecked(); }
QString SnapshotOptionsPage::socketPath() const { return socketEdit_->text().trimmed(); }

bool SnapshotOptionsPage::validatePage() {
    if (attach() && ::geteuid() != 0)
        return error_->fail(tr("Attaching as a loop device needs root. Start Loopsnap as root, or choose Serve over NBD.")), false;
    if (serve()) {
        const QFileInfo fi(socketPath());
        if (socketPath().isEmpty()) return error_->fail(tr("Choose a path for the NBD socket.")), false;
        if (!QFileInfo(fi.absolutePath()).isDir()) return error_->fail(tr("The folder %1 does not exist.").arg(fi.absolutePath())), false;
        if (fi.exists()) return error_->fail(tr("%1 already exists. Choose another socket path.").arg(socketPath())), false;
    }
    error_->clearMessage();
    return true;
}

// ---------------------------------------------------------------- summary

SnapshotSummaryPage::SnapshotSummaryPage(QWidget* parent) : QWizardPage(parent) {
    setTitle(tr("Summary"));
    setSubTitle(tr("Nothing has been written yet. Finish creates the store."));
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

void SnapshotSummaryPage::initializePage() {
    auto* w = static_cast<SnapshotWizard*>(wizard());
    auto* options = static_cast<SnapshotOptionsPage*>(w->page(SnapshotWizard::OptionsPageId));
    QString then = w->backend() == BackendKind::Kernel ? tr("The kernel backend creates it through loopsnap-helper; its device appears in /dev/mapper.")
                   : options->attach() ? tr("Then it is attached as a loop device.")
                   : options->serve() ? tr("Then it is served over NBD at %1.").arg(options->socketPath())
                                      : QString();
    summary_->setText(tr("A snapshot of <b>%1</b> (%2)<br>in a new %3 store <b>%4</b> of %5 with %6 chunks.<br>%7")
                          .arg(w->originPath().toHtmlEscaped(), humanSize(w->originSize()),
                               storeTypeText(w->storeType()), w->cowPath().toHtmlEscaped(), humanSize(w->cowSize()),
                               humanSize(w->chunkBytes()), then.toHtmlEscaped()));
    command_->setText(w->equivalentCommand());
    command_->setCursorPosition(0);
    error_->clearMessage();
}

// ---------------------------------------------------------------- wizard

SnapshotWizard::SnapshotWizard(EngineBridge* bridge, QWidget* parent) : QWizard(parent), bridge_(bridge) {
    setWindowTitle(tr("New snapshot"));
    setWindowIcon(appIcon());
    setWizardStyle(QWizard::ClassicStyle);
    setOption(QWizard::NoBackButtonOnStartPage);
    setOption(QWizard::HaveHelpButton, false);
    auto* origin = new SnapshotOriginPage(this);
    setPage(OriginPageId, origin);
    setPage(StorePageId, new SnapshotStorePage(this));
    setPage(OptionsPageId, new SnapshotOptionsPage(this));
    setPage(SummaryPageId, new SnapshotSummaryPage(this));
    setMinimumSize(720, 540);
}

void SnapshotWizard::setOriginPath(const QString& path) {
    static_cast<SnapshotOriginPage*>(page(OriginPageId))->setPath(path);
}

uint64_t SnapshotWizard::originSize() const { return static_cast<SnapshotOriginPage*>(page(OriginPageId))->originSize(); }
QString SnapshotWizard::originPath() const { return static_cast<SnapshotOriginPage*>(page(OriginPageId))->path(); }
QString SnapshotWizard::cowPath() const { return static_cast<SnapshotStorePage*>(page(StorePageId))->cowPath(); }
uint64_t SnapshotWizard::cowSize() const { return static_cast<SnapshotStorePage*>(page(StorePageId))->cowSize(); }
uint32_t SnapshotWizard::chunkBytes() const { return static_cast<SnapshotStorePage*>(page(StorePageId))->chunkBytes(); }
QString SnapshotWizard::storeType() const { return static_cast<SnapshotStorePage*>(page(StorePageId))->storeType(); }

BackendKind SnapshotWizard::backend() const { return backendChoice()->backend(); }
BackendChoice* SnapshotWizard::backendChoice() const {
    return static_cast<SnapshotOptionsPage*>(page(OptionsPageId))->backendChoice();
}

QString SnapshotWizard::equivalentCommand() const {
    const QString backend = this->backend() == BackendKind::Kernel ? QStringLiteral("--backend kernel ") : QString();
    return QStringLiteral("loopsnapctl %6snapshot create --origin %1 --cow %2 --cow-size %3 --chunk %4 --store %5")
        .arg(shellQuote(originPath()), shellQuote(cowPath()), cliSize(cowSize()), cliSize(chunkBytes()), storeType(), backend);
}

void SnapshotWizard::accept() {
    if (finishing_) return;
    finishing_ = true;
    button(QWizard::FinishButton)->setEnabled(false);
    button(QWizard::BackButton)->setEnabled(false);
    auto* summary = static_cast<SnapshotSummaryPage*>(page(SummaryPageId));
    auto* options = static_cast<SnapshotOptionsPage*>(page(OptionsPageId));
    CreateSnapshotRequest rq;
    rq.originPath = originPath().toStdString();
    rq.cowPath = cowPath().toStdString();
    rq.cowSize = cowSize();
    rq.chunkBytes = chunkBytes();
    rq.store = storeType().toStdString();
    const bool attach = options->attach(), serve = options->serve();
    const QString socket = options->socketPath();
    auto finished = [this, summary, attach, serve, socket](const Result<SnapshotInfo>& r) {
        finishing_ = false;
        if (!r.ok()) {
            finishError_ = errorText(r.error());
            summary->errorLabel()->fail(finishError_);
            button(QWizard::FinishButton)->setEnabled(true);
            button(QWizard::BackButton)->setEnabled(true);
            return;
        }
        const QString id = QString::fromStdString(r->id);
        QSettings settings;   // the last folders used, for the file dialogs and the next store's place
        if (!originPath().startsWith(QLatin1String("/dev/"))) settings.setValue("folders/origin", QFileInfo(originPath()).absolutePath());
        settings.setValue("folders/store", QFileInfo(cowPath()).absolutePath());
        if (attach) bridge_->attach(id, false, nullptr, {});
        if (serve) {
            ServeRequest sr;
            sr.socketPath = socket.toStdString();
            sr.exports.push_back({QFileInfo(cowPath()).completeBaseName().toStdString(), r->id});
            bridge_->serve(sr, nullptr, {});
        }
        emit created(id);
        QWizard::accept();
    };
    if (backend() == BackendKind::Kernel) bridge_->helper()->createSnapshot(rq, this, finished);
    else bridge_->createSnapshot(rq, this, finished);
}

}  // namespace loopsnap::ui
