// Data safety of snapshots across commands (issue #11 items 1, 2, 4, 5, 6, 9): the origin carries
// its snapshots and its merge mark, refused commands leave nothing behind, read-only commands
// write nothing. Each test reproduces a gap through loopsnapctl (or the device-spec resolver
// serve uses) and checks the user-visible result.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

#include <functional>
#include <map>

#include "core/engine/engine.h"
#include "core/events/listener.h"
#include "core/export/device_spec.h"
#include "core/snapshot/snapshot_files.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;

namespace {

constexpr uint64_t K4 = 4096;

QJsonObject json(const std::string& out) {
    // The last non-empty line: progress lines may come first.
    auto lines = QString::fromStdString(out).split('\n', Qt::SkipEmptyParts);
    return lines.isEmpty() ? QJsonObject() : QJsonDocument::fromJson(lines.back().toUtf8()).object();
}

bool exists(const std::string& path) { return QFile::exists(QString::fromStdString(path)); }

std::string run(const std::string& args) { return loopsnapctl() + " " + args; }

// Runs loopsnapctl and requires success.
CommandResult ok(const std::string& args) {
    auto r = runCommand(run(args));
    if (r.exitCode != 0) qFatal("loopsnapctl %s failed: %s", args.c_str(), r.err.c_str());
    return r;
}

std::vector<std::byte> snapshotView(const std::string& origin, const std::string& cow, const std::string& out) {
    ok("snapshot read --origin " + origin + " --cow " + cow + " --out " + out);
    return readFile(out);
}

// Stops a merge after `batches` batches (from the merging thread, between batches).
class StopAfterBatches final : public EventListener {
public:
    StopAfterBatches(SnapshotMerge* merge, int batches) : merge_(merge), left_(batches) {}
    void onEvent(const Event& e) noexcept override {
        if (e.kind == EventKind::MergeBatch && --left_ == 0) merge_->stop();
    }

private:
    SnapshotMerge* merge_;
    int left_;
};

// o.img (1 MiB) with snapshot s.cow (4K chunks) holding exceptions for every other chunk, and
// the snapshot's view; then a merge stopped after three batches: the origin is half rolled back.
std::vector<std::byte> halfMergedOrigin(const TempDir& d, const std::vector<std::string>& otherCows = {}) {
    const std::string o = d.file("o.img"), s = d.file("s.cow");
    std::vector<std::byte> view;
    {
        auto opened = openSnapshotFiles(o, {s});
        if (!opened.ok()) qFatal("open: %s", opened.error().message.c_str());
        for (uint64_t c = 0; c < 200; c += 2)
            if (!opened->origin->write(c * K4, patternBytes(500 + c, 0, K4)).ok()) qFatal("origin write");
        view = readAll(*opened->snapshots[0]->device());
    }
    auto files = openMergeFiles(o, s, otherCows);
    if (!files.ok()) qFatal("merge: %s", files.error().message.c_str());
    auto stopper = std::make_shared<StopAfterBatches>(files->merge.get(), 3);
    files->opened.origin->events()->addListener(stopper);
    auto outcome = files->run();
    if (!outcome.ok() || outcome.value() != MergeOutcome::Stopped) qFatal("the merge was not stopped");
    return view;
}

// One way of writing to an origin. A data row of the property test names one; the engine facade
// adds its own entry here later.
using OriginWriter = std::function<void(const std::string& origin, const std::vector<std::string>& listed, uint64_t seed, const TempDir& d)>;

void writeThroughCli(const std::string& origin, const std::vector<std::string>& listed, uint64_t seed, const TempDir& d) {
    std::mt19937_64 rng(seed);
    std::string cows;
    for (const auto& c : listed) cows += " --cow " + c;
    for (int i = 0; i < 12; ++i) {
        uint64_t len = 512 * (1 + rng() % 64), off = (rng() % ((1 << 20) - len)) / 512 * 512;
        writeFile(d.file("in.bin"), patternBytes(seed * 100 + i, 0, len));
        ok("origin write --origin " + origin + cows + " --offset " + std::to_string(off) + " --in " + d.file("in.bin"));
    }
}

void writeThroughWorkload(const std::string& origin, const std::vector<std::string>& listed, uint64_t seed, const TempDir&) {
    std::string cows;
    for (const auto& c : listed) cows += " --cow " + c;
    ok("workload --origin " + origin + cows + " --seed " + std::to_string(seed) + " --ops 150");
}

// The resolver `serve` and `attach` use: an NBD client's writes arrive as these device writes.
void writeThroughOriginExport(const std::string& origin, const std::vector<std::string>& listed, uint64_t seed, const TempDir&) {
    std::string spec = "origin:" + origin;
    for (const auto& c : listed) spec += ":" + c;
    auto served = openDeviceSpecs({spec});
    if (!served.ok()) qFatal("open %s: %s", spec.c_str(), served.error().message.c_str());
    auto& dev = *served->front().device;
    std::mt19937_64 rng(seed);
    for (int i = 0; i < 60; ++i) {
        uint64_t len = 512 * (1 + rng() % 96), off = (rng() % ((1 << 20) - len)) / 512 * 512;
        if (!dev.write(off, patternBytes(seed * 1000 + i, 0, len), WriteFlags{.fua = rng() % 4 == 0}).ok()) qFatal("export write");
    }
    if (!dev.flush().ok()) qFatal("export flush");
}

// The engine facade (what the desktop app uses): its workspace names the listed snapshots (at
// least one, so that it knows the origin); the origin record brings in the others.
void writeThroughFacade(const std::string& origin, const std::vector<std::string>& listed, uint64_t seed, const TempDir& d) {
    EngineOptions eo;
    eo.workspaceDir = d.file("facade-workspace");
    auto engine = Engine::open(eo);
    if (!engine.ok()) qFatal("engine: %s", engine.error().message.c_str());
    std::vector<std::string> named = listed;
    if (named.empty()) {
        auto record = readOriginRecord(origin);
        if (!record.ok() || record->snapshots.empty()) qFatal("no recorded snapshot of %s", origin.c_str());
        named.push_back(record->snapshots.front());
    }
    for (const auto& cow : named) {
        if ((*engine)->idForPath(cow)) continue;
        auto added = (*engine)->addSnapshot(origin, cow);
        if (!added.ok()) qFatal("add %s: %s", cow.c_str(), added.error().message.c_str());
    }
    auto originId = (*engine)->idForPath(origin);
    if (!originId) qFatal("the workspace does not know %s", origin.c_str());
    auto dev = (*engine)->device(*originId);
    if (!dev.ok()) qFatal("device: %s", dev.error().message.c_str());
    std::mt19937_64 rng(seed);
    for (int i = 0; i < 60; ++i) {
        uint64_t len = 512 * (1 + rng() % 96), off = (rng() % ((1 << 20) - len)) / 512 * 512;
        if (!(*dev)->write(off, patternBytes(seed * 3000 + i, 0, len)).ok()) qFatal("facade write");
    }
    if (!(*dev)->flush().ok()) qFatal("facade flush");
}

const std::map<QString, OriginWriter>& originWriters() {
    static const std::map<QString, OriginWriter> writers{
        {"cli origin write", writeThroughCli},
        {"cli workload", writeThroughWorkload},
        {"nbd origin export (openDeviceSpecs)", writeThroughOriginExport},
        {"engine facade (Engine::device)", writeThroughFacade},
    };
    return writers;
}

}  // namespace

