// The crash-state generator (core/crashlab/crash_states.h) on a small hand-made log: which writes
// each state holds, the exhaustive count, and sector tearing (tornWrites) - only unflushed,
// non-FUA, multi-sector writes tear, only at 512-byte device sectors, into a proper subset of
// them, and later writes stay on top of a torn one.
#include <QtTest>

#include <map>
#include <set>

#include "core/crashlab/crash_states.h"
#include "core/io/memory_device.h"
#include "core/io/recording_device.h"

using namespace loopsnap;

namespace {

constexpr uint64_t kDevSize = 4096;  // 8 sectors

std::vector<std::byte> fill(size_t n, uint8_t v) { return std::vector<std::byte>(n, std::byte{v}); }

// The log, in order:
//   #0 d: write @0 +2048 (0xA1)        flushed by #1 (may tear at point 1 only)
//   #1 d: flush
//   #2 d: write @1000 +2000 (0xB2)     unaligned, touches sectors 1..5: may tear
//   #3 d: write+FUA @3584 +512 (0xC3)  durable at once
//   #4 e: write @0 +512 (0xD4)         one sector: never torn
//   #5 d: write @1024 +512 (0xE5)      over sector 2 of #2: stays on top of a torn #2
struct Rig {
    std::shared_ptr<WriteLog> log = std::make_shared<WriteLog>();
    Rig() {
        auto d = RecordingDevice::create(std::make_shared<MemoryDevice>(kDevSize, "d"), log, "d").value();
        auto e = RecordingDevice::create(std::make_shared<MemoryDevice>(kDevSize, "e"), log, "e").value();
        bool ok = d->write(0, fill(2048, 0xA1)).ok() && d->flush().ok() && d->write(1000, fill(2000, 0xB2)).ok() &&
                  d->write(3584, fill(512, 0xC3), WriteFlags{true}).ok() && e->write(0, fill(512, 0xD4)).ok() &&
                  d->write(1024, fill(512, 0xE5)).ok();
        if (!ok || log->size() != 6) qFatal("recording the rig failed");
    }
};

std::vector<std::byte> image(BlockDevice& dev) {
    std::vector<std::byte> v(dev.size());
    if (!dev.read(0, v).ok()) qFatal("crash image read failed");
    return v;
}

bool has(const std::vector<uint64_t>& v, uint64_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// Checks one state against the rig's rules; returns an empty string or what is wrong.
QString checkState(const CrashState& st, bool tearing) {
    auto d = image(*st.devices[0]), e = image(*st.devices[1]);
    auto expect = [&](uint64_t from, uint64_t to, uint8_t v, const char* what) -> QString {
        for (uint64_t i = from; i < to; ++i)
            if (d[i] != std::byte{v}) return QString("point %1: %2 at byte %3").arg(st.point).arg(what).arg(i);
        return {};
    };
    if (!tearing && !st.torn.empty()) return "a write was torn with tornWrites off";
    for (uint64_t t : st.torn)
        if (!(t == 2 || (t == 0 && st.point == 1))) return QString("point %1: write #%2 was torn").arg(st.point).arg(t);
    // #0 is flushed from point 2 on; before that it is present iff kept - in part if torn.
    bool a = st.point >= 2 || has(st.keptUnflushed, 0);
    if (has(st.torn, 0)) {
        uint64_t present = 0;
        for (uint64_t sec = 0; sec < 4; ++sec) {
            bool p = d[sec * 512] == std::byte{0xA1};
            present += p;
            if (auto m = expect(sec * 512, (sec + 1) * 512, p ? 0xA1 : 0x00, "torn #0 mixes within a sector"); !m.isEmpty()) return m;
        }
        if (present == 0 || present == 4) return "torn #0 is not a proper subset of its sectors";
        return {};  // point 1: nothing else is written yet
    }
    if (auto m = expect(0, 1000, a ? 0xA1 : 0x00, "#0"); !m.isEmpty()) return m;
    // #3 (FUA) is present exactly from point 4 on.
    if (auto m = expect(3584, 4096, st.point >= 4 ? 0xC3 : 0x00, "#3 (FUA)"); !m.isEmpty()) return m;
    // #4 on e: whole or absent.
    bool dk = st.point >= 5 && has(st.keptUnflushed, 4);
    for (uint64_t i = 0; i < 512; ++i)
        if (e[i] != std::byte{uint8_t(dk ? 0xD4 : 0)}) return QString("point %1: #4 partly present").arg(st.point);
    bool ek = st.point >= 6 && has(st.keptUnflushed, 5);
    bool bk = st.point >= 3 && has(st.keptUnflushed, 2), bt = has(st.torn, 2);
    // #2's range [1000, 3000) per device sector: all #2 or all older (0xA1 below 2048 if #0 is
    // there, else 0), with #5 over [1024, 1536) when kept.
    uint64_t keptSectors = 0, sectors = 0;
    for (uint64_t s = 1000 / 512; s <= 2999 / 512; ++s) {
        uint64_t b = std::max<uint64_t>(1000, s * 512), end = std::min<uint64_t>(3000, (s + 1) * 512);
        if (ek && b >= 1024 && end <= 1536) {
            if (auto m = expect(b, end, 0xE5, "#5 over #2"); !m.isEmpty()) return m;
            continue;
        }
        ++sectors;
        bool newer = d[b] == std::byte{0xB2};
        keptSectors += newer;
        for (uint64_t i = b; i < end; ++i) {
            uint8_t old = (a && i < 2048) ? 0xA1 : 0x00;
            if (d[i] != std::byte{uint8_t(newer ? 0xB2 : old)})
                return QString("point %1: sector %2 of #2 holds a mix at byte %3").arg(st.point).arg(s).arg(i);
        }
    }
    if (!bk && keptSectors) return QString("point %1: #2 not kept but %2 of its sectors present").arg(st.point).arg(keptSectors);
    if (bk && !bt && keptSectors != sectors) return QString("point %1: #2 kept whole but only partly present").arg(st.point);
    // (With #5 kept, the sector it covers may be the one that made the tear proper.)
    if (bt && !ek && (keptSectors == 0 || keptSectors == sectors))
        return QString("point %1: #2 torn but %2 of %3 sectors present (a tear is a proper subset)")
            .arg(st.point).arg(keptSectors).arg(sectors);
    return {};
}

}  // namespace

class TestCrashStates : public QObject {
    Q_OBJECT
private slots:
    void exhaustiveStatesHoldExactlyTheirWrites();
    void tornWritesTearOnlyUnflushedMultiSectorWrites();
    void sampledStatesWithoutTearing();
};

void TestCrashStates::exhaustiveStatesHoldExactlyTheirWrites() {
    Rig rig;
    std::map<uint64_t, uint64_t> perPoint;
    uint64_t n = forEachCrashState(*rig.log, CrashStateOptions{}, [&](CrashState& st) {
        ++perPoint[st.point];
        QString m = checkState(st, false);
        if (!m.isEmpty()) qWarning("%s", qPrintable(m));
        return m.isEmpty();
    });
    // Unflushed, non-FUA writes per point: 0, {#0}, -, {#2}, {#2}, {#2,#4}, {#2,#4,#5}.
    QCOMPARE(n, uint64_t(1 + 2 + 1 + 2 + 2 + 4 + 8));
    QCOMPARE(perPoint[6], uint64_t(8));
    QCOMPARE(perPoint[2], uint64_t(1));
}

void TestCrashStates::sampledStatesWithoutTearing() {
    Rig rig;
    CrashStateOptions o;
    o.exhaustiveUpTo = 1;  // sample at the points with 2+ unflushed writes: none, all, 5 random
    o.samples = 5;
    std::vector<std::vector<uint64_t>> kept;
    uint64_t n = forEachCrashState(*rig.log, o, [&](CrashState& st) {
        kept.push_back(st.keptUnflushed);
        QString m = checkState(st, false);
        if (!m.isEmpty()) qWarning("%s", qPrintable(m));
        return m.isEmpty();
    });
    QCOMPARE(n, uint64_t(1 + 2 + 1 + 2 + 2 + 7 + 7));
    QVERIFY(std::count(kept.begin(), kept.end(), std::vector<uint64_t>({2, 4, 5})) > 0);  // "all" at the last point
}

void TestCrashStates::tornWritesTearOnlyUnflushedMultiSectorWrites() {
    Rig rig;
    std::set<uint64_t> tornPatterns;  // which sectors of #2 survived, as a bit mask
    uint64_t tornStates = 0;
    for (uint64_t seed = 1; seed <= 40; ++seed) {
        CrashStateOptions o;
        o.seed = seed;
        o.tornWrites = true;
        forEachCrashState(*rig.log, o, [&](CrashState& st) {
            QString m = checkState(st, true);
            if (!m.isEmpty()) {
                qWarning("seed %llu: %s", (unsigned long long)seed, qPrintable(m));
                tornStates = UINT64_MAX;
                return false;
            }
            if (!st.torn.empty()) {
                ++tornStates;
                auto d = image(*st.devices[0]);
                uint64_t mask = 0;
                for (uint64_t s = 1; s <= 5; ++s) mask |= uint64_t(d[std::max<uint64_t>(1000, s * 512)] == std::byte{0xB2}) << s;
                tornPatterns.insert(mask);
            }
            return true;
        });
        QVERIFY(tornStates != UINT64_MAX);
    }
    // Tearing happens, in many shapes (5 sectors: 30 proper non-empty subsets).
    QVERIFY2(tornStates > 50, qPrintable(QString::number(tornStates)));
    QVERIFY2(tornPatterns.size() >= 10, qPrintable(QString::number(tornPatterns.size())));
}

QTEST_GUILESS_MAIN(TestCrashStates)
#include "tst_crash_states.moc"
