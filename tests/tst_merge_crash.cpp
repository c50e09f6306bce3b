// Crash at every write/flush boundary of a merge (rollback), with subsets of unflushed writes:
// reopen, check the origin still presents the snapshot, rerun, and the origin equals the
// snapshot's view while a second snapshot stays unchanged. And prove the check sees the bug of
// clearing records before the origin is flushed.
#include <QtTest>

#include <cstdlib>

#include "core/crashlab/crash_test.h"

using namespace loopsnap;

class TestMergeCrash : public QObject {
    Q_OBJECT
private slots:
    void mergeSurvivesEveryCrash_data();
    void mergeSurvivesEveryCrash();
    void clearingRecordsBeforeOriginFlushIsCaught_data();
    void clearingRecordsBeforeOriginFlushIsCaught();
};

// LOOPSNAP_CRASH_SANITIZER=1: every second crash point, fewer subsets (same paths, less time).
static bool sanitizerRun() { return std::getenv("LOOPSNAP_CRASH_SANITIZER") != nullptr; }
static uint64_t scale() {
    const char* s = std::getenv("LOOPSNAP_CRASH_SCALE");
    return s ? std::max<uint64_t>(1, std::strtoull(s, nullptr, 10)) : 1;
}

void TestMergeCrash::mergeSurvivesEveryCrash_data() {
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<quint64>("ops");
    for (quint64 s : {1, 2, 3, 4}) QTest::newRow(qPrintable(QString("seed %1").arg(s))) << s << quint64(60);
    QTest::newRow("seed 5, two metadata areas") << quint64(5) << quint64(300);  // 303 records: the merge walks back across an area
}

void TestMergeCrash::mergeSurvivesEveryCrash() {
    QFETCH(quint64, seed);
    QFETCH(quint64, ops);
    CrashTestOptions o;
    o.seed = seed;
    o.ops = ops;
    o.samples = unsigned(24 * scale());
    if (sanitizerRun()) {
        o.samples = 4;
        o.pointStride = 2;
    }
    CrashTestReport r = runMergeCrashTest(o);
    qInfo("seed %llu: %llu crash states at %llu points in %.2f s; %s", (unsigned long long)seed, (unsigned long long)r.statesChecked,
          (unsigned long long)r.crashPoints, r.seconds, r.workload.c_str());
    QVERIFY2(!r.violation, qPrintable(QString::fromStdString(r.invariant + ": " + r.detail + "\n" + r.trace)));
    QVERIFY(r.crashPoints > 100);
    QVERIFY(r.statesChecked >= r.crashPoints / (sanitizerRun() ? 2 : 1));
}

void TestMergeCrash::clearingRecordsBeforeOriginFlushIsCaught_data() {
    QTest::addColumn<quint64>("seed");
    for (quint64 s : {1, 2, 3}) QTest::newRow(qPrintable(QString("seed %1").arg(s))) << s;
}

void TestMergeCrash::clearingRecordsBeforeOriginFlushIsCaught() {
    QFETCH(quint64, seed);
    CrashTestOptions o;
    o.seed = seed;
    o.legacy = true;
    CrashTestReport r = runMergeCrashTest(o);
    QVERIFY2(r.violation, "the checker must find merged chunks lost when records are cleared before the origin flush");
    QCOMPARE(QString::fromStdString(r.invariant), QString("merging-view"));
    QVERIFY(r.trace.find("metadata area") != std::string::npos);  // the area write that cleared the records
    QVERIFY(r.trace.find("origin chunk") != std::string::npos);   // and the unflushed origin write
}

QTEST_GUILESS_MAIN(TestMergeCrash)
#include "tst_merge_crash.moc"
