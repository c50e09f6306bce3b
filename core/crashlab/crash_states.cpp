#include "core/crashlab/crash_states.h"

#include <algorithm>
#include <cstring>
#include <random>

namespace loopsnap {

CrashImageDevice::CrashImageDevice(const std::vector<std::byte>* base, std::vector<const LogEntry*> overlay, std::string name,
                                   std::shared_ptr<const std::deque<LogEntry>> pieces)
    : base_(base), overlay_(std::move(overlay)), pieces_(std::move(pieces)), name_(std::move(name)) {}

namespace {
void applyOverlap(std::span<std::byte> out, uint64_t offset, uint64_t wOff, std::span<const std::byte> w) {
    uint64_t b = std::max(offset, wOff), e = std::min(offset + out.size(), wOff + w.size());
    if (b < e) std::memcpy(out.data() + (b - offset), w.data() + (b - wOff), e - b);
}
void applyZeroOverlap(std::span<std::byte> out, uint64_t offset, uint64_t wOff, uint64_t len) {
    uint64_t b = std::max(offset, wOff), e = std::min(offset + out.size(), wOff + len);
    if (b < e) std::memset(out.data() + (b - offset), 0, e - b);
}
void applyEntry(std::vector<std::byte>& image, const LogEntry& e) {
    if (e.kind == LogEntry::Kind::Write) std::memcpy(image.data() + e.offset, e.data.data(), e.data.size());
    else if (e.kind == LogEntry::Kind::Discard) std::memset(image.data() + e.offset, 0, e.length);  // one possible outcome
}
}  // namespace

Status CrashImageDevice::read(uint64_t offset, std::span<std::byte> out) {
    LS_TRY(checkRange(offset, out.size()));
    std::memcpy(out.data(), base_->data() + offset, out.size());
    for (const LogEntry* e : overlay_) {
        if (e->kind == LogEntry::Kind::Write) applyOverlap(out, offset, e->offset, e->data);
        else if (e->kind == LogEntry::Kind::Discard) applyZeroOverlap(out, offset, e->offset, e->length);
    }
    for (auto& [o, d] : own_) applyOverlap(out, offset, o, d);
    return {};
}

Status CrashImageDevice::write(uint64_t offset, std::span<const std::byte> data, WriteFlags) {
    LS_TRY(checkRange(offset, data.size()));
    own_.emplace_back(offset, std::vector<std::byte>(data.begin(), data.end()));
    return {};
}

std::vector<std::byte> seededBytes(uint64_t seed, size_t n) {
    std::vector<std::byte> v(n);
    std::mt19937_64 rng(seed);
    for (size_t i = 0; i < n; i += 8) {
        uint64_t x = rng();
        std::memcpy(v.data() + i, &x, std::min<size_t>(8, n - i));
    }
    return v;
}

uint64_t forEachCrashState(const WriteLog& log, const CrashStateOptions& options, const std::function<bool(CrashState&)>& visit) {
    const auto& entries = log.entries();
    const auto& devs = log.devices();
    std::vector<std::vector<std::byte>> base;
    for (auto& d : devs) base.push_back(d.initial);
    std::vector<uint64_t> covered(devs.size(), 0);  // per device: entries < covered[d] are durable
    // Per device, the FUA writes at or after covered[d]: durable, and newer than any unflushed
    // write they follow, so a state re-applies them over the unflushed writes it keeps.
    std::vector<std::vector<uint64_t>> fuaSinceCover(devs.size());
    std::mt19937_64 rng(options.seed);
    uint64_t visited = 0;

    for (uint64_t p = 0; p <= entries.size(); ++p) {
        if (p > 0) {
            // Entry p-1 has now completed: fold what became durable into the base, which holds,
            // per byte, the newest durable write.
            const LogEntry& e = entries[p - 1];
            uint32_t d = e.device;
            if (e.kind == LogEntry::Kind::Write && e.fua) {
                applyEntry(base[d], e);  // newer than every write before it
                fuaSinceCover[d].push_back(p - 1);
            } else if (e.kind == LogEntry::Kind::Flush && e.coversUpTo > covered[d]) {
                // Every write before coversUpTo is durable now: apply them in log order, FUA ones
                // included (a later plain write to the same bytes is newer than a FUA write)...
                for (uint64_t i = covered[d]; i < e.coversUpTo; ++i) {
                    const LogEntry& w = entries[i];
                    if (w.device == d && w.kind != LogEntry::Kind::Flush) applyEntry(base[d], w);
                }
                // ...then the FUA writes that completed after the flush was issued stay on top.
                std::vector<uint64_t> newer;
                for (uint64_t i : fuaSinceCover[d])
                    if (i >= e.coversUpTo) {
                        applyEntry(base[d], entries[i]);
                        newer.push_back(i);
                    }
                fuaSinceCover[d] = std::move(newer);
                covered[d] = e.coversUpTo;
            }
        }
        if (options.pointStride > 1 && p % options.pointStride != 0 && p != entries.size()) continue;
        // Writes that may or may not have reached the media.
        std::vector<uint64_t> unstable;
        for (uint32_t d = 0; d < devs.size(); ++d)
            for (uint64_t i = covered[d]; i < p; ++i) {
                const LogEntry& w = entries[i];
                if (w.device == d && w.kind != LogEntry::Kind::Flush && !(w.kind == LogEntry::Kind::Write && w.fua)) unstable.push_back(i);
            }
        std::sort(unstable.begin(), unstable.end());
        std::vector<uint64_t> fuaOrder;  // every device's FUA writes since its last covering flush
        for (const auto& list : fuaSinceCover) fuaOrder.insert(fuaOrder.end(), list.begin(), list.end());
        std::sort(fuaOrder.begin(), fuaOrder.end());
        std::vector<std::vector<bool>> subsets;
        size_t u = unstable.size();
        if (u <= options.exhaustiveUpTo) {
            for (uint64_t mask = 0; mask < (uint64_t(1) << u); ++mask) {
                std::vector<bool> keep(u);
                for (size_t k = 0; k < u; ++k) keep[k] = (mask >> k) & 1;
                subsets.push_back(std::move(keep));
            }
        } else {
            subsets.push_back(std::vector<bool>(u, false));
            subsets.push_back(std::vector<bool>(u, true));
            for (unsigned s = 0; s < options.samples; ++s) {
                std::vector<bool> keep(u);
                for (size_t k = 0; k < u; ++k) keep[k] = rng() & 1;
                subsets.push_back(std::move(keep));
            }
        }
        for (auto& keep : subsets) {
            CrashState st;
            st.point = p;
            st.unflushed = u;
            std::vector<std::vector<const LogEntry*>> overlay(devs.size());
            std::shared_ptr<std::deque<LogEntry>> pieces;
            // Walk the kept unflushed writes and the durable FUA writes in log order: a FUA write
            // newer than a kept write to the same bytes is re-applied over it.
            size_t nextFua = 0;
            auto reapplyFuaBefore = [&](uint64_t index) {
                for (; nextFua < fuaOrder.size() && fuaOrder[nextFua] < index; ++nextFua) {
                    const LogEntry& f = entries[fuaOrder[nextFua]];
                    if (!overlay[f.device].empty()) overlay[f.device].push_back(&f);  // else the base has it on top
                }
            };
            for (size_t k = 0; k < u; ++k)
                if (keep[k]) {
                    reapplyFuaBefore(unstable[k]);
                    const LogEntry& w = entries[unstable[k]];
                    st.keptUnflushed.push_back(unstable[k]);
                    if (options.tornWrites && w.kind == LogEntry::Kind::Write && (rng() & 1)) {
                        // Device sectors the write touches: [first, last] in sector numbers.
                        uint64_t first = w.offset / kCrashSectorSize, last = (w.offset + w.data.size() - 1) / kCrashSectorSize;
                        uint64_t n = last - first + 1;
                        if (n > 1) {
                            std::vector<bool> sectorKept(n);
                            uint64_t count = 0;
                            for (uint64_t i = 0; i < n; ++i) count += (sectorKept[i] = rng() & 1);
                            // A proper subset: all or none is the untorn write kept or lost.
                            if (count == 0 || count == n) sectorKept[rng() % n] = count == 0;
                            if (!pieces) pieces = std::make_shared<std::deque<LogEntry>>();
                            for (uint64_t i = 0; i < n; ++i) {
                                if (!sectorKept[i]) continue;
                                uint64_t b = std::max(w.offset, (first + i) * kCrashSectorSize);
                                uint64_t e = std::min(w.offset + w.data.size(), (first + i + 1) * kCrashSectorSize);
                                LogEntry piece;
                                piece.kind = LogEntry::Kind::Write;
                                piece.device = w.device;
                                piece.offset = b;
                                piece.data.assign(w.data.begin() + ptrdiff_t(b - w.offset), w.data.begin() + ptrdiff_t(e - w.offset));
                                pieces->push_back(std::move(piece));
                                overlay[w.device].push_back(&pieces->back());
                            }
                            st.torn.push_back(unstable[k]);
                            continue;
                        }
                    }
                    overlay[w.device].push_back(&w);
                }
            reapplyFuaBefore(UINT64_MAX);
            for (uint32_t d = 0; d < devs.size(); ++d) {
                st.devices.push_back(
                    std::make_shared<CrashImageDevice>(&base[d], std::move(overlay[d]), devs[d].name + "@crash", pieces));
                st.bases.push_back(&base[d]);
            }
            ++visited;
            if (!visit(st) || visited >= options.maxStates) return visited;
        }
    }
    return visited;
}

std::string describeLogTail(const WriteLog& log, uint64_t point, size_t count, const std::function<std::string(const LogEntry&)>& annotate) {
    const auto& entries = log.entries();
    std::string out;
    uint64_t from = point > count ? point - count : 0;
    for (uint64_t i = from; i < point && i < entries.size(); ++i) {
        const LogEntry& e = entries[i];
        const std::string& dev = log.devices()[e.device].name;
        std::string line = "  #" + std::to_string(i) + " " + dev + ": ";
        if (e.kind == LogEntry::Kind::Flush) line += "flush";
        else if (e.kind == LogEntry::Kind::Discard) line += "discard @" + std::to_string(e.offset) + " +" + std::to_string(e.length);
        else line += std::string(e.fua ? "write+FUA" : "write") + " @" + std::to_string(e.offset) + " +" + std::to_string(e.data.size());
        if (annotate) {
            std::string a = annotate(e);
            if (!a.empty()) line += "  (" + a + ")";
        }
        out += line + "\n";
    }
    return out;
}

}  // namespace loopsnap
