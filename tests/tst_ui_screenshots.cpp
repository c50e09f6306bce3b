// `loopsnap --screenshot FILE --view VIEW --demo` for every view (the built-in ones and every
// registered page): the app exits 0 and the PNG is a real rendering (size, many colours, text-
// dark and light pixels), not an empty window. An unknown view exits 2.
#include <QtTest>
#include <QImage>
#include <QProcess>
#include <QSet>

#include "support/test_support.h"
#include "support/ui_support.h"
#include "ui/pages/PageRegistry.h"
#include "ui/pages/ScreenshotRunner.h"

using namespace loopsnap;
using namespace loopsnap::ui;

class TstUiScreenshots : public QObject {
    Q_OBJECT
private slots:
    void everyViewRenders_data();
    void everyViewRenders();
    void unknownViewIsAUsageError();
};

namespace {
QString gui() { return qEnvironmentVariable("LOOPSNAP_GUI"); }

int runGui(const QStringList& args, QString* err = nullptr) {
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("QT_QPA_PLATFORM", "offscreen");
    p.setProcessEnvironment(env);
    p.start(gui(), args);
    if (!p.waitForFinished(120000)) { p.kill(); return -1; }
    if (err) *err = QString::fromLocal8Bit(p.readAllStandardError());
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}
}  // namespace

void TstUiScreenshots::everyViewRenders_data() {
    QTest::addColumn<QString>("view");
    registerBuiltinPages();
    QStringList views = ScreenshotRunner::builtinViews();
    for (const auto& p : registeredPages()) views << p.id;
    for (const QString& v : views) QTest::newRow(qPrintable(v)) << v;
}

void TstUiScreenshots::everyViewRenders() {
    QFETCH(QString, view);
    if (gui().isEmpty()) QSKIP("LOOPSNAP_GUI is not set (run through ctest)");
    test::TempDir dir;
    const QString png = QString::fromStdString(dir.file(view.toStdString() + ".png"));
    QString err;
    QCOMPARE(runGui({"--screenshot", png, "--view", view, "--demo"}, &err), 0);
    QImage image(png);
    QVERIFY2(!image.isNull(), qPrintable(err));
    QVERIFY(image.width() >= 600 && image.height() >= 400);
    const test::PictureStats st = test::pictureStats(image);
    QVERIFY2(st.colours > 60, qPrintable(QString::number(st.colours)));  // text, icons, bars
    QVERIFY(st.dark > 300);    // text
    QVERIFY(st.light > 5000);  // backgrounds
}

void TstUiScreenshots::unknownViewIsAUsageError() {
    if (gui().isEmpty()) QSKIP("LOOPSNAP_GUI is not set (run through ctest)");
    test::TempDir dir;
    QCOMPARE(runGui({"--screenshot", QString::fromStdString(dir.file("x.png")), "--view", "no-such-view"}), 2);
    QVERIFY(!QFileInfo::exists(QString::fromStdString(dir.file("x.png"))));
}

QTEST_GUILESS_MAIN(TstUiScreenshots)
#include "tst_ui_screenshots.moc"
