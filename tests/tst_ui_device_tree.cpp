// The device tree: QAbstractItemModelTester over every kind of change, and the tree following a
// snapshot that loopsnapctl creates in the same workspace (no restart, no manual refresh), and the
// tree over an Engine on the in-memory backend.
#include <QtTest>
#include <QAbstractItemModelTester>
#include <QProcessEnvironment>

#include "core/backend/backend.h"
#include "support/test_support.h"
#include "support/ui_support.h"
#include "ui/bridge/ProbeCache.h"
#include "ui/models/DeviceTreeModel.h"

using namespace loopsnap;
using namespace loopsnap::ui;

class TstUiDeviceTree : public QObject {
    Q_OBJECT
private slots:
    void modelPassesTesterThroughChanges();
    void followsSnapshotCreatedByCli();
    void showsStatusLineAndUsage();
    void followsTheEngineOnTheMemoryBackend();
};

namespace {
RegistrySnapshot registryWith(int origins, int snapsPerOrigin, int clones, uint64_t allocated = 16) {
    RegistrySnapshot r;
    for (int o = 0; o < origins; ++o) {
        OriginInfo oi;
        oi.id = "o" + std::to_string(o);
        oi.path = "/nonexistent/o" + std::to_string(o) + ".img";
        oi.sizeBytes = 1 << 20;
        for (int s = 0; s < snapsPerOrigin; ++s) {
            SnapshotInfo si;
            si.id = oi.id + "s" + std::to_string(s);
            si.originId = oi.id;
            si.cowPath = "/nonexistent/" + si.id + ".cow";
            si.store = "P";
            si.chunkBytes = 4096;
            si.totalSectors = 2048;
            si.allocatedSectors = allocated;
            si.metadataSectors = 16;
            si.status = std::to_string(allocated) + "/2048 16";
            oi.snapshotIds.push_back(si.id);
            r.snapshots.push_back(si);
        }
        r.origins.push_back(oi);
    }
    for (int c = 0; c < clones; ++c) {
        CloneInfo ci;
        ci.id = "c" + std::to_string(c);
        ci.metaPath = "/nonexistent/c.meta";
        ci.dest = "/nonexistent/c.img";
        ci.source = "nbd+unix:///x?socket=/s";
        ci.totalRegions = 64;
        ci.hydratedRegions = 16;
        r.clones.push_back(ci);
    }
    return r;
}
}  // namespace

void TstUiDeviceTree::modelPassesTesterThroughChanges() {
    ProbeCache probes;
    DeviceTreeModel model(&probes);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRegistry(registryWith(0, 0, 0));
    QCOMPARE(model.rowCount(), 0);
    model.setRegistry(registryWith(2, 3, 1));
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.rowCount(model.index(0, 0)), 3);
    QCOMPARE(model.rowCount(model.index(2, 0)), 0);
    model.setRegistry(registryWith(2, 3, 1, 512));  // same rows, new status: dataChanged only
    QCOMPARE(model.index(0, DeviceTreeModel::UsageColumn, model.index(0, 0)).data(DeviceTreeModel::UsageFractionRole).toDouble(), 0.25);
    model.setRegistry(registryWith(1, 1, 2));
    QCOMPARE(model.rowCount(), 3);
    model.setRegistry(registryWith(0, 0, 0));
    QCOMPARE(model.rowCount(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(probes.find("/nonexistent/o0.img").has_value(), 5000);  // probes of vanished rows are harmless
}

void TstUiDeviceTree::followsSnapshotCreatedByCli() {
    test::TempDir dir;
    const std::string ws = dir.file("workspace");
    auto bridge = test::openBridge(ws);
    QVERIFY(bridge);
    ProbeCache probes;
    DeviceTreeModel model(&probes);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    connect(bridge.get(), &EngineBridge::registryChanged, &model, [&] { model.setRegistry(bridge->registry()); });
    QCOMPARE(model.rowCount(), 0);

    test::writeFile(dir.file("o.img"), std::vector<std::byte>(4 << 20));
    const auto r = test::runCommand("LOOPSNAP_WORKSPACE=" + ws + " " + test::loopsnapctl() + " snapshot create --origin " +
                                    dir.file("o.img") + " --cow " + dir.file("s.cow") + " --cow-size 1M --chunk 4K");
    QVERIFY2(r.exitCode == 0, r.err.c_str());
    // No call here: the bridge sees the workspace change by itself.
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(model.index(0, 0)), 1, 5000);
    const QModelIndex snap = model.index(0, DeviceTreeModel::NameColumn, model.index(0, 0));
    QCOMPARE(snap.data().toString(), QStringLiteral("s.cow"));
    QCOMPARE(snap.data(DeviceTreeModel::StatusLineRole).toString(), QStringLiteral("16/2048 16"));

    // And forgetting it from the CLI removes it.
    const QString id = QString::fromStdString(bridge->registry().snapshots.at(0).id);
    const auto f = test::runCommand("LOOPSNAP_WORKSPACE=" + ws + " " + test::loopsnapctl() + " forget " + id.toStdString());
    QVERIFY2(f.exitCode == 0, f.err.c_str());
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(model.index(0, 0)), 0, 10000);
}

