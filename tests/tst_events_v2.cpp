// Events, version 2 (core/events/event.h): typed payloads in the order the engine performed the
// steps (snapshot lifecycle, copies and commits, a merge paused, resumed and stopped, a clone
// hydrating to the end, a job's progress, sources unregistered when their device closes), and,
// with a deliberately tiny ring, drops counted per source with one marker each, after which a
// consumer that resyncs from status matches status exactly.
#include <QtTest>

#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/events/event_ring.h"
#include "core/io/memory_device.h"
#include "core/snapshot/snapshot.h"
#include "core/snapshot/snapshot_merge.h"
#include "support/engine_rig.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<Engine> openEngine(Rig& rig, size_t ringCapacity) {
    EngineOptions o;
    o.workspaceDir = rig.dir.file("ws");
    o.eventRingCapacity = ringCapacity;
    if (rig.memory) o.backendInstance = asBackend(rig.mem);
    auto e = Engine::open(o);
    if (!e.ok()) qFatal("Engine::open: %s", e.error().toString().c_str());
    return std::move(e).value();
}

int64_t steadyClockNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<Event> drainAll(EventRing& ring) {
    std::vector<Event> out;
    ring.drain(out);
    return out;
}

std::vector<Event> ofSource(const std::vector<Event>& all, uint32_t source) {
    std::vector<Event> out;
    for (const Event& e : all)
        if (e.source == source) out.push_back(e);
    return out;
}

size_t indexOf(const std::vector<Event>& v, EventKind kind, size_t from = 0) {
    for (size_t i = from; i < v.size(); ++i)
        if (v[i].kind == kind) return i;
    return SIZE_MAX;
}

// Counts what was published, per source (a second listener beside the ring).
class PublishedCounter final : public EventListener {
public:
    void onEvent(const Event& e) noexcept override {
        std::lock_guard lock(mutex);
        ++perSource[e.source];
    }
    uint64_t of(uint32_t source) {
        std::lock_guard lock(mutex);
        return perSource[source];
    }
    std::mutex mutex;
    std::map<uint32_t, uint64_t> perSource;
};

// A consumer of the kind the live views are: counts from events, resync from status after a
// drop marker of its source (then only events stamped after the sample count).
struct CountingView {
    uint32_t source = 0;
    uint64_t count = 0;        // committed exceptions (snapshot) or hydrated regions (clone)
    int64_t sampledAtNs = 0;
    uint64_t resyncs = 0;
    bool sawMarker = false;
};

}  // namespace

class TestEventsV2 : public QObject {
    Q_OBJECT
private slots:
    void typedSnapshotEventsInOrder_data() { backendRows(); }
    void typedSnapshotEventsInOrder();
    void mergePausedResumedStoppedInOrder();
    void cloneHydrationAndJobProgressInOrder_data() { backendRows(); }
    void cloneHydrationAndJobProgressInOrder();
    void tinyRingCountsDropsPerSourceAndResyncMatchesStatus_data() { backendRows(); }
    void tinyRingCountsDropsPerSourceAndResyncMatchesStatus();
    void ringMarksUntrackedDropsAndPublishNeedsNoListenerLock();
};

