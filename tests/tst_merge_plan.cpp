// MergePlan (core/engine/merge_plan.h): what a rollback will do and when it is refused.
// - the plan's numbers (chunks that differ, bytes, the other snapshots) on both backends;
// - the attached / mounted checks against fake /proc and /sys trees, one row per situation;
// - a lock held by another process: planMerge names it (pid, program), Engine::startMerge and
//   `loopsnapctl merge` refuse, and neither the origin nor the stores change; once the holder is
//   gone the same merge runs and rolls the origin back while the other snapshot keeps its view.
#include <QtTest>

#include <filesystem>
#include <fstream>

#include "core/engine/merge_plan.h"
#include "support/engine_rig.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;
using namespace std::chrono_literals;

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kSize = 1 << 20;
constexpr uint32_t kChunk = 16384;

void writeText(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
}

// A fake /sys/block/<name> (with optional partitions) for a loop device.
void fakeLoop(const std::string& sysRoot, const std::string& name, const std::string& devnum, const std::string& backing,
              const QStringList& partitions = {}) {
    const std::string dir = sysRoot + "/block/" + name;
    writeText(dir + "/dev", devnum + "\n");
    writeText(dir + "/loop/backing_file", backing + "\n");
    int minor = 100;
    for (const QString& p : partitions) {
        writeText(dir + "/" + p.toStdString() + "/partition", "1\n");
        writeText(dir + "/" + p.toStdString() + "/dev", "259:" + std::to_string(minor++) + "\n");
    }
}

struct Made {
    std::string originId, snapId, otherId;
    std::vector<std::byte> before;     // the origin when the first snapshot was taken
    std::vector<std::byte> otherView;  // the second snapshot's view
    uint64_t chunksWritten = 0;
};

// Origin with snapshot A, writes of 5 chunks, snapshot B, more writes.
Made makeTwoSnapshots(Rig& rig, Engine& e) {
    Made m;
    m.before = patternBytes(1, 0, kSize);
    rig.makeDevice("o.img", m.before);
    auto a = e.createSnapshot({rig.path("o.img"), rig.path("a.cow"), 2 << 20, kChunk, "P"});
    if (!a.ok()) qFatal("%s", a.error().toString().c_str());
    m.originId = a->originId;
    m.snapId = a->id;
    auto origin = e.device(m.originId).value();
    for (uint64_t c : {1, 3, 4, 9, 20}) {
        auto d = patternBytes(100 + c, c * kChunk, kChunk);
        if (!origin->write(c * kChunk, d).ok()) qFatal("write");
    }
    m.chunksWritten = 5;
    auto b = e.createSnapshot({rig.path("o.img"), rig.path("b.cow"), 2 << 20, kChunk, "P"});
    if (!b.ok()) qFatal("%s", b.error().toString().c_str());
    m.otherId = b->id;
    m.otherView = readAll(*origin);
    for (uint64_t c : {3, 30}) {
        auto d = patternBytes(200 + c, c * kChunk, kChunk);
        if (!origin->write(c * kChunk, d).ok()) qFatal("write");
    }
    if (!origin->flush().ok()) qFatal("flush");
    return m;
}

}  // namespace

class TestMergePlan : public QObject {
    Q_OBJECT
private slots:
    void planSaysWhatWillBeOverwritten_data() { backendRows(); }
    void planSaysWhatWillBeOverwritten();
    void attachedOrMountedOriginIsRefused_data();
    void attachedOrMountedOriginIsRefused();
    void heldOriginIsRefusedNamingTheHolderAndNothingIsWritten_data();
    void heldOriginIsRefusedNamingTheHolderAndNothingIsWritten();
};

void TestMergePlan::planSaysWhatWillBeOverwritten() {
    QFETCH(bool, memory);
    Rig rig(memory);
    auto e = rig.engine();
    Made m = makeTwoSnapshots(rig, *e);
    auto plan = planMerge(*e, m.snapId);
    QVERIFY2(plan.ok(), plan.ok() ? "" : plan.error().toString().c_str());
    QVERIFY(plan->allowed());
    QCOMPARE(plan->originPath, e->origin(m.originId)->path);
    QCOMPARE(plan->originBytes, kSize);
    QCOMPARE(plan->chunkBytes, kChunk);
    QCOMPARE(plan->chunksToMerge, uint64_t(6));  // chunks 1, 3, 4, 9, 20, 30
    QCOMPARE(plan->bytesToCopy, 6 * uint64_t(kChunk));
    QVERIFY(!plan->resumes);
    QVERIFY(!plan->running);
    QCOMPARE(plan->others.size(), size_t(1));
    QCOMPARE(plan->others[0].id, m.otherId);
    QCOMPARE(plan->others[0].exceptions, uint64_t(2));  // chunks 3, 30
    // The other snapshot's own plan names the first one.
    auto otherPlan = planMerge(*e, m.otherId);
    QVERIFY(otherPlan.ok());
    QCOMPARE(otherPlan->others.size(), size_t(1));
    QCOMPARE(otherPlan->others[0].id, m.snapId);
    QVERIFY(!planMerge(*e, "s999").ok());
}

