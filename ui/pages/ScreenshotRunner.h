// ScreenshotRunner: `loopsnap --screenshot FILE --view VIEW [--demo]` (cli-contract.md). Waits
// for the engine (and the demo session, when asked), lets it run, renders VIEW — main, wizard,
// clone-wizard, wizard-backend (the snapshot wizard's options page), or any page id from PageRegistry.h — to a PNG and quits the application with
// 0 (written), 1 (failed) or 2 (unknown view). On a window system (QT_QPA_PLATFORM=xcb, e.g.
// under xvfb-run) the PNG is the shown window read back from the display (QScreen::grabWindow);
// offscreen, the widget renders itself (QWidget::grab). GUI thread only.
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>

class QWidget;

namespace loopsnap::ui {

class MainWindow;

class ScreenshotRunner : public QObject {
    Q_OBJECT
public:
    ScreenshotRunner(MainWindow* window, QString file, QString view, bool demo, QObject* parent = nullptr);
    static QStringList builtinViews();  // main, wizard, clone-wizard, wizard-backend
    static bool knownView(const QString& view);

private:
    void begin();
    void render();
    void grabAndQuit(QWidget* widget);
    void fail(const QString& why, int code = 1);

    MainWindow* window_;
    QString file_, view_;
    bool demo_;
    bool begun_ = false;
    int exposeWaits_ = 0;
};

}  // namespace loopsnap::ui
