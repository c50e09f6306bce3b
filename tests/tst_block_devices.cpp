// The block I/O layer: what every engine test builds on, so its crash model must be right.
#include <QtTest>

#include <sys/wait.h>
#include <unistd.h>

#include "core/events/event_ring.h"
#include "core/io/fault_device.h"
#include "core/io/memory_device.h"
#include "core/io/recording_device.h"
#include "core/io/volatile_cache_device.h"
#include "core/posix/file_device.h"
#include "core/util/size.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;

class TestBlockDevices : public QObject {
    Q_OBJECT
private slots:
    void parseSize_data();
    void parseSize();
    void memoryRejectsOutOfRange();
    void volatileCacheLosesUnflushedWrites();
    void volatileCacheKeepsFlushedAndFuaWrites();
    void volatileCacheFuaOverridesOlderCachedWrite();
    void recordingLogsWritesAndFlushCoverage();
    void fileDeviceRoundTripAndDurabilityCalls();
    void fileDeviceMissingFile();
    void fileDeviceRefusesSecondWriterInProcess();
    void fileDeviceNamesHolderInOtherProcess();
    void faultDeviceInjectsErrors();
    void eventRingDropsWhenFullAndKeepsOrder();
};

void TestBlockDevices::parseSize_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<quint64>("bytes");
    QTest::newRow("plain") << "4096" << true << quint64(4096);
    QTest::newRow("K") << "16K" << true << quint64(16384);
    QTest::newRow("KiB") << "16KiB" << true << quint64(16384);
    QTest::newRow("M") << "8M" << true << quint64(8 << 20);
    QTest::newRow("G") << "2G" << true << (quint64(2) << 30);
    QTest::newRow("T") << "1T" << true << (quint64(1) << 40);
    QTest::newRow("empty") << "" << false << quint64(0);
    QTest::newRow("junk") << "12Q" << false << quint64(0);
    QTest::newRow("negative") << "-1" << false << quint64(0);
    QTest::newRow("overflow") << "99999999999T" << false << quint64(0);
}

void TestBlockDevices::parseSize() {
    QFETCH(QString, text);
    QFETCH(bool, ok);
    QFETCH(quint64, bytes);
    auto r = loopsnap::parseSize(text.toStdString());
    QCOMPARE(r.ok(), ok);
    if (ok) QCOMPARE(quint64(r.value()), bytes);
}

void TestBlockDevices::memoryRejectsOutOfRange() {
    MemoryDevice dev(4096);
    std::vector<std::byte> buf(512);
    QVERIFY(dev.read(3584, buf).ok());
    auto r = dev.read(3585, buf);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::InvalidArgument);
    QVERIFY(!dev.write(4096, buf).ok());
}

void TestBlockDevices::volatileCacheLosesUnflushedWrites() {
    auto stable = std::make_shared<MemoryDevice>(8192);
    VolatileCacheDevice dev(stable);
    auto data = patternBytes(1, 0, 4096);
    LS_QVERIFY_OK(dev.write(0, data));
    std::vector<std::byte> back(4096);
    LS_QVERIFY_OK(dev.read(0, back));
    QVERIFY(back == data);  // visible at once
    LS_QVERIFY_OK(dev.crash(VolatileCacheDevice::CrashMode::DropAll));
    LS_QVERIFY_OK(dev.read(0, back));
    QVERIFY(back == std::vector<std::byte>(4096));  // lost: never flushed
}

void TestBlockDevices::volatileCacheKeepsFlushedAndFuaWrites() {
    auto stable = std::make_shared<MemoryDevice>(3 * 4096);
    VolatileCacheDevice dev(stable);
    auto a = patternBytes(1, 0, 4096), b = patternBytes(2, 4096, 4096), c = patternBytes(3, 8192, 4096);
    LS_QVERIFY_OK(dev.write(0, a));
    LS_QVERIFY_OK(dev.flush());
    LS_QVERIFY_OK(dev.write(4096, b, WriteFlags{.fua = true}));
    LS_QVERIFY_OK(dev.write(8192, c));
    LS_QVERIFY_OK(dev.crash(VolatileCacheDevice::CrashMode::DropAll));
    auto all = readAll(*stable);
    QVERIFY(std::equal(a.begin(), a.end(), all.begin()));
    QVERIFY(std::equal(b.begin(), b.end(), all.begin() + 4096));
    QVERIFY(std::all_of(all.begin() + 8192, all.end(), [](std::byte x) { return x == std::byte{0}; }));
}

void TestBlockDevices::volatileCacheFuaOverridesOlderCachedWrite() {
    // An older cached write to the same block must not resurface over a FUA write at destage.
    auto stable = std::make_shared<MemoryDevice>(4096);
    VolatileCacheDevice dev(stable);
    auto oldData = patternBytes(1, 0, 4096), fuaData = patternBytes(2, 0, 4096);
    LS_QVERIFY_OK(dev.write(0, oldData));
    LS_QVERIFY_OK(dev.write(0, fuaData, WriteFlags{.fua = true}));
    LS_QVERIFY_OK(dev.flush());
    QVERIFY(readAll(*stable) == fuaData);
}