void TestEventsV2::typedSnapshotEventsInOrder() {
    QFETCH(bool, memory);
    Rig rig(memory);
    rig.makeDevice("o.img", patternBytes(1, 0, 1 << 20));
    auto e = openEngine(rig, 1 << 14);
    auto snap = e->createSnapshot({rig.path("o.img"), rig.path("a.cow"), 2 << 20, 4096, "P"});
    QVERIFY2(snap.ok(), snap.ok() ? "" : snap.error().toString().c_str());
    drainAll(e->eventRing());

    LS_QVERIFY_OK(e->openDevice(snap->originId));
    auto trace = e->snapshotTrace(snap->id);
    LS_QVERIFY_OK(trace);
    const uint32_t src = trace->eventSource;
    QVERIFY(src != 0);
    QCOMPARE(QString::fromStdString(e->eventSink()->sourceName(src)).startsWith("snapshot:"), true);
    {
        auto origin = e->device(snap->originId);
        LS_QVERIFY_OK(origin);
        // Three chunks in one write, then one of them again (no new exception).
        LS_QVERIFY_OK((*origin)->write(0, patternBytes(2, 0, 3 * 4096)));
        LS_QVERIFY_OK((*origin)->write(4096, patternBytes(3, 4096, 512)));
    }
    std::vector<Event> ev = ofSource(drainAll(e->eventRing()), src);
    QVERIFY(!ev.empty());
    QCOMPARE(ev[0].kind, EventKind::SourceRegistered);
    QCOMPARE(ev[1].kind, EventKind::SnapshotAttached);
    QCOMPARE(ev[1].a, uint64_t(4096));  // chunk bytes
    QCOMPARE(ev[1].b, uint64_t(0));     // exceptions loaded

    std::map<uint64_t, uint64_t> allocatedCow;  // seq -> COW chunk
    std::set<uint64_t> finished;
    std::vector<uint64_t> committed;
    for (const Event& x : ev) {
        if (x.kind == EventKind::ExceptionAllocated) {
            ExceptionPayload p = x.exception();
            QCOMPARE(p.originChunk, p.seq);  // chunks 0, 1, 2 in order
            allocatedCow[p.seq] = p.cowChunk;
        } else if (x.kind == EventKind::CopyStarted) {
            QVERIFY(allocatedCow.count(x.exception().seq));
        } else if (x.kind == EventKind::CopyFinished) {
            QVERIFY(x.exception().ok);
            QVERIFY(!x.error());
            finished.insert(x.exception().seq);
        } else if (x.kind == EventKind::ExceptionCommitted) {
            ExceptionPayload p = x.exception();
            QVERIFY2(finished.count(p.seq), "committed before its copy finished");
            QCOMPARE(p.cowChunk, allocatedCow[p.seq]);
            committed.push_back(p.seq);
        }
    }
    QCOMPARE(allocatedCow.size(), size_t(3));
    QCOMPARE(committed, (std::vector<uint64_t>{0, 1, 2}));  // in sequence

    // The legacy switch is per snapshot and at run time.
    LS_QVERIFY_OK(e->setLegacyCompletionOrder(snap->id, true));
    QVERIFY(e->snapshotTrace(snap->id)->legacyCompletionOrder);
    LS_QVERIFY_OK(e->setLegacyCompletionOrder(snap->id, false));
    QVERIFY(!e->snapshotTrace(snap->id)->legacyCompletionOrder);
    QCOMPARE(e->setLegacyCompletionOrder("s-none", true).error().code, ErrorCode::NotFound);

    // Closing the device unregisters its source: SourceUnregistered is its last event.
    // (The last reference may be a copy job's, released just after the job: wait for it.)
    LS_QVERIFY_OK(e->closeDevice(snap->originId));
    QTRY_VERIFY_WITH_TIMEOUT(!e->eventSink()->sourceRegistered(src), 5000);
    ev = ofSource(drainAll(e->eventRing()), src);
    QVERIFY(!ev.empty());
    QCOMPARE(ev.back().kind, EventKind::SourceUnregistered);
    QCOMPARE(ev[ev.size() - 2].kind, EventKind::SnapshotDetached);
    // A reopen gets a new id: ids are never reused.
    LS_QVERIFY_OK(e->openDevice(snap->id));
    QVERIFY(e->snapshotTrace(snap->id)->eventSource != src);
}

