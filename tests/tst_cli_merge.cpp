// loopsnapctl merge keeps the CLI contract, and an interrupted or killed merge resumes.
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

#include <csignal>

#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;

class TestCliMerge : public QObject {
    Q_OBJECT
private slots:
    void mergeRollsBackWithJsonProgress();
    void otherSnapshotKeepsItsContents();
    void interruptedOrKilledMergeResumes_data();
    void interruptedOrKilledMergeResumes();
    void refusalsAreClearAndTouchNothing_data();
    void refusalsAreClearAndTouchNothing();
    void crashtestMergeExitCodes();

private:
    // The result object: the last line (long commands print progress lines before it).
    static QJsonObject json(const std::string& out) {
        QByteArray text = QByteArray::fromStdString(out).trimmed();
        return QJsonDocument::fromJson(text.mid(text.lastIndexOf('\n') + 1)).object();
    }
    static std::vector<std::string> lines(const std::string& out) {
        std::vector<std::string> v;
        for (const QString& l : QString::fromStdString(out).split('\n', Qt::SkipEmptyParts)) v.push_back(l.toStdString());
        return v;
    }
    // origin.img (size bytes) with a snapshot on snap.cow and `ops` workload operations; returns
    // the snapshot's view.
    static std::vector<std::byte> history(const TempDir& d, uint64_t size, uint64_t ops, uint64_t seed) {
        writeFile(d.file("origin.img"), patternBytes(seed, 0, size));
        std::string ctl = loopsnapctl();
        auto r = runCommand(ctl + " snapshot create --origin " + d.file("origin.img") + " --cow " + d.file("snap.cow") + " --cow-size " +
                            std::to_string(size) + " --chunk 4K");
        if (r.exitCode != 0) qFatal("create: %s", r.err.c_str());
        r = runCommand(ctl + " workload --origin " + d.file("origin.img") + " --cow " + d.file("snap.cow") + " --seed " + std::to_string(seed) +
                       " --ops " + std::to_string(ops));
        if (r.exitCode != 0) qFatal("workload: %s", r.err.c_str());
        r = runCommand(ctl + " snapshot read --origin " + d.file("origin.img") + " --cow " + d.file("snap.cow") + " --out " + d.file("view.img"));
        if (r.exitCode != 0) qFatal("read: %s", r.err.c_str());
        return readFile(d.file("view.img"));
    }
};

void TestCliMerge::mergeRollsBackWithJsonProgress() {
    TempDir d;
    auto view = history(d, 4 << 20, 300, 1);
    QVERIFY(readFile(d.file("origin.img")) != view);
    std::string ctl = loopsnapctl();
    auto r = runCommand(ctl + " --json merge --origin " + d.file("origin.img") + " --cow " + d.file("snap.cow"));
    QCOMPARE(r.exitCode, 0);
    auto out = lines(r.out);
    QVERIFY(out.size() >= 2);  // at least one progress line and the result
    for (size_t i = 0; i + 1 < out.size(); ++i) {
        auto p = json(out[i]);
        QCOMPARE(p["event"].toString(), QString("progress"));
        for (auto key : {"merged_chunks", "total_chunks", "bytes_copied", "rate_bytes_per_second", "eta_seconds"}) QVERIFY2(p.contains(key), key);
    }
    auto result = json(out.back());
    QCOMPARE(result["result"].toString(), QString("merged"));
    QVERIFY(result["merged_chunks"].toInteger() > 100);
    QCOMPARE(result["merged_chunks"].toInteger(), result["total_chunks"].toInteger());
    QCOMPARE(result["allocated_sectors"].toInteger(), result["metadata_sectors"].toInteger());
    QCOMPARE(json(out[out.size() - 2])["merged_chunks"].toInteger(), result["total_chunks"].toInteger());
    QVERIFY2(readFile(d.file("origin.img")) == view, "the origin holds the snapshot's contents");
    r = runCommand(ctl + " --json snapshot status --cow " + d.file("snap.cow"));
    QCOMPARE(json(r.out)["state"].toString(), QString("valid"));
    QCOMPARE(json(r.out)["exceptions"].toInt(), 0);
    // Text mode on a non-terminal: one summary line.
    r = runCommand(ctl + " merge --origin " + d.file("origin.img") + " --cow " + d.file("snap.cow"));
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.find("merged 0 chunks") != std::string::npos, r.out.c_str());
}