void TestMergePlan::attachedOrMountedOriginIsRefused_data() {
    QTest::addColumn<QString>("setup");           // what the fake tree holds (see below)
    QTest::addColumn<int>("backend");
    QTest::addColumn<QStringList>("expected");    // "kind device mountpoint" per refusal
    const int us = int(BackendKind::Userspace), k = int(BackendKind::Kernel);
    QTest::newRow("nothing in the way") << "none" << us << QStringList{};
    QTest::newRow("loop over another file") << "loop-other" << us << QStringList{};
    QTest::newRow("loop over the deleted old origin") << "loop-deleted" << us << QStringList{};
    QTest::newRow("loop over the origin") << "loop" << us << QStringList{"attached /dev/loop3 -"};
    QTest::newRow("loop, via a symlinked path") << "loop-symlink" << us << QStringList{"attached /dev/loop3 -"};
    QTest::newRow("loop mounted read-write") << "loop-rw" << us << QStringList{"attached /dev/loop3 -", "mounted /dev/loop3 /mnt/img"};
    QTest::newRow("loop mounted read-only") << "loop-ro" << us << QStringList{"attached /dev/loop3 -"};
    QTest::newRow("loop partition mounted read-write")
        << "loop-part-rw" << us << QStringList{"attached /dev/loop3 -", "mounted /dev/loop3p2 /media/my disk"};
    QTest::newRow("two loops") << "two-loops" << us << QStringList{"attached /dev/loop3 -", "attached /dev/loop5 -"};
    QTest::newRow("kernel backend: its own loop is fine") << "loop" << k << QStringList{};
    QTest::newRow("kernel backend: a read-write mount is not") << "loop-rw" << k << QStringList{"mounted /dev/loop3 /mnt/img"};
}

void TestMergePlan::attachedOrMountedOriginIsRefused() {
    QFETCH(QString, setup);
    QFETCH(int, backend);
    QFETCH(QStringList, expected);
    TempDir dir;
    const std::string origin = dir.file("o.img"), cow = dir.file("a.cow");
    writeFile(origin, patternBytes(1, 0, 65536));
    writeFile(cow, patternBytes(2, 0, 65536));
    MergeEnvironment env{dir.file("proc"), dir.file("sys")};
    fs::create_directories(env.sysRoot + "/block/sda");
    writeText(env.sysRoot + "/block/sda/dev", "8:0\n");
    std::string mountinfo = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n";
    if (setup == "loop-other") fakeLoop(env.sysRoot, "loop3", "7:3", dir.file("other.img"));
    if (setup == "loop-deleted") fakeLoop(env.sysRoot, "loop3", "7:3", origin + " (deleted)");
    if (setup == "loop" || setup == "loop-rw" || setup == "loop-ro" || setup == "two-loops") fakeLoop(env.sysRoot, "loop3", "7:3", origin);
    if (setup == "two-loops") fakeLoop(env.sysRoot, "loop5", "7:5", origin);
    if (setup == "loop-symlink") {
        fs::create_symlink(dir.path(), dir.file("link"));
        fakeLoop(env.sysRoot, "loop3", "7:3", dir.file("link") + "/o.img");
    }
    if (setup == "loop-part-rw") fakeLoop(env.sysRoot, "loop3", "7:3", origin, {"loop3p1", "loop3p2"});
    if (setup == "loop-rw") mountinfo += "40 22 7:3 / /mnt/img rw,nosuid shared:5 - ext4 /dev/loop3 rw\n";
    if (setup == "loop-ro") mountinfo += "40 22 7:3 / /mnt/img ro,nosuid shared:5 - ext4 /dev/loop3 ro\n";
    if (setup == "loop-part-rw")
        mountinfo += "41 22 259:100 / /media/a ro - vfat /dev/loop3p1 ro\n"
                     "42 22 259:101 / /media/my\\040disk rw,relatime - ext4 /dev/loop3p2 rw\n";
    writeText(env.procRoot + "/self/mountinfo", mountinfo);

    auto refusals = mergeRefusals(origin, cow, BackendKind(backend), env);
    QStringList got;
    for (const auto& r : refusals) {
        got << QString("%1 %2 %3").arg(mergeRefusalKindName(r.kind), QString::fromStdString(r.device),
                                       r.mountPoint.empty() ? QStringLiteral("-") : QString::fromStdString(r.mountPoint));
        QCOMPARE(r.path, origin);
        QVERIFY(QString::fromStdString(r.message()).contains(QString::fromStdString(r.device)));
    }
    QCOMPARE(got, expected);
    Status st = checkMergeAllowed(origin, cow, BackendKind(backend), env);
    QCOMPARE(st.ok(), expected.isEmpty());
    if (!st.ok()) {
        QCOMPARE(int(st.error().code), int(ErrorCode::Busy));
        QCOMPARE(st.error().detail, std::string(refusals.front().kind == MergeRefusalKind::Attached ? "origin-attached" : "origin-mounted"));
    }
    // Memory devices have no files: never refused.
    QVERIFY(mergeRefusals(origin, cow, BackendKind::Memory, env).empty());
}