void TstUiDeviceTree::showsStatusLineAndUsage() {
    ProbeCache probes;
    DeviceTreeModel model(&probes);
    model.setRegistry(registryWith(1, 1, 1, 1024));
    const QModelIndex snapUsage = model.index(0, DeviceTreeModel::UsageColumn, model.index(0, 0));
    QCOMPARE(snapUsage.data(DeviceTreeModel::UsageFractionRole).toDouble(), 0.5);
    QVERIFY(snapUsage.data(Qt::ToolTipRole).toString().contains(QStringLiteral("1024/2048 16")));
    const QModelIndex cloneUsage = model.index(1, DeviceTreeModel::UsageColumn);
    QCOMPARE(cloneUsage.data(DeviceTreeModel::UsageFractionRole).toDouble(), 0.25);
    QCOMPARE(model.index(1, DeviceTreeModel::StateColumn).data().toString(), QStringLiteral("hydrating"));
    QVERIFY(!model.index(1, DeviceTreeModel::StateColumn).data(Qt::DecorationRole).value<QIcon>().isNull());
    QCOMPARE(model.index(0, DeviceTreeModel::ContentsColumn).data().toString(), QStringLiteral("probing…"));
    QTRY_COMPARE_WITH_TIMEOUT(model.index(0, DeviceTreeModel::ContentsColumn).data().toString(), QStringLiteral("missing"), 5000);
}

// The in-memory backend (core/backend/backend.h) under the app's bridge: no file anywhere. Two
// snapshots with different chunk sizes made through the bridge appear under their origin; writes
// through the origin's handle show in the snapshots' status lines; forget removes one row.
void TstUiDeviceTree::followsTheEngineOnTheMemoryBackend() {
    auto memory = makeMemoryBackend({});
    QVERIFY(createMemoryDevice(*memory, "/mem/origin", 4 << 20).ok());
    auto bridge = std::make_unique<EngineBridge>();
    bridge->setFrameInterval(10);
    QSignalSpy opened(bridge.get(), &EngineBridge::opened);
    EngineOptions options;
    options.persistWorkspace = false;
    options.backend = BackendKind::Memory;
    options.backendInstance = asBackend(memory);
    bridge->open(options);
    QVERIFY(opened.wait(10000));
    ProbeCache probes;
    DeviceTreeModel model(&probes);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    connect(bridge.get(), &EngineBridge::registryChanged, &model, [&] { model.setRegistry(bridge->registry()); });

    for (uint32_t chunk : {4096u, 16384u}) {
        std::optional<Result<SnapshotInfo>> made;
        bridge->createSnapshot({"/mem/origin", "/mem/s" + std::to_string(chunk) + ".cow", 1 << 20, chunk, "P"}, nullptr,
                               [&](const Result<SnapshotInfo>& r) { made = r; });
        QTRY_VERIFY_WITH_TIMEOUT(made.has_value(), 10000);
        QVERIFY2(made->ok(), made->ok() ? "" : made->error().toString().c_str());
    }
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(model.index(0, 0)), 2, 10000);
    QCOMPARE(model.index(0, DeviceTreeModel::NameColumn, model.index(0, 0)).data().toString(), QStringLiteral("s4096.cow"));
    QCOMPARE(model.index(1, DeviceTreeModel::NameColumn, model.index(0, 0)).data().toString(), QStringLiteral("s16384.cow"));
    const std::string originId = bridge->registry().origins.at(0).id;
    QCOMPARE(bridge->registry().origins.at(0).backend, BackendKind::Memory);

    // 16 KiB at offset 0: four 4K exceptions in the first snapshot, one 16K in the second.
    std::optional<Result<bool>> wrote;
    bridge->call<bool>(nullptr, QString(), [originId](Engine& e) -> Result<bool> {
        LS_ASSIGN(auto dev, e.device(originId));
        LS_TRY(dev->write(0, test::patternBytes(9, 0, 16384)));
        LS_TRY(dev->flush());
        return true;
    }, [&](const Result<bool>& r) { wrote = r; });
    QTRY_VERIFY_WITH_TIMEOUT(wrote.has_value(), 10000);
    QVERIFY(wrote->ok());
    bridge->refresh();
    auto statusOf = [&](int row) { return model.index(row, DeviceTreeModel::NameColumn, model.index(0, 0)).data(DeviceTreeModel::StatusLineRole).toString(); };
    // Persistent stores: header chunk + one metadata area, then one data chunk per exception.
    QTRY_COMPARE_WITH_TIMEOUT(statusOf(0), QStringLiteral("48/2048 16"), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(statusOf(1), QStringLiteral("96/2048 64"), 10000);

    bridge->forget(QString::fromStdString(bridge->registry().snapshots.at(0).id));
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(model.index(0, 0)), 1, 10000);
    QCOMPARE(model.index(0, DeviceTreeModel::NameColumn, model.index(0, 0)).data().toString(), QStringLiteral("s16384.cow"));
}

QTEST_MAIN(TstUiDeviceTree)
#include "tst_ui_device_tree.moc"