class TestCliSnapshotSafety : public QObject {
    Q_OBJECT
private slots:
    // Item 1: a half-merged origin.
    void halfMergedOriginIsRefusedEverywhere_data();
    void halfMergedOriginIsRefusedEverywhere();
    // Item 2: the origin record.
    void unnamedSnapshotKeepsItsView();
    void resumedMergeKeepsTheOtherSnapshots();
    void goneSnapshotIsNamedAndCanBeForgotten();
    void storeBelongsToOneOrigin();
    void plainWriteOfAnOriginIsRefused();
    void randomOriginWritesKeepEveryRecordedView_data();
    void randomOriginWritesKeepEveryRecordedView();
    // Item 4.
    void transientStoreKeepsItsChunkSize();
    // Item 5.
    void refusedCreateLeavesNoFile_data();
    void refusedCreateLeavesNoFile();
    // Item 6.
    void readOnlyCommandsWriteNothing_data();
    void readOnlyCommandsWriteNothing();
    void readOnlyServeOfAnImmutableOrigin();
    // Item 9.
    void snapshotOfAnEmptyOriginStaysEmpty();
};

void TestCliSnapshotSafety::halfMergedOriginIsRefusedEverywhere_data() {
    QTest::addColumn<QString>("args");  // {O} origin, {S} the merging store, {T} another recorded store, {N} a new store, {D} the folder
    QTest::newRow("origin write without --cow") << "origin write --origin {O} --offset 4K --in {D}/in.bin";
    QTest::newRow("origin write naming another store") << "origin write --origin {O} --cow {N} --offset 4K --in {D}/in.bin";
    QTest::newRow("workload without the merging store") << "workload --origin {O} --cow {N} --seed 1 --ops 5";
    QTest::newRow("snapshot create") << "snapshot create --origin {O} --cow {N} --cow-size 1M --chunk 4K";
    QTest::newRow("snapshot read of the merging store") << "snapshot read --origin {O} --cow {S} --out {D}/view";
    QTest::newRow("serve file:") << "serve --socket {D}/sock --export f=file:{O}";
    QTest::newRow("serve file: read-only") << "serve --read-only --socket {D}/sock --export f=file:{O}";
    QTest::newRow("serve origin:") << "serve --socket {D}/sock --export b=origin:{O}";
    QTest::newRow("serve origin: read-only") << "serve --read-only --socket {D}/sock --export b=origin:{O}";
    QTest::newRow("merge of the other snapshot") << "merge --origin {O} --cow {T}";
    QTest::newRow("forget of the merging store") << "snapshot forget --origin {O} --cow {S}";
}

