#include "core/snapshot/exception_table.h"

#include <algorithm>

namespace loopsnap {

size_t ExceptionTable::indexOf(uint64_t originChunk) const {
    auto it = std::lower_bound(keys_.begin(), keys_.end(), originChunk);
    if (it == keys_.end() || *it != originChunk) return SIZE_MAX;
    return size_t(it - keys_.begin());
}

std::optional<uint64_t> ExceptionTable::find(uint64_t originChunk) const {
    size_t i = indexOf(originChunk);
    if (i != SIZE_MAX) {
        if (erased_[i]) return std::nullopt;
        return valueAt(i);
    }
    auto it = buffer_.find(originChunk);
    if (it == buffer_.end()) return std::nullopt;
    return it->second;
}

void ExceptionTable::insert(uint64_t originChunk, uint64_t cowChunk) {
    if (!wide_ && cowChunk > UINT32_MAX) {
        // A store larger than announced: switch to wide values once (rare; never on hot paths).
        wideValues_.assign(narrowValues_.begin(), narrowValues_.end());
        narrowValues_.clear();
        narrowValues_.shrink_to_fit();
        wide_ = true;
    }
    size_t i = indexOf(originChunk);
    if (i != SIZE_MAX) {
        setValue(i, cowChunk);
        if (erased_[i]) {
            erased_[i] = false;
            --shadowed_;
        }
        return;
    }
    buffer_[originChunk] = cowChunk;
    if (buffer_.size() > std::max(kMinBuffer, keys_.size() / kBufferRatio)) mergeBuffer();
}

bool ExceptionTable::erase(uint64_t originChunk, uint64_t cowChunk) {
    size_t i = indexOf(originChunk);
    if (i != SIZE_MAX) {
        if (erased_[i] || valueAt(i) != cowChunk) return false;
        erased_[i] = true;
        ++shadowed_;
        if (shadowed_ > std::max(kMinBuffer, keys_.size() / kBufferRatio)) mergeBuffer();
        return true;
    }
    auto it = buffer_.find(originChunk);
    if (it == buffer_.end() || it->second != cowChunk) return false;
    buffer_.erase(it);
    return true;
}

void ExceptionTable::mergeBuffer() {
    std::vector<std::pair<uint64_t, uint64_t>> fresh(buffer_.begin(), buffer_.end());
    std::sort(fresh.begin(), fresh.end());
    const size_t n = keys_.size() - shadowed_ + fresh.size();
    std::vector<uint64_t> keys;
    std::vector<uint32_t> narrow;
    std::vector<uint64_t> wide;
    keys.reserve(n);
    (wide_ ? wide.reserve(n) : narrow.reserve(n));
    auto push = [&](uint64_t k, uint64_t v) {
        keys.push_back(k);
        if (wide_) wide.push_back(v); else narrow.push_back(uint32_t(v));
    };
    size_t a = 0, b = 0;
    while (a < keys_.size() || b < fresh.size()) {
        if (a < keys_.size() && erased_[a]) { ++a; continue; }
        // Keys are disjoint (an insert of an existing key updates in place), so no tie.
        if (b == fresh.size() || (a < keys_.size() && keys_[a] < fresh[b].first)) {
            push(keys_[a], valueAt(a));
            ++a;
        } else {
            push(fresh[b].first, fresh[b].second);
            ++b;
        }
    }
    keys_ = std::move(keys);
    narrowValues_ = std::move(narrow);
    wideValues_ = std::move(wide);
    erased_.assign(keys_.size(), false);
    shadowed_ = 0;
    buffer_.clear();
    buffer_.rehash(0);
}

void ExceptionTable::forEach(const std::function<void(uint64_t, uint64_t)>& fn) const {
    std::vector<std::pair<uint64_t, uint64_t>> fresh(buffer_.begin(), buffer_.end());
    std::sort(fresh.begin(), fresh.end());
    size_t a = 0, b = 0;
    while (a < keys_.size() || b < fresh.size()) {
        if (a < keys_.size() && erased_[a]) { ++a; continue; }
        if (b == fresh.size() || (a < keys_.size() && keys_[a] < fresh[b].first)) {
            fn(keys_[a], valueAt(a));
            ++a;
        } else {
            fn(fresh[b].first, fresh[b].second);
            ++b;
        }
    }
}

std::vector<std::pair<uint64_t, uint64_t>> ExceptionTable::byCowChunk() const {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    out.reserve(size());
    forEach([&](uint64_t o, uint64_t n) { out.emplace_back(o, n); });
    std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.second < y.second; });
    return out;
}

void ExceptionTable::load(std::vector<std::pair<uint64_t, uint64_t>> records) {
    clear();
    // Later records for the same origin chunk win: a stable sort keeps disk order among equals,
    // then the last of each run of equal keys is kept.
    std::stable_sort(records.begin(), records.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    size_t unique = 0;
    for (size_t i = 0; i < records.size(); ++i)
        if (i + 1 == records.size() || records[i + 1].first != records[i].first) ++unique;
    keys_.reserve(unique);
    for (const auto& r : records)
        if (r.second > UINT32_MAX) wide_ = true;
    (wide_ ? wideValues_.reserve(unique) : narrowValues_.reserve(unique));
    for (size_t i = 0; i < records.size(); ++i) {
        if (i + 1 != records.size() && records[i + 1].first == records[i].first) continue;
        keys_.push_back(records[i].first);
        if (wide_) wideValues_.push_back(records[i].second); else narrowValues_.push_back(uint32_t(records[i].second));
    }
    erased_.assign(keys_.size(), false);
}

void ExceptionTable::clear() {
    keys_.clear();
    keys_.shrink_to_fit();
    narrowValues_.clear();
    narrowValues_.shrink_to_fit();
    wideValues_.clear();
    wideValues_.shrink_to_fit();
    erased_.clear();
    erased_.shrink_to_fit();
    buffer_.clear();
    shadowed_ = 0;
}

size_t ExceptionTable::memoryBytes() const {
    // Arrays at capacity, the erased bitmap, and the buffer's nodes and buckets (a node holds the
    // pair and a next pointer; glibc adds 16 bytes of malloc overhead per node).
    return keys_.capacity() * sizeof(uint64_t) + narrowValues_.capacity() * sizeof(uint32_t) +
           wideValues_.capacity() * sizeof(uint64_t) + erased_.capacity() / 8 +
           buffer_.size() * (sizeof(std::pair<const uint64_t, uint64_t>) + sizeof(void*) + 16) +
           buffer_.bucket_count() * sizeof(void*);
}

}  // namespace loopsnap
