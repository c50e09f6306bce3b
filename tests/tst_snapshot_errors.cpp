// Engine-level guarantees behind the file commands: an invalidation keeps the error that caused
// it, read-only snapshots write nothing, and a snapshot's size 0 is a size.
#include <QtTest>

#include <mutex>

#include "core/events/listener.h"
#include "core/io/fault_device.h"
#include "core/io/memory_device.h"
#include "core/snapshot/snapshot.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;

namespace {
constexpr uint64_t K4 = 4096;

class Invalidations final : public EventListener {
public:
    void onEvent(const Event& e) noexcept override {
        if (e.kind != EventKind::SnapshotInvalidated) return;
        std::lock_guard lock(mutex);
        codes.push_back(ErrorCode(e.a));
    }
    std::mutex mutex;
    std::vector<ErrorCode> codes;
};
}  // namespace

class TestSnapshotErrors : public QObject {
    Q_OBJECT
private slots:
    void invalidationKeepsTheRealError_data();
    void invalidationKeepsTheRealError();
    void readOnlySnapshotOfANewStoreWritesNothing();
    void sizeZeroIsASize();
};

void TestSnapshotErrors::invalidationKeepsTheRealError_data() {
    QTest::addColumn<QString>("failing");  // which COW request fails
    QTest::newRow("the copy's data write") << "data";
    QTest::newRow("the area flush") << "flush";
}

void TestSnapshotErrors::invalidationKeepsTheRealError() {
    QFETCH(QString, failing);
    auto originMem = std::make_shared<MemoryDevice>(patternBytes(1, 0, 256 * K4));
    auto cowMem = std::make_shared<MemoryDevice>(256 * K4, "cow");
    auto cow = std::make_shared<FaultDevice>(cowMem);
    auto sink = std::make_shared<EventSink>();
    auto seen = std::make_shared<Invalidations>();
    sink->addListener(seen);
    auto origin = Origin::create(originMem, OriginOptions{.events = sink});
    auto snap = origin->attachSnapshot(cow, SnapshotOptions{.chunkBytes = uint32_t(K4)}).value();
    if (failing == "data") cow->setRule([](FaultDevice::Op op, uint64_t, uint64_t offset, uint64_t) { return op == FaultDevice::Op::Write && offset >= 2 * K4; });
    else cow->setRule([](FaultDevice::Op op, uint64_t, uint64_t, uint64_t) { return op == FaultDevice::Op::Flush; });
    // The origin write goes on: a failing snapshot never harms the origin.
    LS_QVERIFY_OK(origin->write(0, patternBytes(2, 0, K4)));
    QCOMPARE(snap->status().state, SnapshotState::Invalid);
    std::vector<std::byte> buf(K4);
    auto r = snap->read(0, buf);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::Invalidated);
    QCOMPARE(r.error().detail, std::string("invalid"));
    const std::string injected = failing == "data" ? "injected write error" : "injected flush error";
    QVERIFY2(r.error().message.find(injected) != std::string::npos, r.error().message.c_str());
    auto w = snap->write(0, buf);
    QVERIFY(!w.ok());
    QVERIFY2(w.error().message.find(injected) != std::string::npos, w.error().message.c_str());
    std::lock_guard lock(seen->mutex);
    QCOMPARE(seen->codes.size(), size_t(1));
    QCOMPARE(seen->codes[0], ErrorCode::IOError);
}

void TestSnapshotErrors::readOnlySnapshotOfANewStoreWritesNothing() {
    auto contents = patternBytes(3, 0, 64 * K4);
    auto originMem = std::make_shared<MemoryDevice>(contents);
    auto cowMem = std::make_shared<MemoryDevice>(64 * K4, "cow");
    auto origin = Origin::create(originMem, OriginOptions{.readOnly = true});
    auto snap = origin->attachSnapshot(cowMem, SnapshotOptions{.chunkBytes = uint32_t(K4), .readOnly = true});
    LS_QVERIFY_OK(snap);
    QVERIFY(readAll(*snap.value()->device()) == contents);
    QVERIFY(readAll(*cowMem) == std::vector<std::byte>(64 * K4));  // not formatted
    auto w = snap.value()->write(0, patternBytes(4, 0, K4));
    QVERIFY(!w.ok());
    QCOMPARE(w.error().detail, std::string("read-only"));
    auto ow = origin->write(0, patternBytes(4, 0, K4));
    QVERIFY(!ow.ok());
    QCOMPARE(ow.error().detail, std::string("read-only"));
    QVERIFY(readAll(*originMem) == contents);
    QVERIFY(readAll(*cowMem) == std::vector<std::byte>(64 * K4));
}

void TestSnapshotErrors::sizeZeroIsASize() {
    auto originMem = std::make_shared<MemoryDevice>(patternBytes(5, 0, 16 * K4));
    auto origin = Origin::create(originMem);
    auto snap = origin->attachSnapshot(std::make_shared<MemoryDevice>(16 * K4), SnapshotOptions{.chunkBytes = uint32_t(K4), .sizeBytes = 0});
    LS_QVERIFY_OK(snap);
    QCOMPARE(snap.value()->size(), uint64_t(0));
    auto whole = origin->attachSnapshot(std::make_shared<MemoryDevice>(16 * K4), SnapshotOptions{.chunkBytes = uint32_t(K4)});
    QCOMPARE(whole.value()->size(), uint64_t(16 * K4));  // unset: the origin's size
}

QTEST_GUILESS_MAIN(TestSnapshotErrors)
#include "tst_snapshot_errors.moc"