void TestCliSnapshotSafety::halfMergedOriginIsRefusedEverywhere() {
    QFETCH(QString, args);
    TempDir d;
    const std::string o = d.file("o.img"), s = d.file("s.cow");
    writeFile(o, patternBytes(1, 0, 1 << 20));
    ok("snapshot create --origin " + o + " --cow " + s + " --cow-size 2M --chunk 4K");
    ok("snapshot create --origin " + o + " --cow " + d.file("t.cow") + " --cow-size 2M --chunk 8K");  // another, recorded
    auto view = halfMergedOrigin(d);
    writeFile(d.file("in.bin"), patternBytes(2, 0, K4));  // chunk 1: not merged yet
    auto originBefore = readFile(o);
    auto cowBefore = readFile(s);
    auto otherBefore = readFile(d.file("t.cow"));

    QString line = args;
    line.replace("{O}", QString::fromStdString(o)).replace("{S}", QString::fromStdString(s)).replace("{N}", QString::fromStdString(d.file("n.cow")));
    line.replace("{D}", QString::fromStdString(d.path())).replace("{T}", QString::fromStdString(d.file("t.cow")));
    QStringList argv = QString("--json " + line).split(' ');
    QProcess p;
    p.start(QString::fromStdString(loopsnapctl()), argv);
    QVERIFY(p.waitForStarted());
    if (!p.waitForFinished(5000)) {
        p.kill();
        p.waitForFinished();
        QFAIL("the command accepted the half-merged origin (still running)");
    }
    std::string out = p.readAllStandardOutput().toStdString(), err = p.readAllStandardError().toStdString();
    QCOMPARE(p.exitCode(), 1);
    auto e = json(out)["error"].toObject();
    QCOMPARE(e["code"].toString(), QString("Busy"));
    QCOMPARE(e["detail"].toString(), QString("merge-unfinished"));
    QCOMPARE(e["subject"].toString(), QString::fromStdString(o));
    QVERIFY2(err.find(s) != std::string::npos, err.c_str());  // names the merging store
    QVERIFY2(err.find("loopsnapctl merge --origin " + o + " --cow " + s) != std::string::npos, err.c_str());
    QVERIFY(readFile(o) == originBefore);
    QVERIFY(readFile(s) == cowBefore);
    QVERIFY(readFile(d.file("t.cow")) == otherBefore);
    QVERIFY(!exists(d.file("n.cow")) && !exists(d.file("n.cow.loopsnap")));
    // Nothing was lost: the merge resumes and gives the origin the snapshot's contents.
    ok("merge --origin " + o + " --cow " + s);
    QVERIFY(readFile(o) == view);
}

