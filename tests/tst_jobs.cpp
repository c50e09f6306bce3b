// Jobs: one contract for merge, hydration, workloads and crash tests. Paused jobs make no
// progress, resumed ones finish, cancelled ones end as cancelled; a merge and a hydration stopped
// in one Engine resume in a new one; a failing job reports why. Rows: the memory and the file
// backend.
#include <QtTest>

#include <filesystem>

#include "core/backend/backend.h"
#include "core/engine/crashtest_runner.h"
#include "core/engine/engine.h"
#include "support/engine_rig.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t kChunk = 4096;


// An origin with a snapshot whose exceptions are not consecutive (one merge batch each), so a
// merge takes many steps. Returns the snapshot id; `before` is the origin at snapshot time.
// Memory merges a batch in microseconds: it gets many more, so that a pause or a cancel lands
// before the end.
uint64_t mergeChunks(const Rig& rig) { return rig.memory ? 8192 : 192; }

std::string snapshotWithScatteredExceptions(Rig& rig, Engine& e, std::vector<std::byte>& before, uint64_t chunks) {
    before = patternBytes(7, 0, chunks * 2 * kChunk);
    rig.makeDevice("o.img", before);
    uint64_t cowSize = (chunks + chunks / 256 + 8) * kChunk;
    auto s = e.createSnapshot({rig.path("o.img"), rig.path("s.cow"), cowSize, uint32_t(kChunk), "P"});
    if (!s.ok()) qFatal("createSnapshot: %s", s.error().toString().c_str());
    auto origin = e.device(s->originId).value();
    for (uint64_t i = chunks; i-- > 0;) {  // every other chunk, from the end: never consecutive
        auto data = patternBytes(100 + i, 0, kChunk);
        if (!origin->write(2 * i * kChunk, data).ok()) qFatal("origin write failed");
    }
    return s->id;
}

JobInfo waitFinal(Engine& e, uint64_t id) {
    auto info = e.waitJob(id, 120s);
    if (!info.ok()) qFatal("waitJob: %s", info.error().toString().c_str());
    return *info;
}

}  // namespace

class TestJobs : public QObject {
    Q_OBJECT
private slots:
    void mergePausedThenResumed_data() { backendRows(); }
    void mergePausedThenResumed();
    void mergeStoppedResumesInNewEngine_data() { backendRows(); }
    void mergeStoppedResumesInNewEngine();
    void hydrationStoppedResumesInNewEngine_data() { backendRows(); }
    void hydrationStoppedResumesInNewEngine();
    void workloadPausedResumedCancelled_data() { backendRows(); }
    void workloadPausedResumedCancelled();
    void failingHydrationReportsItsError();
    void crashTestJobs();
    void secondJobOnTheSameDeviceIsRefused();
};

void TestJobs::mergePausedThenResumed() {
    QFETCH(bool, memory);
    Rig rig(memory);
    auto e = rig.engine();
    std::vector<std::byte> before;
    std::string snap = snapshotWithScatteredExceptions(rig, *e, before, mergeChunks(rig));
    auto id = e->startMerge(snap);
    QVERIFY(id.ok());
    QVERIFY(e->pauseJob(*id).ok());
    std::this_thread::sleep_for(50ms);  // a batch that was running when pause came ends
    uint64_t done = e->job(*id)->progress.done;
    std::this_thread::sleep_for(150ms);
    auto paused = e->job(*id);
    QCOMPARE(int(paused->state), int(JobState::Paused));
    QCOMPARE(paused->progress.done, done);
    QCOMPARE(paused->progress.unit, std::string("chunks"));
    QCOMPARE(paused->progress.total, mergeChunks(rig));
    auto s = e->snapshot(snap);
    QCOMPARE(int(s->state), int(DeviceState::Merging));
    QVERIFY(s->mergeRunning);
    QVERIFY(e->resumeJob(*id).ok());
    JobInfo final = waitFinal(*e, *id);
    QCOMPARE(int(final.state), int(JobState::Finished));
    QCOMPARE(final.progress.done, mergeChunks(rig));
    QCOMPARE(final.progress.bytesDone, mergeChunks(rig) * kChunk);
    QVERIFY(!final.error);
    QVERIFY(e->closeDevice(s->originId).ok());
    QVERIFY(rig.contents("o.img") == before);  // rolled back
    QCOMPARE(int(e->snapshot(snap)->state), int(DeviceState::Valid));
    QCOMPARE(e->snapshot(snap)->exceptions, uint64_t(0));
    // The finished job holds nothing open: the origin opens again in this Engine.
    Status reopened = e->openDevice(s->originId);
    QVERIFY2(reopened.ok(), reopened.ok() ? "" : reopened.error().toString().c_str());
}

