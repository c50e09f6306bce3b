// The app on a real X display (Xvfb through xvfb-run, platform xcb), started as a user starts it:
// its main window is mapped and viewable on the display at its size, titled Loopsnap; and
// `loopsnap --screenshot` there reads the shown window back from the X server (not an offscreen
// rendering) into a PNG that is a real picture: the window's size, many colours, text-dark and
// background-light pixels. Skips (saying why) without xvfb-run, xwininfo or the app.
#include <QtTest>
#include <QImage>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>

#include "support/test_support.h"
#include "support/ui_support.h"

using namespace loopsnap;

class TstUiRealWindow : public QObject {
    Q_OBJECT
private slots:
    void mainWindowIsShownOnTheDisplay();
    void screenshotIsTheRealWindow_data();
    void screenshotIsTheRealWindow();
};

namespace {
QString gui() { return qEnvironmentVariable("LOOPSNAP_GUI"); }

QString unavailable() {
    if (gui().isEmpty()) return QStringLiteral("LOOPSNAP_GUI is not set (run through ctest)");
    if (QStandardPaths::findExecutable("xvfb-run").isEmpty()) return QStringLiteral("xvfb-run is not installed (package xvfb)");
    if (QStandardPaths::findExecutable("xauth").isEmpty()) return QStringLiteral("xauth is not installed (xvfb-run needs it)");
    return {};
}

struct Run {
    int exitCode = -1;
    QString out, err;
};

// `sh -c script` on a fresh Xvfb display (1400x900, 24 bit), platform xcb, with a workspace,
// settings and runtime folder of its own.
Run onDisplay(const QString& script, const test::TempDir& dir, int timeoutMs = 120000) {
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("QT_QPA_PLATFORM", "xcb");
    env.insert("LOOPSNAP_WORKSPACE", QString::fromStdString(dir.file("workspace")));
    env.insert("XDG_CONFIG_HOME", QString::fromStdString(dir.file("config")));
    env.insert("XDG_RUNTIME_DIR", QString::fromStdString(dir.path()));
    env.insert("GUI", gui());
    env.remove("DISPLAY");
    env.remove("WAYLAND_DISPLAY");
    p.setProcessEnvironment(env);
    p.start("xvfb-run", {"-a", "-s", "-screen 0 1400x900x24", "sh", "-c", script});
    Run r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("timed out");
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromLocal8Bit(p.readAllStandardOutput());
    r.err = QString::fromLocal8Bit(p.readAllStandardError());
    return r;
}
}  // namespace

void TstUiRealWindow::mainWindowIsShownOnTheDisplay() {
    if (const QString why = unavailable(); !why.isEmpty()) QSKIP(qPrintable(why));
    if (QStandardPaths::findExecutable("xwininfo").isEmpty()) QSKIP("xwininfo is not installed (package x11-utils)");
    test::TempDir dir;
    // Start it as a user would (no option), wait for its window, describe it, then close the app.
    const QString script = QStringLiteral(
        "\"$GUI\" & app=$!\n"
        "for i in $(seq 150); do xwininfo -name Loopsnap >/dev/null 2>&1 && break; sleep 0.1; done\n"
        "sleep 1\n"
        "xwininfo -name Loopsnap; found=$?\n"
        "kill -0 $app && running=yes\n"
        "kill $app; wait $app\n"
        "echo \"running=$running\"\n"
        "exit $found\n");
    const Run r = onDisplay(script, dir);
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    QVERIFY2(r.out.contains("running=yes"), qPrintable(r.out + r.err));   // it did not exit or crash
    QVERIFY2(r.out.contains("\"Loopsnap\""), qPrintable(r.out));
    QVERIFY2(r.out.contains(QRegularExpression("Map State:\\s+IsViewable")), qPrintable(r.out));
    const auto width = QRegularExpression("Width:\\s+(\\d+)").match(r.out);
    const auto height = QRegularExpression("Height:\\s+(\\d+)").match(r.out);
    QVERIFY(width.hasMatch() && height.hasMatch());
    QVERIFY2(width.captured(1).toInt() >= 800 && height.captured(1).toInt() >= 500, qPrintable(r.out));   // its default size, 1180x680
}

void TstUiRealWindow::screenshotIsTheRealWindow_data() {
    QTest::addColumn<QString>("view");
    QTest::addColumn<int>("minWidth");
    QTest::newRow("main") << "main" << 1200;
    QTest::newRow("wizard") << "wizard" << 500;
}

void TstUiRealWindow::screenshotIsTheRealWindow() {
    QFETCH(QString, view);
    QFETCH(int, minWidth);
    if (const QString why = unavailable(); !why.isEmpty()) QSKIP(qPrintable(why));
    test::TempDir dir;
    const QString png = QString::fromStdString(dir.file(view.toStdString() + ".png"));
    const Run r = onDisplay(QStringLiteral("exec \"$GUI\" --screenshot '%1' --view %2 --demo").arg(png, view), dir);
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    QVERIFY2(r.out.contains("window on the xcb display"), qPrintable(r.out + r.err));   // read back from the X server
    QImage image(png);
    QVERIFY(!image.isNull());
    QVERIFY2(image.width() >= minWidth && image.height() >= 400, qPrintable(QStringLiteral("%1x%2").arg(image.width()).arg(image.height())));
    const test::PictureStats st = test::pictureStats(image);
    QVERIFY2(st.colours > 60, qPrintable(QString::number(st.colours)));   // text, icons, bars
    QVERIFY(st.dark > 300);     // text
    QVERIFY(st.light > 5000);   // backgrounds
    // Not a black or unpainted window: no single colour covers more than 90% of it.
    QHash<QRgb, int> counts;
    int samples = 0;
    for (int y = 0; y < image.height(); y += 4)
        for (int x = 0; x < image.width(); x += 4, ++samples) ++counts[image.pixel(x, y)];
    int most = 0;
    for (int n : counts) most = std::max(most, n);
    QVERIFY2(most < samples * 9 / 10, qPrintable(QString::number(double(most) / samples)));
}

QTEST_GUILESS_MAIN(TstUiRealWindow)
#include "tst_ui_real_window.moc"
