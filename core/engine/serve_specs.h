// Engine::serveSpecs: device specs served over NBD with the control socket. Internal to the
// engine (engine.cpp owns one SpecServers and stops it first in ~Engine).
//
// Order of a start: specs resolved (device_resolver.h) -> exports added -> unix socket, then TCP,
// listening -> control socket listening. Order of a stop: control socket, NBD server (joins every
// connection), then a flush of every served device; the devices close when the entry goes.
//
// Threads and locks: mutex_ guards the table only; a stop runs outside it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "core/engine/engine.h"

namespace loopsnap {

class SpecServers {
public:
    SpecServers();
    ~SpecServers();  // stops every server
    Result<SpecServeInfo> start(Engine& engine, const SpecServeRequest& request);
    bool has(uint64_t id);
    Status stop(uint64_t id);

private:
    struct Entry;
    std::mutex mutex_;
    std::map<uint64_t, std::unique_ptr<Entry>> servers_;
    uint64_t nextId_ = uint64_t(1) << 32;  // apart from Engine::serve's ids
};

}  // namespace loopsnap
