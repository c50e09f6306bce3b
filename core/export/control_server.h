// ControlServer: the `serve` command's control socket, a line-based JSON protocol on a unix
// socket through which scripts and the desktop app see what is served and follow engine events
// live. The protocol is documented in docs/serve-control-protocol.md.
//
//   -> {"cmd":"status"}   <- one line: {"ok":true,"exports":[...]}
//   -> {"cmd":"events"}   <- {"ok":true,"streaming":"events"}, then one line per engine event
//   -> {"cmd":"ping"}     <- {"ok":true}
//   anything else         <- {"ok":false,"error":{"code":"InvalidArgument","message":"..."}}
//
// Threading contract
// - One accept thread, one thread per control client (reading its requests), and one pump thread
//   that drains the EventRing every ~50 ms and writes each event to every streaming client. The
//   ring has exactly one consumer (the pump), as EventRing requires.
// - The engine's I/O path only pushes into the ring (never blocks); a slow control client can
//   only lose events (the ring counts them and the pump reports {"dropped":N}), never slow I/O.
//   A client that does not read for ~1 s while events are sent is disconnected.
// - status reads NbdServer::exports() and Snapshot::status(), both safe from any thread.
// - listen/stop may be called from any thread; stop() joins every thread and removes the socket.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/events/event_ring.h"
#include "core/export/device_spec.h"
#include "core/export/nbd_server.h"
#include "core/export/status_json.h"

namespace loopsnap {

struct ControlExport {
    std::string name;
    ServedDevice served;
};

class ControlServer {
public:
    // `nbd` must outlive this object. `events` names the event sources; `ring` is drained only
    // here (it must be a listener of `events`). Either may be null (no events then).
    ControlServer(const NbdServer& nbd, std::vector<ControlExport> exports, std::shared_ptr<EventSink> events,
                  std::shared_ptr<EventRing> ring);
    ~ControlServer();

    // Same rules as NbdServer::listenUnix (stale socket replaced, live one refused).
    Status listen(const std::string& path);
    void stop();

    // The reply to {"cmd":"status"} (one JSON object, no newline).
    std::string statusJson() const;

private:
    struct Client;
    void acceptLoop();
    void serveClient(Client* client);
    void pumpLoop();
    std::string handleLine(const std::string& line, bool* startStreaming) const;

    const NbdServer& nbd_;
    std::vector<ControlExport> exports_;
    std::shared_ptr<EventSink> events_;
    std::shared_ptr<EventRing> ring_;
    int listenFd_ = -1;
    std::string path_;
    int wakeRead_ = -1, wakeWrite_ = -1;
    std::atomic<bool> stopping_{false};
    std::thread acceptThread_, pumpThread_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Client>> clients_;
};

// Helper shared with tests: the value of "cmd" in a request line (empty if the line is not a JSON
// object with a string "cmd"). JSON escaping: jsonEscape in core/export/status_json.h.
std::string controlCommandOf(const std::string& line);

}  // namespace loopsnap