void TestCliSnapshotSafety::unnamedSnapshotKeepsItsView() {
    TempDir d;
    const std::string o = d.file("o.img"), s1 = d.file("s1.cow"), s2 = d.file("s2.cow");
    auto at = patternBytes(3, 0, 1 << 20);
    writeFile(o, at);
    ok("snapshot create --origin " + o + " --cow " + s1 + " --cow-size 2M --chunk 4K");
    ok("snapshot create --origin " + o + " --cow " + s2 + " --cow-size 2M --chunk 16K");
    writeFile(d.file("in.bin"), patternBytes(4, 0, 40000));
    ok("origin write --origin " + o + " --cow " + s1 + " --offset 12K --in " + d.file("in.bin"));
    QVERIFY(readFile(o) != at);
    QVERIFY2(snapshotView(o, s2, d.file("v2")) == at, "the snapshot that was not named keeps the origin as it was");
    QVERIFY(snapshotView(o, s1, d.file("v1")) == at);
    auto r = ok("--json snapshot status --cow " + s2);
    QVERIFY(json(r.out)["exceptions"].toInt() > 0);
}

void TestCliSnapshotSafety::resumedMergeKeepsTheOtherSnapshots() {
    TempDir d;
    const std::string o = d.file("o.img"), s = d.file("s.cow"), s2 = d.file("s2.cow");
    writeFile(o, patternBytes(5, 0, 1 << 20));
    ok("snapshot create --origin " + o + " --cow " + s + " --cow-size 2M --chunk 4K");
    {  // s2 is taken after some writes, so it differs from s
        auto opened = openSnapshotFiles(o, {s});
        QVERIFY(opened.ok());
        for (uint64_t c = 1; c < 250; c += 3) QVERIFY(opened->origin->write(c * K4, patternBytes(600 + c, 0, K4)).ok());
    }
    ok("snapshot create --origin " + o + " --cow " + s2 + " --cow-size 2M --chunk 8K");
    auto s2View = readFile(o);
    halfMergedOrigin(d, {s2});
    // Resumed without naming s2: the record keeps it in the merge.
    auto r = ok("--json merge --origin " + o + " --cow " + s);
    QCOMPARE(json(r.out)["resumed"].toBool(), true);
    QVERIFY2(snapshotView(o, s2, d.file("v2")) == s2View, "the other snapshot of the interrupted merge is intact");
}

void TestCliSnapshotSafety::goneSnapshotIsNamedAndCanBeForgotten() {
    TempDir d;
    const std::string o = d.file("o.img"), s1 = d.file("s1.cow"), s2 = d.file("s2.cow");
    auto at = patternBytes(6, 0, 1 << 20);
    writeFile(o, at);
    ok("snapshot create --origin " + o + " --cow " + s1 + " --cow-size 2M --chunk 4K");
    ok("snapshot create --origin " + o + " --cow " + s2 + " --cow-size 2M --chunk 4K");
    QVERIFY(QFile::remove(QString::fromStdString(s2)));
    writeFile(d.file("in.bin"), patternBytes(7, 0, 8192));
    const std::string write = "--json origin write --origin " + o + " --cow " + s1 + " --offset 0 --in " + d.file("in.bin");
    auto r = runCommand(run(write));
    QCOMPARE(r.exitCode, 1);
    auto e = json(r.out)["error"].toObject();
    QCOMPARE(e["detail"].toString(), QString("snapshot-missing"));
    QVERIFY2(r.err.find(s2) != std::string::npos, r.err.c_str());
    QVERIFY2(r.err.find("loopsnapctl snapshot forget --origin " + o + " --cow " + s2) != std::string::npos, r.err.c_str());
    QVERIFY(readFile(o) == at);
    auto s1Before = readFile(s1);
    r = runCommand(run("--json snapshot forget --origin " + o + " --cow " + s2));
    QCOMPARE(r.exitCode, 0);
    QVERIFY(readFile(s1) == s1Before);  // forget touches no store
    QVERIFY(!exists(s2));
    ok(write);
    QVERIFY(snapshotView(o, s1, d.file("v1")) == at);
    // Forgetting it again: it is not recorded any more.
    r = runCommand(run("--json snapshot forget --origin " + o + " --cow " + s2));
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(json(r.out)["error"].toObject()["detail"].toString(), QString("not-recorded"));
}