void TestEventsV2::mergePausedResumedStoppedInOrder() {
    // Core level: the merge's control events come from the merge thread, between batches.
    constexpr uint64_t kChunks = 64;
    auto originMem = std::make_shared<MemoryDevice>(patternBytes(5, 0, kChunks * 4096), "origin");
    auto cowMem = std::make_shared<MemoryDevice>((kChunks + 16) * 4096, "cow");
    auto ring = std::make_shared<EventRing>(1 << 12);
    auto sink = std::make_shared<EventSink>();
    QVERIFY(sink->addListener(ring));
    std::shared_ptr<SnapshotMerge> merge;
    uint32_t src = 0;
    {
        auto origin = Origin::create(originMem, OriginOptions{.events = sink});
        auto snap = origin->attachSnapshot(cowMem, SnapshotOptions{.chunkBytes = 4096}).value();
        src = snap->eventSource();
        // Every other chunk, so the merge has many one-chunk batches.
        for (uint64_t c = 0; c < kChunks; c += 2) LS_QVERIFY_OK(origin->write(c * 4096, patternBytes(c, c * 4096, 4096)));
        LS_QVERIFY_OK(origin->flush());
        drainAll(*ring);
        merge = SnapshotMerge::begin(origin, snap).value();
        struct PauseAt final : EventListener {
            std::weak_ptr<SnapshotMerge> merge;
            uint32_t source = 0;
            void onEvent(const Event& e) noexcept override {
                if (e.source != source || e.kind != EventKind::MergeBatch) return;
                if (auto m = merge.lock()) {
                    if (e.merge().batch == 3) m->pause();   // listener.h allows pause/stop
                    if (e.merge().batch == 6) m->stop();
                }
            }
        };
        auto pauser = std::make_shared<PauseAt>();
        pauser->merge = merge;
        pauser->source = src;
        QVERIFY(sink->addListener(pauser));
        Result<MergeOutcome> outcome = makeError(ErrorCode::Aborted, "not run");
        std::thread worker([&] { outcome = merge->run(); });
        QTRY_VERIFY_WITH_TIMEOUT(merge->paused(), 5000);
        std::this_thread::sleep_for(50ms);
        merge->resume();
        worker.join();
        LS_QVERIFY_OK(outcome);
        QCOMPARE(outcome.value(), MergeOutcome::Stopped);
    }
    std::vector<Event> ev = ofSource(drainAll(*ring), src);
    // StateChanged valid -> merging (begin), MergeStarted, batches 1..3, paused, resumed,
    // batches 4..6, stopped.
    size_t state = indexOf(ev, EventKind::StateChanged);
    QVERIFY(state != SIZE_MAX);
    QCOMPARE(ev[state].stateChange().previous, DeviceState::Valid);
    QCOMPARE(ev[state].stateChange().next, DeviceState::Merging);
    size_t started = indexOf(ev, EventKind::MergeStarted, state);
    size_t paused = indexOf(ev, EventKind::MergePaused, started);
    size_t resumed = indexOf(ev, EventKind::MergeResumed, paused);
    size_t stopped = indexOf(ev, EventKind::MergeStopped, resumed);
    QVERIFY(started != SIZE_MAX && paused != SIZE_MAX && resumed != SIZE_MAX && stopped != SIZE_MAX);
    QCOMPARE(ev[started].merge().chunksLeft, kChunks / 2);
    std::vector<uint64_t> batchesBeforePause, batchesAfter;
    for (size_t i = started; i < stopped; ++i)
        if (ev[i].kind == EventKind::MergeBatch) (i < paused ? batchesBeforePause : batchesAfter).push_back(ev[i].merge().batch);
    QCOMPARE(batchesBeforePause, (std::vector<uint64_t>{1, 2, 3}));
    QCOMPARE(batchesAfter, (std::vector<uint64_t>{4, 5, 6}));
    // Chunks left when it held and when it stopped agree with the batches before them.
    QCOMPARE(ev[paused].merge().chunksLeft, kChunks / 2 - 3);
    QCOMPARE(ev[resumed].merge().chunksLeft, kChunks / 2 - 3);
    QCOMPARE(ev[stopped].merge().chunksLeft, kChunks / 2 - 6);
    QCOMPARE(merge->remainingChunks(), kChunks / 2 - 6);
}

