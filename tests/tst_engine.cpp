// The Engine facade end to end, on the memory and on the file backend: snapshots with different
// chunk sizes added one after the other to an open origin while a writer runs (every view checked
// against a model), and a clone hydrating while it is read and written.
#include <QtTest>

#include <atomic>
#include <mutex>
#include <random>
#include <thread>

#include "support/engine_rig.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;
using namespace std::chrono_literals;

namespace {

// Writes seeded random blocks to a device and applies each to a model, holding `lock` across
// both so that whoever takes the lock sees the device and the model agree.
class ModelWriter {
public:
    ModelWriter(std::shared_ptr<BlockDevice> device, std::vector<std::byte>& model, std::mutex& lock, uint64_t seed)
        : device_(std::move(device)), model_(model), lock_(lock), rng_(seed) {}
    ~ModelWriter() { stop(); }
    void start() {
        thread_ = std::thread([this] {
            while (!stop_.load()) {
                step();
                std::this_thread::yield();
            }
        });
    }
    void stop() {
        stop_.store(true);
        if (thread_.joinable()) thread_.join();
        device_.reset();  // an I/O handle keeps its device open
    }
    uint64_t writes() const { return writes_.load(); }
    bool failed() const { return failed_.load(); }

private:
    void step() {
        uint64_t len = 512 * (1 + rng_() % 64);
        uint64_t off = 512 * (rng_() % ((model_.size() - len) / 512 + 1));
        auto data = patternBytes(rng_(), off, len);
        std::lock_guard g(lock_);
        if (!device_->write(off, data).ok()) failed_.store(true);
        std::copy(data.begin(), data.end(), model_.begin() + off);
        writes_.fetch_add(1);
    }
    std::shared_ptr<BlockDevice> device_;
    std::vector<std::byte>& model_;
    std::mutex& lock_;
    std::mt19937_64 rng_;
    std::atomic<bool> stop_{false}, failed_{false};
    std::atomic<uint64_t> writes_{0};
    std::thread thread_;
};

void waitForWrites(const ModelWriter& w, uint64_t atLeast) {
    while (w.writes() < atLeast) std::this_thread::sleep_for(1ms);
}

}  // namespace

class TestEngine : public QObject {
    Q_OBJECT
private slots:
    void snapshotsAddedToAnOpenOriginWhileAWriterRuns_data() { backendRows(); }
    void snapshotsAddedToAnOpenOriginWhileAWriterRuns();
    void cloneHydratingWhileReadAndWritten_data() { backendRows(); }
    void cloneHydratingWhileReadAndWritten();
    void refusesBadInputWithoutRecording_data() { backendRows(); }
    void refusesBadInputWithoutRecording();
};

void TestEngine::snapshotsAddedToAnOpenOriginWhileAWriterRuns() {
    QFETCH(bool, memory);
    Rig rig(memory);
    constexpr uint64_t kSize = 2 << 20;
    std::vector<std::byte> model = patternBytes(1, 0, kSize);
    rig.makeDevice("o.img", model);
    auto e = rig.engine();

    // The origin enters the workspace with a first snapshot, then opens and gets a writer.
    auto first = e->createSnapshot({rig.path("o.img"), rig.path("a.cow"), 4 << 20, 4096, "P"});
    QVERIFY2(first.ok(), first.ok() ? "" : first.error().toString().c_str());
    std::vector<std::byte> modelA = model;
    auto origin = e->device(first->originId);
    QVERIFY(origin.ok());
    std::mutex lock;
    ModelWriter writer(*origin, model, lock, 42);
    writer.start();
    waitForWrites(writer, 50);

    // A second snapshot with another chunk size, added while the writer runs.
    std::vector<std::byte> modelB;
    std::string idB;
    {
        std::lock_guard g(lock);
        auto second = e->createSnapshot({rig.path("o.img"), rig.path("b.cow"), 4 << 20, 65536, "P"});
        QVERIFY2(second.ok(), second.ok() ? "" : second.error().toString().c_str());
        QVERIFY(second->open);
        QCOMPARE(second->chunkBytes, 65536u);
        modelB = model;
        idB = second->id;
    }
    waitForWrites(writer, writer.writes() + 50);

    // A third one, with a third chunk size.
    std::vector<std::byte> modelC;
    std::string idC;
    {
        std::lock_guard g(lock);
        auto third = e->createSnapshot({rig.path("o.img"), rig.path("c.cow"), 4 << 20, 16384, "P"});
        QVERIFY(third.ok());
        modelC = model;
        idC = third->id;
    }
    waitForWrites(writer, writer.writes() + 50);

    // The snapshot views are writable: a write to A changes A only.
    auto viewA = e->device(first->id);
    QVERIFY(viewA.ok());
    auto mine = patternBytes(77, 0, 12288);
    QVERIFY((*viewA)->write(8192, mine).ok());
    std::copy(mine.begin(), mine.end(), modelA.begin() + 8192);

    writer.stop();
    QVERIFY(!writer.failed());
    QCOMPARE(readAll(**origin), model);
    QCOMPARE(readAll(**viewA), modelA);
    QCOMPARE(readAll(*e->device(idB).value()), modelB);
    QCOMPARE(readAll(*e->device(idC).value()), modelC);

    auto o = e->origin(first->originId);
    QCOMPARE(o->snapshotIds, (std::vector<std::string>{first->id, idB, idC}));
    QVERIFY(o->open);
    for (auto& s : e->snapshots()) {
        QCOMPARE(int(s.state), int(DeviceState::Valid));
        QVERIFY(s.exceptions > 0);
        QVERIFY(s.open);
    }
    auto trace = e->snapshotTrace(idB);
    QVERIFY(trace.ok());
    QCOMPARE(trace->committed, e->snapshot(idB)->exceptions);
    auto layout = e->storeLayout(idB);
    QVERIFY(layout.ok());
    QCOMPARE(layout->chunkBytes, uint64_t(65536));

    // Closed and reopened in a new Engine, every view still matches its model.
    QVERIFY(e->closeDevice(first->originId).ok());
    QVERIFY(!e->snapshot(idB)->open);
    uint64_t exceptionsB = e->snapshot(idB)->exceptions;
    // An I/O handle keeps its device (and its file) open until it is released.
    origin = makeError(ErrorCode::Aborted, "released");
    viewA = makeError(ErrorCode::Aborted, "released");
    e.reset();
    e = rig.engine();
    QCOMPARE(e->snapshot(idB)->exceptions, exceptionsB);  // read from the store, not open
    Status reopened = e->openDevice(first->originId);
    QVERIFY2(reopened.ok(), reopened.ok() ? "" : reopened.error().toString().c_str());
    QCOMPARE(readAll(*e->device(first->originId).value()), model);
    QCOMPARE(readAll(*e->device(first->id).value()), modelA);
    QCOMPARE(readAll(*e->device(idB).value()), modelB);
    QCOMPARE(readAll(*e->device(idC).value()), modelC);
}

