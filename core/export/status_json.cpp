#include "core/export/status_json.h"

#include "core/backend/status_values.h"

#include <cstdio>

namespace loopsnap {

std::string jsonEscape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += char(c);
                }
        }
    }
    return out;
}

JsonObjectWriter& JsonObjectWriter::key(std::string_view k) {
    if (text_.size() > 1) text_ += ',';
    text_ += '"';
    text_ += jsonEscape(k);
    text_ += "\":";
    return *this;
}

JsonObjectWriter& JsonObjectWriter::add(std::string_view k, std::string_view value) {
    key(k);
    text_ += '"';
    text_ += jsonEscape(value);
    text_ += '"';
    return *this;
}

JsonObjectWriter& JsonObjectWriter::add(std::string_view k, uint64_t value) {
    key(k);
    text_ += std::to_string(value);
    return *this;
}

JsonObjectWriter& JsonObjectWriter::add(std::string_view k, bool value) {
    key(k);
    text_ += value ? "true" : "false";
    return *this;
}

JsonObjectWriter& JsonObjectWriter::addRaw(std::string_view k, std::string_view json) {
    key(k);
    text_ += json;
    return *this;
}

void addSnapshotStatus(JsonObjectWriter& w, const SnapshotInfo& s) {
    w.add("status", s.status)
        .add("state", deviceStateName(s.state))
        .add("allocated_sectors", s.allocatedSectors)
        .add("total_sectors", s.totalSectors)
        .add("metadata_sectors", s.metadataSectors)
        .add("chunk_sectors", uint64_t(s.chunkBytes / 512))
        .add("exceptions", s.exceptions);
}

void addCloneStatus(JsonObjectWriter& w, const CloneInfo& s) {
    w.add("status", s.status)
        .add("hydrated_regions", s.hydratedRegions)
        .add("total_regions", s.totalRegions)
        .add("hydrating_regions", s.hydratingRegions)
        .add("region_sectors", uint64_t(s.regionBytes / 512));
}

void addSnapshotStatus(JsonObjectWriter& w, const SnapshotStatus& s) {
    SnapshotInfo info;
    fillSnapshotStatus(info, s);
    addSnapshotStatus(w, info);
}

void addCloneStatus(JsonObjectWriter& w, const CloneStatus& s) {
    CloneInfo info;
    fillCloneStatus(info, s);
    addCloneStatus(w, info);
}

std::string snapshotStatusJson(const SnapshotInfo& s) {
    JsonObjectWriter w;
    addSnapshotStatus(w, s);
    return w.str();
}

std::string cloneStatusJson(const CloneInfo& s) {
    JsonObjectWriter w;
    addCloneStatus(w, s);
    return w.str();
}

std::string snapshotStatusJson(const SnapshotStatus& s) {
    JsonObjectWriter w;
    addSnapshotStatus(w, s);
    return w.str();
}

std::string cloneStatusJson(const CloneStatus& s) {
    JsonObjectWriter w;
    addCloneStatus(w, s);
    return w.str();
}

}  // namespace loopsnap
