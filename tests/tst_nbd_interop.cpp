// The NBD server against real clients: nbdinfo, nbdcopy, qemu-img and the libnbd C API. A test
// skips (with the reason) only when the tool is not installed.
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cerrno>

#if LOOPSNAP_HAVE_LIBNBD
#include <libnbd.h>
#endif

#include "core/export/nbd_server.h"
#include "core/io/memory_device.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;

namespace {
bool haveTool(const char* name) { return runCommand(std::string("command -v ") + name).exitCode == 0; }
#define REQUIRE_TOOL(name) \
    if (!haveTool(name)) QSKIP(name " is not installed")
}  // namespace

class TestNbdInterop : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void nbdinfoSeesExportsAndFlags();
    void nbdcopyRoundTrip();
    void qemuImgInfoConvertCompare();
    void libnbdApi();
    void libnbdAioPipelining();

private:
    std::string uri(const std::string& name) const { return "nbd+unix:///" + name + "?socket=" + sock_; }
    std::unique_ptr<TempDir> dir_;
    std::shared_ptr<MemoryDevice> disk_, ro_;
    std::unique_ptr<NbdServer> server_;
    std::string sock_;
};

static constexpr uint64_t kSize = 8 << 20;

void TestNbdInterop::init() {
    dir_ = std::make_unique<TempDir>();
    sock_ = dir_->file("nbd.sock");
    disk_ = std::make_shared<MemoryDevice>(patternBytes(1, 0, kSize), "disk");
    ro_ = std::make_shared<MemoryDevice>(patternBytes(2, 0, 1 << 20), "ro");
    server_ = std::make_unique<NbdServer>();
    LS_QVERIFY_OK(server_->addExport({"disk", disk_, false, "test disk"}));
    LS_QVERIFY_OK(server_->addExport({"ro", ro_, true, ""}));
    LS_QVERIFY_OK(server_->listenUnix(sock_));
}

void TestNbdInterop::cleanup() {
    server_.reset();
    dir_.reset();
}

void TestNbdInterop::nbdinfoSeesExportsAndFlags() {
    REQUIRE_TOOL("nbdinfo");
    auto r = runCommand("nbdinfo --json '" + uri("disk") + "'");
    QVERIFY2(r.exitCode == 0, r.err.c_str());
    auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(r.out));
    auto exp = doc.object()["exports"].toArray().at(0).toObject();
    QCOMPARE(exp["export-size"].toInteger(), qint64(kSize));
    QCOMPARE(exp["is_read_only"].toBool(true), false);
    QCOMPARE(exp["can_flush"].toBool(), true);
    QCOMPARE(exp["can_fua"].toBool(), true);
    QCOMPARE(exp["can_trim"].toBool(), true);
    QCOMPARE(exp["can_zero"].toBool(), true);
    QCOMPARE(exp["can_multi_conn"].toBool(), true);
    QCOMPARE(exp["block_size_maximum"].toInteger(), qint64(32 << 20));
    QCOMPARE(doc.object()["protocol"].toString(), QString("newstyle-fixed"));

    r = runCommand("nbdinfo --json '" + uri("ro") + "'");
    QVERIFY2(r.exitCode == 0, r.err.c_str());
    exp = QJsonDocument::fromJson(QByteArray::fromStdString(r.out)).object()["exports"].toArray().at(0).toObject();
    QCOMPARE(exp["is_read_only"].toBool(), true);

    r = runCommand("nbdinfo --list --json 'nbd+unix://?socket=" + sock_ + "'");
    QVERIFY2(r.exitCode == 0, r.err.c_str());
    QStringList names;
    for (auto e : QJsonDocument::fromJson(QByteArray::fromStdString(r.out)).object()["exports"].toArray())
        names << e.toObject()["export-name"].toString();
    names.sort();
    QCOMPARE(names, QStringList({"disk", "ro"}));

    r = runCommand("nbdinfo '" + uri("missing") + "'");
    QVERIFY(r.exitCode != 0);
}

