// loopsnapctl clone ...: the built binary, run as a user would (cli-contract.md, "Clones").
#include <QtTest>

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>

#include <filesystem>

#include "core/posix/file_device.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;

namespace {

std::string ctl() { return loopsnapctl(); }
std::string sh(const std::string& s) { return "'" + s + "'"; }

QJsonObject parseJson(const std::string& line) {
    auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(line));
    return doc.object();
}

QStringList lines(const std::string& text) {
    return QString::fromStdString(text).split('\n', Qt::SkipEmptyParts);
}

}  // namespace

class TestCloneCli : public QObject {
    Q_OBJECT
private slots:
    void roundTrip();
    void relativePathsMoveTogether();
    void errors_data();
    void errors();
    void hydrateInterruptAndResumeFromNbd();
    void progressBarOnTerminal();
    void crashtestClone();
};

void TestCloneCli::roundTrip() {
    TempDir dir;
    const uint64_t size = 1 << 20;
    auto src = patternBytes(31, 0, size);
    writeFile(dir.file("src.img"), src);
    const std::string meta = sh(dir.file("c.meta"));
    auto r = runCommand(ctl() + " clone create --source " + sh(dir.file("src.img")) + " --dest " + sh(dir.file("dst.img")) +
                        " --meta " + meta + " --region 16K");
    QCOMPARE(r.exitCode, 0);
    QVERIFY(fileExists(dir.file("dst.img")));  // created at the source's size
    QCOMPARE(readFile(dir.file("dst.img")).size(), size_t(size));

    r = runCommand(ctl() + " clone status --meta " + meta);
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(QString::fromStdString(r.out).trimmed(),
             QString("8 3/5 32 0/64 0 1 no_hydration 4 hydration_threshold 1 hydration_batch_size 1 rw"));

    auto patch = patternBytes(32, 0, 5000);
    writeFile(dir.file("patch.bin"), patch);
    r = runCommand(ctl() + " clone write --meta " + meta + " --offset 20000 --in " + sh(dir.file("patch.bin")));
    QCOMPARE(r.exitCode, 0);
    auto expected = src;
    std::copy(patch.begin(), patch.end(), expected.begin() + 20000);

    r = runCommand(ctl() + " --json clone status --meta " + meta);
    QCOMPARE(r.exitCode, 0);
    QJsonObject st = parseJson(r.out);
    for (const char* key : {"status", "hydrated_regions", "total_regions", "hydrating_regions", "region_sectors"})
        QVERIFY2(st.contains(key), key);
    QCOMPARE(st["hydrated_regions"].toInt(), 1);  // [20000, 25000) lies in region 1 (16K regions)
    QCOMPARE(st["total_regions"].toInt(), 64);
    QCOMPARE(st["region_sectors"].toInt(), 32);
    QCOMPARE(st["hydrating_regions"].toInt(), 0);

    r = runCommand(ctl() + " clone read --meta " + meta + " --out " + sh(dir.file("view.img")));
    QCOMPARE(r.exitCode, 0);
    QVERIFY(readFile(dir.file("view.img")) == expected);

    r = runCommand(ctl() + " --json clone hydrate --meta " + meta + " --threshold 4 --batch 2");
    QCOMPARE(r.exitCode, 0);
    QStringList out = lines(r.out);
    QVERIFY(out.size() >= 2);  // progress line(s) + the result
    for (const QString& l : out) QVERIFY2(QJsonDocument::fromJson(l.toUtf8()).isObject(), qPrintable(l));
    QCOMPARE(QJsonDocument::fromJson(out.first().toUtf8()).object()["event"].toString(), QString("progress"));
    QJsonObject result = QJsonDocument::fromJson(out.last().toUtf8()).object();
    QCOMPARE(result["result"].toString(), QString("hydrated"));
    QCOMPARE(result["hydrated_regions"].toInt(), 64);
    QVERIFY(readFile(dir.file("dst.img")) == expected);
    QVERIFY(readFile(dir.file("src.img")) == src);  // never written

    r = runCommand(ctl() + " clone status --meta " + meta);
    QVERIFY(QString::fromStdString(r.out).startsWith("8 5/5 32 64/64 0 "));
}

