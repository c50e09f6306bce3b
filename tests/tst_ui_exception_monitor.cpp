// The exception monitor of a real snapshot under the engine's workload, through the bridge: at
// least one copy finishes out of order, the commits advance strictly in sequence, the area map
// fills; with a deliberately small ring the counters resync to the engine's.
#include <QtTest>

#include <QCheckBox>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include "support/ui_support.h"
#include "ui/bridge/EngineBridge.h"
#include "ui/pages/ExceptionMonitorPage.h"
#include "ui/pages/PageRegistry.h"
#include "ui/widgets/AreaMapWidget.h"

using namespace loopsnap;
using namespace loopsnap::ui;
using loopsnap::test::callAndWait;
using loopsnap::test::openBridgeIn;
using loopsnap::test::saveShot;

namespace {

struct Rig {
    // A demo device lives in a folder named like DemoSession's (the legacy switch shows there).
    explicit Rig(bool demo = false)
        : dir(demo ? QDir::temp().filePath(QStringLiteral("loopsnap-demo-XXXXXX")) : QDir::temp().filePath(QStringLiteral("tst_ui_exception_monitor-XXXXXX"))) {}
    QTemporaryDir dir;
    EngineBridge bridge;
    SnapshotInfo snap;

    bool start(size_t ringCapacity) {
        if (!openBridgeIn(bridge, dir.filePath(QStringLiteral("ws")).toStdString(), ringCapacity)) return false;
        QFile origin(dir.filePath(QStringLiteral("origin.img")));
        if (!origin.open(QIODevice::WriteOnly) || !origin.resize(32 << 20)) return false;
        origin.close();
        CreateSnapshotRequest rq;
        rq.originPath = origin.fileName().toStdString();
        rq.cowPath = dir.filePath(QStringLiteral("snap.cow")).toStdString();
        rq.cowSize = 16 << 20;
        rq.chunkBytes = 4096;
        snap = callAndWait<SnapshotInfo>(bridge, [rq](Engine& e) { return e.createSnapshot(rq); });
        return !snap.id.empty();
    }
    uint64_t startWorkload(uint64_t ops) {
        WorkloadRequest w;
        w.originId = snap.originId;
        w.seed = 13;
        w.ops = ops;
        w.threads = 4;
        return callAndWait<uint64_t>(bridge, [w](Engine& e) { return e.startWorkload(w); });
    }
    JobInfo job(uint64_t id) {
        return callAndWait<JobInfo>(bridge, [id](Engine& e) { return e.job(id); });
    }
    SnapshotTrace trace() {
        const std::string id = snap.id;
        return callAndWait<SnapshotTrace>(bridge, [id](Engine& e) { return e.snapshotTrace(id); });
    }
    std::unique_ptr<QWidget> page() {
        const PageSpec* spec = findPage(QStringLiteral("exceptions"));
        if (!spec) return nullptr;
        return std::unique_ptr<QWidget>(spec->create(
            PageContext{&bridge, DeviceRef{DeviceKind::Snapshot, QString::fromStdString(snap.id)}, nullptr}, nullptr));
    }
};
}  // namespace

class TestExceptionMonitor : public QObject {
    Q_OBJECT
    ExceptionMonitorPage* lastPage = nullptr;
private slots:
    void initTestCase() { registerBuiltinPages(); }

