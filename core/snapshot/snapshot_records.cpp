#include "core/snapshot/snapshot_records.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "core/posix/atomic_file.h"

namespace loopsnap {
namespace {

// Calls onEntry(key, value) for each "key=value" line; comments and blank lines are skipped.
template <typename F>
void forEachEntry(const std::string& text, F&& onEntry) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        onEntry(line.substr(0, eq), line.substr(eq + 1));
    }
}

Result<uint64_t> parseNumber(const std::string& file, const std::string& key, const std::string& value) {
    if (value.empty() || !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }) || value.size() > 19)
        return makeError(ErrorCode::Corruption, file + ": bad " + key + " '" + value + "'", file, "bad-sidecar");
    return std::stoull(value);
}

// Reads a whole small file; a missing one is std::nullopt.
Result<std::optional<std::string>> readIfPresent(const std::string& path) {
    auto text = readWholeFile(path);
    if (!text.ok()) {
        if (text.error().code == ErrorCode::NotFound) return std::optional<std::string>();
        return std::move(text).error();
    }
    return std::optional<std::string>(std::move(text).value());
}

}  // namespace

std::string sidecarPath(const std::string& cow) { return cow + ".loopsnap"; }
std::string originRecordPath(const std::string& origin) { return origin + ".loopsnap-origin"; }

std::string canonicalPath(const std::string& path) {
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(path, ec);
    if (ec) return path;
    std::filesystem::path canon = std::filesystem::weakly_canonical(abs, ec);
    return ec ? abs.lexically_normal().string() : canon.string();
}

Result<Sidecar> readSidecar(const std::string& cow) {
    Sidecar sc;
    const std::string path = sidecarPath(cow);
    LS_ASSIGN(auto text, readIfPresent(path));
    if (!text) return sc;  // none: a store the kernel (or someone else) wrote; P, origin's size
    sc.present = true;
    Status bad;
    forEachEntry(*text, [&](const std::string& key, const std::string& value) {
        if (!bad.ok()) return;
        if (key == "store") {
            auto t = parseStoreType(value);
            if (!t.ok()) bad = makeError(ErrorCode::Corruption, path + ": " + t.error().message, path, "bad-sidecar");
            else sc.type = t.value();
        } else if (key == "size") {
            auto n = parseNumber(path, key, value);
            if (!n.ok()) bad = n.error();
            else sc.sizeBytes = n.value();
        } else if (key == "chunk") {
            auto n = parseNumber(path, key, value);
            if (!n.ok() || n.value() > kMaxChunkBytes) bad = makeError(ErrorCode::Corruption, path + ": bad chunk '" + value + "'", path, "bad-sidecar");
            else sc.chunkBytes = uint32_t(n.value());
        } else if (key == "origin") {
            sc.origin = value;
        } else if (key == "merging") {
            sc.merging = value == "yes";
        }
    });
    if (!bad.ok()) return bad.error();
    return sc;
}

Status writeSidecar(const std::string& cow, const Sidecar& sc) {
    std::ostringstream text;
    text << "# loopsnap snapshot settings (the kernel keeps these in its table, not on disk)\n"
         << "store=" << storeTypeName(sc.type) << "\n";
    if (sc.sizeBytes) text << "size=" << *sc.sizeBytes << "\n";
    if (sc.chunkBytes) text << "chunk=" << *sc.chunkBytes << "\n";
    if (!sc.origin.empty()) text << "origin=" << sc.origin << "\n";
    if (sc.merging) text << "# the origin is partly rolled back until this merge finishes\nmerging=yes\n";
    return writeFileAtomically(sidecarPath(cow), text.str());
}

Result<OriginRecord> readOriginRecord(const std::string& originPath) {
    OriginRecord record;
    LS_ASSIGN(auto text, readIfPresent(originRecordPath(originPath)));
    if (!text) return record;
    forEachEntry(*text, [&](const std::string& key, const std::string& value) {
        if (value.empty()) return;
        if (key == "snapshot" && std::find(record.snapshots.begin(), record.snapshots.end(), value) == record.snapshots.end())
            record.snapshots.push_back(value);
        else if (key == "merging")
            record.merging = value;
    });
    return record;
}

Status writeOriginRecord(const std::string& originPath, const OriginRecord& record) {
    const std::string path = originRecordPath(originPath);
    if (record.snapshots.empty() && record.merging.empty()) return removeFileDurably(path);
    std::ostringstream text;
    text << "# loopsnap origin record: the snapshots of this origin; every write to it copies into each\n";
    for (const std::string& s : record.snapshots) text << "snapshot=" << s << "\n";
    if (!record.merging.empty()) text << "# a merge into this origin is unfinished: it is partly rolled back\nmerging=" << record.merging << "\n";
    return writeFileAtomically(path, text.str());
}

}  // namespace loopsnap
