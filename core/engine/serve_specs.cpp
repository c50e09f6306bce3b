// Serving device specs with the control socket. See serve_specs.h.
#include "core/engine/serve_specs.h"

#include "core/engine/device_resolver.h"
#include "core/events/event_ring.h"
#include "core/export/control_server.h"
#include "core/export/nbd_server.h"

namespace loopsnap {

struct SpecServers::Entry {
    std::vector<ResolvedDevice> devices;
    std::unique_ptr<NbdServer> server;
    std::unique_ptr<ControlServer> control;

    Status stop() {
        if (control) control->stop();
        if (server) server->stop();  // joins every connection and flushes every device
        Status flushed;
        for (const auto& d : devices)
            if (auto st = d.device->flush(); !st.ok() && flushed.ok()) flushed = st;
        control.reset();
        server.reset();
        devices.clear();
        return flushed;
    }
};

SpecServers::SpecServers() = default;

SpecServers::~SpecServers() {
    std::map<uint64_t, std::unique_ptr<Entry>> all;
    {
        std::lock_guard lock(mutex_);
        all.swap(servers_);
    }
    for (auto& [id, e] : all) (void)e->stop();
}

bool SpecServers::has(uint64_t id) {
    std::lock_guard lock(mutex_);
    return servers_.count(id) != 0;
}

Status SpecServers::stop(uint64_t id) {
    std::unique_ptr<Entry> e;
    {
        std::lock_guard lock(mutex_);
        auto it = servers_.find(id);
        if (it == servers_.end())
            return makeError(ErrorCode::NotFound, "no server " + std::to_string(id), std::to_string(id), "no-such-server");
        e = std::move(it->second);
        servers_.erase(it);
    }
    return e->stop();
}

Result<SpecServeInfo> SpecServers::start(Engine& engine, const SpecServeRequest& request) {
    if (request.exports.empty()) return makeError(ErrorCode::InvalidArgument, "nothing to serve", "", "no-exports");
    if (request.socketPath.empty()) return makeError(ErrorCode::InvalidArgument, "serve needs a unix socket path", "", "no-listener");
    std::vector<std::string> specs;
    for (const auto& e : request.exports) specs.push_back(e.spec);
    auto entry = std::make_unique<Entry>();
    ResolveOptions ro;
    ro.readOnly = request.readOnly;
    ro.record = true;  // what a user serves is remembered (cli-contract.md, Workspace)
    LS_ASSIGN(entry->devices, resolveDevices(engine, specs, ro));
    entry->server = std::make_unique<NbdServer>();
    std::vector<ControlExport> controlExports;
    for (size_t i = 0; i < request.exports.size(); ++i) {
        const ResolvedDevice& d = entry->devices[i];
        LS_TRY((entry->server->addExport(NbdExport{request.exports[i].name, d.device, d.readOnly, d.spec})));
        ServedDevice served;
        if (d.served) {
            served = *d.served;
        } else {
            served.spec = d.spec;
            served.kind = d.kind;
            served.device = d.device;
            served.readOnly = d.readOnly;
        }
        controlExports.push_back({request.exports[i].name, std::move(served)});
    }
    LS_TRY(entry->server->listenUnix(request.socketPath));
    SpecServeInfo info;
    if (!request.tcpHost.empty()) {
        LS_ASSIGN(info.tcpPort, entry->server->listenTcp(request.tcpHost, request.tcpPort));
    }
    auto ring = std::make_shared<EventRing>(1 << 16);
    engine.eventSink()->addListener(ring);
    entry->control = std::make_unique<ControlServer>(*entry->server, std::move(controlExports), engine.eventSink(), ring);
    info.controlPath = request.controlPath.empty() ? request.socketPath + ".ctl" : request.controlPath;
    LS_TRY(entry->control->listen(info.controlPath));
    info.socketPath = request.socketPath;
    std::string tcpText;
    if (info.tcpPort)
        tcpText = (request.tcpHost.find(':') != std::string::npos ? "[" + request.tcpHost + "]" : request.tcpHost) + ":" +
                  std::to_string(info.tcpPort);
    for (size_t i = 0; i < request.exports.size(); ++i) {
        const ResolvedDevice& d = entry->devices[i];
        SpecServeInfo::Export x;
        x.name = request.exports[i].name;
        x.spec = d.spec;
        x.kind = deviceSpecKindName(d.kind);
        x.sizeBytes = d.device->size();
        x.readOnly = d.readOnly;
        x.uri = "nbd+unix:///" + x.name + "?socket=" + request.socketPath;
        if (info.tcpPort) x.tcpUri = "nbd://" + tcpText + "/" + x.name;
        info.exports.push_back(std::move(x));
    }
    std::lock_guard lock(mutex_);
    info.id = nextId_++;
    servers_[info.id] = std::move(entry);
    return info;
}

// ---- the Engine's side ----

Result<SpecServeInfo> Engine::serveSpecs(const SpecServeRequest& request) { return specServers_->start(*this, request); }

}  // namespace loopsnap
