// Status as JSON text, written in one place for every consumer: the serve control socket
// (control_server.cpp) and the CLI's status objects (`snapshot status --json`, `clone status
// --json`, `inspect`, `workload`, `origin write`, `clone hydrate`, which parse it into their own
// objects to add fields). The members are written from the facade's values (SnapshotInfo,
// CloneInfo, core/backend/types.h); the engine's status structs are turned into those first
// (core/backend/status_values.h), so both read the same. The field names are the CLI contract's
// (../shared/spec/cli-contract.md); add fields freely, rename none.
//
//   snapshot: {"status","state","allocated_sectors","total_sectors","metadata_sectors","chunk_sectors","exceptions"}
//   clone:    {"status","hydrated_regions","total_regions","hydrating_regions","region_sectors"}
//
// Plain C++ without Qt; free functions and a value-type writer without shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/backend/types.h"
#include "core/clone/clone.h"
#include "core/snapshot/snapshot.h"

namespace loopsnap {

// A JSON string's contents (no quotes) with ", \ and control characters escaped.
std::string jsonEscape(std::string_view s);

// Builds one JSON object, member by member, in the order added.
class JsonObjectWriter {
public:
    JsonObjectWriter& add(std::string_view key, std::string_view value);  // a string
    JsonObjectWriter& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
    JsonObjectWriter& add(std::string_view key, uint64_t value);
    JsonObjectWriter& add(std::string_view key, bool value);
    JsonObjectWriter& addRaw(std::string_view key, std::string_view json);  // already JSON text
    std::string str() const { return text_ + "}"; }

private:
    JsonObjectWriter& key(std::string_view key);
    std::string text_ = "{";
};

// The status members, appended to `w` (so a caller can put its own members first).
void addSnapshotStatus(JsonObjectWriter& w, const SnapshotInfo& s);
void addCloneStatus(JsonObjectWriter& w, const CloneInfo& s);
void addSnapshotStatus(JsonObjectWriter& w, const SnapshotStatus& s);
void addCloneStatus(JsonObjectWriter& w, const CloneStatus& s);

std::string snapshotStatusJson(const SnapshotInfo& s);
std::string cloneStatusJson(const CloneInfo& s);
std::string snapshotStatusJson(const SnapshotStatus& s);
std::string cloneStatusJson(const CloneStatus& s);

}  // namespace loopsnap
