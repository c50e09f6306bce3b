#include "core/export/control_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/clone/clone.h"
#include "core/export/socket_io.h"
#include "core/export/status_json.h"

namespace loopsnap {

namespace {

bool sendLine(int fd, const std::string& text) {
    std::string line = text + "\n";
    return sendAll(fd, line.data(), line.size());
}

std::string errorJson(ErrorCode code, const std::string& message) {
    return std::string("{\"ok\":false,\"error\":{\"code\":\"") + errorCodeName(code) + "\",\"message\":\"" +
           jsonEscape(message) + "\"}}";
}

size_t skipWs(const std::string& s, size_t i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
    return i;
}

}  // namespace

std::string controlCommandOf(const std::string& line) {
    // Deliberately small: a flat object whose "cmd" member is a plain string.
    size_t i = skipWs(line, 0);
    if (i >= line.size() || line[i] != '{') return {};
    size_t end = line.find_last_not_of(" \t\r\n");
    if (end == std::string::npos || line[end] != '}') return {};
    size_t k = line.find("\"cmd\"", i);
    if (k == std::string::npos) return {};
    k = skipWs(line, k + 5);
    if (k >= line.size() || line[k] != ':') return {};
    k = skipWs(line, k + 1);
    if (k >= line.size() || line[k] != '"') return {};
    size_t close = line.find('"', k + 1);
    if (close == std::string::npos) return {};
    std::string value = line.substr(k + 1, close - k - 1);
    if (value.find('\\') != std::string::npos) return {};
    return value;
}

struct ControlServer::Client {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
    bool streaming = false;  // guarded by ControlServer::mutex_
};

ControlServer::ControlServer(const NbdServer& nbd, std::vector<ControlExport> exports,
                             std::shared_ptr<EventSink> events, std::shared_ptr<EventRing> ring)
    : nbd_(nbd), exports_(std::move(exports)), events_(std::move(events)), ring_(std::move(ring)) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) wakeRead_ = p[0], wakeWrite_ = p[1];
}

ControlServer::~ControlServer() {
    stop();
    if (wakeRead_ >= 0) ::close(wakeRead_);
    if (wakeWrite_ >= 0) ::close(wakeWrite_);
}

Status ControlServer::listen(const std::string& path) {
    auto listening = listenUnixSocket(path, 16);
    if (!listening.ok()) return listening.error();
    int fd = *listening;
    listenFd_ = fd;
    path_ = path;
    acceptThread_ = std::thread([this] { acceptLoop(); });
    pumpThread_ = std::thread([this] { pumpLoop(); });
    return {};
}

void ControlServer::stop() {
    stopping_.store(true);
    if (wakeWrite_ >= 0) {
        char b = 1;
        [[maybe_unused]] auto r = ::write(wakeWrite_, &b, 1);
    }
    if (acceptThread_.joinable()) acceptThread_.join();
    if (pumpThread_.joinable()) pumpThread_.join();
    std::vector<std::unique_ptr<Client>> clients;
    {
        std::lock_guard lock(mutex_);
        clients.swap(clients_);
        for (auto& c : clients) ::shutdown(c->fd, SHUT_RDWR);
    }
    for (auto& c : clients) {
        if (c->thread.joinable()) c->thread.join();
        ::close(c->fd);
    }
    if (listenFd_ >= 0) {
        ::close(listenFd_);
        ::unlink(path_.c_str());
        listenFd_ = -1;
    }
}