void TestCliMerge::otherSnapshotKeepsItsContents() {
    TempDir d;
    auto view = history(d, 4 << 20, 100, 2);
    std::string ctl = loopsnapctl(), o = d.file("origin.img"), s = d.file("snap.cow"), s2 = d.file("other.cow");
    // A second snapshot with another chunk size, then writes that both snapshots see.
    QCOMPARE(runCommand(ctl + " snapshot create --origin " + o + " --cow " + s2 + " --cow-size 4M --chunk 16K").exitCode, 0);
    QCOMPARE(runCommand(ctl + " workload --origin " + o + " --cow " + s + " --cow " + s2 + " --seed 9 --ops 100").exitCode, 0);
    QCOMPARE(runCommand(ctl + " snapshot read --origin " + o + " --cow " + s + " --out " + d.file("a.view")).exitCode, 0);
    QCOMPARE(runCommand(ctl + " snapshot read --origin " + o + " --cow " + s2 + " --out " + d.file("b.view")).exitCode, 0);
    auto r = runCommand(ctl + " --json merge --origin " + o + " --cow " + s + " --other-cow " + s2);
    QCOMPARE(r.exitCode, 0);
    QVERIFY(readFile(o) == readFile(d.file("a.view")));
    QCOMPARE(runCommand(ctl + " snapshot read --origin " + o + " --cow " + s2 + " --out " + d.file("b.after")).exitCode, 0);
    QVERIFY2(readFile(d.file("b.after")) == readFile(d.file("b.view")), "the other snapshot still reads what it read before the merge");
}

void TestCliMerge::interruptedOrKilledMergeResumes_data() {
    QTest::addColumn<int>("signal");
    QTest::newRow("SIGINT: stops between batches") << int(SIGINT);
    QTest::newRow("SIGTERM: stops between batches") << int(SIGTERM);
    QTest::newRow("SIGKILL: a crash of the process") << int(SIGKILL);
}

void TestCliMerge::interruptedOrKilledMergeResumes() {
    QFETCH(int, signal);
    std::string ctl = loopsnapctl();
    // The merge must still be running when the signal arrives; it is sent as soon as the merge
    // mark is on disk, and a larger history is tried if a merge was ever too quick.
    for (uint64_t ops : {2000, 6000, 15000}) {
        TempDir d;
        auto view = history(d, 32 << 20, ops, 7);
        QProcess p;
        p.start(QString::fromStdString(ctl), {"--json", "merge", "--origin", QString::fromStdString(d.file("origin.img")), "--cow",
                                              QString::fromStdString(d.file("snap.cow"))});
        QVERIFY(p.waitForStarted());
        QFile sidecar(QString::fromStdString(d.file("snap.cow.loopsnap")));
        QElapsedTimer t;
        t.start();
        bool marked = false;
        while (!marked && t.elapsed() < 10000 && p.state() == QProcess::Running) {
            if (sidecar.open(QIODevice::ReadOnly)) {
                marked = sidecar.readAll().contains("merging=yes");
                sidecar.close();
            }
            if (!marked) QThread::usleep(200);
        }
        if (!marked) {  // finished before we saw it
            p.waitForFinished();
            continue;
        }
        ::kill(pid_t(p.processId()), signal);
        QVERIFY(p.waitForFinished(10000));
        std::string out = p.readAllStandardOutput().toStdString(), err = p.readAllStandardError().toStdString();
        bool interrupted = signal == SIGKILL ? p.exitStatus() == QProcess::CrashExit : p.exitCode() == 1;
        if (!interrupted) {
            QCOMPARE(p.exitCode(), 0);  // it won the race: try a longer merge
            continue;
        }
        if (signal != SIGKILL) {
            QVERIFY2(err.find("merge interrupted after") != std::string::npos, err.c_str());
            QVERIFY(err.find("run it again to resume") != std::string::npos);
            QCOMPARE(json(lines(out).back())["error"].toObject()["code"].toString(), QString("Aborted"));
        }
        qInfo("interrupted a merge of a %llu-op history", (unsigned long long)ops);
        // In between: the store says merging, and other uses are refused naming the way out.
        auto st = runCommand(ctl + " --json snapshot status --cow " + d.file("snap.cow"));
        QCOMPARE(st.exitCode, 0);
        QCOMPARE(json(st.out)["state"].toString(), QString("merging"));
        writeFile(d.file("in.bin"), patternBytes(3, 0, 4096));
        auto w = runCommand(ctl + " origin write --origin " + d.file("origin.img") + " --cow " + d.file("snap.cow") + " --offset 0 --in " +
                            d.file("in.bin"));
        QCOMPARE(w.exitCode, 1);
        QVERIFY2(w.err.find("loopsnapctl merge --origin") != std::string::npos, w.err.c_str());
        auto again = runCommand(ctl + " --json merge --origin " + d.file("origin.img") + " --cow " + d.file("snap.cow"));
        QCOMPARE(again.exitCode, 0);
        QVERIFY(again.err.find("resuming an unfinished merge") != std::string::npos);
        QCOMPARE(json(lines(again.out).back())["resumed"].toBool(), true);
        QVERIFY2(readFile(d.file("origin.img")) == view, "the resumed merge gives the origin the snapshot's contents");
        st = runCommand(ctl + " --json snapshot status --cow " + d.file("snap.cow"));
        QCOMPARE(json(st.out)["state"].toString(), QString("valid"));
        return;
    }
    QFAIL("every merge finished before the signal arrived");
}

