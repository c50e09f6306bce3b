// The hydration dashboard on a real engine through the bridge: it follows a hydration to 100 %
// with a rate above 0; pause stops progress; a threshold change reaches the engine; with a
// deliberately small event ring it resyncs to the engine's counts.
#include <QtTest>

#include <QFile>
#include <QTemporaryDir>

#include "support/ui_support.h"
#include "ui/bridge/EngineBridge.h"
#include "ui/pages/HydrationDashboardPage.h"
#include "ui/pages/PageRegistry.h"

using namespace loopsnap;
using namespace loopsnap::ui;
using loopsnap::test::callAndWait;
using loopsnap::test::openBridgeIn;
using loopsnap::test::saveShot;

namespace {
constexpr uint64_t kSourceBytes = 48ull << 20;
constexpr uint64_t kRegionBytes = 16 * 1024;

void writeSource(const QString& path) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QByteArray block(1 << 20, '\0');
    for (uint64_t m = 0; m < kSourceBytes >> 20; ++m) {
        for (int i = 0; i < block.size(); i += 512) block[i] = char(m * 7 + i / 512);
        QVERIFY(f.write(block) == block.size());
    }
}


struct Rig {
    QTemporaryDir dir;
    EngineBridge bridge;
    QString cloneId;

    bool start(size_t ringCapacity) {
        if (!openBridgeIn(bridge, dir.filePath(QStringLiteral("ws")).toStdString(), ringCapacity)) return false;
        writeSource(dir.filePath(QStringLiteral("source.img")));
        CreateCloneRequest rq;
        rq.source = dir.filePath(QStringLiteral("source.img")).toStdString();
        rq.dest = dir.filePath(QStringLiteral("dest.img")).toStdString();
        rq.meta = dir.filePath(QStringLiteral("clone.meta")).toStdString();
        rq.regionBytes = kRegionBytes;
        CloneInfo info = callAndWait<CloneInfo>(bridge, [rq](Engine& e) { return e.createClone(rq); });
        cloneId = QString::fromStdString(info.id);
        return !cloneId.isEmpty();
    }
    CloneInfo info() {
        const std::string id = cloneId.toStdString();
        return callAndWait<CloneInfo>(bridge, [id](Engine& e) { return e.clone(id); });
    }
};
}  // namespace

