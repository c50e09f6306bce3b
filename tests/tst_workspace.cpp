// The workspace: what a user created or added is still there after a restart, a crash while
// saving keeps the old or the new list, a store that is gone is listed as missing and hides
// nothing, several processes adding at once keep every entry, and the CLI's list/add/forget
// keep the JSON fields of cli-contract.md.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "core/engine/engine.h"
#include "core/engine/workspace.h"
#include "core/posix/atomic_file.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;

namespace {

std::unique_ptr<Engine> openEngine(const std::string& dir) {
    EngineOptions o;
    o.workspaceDir = dir;
    auto e = Engine::open(o);
    if (!e.ok()) qFatal("Engine::open: %s", e.error().toString().c_str());
    return std::move(e).value();
}

void makeImage(const std::string& path, uint64_t size, uint64_t seed) { writeFile(path, patternBytes(seed, 0, size)); }

// A workspace folder with an origin, two snapshots and a clone, all created through the engine.
struct Populated {
    TempDir files;
    std::string ws = files.file("ws");
    std::string origin = files.file("o.img"), cowA = files.file("a.cow"), cowB = files.file("b.cow");
    std::string source = files.file("src.img"), dest = files.file("dst.img"), meta = files.file("c.meta");
    std::string snapA, snapB, cloneId;
    Populated() {
        makeImage(origin, 1 << 20, 1);
        makeImage(source, 1 << 20, 2);
        auto e = openEngine(ws);
        snapA = e->createSnapshot({origin, cowA, 512 << 10, 4096, "P"})->id;
        snapB = e->createSnapshot({origin, cowB, 512 << 10, 16384, "P"})->id;
        cloneId = e->createClone({source, dest, meta, 64 << 10})->id;
    }
};

QJsonObject json(const std::string& out) { return QJsonDocument::fromJson(QByteArray::fromStdString(out)).object(); }

}  // namespace

class TestWorkspace : public QObject {
    Q_OBJECT
private slots:
    void formatRoundTrips();
    void survivesRestart();
    void tornTemporaryFileKeepsTheSavedList();
    void killedWhileSavingKeepsOldOrNew();
    void concurrentProcessesKeepEveryEntry();
    void goneStoreIsMissingAndHidesNothing_data();
    void goneStoreIsMissingAndHidesNothing();
    void forgetTouchesNoFile();
    void cliListAddForgetFields();
};

void TestWorkspace::formatRoundTrips() {
    WorkspaceList l;
    std::string o = l.allocateId('o');
    l.origins.push_back({o, "/a b/origin\nwith newline\\and backslash", BackendKind::Userspace});
    l.snapshots.push_back({l.allocateId('s'), o, "/x/s.cow", BackendKind::Kernel});
    l.clones.push_back({l.allocateId('c'), "/x/c.meta", BackendKind::Userspace});
    auto back = parseWorkspace(formatWorkspace(l));
    QVERIFY(back.ok());
    QCOMPARE(back->nextId, l.nextId);
    QCOMPARE(back->origins.at(0).path, l.origins[0].path);
    QCOMPARE(back->snapshots.at(0).originId, o);
    QCOMPARE(int(back->snapshots.at(0).backend), int(BackendKind::Kernel));
    QCOMPARE(back->clones.at(0).metaPath, std::string("/x/c.meta"));
    auto bad = parseWorkspace("something else\n");
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().detail, std::string("bad-workspace"));
}

void TestWorkspace::survivesRestart() {
    Populated p;
    auto e = openEngine(p.ws);
    auto origins = e->origins();
    QCOMPARE(origins.size(), size_t(1));
    QCOMPARE(origins[0].path, std::filesystem::absolute(p.origin).lexically_normal().string());
    QCOMPARE(origins[0].snapshotIds, (std::vector<std::string>{p.snapA, p.snapB}));
    auto a = e->snapshot(p.snapA);
    QVERIFY(a.ok());
    QCOMPARE(a->chunkBytes, 4096u);
    QCOMPARE(int(a->state), int(DeviceState::Valid));
    QCOMPARE(e->snapshot(p.snapB)->chunkBytes, 16384u);
    auto c = e->clone(p.cloneId);
    QVERIFY(c.ok());
    QCOMPARE(c->totalRegions, uint64_t(16));
    QCOMPARE(e->idForPath(p.cowB).value_or(""), p.snapB);
    // Ids are never reused: a new entry after a restart gets a fresh one.
    std::string cowC = p.files.file("c.cow");
    auto s = e->createSnapshot({p.origin, cowC, 256 << 10, 4096, "P"});
    QVERIFY(s.ok());
    QVERIFY(s->id != p.snapA && s->id != p.snapB && s->id != p.cloneId);
    QCOMPARE(s->originId, origins[0].id);
}

