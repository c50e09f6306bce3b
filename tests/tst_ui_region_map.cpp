// The region map's pixels for a known state: pure bins, mixed bins coloured by their mix, a
// change repainted, and the hover text naming regions and bytes.
#include <QtTest>

#include <vector>

#include "ui/widgets/RegionMapWidget.h"

using namespace loopsnap::ui;

namespace {
QColor blendOf(QColor a, QColor b, double fractionOfB) {
    return QColor(int(a.red() + (b.red() - a.red()) * fractionOfB), int(a.green() + (b.green() - a.green()) * fractionOfB),
                  int(a.blue() + (b.blue() - a.blue()) * fractionOfB));
}
bool near(QColor a, QColor b, int tolerance = 6) {
    return std::abs(a.red() - b.red()) <= tolerance && std::abs(a.green() - b.green()) <= tolerance &&
           std::abs(a.blue() - b.blue()) <= tolerance;
}
constexpr auto U = uint8_t(RegionCategory::Unhydrated), H = uint8_t(RegionCategory::Hydrating),
               D = uint8_t(RegionCategory::Hydrated), W = uint8_t(RegionCategory::WrittenByUser),
               X = uint8_t(RegionCategory::Discarded);
}  // namespace

class TestRegionMap : public QObject {
    Q_OBJECT
    // 100 x 20 pixels, 8,000 regions: 4 regions per one-pixel bin.
    std::vector<uint8_t> regions;
    std::unique_ptr<RegionMapWidget> map;
    QImage grabbed() { return map->grab().toImage(); }
    QColor colorOfBin(const QImage& img, int64_t bin) {
        return QColor(img.pixel(map->binRect(bin).center()));
    }

private slots:
    void init() {
        regions.assign(8000, U);
        // bin 1: hydrated; bin 2: half hydrated; bin 3: 3 hydrated + 1 hydrating; bin 4: written;
        // bin 5: discarded; bin 6: 1 written, 3 unhydrated
        for (int r = 4; r < 8; ++r) regions[r] = D;
        regions[8] = D, regions[9] = D;
        regions[12] = D, regions[13] = D, regions[14] = D, regions[15] = H;
        for (int r = 16; r < 20; ++r) regions[r] = W;
        for (int r = 20; r < 24; ++r) regions[r] = X;
        regions[24] = W;
        map = std::make_unique<RegionMapWidget>();
        map->resize(100, 20);
        map->setRegionGeometry(64 * 1024, 8000ull * 64 * 1024);
        map->setCells(regions);
        QCOMPARE(map->cellsPerBin(), uint64_t(4));
        QCOMPARE(map->cellPixels(), 1);
    }

    void binColours_data() {
        QTest::addColumn<int>("bin");
        QTest::addColumn<int>("a");
        QTest::addColumn<int>("b");
        QTest::addColumn<double>("fractionOfB");
        QTest::newRow("unhydrated") << 0 << int(U) << int(U) << 0.0;
        QTest::newRow("hydrated") << 1 << int(D) << int(D) << 0.0;
        QTest::newRow("half hydrated") << 2 << int(U) << int(D) << 0.5;
        QTest::newRow("3 hydrated + 1 hydrating") << 3 << int(H) << int(D) << 0.75;
        QTest::newRow("written by the user") << 4 << int(W) << int(W) << 0.0;
        QTest::newRow("discarded") << 5 << int(X) << int(X) << 0.0;
        QTest::newRow("1 written + 3 unhydrated") << 6 << int(U) << int(W) << 0.25;
        QTest::newRow("last bin") << 1999 << int(U) << int(U) << 0.0;
    }
    void binColours() {
        QFETCH(int, bin);
        QFETCH(int, a);
        QFETCH(int, b);
        QFETCH(double, fractionOfB);
        const auto colors = RegionMapWidget::categoryColors();
        const QColor expected = blendOf(colors[a], colors[b], fractionOfB);
        const QColor actual = colorOfBin(grabbed(), bin);
        QVERIFY2(near(actual, expected), qPrintable(QStringLiteral("bin %1: %2, expected %3").arg(bin).arg(actual.name(), expected.name())));
    }

    void mixedBinsDifferFromPureOnes() {
        const QImage img = grabbed();
        QVERIFY(colorOfBin(img, 2) != colorOfBin(img, 0));
        QVERIFY(colorOfBin(img, 2) != colorOfBin(img, 1));
    }

    void changedBinsRepaint() {
        grabbed();
        std::fill(regions.begin() + 40, regions.begin() + 44, D);  // bin 10
        map->cellsChanged(40, 4);
        const QImage img = grabbed();
        QVERIFY(near(colorOfBin(img, 10), RegionMapWidget::categoryColors()[D]));
        QVERIFY(near(colorOfBin(img, 11), RegionMapWidget::categoryColors()[U]));
    }

    void largeCellsWhenRegionsFit() {
        std::vector<uint8_t> few = {U, H, D, W, X};
        map->resize(200, 60);
        map->setCells(few);
        QCOMPARE(map->cellsPerBin(), uint64_t(1));
        QVERIFY(map->cellPixels() > 4);
        const QImage img = grabbed();
        for (int r = 0; r < 5; ++r) QVERIFY(near(colorOfBin(img, r), RegionMapWidget::categoryColors()[few[size_t(r)]], 0));
    }

    void hoverNamesRegionsAndBytes() {
        const QString text = map->describeBin(2);
        QVERIFY2(text.contains(QStringLiteral("8–11")), qPrintable(text));
        const QLocale loc;  // regions 8-11 of 64 KiB: bytes 524,288-786,431
        QVERIFY2(text.contains(loc.toString(524288)) && text.contains(loc.toString(786431)), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("2 hydrated")) && text.contains(QStringLiteral("2 unhydrated")), qPrintable(text));
        QSignalSpy hovered(map.get(), &CellMapWidget::binHovered);
        map->show();
        QVERIFY(QTest::qWaitForWindowExposed(map.get()));
        QTest::mouseMove(map.get(), map->binRect(3).center());
        QVERIFY(!hovered.isEmpty());
        QCOMPARE(hovered.last().at(0).toLongLong(), qint64(3));
    }

    void memoryIsAtMostAByteAPixel() {
        QVERIFY(map->memoryBytes() <= size_t(100 * 20) + 2048);
    }
};

QTEST_MAIN(TestRegionMap)
#include "tst_ui_region_map.moc"