void TestCliMerge::refusalsAreClearAndTouchNothing_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("message");
    QTest::newRow("transient store") << "transient" << "transient (N) store";
    QTest::newRow("missing store") << "missing" << "does not exist";
    QTest::newRow("unformatted store") << "unformatted" << "not formatted";
    QTest::newRow("origin of another size") << "resized" << "bytes long but the origin is";
    QTest::newRow("corrupt header") << "corrupt" << "bad magic";
}

void TestCliMerge::refusalsAreClearAndTouchNothing() {
    QFETCH(QString, kind);
    QFETCH(QString, message);
    TempDir d;
    std::string ctl = loopsnapctl();
    writeFile(d.file("origin.img"), patternBytes(5, 0, 1 << 20));
    std::string cow = d.file("snap.cow");
    if (kind == "transient") {
        QCOMPARE(runCommand(ctl + " snapshot create --origin " + d.file("origin.img") + " --cow " + cow + " --cow-size 1M --store N").exitCode, 0);
    } else if (kind == "unformatted") {
        writeFile(cow, std::vector<std::byte>(1 << 20));
    } else if (kind != "missing") {
        QCOMPARE(runCommand(ctl + " snapshot create --origin " + d.file("origin.img") + " --cow " + cow + " --cow-size 1M --chunk 4K").exitCode, 0);
        writeFile(d.file("in.bin"), patternBytes(6, 0, 64 << 10));
        QCOMPARE(runCommand(ctl + " origin write --origin " + d.file("origin.img") + " --cow " + cow + " --offset 0 --in " + d.file("in.bin")).exitCode, 0);
        if (kind == "resized") writeFile(d.file("origin.img"), patternBytes(5, 0, 2 << 20));
        if (kind == "corrupt") {
            auto img = readFile(cow);
            img[0] = std::byte{0x42};
            writeFile(cow, img);
        }
    }
    auto originBefore = readFile(d.file("origin.img"));
    std::vector<std::byte> cowBefore;
    if (kind != "missing") cowBefore = readFile(cow);
    auto r = runCommand(ctl + " --json merge --origin " + d.file("origin.img") + " --cow " + cow);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(QString::fromStdString(r.err).contains(message), r.err.c_str());
    QVERIFY(json(lines(r.out).back()).contains("error"));
    QVERIFY(readFile(d.file("origin.img")) == originBefore);
    if (kind != "missing") QVERIFY(readFile(cow) == cowBefore);
    QVERIFY2(kind == "transient" || kind == "missing" || !QFile::exists(QString::fromStdString(cow + ".loopsnap")) ||
                 !readFile(cow + ".loopsnap").empty(),
             "the sidecar is not left half-written");
    if (QFile::exists(QString::fromStdString(cow + ".loopsnap"))) {
        auto sc = readFile(cow + ".loopsnap");
        QVERIFY2(std::string(reinterpret_cast<const char*>(sc.data()), sc.size()).find("merging") == std::string::npos,
                 "a refused merge is not marked as started");
    }
}

void TestCliMerge::crashtestMergeExitCodes() {
    auto ok = runCommand(loopsnapctl() + " --json crashtest merge --seed 3 --samples 4");
    QCOMPARE(ok.exitCode, 0);
    auto j = json(ok.out);
    QCOMPARE(j["kind"].toString(), QString("merge"));
    QVERIFY(j["states_checked"].toInteger() > 300);
    QCOMPARE(j["violation"].toBool(), false);
    auto legacy = runCommand(loopsnapctl() + " --json crashtest merge --seed 3 --legacy");
    QCOMPARE(legacy.exitCode, 3);
    auto l = json(legacy.out);
    QCOMPARE(l["violation"].toBool(), true);
    QCOMPARE(l["invariant"].toString(), QString("merging-view"));
    QVERIFY(l["trace"].toString().contains("metadata area"));
}

QTEST_GUILESS_MAIN(TestCliMerge)
#include "tst_cli_merge.moc"