void TestCliSnapshotSafety::storeBelongsToOneOrigin() {
    TempDir d;
    const std::string o1 = d.file("o1.img"), o2 = d.file("o2.img"), s = d.file("s.cow");
    writeFile(o1, patternBytes(8, 0, 1 << 20));
    writeFile(o2, patternBytes(9, 0, 1 << 20));
    ok("snapshot create --origin " + o1 + " --cow " + s + " --cow-size 2M --chunk 4K");
    writeFile(d.file("in.bin"), patternBytes(10, 0, 4096));
    auto o2Before = readFile(o2), sBefore = readFile(s);
    auto r = runCommand(run("--json origin write --origin " + o2 + " --cow " + s + " --offset 0 --in " + d.file("in.bin")));
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(json(r.out)["error"].toObject()["detail"].toString(), QString("other-origin"));
    QVERIFY(readFile(o2) == o2Before && readFile(s) == sBefore);
    QVERIFY(!exists(o2 + ".loopsnap-origin"));
}

void TestCliSnapshotSafety::plainWriteOfAnOriginIsRefused() {
    TempDir d;
    const std::string o = d.file("o.img"), s = d.file("s.cow");
    writeFile(o, patternBytes(11, 0, 1 << 20));
    ok("snapshot create --origin " + o + " --cow " + s + " --cow-size 2M --chunk 4K");
    auto writable = openDeviceSpecs({"file:" + o});
    QVERIFY(!writable.ok());
    QCOMPARE(writable.error().detail, std::string("origin-has-snapshots"));
    auto readOnly = openDeviceSpecs({"file:" + o}, DeviceSpecOptions{.readOnly = true});
    QVERIFY2(readOnly.ok(), readOnly.ok() ? "" : readOnly.error().message.c_str());
}

void TestCliSnapshotSafety::randomOriginWritesKeepEveryRecordedView_data() {
    QTest::addColumn<QString>("writer");
    QTest::addColumn<uint64_t>("seed");
    QTest::addColumn<int>("listed");  // how many of the three snapshots the writer names
    for (const auto& [name, fn] : originWriters()) {
        (void)fn;
        for (uint64_t seed : {1, 2}) {
            for (int listed : {0, 1, 3}) {
                if (name == "cli workload" && listed == 0) continue;  // workload needs a --cow
                QTest::newRow(qPrintable(QString("%1, seed %2, %3 named").arg(name).arg(seed).arg(listed))) << name << seed << listed;
            }
        }
    }
}

void TestCliSnapshotSafety::randomOriginWritesKeepEveryRecordedView() {
    QFETCH(QString, writer);
    QFETCH(uint64_t, seed);
    QFETCH(int, listed);
    TempDir d;
    const std::string o = d.file("o.img");
    writeFile(o, patternBytes(seed, 0, 1 << 20));
    // Three snapshots taken at three moments (chunk sizes 4K, 16K, 64K), each with a copy of the
    // origin as it was then.
    std::vector<std::string> cows;
    std::vector<std::vector<std::byte>> atSnapshot;
    const char* chunks[] = {"4K", "16K", "64K"};
    for (int i = 0; i < 3; ++i) {
        cows.push_back(d.file("s" + std::to_string(i) + ".cow"));
        ok("snapshot create --origin " + o + " --cow " + cows.back() + " --cow-size 3M --chunk " + chunks[i]);
        atSnapshot.push_back(readFile(o));
        originWriters().at(writer)(o, {cows.begin(), cows.begin() + std::min<int>(listed, i + 1)}, seed * 10 + i, d);
    }
    originWriters().at(writer)(o, {cows.begin(), cows.begin() + listed}, seed * 10 + 7, d);
    QVERIFY(readFile(o) != atSnapshot[0]);
    for (int i = 0; i < 3; ++i) {
        // The workload also writes to the snapshots it names: their views change by design.
        bool writtenDirectly = writer == "cli workload" && i < listed;
        if (writtenDirectly) continue;
        QVERIFY2(snapshotView(o, cows[i], d.file("view")) == atSnapshot[i], cows[i].c_str());
    }
}