void TestCloneCli::relativePathsMoveTogether() {
    TempDir dir;
    namespace fs = std::filesystem;
    fs::create_directories(dir.file("a/meta"));
    auto src = patternBytes(33, 0, 256 << 10);
    writeFile(dir.file("a/src.img"), src);
    // Relative paths, from the folder above the metadata's: recorded relative to meta/.
    auto r = runCommand("cd " + sh(dir.file("a")) + " && " + ctl() +
                        " clone create --source src.img --dest dst.img --meta meta/c.meta");
    QCOMPARE(r.exitCode, 0);
    r = runCommand(ctl() + " clone write --meta " + sh(dir.file("a/meta/c.meta")) + " --offset 0 --in " +
                   sh(dir.file("a/src.img")));  // any data: whole regions
    QCOMPARE(r.exitCode, 0);
    fs::rename(dir.file("a"), dir.file("b"));
    r = runCommand(ctl() + " clone read --meta " + sh(dir.file("b/meta/c.meta")) + " --out " + sh(dir.file("view.img")));
    QVERIFY2(r.exitCode == 0, r.err.c_str());
    QVERIFY(readFile(dir.file("view.img")) == src);
}

void TestCloneCli::errors_data() {
    QTest::addColumn<QString>("setup");
    QTest::addColumn<QString>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("stderrText");
    QTest::newRow("unknown-subcommand") << "" << "clone frobnicate" << 2 << "unknown subcommand";
    QTest::newRow("missing-meta") << "" << "clone status" << 2 << "missing --meta";
    QTest::newRow("bad-threshold") << "clone" << "clone hydrate --meta $D/c.meta --threshold x" << 2 << "whole number";
    QTest::newRow("region-not-power-of-two")
        << "" << "clone create --source $D/src.img --dest $D/new.img --meta $D/new.meta --region 3K" << 1
        << "power of two";
    QTest::newRow("region-too-large")
        << "" << "clone create --source $D/src.img --dest $D/new.img --meta $D/new.meta --region 2G" << 1
        << "4 KiB to 1 GiB";
    QTest::newRow("sizes-differ") << "small-dest"
                                  << "clone create --source $D/src.img --dest $D/small.img --meta $D/new.meta" << 1
                                  << "differ in size";
    QTest::newRow("missing-source") << "" << "clone create --source $D/none.img --dest $D/new.img --meta $D/new.meta"
                                    << 1 << "does not exist";
    QTest::newRow("meta-exists") << "clone" << "clone create --source $D/src.img --dest $D/dst.img --meta $D/c.meta" << 1
                                 << "already exists";
    // Issue #11 item 8: source, destination and metadata are three different files.
    QTest::newRow("dest-is-source") << "" << "clone create --source $D/src.img --dest $D/src.img --meta $D/new.meta"
                                    << 1 << "three different files";
    QTest::newRow("dest-is-source-by-symlink")
        << "links" << "clone create --source $D/src.img --dest $D/sym.img --meta $D/new.meta" << 1
        << "three different files";
    QTest::newRow("dest-is-source-by-hard-link")
        << "links" << "clone create --source $D/src.img --dest $D/hard.img --meta $D/new.meta" << 1
        << "three different files";
    QTest::newRow("meta-is-dest") << "" << "clone create --source $D/src.img --dest $D/x --meta $D/x" << 1
                                  << "three different files";
    QTest::newRow("meta-is-dest-spelled-twice")
        << "links" << "clone create --source $D/src.img --dest $D/x --meta $D/sub/../x" << 1
        << "three different files";
    QTest::newRow("meta-is-dest-through-folder-link")
        << "links" << "clone create --source $D/src.img --dest $D/x --meta $D/dirlink/x" << 1 << "three different files";
    QTest::newRow("meta-is-dangling-link-to-dest")
        << "links" << "clone create --source $D/src.img --dest $D/new.img --meta $D/dangling" << 1
        << "three different files";
    QTest::newRow("meta-is-source") << "" << "clone create --source $D/src.img --dest $D/new.img --meta $D/src.img"
                                    << 1 << "three different files";
    QTest::newRow("no-such-meta") << "" << "clone status --meta $D/none.meta" << 1 << "does not exist";
    QTest::newRow("bad-checksum") << "corrupt" << "clone status --meta $D/c.meta" << 1 << "checksum mismatch";
    QTest::newRow("write-beyond-end") << "clone" << "clone write --meta $D/c.meta --offset 1M --in $D/src.img" << 1
                                      << "beyond the end";
    QTest::newRow("legacy-warning") << "clone" << "clone hydrate --meta $D/c.meta --legacy-commit" << 0
                                    << "--legacy-commit is ON";
}