void TestJobs::mergeStoppedResumesInNewEngine() {
    QFETCH(bool, memory);
    Rig rig(memory);
    std::vector<std::byte> before;
    std::string snap;
    uint64_t doneInFirst = 0;
    {
        auto e = rig.engine();
        snap = snapshotWithScatteredExceptions(rig, *e, before, mergeChunks(rig));
        auto id = e->startMerge(snap);
        QVERIFY(id.ok());
        while (e->job(*id)->progress.done < 8 && !jobStateFinal(e->job(*id)->state)) std::this_thread::sleep_for(1ms);
        QVERIFY(e->cancelJob(*id).ok());
        JobInfo final = waitFinal(*e, *id);
        QCOMPARE(int(final.state), int(JobState::Cancelled));
        doneInFirst = final.progress.done;
        QVERIFY(doneInFirst < mergeChunks(rig));
    }  // the Engine closes everything
    auto e = rig.engine();
    auto s = e->snapshot(snap);
    QVERIFY(s.ok());
    QCOMPARE(int(s->state), int(DeviceState::Merging));  // interrupted: waits to be resumed
    QVERIFY(!s->mergeRunning);
    QCOMPARE(s->exceptions, mergeChunks(rig) - doneInFirst);
    // The origin refuses to open as if it were whole while the merge is unfinished.
    QVERIFY(!e->openDevice(s->originId).ok());
    auto id = e->startMerge(snap);
    QVERIFY2(id.ok(), id.ok() ? "" : id.error().toString().c_str());
    JobInfo final = waitFinal(*e, *id);
    QCOMPARE(int(final.state), int(JobState::Finished));
    QCOMPARE(final.progress.total, mergeChunks(rig) - doneInFirst);
    QVERIFY(e->closeDevice(s->originId).ok());
    QVERIFY(rig.contents("o.img") == before);
}

void TestJobs::hydrationStoppedResumesInNewEngine() {
    QFETCH(bool, memory);
    Rig rig(memory);
    auto source = patternBytes(9, 0, 8 << 20);
    rig.makeDevice("src.img", source);
    std::string cloneId;
    uint64_t hydratedAtStop = 0;
    {
        auto e = rig.engine();
        auto c = e->createClone({rig.path("src.img"), rig.path("dst.img"), rig.path("c.meta"), 4096});
        QVERIFY2(c.ok(), c.ok() ? "" : c.error().toString().c_str());
        cloneId = c->id;
        auto id = e->startHydration(cloneId, {1, 1});
        QVERIFY(id.ok());
        while (e->job(*id)->progress.done < 16 && !jobStateFinal(e->job(*id)->state)) std::this_thread::sleep_for(1ms);
        QVERIFY(e->cancelJob(*id).ok());
        JobInfo final = waitFinal(*e, *id);
        QVERIFY(final.state == JobState::Cancelled || final.state == JobState::Finished);
        QCOMPARE(final.progress.unit, std::string("regions"));
        hydratedAtStop = e->clone(cloneId)->hydratedRegions;
        QVERIFY(hydratedAtStop >= 16);
    }
    auto e = rig.engine();
    auto c = e->clone(cloneId);
    QVERIFY(c.ok());
    QVERIFY(!c->open);
    QCOMPARE(c->hydratedRegions, hydratedAtStop);  // committed before the job ended
    auto id = e->startHydration(cloneId, {4, 2});
    QVERIFY(id.ok());
    JobInfo final = waitFinal(*e, *id);
    QCOMPARE(int(final.state), int(JobState::Finished));
    QCOMPARE(final.progress.done, uint64_t(2048));
    QCOMPARE(int(e->clone(cloneId)->state), int(DeviceState::Hydrated));
    QVERIFY(e->closeDevice(cloneId).ok());
    QVERIFY(rig.contents("dst.img") == source);
}

