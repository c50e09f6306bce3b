// loopsnap: the desktop app. Arguments, the window, --demo and --screenshot; ui/ does the rest.
#include <cstdio>

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QTimer>

#include "ui/bridge/EngineBridge.h"
#include "ui/demo/DemoSession.h"
#include "ui/pages/MainWindow.h"
#include "ui/pages/PageRegistry.h"
#include "ui/pages/ScreenshotRunner.h"
#include "ui/text/Language.h"
#include "ui/widgets/StateIcons.h"

using namespace loopsnap;
using namespace loopsnap::ui;

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    installTranslations(app);   // the system locale's language, before any text is made
    QGuiApplication::setDesktopFileName(QStringLiteral("io.github.loopsnap.Loopsnap"));
    Q_INIT_RESOURCE(loopsnap);  // resources of the static loopsnap_ui
    QApplication::setOrganizationName(QStringLiteral("Loopsnap"));
    QApplication::setApplicationName(QStringLiteral("loopsnap"));
    QApplication::setApplicationDisplayName(QStringLiteral("Loopsnap"));
    QApplication::setApplicationVersion(QStringLiteral(LOOPSNAP_VERSION));
    QApplication::setWindowIcon(appIcon());

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate("main", "Block-level snapshots and clones with dm-snapshot / dm-clone semantics."));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption demo(QStringLiteral("demo"), QApplication::translate("main", "Open a ready demo session in a temporary folder."));
    QCommandLineOption workspace(QStringLiteral("workspace"), QApplication::translate("main", "Use the workspace in DIR."), QStringLiteral("DIR"));
    QCommandLineOption screenshot(QStringLiteral("screenshot"), QApplication::translate("main", "Render VIEW to the PNG FILE and exit."), QStringLiteral("FILE"));
    QCommandLineOption view(QStringLiteral("view"), QApplication::translate("main", "The view for --screenshot: main, wizard, clone-wizard, wizard-backend or a page."),
                            QStringLiteral("VIEW"), QStringLiteral("main"));
    parser.addOptions({demo, workspace, screenshot, view});
    parser.process(app);

    registerBuiltinPages();
    const bool shot = parser.isSet(screenshot);
    if (shot && !ScreenshotRunner::knownView(parser.value(view))) {
        std::fprintf(stderr, "loopsnap: unknown view '%s' (known: %s)\n", qPrintable(parser.value(view)),
                     qPrintable((ScreenshotRunner::builtinViews() + [] { QStringList ids; for (const auto& p : registeredPages()) ids << p.id; return ids; }()).join(", ")));
        return 2;
    }
    if (shot) QApplication::setOrganizationName(QStringLiteral("Loopsnap-screenshots"));  // keeps the user's window settings

    EngineOptions options;
    QString demoFolder;
    if (parser.isSet(workspace)) options.workspaceDir = QDir(parser.value(workspace)).absolutePath().toStdString();
    if (parser.isSet(demo)) {
        demoFolder = DemoSession::newDemoFolder();
        // The demo keeps its own workspace so it never adds entries to the user's.
        if (!parser.isSet(workspace)) options.workspaceDir = QDir(demoFolder).filePath(QStringLiteral("workspace")).toStdString();
    }

    int rc;
    {
        EngineBridge bridge;
        MainWindow window(&bridge);
        if (shot) window.resize(1240, 720);
        if (parser.isSet(demo))
            QObject::connect(&bridge, &EngineBridge::opened, &window, [&window, demoFolder] { window.startDemo(demoFolder); });
        std::unique_ptr<ScreenshotRunner> runner;
        if (shot) runner = std::make_unique<ScreenshotRunner>(&window, parser.value(screenshot), parser.value(view), parser.isSet(demo));
        bridge.open(options);
        window.show();
        rc = app.exec();
    }
    return rc;
}
