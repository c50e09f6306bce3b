// Byte sizes in binary units everywhere: formatBytes itself (rounding, unit steps, the locale's
// decimal separator, no group separator), then what the device tree, the details pane and both
// wizards show, in English and German: "64 MiB", never "64.0 MB" or "67.1 MB".
#include <QtTest>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QStandardPaths>

#include "support/test_support.h"
#include "support/ui_support.h"
#include "ui/bridge/ProbeCache.h"
#include "ui/models/DeviceTreeModel.h"
#include "ui/pages/DetailsPane.h"
#include "ui/text/Sizes.h"
#include "ui/wizards/CloneWizard.h"
#include "ui/wizards/SnapshotWizard.h"
#include "ui/wizards/WizardSupport.h"

using namespace loopsnap;
using namespace loopsnap::ui;

namespace {
// "64 MiB" as written here, with the no-break space formatBytes puts before the unit.
QString sz(const char* text) { return QString::fromUtf8(text).replace(QLatin1Char(' '), QChar(0x00a0)); }

// Decimal units (or a byte count in them) anywhere: "64.0 MB", "16 KB", "1,5 GB".
const QRegularExpression kDecimalUnit(QStringLiteral("\\d[\\s\\x{00a0}]*[kKMGTP]B\\b"));
const QRegularExpression kBinaryUnit(QStringLiteral("\\d\\x{00a0}(KiB|MiB|GiB|TiB)"));

RegistrySnapshot sampleRegistry() {
    RegistrySnapshot r;
    OriginInfo o;
    o.id = "o1";
    o.path = "/nonexistent/o.img";
    o.sizeBytes = 1536ull << 20;   // 1.5 GiB
    SnapshotInfo s;
    s.id = "s2";
    s.originId = "o1";
    s.cowPath = "/nonexistent/s.cow";
    s.store = "P";
    s.chunkBytes = 16 << 10;
    s.totalSectors = 2048;          // 1 MiB
    s.allocatedSectors = 24;        // 12 KiB
    s.metadataSectors = 16;
    s.sizeBytes = o.sizeBytes;
    s.status = "24/2048 16";
    o.snapshotIds.push_back(s.id);
    CloneInfo c;
    c.id = "c3";
    c.metaPath = "/nonexistent/c.meta";
    c.dest = "/nonexistent/d.img";
    c.source = "/nonexistent/src.img";
    c.sizeBytes = 64ull << 20;
    c.regionBytes = 64 << 10;
    c.totalRegions = 1024;
    r.origins.push_back(o);
    r.snapshots.push_back(s);
    r.clones.push_back(c);
    return r;
}

QString labelsOf(QWidget* w) {
    QStringList out;
    for (QLabel* l : w->findChildren<QLabel*>())
        if (l->isVisibleTo(w)) out << l->text();
    return out.join('\n');
}
}  // namespace

class TstUiSizes : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void cleanup() { QLocale::setDefault(QLocale::c()); }
    void formatBytes_data();
    void formatBytes();
    void parsesWhatItWrites();
    void treeAndDetails_data();
    void treeAndDetails();
    void wizards_data();
    void wizards();
};

void TstUiSizes::formatBytes_data() {
    QTest::addColumn<QString>("locale");
    QTest::addColumn<double>("bytes");
    QTest::addColumn<QString>("expected");
    QTest::newRow("zero") << "en_US" << 0.0 << sz("0 B");
    QTest::newRow("bytes") << "en_US" << 512.0 << sz("512 B");
    QTest::newRow("1023 B") << "en_US" << 1023.0 << sz("1023 B");
    QTest::newRow("1 KiB") << "en_US" << 1024.0 << sz("1 KiB");
    QTest::newRow("1.5 KiB") << "en_US" << 1536.0 << sz("1.5 KiB");
    QTest::newRow("64 MiB") << "en_US" << double(64ull << 20) << sz("64 MiB");
    QTest::newRow("64 MiB de") << "de_DE" << double(64ull << 20) << sz("64 MiB");
    QTest::newRow("1.5 GiB de") << "de_DE" << double(1536ull << 20) << sz("1,5 GiB");
    QTest::newRow("1.5 GiB en") << "en_US" << double(1536ull << 20) << sz("1.5 GiB");
    QTest::newRow("rounds to one decimal") << "en_US" << double(100ull << 20) + 0.26 * (1 << 20) << sz("100.3 MiB");
    QTest::newRow("rounds up into the next unit") << "en_US" << double((1 << 20) - 1) << sz("1 MiB");
    QTest::newRow("no group separator") << "en_US" << 1000.0 * 1024 << sz("1000 KiB");
    QTest::newRow("no group separator de") << "de_DE" << 1000.5 * 1024 << sz("1000,5 KiB");
    QTest::newRow("TiB") << "en_US" << double(1ull << 40) << sz("1 TiB");
    QTest::newRow("negative is zero") << "en_US" << -5.0 << sz("0 B");
}