void TestJobs::workloadPausedResumedCancelled() {
    QFETCH(bool, memory);
    Rig rig(memory);
    auto e = rig.engine();
    rig.makeDevice("o.img", patternBytes(3, 0, 2 << 20));
    auto s = e->createSnapshot({rig.path("o.img"), rig.path("s.cow"), 4 << 20, 16384, "P"});
    QVERIFY(s.ok());
    WorkloadRequest rq;
    rq.originId = s->originId;
    rq.snapshotId = s->id;
    rq.ops = 1'000'000'000;
    rq.pause = 200us;
    auto id = e->startWorkload(rq);
    QVERIFY(id.ok());
    while (e->job(*id)->progress.done < 10) std::this_thread::sleep_for(1ms);
    QVERIFY(e->pauseJob(*id).ok());
    std::this_thread::sleep_for(20ms);
    uint64_t done = e->job(*id)->progress.done;
    std::this_thread::sleep_for(100ms);
    QCOMPARE(e->job(*id)->progress.done, done);
    QCOMPARE(int(e->job(*id)->state), int(JobState::Paused));
    QVERIFY(e->resumeJob(*id).ok());
    while (e->job(*id)->progress.done < done + 10) std::this_thread::sleep_for(1ms);
    QVERIFY(e->cancelJob(*id).ok());
    JobInfo final = waitFinal(*e, *id);
    QCOMPARE(int(final.state), int(JobState::Cancelled));
    QVERIFY(final.progress.done >= done + 10);
    QVERIFY(final.progress.bytesDone > 0);
    QVERIFY(e->snapshot(s->id)->exceptions > 0);  // the origin writes copied on write
    QVERIFY(!e->resumeJob(*id).ok());             // final states stay final
}

void TestJobs::failingHydrationReportsItsError() {
    Rig rig(false);
    rig.makeDevice("src.img", patternBytes(4, 0, 4 << 20));
    auto e = rig.engine();
    auto c = e->createClone({rig.path("src.img"), rig.path("dst.img"), rig.path("c.meta"), 65536});
    QVERIFY(c.ok());
    QVERIFY(e->openDevice(c->id).ok());
    // The source loses its second half while the clone is open: hydrating it must fail.
    std::filesystem::resize_file(rig.path("src.img"), 2 << 20);
    auto id = e->startHydration(c->id, {1, 1});
    QVERIFY(id.ok());
    JobInfo final = waitFinal(*e, *id);
    QCOMPARE(int(final.state), int(JobState::Failed));
    QVERIFY(final.error.has_value());
    QVERIFY2(final.error->message.find("region") != std::string::npos, final.error->message.c_str());
    QVERIFY(final.summary.find("failed") != std::string::npos);
    QCOMPARE(final.progress.done, uint64_t(32));  // the first half was hydrated and is kept
}