void TestCliSnapshotSafety::transientStoreKeepsItsChunkSize() {
    TempDir d;
    const std::string o = d.file("o.img");
    writeFile(o, patternBytes(12, 0, 1 << 20));
    writeFile(d.file("in.bin"), patternBytes(13, 0, 100));
    ok("snapshot create --origin " + o + " --cow " + d.file("n.cow") + " --cow-size 1M --chunk 4K --store N");
    auto r = ok("--json origin write --origin " + o + " --cow " + d.file("n.cow") + " --offset 0 --in " + d.file("in.bin"));
    auto snaps = json(r.out)["snapshots"].toArray();
    QCOMPARE(snaps.size(), 1);
    QCOMPARE(snaps[0].toObject()["status"].toString(), QString("8/2048 0"));  // dm-snap-transient: next_free in sectors
    QCOMPARE(snaps[0].toObject()["chunk_sectors"].toInt(), 8);
    // A store of three 4K chunks is enough for a transient store with 4K chunks.
    ok("snapshot create --origin " + o + " --cow " + d.file("small.cow") + " --cow-size 12K --chunk 4K --store N");
    ok("origin write --origin " + o + " --cow " + d.file("small.cow") + " --offset 0 --in " + d.file("in.bin"));
}

void TestCliSnapshotSafety::refusedCreateLeavesNoFile_data() {
    QTest::addColumn<QString>("args");
    QTest::addColumn<QString>("existing");  // what is at the store's path before: none|garbage|zeros
    QTest::addColumn<QString>("detail");
    QTest::newRow("P store smaller than three chunks") << "--cow-size 8K --chunk 4K" << "none" << "store-too-small";
    QTest::newRow("PO store smaller than three chunks") << "--cow-size 32K --chunk 16K --store PO" << "none" << "store-too-small";
    QTest::newRow("N store smaller than one chunk") << "--cow-size 2K --chunk 4K --store N" << "none" << "store-too-small";
    QTest::newRow("existing file with a bad magic") << "--chunk 4K" << "garbage" << "bad-magic";
    QTest::newRow("existing new store too small") << "--chunk 16K" << "zeros" << "store-too-small";
    QTest::newRow("chunk not a power of two") << "--cow-size 1M --chunk 12K" << "none" << "";
}

void TestCliSnapshotSafety::refusedCreateLeavesNoFile() {
    QFETCH(QString, args);
    QFETCH(QString, existing);
    QFETCH(QString, detail);
    TempDir d;
    const std::string o = d.file("o.img"), s = d.file("s.cow");
    writeFile(o, patternBytes(14, 0, 1 << 20));
    if (existing == "garbage") writeFile(s, patternBytes(15, 0, 64 << 10));
    if (existing == "zeros") writeFile(s, std::vector<std::byte>(32 << 10));
    std::vector<std::byte> before;
    if (existing != "none") before = readFile(s);
    auto r = runCommand(run("--json snapshot create --origin " + o + " --cow " + s + " " + args.toStdString()));
    QCOMPARE(r.exitCode, 1);
    if (!detail.isEmpty()) QCOMPARE(json(r.out)["error"].toObject()["detail"].toString(), detail);
    if (existing == "none") QVERIFY2(!exists(s), "the refused create left the store");
    else QVERIFY(readFile(s) == before);
    QVERIFY2(!exists(s + ".loopsnap"), "the refused create left a sidecar");
    QVERIFY2(!exists(o + ".loopsnap-origin"), "the refused create recorded the store");
    QDir dir(QString::fromStdString(d.path()));
    QVERIFY2(dir.entryList(QDir::Files).size() == (existing == "none" ? 1 : 2), qPrintable(dir.entryList(QDir::Files).join(' ')));
    // A retry with good settings succeeds.
    if (existing == "none") ok("snapshot create --origin " + o + " --cow " + s + " --cow-size 1M --chunk 4K");
}

void TestCliSnapshotSafety::readOnlyCommandsWriteNothing_data() {
    QTest::addColumn<QString>("command");
    QTest::newRow("snapshot read") << "read";
    QTest::newRow("serve --read-only snapshot:") << "serve";
    QTest::newRow("serve --read-only origin:") << "serve-origin";
}