void TestCloneCli::errors() {
    QFETCH(QString, setup);
    QFETCH(QString, args);
    QFETCH(int, exitCode);
    QFETCH(QString, stderrText);
    TempDir dir;
    writeFile(dir.file("src.img"), patternBytes(34, 0, 1 << 20));
    if (setup == "clone" || setup == "corrupt") {
        auto r = runCommand(ctl() + " clone create --source " + sh(dir.file("src.img")) + " --dest " +
                            sh(dir.file("dst.img")) + " --meta " + sh(dir.file("c.meta")));
        QCOMPARE(r.exitCode, 0);
    }
    if (setup == "corrupt") {
        auto m = readFile(dir.file("c.meta"));
        m[200] ^= std::byte(4);
        writeFile(dir.file("c.meta"), m);
    }
    if (setup == "small-dest") writeFile(dir.file("small.img"), patternBytes(1, 0, 512 << 10));
    if (setup == "links") {
        std::filesystem::create_symlink(dir.file("src.img"), dir.file("sym.img"));
        std::filesystem::create_hard_link(dir.file("src.img"), dir.file("hard.img"));
        std::filesystem::create_directory(dir.file("sub"));
        std::filesystem::create_directory_symlink(dir.path(), dir.file("dirlink"));
        std::filesystem::create_symlink("new.img", dir.file("dangling"));
    }
    const auto sourceBefore = readFile(dir.file("src.img"));
    auto before = std::filesystem::directory_iterator(dir.path());
    size_t filesBefore = std::distance(before, std::filesystem::directory_iterator());
    std::string cmd = ctl() + " " + QString(args).replace("$D", QString::fromStdString(dir.path())).toStdString();
    auto r = runCommand(cmd);
    QVERIFY2(r.exitCode == exitCode, qPrintable(QString("exit %1, stderr: %2").arg(r.exitCode).arg(QString::fromStdString(r.err))));
    QVERIFY2(QString::fromStdString(r.err).contains(stderrText), r.err.c_str());
    if (exitCode == 1) {
        QCOMPARE(lines(r.err).size(), 1);  // one clear line
        // Failed commands create nothing.
        size_t filesAfter = std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator());
        QCOMPARE(filesAfter, filesBefore);
        QVERIFY(readFile(dir.file("src.img")) == sourceBefore);
        // --json adds the error object on stdout.
        auto j = runCommand(ctl() + " --json " + QString(args).replace("$D", QString::fromStdString(dir.path())).toStdString());
        QCOMPARE(j.exitCode, 1);
        QJsonObject e = parseJson(j.out)["error"].toObject();
        QVERIFY(!e["code"].toString().isEmpty());
        QVERIFY(e["message"].toString().contains(stderrText));
    }
}

void TestCloneCli::hydrateInterruptAndResumeFromNbd() {
    if (QStandardPaths::findExecutable("nbdkit").isEmpty()) QSKIP("nbdkit is not installed");
    TempDir dir;
    const uint64_t size = 2 << 20;
    auto src = patternBytes(35, 0, size);
    writeFile(dir.file("src.img"), src);
    // The delay filter makes each source read take 10 ms, so hydration is slow enough to interrupt.
    QProcess server;
    server.setProgram("nbdkit");
    server.setArguments({"--foreground", "--readonly", "--unix", QString::fromStdString(dir.file("nbd.sock")),
                         "--filter=delay", "file", QString::fromStdString(dir.file("src.img")), "rdelay=10ms"});
    server.start();
    QVERIFY(server.waitForStarted(5000));
    QDeadlineTimer up(10000);
    while (!fileExists(dir.file("nbd.sock")) && !up.hasExpired()) QThread::msleep(10);
    QVERIFY(fileExists(dir.file("nbd.sock")));
    const std::string uri = "nbd+unix:///?socket=" + dir.file("nbd.sock");
    auto r = runCommand(ctl() + " clone create --source " + sh(uri) + " --dest " + sh(dir.file("dst.img")) + " --meta " +
                        sh(dir.file("c.meta")) + " --region 16K");
    QVERIFY2(r.exitCode == 0, r.err.c_str());

    QProcess hydrate;
    hydrate.setProgram(QString::fromStdString(ctl()));
    hydrate.setArguments({"--json", "clone", "hydrate", "--meta", QString::fromStdString(dir.file("c.meta"))});
    hydrate.start();
    QVERIFY(hydrate.waitForStarted(5000));
    QThread::msleep(400);
    QCOMPARE(hydrate.state(), QProcess::Running);
    hydrate.terminate();  // SIGTERM
    QVERIFY(hydrate.waitForFinished(10000));
    QCOMPARE(hydrate.exitStatus(), QProcess::NormalExit);
    QCOMPARE(hydrate.exitCode(), 1);
    QVERIFY(QString::fromUtf8(hydrate.readAllStandardError()).contains("interrupted"));

    r = runCommand(ctl() + " --json clone status --meta " + sh(dir.file("c.meta")));
    QJsonObject st = parseJson(r.out);
    int partial = st["hydrated_regions"].toInt();
    QVERIFY2(partial > 0 && partial < 128, qPrintable(QString::number(partial)));  // the stop committed its work

    r = runCommand(ctl() + " clone hydrate --meta " + sh(dir.file("c.meta")) + " --threshold 4 --batch 4");
    QVERIFY2(r.exitCode == 0, r.err.c_str());
    QVERIFY(readFile(dir.file("dst.img")) == src);
    server.terminate();
    server.waitForFinished(5000);
}