void TstUiSizes::formatBytes() {
    QFETCH(QString, locale);
    QFETCH(double, bytes);
    QFETCH(QString, expected);
    QCOMPARE(ui::formatBytes(bytes, QLocale(locale)), expected);
    QLocale::setDefault(QLocale(locale));
    QCOMPARE(ui::formatBytes(bytes), expected);   // the default locale, as the views call it
}

void TstUiSizes::parsesWhatItWrites() {
    // The wizards' combo boxes show "16 KiB"; what the user types in the CLI's grammar works too.
    for (uint64_t v : {4096ull, 16384ull, 512ull << 10, 4ull << 20, 64ull << 20})
        QCOMPARE(parseSizeText(ui::formatBytes(double(v))).value_or(0), v);
    QCOMPARE(parseSizeText("16K").value_or(0), 16384ull);
    QCOMPARE(parseSizeText("16 KiB").value_or(0), 16384ull);
    QCOMPARE(parseSizeText("2M").value_or(0), 2ull << 20);
    QVERIFY(!parseSizeText("16 XB"));
}

void TstUiSizes::treeAndDetails_data() {
    QTest::addColumn<QString>("locale");
    QTest::addColumn<QString>("originSize");
    QTest::addColumn<QString>("originBytes");
    QTest::newRow("en") << "en_US" << sz("1.5 GiB") << "1,610,612,736";
    QTest::newRow("de") << "de_DE" << sz("1,5 GiB") << "1.610.612.736";
}

void TstUiSizes::treeAndDetails() {
    QFETCH(QString, locale);
    QFETCH(QString, originSize);
    QFETCH(QString, originBytes);
    QLocale::setDefault(QLocale(locale));
    DeviceTreeModel model(nullptr);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const RegistrySnapshot r = sampleRegistry();
    model.setRegistry(r);
    const QModelIndex origin = model.index(0, 0);
    const QModelIndex snap = model.index(0, 0, origin);
    const QModelIndex clone = model.index(1, 0);
    auto cell = [&](const QModelIndex& row, int column, int role = Qt::DisplayRole) {
        return model.index(row.row(), column, row.parent()).data(role).toString();
    };
    QCOMPARE(cell(origin, DeviceTreeModel::SizeColumn), originSize);
    QCOMPARE(cell(snap, DeviceTreeModel::SizeColumn), sz("1 MiB"));
    QCOMPARE(cell(snap, DeviceTreeModel::ContentsColumn), QStringLiteral("P store · %1 chunks").arg(sz("16 KiB")));
    QCOMPARE(cell(snap, DeviceTreeModel::UsageColumn), QStringLiteral("%1 of %2").arg(sz("12 KiB"), sz("1 MiB")));
    QCOMPARE(cell(snap, DeviceTreeModel::SizeColumn, Qt::ToolTipRole),
             QStringLiteral("Store %1, snapshot length %2").arg(sz("1 MiB"), originSize));
    QCOMPARE(cell(clone, DeviceTreeModel::SizeColumn), sz("64 MiB"));
    for (int column = 0; column < DeviceTreeModel::ColumnCount; ++column)
        for (const QModelIndex& row : {origin, snap, clone})
            for (int role : {int(Qt::DisplayRole), int(Qt::ToolTipRole)})
                QVERIFY2(!kDecimalUnit.match(cell(row, column, role)).hasMatch(), qPrintable(cell(row, column, role)));

    DetailsPane pane(&model, nullptr);
    pane.show(DeviceRef{DeviceKind::Origin, "o1"});
    QString text = labelsOf(&pane);
    QVERIFY2(text.contains(QStringLiteral("%1 (%2 bytes)").arg(originSize, originBytes)), qPrintable(text));
    QVERIFY2(!kDecimalUnit.match(text).hasMatch(), qPrintable(text));
    pane.show(DeviceRef{DeviceKind::Snapshot, "s2"});
    text = labelsOf(&pane);
    QVERIFY2(text.contains(sz("16 KiB")), qPrintable(text));                                              // chunk size
    QVERIFY2(text.contains(QStringLiteral("(%1 of %2 used)").arg(sz("12 KiB"), sz("1 MiB"))), qPrintable(text));
    QVERIFY2(!kDecimalUnit.match(text).hasMatch(), qPrintable(text));
    pane.show(DeviceRef{DeviceKind::Clone, "c3"});
    text = labelsOf(&pane);
    QVERIFY2(text.contains(sz("64 KiB")), qPrintable(text));                                              // region size
    QVERIFY2(!kDecimalUnit.match(text).hasMatch(), qPrintable(text));
}