    void demoWorkloadFinishesOutOfOrderAndCommitsInSequence() {
        Rig rig;
        QVERIFY(rig.start(1 << 16));
        auto widget = rig.page();
        auto* page = qobject_cast<ExceptionMonitorPage*>(widget.get());
        QVERIFY(page);
        lastPage = page;
        page->resize(1100, 700);
        page->show();
        QTRY_VERIFY_WITH_TIMEOUT(page->resyncs() >= 1, 20000);
        QVERIFY(page->areaModel().totalChunks() > 0);
        const uint64_t usedBefore = page->areaModel().usedChunks();
        const uint64_t resyncsBefore = page->resyncs();

        const uint64_t job = rig.startWorkload(3000);
        QTRY_VERIFY_WITH_TIMEOUT((page->model()->rowCount() >= 4 && page->model()->counters().committed > 300) ||
                                     jobStateFinal(rig.job(job).state), 60000);
        saveShot(page, "exceptions.png");
        QTRY_VERIFY_WITH_TIMEOUT(jobStateFinal(rig.job(job).state), 120000);
        QTRY_VERIFY_WITH_TIMEOUT(page->model()->counters().committed >= rig.trace().committed && rig.trace().committed > 0, 20000);

        const auto& counters = page->model()->counters();
        QVERIFY2(counters.finishedOutOfOrder > 0, "no copy finished out of order in the demo workload");
        const auto& trace = page->model()->trace();
        QVERIFY(!trace.commits.empty());
        // Strictly one after the other while no event was dropped; after a drop the page resyncs
        // from the engine's status (events are hints), so the trace may skip what was dropped,
        // but commits still only ever advance.
        const bool dropped = page->resyncs() > resyncsBefore;
        for (size_t i = 1; i < trace.commits.size(); ++i) {
            if (dropped) QVERIFY2(trace.commits[i].seq > trace.commits[i - 1].seq, "commits must advance in sequence");
            else QVERIFY2(trace.commits[i].seq == trace.commits[i - 1].seq + 1, "commits must advance strictly in sequence");
        }
        QVERIFY(std::any_of(trace.marks.begin(), trace.marks.end(), [](const CompletionMark& m) { return m.outOfOrder; }));
        QCOMPARE(counters.committed, rig.trace().committed);
        QCOMPARE(counters.inFlight, uint64_t(0));
        QVERIFY(page->areaModel().usedChunks() > usedBefore);
        QVERIFY(page->areaModel().lastAreaIndex() >= 0);
        // Committed rows leave the table after their linger: what stays is what the engine still
        // has pending (allocated, not committed), none of it committed.
        const SnapshotTrace end = rig.trace();
        QTRY_COMPARE_WITH_TIMEOUT(uint64_t(page->model()->rowCount()), end.allocated - end.committed, 5000);
        for (int r = 0; r < page->model()->rowCount(); ++r)
            QVERIFY(page->model()->pendingRow(r).state != PendingState::Committed);
    }

    void smallRingResyncsToTheEngineCounts() {
        Rig rig;
        QVERIFY(rig.start(16));
        auto widget = rig.page();
        auto* page = qobject_cast<ExceptionMonitorPage*>(widget.get());
        page->show();
        QTRY_VERIFY_WITH_TIMEOUT(page->resyncs() >= 1, 20000);
        const uint64_t job = rig.startWorkload(2000);
        QTRY_VERIFY_WITH_TIMEOUT(jobStateFinal(rig.job(job).state), 120000);
        QTRY_VERIFY_WITH_TIMEOUT(page->resyncs() >= 2, 20000);
        QVERIFY2(page->noteText().contains(QStringLiteral("dropped")), qPrintable(page->noteText()));
        const SnapshotTrace engine = rig.trace();
        QTRY_COMPARE_WITH_TIMEOUT(page->model()->counters().committed, engine.committed, 20000);
        QCOMPARE(page->model()->counters().areaWrites, engine.areaWrites);
    }