void TestCloneCli::progressBarOnTerminal() {
    // script(1) gives the command a pseudo-terminal, where hydrate draws its progress bar.
    if (QStandardPaths::findExecutable("script").isEmpty()) QSKIP("script(1) is not installed");
    TempDir dir;
    writeFile(dir.file("src.img"), patternBytes(36, 0, 1 << 20));
    auto r = runCommand(ctl() + " clone create --source " + sh(dir.file("src.img")) + " --dest " + sh(dir.file("dst.img")) +
                        " --meta " + sh(dir.file("c.meta")) + " --region 4K");
    QCOMPARE(r.exitCode, 0);
    r = runCommand("script -qec " + sh(ctl() + " clone hydrate --meta " + dir.file("c.meta")) + " /dev/null");
    QVERIFY2(r.exitCode == 0, r.out.c_str());
    QVERIFY2(r.out.find("100%") != std::string::npos && r.out.find("ETA") != std::string::npos &&
                 r.out.find("/s") != std::string::npos,
             r.out.c_str());
    QVERIFY(r.out.find("hydrated 256/256 regions") != std::string::npos);
}

void TestCloneCli::crashtestClone() {
    // The fixed commit order survives every crash state: exit 0 and the contract's JSON fields.
    auto ok = runCommand(ctl() + " --json crashtest clone --seed 3 --samples 8");
    QCOMPARE(ok.exitCode, 0);
    QJsonObject j = parseJson(ok.out);
    for (const char* key : {"kind", "seed", "legacy", "states_checked", "crash_points", "log_entries", "violation", "seconds", "workload"})
        QVERIFY2(j.contains(key), key);
    QCOMPARE(j["kind"].toString(), QString("clone"));
    QCOMPARE(j["seed"].toInteger(), qint64(3));
    QCOMPARE(j["legacy"].toBool(), false);
    QCOMPARE(j["violation"].toBool(), false);
    QVERIFY(j["states_checked"].toInteger() > 1000);
    QCOMPARE(j["crash_points"].toInteger(), j["log_entries"].toInteger() + 1);
    QVERIFY(!j.contains("invariant"));

    // The pre-fix order (metadata before the destination flush) is caught: exit 3, with the
    // invariant, the crash point and a trace naming the lost destination write.
    auto legacy = runCommand(ctl() + " --json crashtest clone --seed 3 --legacy");
    QCOMPARE(legacy.exitCode, 3);
    j = parseJson(legacy.out);
    QCOMPARE(j["violation"].toBool(), true);
    QCOMPARE(j["legacy"].toBool(), true);
    QCOMPARE(j["invariant"].toString(), QString("hydrated-region-garbage"));
    QVERIFY(j["crash_point"].toInteger() > 0);
    QVERIFY(j["detail"].toString().contains("marked hydrated"));
    QVERIFY(j["trace"].toString().contains("LOST"));
    QVERIFY(legacy.err.find("--legacy") != std::string::npos);  // the note says it is on purpose

    // Text output: the same verdicts in words.
    auto text = runCommand(ctl() + " crashtest clone --seed 1 --ops 60");
    QCOMPARE(text.exitCode, 0);
    QVERIFY2(text.out.find("crashtest clone: 60 clone ops") != std::string::npos, text.out.c_str());
    QVERIFY(text.out.find("no violation") != std::string::npos);
    text = runCommand(ctl() + " crashtest clone --seed 1 --legacy");
    QCOMPARE(text.exitCode, 3);
    QVERIFY2(text.out.find("VIOLATION of hydrated-region-garbage") != std::string::npos, text.out.c_str());
    QCOMPARE(runCommand(ctl() + " crashtest clone --exhaustive 17").exitCode, 2);
}

QTEST_GUILESS_MAIN(TestCloneCli)
#include "tst_clone_cli.moc"
