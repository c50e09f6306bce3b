// Crash at every write/flush boundary of a snapshot workload (with subsets of unflushed writes),
// reopen, check the invariants; and prove the check sees the pre-fix space leak.
#include <QtTest>

#include <cstdlib>

#include "core/crashlab/crash_test.h"

using namespace loopsnap;

class TestSnapshotCrash : public QObject {
    Q_OBJECT
private slots:
    void inOrderCommitSurvivesEveryCrash_data();
    void inOrderCommitSurvivesEveryCrash();
    void legacyOrderingLeaksAndIsCaught_data();
    void legacyOrderingLeaksAndIsCaught();
};

// Under the sanitizers (LOOPSNAP_CRASH_SANITIZER=1) every third crash point is visited, with
// fewer sampled subsets: the same code paths, a tenth of the time.
static bool sanitizerRun() { return std::getenv("LOOPSNAP_CRASH_SANITIZER") != nullptr; }

static uint64_t scale() {
    // LOOPSNAP_CRASH_SCALE=n multiplies the sampled subsets per crash point (a longer run).
    const char* s = std::getenv("LOOPSNAP_CRASH_SCALE");
    return s ? std::max<uint64_t>(1, std::strtoull(s, nullptr, 10)) : 1;
}

void TestSnapshotCrash::inOrderCommitSurvivesEveryCrash_data() {
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<bool>("torn");  // unflushed writes (coalesced COW copies too) may persist in part
    for (quint64 s : {1, 2, 3, 4}) QTest::newRow(qPrintable(QString("seed %1").arg(s))) << s << false;
    for (quint64 s : {5, 6}) QTest::newRow(qPrintable(QString("seed %1, torn writes").arg(s))) << s << true;
}

void TestSnapshotCrash::inOrderCommitSurvivesEveryCrash() {
    QFETCH(quint64, seed);
    QFETCH(bool, torn);
    CrashTestOptions o;
    o.seed = seed;
    o.tornWrites = torn;
    o.samples = unsigned(24 * scale());
    if (sanitizerRun()) {
        o.samples = 4;
        o.pointStride = 3;
    }
    CrashTestReport r = runSnapshotCrashTest(o);
    qInfo("seed %llu: %llu crash states at %llu points in %.2f s; %s", (unsigned long long)seed, (unsigned long long)r.statesChecked,
          (unsigned long long)r.crashPoints, r.seconds, r.workload.c_str());
    QVERIFY2(!r.violation, qPrintable(QString::fromStdString(r.invariant + ": " + r.detail + "\n" + r.trace)));
    QVERIFY(r.statesChecked > (sanitizerRun() ? 500u : 5000u));
    QVERIFY(r.workload.find("out of order") != std::string::npos);
    // Multi-chunk writes are copied as coalesced runs: the crash states include torn ones.
    QVERIFY2(r.workload.find(" 0 chunks copied in coalesced runs") == std::string::npos, r.workload.c_str());
}

void TestSnapshotCrash::legacyOrderingLeaksAndIsCaught_data() {
    QTest::addColumn<quint64>("seed");
    for (quint64 s : {1, 2, 3}) QTest::newRow(qPrintable(QString("seed %1").arg(s))) << s;
}

void TestSnapshotCrash::legacyOrderingLeaksAndIsCaught() {
    QFETCH(quint64, seed);
    CrashTestOptions o;
    o.seed = seed;
    o.legacy = true;
    CrashTestReport r = runSnapshotCrashTest(o);
    QVERIFY2(r.violation, "the checker must find the space leak of completion-order commits");
    QCOMPARE(QString::fromStdString(r.invariant), QString("no-leaked-chunk"));
    QVERIFY(r.trace.find("metadata area") != std::string::npos);  // the trace shows the area write
    // The structured form: the leaked chunks and the store's geometry (the crash-lab view).
    QVERIFY(r.snapshotLeak.has_value());
    const CrashStoreGeometry& g = r.snapshotLeak->store;
    QCOMPARE(g.chunkBytes, uint64_t(4096));
    QCOMPARE(g.cowChunks, uint64_t(1 + 5 * 257));
    QCOMPARE(g.metadataChunks, (std::vector<uint64_t>{0, 1, 258, 515, 772, 1029}));
    QVERIFY(!r.snapshotLeak->leakedChunks.empty());
    for (uint64_t c : r.snapshotLeak->leakedChunks) {
        QVERIFY(c < g.nextFree);
        QVERIFY(!std::binary_search(g.metadataChunks.begin(), g.metadataChunks.end(), c));
    }
    QVERIFY(r.detail.find("COW chunk " + std::to_string(r.snapshotLeak->leakedChunks.front())) != std::string::npos);
}

QTEST_GUILESS_MAIN(TestSnapshotCrash)
#include "tst_snapshot_crash.moc"
