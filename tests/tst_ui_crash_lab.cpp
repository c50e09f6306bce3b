// The crash lab view (ui/pages/CrashLabPage), opened with Ctrl+3 and driven offscreen as a user
// would, on the app's own runner (SubprocessCrashTestRunner: loopsnapctl in a child process):
// - the legacy snapshot scenario shows the leak: the invariant, the leaked chunks, the trace and
//   the area map with the leaked chunks painted in the leaked colour; the fixed order shows no
//   violation; the clone and merge scenarios likewise (rows);
// - a run can be cancelled (the child gets SIGINT) and says so;
// - each scenario's explanation names the kernel commit its legacy switch reverts.
#include <QtTest>

#include <QAction>
#include <QImage>
#include <QPushButton>

#include "support/test_support.h"
#include "support/ui_support.h"
#include "ui/demo/DemoSession.h"
#include "ui/pages/CrashLabPage.h"
#include "ui/pages/MainWindow.h"
#include "ui/pages/PageRegistry.h"
#include "ui/widgets/AreaMapWidget.h"

using namespace loopsnap;
using namespace loopsnap::ui;
using namespace loopsnap::test;

class TstUiCrashLab : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { registerBuiltinPages(); }
    void runsScenario_data();
    void runsScenario();
    void cancels();
    void explainsEachLegacySwitch_data();
    void explainsEachLegacySwitch();

private:
    CrashLabPage* openLab(MainWindow& w) {
        QAction* a = w.action(QStringLiteral("page:crashlab"));
        if (!a || !a->isEnabled() || a->shortcut() != QKeySequence(Qt::CTRL | Qt::Key_3)) return nullptr;
        a->trigger();
        return w.findChild<CrashLabPage*>();
    }
};

void TstUiCrashLab::runsScenario_data() {
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<bool>("legacy");
    QTest::addColumn<QString>("invariant");   // "" = no violation
    QTest::newRow("snapshot, legacy order: the leak") << "snapshot" << true << "no-leaked-chunk";
    QTest::newRow("snapshot, fixed order") << "snapshot" << false << "";
    QTest::newRow("clone, legacy commit: garbage") << "clone" << true << "hydrated-region-garbage";
    QTest::newRow("merge, fixed order") << "merge" << false << "";
}

void TstUiCrashLab::runsScenario() {
    QFETCH(QString, scenario);
    QFETCH(bool, legacy);
    QFETCH(QString, invariant);
    TempDir dir;
    auto bridge = openBridge(dir.file("ws"));
    QVERIFY(bridge);
    MainWindow w(bridge.get());
    w.resize(1200, 800);
    w.show();
    CrashLabPage* lab = openLab(w);
    QVERIFY(lab);
    lab->setScenario(scenario);
    lab->setSeed(1);
    lab->setLegacy(legacy);
    QSignalSpy finished(lab, &CrashLabPage::finished);
    QTest::mouseClick(lab->runButton(), Qt::LeftButton);
    QVERIFY(!lab->runButton()->isEnabled());
    QVERIFY(lab->cancelButton()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(lab->running(), 10000);
    QVERIFY(finished.wait(240000) || finished.count() == 1);
    QVERIFY2(lab->outcome().has_value(), qPrintable(lab->verdictText() + QLatin1Char(' ') + lab->summaryText()));
    const CrashTestOutcome& o = *lab->outcome();
    QVERIFY(o.statesChecked > 0 && o.crashPoints > 0);
    QVERIFY2(lab->summaryText().contains(QStringLiteral("crash states checked at")), qPrintable(lab->summaryText()));
    QVERIFY(lab->progressText().contains(QStringLiteral("per second")));
    QVERIFY(lab->runButton()->isEnabled());

    if (invariant.isEmpty()) {
        QVERIFY(!o.violation);
        QCOMPARE(lab->verdictText(), QStringLiteral("No violation"));
        QVERIFY(!lab->areaMap()->isVisible());
        return;
    }
    QVERIFY(o.violation);
    QCOMPARE(QString::fromStdString(o.invariant), invariant);
    QCOMPARE(lab->verdictText(), QStringLiteral("Violation of ") + invariant);
    QVERIFY(!lab->traceText().isEmpty());
    QVERIFY(lab->findingText().contains(QString::fromStdString(o.detail)));
    if (scenario == QLatin1String("snapshot")) {
        QVERIFY(!o.leakedChunks.empty());
        QVERIFY(o.leakStore.has_value());
        QVERIFY(lab->findingText().contains(QStringLiteral("Leaked COW chunk")));
        // The area map shows the store with the leaked chunks marked, in the leaked colour.
        QVERIFY(lab->areaMap()->isVisible());
        QCOMPARE(lab->areaCells().size(), size_t(o.leakStore->totalChunks));
        for (uint64_t c : o.leakedChunks) QCOMPARE(int(lab->areaCells()[c]), int(AreaCategory::Leaked));
        const QColor leaked = AreaMapWidget::categoryColors().value(int(AreaCategory::Leaked));
        const QImage image = lab->areaMap()->grab().toImage();
        const QRect r = lab->areaMap()->cellRect(o.leakedChunks.front());
        QVERIFY(!r.isEmpty());
        const QColor painted = image.pixelColor(r.center() * image.devicePixelRatio());
        // A bin holding only leaked chunks is painted in the leaked colour (a mixed bin blends towards it).
        if (lab->areaMap()->cellsPerBin() == 1) QCOMPARE(painted.rgb(), leaked.rgb());
        else QVERIFY(painted.rgb() != AreaMapWidget::categoryColors().value(int(AreaCategory::Free)).rgb());
    } else {
        QVERIFY(o.garbageRegion.has_value());
        QVERIFY(lab->findingText().contains(QStringLiteral("Region that read garbage: %1").arg(*o.garbageRegion)));
        QVERIFY(!lab->areaMap()->isVisible());
    }
}

void TstUiCrashLab::cancels() {
    TempDir dir;
    auto bridge = openBridge(dir.file("ws"));
    QVERIFY(bridge);
    MainWindow w(bridge.get());
    w.show();
    CrashLabPage* lab = openLab(w);
    QVERIFY(lab);
    lab->setScenario(QStringLiteral("snapshot"));
    lab->setOps(400);  // long enough to be cancelled
    QSignalSpy finished(lab, &CrashLabPage::finished);
    QTest::mouseClick(lab->runButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(lab->running(), 10000);
    QTest::qWait(500);
    QTest::mouseClick(lab->cancelButton(), Qt::LeftButton);
    QVERIFY(finished.wait(60000) || finished.count() == 1);
    QCOMPARE(lab->verdictText(), QStringLiteral("Cancelled"));
    QVERIFY(!lab->outcome().has_value());
    QVERIFY(lab->runButton()->isEnabled());
}

void TstUiCrashLab::explainsEachLegacySwitch_data() {
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QString>("names");
    QTest::newRow("snapshot") << "snapshot" << "230c83afdd9c";
    QTest::newRow("clone") << "clone" << "8b3fd1f5";
    QTest::newRow("merge") << "merge" << "flushes the origin before";
}

void TstUiCrashLab::explainsEachLegacySwitch() {
    QFETCH(QString, scenario);
    QFETCH(QString, names);
    CrashLabPage lab(nullptr);
    lab.setScenario(scenario);
    const QString text = lab.explanationText();
    QVERIFY2(text.contains(names), qPrintable(text));
    QCOMPARE(text.count(QLatin1Char('\n')), 1);  // two lines: what it reverts, why the fix closes it
}

QTEST_MAIN(TstUiCrashLab)
#include "tst_ui_crash_lab.moc"