void TestEventsV2::cloneHydrationAndJobProgressInOrder() {
    QFETCH(bool, memory);
    Rig rig(memory);
    constexpr uint64_t kRegion = 64 * 1024, kRegions = 48;
    rig.makeDevice("src.img", patternBytes(7, 0, kRegion * kRegions));
    auto e = openEngine(rig, 1 << 14);
    auto clone = e->createClone({rig.path("src.img"), rig.path("dst.img"), rig.path("c.meta"), kRegion});
    QVERIFY2(clone.ok(), clone.ok() ? "" : clone.error().toString().c_str());
    LS_QVERIFY_OK(e->openDevice(clone->id));
    auto map = e->cloneRegionMap(clone->id);
    LS_QVERIFY_OK(map);
    const uint32_t src = map->eventSource;
    QVERIFY(src != 0);
    QVERIFY(QString::fromStdString(e->eventSink()->sourceName(src)).startsWith("clone:"));
    drainAll(e->eventRing());

    // Foreground I/O is counted whether or not it hydrates: a read of unhydrated regions.
    {
        auto dev = e->device(clone->id);
        LS_QVERIFY_OK(dev);
        std::vector<std::byte> buf(3 * 4096);
        LS_QVERIFY_OK((*dev)->read(0, buf));
        LS_QVERIFY_OK((*dev)->write(kRegion * 5, patternBytes(8, 0, 4096)));  // partial: user-triggered hydration
    }
    auto info = e->clone(clone->id);
    QCOMPARE(info->foregroundBytesRead, uint64_t(3 * 4096));
    QCOMPARE(info->foregroundBytesWritten, uint64_t(4096));

    auto job = e->startHydration(clone->id, HydrationTuning{4, 2});
    LS_QVERIFY_OK(job);
    auto done = e->waitJob(*job, 20s);
    LS_QVERIFY_OK(done);
    QCOMPARE(done->state, JobState::Finished);
    // The job's source publishes its last progress (finished) and unregisters.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (const JobInfo& j : e->jobs())
                if (j.id == *job) return jobStateFinal(j.state);
            return false;
        }(),
        5000);
    std::this_thread::sleep_for(300ms);  // the progress thread's last round
    std::vector<Event> all = drainAll(e->eventRing());
    std::vector<Event> ev = ofSource(all, src);

    uint64_t hydrated = 0;
    for (const Event& x : ev)
        if (x.kind == EventKind::RegionHydrated) hydrated += x.regions().count;
    QCOMPARE(hydrated, kRegions);
    size_t toHydrated = SIZE_MAX;
    for (size_t i = 0; i < ev.size(); ++i)
        if (ev[i].kind == EventKind::StateChanged) toHydrated = i;
    QVERIFY(toHydrated != SIZE_MAX);
    QCOMPARE(ev[toHydrated].stateChange().previous, DeviceState::Hydrating);
    QCOMPARE(ev[toHydrated].stateChange().next, DeviceState::Hydrated);
    // No region is hydrated after the state says hydrated.
    QCOMPARE(indexOf(ev, EventKind::RegionHydrationStarted, toHydrated), SIZE_MAX);
    size_t finishedAt = indexOf(ev, EventKind::HydrationFinished);
    QVERIFY(finishedAt != SIZE_MAX);
    QCOMPARE(ev[finishedAt].regions().count, kRegions);

    // JobProgress: one source for the job, running first, finished last with done == total.
    std::vector<Event> progress;
    for (const Event& x : all)
        if (x.kind == EventKind::JobProgress && x.job().jobId == *job) progress.push_back(x);
    QVERIFY(progress.size() >= 2);
    const uint32_t jobSource = progress.front().source;
    for (const Event& p : progress) QCOMPARE(p.source, jobSource);
    QCOMPARE(progress.front().job().state, JobState::Running);
    QCOMPARE(progress.back().job().state, JobState::Finished);
    QCOMPARE(progress.back().job().done, kRegions);
    QCOMPARE(progress.back().job().total, kRegions);
    for (size_t i = 1; i < progress.size(); ++i) QVERIFY(progress[i].job().done >= progress[i - 1].job().done);
    std::vector<Event> jobEvents = ofSource(all, jobSource);
    QCOMPARE(jobEvents.front().kind, EventKind::SourceRegistered);
    QCOMPARE(jobEvents.back().kind, EventKind::SourceUnregistered);

    LS_QVERIFY_OK(e->closeDevice(clone->id));
    QTRY_VERIFY_WITH_TIMEOUT(!e->eventSink()->sourceRegistered(src), 5000);
    ev = ofSource(drainAll(e->eventRing()), src);
    QVERIFY(!ev.empty());
    QCOMPARE(ev.back().kind, EventKind::SourceUnregistered);
}

