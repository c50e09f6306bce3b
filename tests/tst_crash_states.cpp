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

// A scripted log for the brute-force comparison: tokens "a:w0+2" (device a, plain write at
// sector 0, 2 sectors), "a:F1+1" (FUA write), "a:flush". Each write fills its sectors with its own
// byte value (1, 2, ...).
constexpr uint64_t kScriptDevSize = 4 * kCrashSectorSize;

std::shared_ptr<WriteLog> recordScript(const QString& script) {
    auto log = std::make_shared<WriteLog>();
    std::map<QChar, std::shared_ptr<RecordingDevice>> devs;
    uint8_t value = 0;
    for (const QString& tok : script.split(' ', Qt::SkipEmptyParts)) {
        QChar name = tok[0];
        if (!devs.count(name))
            devs[name] = RecordingDevice::create(std::make_shared<MemoryDevice>(kScriptDevSize), log,
                                                 QString(name).toStdString()).value();
        auto& dev = *devs[name];
        QString op = tok.mid(2);
        if (op == "flush") {
            if (!dev.flush().ok()) qFatal("flush failed");
            continue;
        }
        const bool fua = op[0] == 'F';
        auto parts = op.mid(1).split('+');
        uint64_t off = parts[0].toULongLong() * kCrashSectorSize, len = parts[1].toULongLong() * kCrashSectorSize;
        if (!dev.write(off, fill(len, ++value), WriteFlags{fua}).ok()) qFatal("write failed");
    }
    return log;
}

using StateImages = std::vector<std::vector<std::byte>>;  // one image per device

// The reference, straight from the disk model: at a crash after `point` entries, a device has
// destaged a set D of its completed writes that holds every FUA write and every write a completed
// flush covers, and any subset of the others; each byte holds the newest write of D covering it.
std::set<StateImages> referenceStates(const WriteLog& log, uint64_t point) {
    const auto& entries = log.entries();
    std::vector<std::set<std::vector<std::byte>>> perDevice;
    for (uint32_t d = 0; d < log.devices().size(); ++d) {
        uint64_t cover = 0;
        for (uint64_t i = 0; i < point; ++i)
            if (entries[i].device == d && entries[i].kind == LogEntry::Kind::Flush) cover = std::max(cover, entries[i].coversUpTo);
        std::vector<uint64_t> durable, optional;
        for (uint64_t i = 0; i < point; ++i) {
            const LogEntry& e = entries[i];
            if (e.device != d || e.kind != LogEntry::Kind::Write) continue;
            (e.fua || i < cover ? durable : optional).push_back(i);
        }
        std::set<std::vector<std::byte>> images;
        for (uint64_t mask = 0; mask < (uint64_t(1) << optional.size()); ++mask) {
            std::vector<uint64_t> destaged = durable;
            for (size_t k = 0; k < optional.size(); ++k)
                if ((mask >> k) & 1) destaged.push_back(optional[k]);
            std::sort(destaged.begin(), destaged.end());
            auto img = log.devices()[d].initial;
            for (uint64_t i : destaged)
                std::copy(entries[i].data.begin(), entries[i].data.end(), img.begin() + ptrdiff_t(entries[i].offset));
            images.insert(std::move(img));
        }
        perDevice.push_back(std::move(images));
    }
    std::set<StateImages> out{StateImages{}};
    for (const auto& images : perDevice) {
        std::set<StateImages> next;
        for (const auto& prefix : out)
            for (const auto& img : images) {
                auto s = prefix;
                s.push_back(img);
                next.insert(std::move(s));
            }
        out = std::move(next);
    }
    return out;
}

QString describeImages(const StateImages& s) {
    QStringList parts;
    for (const auto& img : s) {
        QString sectors;
        for (uint64_t off = 0; off < img.size(); off += kCrashSectorSize) sectors += QString::number(int(img[off])) + " ";
        parts << sectors.trimmed();
    }
    return "[" + parts.join(" | ") + "]";
}

}  // namespace

class TestCrashStates : public QObject {
    Q_OBJECT
private slots:
    void exhaustiveStatesHoldExactlyTheirWrites();
    void tornWritesTearOnlyUnflushedMultiSectorWrites();
    void sampledStatesWithoutTearing();
    void statesMatchTheDiskModel_data();
    void statesMatchTheDiskModel();
};

void TestCrashStates::statesMatchTheDiskModel_data() {
    QTest::addColumn<QString>("script");
    // Issue #11 item 10: after the flush the device holds B, never F.
    QTest::newRow("write-fua-write-flush") << "a:w0+2 a:F0+2 a:w0+2 a:flush";
    // An unflushed write older than a FUA write to the same bytes never shows through it.
    QTest::newRow("unflushed-under-fua") << "a:w0+2 a:F0+1";
    QTest::newRow("partial-overlaps") << "a:w0+3 a:F1+1 a:w1+2 a:flush a:w0+1 a:F2+2";
    QTest::newRow("flush-then-fua-then-writes") << "a:w0+2 a:flush a:F0+1 a:w1+1 a:F1+2 a:w0+1";
    QTest::newRow("two-fua-over-unflushed") << "a:w0+4 a:F1+1 a:F2+1 a:w3+1";
    QTest::newRow("two-devices") << "a:w0+2 b:w0+1 a:F1+1 b:F0+1 b:w0+2 a:flush a:w1+1 b:flush b:F1+1";
}

// Every crash state the generator builds (exhaustively) is one the disk model allows, and every
// state the model allows is built.
void TestCrashStates::statesMatchTheDiskModel() {
    QFETCH(QString, script);
    auto log = recordScript(script);
    std::map<uint64_t, std::set<StateImages>> generated;
    CrashStateOptions o;
    o.exhaustiveUpTo = 12;
    forEachCrashState(*log, o, [&](CrashState& st) {
        StateImages s;
        for (auto& dev : st.devices) s.push_back(image(*dev));
        generated[st.point].insert(std::move(s));
        return true;
    });
    for (uint64_t p = 0; p <= log->size(); ++p) {
        auto expected = referenceStates(*log, p);
        for (const auto& s : generated[p])
            QVERIFY2(expected.count(s), qPrintable(QString("point %1: impossible state %2").arg(p).arg(describeImages(s))));
        for (const auto& s : expected)
            QVERIFY2(generated[p].count(s), qPrintable(QString("point %1: state %2 never built").arg(p).arg(describeImages(s))));
    }
}

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