void TestJobs::crashTestJobs() {
    Rig rig(true);
    auto e = rig.engine();
    auto none = e->startCrashTest({});
    QVERIFY(!none.ok());
    QCOMPARE(none.error().code, ErrorCode::Unsupported);
    e->setCrashTestRunner(inProcessCrashTestRunner());
    CrashTestRequest good{"snapshot", 3, 20, false};
    auto id = e->startCrashTest(good);
    QVERIFY(id.ok());
    JobInfo final = waitFinal(*e, *id);
    QCOMPARE(int(final.state), int(JobState::Finished));
    auto outcome = e->crashTestOutcome(*id);
    QVERIFY(outcome.ok());
    QVERIFY(!outcome->violation);
    QVERIFY(outcome->statesChecked > 0);
    QCOMPARE(final.progress.done, outcome->statesChecked);
    // The sweep's crash points reach the job's progress (the CLI's JSON progress lines read them).
    QVERIFY(outcome->crashPoints > 0);
    QCOMPARE(final.progress.crashPointsTotal, outcome->crashPoints);
    QCOMPARE(final.progress.crashPointsDone, outcome->crashPoints);
    QVERIFY(!e->pauseJob(*id).ok());
    auto bad = e->startCrashTest({"nonsense", 1, 0, false});
    QVERIFY(bad.ok());
    final = waitFinal(*e, *bad);
    QCOMPARE(int(final.state), int(JobState::Failed));
    QCOMPARE(final.error->detail, std::string("unknown-scenario"));
    QVERIFY(!e->crashTestOutcome(*bad).ok());

    // The structured fields of a violation: a snapshot leak's chunks and store geometry, a
    // clone's garbage region.
    auto leak = e->startCrashTest({"snapshot", 1, 0, true});
    QVERIFY(leak.ok());
    QCOMPARE(int(waitFinal(*e, *leak).state), int(JobState::Finished));
    outcome = e->crashTestOutcome(*leak);
    QVERIFY(outcome.ok() && outcome->violation);
    QCOMPARE(outcome->invariant, std::string("no-leaked-chunk"));
    QVERIFY(!outcome->leakedChunks.empty());
    QVERIFY(outcome->leakStore.has_value());
    QVERIFY(outcome->leakStore->chunkBytes > 0 && outcome->leakStore->totalChunks >= outcome->leakStore->nextFreeChunk);
    for (uint64_t c : outcome->leakedChunks) QVERIFY(c > 0 && c < outcome->leakStore->nextFreeChunk);
    auto garbage = e->startCrashTest({"clone", 1, 0, true});
    QVERIFY(garbage.ok());
    QCOMPARE(int(waitFinal(*e, *garbage).state), int(JobState::Finished));
    outcome = e->crashTestOutcome(*garbage);
    QVERIFY(outcome.ok() && outcome->violation);
    QVERIFY(outcome->garbageRegion.has_value());
    QVERIFY(!outcome->leakStore.has_value());

    // Progress while it runs, and a cancel between states.
    auto longRun = e->startCrashTest({"snapshot", 2, 300, false});
    QVERIFY(longRun.ok());
    QTRY_VERIFY_WITH_TIMEOUT(e->job(*longRun)->progress.done > 0, 60000);
    QVERIFY(e->cancelJob(*longRun).ok());
    final = waitFinal(*e, *longRun);
    QCOMPARE(int(final.state), int(JobState::Cancelled));
}

void TestJobs::secondJobOnTheSameDeviceIsRefused() {
    Rig rig(true);
    auto e = rig.engine();
    std::vector<std::byte> before;
    std::string snap = snapshotWithScatteredExceptions(rig, *e, before, mergeChunks(rig));
    auto id = e->startMerge(snap);
    QVERIFY(id.ok());
    QVERIFY(e->pauseJob(*id).ok());
    auto second = e->startMerge(snap);
    QVERIFY(!second.ok());
    QCOMPARE(second.error().code, ErrorCode::Busy);
    QVERIFY(!e->forget(snap).ok());
    QVERIFY(!e->closeDevice(snap).ok());
    QVERIFY(e->resumeJob(*id).ok());
    QCOMPARE(int(waitFinal(*e, *id).state), int(JobState::Finished));
    QCOMPARE(e->jobs().size(), size_t(1));
}

QTEST_GUILESS_MAIN(TestJobs)
#include "tst_jobs.moc"