void ControlServer::acceptLoop() {
    while (!stopping_.load()) {
        AcceptWait w = waitForAccept(listenFd_, wakeRead_, 1000);
        if (stopping_.load() || w == AcceptWait::Woken) break;
        {
            // Reap finished clients.
            std::vector<std::unique_ptr<Client>> finished;
            std::lock_guard lock(mutex_);
            for (auto it = clients_.begin(); it != clients_.end();) {
                if ((*it)->done.load()) {
                    (*it)->thread.join();
                    ::close((*it)->fd);
                    it = clients_.erase(it);
                } else {
                    ++it;
                }
            }
        }
        if (w != AcceptWait::Ready) continue;
        int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        timeval tv{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        std::lock_guard lock(mutex_);
        if (clients_.size() >= 64) {
            sendLine(fd, errorJson(ErrorCode::Busy, "too many control clients"));
            ::close(fd);
            continue;
        }
        auto c = std::make_unique<Client>();
        c->fd = fd;
        Client* raw = c.get();
        c->thread = std::thread([this, raw] {
            serveClient(raw);
            ::shutdown(raw->fd, SHUT_RDWR);
            {
                std::lock_guard l(mutex_);
                raw->streaming = false;
            }
            raw->done.store(true);
        });
        clients_.push_back(std::move(c));
    }
}

void ControlServer::serveClient(Client* client) {
    std::string buffer;
    char chunk[4096];
    for (;;) {
        ssize_t r = ::recv(client->fd, chunk, sizeof chunk, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return;
        buffer.append(chunk, size_t(r));
        if (buffer.size() > 64 * 1024) {
            sendLine(client->fd, errorJson(ErrorCode::InvalidArgument, "request line too long"));
            return;
        }
        size_t nl;
        while ((nl = buffer.find('\n')) != std::string::npos) {
            std::string line = buffer.substr(0, nl);
            buffer.erase(0, nl + 1);
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            bool stream = false;
            std::string reply = handleLine(line, &stream);
            std::lock_guard lock(mutex_);  // never interleave with the pump's lines
            if (!sendLine(client->fd, reply)) return;
            if (stream) client->streaming = true;
        }
    }
}

std::string ControlServer::handleLine(const std::string& line, bool* startStreaming) const {
    std::string cmd = controlCommandOf(line);
    if (cmd.empty())
        return errorJson(ErrorCode::InvalidArgument, "expected a JSON object with a \"cmd\" string, one per line");
    if (cmd == "status") return statusJson();
    if (cmd == "ping") return "{\"ok\":true}";
    if (cmd == "events") {
        if (!ring_) return errorJson(ErrorCode::Unsupported, "this server publishes no events");
        *startStreaming = true;
        return "{\"ok\":true,\"streaming\":\"events\"}";
    }
    return errorJson(ErrorCode::InvalidArgument, "unknown command '" + cmd + "' (status, events, ping)");
}

std::string ControlServer::statusJson() const {
    auto stats = nbd_.exports();
    std::string list;
    for (const auto& ce : exports_) {
        const NbdExportStats* s = nullptr;
        for (const auto& st : stats)
            if (st.name == ce.name) s = &st;
        const ServedDevice& d = ce.served;
        JsonObjectWriter e;
        e.add("name", ce.name)
            .add("spec", d.spec)
            .add("kind", deviceSpecKindName(d.kind))
            .add("size", d.device ? d.device->size() : uint64_t(0))
            .add("read_only", d.readOnly);
        if (s) {
            e.add("connections", s->activeConnections)
                .add("total_connections", s->totalConnections)
                .add("bytes_read", s->bytesRead)
                .add("bytes_written", s->bytesWritten)
                .add("flushes", s->flushes)
                .add("errors", s->errors);
        }
        if (d.clone) e.addRaw("clone", cloneStatusJson(d.clone->status()));
        std::string snaps;
        for (const auto& snap : d.relatedSnapshots()) {
            JsonObjectWriter sw;
            sw.add("name", snap->name());
            addSnapshotStatus(sw, snap->status());
            snaps += (snaps.empty() ? "" : ",") + sw.str();
        }
        e.addRaw("snapshots", "[" + snaps + "]");
        list += (list.empty() ? "" : ",") + e.str();
    }
    return JsonObjectWriter().add("ok", true).addRaw("exports", "[" + list + "]").str();
}

void ControlServer::pumpLoop() {
    std::vector<Event> batch;
    uint64_t reportedDropped = 0;
    while (!stopping_.load()) {
        pollfd p{wakeRead_, POLLIN, 0};
        ::poll(&p, 1, 50);
        if (stopping_.load()) break;
        if (!ring_) continue;
        batch.clear();
        ring_->drain(batch);
        uint64_t dropped = ring_->dropped();
        if (batch.empty() && dropped == reportedDropped) continue;
        std::vector<std::string> lines;
        lines.reserve(batch.size() + 1);
        for (const Event& e : batch) {
            std::string source = events_ ? events_->sourceName(e.source) : std::string();
            lines.push_back(std::string("{\"event\":\"") + eventKindName(e.kind) + "\",\"source\":\"" +
                            jsonEscape(source) + "\",\"source_id\":" + std::to_string(e.source) +
                            ",\"seq\":" + std::to_string(e.seq) + ",\"a\":" + std::to_string(e.a) +
                            ",\"b\":" + std::to_string(e.b) + ",\"c\":" + std::to_string(e.c) +
                            ",\"time_ns\":" + std::to_string(e.timeNs) + "}");
        }
        if (dropped != reportedDropped) {
            lines.push_back("{\"dropped\":" + std::to_string(dropped) + "}");
            reportedDropped = dropped;
        }
        std::lock_guard lock(mutex_);
        for (auto& c : clients_) {
            if (!c->streaming) continue;
            for (const auto& l : lines)
                if (!sendLine(c->fd, l)) {
                    c->streaming = false;
                    ::shutdown(c->fd, SHUT_RDWR);  // too slow or gone: its thread ends
                    break;
                }
        }
    }
}

}  // namespace loopsnap