void TestMergePlan::heldOriginIsRefusedNamingTheHolderAndNothingIsWritten_data() {
    QTest::addColumn<QString>("held");   // which file the other process holds
    QTest::newRow("origin held") << "o.img";
    QTest::newRow("store held") << "a.cow";
}

void TestMergePlan::heldOriginIsRefusedNamingTheHolderAndNothingIsWritten() {
    QFETCH(QString, held);
    Rig rig(false);
    auto e = rig.engine();
    Made m = makeTwoSnapshots(rig, *e);
    // Everything closed here: the other process is the only one with the file open read-write.
    QVERIFY(e->closeDevice(m.originId).ok());
    const auto originBefore = rig.contents("o.img"), aBefore = rig.contents("a.cow"), bBefore = rig.contents("b.cow");

    LockHolder lock;
    QVERIFY(lock.start(rig.path(held.toStdString()), "lockholder"));
    const pid_t holder = lock.pid();
    auto plan = planMerge(*e, m.snapId);
    QVERIFY(plan.ok());
    QCOMPARE(plan->refusals.size(), size_t(1));
    const MergeRefusal& r = plan->refusals[0];
    QCOMPARE(int(r.kind), int(MergeRefusalKind::Held));
    QCOMPARE(r.pid, int64_t(holder));
    QCOMPARE(r.program, std::string("lockholder"));
    QCOMPARE(r.path, rig.path(held.toStdString()));

    auto job = e->startMerge(m.snapId);
    QVERIFY(!job.ok());
    QCOMPARE(int(job.error().code), int(ErrorCode::Busy));
    QCOMPARE(job.error().detail, std::string("origin-in-use"));
    QVERIFY(job.error().message.find(std::to_string(holder)) != std::string::npos);
    QVERIFY(job.error().message.find("lockholder") != std::string::npos);

    // The CLI refuses with the same words (exit 1, the holder on stderr).
    const std::string ws = rig.dir.file("cli-ws");
    CommandResult cli = runCommand("LOOPSNAP_WORKSPACE=" + ws + " " + loopsnapctl() + " merge --origin " + rig.path("o.img") +
                                   " --cow " + rig.path("a.cow") + " --other-cow " + rig.path("b.cow"));
    QCOMPARE(cli.exitCode, 1);
    QVERIFY2(cli.err.find("lockholder") != std::string::npos && cli.err.find(std::to_string(holder)) != std::string::npos, cli.err.c_str());

    QCOMPARE(rig.contents("o.img"), originBefore);
    QCOMPARE(rig.contents("a.cow"), aBefore);
    QCOMPARE(rig.contents("b.cow"), bBefore);
    QCOMPARE(int(e->snapshot(m.snapId)->state), int(DeviceState::Valid));

    lock.release();

    // The holder is gone: the same merge runs.
    plan = planMerge(*e, m.snapId);
    QVERIFY(plan.ok() && plan->allowed());
    job = e->startMerge(m.snapId);
    QVERIFY2(job.ok(), job.ok() ? "" : job.error().toString().c_str());
    auto done = e->waitJob(*job, 60s);
    QVERIFY(done.ok());
    QCOMPARE(int(done->state), int(JobState::Finished));
    QCOMPARE(readAll(*e->device(m.originId).value()), m.before);
    QCOMPARE(readAll(*e->device(m.otherId).value()), m.otherView);
    QCOMPARE(e->snapshot(m.snapId)->exceptions, uint64_t(0));
}

QTEST_GUILESS_MAIN(TestMergePlan)
#include "tst_merge_plan.moc"