class TestHydrationDashboard : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { registerBuiltinPages(); }

    void followsPausesAndTunesARealHydration() {
        Rig rig;
        QVERIFY(rig.start(1 << 16));
        const PageSpec* spec = findPage(QStringLiteral("hydration"));
        QVERIFY(spec);
        std::unique_ptr<QWidget> widget(spec->create(PageContext{&rig.bridge, DeviceRef{DeviceKind::Clone, rig.cloneId}, nullptr}, nullptr));
        auto* page = qobject_cast<HydrationDashboardPage*>(widget.get());
        QVERIFY(page);
        page->resize(1000, 800);
        page->show();
        QTRY_VERIFY_WITH_TIMEOUT(page->resyncs() >= 1, 20000);
        QCOMPARE(page->regions().regions(), kSourceBytes / kRegionBytes);
        QCOMPARE(page->percent(), 0.0);
        QVERIFY(page->paused());  // created without hydration

        page->clickPauseResume();  // resume: starts the hydration job
        QTRY_VERIFY_WITH_TIMEOUT(page->percent() > 0, 20000);
        QTRY_VERIFY_WITH_TIMEOUT(page->hydrationRate() > 0, 10000);

        page->clickPauseResume();  // pause
        QVERIFY(rig.bridge.waitIdle(20000));
        QTest::qWait(300);  // copies in flight finish, their events arrive
        const uint64_t pausedAt = page->regions().doneRegions();
        const uint64_t enginePausedAt = rig.info().hydratedRegions;
        QTest::qWait(800);
        QCOMPARE(page->regions().doneRegions(), pausedAt);
        QCOMPARE(rig.info().hydratedRegions, enginePausedAt);
        QVERIFY2(pausedAt < page->regions().regions(), "hydration finished before it could be paused");

        page->setTuning(3, 2);  // threshold 3, batch 2, applied to the running engine
        QVERIFY(rig.bridge.waitIdle(20000));
        const CloneInfo tuned = rig.info();
        QCOMPARE(tuned.hydrationThreshold, 3u);
        QCOMPARE(tuned.hydrationBatchSize, 2u);

        page->clickPauseResume();  // resume
        QTRY_VERIFY_WITH_TIMEOUT(page->percent() > 55, 120000);
        QTest::mouseMove(page->regionMap(), page->regionMap()->rect().center());
        saveShot(page, "hydration.png");
        QTRY_COMPARE_WITH_TIMEOUT(page->percent(), 100.0, 120000);
        QCOMPARE(page->regions().doneRegions(), rig.info().hydratedRegions);
        QCOMPARE(page->regions().doneBytes(), kSourceBytes);
        QVERIFY(page->sourceHealthText().contains(QStringLiteral("healthy")));
    }

    void smallRingResyncsToTheEngine() {
        Rig rig;
        QVERIFY(rig.start(16));  // far too small for a frame's events: drops are certain
        const PageSpec* spec = findPage(QStringLiteral("hydration"));
        std::unique_ptr<QWidget> widget(spec->create(PageContext{&rig.bridge, DeviceRef{DeviceKind::Clone, rig.cloneId}, nullptr}, nullptr));
        auto* page = qobject_cast<HydrationDashboardPage*>(widget.get());
        page->resize(900, 700);
        page->show();
        QTRY_VERIFY_WITH_TIMEOUT(page->resyncs() >= 1, 20000);
        page->clickPauseResume();
        QTRY_VERIFY_WITH_TIMEOUT(page->resyncs() >= 2, 60000);
        QVERIFY2(page->noteText().contains(QStringLiteral("dropped")), qPrintable(page->noteText()));
        QTRY_VERIFY_WITH_TIMEOUT(rig.info().hydratedRegions == rig.info().totalRegions, 120000);
        // The last drop's resync brings the view to the engine's final count.
        QTRY_COMPARE_WITH_TIMEOUT(page->regions().doneRegions(), rig.info().hydratedRegions, 20000);
    }

    void hiddenViewDoesNotUpdateAndResyncsWhenShown() {
        Rig rig;
        QVERIFY(rig.start(1 << 16));
        const PageSpec* spec = findPage(QStringLiteral("hydration"));
        std::unique_ptr<QWidget> widget(spec->create(PageContext{&rig.bridge, DeviceRef{DeviceKind::Clone, rig.cloneId}, nullptr}, nullptr));
        auto* page = qobject_cast<HydrationDashboardPage*>(widget.get());
        page->show();
        QTRY_VERIFY_WITH_TIMEOUT(page->resyncs() >= 1, 20000);
        page->hide();
        page->clickPauseResume();
        QTRY_VERIFY_WITH_TIMEOUT(rig.info().hydratedRegions > 0, 20000);
        QTest::qWait(200);
        QCOMPARE(page->regions().doneRegions(), uint64_t(0));  // hidden: no updates
        const uint64_t before = page->resyncs();
        page->show();
        QTRY_VERIFY_WITH_TIMEOUT(page->resyncs() > before, 20000);
        QVERIFY(page->regions().doneRegions() > 0);
    }

    // Events v2: drops are counted per source; only a marker of this clone's source (or of
    // untracked sources) makes the dashboard re-read, and the note then says so.
    void onlyItsOwnDropsResync_data() {
        QTest::addColumn<quint32>("markerSource");
        QTest::addColumn<bool>("resyncs");
        QTest::newRow("this clone") << quint32(7) << true;
        QTest::newRow("another device") << quint32(8) << false;
        QTest::newRow("untracked sources") << quint32(kAllSources) << true;
    }
    void onlyItsOwnDropsResync() {
        QFETCH(quint32, markerSource);
        QFETCH(bool, resyncs);
        HydrationDashboardPage page;
        CloneInfo info;
        info.sizeBytes = 64 * kRegionBytes;
        info.regionBytes = kRegionBytes;
        page.setClone(info);
        CloneRegionMap map;
        map.regionBytes = kRegionBytes;
        map.regions.assign(64, 0);
        map.eventSource = 7;
        page.resize(800, 600);
        page.show();
        page.resync(map, QString());
        QSignalSpy spy(&page, &HydrationDashboardPage::resyncRequested);
        const int64_t now = steadyNowNs();
        std::vector<Event> events{Event{EventKind::RegionHydrated, 7, 0, 3, 1, 0, now},
                                  Event{EventKind::EventsDropped, markerSource, 0, 5, 5, 0, now}};
        page.applyFrame(LiveFrame{events, now, 5});
        QCOMPARE(spy.count(), resyncs ? 1 : 0);
        QCOMPARE(page.regions().doneRegions(), uint64_t(1));  // the event itself still applies
        if (resyncs) {
            page.resync(map, QString());
            QVERIFY2(page.noteText().contains(QStringLiteral("of this clone were dropped")), qPrintable(page.noteText()));
        }
    }

    // Before two samples the rate is unknown: "measuring…", never "Rate 0 B/s".
    void rateSaysMeasuringBeforeTwoSamples() {
        HydrationDashboardPage page;
        CloneInfo info;
        info.sizeBytes = 64 * kRegionBytes;
        info.regionBytes = kRegionBytes;
        page.setClone(info);
        CloneRegionMap map;
        map.regionBytes = kRegionBytes;
        map.regions.assign(64, 0);
        map.eventSource = 7;
        page.resize(800, 600);
        page.show();
        page.resync(map, QString());
        QVERIFY2(page.rateText().startsWith(QStringLiteral("Rate measuring…")), qPrintable(page.rateText()));
        QVERIFY(!page.rateText().contains(QStringLiteral("0 B/s")));
        const int64_t t0 = steadyNowNs();
        page.applyFrame(LiveFrame{{}, t0, 0});  // one sample: still no rate
        QVERIFY(page.rateText().startsWith(QStringLiteral("Rate measuring…")));
        QVERIFY2(page.rateText().endsWith(QStringLiteral("foreground I/O measuring…")), qPrintable(page.rateText()));
        std::vector<Event> events{Event{EventKind::RegionHydrated, 7, 0, 0, 4, 0, t0 + 1}};
        page.applyFrame(LiveFrame{events, t0 + 500'000'000, 0});
        QVERIFY2(!page.rateText().contains(QStringLiteral("measuring")), qPrintable(page.rateText()));
        QVERIFY(page.hydrationRate() > 0);
        // The engine's foreground counter (all user I/O, none of it seen in events) replaces
        // the events' estimate: measuring again until it has two samples of its own.
        page.setForegroundBytes(1000, t0);
        QVERIFY2(page.rateText().endsWith(QStringLiteral("foreground I/O measuring…")), qPrintable(page.rateText()));
        page.setForegroundBytes(1000 + (1 << 20), t0 + 1'000'000'000);
        QVERIFY(page.foregroundRate() > 0.99 * (1 << 20) && page.foregroundRate() < 1.01 * (1 << 20));
    }

    // Wired to the engine, the foreground rate counts reads too (not only writes that hydrated).
    void foregroundRateCountsReadsThroughTheEngine() {
        Rig rig;
        QVERIFY(rig.start(1 << 16));
        const PageSpec* spec = findPage(QStringLiteral("hydration"));
        std::unique_ptr<QWidget> widget(spec->create(PageContext{&rig.bridge, DeviceRef{DeviceKind::Clone, rig.cloneId}, nullptr}, nullptr));
        auto* page = qobject_cast<HydrationDashboardPage*>(widget.get());
        page->resize(900, 700);
        page->show();
        QTRY_VERIFY_WITH_TIMEOUT(page->resyncs() >= 1, 20000);
        const std::string id = rig.cloneId.toStdString();
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 2500 && page->foregroundRate() <= 0) {
            callAndWait<bool>(rig.bridge, [id](Engine& e) -> Result<bool> {
                LS_ASSIGN(auto dev, e.device(id));
                std::vector<std::byte> buf(1 << 20);
                LS_TRY(dev->read(0, buf));
                return true;
            });
            QTest::qWait(50);
        }
        QVERIFY2(page->foregroundRate() > 0, qPrintable(page->rateText()));
        QCOMPARE(page->regions().foregroundBytesTotal(), uint64_t(0));  // no write hydrated anything
        QCOMPARE(rig.info().hydratedRegions, uint64_t(0));
    }
};

QTEST_MAIN(TestHydrationDashboard)
#include "tst_ui_hydration_dashboard.moc"
