// HelperService: the D-Bus object of loopsnap-helper (protocol: helper_protocol.h). It runs as
// root on the system bus and hosts the kernel backend through the Engine facade for callers
// that are not root (the desktop app).
//
// Every call goes through the same steps, in this order:
//  1. Type check: the member must be one of the typed methods and the message's signature must
//     be exactly its signature (else org.freedesktop.DBus.Error.UnknownMethod / InvalidArgs).
//     Nothing is looked at on disk for a malformed call.
//  2. Authorisation: org.freedesktop.PolicyKit1.Authority.CheckAuthorization for kPolkitAction
//     with the caller's unique bus name as subject ("system-bus-name"), user interaction
//     allowed only when the caller's message allows interactive authorisation. Refused, a
//     challenge, or polkit unreachable: the call fails with ...Error.NotAuthorized and nothing
//     else happens. There is no cache: each call asks polkit (auth_admin_keep keeps the
//     admin's authentication for a few minutes on polkit's side).
//  3. Validation of every argument (request_validation.h) and the operation, on the worker
//     thread: the caller's own Engine (one per Unix user id, its workspace under stateDir/UID),
//     so one user never sees or changes another user's devices.
// The service never runs a command line: the engine drives libdevmapper and the loop driver
// through their APIs.
//
// Threads: construct and register on the thread that runs the event loop (the "bus thread");
// handleMessage and the polkit replies run there. Engine calls run on one worker thread (a
// QThreadPool of one), so requests run one at a time in the order they were authorised; the
// worker sends the reply itself (QDBusConnection::send is thread-safe). engineMutex_ guards the
// map of engines; it is held only to look an engine up or create it, and by the idle check
// while it samples jobs() (which never waits for I/O).
// Idle: idle() is emitted once no call was in flight and no job of any engine ran for
// idleTimeoutMs; the caller (main) then quits. Engines are deliberately not destroyed then: the
// kernel's devices outlive the helper and a later instance finds them again by name.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include <QDBusConnection>
#include <QDBusVirtualObject>
#include <QThreadPool>
#include <QTimer>

#include "core/engine/engine.h"
#include "core/util/result.h"

namespace loopsnap::helper {

struct HelperOptions {
    // Where each user's workspace lives (stateDir/UID); created 0700 when missing.
    std::string stateDir = "/var/lib/loopsnap-helper";
    // Opens the engine of one user over `workspaceDir`. Default (empty): the kernel backend
    // (makeEngineForKernel). Tests pass the userspace backend.
    std::function<Result<std::unique_ptr<Engine>>(uint32_t uid, const std::string& workspaceDir)> engineFactory;
    // Device nodes that present `path` in the role ("origin", "snap", "clone") for the user: a
    // merge is refused when one of them is mounted. Default: /dev/mapper/<the kernel backend's name>.
    std::function<std::vector<std::string>(uint32_t uid, const std::string& role, const std::string& path)> deviceNodes;
    QString polkitService = QStringLiteral("org.freedesktop.PolicyKit1");
    int polkitTimeoutMs = 5 * 60 * 1000;  // an administrator typing a password
    int idleTimeoutMs = 60 * 1000;
};

// The production engine of a user: BackendKind::Kernel with the workspace id "u<UID>".
Result<std::unique_ptr<Engine>> makeEngineForKernel(uint32_t uid, const std::string& workspaceDir);

struct MethodSpec;  // one typed method (helper_service.cpp)

class HelperService : public QDBusVirtualObject {
    Q_OBJECT
public:
    HelperService(QDBusConnection connection, HelperOptions options, QObject* parent = nullptr);
    ~HelperService() override;  // waits for the running request

    // Registers the object at kObjectPath and claims kServiceName (false with the bus's error).
    bool registerOn(QString* error = nullptr);

    bool handleMessage(const QDBusMessage& message, const QDBusConnection& connection) override;
    QString introspect(const QString& path) const override;

    int inFlight() const { return inFlight_.load(); }

signals:
    void idle();

private:
    void authorised(const QDBusMessage& call, const MethodSpec& method);
    void finish();
    void checkIdle();
    bool jobsRunning();
    Result<Engine*> engineFor(uint32_t uid);

    QDBusConnection connection_;
    HelperOptions options_;
    QThreadPool worker_;
    QTimer idleTimer_;
    std::atomic<int> inFlight_{0};
    std::mutex engineMutex_;
    std::map<uint32_t, std::unique_ptr<Engine>> engines_;
};

}  // namespace loopsnap::helper
