// `loopsnapctl serve` end to end (origin and snapshot exports over NBD, the control socket's
// status and live events, clean stop) plus the device-spec grammar it relies on.
#include <QtTest>

#include "core/clone/clone_files.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>

#include <filesystem>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/export/control_server.h"
#include "core/export/device_spec.h"
#include "core/export/nbd_server.h"
#include "core/posix/file_device.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;

namespace {

// A line-reading client of the control socket.
class ControlClient {
public:
    ~ControlClient() {
        if (fd_ >= 0) ::close(fd_);
    }
    bool connect(const std::string& path) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
        timeval tv{5, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        return ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    bool send(const std::string& line) { return ::send(fd_, line.data(), line.size(), MSG_NOSIGNAL) == ssize_t(line.size()); }
    // Next line, or empty on timeout/EOF.
    std::string readLine() {
        for (;;) {
            auto nl = buf_.find('\n');
            if (nl != std::string::npos) {
                std::string l = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                return l;
            }
            char c[4096];
            ssize_t r = ::recv(fd_, c, sizeof c, 0);
            if (r <= 0) return {};
            buf_.append(c, size_t(r));
        }
    }
    QJsonObject request(const std::string& line) {
        if (!send(line + "\n")) return {};
        return QJsonDocument::fromJson(QByteArray::fromStdString(readLine())).object();
    }

private:
    int fd_ = -1;
    std::string buf_;
};

QString ctl() { return QString::fromStdString(loopsnapctl()); }

bool haveTool(const char* name) { return runCommand(std::string("command -v ") + name).exitCode == 0; }

}  // namespace

class TestServe : public QObject {
    Q_OBJECT
private slots:
    void parseDeviceSpec_data();
    void parseDeviceSpec();
    void exportArgument();
    void controlCommandParsing_data();
    void controlCommandParsing();
    void cloneSpecOpensTheCloneEngine();
    void controlStatusReportsCloneAndServerCounters();
    void serveOriginAndSnapshot();
    void serveUsageAndOpenErrors_data();
    void serveUsageAndOpenErrors();
    void serveRecordsWhatItOpensInTheWorkspace_data();
    void serveRecordsWhatItOpensInTheWorkspace();
};

void TestServe::parseDeviceSpec_data() {
    QTest::addColumn<QString>("spec");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QStringList>("cows");
    QTest::newRow("origin alone") << "origin:/o.img" << true << "origin" << "/o.img" << QStringList{};
    QTest::newRow("origin two cows") << "origin:/o.img:/a.cow:/b.cow" << true << "origin" << "/o.img" << QStringList{"/a.cow", "/b.cow"};
    QTest::newRow("snapshot") << "snapshot:o.img:c.cow" << true << "snapshot" << "o.img" << QStringList{"c.cow"};
    QTest::newRow("clone") << "clone:m.meta" << true << "clone" << "m.meta" << QStringList{};
    QTest::newRow("file") << "file:/x/disk.img" << true << "file" << "/x/disk.img" << QStringList{};
    QTest::newRow("snapshot without cow") << "snapshot:o.img" << false << "" << "" << QStringList{};
    QTest::newRow("snapshot two cows") << "snapshot:o:a:b" << false << "" << "" << QStringList{};
    QTest::newRow("unknown kind") << "disk:/x" << false << "" << "" << QStringList{};
    QTest::newRow("no path") << "origin" << false << "" << "" << QStringList{};
    QTest::newRow("empty path") << "origin::c.cow" << false << "" << "" << QStringList{};
    QTest::newRow("colon in file path") << "file:/a:b" << false << "" << "" << QStringList{};
}

void TestServe::parseDeviceSpec() {
    QFETCH(QString, spec);
    QFETCH(bool, ok);
    QFETCH(QString, kind);
    QFETCH(QString, path);
    QFETCH(QStringList, cows);
    auto r = loopsnap::parseDeviceSpec(spec.toStdString());
    QCOMPARE(r.ok(), ok);
    if (!ok) {
        QCOMPARE(r.error().code, ErrorCode::InvalidArgument);
        return;
    }
    QCOMPARE(QString(deviceSpecKindName(r->kind)), kind);
    QCOMPARE(QString::fromStdString(r->path), path);
    QStringList got;
    for (auto& c : r->cowPaths) got << QString::fromStdString(c);
    QCOMPARE(got, cows);
}

void TestServe::exportArgument() {
    auto r = parseExportArgument("disk=origin:/o.img:/c.cow");
    LS_QVERIFY_OK(r);
    QCOMPARE(r->first, std::string("disk"));
    QCOMPARE(r->second.kind, DeviceSpecKind::Origin);
    QVERIFY(!parseExportArgument("origin:/o.img").ok());
    QVERIFY(!parseExportArgument("=origin:/o.img").ok());
    QVERIFY(!parseExportArgument("x=nope:/o").ok());
}

void TestServe::controlCommandParsing_data() {
    QTest::addColumn<QString>("line");
    QTest::addColumn<QString>("cmd");
    QTest::newRow("plain") << R"({"cmd":"status"})" << "status";
    QTest::newRow("spaces") << R"(  { "cmd" : "events" }  )" << "events";
    QTest::newRow("other keys") << R"({"id":3,"cmd":"ping"})" << "ping";
    QTest::newRow("not an object") << R"(["cmd","status"])" << "";
    QTest::newRow("no cmd") << R"({"command":"status"})" << "";
    QTest::newRow("number") << R"({"cmd":5})" << "";
    QTest::newRow("garbage") << "status" << "";
    QTest::newRow("unterminated") << R"({"cmd":"status")" << "";
}

void TestServe::controlCommandParsing() {
    QFETCH(QString, line);
    QFETCH(QString, cmd);
    QCOMPARE(QString::fromStdString(controlCommandOf(line.toStdString())), cmd);
}

void TestServe::cloneSpecOpensTheCloneEngine() {
    // A clone spec whose metadata is missing is a clear error...
    auto r = openDeviceSpec("clone:/nowhere/m.meta");
    QVERIFY(!r.ok());
    QVERIFY(r.error().message.find("/nowhere/m.meta") != std::string::npos);
    // ...and an existing clone is served: reads show the source before any hydration.
    TempDir dir;
    auto src = patternBytes(4, 0, 1 << 20);
    writeFile(dir.file("src.img"), src);
    auto created = createCloneFiles(CloneCreateRequest{dir.file("src.img"), dir.file("dst.img"), dir.file("c.meta")});
    LS_QVERIFY_OK(created);
    auto served = openDeviceSpec("clone:" + dir.file("c.meta"));
    LS_QVERIFY_OK(served);
    QVERIFY(served.value().clone != nullptr);
    std::vector<std::byte> got(src.size());
    LS_QVERIFY_OK(served.value().device->read(0, got));
    QVERIFY(got == src);
}

void TestServe::controlStatusReportsCloneAndServerCounters() {
    TempDir dir;
    writeFile(dir.file("src.img"), patternBytes(5, 0, 1 << 20));
    LS_QVERIFY_OK(createCloneFiles(CloneCreateRequest{dir.file("src.img"), dir.file("dst.img"), dir.file("c.meta")}));
    writeFile(dir.file("plain.img"), patternBytes(6, 0, 1 << 20));
    auto served = openDeviceSpecs({"clone:" + dir.file("c.meta"), "file:" + dir.file("plain.img")});
    LS_QVERIFY_OK(served);
    NbdServer nbd;
    LS_QVERIFY_OK(nbd.addExport({"c", served->at(0).device, false, ""}));
    LS_QVERIFY_OK(nbd.addExport({"p", served->at(1).device, true, ""}));
    ControlServer control(nbd, {{"c", served->at(0)}, {"p", served->at(1)}}, nullptr, nullptr);
    LS_QVERIFY_OK(control.listen(dir.file("ctl")));
    ControlClient client;
    QVERIFY(client.connect(dir.file("ctl")));
    auto st = client.request(R"({"cmd":"status"})");
    auto exports = st["exports"].toArray();
    QCOMPARE(exports.size(), 2);
    auto c = exports[0].toObject();
    QCOMPARE(c["kind"].toString(), QString("clone"));
    QCOMPARE(c["size"].toInteger(), qint64(1 << 20));
    auto clone = c["clone"].toObject();
    QVERIFY(clone["total_regions"].toInteger() > 0);
    QVERIFY(!clone["status"].toString().isEmpty());
    auto p = exports[1].toObject();
    QCOMPARE(p["kind"].toString(), QString("file"));
    QCOMPARE(p["connections"].toInteger(), qint64(0));
    QVERIFY(!p.contains("clone"));
    // Without an event ring the server says so instead of streaming nothing.
    QCOMPARE(client.request(R"({"cmd":"events"})")["error"].toObject()["code"].toString(), QString("Unsupported"));
    QCOMPARE(client.request(R"({"cmd":"ping"})")["ok"].toBool(), true);
}

void TestServe::serveOriginAndSnapshot() {
    if (!haveTool("qemu-io") || !haveTool("nbdcopy")) QSKIP("qemu-io and nbdcopy are needed");
    TempDir dir;
    std::string origin = dir.file("o.img"), cow = dir.file("c.cow"), sock = dir.file("s.sock");
    auto before = patternBytes(1, 0, 8 << 20);
    writeFile(origin, before);
    auto r = runCommand(loopsnapctl() + " snapshot create --origin " + origin + " --cow " + cow + " --cow-size 4M");
    QVERIFY2(r.exitCode == 0, r.err.c_str());

    QProcess serve;
    serve.start(ctl(), {"--json", "serve", "--socket", QString::fromStdString(sock), "--export",
                        QString::fromStdString("o=origin:" + origin + ":" + cow), "--export",
                        QString::fromStdString("s=snapshot:" + origin + ":" + cow), "--tcp", "0"});
    QVERIFY(serve.waitForStarted());
    QVERIFY2(serve.waitForReadyRead(5000), serve.readAllStandardError().constData());
    auto hello = QJsonDocument::fromJson(serve.readLine()).object();
    QCOMPARE(hello["serving"].toArray().size(), 2);
    QCOMPARE(hello["control"].toString(), QString::fromStdString(sock + ".ctl"));
    // A bare --tcp port binds the loopback address only.
    QString tcp = hello["tcp"].toString();
    QVERIFY2(tcp.startsWith("127.0.0.1:") && !tcp.endsWith(":0"), qPrintable(tcp));
    if (haveTool("nbdinfo")) {
        auto info = runCommand("nbdinfo --size nbd://" + tcp.toStdString() + "/s");
        QVERIFY2(info.exitCode == 0, info.err.c_str());
        QCOMPARE(info.out, std::string("8388608\n"));
    }

    ControlClient events;
    QVERIFY(events.connect(sock + ".ctl"));
    QCOMPARE(events.request(R"({"cmd":"events"})")["ok"].toBool(), true);

    // Write the origin through NBD: the snapshot export must keep the old bytes.
    std::string uriO = "nbd+unix:///o?socket=" + sock, uriS = "nbd+unix:///s?socket=" + sock;
    r = runCommand("qemu-io -f raw -c 'write -P 0xab 1M 256k' -c flush '" + uriO + "'");
    QVERIFY2(r.exitCode == 0, r.err.c_str());
    r = runCommand("nbdcopy '" + uriS + "' '" + dir.file("snap.bin") + "'");
    QVERIFY2(r.exitCode == 0, r.err.c_str());
    QVERIFY(readFile(dir.file("snap.bin")) == before);
    r = runCommand("nbdcopy '" + uriO + "' '" + dir.file("origin.bin") + "'");
    QVERIFY2(r.exitCode == 0, r.err.c_str());
    auto now = readFile(dir.file("origin.bin"));
    QVERIFY(now != before);
    QCOMPARE(now[(1 << 20) + 5], std::byte{0xab});

    // The copy-on-write showed up as events on the stream...
    QSet<QString> kinds;
    for (int i = 0; i < 1000 && !kinds.contains("exception-committed"); ++i) {
        std::string line = events.readLine();
        if (line.empty()) break;
        auto ev = QJsonDocument::fromJson(QByteArray::fromStdString(line)).object();
        kinds << ev["event"].toString();
        if (ev["event"].toString() == "exception-committed") QVERIFY(ev["source"].toString().endsWith(QString::fromStdString(cow)));
    }
    QVERIFY2(kinds.contains("exception-allocated") && kinds.contains("exception-committed"),
             qPrintable(QStringList(kinds.values()).join(",")));

    // ...and in the status: 256 KiB = 16 chunks of 16 KiB committed.
    ControlClient status;
    QVERIFY(status.connect(sock + ".ctl"));
    auto st = status.request(R"({"cmd":"status"})");
    QCOMPARE(st["ok"].toBool(), true);
    auto exports = st["exports"].toArray();
    QCOMPARE(exports.size(), 2);
    auto o = exports[0].toObject();
    QCOMPARE(o["name"].toString(), QString("o"));
    QCOMPARE(o["kind"].toString(), QString("origin"));
    QVERIFY(o["bytes_written"].toInteger() >= 256 * 1024);
    auto snap = o["snapshots"].toArray()[0].toObject();
    QCOMPARE(snap["state"].toString(), QString("valid"));
    QCOMPARE(snap["exceptions"].toInteger(), qint64(16));
    QVERIFY(snap["status"].toString().endsWith(" " + QString::number(snap["metadata_sectors"].toInteger())));
    QCOMPARE(exports[1].toObject()["kind"].toString(), QString("snapshot"));
    QCOMPARE(status.request(R"({"cmd":"nope"})")["ok"].toBool(), false);
    QCOMPARE(status.request("not json")["error"].toObject()["code"].toString(), QString("InvalidArgument"));

    serve.terminate();  // SIGTERM
    QVERIFY(serve.waitForFinished(10000));
    QCOMPARE(serve.exitStatus(), QProcess::NormalExit);
    QCOMPARE(serve.exitCode(), 0);
    QVERIFY(!fileExists(sock));
    QVERIFY(!fileExists(sock + ".ctl"));
    // The COW store holds the old data after the server is gone.
    r = runCommand(loopsnapctl() + " snapshot read --origin " + origin + " --cow " + cow + " --out " + dir.file("after.bin"));
    QVERIFY2(r.exitCode == 0, r.err.c_str());
    QVERIFY(readFile(dir.file("after.bin")) == before);
}

void TestServe::serveUsageAndOpenErrors_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    QTest::newRow("no socket") << QStringList{"serve", "--export", "a=file:/x"} << 2 << "--socket";
    QTest::newRow("no export") << QStringList{"serve", "--socket", "S"} << 2 << "--export";
    QTest::newRow("bad spec") << QStringList{"serve", "--socket", "S", "--export", "a=disk:/x"} << 2 << "unknown kind";
    QTest::newRow("bad tcp") << QStringList{"serve", "--socket", "S", "--export", "a=file:F", "--tcp", "x:y"} << 2 << "--tcp";
    QTest::newRow("same name") << QStringList{"serve", "--socket", "S", "--export", "a=file:F", "--export", "a=file:F"} << 2 << "twice";
    QTest::newRow("clone with missing metadata") << QStringList{"serve", "--socket", "S", "--export", "a=clone:M"} << 1 << "M";
    QTest::newRow("missing file") << QStringList{"serve", "--socket", "S", "--export", "a=file:/nonexistent/x.img"} << 1 << "x.img";
}

