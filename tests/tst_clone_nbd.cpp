// Clones whose source is a remote NBD export (libnbd), served by nbdkit on a unix socket:
// background hydration from the network, and a source that goes away (hydrated regions keep
// being served, the others fail with a clear error and CloneSourceError; the clone reconnects
// when the server is back). Skipped only if nbdkit is not installed.
#include <QtTest>

#include <QProcess>
#include <QStandardPaths>

#include "core/clone/clone_files.h"
#include "core/events/event_ring.h"
#include "core/io/memory_device.h"
#include "core/io/nbd_source_device.h"
#include "core/posix/file_device.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;

namespace {

constexpr uint64_t kSize = 4 << 20;
constexpr uint64_t kRs = 64 << 10;

class NbdServer {
public:
    bool start(const std::string& socket, const std::string& file) {
        socket_ = socket;
        ::unlink(socket.c_str());
        process_.setProgram("nbdkit");
        process_.setArguments({"--foreground", "--readonly", "--unix", QString::fromStdString(socket), "file",
                               QString::fromStdString(file)});
        process_.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process_.start();
        if (!process_.waitForStarted(5000)) return false;
        QDeadlineTimer deadline(10000);
        while (!deadline.hasExpired()) {
            if (fileExists(socket)) return true;
            QThread::msleep(10);
        }
        return false;
    }
    void stop() {
        if (process_.state() == QProcess::NotRunning) return;
        process_.terminate();
        if (!process_.waitForFinished(5000)) {
            process_.kill();
            process_.waitForFinished(5000);
        }
        ::unlink(socket_.c_str());
    }
    ~NbdServer() { stop(); }
    std::string uri() const { return "nbd+unix:///?socket=" + socket_; }

private:
    QProcess process_;
    std::string socket_;
};

}  // namespace

class TestCloneNbd : public QObject {
    Q_OBJECT
private slots:
    void init();
    void backgroundHydrationFromNbd_data();
    void backgroundHydrationFromNbd();
    void unreachableSourceServesHydratedRegions();
    void createWithUnreachableSourceWritesNothing();
};

void TestCloneNbd::init() {
    if (QStandardPaths::findExecutable("nbdkit").isEmpty()) QSKIP("nbdkit is not installed");
}

void TestCloneNbd::backgroundHydrationFromNbd_data() {
    QTest::addColumn<int>("threshold");
    QTest::addColumn<int>("batch");
    QTest::newRow("t1-b1") << 1 << 1;
    QTest::newRow("t8-b4") << 8 << 4;
}

void TestCloneNbd::backgroundHydrationFromNbd() {
    QFETCH(int, threshold);
    QFETCH(int, batch);
    TempDir dir;
    auto data = patternBytes(21, 0, kSize);
    writeFile(dir.file("source.img"), data);
    NbdServer server;
    QVERIFY(server.start(dir.file("nbd.sock"), dir.file("source.img")));
    auto src = NbdSourceDevice::open(server.uri());
    LS_QVERIFY_OK(src);
    QCOMPARE(src.value()->size(), kSize);
    QVERIFY(!src.value()->write(0, std::span<const std::byte>(data.data(), 512)).ok());  // read-only
    auto dest = std::make_shared<MemoryDevice>(kSize);
    auto meta = std::make_shared<MemoryDevice>(CloneMetadata::requiredSize({kSize, kRs}));
    CloneOptions o;
    o.commitInterval = std::chrono::milliseconds(20);
    o.hydrationThreshold = uint32_t(threshold);
    o.hydrationBatchSize = uint32_t(batch);
    auto clone = Clone::create(src.value(), dest, meta, kRs, o);
    LS_QVERIFY_OK(clone);
    // A user write during hydration lands on top of the source data.
    auto patch = patternBytes(5, 100000, 3000);
    clone.value()->enableHydration();
    LS_QVERIFY_OK(clone.value()->write(100000, patch));
    QDeadlineTimer deadline(20000);
    while (!clone.value()->fullyHydrated() && !deadline.hasExpired()) QThread::msleep(5);
    QVERIFY(clone.value()->fullyHydrated());
    LS_QVERIFY_OK(clone.value()->close());
    auto expected = data;
    std::copy(patch.begin(), patch.end(), expected.begin() + 100000);
    QVERIFY(dest->contents() == expected);
}

