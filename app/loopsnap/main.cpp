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

namespace {

struct Options {
    QCommandLineOption demo{QStringLiteral("demo"), QCoreApplication::translate("main", "Open a ready demo session in a temporary folder.")};
    QCommandLineOption workspace{QStringLiteral("workspace"), QCoreApplication::translate("main", "Use the workspace in DIR."), QStringLiteral("DIR")};
    QCommandLineOption screenshot{QStringLiteral("screenshot"), QCoreApplication::translate("main", "Render VIEW to the PNG FILE and exit."), QStringLiteral("FILE")};
    QCommandLineOption view{QStringLiteral("view"), QCoreApplication::translate("main", "The view for --screenshot: main, wizard, clone-wizard, wizard-backend or a page."),
                            QStringLiteral("VIEW"), QStringLiteral("main")};
};

void describe(QCommandLineParser& parser, const Options& o) {
    parser.setApplicationDescription(QCoreApplication::translate("main", "Block-level snapshots and clones with dm-snapshot / dm-clone semantics."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOptions({o.demo, o.workspace, o.screenshot, o.view});
}

void nameApplication() {
    QCoreApplication::setOrganizationName(QStringLiteral("Loopsnap"));
    QCoreApplication::setApplicationName(QStringLiteral("loopsnap"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LOOPSNAP_VERSION));
}

// --help and --version must answer where no display exists (over ssh, in a script, in a package
// check): a QApplication aborts there before any argument is read.
bool asksOnlyForHelpOrVersion(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const QByteArray a(argv[i]);
        if (a == "-h" || a == "--help" || a == "--help-all" || a == "-?" || a == "-v" || a == "--version") return true;
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    if (asksOnlyForHelpOrVersion(argc, argv)) {
        QCoreApplication core(argc, argv);
        installTranslations(core);
        nameApplication();
        QCommandLineParser parser;
        Options o;
        describe(parser, o);
        parser.process(core);  // prints and exits for --help and --version
        return 0;
    }
    QApplication app(argc, argv);
    installTranslations(app);   // the system locale's language, before any text is made
    QGuiApplication::setDesktopFileName(QStringLiteral("io.github.loopsnap.Loopsnap"));
    nameApplication();
    QApplication::setApplicationDisplayName(QStringLiteral("Loopsnap"));
    QApplication::setWindowIcon(appIcon());

    QCommandLineParser parser;
    const Options o;
    describe(parser, o);
    parser.process(app);
    const QCommandLineOption &demo = o.demo, &workspace = o.workspace, &screenshot = o.screenshot, &view = o.view;

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