void TestServe::serveUsageAndOpenErrors() {
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    TempDir dir;
    for (auto& a : args) {
        if (a == "S") a = QString::fromStdString(dir.file("s.sock"));
        if (a.endsWith("file:F")) a.replace("file:F", QString::fromStdString("file:" + dir.file("f.img")));
    }
    writeFile(dir.file("f.img"), patternBytes(1, 0, 4096));
    QProcess p;
    p.start(ctl(), args);
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), exitCode);
    QVERIFY2(p.readAllStandardError().contains(message.toUtf8()), qPrintable(message));
}

// cli-contract.md, Workspace: what `serve` opens is remembered. The stores are made in another
// workspace, so the serving one starts empty; `list` (run while serving) shows what the specs
// opened: an origin with the listed store and, for a read-write open, the recorded one attached
// beside it; a read-only snapshot only its own store; a clone; a plain file nothing.
void TestServe::serveRecordsWhatItOpensInTheWorkspace_data() {
    QTest::addColumn<QStringList>("exports");
    QTest::addColumn<bool>("readOnly");
    QTest::addColumn<QStringList>("cows");    // recorded stores, in workspace order
    QTest::addColumn<QStringList>("clones");  // recorded clone metadata
    QTest::newRow("origin read-write") << QStringList{"o=origin:{O}:{A}"} << false << QStringList{"{A}", "{B}"} << QStringList{};
    QTest::newRow("snapshot read-only") << QStringList{"s=snapshot:{O}:{B}"} << true << QStringList{"{B}"} << QStringList{};
    QTest::newRow("origin and snapshot of it") << QStringList{"o=origin:{O}:{A}", "s=snapshot:{O}:{A}"} << false
                                               << QStringList{"{A}", "{B}"} << QStringList{};
    QTest::newRow("read-only new store (no store yet)") << QStringList{"s=snapshot:{O}:{N}"} << true << QStringList{} << QStringList{};
    QTest::newRow("clone") << QStringList{"c=clone:{M}"} << false << QStringList{} << QStringList{"{M}"};
    QTest::newRow("plain file") << QStringList{"f=file:{F}"} << false << QStringList{} << QStringList{};
}