void TestNbdInterop::nbdcopyRoundTrip() {
    REQUIRE_TOOL("nbdcopy");
    auto src = patternBytes(33, 0, kSize);
    writeFile(dir_->file("src.img"), src);
    auto r = runCommand("nbdcopy --flush '" + dir_->file("src.img") + "' '" + uri("disk") + "'");
    QVERIFY2(r.exitCode == 0, r.err.c_str());
    QVERIFY(disk_->contents() == src);
    r = runCommand("nbdcopy '" + uri("disk") + "' '" + dir_->file("back.img") + "'");
    QVERIFY2(r.exitCode == 0, r.err.c_str());
    QVERIFY(readFile(dir_->file("back.img")) == src);
    // Writing to the read-only export fails.
    r = runCommand("nbdcopy '" + dir_->file("src.img") + "' '" + uri("ro") + "'");
    QVERIFY(r.exitCode != 0);
}

void TestNbdInterop::qemuImgInfoConvertCompare() {
    REQUIRE_TOOL("qemu-img");
    auto r = runCommand("qemu-img info --output=json '" + uri("disk") + "'");
    QVERIFY2(r.exitCode == 0, r.err.c_str());
    QCOMPARE(QJsonDocument::fromJson(QByteArray::fromStdString(r.out)).object()["virtual-size"].toInteger(),
             qint64(kSize));
    auto src = patternBytes(44, 0, kSize);
    writeFile(dir_->file("src.img"), src);
    r = runCommand("qemu-img convert -n -f raw -O raw '" + dir_->file("src.img") + "' '" + uri("disk") + "'");
    QVERIFY2(r.exitCode == 0, r.err.c_str());
    QVERIFY(disk_->contents() == src);
    r = runCommand("qemu-img compare -f raw -F raw '" + dir_->file("src.img") + "' '" + uri("disk") + "'");
    QVERIFY2(r.exitCode == 0, (r.out + r.err).c_str());
    LS_QVERIFY_OK(disk_->write(4096, patternBytes(45, 0, 512)));
    r = runCommand("qemu-img compare -f raw -F raw '" + dir_->file("src.img") + "' '" + uri("disk") + "'");
    QCOMPARE(r.exitCode, 1);  // "images differ"
}

void TestNbdInterop::libnbdApi() {
#if !LOOPSNAP_HAVE_LIBNBD
    QSKIP("built without libnbd (pkg-config libnbd not found)");
#else
    struct nbd_handle* h = nbd_create();
    QVERIFY(h);
    auto closer = qScopeGuard([h] { nbd_close(h); });
    QVERIFY2(nbd_connect_uri(h, uri("disk").c_str()) == 0, nbd_get_error());
    QCOMPARE(nbd_get_size(h), int64_t(kSize));
    QCOMPARE(nbd_can_fua(h), 1);
    QCOMPARE(nbd_can_flush(h), 1);
    QCOMPARE(nbd_can_trim(h), 1);
    QCOMPARE(nbd_can_zero(h), 1);
    QCOMPARE(nbd_can_multi_conn(h), 1);
    QCOMPARE(nbd_get_structured_replies_negotiated(h), 0);  // refused: simple replies only
    auto data = patternBytes(55, 0, 65536);
    QCOMPARE(nbd_pwrite(h, data.data(), data.size(), 1 << 20, LIBNBD_CMD_FLAG_FUA), 0);
    std::vector<std::byte> back(data.size());
    QCOMPARE(nbd_pread(h, back.data(), back.size(), 1 << 20, 0), 0);
    QVERIFY(back == data);
    QCOMPARE(nbd_flush(h, 0), 0);
    QCOMPARE(nbd_zero(h, 4096, 1 << 20, 0), 0);
    QCOMPARE(nbd_trim(h, 4096, 0, 0), 0);
    std::vector<std::byte> direct(4096);
    LS_QVERIFY_OK(disk_->read(1 << 20, direct));
    QVERIFY(direct == std::vector<std::byte>(4096));
    // With libnbd's client-side checks off, the server itself must refuse bad requests.
    QCOMPARE(nbd_set_strict_mode(h, 0), 0);
    QCOMPARE(nbd_pread(h, back.data(), 4096, kSize - 512, 0), -1);
    QCOMPARE(nbd_get_errno(), EINVAL);
    QCOMPARE(nbd_shutdown(h, 0), 0);

    struct nbd_handle* ro = nbd_create();
    auto roCloser = qScopeGuard([ro] { nbd_close(ro); });
    QVERIFY2(nbd_connect_uri(ro, uri("ro").c_str()) == 0, nbd_get_error());
    QCOMPARE(nbd_is_read_only(ro), 1);
    QCOMPARE(nbd_set_strict_mode(ro, 0), 0);
    QCOMPARE(nbd_pwrite(ro, data.data(), 512, 0, 0), -1);
    QCOMPARE(nbd_get_errno(), EPERM);
    QVERIFY(ro_->contents() == patternBytes(2, 0, 1 << 20));
#endif
}

