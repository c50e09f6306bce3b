#include "ui/pages/ScreenshotRunner.h"

#include <cstdio>

#include <QApplication>
#include <QFileInfo>
#include <QImage>
#include <QPixmap>
#include <QPushButton>
#include <QScreen>
#include <QWindow>
#include <QTimer>

#include "ui/bridge/EngineBridge.h"
#include "ui/demo/DemoSession.h"
#include "ui/dialogs/MergeDialog.h"
#include "ui/pages/CrashLabPage.h"
#include "ui/pages/DevicesPage.h"
#include "ui/pages/MainWindow.h"
#include "ui/pages/PageRegistry.h"
#include "ui/wizards/CloneWizard.h"
#include "ui/wizards/SnapshotWizard.h"

namespace loopsnap::ui {

QStringList ScreenshotRunner::builtinViews() {
    return {QStringLiteral("main"), QStringLiteral("wizard"), QStringLiteral("clone-wizard"), QStringLiteral("wizard-backend")};
}

bool ScreenshotRunner::knownView(const QString& view) { return builtinViews().contains(view) || findPage(view) != nullptr; }

ScreenshotRunner::ScreenshotRunner(MainWindow* window, QString file, QString view, bool demo, QObject* parent)
    : QObject(parent), window_(window), file_(std::move(file)), view_(std::move(view)), demo_(demo) {
    QTimer::singleShot(90000, this, [this] { fail(QStringLiteral("timed out waiting for the view")); });
    if (demo_) {
        // The demo session starts once the engine is open: look for it until it is ready.
        auto* poll = new QTimer(this);
        connect(poll, &QTimer::timeout, this, [this, poll] {
            DemoSession* d = window_->demo();
            if (!d) return;
            poll->stop();
            if (d->isReady()) return begin();
            connect(d, &DemoSession::ready, this, &ScreenshotRunner::begin);
            connect(d, &DemoSession::failed, this, [this](const QString& t) { fail(QStringLiteral("demo failed: ") + t); });
        });
        poll->start(50);
    } else {
        connect(window_->bridge(), &EngineBridge::opened, this, [this] { QTimer::singleShot(300, this, &ScreenshotRunner::begin); });
    }
}

void ScreenshotRunner::begin() {
    if (begun_) return;
    begun_ = true;
    const PageSpec* spec = findPage(view_);
    const int delay = spec ? spec->screenshotDelayMs : (demo_ ? 2500 : 300);
    QTimer::singleShot(delay, this, &ScreenshotRunner::render);
}

void ScreenshotRunner::render() {
    DemoSession* demo = window_->demo();
    if (view_ == QLatin1String("main")) {
        if (demo) window_->devicesPage()->select({DeviceKind::Snapshot, demo->snapshotId()});
        QTimer::singleShot(200, this, [this] { grabAndQuit(window_); });
        return;
    }
    if (view_ == QLatin1String("wizard")) {
        auto* w = new SnapshotWizard(window_->bridge(), window_);
        if (demo) w->setOriginPath(demo->originPath());
        w->show();
        QTimer::singleShot(1200, this, [this, w] { grabAndQuit(w); });
        return;
    }
    if (view_ == QLatin1String("wizard-backend")) {
        // The snapshot wizard on its options page: the backend choice (and why Kernel is greyed out).
        auto* w = new SnapshotWizard(window_->bridge(), window_);
        if (demo) w->setOriginPath(demo->originPath());
        w->show();
        QTimer::singleShot(1200, this, [this, w] {
            w->next();
            w->next();
            QTimer::singleShot(400, this, [this, w] { grabAndQuit(w); });
        });
        return;
    }
    if (view_ == QLatin1String("clone-wizard")) {
        auto* w = new CloneWizard(window_->bridge(), window_);
        if (demo) w->setSource(demo->sourceUri());
        w->show();
        QTimer::singleShot(1500, this, [this, w] { grabAndQuit(w); });
        return;
    }
    if (view_ == QLatin1String("crashlab")) {
        // The legacy snapshot scenario, run to its result: the violation, the trace, the area map.
        auto* lab = qobject_cast<CrashLabPage*>(window_->openPage(view_, {}));
        if (!lab) return fail(QStringLiteral("the page did not open: ") + view_);
        lab->setScenario(QStringLiteral("snapshot"));
        lab->setLegacy(true);
        connect(lab, &CrashLabPage::finished, this, [this] { QTimer::singleShot(300, this, [this] { grabAndQuit(window_); }); });
        lab->run();
        return;
    }
    if (view_ == QLatin1String("merge") && demo) {
        // The demo snapshot's rollback, started and paused after its first batches (or finished).
        window_->devicesPage()->select({DeviceKind::Snapshot, demo->snapshotId()});
        auto* dialog = qobject_cast<MergeDialog*>(window_->openPage(view_, {DeviceKind::Snapshot, demo->snapshotId()}));
        if (!dialog) return fail(QStringLiteral("the page did not open: ") + view_);
        connect(dialog, &MergeDialog::stageChanged, this, [this, dialog](MergeDialog::Stage s) {
            if (s == MergeDialog::Stage::Ready) dialog->startButton()->click();
            if (s == MergeDialog::Stage::Running && dialog->batchLines().isEmpty())
                QTimer::singleShot(150, dialog, [dialog] {
                    if (dialog->stage() == MergeDialog::Stage::Running) dialog->pauseButton()->click();
                });
            if (s == MergeDialog::Stage::Paused || s == MergeDialog::Stage::Finished || s == MergeDialog::Stage::Refused ||
                s == MergeDialog::Stage::Failed)
                QTimer::singleShot(600, this, [this, dialog] { grabAndQuit(dialog); });
        });
        return;
    }
    const PageSpec* spec = findPage(view_);
    if (!spec) return fail(QStringLiteral("unknown view ") + view_, 2);
    DeviceRef device;
    if (demo && spec->subject == PageSubject::Snapshot) device = {DeviceKind::Snapshot, demo->snapshotId()};
    if (demo && spec->subject == PageSubject::Clone) device = {DeviceKind::Clone, demo->cloneId()};
    if (demo && spec->subject == PageSubject::Origin) {
        // The demo's origin is the one its snapshot belongs to.
        for (const auto& s : window_->bridge()->registry().snapshots)
            if (QString::fromStdString(s.id) == demo->snapshotId()) device = {DeviceKind::Origin, QString::fromStdString(s.originId)};
    }
    if (!device.isNull()) window_->devicesPage()->select(device);
    QWidget* page = window_->openPage(view_, device);
    if (!page) return fail(QStringLiteral("the page did not open: ") + view_);
    QWidget* target = spec->presentation == PagePresentation::Dialog ? page : static_cast<QWidget*>(window_);
    QTimer::singleShot(spec->screenshotDelayMs, this, [this, target] { grabAndQuit(target); });
}

void ScreenshotRunner::grabAndQuit(QWidget* widget) {
    // On a window system (xcb, wayland, ...) the picture is the real window's, read back from
    // the display server once the window is exposed; offscreen, the widget renders itself.
    const bool offscreen = QGuiApplication::platformName() == QLatin1String("offscreen");
    QWindow* handle = widget->window()->windowHandle();
    if (!offscreen && handle && !handle->isExposed()) {
        if (++exposeWaits_ > 100) return fail(QStringLiteral("the window was never shown on the display"));
        QTimer::singleShot(50, this, [this, widget] { grabAndQuit(widget); });
        return;
    }
    QImage image;
    if (!offscreen && handle && widget->screen()) image = widget->screen()->grabWindow(widget->window()->winId()).toImage();
    const bool fromDisplay = !image.isNull();
    if (image.isNull()) image = widget->grab().toImage();
    if (image.isNull() || !image.save(file_, "PNG")) return fail(QStringLiteral("cannot write ") + file_);
    std::fprintf(stdout, "%s: %dx%d (%s, %s)\n", qPrintable(file_), image.width(), image.height(), qPrintable(view_),
                 fromDisplay ? qPrintable(QStringLiteral("window on the %1 display").arg(QGuiApplication::platformName()))
                             : "rendered");
    std::fflush(stdout);
    QApplication::exit(0);
}

void ScreenshotRunner::fail(const QString& why, int code) {
    std::fprintf(stderr, "loopsnap: --screenshot: %s\n", qPrintable(why));
    QApplication::exit(code);
}

}  // namespace loopsnap::ui