void TestCloneNbd::unreachableSourceServesHydratedRegions() {
    TempDir dir;
    auto data = patternBytes(22, 0, kSize);
    writeFile(dir.file("source.img"), data);
    auto server = std::make_unique<NbdServer>();
    QVERIFY(server->start(dir.file("nbd.sock"), dir.file("source.img")));
    CloneCreateRequest req{server->uri(), dir.file("dest.img"), dir.file("clone.meta"), kRs};
    auto created = createCloneFiles(req);
    LS_QVERIFY_OK(created);
    {
        auto clone = openCloneFiles(dir.file("clone.meta"));
        LS_QVERIFY_OK(clone);
        LS_QVERIFY_OK(clone.value()->hydrateNext(10));  // regions 0..9
        LS_QVERIFY_OK(clone.value()->close());
    }
    server->stop();

    // Reopen with the server down: the clone opens (the size comes from the metadata).
    auto ring = std::make_shared<EventRing>(256);
    CloneOptions o;
    o.events = std::make_shared<EventSink>();
    o.events->addListener(ring);
    auto clone = openCloneFiles(dir.file("clone.meta"), o);
    LS_QVERIFY_OK(clone);
    std::vector<std::byte> buf(kRs);
    LS_QVERIFY_OK(clone.value()->read(3 * kRs, buf));
    QVERIFY(std::equal(buf.begin(), buf.end(), data.begin() + 3 * kRs));
    auto st = clone.value()->read(20 * kRs, buf);
    QVERIFY(!st.ok());
    QCOMPARE(st.error().code, ErrorCode::IOError);
    const std::string& msg = st.error().message;
    QVERIFY2(msg.find("region 20") != std::string::npos && msg.find("nbd+unix://") != std::string::npos, msg.c_str());
    std::vector<Event> events;
    ring->drain(events);
    bool seen = false;
    for (const auto& e : events) seen = seen || (e.kind == EventKind::CloneSourceError && e.a == 20);
    QVERIFY(seen);
    // A partial write to an unhydrated region needs the source: it fails and changes nothing.
    QVERIFY(!clone.value()->write(20 * kRs + 5, std::span<const std::byte>(buf.data(), 10)).ok());
    QVERIFY(!clone.value()->isRegionHydrated(20));
    // Background hydration reports the error instead of spinning.
    clone.value()->enableHydration();
    QDeadlineTimer deadline(10000);
    while (!clone.value()->hydrationError() && !deadline.hasExpired()) QThread::msleep(5);
    QVERIFY(clone.value()->hydrationError().has_value());

    // The server comes back: the next read reconnects.
    server = std::make_unique<NbdServer>();
    QVERIFY(server->start(dir.file("nbd.sock"), dir.file("source.img")));
    // nbdkit may still be getting ready on a loaded machine: the read that finds it listening
    // must reconnect (each failed attempt is a fresh connect, nothing cached).
    Status reread = clone.value()->read(20 * kRs, buf);
    for (QDeadlineTimer ready(5000); !reread.ok() && !ready.hasExpired(); QThread::msleep(20)) reread = clone.value()->read(20 * kRs, buf);
    LS_QVERIFY_OK(reread);
    QVERIFY(std::equal(buf.begin(), buf.end(), data.begin() + 20 * kRs));
    clone.value()->enableHydration();  // retry
    while (!clone.value()->fullyHydrated() && !deadline.hasExpired()) QThread::msleep(5);
    QVERIFY(clone.value()->fullyHydrated());
    LS_QVERIFY_OK(clone.value()->close());
    QVERIFY(readFile(dir.file("dest.img")) == data);
}

void TestCloneNbd::createWithUnreachableSourceWritesNothing() {
    TempDir dir;
    CloneCreateRequest req{"nbd+unix:///?socket=" + dir.file("nobody.sock"), dir.file("dest.img"),
                           dir.file("clone.meta"), kRs};
    auto r = createCloneFiles(req);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::IOError);
    QVERIFY2(r.error().message.find("cannot connect to NBD source") != std::string::npos, r.error().message.c_str());
    QVERIFY(!fileExists(dir.file("dest.img")));
    QVERIFY(!fileExists(dir.file("clone.meta")));
}

QTEST_GUILESS_MAIN(TestCloneNbd)
#include "tst_clone_nbd.moc"