void TestEventsV2::tinyRingCountsDropsPerSourceAndResyncMatchesStatus() {
    QFETCH(bool, memory);
    Rig rig(memory);
    constexpr uint64_t kSize = 1 << 20, kRegion = 64 * 1024;
    rig.makeDevice("o.img", patternBytes(11, 0, kSize));
    rig.makeDevice("src.img", patternBytes(12, 0, kSize));
    auto e = openEngine(rig, 16);  // deliberately tiny
    auto counter = std::make_shared<PublishedCounter>();
    QVERIFY(e->eventSink()->addListener(counter));
    auto a = e->createSnapshot({rig.path("o.img"), rig.path("a.cow"), 2 << 20, 4096, "P"});
    auto b = e->createSnapshot({rig.path("o.img"), rig.path("b.cow"), 2 << 20, 16384, "P"});
    auto c = e->createClone({rig.path("src.img"), rig.path("dst.img"), rig.path("c.meta"), kRegion});
    QVERIFY(a.ok() && b.ok() && c.ok());
    LS_QVERIFY_OK(e->openDevice(a->originId));
    LS_QVERIFY_OK(e->openDevice(c->id));
    CountingView va{e->snapshotTrace(a->id)->eventSource}, vb{e->snapshotTrace(b->id)->eventSource},
        vc{e->cloneRegionMap(c->id)->eventSource};
    QVERIFY(va.source && vb.source && vc.source && va.source != vb.source);

    // Nobody drains while the engine works: the ring fills after 16 events, the rest drop.
    std::set<uint64_t> chunksA;
    {
        auto origin = e->device(a->originId).value();
        for (uint64_t i = 0; i < 40; ++i) {
            uint64_t off = (i * 7919 * 4096) % kSize;
            LS_QVERIFY_OK(origin->write(off, patternBytes(i, off, 4096)));
            chunksA.insert(off / 4096);
        }
        auto cl = e->device(c->id).value();
        for (uint64_t r = 0; r < 10; ++r) LS_QVERIFY_OK(cl->write(r * kRegion, patternBytes(r, r * kRegion, kRegion)));
    }
    EventRing& ring = e->eventRing();
    QVERIFY(ring.dropped() > 0);
    // Per source: what the ring delivered plus what it dropped is what was published.
    std::vector<Event> batch = drainAll(ring);
    std::map<uint32_t, uint64_t> delivered, markedLost;
    uint64_t markers = 0;
    for (const Event& x : batch) {
        if (x.kind == EventKind::EventsDropped) {
            ++markers;
            QCOMPARE(x.drops().lost, x.drops().lostTotal);  // first marker of each source
            markedLost[x.source] += x.drops().lost;
        } else {
            ++delivered[x.source];
        }
    }
    uint64_t sumDropped = 0;
    for (uint32_t s : {va.source, vb.source, vc.source}) {
        QVERIFY2(ring.droppedFor(s) > 0, "every source published after the ring was full");
        QCOMPARE(markedLost[s], ring.droppedFor(s));
        QCOMPARE(delivered[s] + ring.droppedFor(s), counter->of(s));
    }
    for (auto& [s, n] : markedLost) sumDropped += n;
    QCOMPARE(sumDropped, ring.dropped());
    QCOMPARE(ring.droppedFor(kAllSources), uint64_t(0));
    QVERIFY(markers >= 3);
    // A drain with no new drop carries no marker.
    std::vector<Event> again = drainAll(ring);
    QCOMPARE(indexOf(again, EventKind::EventsDropped), SIZE_MAX);

    // The consumer: events count, a marker of its source resyncs it from status.
    auto statusOf = [&](CountingView& v) -> uint64_t {
        if (v.source == vc.source) return e->clone(c->id)->hydratedRegions;
        const std::string id = v.source == va.source ? a->id : b->id;
        return e->snapshot(id)->exceptions;
    };
    auto apply = [&](CountingView& v, const std::vector<Event>& events) {
        for (const Event& x : events) {
            if (x.kind == EventKind::EventsDropped && (x.source == v.source || x.source == kAllSources)) {
                v.sawMarker = true;
                v.count = statusOf(v);
                v.sampledAtNs = steadyClockNs();
                ++v.resyncs;
                continue;
            }
            if (x.source != v.source || x.timeNs <= v.sampledAtNs) continue;
            if (x.kind == EventKind::ExceptionCommitted) ++v.count;
            if (x.kind == EventKind::RegionHydrated || x.kind == EventKind::RegionsDiscarded) v.count += x.regions().count;
        }
    };
    // A view that ignored the markers would be wrong: the drops hid most commits.
    uint64_t naive = 0;
    for (const Event& x : batch)
        if (x.source == va.source && x.kind == EventKind::ExceptionCommitted) ++naive;
    QVERIFY(naive < chunksA.size());
    for (CountingView* v : {&va, &vb, &vc}) {
        apply(*v, batch);
        QVERIFY(v->sawMarker);
        QCOMPARE(v->resyncs, uint64_t(1));
    }
    QCOMPARE(va.count, uint64_t(chunksA.size()));
    QCOMPARE(va.count, e->snapshot(a->id)->exceptions);
    QCOMPARE(va.count, e->snapshotTrace(a->id)->committed);
    QCOMPARE(vb.count, e->snapshot(b->id)->exceptions);
    QCOMPARE(vc.count, uint64_t(10));
    QCOMPARE(vc.count, e->clone(c->id)->hydratedRegions);

    // Drained in time, the same tiny ring loses nothing and the views follow from events alone.
    const uint64_t droppedBefore = ring.dropped();
    {
        auto origin = e->device(a->originId).value();
        for (uint64_t i = 0; i < 20; ++i) {
            uint64_t off = kSize - (i + 1) * 4096;
            LS_QVERIFY_OK(origin->write(off, patternBytes(100 + i, off, 512)));
            chunksA.insert(off / 4096);
            std::vector<Event> small = drainAll(ring);
            for (CountingView* v : {&va, &vb}) apply(*v, small);
        }
    }
    QCOMPARE(ring.dropped(), droppedBefore);
    QCOMPARE(va.resyncs, uint64_t(1));
    QCOMPARE(va.count, uint64_t(chunksA.size()));
    QCOMPARE(va.count, e->snapshot(a->id)->exceptions);
    QCOMPARE(vb.count, e->snapshot(b->id)->exceptions);
}