void TestEngine::cloneHydratingWhileReadAndWritten() {
    QFETCH(bool, memory);
    Rig rig(memory);
    constexpr uint64_t kSize = 4 << 20;
    std::vector<std::byte> model = patternBytes(5, 0, kSize);
    rig.makeDevice("src.img", model);
    std::vector<std::byte> source = model;
    auto e = rig.engine();
    auto c = e->createClone({rig.path("src.img"), rig.path("dst.img"), rig.path("c.meta"), 16384});
    QVERIFY2(c.ok(), c.ok() ? "" : c.error().toString().c_str());
    QCOMPARE(int(c->state), int(DeviceState::Hydrating));
    auto dev = e->device(c->id);
    QVERIFY(dev.ok());
    auto job = e->startHydration(c->id, {2, 2});
    QVERIFY(job.ok());
    QVERIFY(e->tuneHydration(c->id, {4, 1}).ok());
    std::mt19937_64 rng(9);
    int ops = 0;
    while (!jobStateFinal(e->job(*job)->state) || ops < 200) {
        uint64_t len = 512 * (1 + rng() % 96);
        uint64_t off = 512 * (rng() % ((kSize - len) / 512 + 1));
        if (rng() % 2) {
            std::vector<std::byte> got(len);
            QVERIFY((*dev)->read(off, got).ok());
            QVERIFY(std::equal(got.begin(), got.end(), model.begin() + off));
        } else {
            auto data = patternBytes(rng(), off, len);
            QVERIFY((*dev)->write(off, data).ok());
            std::copy(data.begin(), data.end(), model.begin() + off);
        }
        ++ops;
    }
    JobInfo final = e->waitJob(*job, 60s).value();
    QCOMPARE(int(final.state), int(JobState::Finished));
    auto info = e->clone(c->id);
    QCOMPARE(int(info->state), int(DeviceState::Hydrated));
    QCOMPARE(info->hydratedRegions, info->totalRegions);
    QCOMPARE(info->hydrationThreshold, 4u);
    auto map = e->cloneRegionMap(c->id);
    QVERIFY(map.ok());
    QVERIFY(std::all_of(map->regions.begin(), map->regions.end(), [](uint8_t r) { return r == 2; }));
    QCOMPARE(readAll(**dev), model);
    QVERIFY(e->closeDevice(c->id).ok());
    QCOMPARE(rig.contents("dst.img"), model);
    QCOMPARE(rig.contents("src.img"), source);  // the source is never written
}

void TestEngine::refusesBadInputWithoutRecording() {
    QFETCH(bool, memory);
    Rig rig(memory);
    rig.makeDevice("o.img", patternBytes(1, 0, 1 << 20));
    rig.makeDevice("junk.cow", patternBytes(2, 0, 1 << 20));  // not a store
    auto e = rig.engine();
    auto bad = e->addSnapshot(rig.path("o.img"), rig.path("junk.cow"));
    QVERIFY(!bad.ok());
    auto badChunk = e->createSnapshot({rig.path("o.img"), rig.path("x.cow"), 1 << 20, 3000, "P"});
    QVERIFY(!badChunk.ok());
    QCOMPARE(badChunk.error().code, ErrorCode::InvalidArgument);
    auto noOrigin = e->createSnapshot({rig.path("none.img"), rig.path("y.cow"), 1 << 20, 4096, "P"});
    QVERIFY(!noOrigin.ok());
    auto noClone = e->addClone(rig.path("none.meta"));
    QVERIFY(!noClone.ok());
    QCOMPARE(noClone.error().code, ErrorCode::NotFound);
    QVERIFY(e->origins().empty());
    QVERIFY(e->snapshots().empty());
    QVERIFY(e->clones().empty());
    QCOMPARE(rig.contents("junk.cow"), patternBytes(2, 0, 1 << 20));  // untouched
    QCOMPARE(e->device("nosuch").error().code, ErrorCode::NotFound);
}

QTEST_GUILESS_MAIN(TestEngine)
#include "tst_engine.moc"