// libnbd's asynchronous API keeps many requests in flight on one connection: every write and
// read completes with the right data, the server ran several at once, and a FLUSH issued after
// the writes completed covers them.
void TestNbdInterop::libnbdAioPipelining() {
#if !LOOPSNAP_HAVE_LIBNBD
    QSKIP("built without libnbd (pkg-config libnbd not found)");
#else
    struct nbd_handle* h = nbd_create();
    QVERIFY(h);
    auto closer = qScopeGuard([h] { nbd_close(h); });
    QVERIFY2(nbd_connect_uri(h, uri("disk").c_str()) == 0, nbd_get_error());
    constexpr int kRequests = 64;
    constexpr uint64_t kBlock = 64 << 10;
    std::vector<std::vector<std::byte>> data;
    std::vector<int64_t> ids;
    for (int i = 0; i < kRequests; ++i) {
        data.push_back(patternBytes(700 + uint64_t(i), 0, kBlock));
        int64_t id = nbd_aio_pwrite(h, data.back().data(), kBlock, uint64_t(i) * kBlock, NBD_NULL_COMPLETION, 0);
        QVERIFY2(id > 0, nbd_get_error());
        ids.push_back(id);
    }
    QVERIFY(nbd_aio_in_flight(h) > 1);
    auto waitAll = [&](const std::vector<int64_t>& wanted) {
        for (int64_t id : wanted) {
            int done;
            while ((done = nbd_aio_command_completed(h, uint64_t(id))) == 0)
                if (nbd_poll(h, 5000) == -1) return false;
            if (done != 1) return false;
        }
        return true;
    };
    QVERIFY2(waitAll(ids), nbd_get_error());
    int64_t flushId = nbd_aio_flush(h, NBD_NULL_COMPLETION, 0);
    QVERIFY(flushId > 0);
    QVERIFY2(waitAll({flushId}), nbd_get_error());
    std::vector<std::vector<std::byte>> back(kRequests, std::vector<std::byte>(kBlock));
    ids.clear();
    for (int i = 0; i < kRequests; ++i)
        ids.push_back(nbd_aio_pread(h, back[size_t(i)].data(), kBlock, uint64_t(i) * kBlock, NBD_NULL_COMPLETION, 0));
    QVERIFY2(waitAll(ids), nbd_get_error());
    for (int i = 0; i < kRequests; ++i) QVERIFY(back[size_t(i)] == data[size_t(i)]);
    std::vector<std::byte> direct(kBlock);
    LS_QVERIFY_OK(disk_->read(5 * kBlock, direct));
    QVERIFY(direct == data[5]);
    uint64_t peak = 0;
    for (const auto& e : server_->exports())
        if (e.name == "disk") peak = e.peakRequestsInFlight;
    QVERIFY2(peak > 1, qPrintable(QString("peak in flight %1").arg(peak)));
    QCOMPARE(nbd_shutdown(h, 0), 0);
#endif
}

QTEST_GUILESS_MAIN(TestNbdInterop)
#include "tst_nbd_interop.moc"