void TestWorkspace::tornTemporaryFileKeepsTheSavedList() {
    Populated p;
    std::string before = readWholeFile(p.ws + "/workspace").value();
    // A crash after writing part of the temporary file and before the rename.
    {
        std::ofstream torn(p.ws + "/workspace.tmp.99999");
        torn << before.substr(0, before.size() / 2) << "origin o9 userspace /tor";
    }
    auto e = openEngine(p.ws);
    QCOMPARE(e->snapshots().size(), size_t(2));
    QCOMPARE(e->clones().size(), size_t(1));
    // The next save replaces the list as a whole and the torn file changes nothing.
    QVERIFY(e->forget(p.cloneId).ok());
    auto reread = parseWorkspace(readWholeFile(p.ws + "/workspace").value());
    QVERIFY(reread.ok());
    QCOMPARE(reread->clones.size(), size_t(0));
    QCOMPARE(reread->snapshots.size(), size_t(2));
}

void TestWorkspace::killedWhileSavingKeepsOldOrNew() {
    TempDir d;
    std::string ws = d.file("ws");
    for (int round = 0; round < 6; ++round) {
        pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            auto w = Workspace::open(ws, true);
            for (int i = 0;; ++i) {
                auto r = w.value()->update([&](WorkspaceList& l) {
                    l.clones.push_back({l.allocateId('c'), "/nowhere/clone-" + std::to_string(i) + ".meta", BackendKind::Userspace});
                    return okStatus();
                });
                if (!r.ok()) ::_exit(1);
            }
        }
        ::usleep(20000 + round * 7000);
        ::kill(child, SIGKILL);
        int status = 0;
        ::waitpid(child, &status, 0);
        auto w = Workspace::open(ws, true);
        auto list = w.value()->load();
        QVERIFY2(list.ok(), list.ok() ? "" : list.error().toString().c_str());
        // Every entry a save made is there in full: ids distinct, next-id beyond all of them.
        std::set<std::string> ids;
        for (auto& c : list->clones) {
            QVERIFY(ids.insert(c.id).second);
            QVERIFY(std::stoull(c.id.substr(1)) < list->nextId);
            QVERIFY(c.metaPath.rfind("/nowhere/clone-", 0) == 0);
        }
        if (round == 5) QVERIFY(!list->clones.empty());  // the children did save
    }
}

