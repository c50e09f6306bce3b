// loopsnapctl's snapshot commands keep the CLI contract (names, JSON fields, exit codes).
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include "core/posix/file_device.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;

class TestCliSnapshot : public QObject {
    Q_OBJECT
private slots:
    void createStatusInspectWriteRead();
    void exitCodes_data();
    void exitCodes();
    void refusesStoreInUseNamingTheProcess();
    void crashtestExitCodes();

private:
    // The result object: the last line (long commands print progress lines before it).
    static QJsonObject json(const std::string& out) {
        QByteArray text = QByteArray::fromStdString(out).trimmed();
        return QJsonDocument::fromJson(text.mid(text.lastIndexOf('\n') + 1)).object();
    }
};

void TestCliSnapshot::createStatusInspectWriteRead() {
    TempDir d;
    auto origin = patternBytes(1, 0, 1 << 20);
    writeFile(d.file("o.img"), origin);
    std::string ctl = loopsnapctl();
    auto r = runCommand(ctl + " --json snapshot create --origin " + d.file("o.img") + " --cow " + d.file("s.cow") + " --cow-size 1M --chunk 4K");
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(json(r.out)["status"].toString(), QString("16/2048 16"));
    r = runCommand(ctl + " snapshot status --cow " + d.file("s.cow"));
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(QString::fromStdString(r.out).trimmed(), QString("16/2048 16"));
    writeFile(d.file("in.bin"), patternBytes(2, 0, 10000));
    r = runCommand(ctl + " --json origin write --origin " + d.file("o.img") + " --cow " + d.file("s.cow") + " --offset 8K --in " + d.file("in.bin"));
    QCOMPARE(r.exitCode, 0);
    r = runCommand(ctl + " --json snapshot status --cow " + d.file("s.cow"));
    auto st = json(r.out);
    for (auto key : {"status", "state", "allocated_sectors", "total_sectors", "metadata_sectors", "chunk_sectors", "exceptions"})
        QVERIFY2(st.contains(key), key);
    QCOMPARE(st["state"].toString(), QString("valid"));
    QCOMPARE(st["exceptions"].toInt(), 3);  // 8K..18K touches chunks 2, 3, 4
    QCOMPARE(st["status"].toString(), QString("40/2048 16"));
    r = runCommand(ctl + " --json inspect --cow " + d.file("s.cow"));
    QCOMPARE(r.exitCode, 0);
    auto in = json(r.out);
    QCOMPARE(in["magic"].toInteger(), qint64(0x70416e53));
    QCOMPARE(in["valid"].toInt(), 1);
    QCOMPARE(in["version"].toInt(), 1);
    QCOMPARE(in["chunk_sectors"].toInt(), 8);
    QCOMPARE(in["exceptions"].toArray().size(), 3);
    QCOMPARE(in["exceptions"].toArray()[0].toObject()["old"].toInt(), 2);
    QCOMPARE(in["exceptions"].toArray()[0].toObject()["new"].toInt(), 2);
    r = runCommand(ctl + " snapshot read --origin " + d.file("o.img") + " --cow " + d.file("s.cow") + " --out " + d.file("view.bin"));
    QCOMPARE(r.exitCode, 0);
    QVERIFY(readFile(d.file("view.bin")) == origin);
    r = runCommand(ctl + " --json workload --origin " + d.file("o.img") + " --cow " + d.file("s.cow") + " --seed 3 --ops 50");
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(json(r.out)["failed_writes"].toInt(), 0);
}

void TestCliSnapshot::exitCodes_data() {
    QTest::addColumn<QString>("args");
    QTest::addColumn<int>("code");
    QTest::newRow("no command") << "" << 2;
    QTest::newRow("unknown command") << "frobnicate" << 2;
    QTest::newRow("missing option") << "snapshot status" << 2;
    QTest::newRow("bad size") << "snapshot create --origin x --cow y --cow-size 12Q" << 2;
    QTest::newRow("missing file") << "snapshot status --cow /nonexistent/cow" << 1;
    QTest::newRow("bad store type") << "snapshot create --origin x --cow y --store Q" << 2;
}

void TestCliSnapshot::exitCodes() {
    QFETCH(QString, args);
    QFETCH(int, code);
    auto r = runCommand(loopsnapctl() + " " + args.toStdString());
    QCOMPARE(r.exitCode, code);
    QVERIFY(!r.err.empty());
    if (code == 1) {
        auto j = runCommand(loopsnapctl() + " --json " + args.toStdString());
        QVERIFY(json(j.out)["error"].toObject().contains("code"));
        QVERIFY(json(j.out)["error"].toObject().contains("message"));
    }
}

void TestCliSnapshot::refusesStoreInUseNamingTheProcess() {
    TempDir d;
    writeFile(d.file("o.img"), patternBytes(1, 0, 1 << 20));
    auto r = runCommand(loopsnapctl() + " snapshot create --origin " + d.file("o.img") + " --cow " + d.file("s.cow") + " --cow-size 1M");
    QCOMPARE(r.exitCode, 0);
    auto held = FileDevice::open(d.file("s.cow"));  // this test process holds the store read-write
    LS_QVERIFY_OK(held);
    writeFile(d.file("in.bin"), patternBytes(2, 0, 512));
    r = runCommand(loopsnapctl() + " origin write --origin " + d.file("o.img") + " --cow " + d.file("s.cow") + " --offset 0 --in " + d.file("in.bin"));
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.find("in use read-write by process " + std::to_string(::getpid())) != std::string::npos, r.err.c_str());
}

void TestCliSnapshot::crashtestExitCodes() {
    auto ok = runCommand(loopsnapctl() + " --json crashtest snapshot --seed 2 --samples 4");
    QCOMPARE(ok.exitCode, 0);
    QVERIFY(json(ok.out)["states_checked"].toInteger() > 1000);
    // Whether a seed's copies finish out of order enough for a leak depends a little on the
    // machine's speed (the sanitizer build on a busy CI machine missed it once on seed 2): the
    // legacy ordering must be caught on one of three seeds, and then as the leak.
    bool caught = false;
    for (int seed : {2, 3, 4}) {
        auto legacy = runCommand(loopsnapctl() + " --json crashtest snapshot --seed " + std::to_string(seed) + " --samples 4 --legacy");
        QVERIFY(legacy.exitCode == 0 || legacy.exitCode == 3);
        if (legacy.exitCode != 3) continue;
        QCOMPARE(json(legacy.out)["invariant"].toString(), QString("no-leaked-chunk"));
        caught = true;
        break;
    }
    QVERIFY2(caught, "the legacy completion order leaked no chunk on seeds 2-4");
}

QTEST_GUILESS_MAIN(TestCliSnapshot)
#include "tst_cli_snapshot.moc"
