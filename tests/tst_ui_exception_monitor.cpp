// The exception monitor of a real snapshot under the engine's workload, through the bridge: at
// least one copy finishes out of order, the commits advance strictly in sequence, the area map
// fills; with a deliberately small ring the counters resync to the engine's.
#include <QtTest>

#include <QFile>
#include <QTemporaryDir>

#include "ui/bridge/EngineBridge.h"
#include "ui/pages/ExceptionMonitorPage.h"
#include "ui/pages/PageRegistry.h"
#include "ui/widgets/AreaMapWidget.h"

using namespace loopsnap;
using namespace loopsnap::ui;

namespace {
// With LOOPSNAP_SCREENSHOT_DIR set, the test saves what the page shows at its busiest moment.
void saveShot(QWidget* page, const char* name) {
    const QByteArray dir = qgetenv("LOOPSNAP_SCREENSHOT_DIR");
    if (!dir.isEmpty()) page->grab().save(QString::fromLocal8Bit(dir) + QLatin1Char('/') + QLatin1String(name));
}

template <typename T>
T callAndWait(EngineBridge& bridge, std::function<Result<T>(Engine&)> work) {
    std::optional<Result<T>> out;
    QObject ctx;
    bridge.call<T>(&ctx, QString(), std::move(work), [&](const Result<T>& r) { out = r; });
    [&] { QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), 30000); }();
    if (!out || !out->ok()) qFatal("engine call failed: %s", out ? out->error().message.c_str() : "timeout");
    return out->value();
}

struct Rig {
    QTemporaryDir dir;
    EngineBridge bridge;
    SnapshotInfo snap;

    bool start(size_t ringCapacity) {
        EngineOptions o;
        o.workspaceDir = dir.filePath(QStringLiteral("ws")).toStdString();
        o.eventRingCapacity = ringCapacity;
        QSignalSpy opened(&bridge, &EngineBridge::opened);
        bridge.open(o);
        if (!opened.wait(30000)) return false;
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
        for (size_t i = 1; i < trace.commits.size(); ++i)
            QVERIFY2(trace.commits[i].seq == trace.commits[i - 1].seq + 1, "commits must advance strictly in sequence");
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
};

QTEST_MAIN(TestExceptionMonitor)
#include "tst_ui_exception_monitor.moc"