void TestBlockDevices::recordingLogsWritesAndFlushCoverage() {
    auto log = std::make_shared<WriteLog>();
    auto a = RecordingDevice::create(std::make_shared<MemoryDevice>(8192), log, "a");
    auto b = RecordingDevice::create(std::make_shared<MemoryDevice>(8192), log, "b");
    QVERIFY(a.ok() && b.ok());
    auto data = patternBytes(7, 0, 512);
    LS_QVERIFY_OK(a.value()->write(0, data));
    LS_QVERIFY_OK(b.value()->write(512, data, WriteFlags{.fua = true}));
    LS_QVERIFY_OK(a.value()->flush());
    const auto& e = log->entries();
    QCOMPARE(e.size(), size_t(3));
    QCOMPARE(e[0].kind, LogEntry::Kind::Write);
    QCOMPARE(e[0].device, a.value()->deviceIndex());
    QVERIFY(e[0].data == data);
    QVERIFY(e[1].fua);
    QCOMPARE(e[2].kind, LogEntry::Kind::Flush);
    QCOMPARE(e[2].coversUpTo, uint64_t(2));
    QCOMPARE(log->devices().size(), size_t(2));
}

void TestBlockDevices::fileDeviceRoundTripAndDurabilityCalls() {
    TempDir dir;
    auto dev = FileDevice::open(dir.file("img"), FileOpenOptions{.create = true, .createSize = 1 << 20});
    LS_QVERIFY_OK(dev);
    QCOMPARE(dev.value()->size(), uint64_t(1 << 20));
    auto data = patternBytes(3, 65536, 8192);
    LS_QVERIFY_OK(dev.value()->write(65536, data, WriteFlags{.fua = true}));
    LS_QVERIFY_OK(dev.value()->flush());
    std::vector<std::byte> back(8192);
    LS_QVERIFY_OK(dev.value()->read(65536, back));
    QVERIFY(back == data);
    QVERIFY(!dev.value()->read((1 << 20) - 100, back).ok());
}

void TestBlockDevices::fileDeviceMissingFile() {
    TempDir dir;
    auto dev = FileDevice::open(dir.file("nope"));
    QVERIFY(!dev.ok());
    QCOMPARE(dev.error().code, ErrorCode::NotFound);
    QVERIFY(dev.error().message.find("nope") != std::string::npos);
}

void TestBlockDevices::fileDeviceRefusesSecondWriterInProcess() {
    TempDir dir;
    auto first = FileDevice::open(dir.file("img"), FileOpenOptions{.create = true, .createSize = 4096});
    LS_QVERIFY_OK(first);
    auto second = FileDevice::open(dir.file("img"));
    QVERIFY(!second.ok());
    QCOMPARE(second.error().code, ErrorCode::Busy);
    auto reader = FileDevice::open(dir.file("img"), FileOpenOptions{.writable = false});
    QVERIFY(reader.ok());  // read-only opens are fine
    first = makeError(ErrorCode::Aborted, "closed");
    QVERIFY(FileDevice::open(dir.file("img")).ok());  // released on close
}

void TestBlockDevices::fileDeviceNamesHolderInOtherProcess() {
    TempDir dir;
    std::string path = dir.file("img");
    { auto c = FileDevice::open(path, FileOpenOptions{.create = true, .createSize = 4096}); QVERIFY(c.ok()); }
    int ready[2];
    QVERIFY(::pipe(ready) == 0);
    pid_t child = ::fork();
    if (child == 0) {
        auto held = FileDevice::open(path);
        char c = held.ok() ? '1' : '0';
        (void)!::write(ready[1], &c, 1);
        ::pause();
        ::_exit(0);
    }
    char c = 0;
    QCOMPARE(::read(ready[0], &c, 1), ssize_t(1));
    QCOMPARE(c, '1');
    auto second = FileDevice::open(path);
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ::close(ready[0]);
    ::close(ready[1]);
    QVERIFY(!second.ok());
    QCOMPARE(second.error().code, ErrorCode::Busy);
    QVERIFY2(second.error().message.find("process " + std::to_string(child)) != std::string::npos,
             second.error().message.c_str());
}

void TestBlockDevices::faultDeviceInjectsErrors() {
    auto inner = std::make_shared<MemoryDevice>(8192);
    FaultDevice dev(inner);
    dev.setRule([](FaultDevice::Op op, uint64_t index, uint64_t, uint64_t) { return op == FaultDevice::Op::Write && index == 1; });
    auto data = patternBytes(1, 0, 512);
    QVERIFY(dev.write(0, data).ok());
    auto r = dev.write(512, data);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::IOError);
    QVERIFY(dev.write(1024, data).ok());
}

void TestBlockDevices::eventRingDropsWhenFullAndKeepsOrder() {
    EventRing ring(4);
    for (uint64_t i = 0; i < 6; ++i) ring.push(Event{EventKind::ExceptionCommitted, 0, i});
    QCOMPARE(ring.dropped(), uint64_t(2));
    std::vector<Event> out;
    QCOMPARE(ring.drain(out), size_t(4));
    for (uint64_t i = 0; i < 4; ++i) QCOMPARE(out[i].seq, i);
    QVERIFY(ring.push(Event{EventKind::AreaWritten, 0, 9}));
    out.clear();
    QCOMPARE(ring.drain(out), size_t(1));
    QCOMPARE(out[0].seq, uint64_t(9));
}

QTEST_GUILESS_MAIN(TestBlockDevices)
#include "tst_block_devices.moc"