void TestCliSnapshotSafety::readOnlyCommandsWriteNothing() {
    QFETCH(QString, command);
    TempDir d;
    const std::string o = d.file("o.img"), s = d.file("s.cow");
    auto origin = patternBytes(16, 0, 1 << 20);
    writeFile(o, origin);
    writeFile(s, std::vector<std::byte>(1 << 20));  // a new store (magic 0), never formatted
    if (command == "read") {
        auto r = runCommand(run("--json snapshot read --origin " + o + " --cow " + s + " --out " + d.file("view")));
        QVERIFY2(r.exitCode == 0, r.err.c_str());
        QVERIFY2(readFile(d.file("view")) == origin, "a new store read read-only shows the origin");
    } else {
        std::string spec = command == "serve" ? "s=snapshot:" + o + ":" + s : "s=origin:" + o + ":" + s;
        QProcess serve;
        serve.start(QString::fromStdString(loopsnapctl()),
                    {"--json", "serve", "--read-only", "--socket", QString::fromStdString(d.file("sock")), "--export", QString::fromStdString(spec)});
        QVERIFY(serve.waitForStarted());
        QVERIFY2(serve.waitForReadyRead(5000), serve.readAllStandardError().constData());
        auto hello = QJsonDocument::fromJson(serve.readLine()).object();
        QCOMPARE(hello["serving"].toArray().size(), 1);
        QCOMPARE(hello["serving"].toArray()[0].toObject()["read_only"].toBool(), true);
        serve.terminate();
        QVERIFY(serve.waitForFinished(10000));
        QCOMPARE(serve.exitCode(), 0);
    }
    QVERIFY2(readFile(s) == std::vector<std::byte>(1 << 20), "the store was written");
    QVERIFY(readFile(o) == origin);
    QVERIFY(!exists(s + ".loopsnap"));
    QVERIFY(!exists(o + ".loopsnap-origin"));
}

void TestCliSnapshotSafety::readOnlyServeOfAnImmutableOrigin() {
    TempDir d;
    const std::string o = d.file("o.img"), s = d.file("s.cow");
    writeFile(o, patternBytes(17, 0, 1 << 20));
    ok("snapshot create --origin " + o + " --cow " + s + " --cow-size 2M --chunk 4K");
    auto attr = runCommand("chattr +i " + o);
    if (attr.exitCode != 0) QSKIP(qPrintable("chattr +i does not work here (needs root and a file system with the immutable flag): " + QString::fromStdString(attr.err)));
    struct Mutable {
        std::string path;
        ~Mutable() { (void)runCommand("chattr -i " + path); }
    } undo{o};
    QProcess serve;
    serve.start(QString::fromStdString(loopsnapctl()), {"--json", "serve", "--read-only", "--socket", QString::fromStdString(d.file("sock")),
                                                        "--export", QString::fromStdString("s=snapshot:" + o + ":" + s)});
    QVERIFY(serve.waitForStarted());
    bool ready = serve.waitForReadyRead(5000);
    std::string line = serve.readLine().toStdString();
    QVERIFY2(ready && json(line).contains("serving"), (line + serve.readAllStandardError().toStdString()).c_str());
    serve.terminate();
    QVERIFY(serve.waitForFinished(10000));
    QCOMPARE(serve.exitCode(), 0);
}

void TestCliSnapshotSafety::snapshotOfAnEmptyOriginStaysEmpty() {
    TempDir d;
    const std::string o = d.file("o.img"), s = d.file("s.cow");
    writeFile(o, {});
    ok("snapshot create --origin " + o + " --cow " + s + " --cow-size 64K --chunk 4K");
    writeFile(o, patternBytes(18, 0, 64 << 10));  // truncate -s 64K, with data
    QCOMPARE(snapshotView(o, s, d.file("view")).size(), size_t(0));
    auto before = readFile(o);
    auto r = runCommand(run("--json merge --origin " + o + " --cow " + s));
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.find("bytes long but the origin is") != std::string::npos, r.err.c_str());
    QVERIFY(readFile(o) == before);
}

QTEST_GUILESS_MAIN(TestCliSnapshotSafety)
#include "tst_cli_snapshot_safety.moc"