void TestEventsV2::ringMarksUntrackedDropsAndPublishNeedsNoListenerLock() {
    // More dropping sources than the ring tracks: the rest are counted under kAllSources.
    EventRing ring(2);
    QVERIFY(ring.push(Event{EventKind::CopyStarted, 1}));
    QVERIFY(ring.push(Event{EventKind::CopyStarted, 1}));
    const uint32_t sources = uint32_t(EventRing::kDropSlots) + 40;
    for (uint32_t s = 1; s <= sources; ++s) QVERIFY(!ring.push(Event{EventKind::CopyStarted, s}));
    QCOMPARE(ring.dropped(), uint64_t(sources));
    uint64_t tracked = 0;
    for (uint32_t s = 1; s <= sources; ++s) tracked += ring.droppedFor(s);
    QVERIFY(ring.droppedFor(kAllSources) > 0);
    QCOMPARE(tracked + ring.droppedFor(kAllSources), uint64_t(sources));
    std::vector<Event> out;
    ring.drain(out);
    QCOMPARE(out.size(), size_t(2) + size_t(tracked) + 1);  // 2 events, one marker per tracked source, one for the rest
    QCOMPARE(out.back().source, kAllSources);
    QCOMPARE(out.back().kind, EventKind::EventsDropped);

    // The sink caps its listeners (a fixed array: publish takes no lock and allocates nothing).
    EventSink sink;
    std::vector<std::shared_ptr<EventRing>> rings;
    for (size_t i = 0; i < EventSink::kMaxListeners; ++i) {
        rings.push_back(std::make_shared<EventRing>(4));
        QVERIFY(sink.addListener(rings.back()));
    }
    QVERIFY(!sink.addListener(std::make_shared<EventRing>(4)));
    Event x{EventKind::HydrationStopped, 3, 0, 9};
    sink.publish(x.withError(ErrorCode::IOError));
    for (auto& r : rings) {
        std::vector<Event> got;
        r->drain(got);
        QCOMPARE(got.size(), size_t(1));
        QCOMPARE(got[0].regions().first, uint64_t(9));
        QCOMPARE(*got[0].error(), ErrorCode::IOError);
        QVERIFY(got[0].timeNs > 0);
    }
}

QTEST_GUILESS_MAIN(TestEventsV2)
#include "tst_events_v2.moc"