void TstUiSizes::wizards_data() {
    QTest::addColumn<QString>("locale");
    QTest::newRow("en") << "en_US";
    QTest::newRow("de") << "de_DE";
}

void TstUiSizes::wizards() {
    QFETCH(QString, locale);
    QLocale::setDefault(QLocale(locale));
    test::TempDir dir;
    auto bridge = test::openBridge(dir.file("ws"));
    QVERIFY(bridge);
    test::writeFile(dir.file("disk.img"), test::patternBytes(1, 0, 24 << 20));
    const QString disk = QString::fromStdString(dir.file("disk.img"));

    SnapshotWizard w(bridge.get());
    w.show();
    w.currentPage()->findChild<QLineEdit*>(QStringLiteral("originPath"))->setText(disk);
    auto* info = w.currentPage()->findChild<QLabel*>(QStringLiteral("originInfo"));
    QTRY_VERIFY_WITH_TIMEOUT(info->text().contains(sz("24 MiB")), 5000);
    QVERIFY2(!kDecimalUnit.match(labelsOf(w.currentPage())).hasMatch(), qPrintable(labelsOf(w.currentPage())));
    w.next();
    QCOMPARE(w.currentId(), int(SnapshotWizard::StorePageId));
    auto* chunk = w.currentPage()->findChild<QComboBox*>(QStringLiteral("chunkSize"));
    QStringList items;
    for (int i = 0; i < chunk->count(); ++i) items << chunk->itemText(i);
    QCOMPARE(items, (QStringList{sz("4 KiB"), sz("8 KiB"), sz("16 KiB"), sz("32 KiB"), sz("64 KiB"), sz("128 KiB"),
                                  sz("256 KiB"), sz("512 KiB")}));
    QCOMPARE(chunk->currentText(), sz("16 KiB"));
    chunk->setCurrentIndex(chunk->findText(sz("64 KiB")));
    QString page = labelsOf(w.currentPage());
    QVERIFY2(page.contains(QStringLiteral("copies %1 into the store").arg(sz("64 KiB"))) || locale != "en_US", qPrintable(page));
    QVERIFY2(page.contains(sz("6 MiB")), qPrintable(page));   // recommended: a quarter of 24 MiB
    QVERIFY2(kBinaryUnit.match(page).hasMatch() && !kDecimalUnit.match(page).hasMatch(), qPrintable(page));
    w.currentPage()->findChild<QLineEdit*>(QStringLiteral("cowSize"))->setText(QStringLiteral("2M"));
    w.next();
    w.next();
    QCOMPARE(w.currentId(), int(SnapshotWizard::SummaryPageId));
    page = labelsOf(w.currentPage());
    QVERIFY2(page.contains(sz("2 MiB")) && page.contains(sz("64 KiB")) && page.contains(sz("24 MiB")), qPrintable(page));
    const QString command = w.currentPage()->findChild<QLineEdit*>(QStringLiteral("command"))->text();
    QVERIFY2(command.contains(QStringLiteral("--cow-size 2M --chunk 64K")), qPrintable(command));   // the CLI's own grammar
    QVERIFY2(!kDecimalUnit.match(page).hasMatch(), qPrintable(page));
    w.reject();

    CloneWizard cw(bridge.get());
    cw.show();
    cw.setSource(disk);
    auto* sourceInfo = cw.currentPage()->findChild<QLabel*>(QStringLiteral("sourceInfo"));
    QTRY_VERIFY_WITH_TIMEOUT(sourceInfo->text().contains(sz("24 MiB")), 5000);
    QVERIFY2(!kDecimalUnit.match(sourceInfo->text()).hasMatch(), qPrintable(sourceInfo->text()));
    cw.next();
    QCOMPARE(cw.currentId(), int(CloneWizard::DestinationPageId));
    cw.currentPage()->findChild<QLineEdit*>(QStringLiteral("destPath"))->setText(QString::fromStdString(dir.file("d.img")));
    cw.currentPage()->findChild<QLineEdit*>(QStringLiteral("metaPath"))->setText(QString::fromStdString(dir.file("d.meta")));
    cw.next();
    QCOMPARE(cw.currentId(), int(CloneWizard::OptionsPageId));
    auto* region = cw.currentPage()->findChild<QComboBox*>(QStringLiteral("regionSize"));
    QCOMPARE(region->itemText(0), sz("4 KiB"));
    QCOMPARE(region->itemText(region->count() - 1), sz("4 MiB"));
    QCOMPARE(region->currentText(), sz("64 KiB"));
    QCOMPARE(cw.regionBytes(), 64ull << 10);
    cw.reject();
}

QTEST_MAIN(TstUiSizes)
#include "tst_ui_sizes.moc"