void TestServe::serveRecordsWhatItOpensInTheWorkspace() {
    QFETCH(QStringList, exports);
    QFETCH(bool, readOnly);
    QFETCH(QStringList, cows);
    QFETCH(QStringList, clones);
    TempDir dir;
    const std::string o = dir.file("o.img"), f = dir.file("f.img"), src = dir.file("src.img");
    writeFile(o, patternBytes(1, 0, 4 << 20));
    writeFile(f, patternBytes(2, 0, 1 << 20));
    writeFile(src, patternBytes(3, 0, 1 << 20));
    writeFile(dir.file("n.cow"), std::vector<std::byte>(1 << 20));  // new: magic 0, never formatted
    const std::string setup = "LOOPSNAP_WORKSPACE=" + dir.file("setup-ws") + " " + loopsnapctl();
    for (const char* cow : {"a.cow", "b.cow"}) {
        auto r = runCommand(setup + " snapshot create --origin " + o + " --cow " + dir.file(cow) + " --cow-size 1M --chunk 4K");
        QVERIFY2(r.exitCode == 0, r.err.c_str());
    }
    auto r = runCommand(setup + " clone create --source " + src + " --dest " + dir.file("d.img") + " --meta " + dir.file("c.meta"));
    QVERIFY2(r.exitCode == 0, r.err.c_str());

    auto fill = [&](QString t) {
        const std::string canonical = std::filesystem::canonical(dir.path()).string();
        return t.replace("{O}", QString::fromStdString(canonical + "/o.img"))
            .replace("{A}", QString::fromStdString(canonical + "/a.cow"))
            .replace("{B}", QString::fromStdString(canonical + "/b.cow"))
            .replace("{M}", QString::fromStdString(canonical + "/c.meta"))
            .replace("{N}", QString::fromStdString(canonical + "/n.cow"))
            .replace("{F}", QString::fromStdString(canonical + "/f.img"));
    };
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("LOOPSNAP_WORKSPACE", QString::fromStdString(dir.file("serve-ws")));
    QStringList args{"--json", "serve", "--socket", QString::fromStdString(dir.file("s.sock"))};
    for (const QString& e : exports) args << "--export" << fill(e);
    if (readOnly) args << "--read-only";
    QProcess serve;
    serve.setProcessEnvironment(env);
    serve.start(ctl(), args);
    QVERIFY(serve.waitForStarted());
    QVERIFY2(serve.waitForReadyRead(10000), serve.readAllStandardError().constData());
    QCOMPARE(QJsonDocument::fromJson(serve.readLine()).object()["serving"].toArray().size(), exports.size());

    QProcess list;
    list.setProcessEnvironment(env);
    list.start(ctl(), {"--json", "list"});
    QVERIFY(list.waitForFinished(10000));
    QCOMPARE(list.exitCode(), 0);
    const QJsonObject listed = QJsonDocument::fromJson(list.readAllStandardOutput()).object();
    QStringList listedCows, listedClones, listedOrigins;
    for (const auto& ov : listed["origins"].toArray()) {
        listedOrigins << ov.toObject()["path"].toString();
        for (const auto& sv : ov.toObject()["snapshots"].toArray()) {
            listedCows << sv.toObject()["cow"].toString();
            QCOMPARE(sv.toObject()["state"].toString(), QString("valid"));
        }
    }
    for (const auto& cv : listed["clones"].toArray()) listedClones << cv.toObject()["meta"].toString();
    QStringList expectedCows, expectedClones;
    for (const QString& c : cows) expectedCows << fill(c);
    for (const QString& c : clones) expectedClones << fill(c);
    QCOMPARE(listedCows, expectedCows);
    QCOMPARE(listedClones, expectedClones);
    QCOMPARE(listedOrigins, cows.isEmpty() ? QStringList{} : QStringList{fill("{O}")});

    serve.terminate();
    QVERIFY(serve.waitForFinished(10000));
    QCOMPARE(serve.exitCode(), 0);
}

QTEST_GUILESS_MAIN(TestServe)
#include "tst_serve.moc"