void TestWorkspace::concurrentProcessesKeepEveryEntry() {
    TempDir d;
    std::string ws = d.file("ws");
    constexpr int kChildren = 3, kEach = 15;
    std::vector<pid_t> children;
    for (int c = 0; c < kChildren; ++c) {
        pid_t pid = ::fork();
        QVERIFY(pid >= 0);
        if (pid == 0) {
            auto w = Workspace::open(ws, true);
            for (int i = 0; i < kEach; ++i) {
                auto r = w.value()->update([&](WorkspaceList& l) {
                    l.clones.push_back({l.allocateId('c'), "/p" + std::to_string(c) + "/" + std::to_string(i), BackendKind::Userspace});
                    return okStatus();
                });
                if (!r.ok()) ::_exit(1);
            }
            ::_exit(0);
        }
        children.push_back(pid);
    }
    for (pid_t pid : children) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        QVERIFY(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    auto list = Workspace::open(ws, true).value()->load();
    QVERIFY(list.ok());
    QCOMPARE(int(list->clones.size()), kChildren * kEach);
}

void TestWorkspace::goneStoreIsMissingAndHidesNothing_data() {
    QTest::addColumn<QString>("gone");
    QTest::newRow("snapshot store") << "a.cow";
    QTest::newRow("clone metadata") << "c.meta";
    QTest::newRow("origin") << "o.img";
}

void TestWorkspace::goneStoreIsMissingAndHidesNothing() {
    QFETCH(QString, gone);
    Populated p;
    std::filesystem::remove(p.files.file(gone.toStdString()));
    auto e = openEngine(p.ws);
    auto origins = e->origins();
    auto snaps = e->snapshots();
    auto clones = e->clones();
    QCOMPARE(origins.size(), size_t(1));
    QCOMPARE(snaps.size(), size_t(2));
    QCOMPARE(clones.size(), size_t(1));
    auto state = [&](const std::string& id) {
        for (auto& s : snaps)
            if (s.id == id) return s.state;
        return DeviceState::Invalid;
    };
    QCOMPARE(int(state(p.snapA)), int(gone == "a.cow" ? DeviceState::Missing : DeviceState::Valid));
    QCOMPARE(int(state(p.snapB)), int(DeviceState::Valid));
    QCOMPARE(int(clones[0].state), int(gone == "c.meta" ? DeviceState::Missing : DeviceState::Hydrating));
    QCOMPARE(int(origins[0].state), int(gone == "o.img" ? DeviceState::Missing : DeviceState::Valid));
    if (gone == "a.cow") {
        QVERIFY(snaps[0].problem.has_value());
        QCOMPARE(snaps[0].problem->detail, std::string("missing"));
        // Opening the origin names the missing store instead of leaving it out silently.
        QVERIFY(!e->openDevice(origins[0].id).ok());
    }
}

void TestWorkspace::forgetTouchesNoFile() {
    Populated p;
    auto e = openEngine(p.ws);
    std::string originId = e->origins().at(0).id;
    QVERIFY(e->forget(originId).ok());  // the origin with its snapshots
    QVERIFY(e->forget(p.cloneId).ok());
    QVERIFY(e->origins().empty() && e->snapshots().empty() && e->clones().empty());
    for (auto& f : {p.origin, p.cowA, p.cowB, p.meta, p.dest}) QVERIFY2(std::filesystem::exists(f), f.c_str());
    auto again = e->forget(p.cloneId);
    QVERIFY(!again.ok());
    QCOMPARE(again.error().code, ErrorCode::NotFound);
    // Forgotten stores can be added back.
    QVERIFY(e->addSnapshot(p.origin, p.cowA).ok());
    QVERIFY(e->addClone(p.meta).ok());
    QCOMPARE(e->snapshots().size(), size_t(1));
    QCOMPARE(e->clones().size(), size_t(1));
}

void TestWorkspace::cliListAddForgetFields() {
    TempDir d;
    std::string env = "LOOPSNAP_WORKSPACE=" + d.file("ws") + " " + loopsnapctl();
    makeImage(d.file("o.img"), 1 << 20, 3);
    auto r = runCommand(env + " snapshot create --origin " + d.file("o.img") + " --cow " + d.file("s.cow") + " --cow-size 512K --chunk 8K");
    QCOMPARE(r.exitCode, 0);
    r = runCommand(env + " clone create --source " + d.file("o.img") + " --dest " + d.file("d.img") + " --meta " + d.file("c.meta"));
    QCOMPARE(r.exitCode, 0);
    r = runCommand(env + " --json list");
    QCOMPARE(r.exitCode, 0);
    QJsonObject list = json(r.out);
    QJsonArray origins = list["origins"].toArray();
    QCOMPARE(origins.size(), 1);
    QJsonObject o = origins[0].toObject();
    for (const char* key : {"id", "path", "size_bytes", "backend", "snapshots"}) QVERIFY2(o.contains(key), key);
    QCOMPARE(o["size_bytes"].toInteger(), qint64(1 << 20));
    QCOMPARE(o["backend"].toString(), QString("userspace"));
    QJsonObject s = o["snapshots"].toArray()[0].toObject();
    for (const char* key : {"id", "cow", "store", "chunk_bytes", "status", "state"}) QVERIFY2(s.contains(key), key);
    QCOMPARE(s["chunk_bytes"].toInteger(), qint64(8192));
    QCOMPARE(s["store"].toString(), QString("P"));
    QCOMPARE(s["state"].toString(), QString("valid"));
    r = runCommand(loopsnapctl() + " snapshot status --cow " + d.file("s.cow"));
    QCOMPARE(s["status"].toString(), QString::fromStdString(r.out).trimmed());
    QJsonObject c = list["clones"].toArray()[0].toObject();
    for (const char* key : {"id", "meta", "source", "dest", "backend", "status", "state", "hydrated_regions", "total_regions"})
        QVERIFY2(c.contains(key), key);
    QCOMPARE(c["state"].toString(), QString("hydrating"));
    QCOMPARE(c["total_regions"].toInteger(), qint64(16));

    // forget, then add back; a gone store is listed as missing.
    r = runCommand(env + " forget " + s["id"].toString().toStdString());
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(json(runCommand(env + " --json list").out)["origins"].toArray()[0].toObject()["snapshots"].toArray().size(), 0);
    r = runCommand(env + " --json add --cow " + d.file("s.cow") + " --origin " + d.file("o.img"));
    QCOMPARE(r.exitCode, 0);
    r = runCommand(env + " forget " + c["id"].toString().toStdString());
    QCOMPARE(r.exitCode, 0);
    r = runCommand(env + " add --meta " + d.file("c.meta"));
    QCOMPARE(r.exitCode, 0);
    std::filesystem::remove(d.file("s.cow"));
    list = json(runCommand(env + " --json list").out);
    QCOMPARE(list["origins"].toArray()[0].toObject()["snapshots"].toArray()[0].toObject()["state"].toString(), QString("missing"));
    QCOMPARE(list["clones"].toArray().size(), 1);
    // Usage and failure exit codes.
    QCOMPARE(runCommand(env + " forget").exitCode, 2);
    QCOMPARE(runCommand(env + " forget nosuch").exitCode, 1);
    QCOMPARE(runCommand(env + " add --meta " + d.file("none.meta")).exitCode, 1);
    QCOMPARE(runCommand(env + " add").exitCode, 2);
    QCOMPARE(runCommand(env + " --backend bogus list").exitCode, 2);
    // activate/deactivate are the kernel backend's: the userspace engine refuses them by detail.
    for (const char* command : {" --json activate ", " --json deactivate "}) {
        r = runCommand(env + command + list["clones"].toArray()[0].toObject()["id"].toString().toStdString());
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(json(r.out)["error"].toObject()["detail"].toString(), QString("needs-kernel-backend"));
        QVERIFY2(!json(runCommand(env + " --json list").out)["clones"].toArray()[0].toObject().contains("device"), "userspace entries have no device");
    }
    QCOMPARE(runCommand(env + " activate").exitCode, 2);
    r = runCommand(env + " --json --backend kernel list");
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(json(r.out)["error"].toObject()["code"].toString(), QString("Unsupported"));
}

QTEST_GUILESS_MAIN(TestWorkspace)
#include "tst_workspace.moc"