    // Events v2: only a drop marker of this snapshot's source makes the monitor re-read.
    void onlyItsOwnDropsResync_data() {
        QTest::addColumn<quint32>("markerSource");
        QTest::addColumn<bool>("resyncs");
        QTest::newRow("this snapshot") << quint32(5) << true;
        QTest::newRow("another device") << quint32(6) << false;
        QTest::newRow("untracked sources") << quint32(kAllSources) << true;
    }
    void onlyItsOwnDropsResync() {
        QFETCH(quint32, markerSource);
        QFETCH(bool, resyncs);
        ExceptionMonitorPage page;
        SnapshotTrace trace;
        trace.eventSource = 5;
        StoreLayout layout;
        layout.chunkBytes = 4096;
        layout.totalChunks = 64;
        layout.exceptionsPerArea = 256;
        layout.metadataChunks = {0, 1};
        page.resize(900, 600);
        page.show();
        page.resync(trace, layout, QString());
        QSignalSpy spy(&page, &ExceptionMonitorPage::resyncRequested);
        const int64_t now = steadyNowNs();
        std::vector<Event> events{Event{EventKind::ExceptionAllocated, 5, 0, 3, 2, 0, now},
                                  Event{EventKind::EventsDropped, markerSource, 0, 9, 9, 0, now}};
        page.applyFrame(LiveFrame{events, now, 9});
        QCOMPARE(spy.count(), resyncs ? 1 : 0);
        QCOMPARE(page.model()->rowCount(), 1);  // the event itself still applies
        if (resyncs) {
            page.resync(trace, layout, QString());
            QVERIFY2(page.noteText().contains(QStringLiteral("of this snapshot were dropped")), qPrintable(page.noteText()));
        }
    }

    // On a demo device the switch (labelled as the pre-fix kernel behaviour) reaches the engine
    // for this snapshot, and the commits then follow completion order.
    void legacySwitchReachesTheEngine() {
        Rig rig(/*demo=*/true);
        QVERIFY(rig.start(1 << 16));
        auto widget = rig.page();
        auto* page = qobject_cast<ExceptionMonitorPage*>(widget.get());
        page->resize(1100, 700);
        page->show();
        QTRY_VERIFY_WITH_TIMEOUT(page->resyncs() >= 1, 20000);
        QCheckBox* box = nullptr;
        for (QCheckBox* b : page->findChildren<QCheckBox*>())
            if (b->text().contains(QStringLiteral("pre-fix kernel"))) box = b;
        QVERIFY(box);
        QVERIFY(box->isVisible());
        QVERIFY(!box->isChecked());
        QVERIFY(!rig.trace().legacyCompletionOrder);
        const uint64_t before = page->resyncs();
        box->click();
        QTRY_VERIFY_WITH_TIMEOUT(page->resyncs() > before, 20000);
        QVERIFY(rig.trace().legacyCompletionOrder);
        QVERIFY(box->isChecked());
        QVERIFY2(page->noteText().contains(QStringLiteral("completion order")), qPrintable(page->noteText()));
        const uint64_t job = rig.startWorkload(3000);
        QTRY_VERIFY_WITH_TIMEOUT(jobStateFinal(rig.job(job).state), 120000);
        QTRY_VERIFY_WITH_TIMEOUT(page->model()->counters().committed >= rig.trace().committed, 20000);
        // Legacy: a copy that finished early committed at once, before a lower sequence.
        const auto& commits = page->model()->trace().commits;
        bool outOfSequence = false;
        for (size_t i = 1; i < commits.size(); ++i) outOfSequence = outOfSequence || commits[i].seq < commits[i - 1].seq;
        QVERIFY2(outOfSequence, "legacy ordering: commits should follow completion order");
        box->click();  // and back
        QTRY_VERIFY_WITH_TIMEOUT(!rig.trace().legacyCompletionOrder, 20000);
    }

    // A snapshot outside a demo folder offers no legacy switch.
    void noLegacySwitchOnOrdinaryDevices() {
        Rig rig;
        QVERIFY(rig.start(1 << 16));
        auto widget = rig.page();
        auto* page = qobject_cast<ExceptionMonitorPage*>(widget.get());
        page->show();
        QTRY_VERIFY_WITH_TIMEOUT(page->resyncs() >= 1, 20000);
        for (QCheckBox* b : page->findChildren<QCheckBox*>())
            if (b->text().contains(QStringLiteral("pre-fix kernel"))) QVERIFY(!b->isVisible());
    }
};

QTEST_MAIN(TestExceptionMonitor)
#include "tst_ui_exception_monitor.moc"
