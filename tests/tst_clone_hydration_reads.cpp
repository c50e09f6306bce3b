// Foreground I/O during a background hydration copy (issue #17 item 2): a read of a region whose
// hydration copy is under way is served from the source at once (the copy holds no lock a reader
// needs), while a write to that region waits for the copy to finish (dm-clone defers such bios)
// and then lands on the destination. The source here blocks every read longer than 4 KiB (the
// hydration's region copies) until the test opens the gate.
#include <QtTest>

#include <condition_variable>
#include <future>
#include <mutex>

#include "core/clone/clone.h"
#include "core/io/memory_device.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;

namespace {
constexpr uint64_t K64 = 64 << 10;

class GatedSource final : public BlockDevice {
public:
    explicit GatedSource(std::shared_ptr<BlockDevice> inner) : inner_(std::move(inner)) {}
    uint64_t size() const override { return inner_->size(); }
    Status read(uint64_t offset, std::span<std::byte> out) override {
        if (out.size() > 4096) {
            std::unique_lock lk(m_);
            ++blocked_;
            cv_.notify_all();
            cv_.wait(lk, [&] { return open_; });
        }
        return inner_->read(offset, out);
    }
    Status write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags) override { return inner_->write(offset, data, flags); }
    Status flush() override { return inner_->flush(); }
    std::string describe() const override { return "gated"; }
    bool waitBlocked() {
        std::unique_lock lk(m_);
        return cv_.wait_for(lk, std::chrono::seconds(10), [&] { return blocked_ > 0; });
    }
    void openGate() {
        std::lock_guard lk(m_);
        open_ = true;
        cv_.notify_all();
    }

private:
    std::shared_ptr<BlockDevice> inner_;
    std::mutex m_;
    std::condition_variable cv_;
    int blocked_ = 0;
    bool open_ = false;
};
}  // namespace

class TestCloneHydrationReads : public QObject {
    Q_OBJECT
private slots:
    void readDuringCopyDoesNotWait_data();
    void readDuringCopyDoesNotWait();
};

void TestCloneHydrationReads::readDuringCopyDoesNotWait_data() {
    QTest::addColumn<uint64_t>("readOffset");
    QTest::newRow("first region") << uint64_t(0);
    QTest::newRow("inside the batch") << uint64_t(3 * K64 + 512);
}

void TestCloneHydrationReads::readDuringCopyDoesNotWait() {
    QFETCH(uint64_t, readOffset);
    const uint64_t size = 16 * K64;
    const auto initial = patternBytes(11, 0, size);
    auto gated = std::make_shared<GatedSource>(std::make_shared<MemoryDevice>(initial, "source"));
    auto dest = std::make_shared<MemoryDevice>(size, "dest");
    auto meta = std::make_shared<MemoryDevice>(CloneMetadata::requiredSize({size, K64}), "meta");
    CloneOptions o;
    o.hydrationBatchSize = 16;  // one copy for the whole device
    o.hydrationThreshold = 16;
    o.commitInterval = std::chrono::milliseconds(0);
    auto clone = Clone::create(gated, dest, meta, K64, o).value();
    clone->enableHydration();
    QVERIFY2(gated->waitBlocked(), "the hydration copy never started");
    QCOMPARE(clone->hydratedRegions(), uint64_t(0));

    // A read of a region being copied: answered from the source while the copy is blocked.
    auto reader = std::async(std::launch::async, [&] {
        std::vector<std::byte> buf(4096);
        Status st = clone->read(readOffset, buf);
        return st.ok() && std::equal(buf.begin(), buf.end(), initial.begin() + std::ptrdiff_t(readOffset));
    });
    QVERIFY2(reader.wait_for(std::chrono::seconds(5)) == std::future_status::ready, "the read waited for the hydration copy");
    QVERIFY(reader.get());

    // A write to it waits for the copy, then lands on the destination.
    const auto data = patternBytes(12, 0, 4096);
    auto writer = std::async(std::launch::async, [&] { return clone->write(readOffset, data).ok(); });
    QVERIFY(writer.wait_for(std::chrono::milliseconds(200)) == std::future_status::timeout);
    gated->openGate();
    QVERIFY(writer.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    QVERIFY(writer.get());
    clone->disableHydration();
    QCOMPARE(clone->hydratedRegions(), uint64_t(16));
    std::vector<std::byte> back(size);
    QVERIFY(clone->read(0, back).ok());
    auto expected = initial;
    std::copy(data.begin(), data.end(), expected.begin() + std::ptrdiff_t(readOffset));
    QVERIFY(back == expected);
    QVERIFY(clone->flush().ok());
}

QTEST_GUILESS_MAIN(TestCloneHydrationReads)
#include "tst_clone_hydration_reads.moc"
