// loopsnap-helper's service in the test process, for the app's tests of HelperBridge: a private
// dbus-daemon (PrivateBus) in DIR, the fake polkit authority on it, a client connection for the
// app and the HelperService over the userspace engine (this kernel has no device-mapper), with
// one engine per caller as the real helper has. Connection names carry `prefix` ("wizard",
// "devices", ...): PREFIX-client, PREFIX-service, PREFIX-authority. GUI thread of the test only.
#pragma once

#include <memory>
#include <string>

#include <QDBusConnection>
#include <QDir>

#include "core/engine/engine.h"
#include "helper/helper_service.h"
#include "support/private_bus.h"

namespace loopsnap::test {

class HelperOnBus {
public:
    FakeAuthority authority;
    Engine* engine = nullptr;  // the helper's engine of this user, once it made one

    explicit HelperOnBus(QString prefix) : prefix_(std::move(prefix)) {}
    ~HelperOnBus() {
        service_.reset();
        for (const char* role : {"-client", "-service", "-authority"}) QDBusConnection::disconnectFromBus(prefix_ + QLatin1String(role));
    }

    // "" when the service is registered, else why not; notInstalled() tells a missing dbus-daemon.
    QString start(const std::string& dir) {
        if (!QDir().mkpath(QString::fromStdString(dir + "/services"))) return QStringLiteral("cannot make the services folder");
        const QString started = bus_.start(QString::fromStdString(dir));
        if (!started.isEmpty()) {
            notInstalled_ = started.contains(QLatin1String("not installed"));
            return started;
        }
        QDBusConnection authorityBus = QDBusConnection::connectToBus(bus_.address(), name("-authority"));
        if (!authorityBus.registerVirtualObject(QStringLiteral("/org/freedesktop/PolicyKit1/Authority"), &authority) ||
            !authorityBus.registerService(QStringLiteral("org.freedesktop.PolicyKit1")))
            return QStringLiteral("cannot register the fake polkit authority");
        if (!QDBusConnection::connectToBus(bus_.address(), name("-client")).isConnected()) return QStringLiteral("the client cannot connect");
        helper::HelperOptions options;
        options.stateDir = dir + "/helper-state";
        options.idleTimeoutMs = 600000;
        options.engineFactory = [this](uint32_t, const std::string& workspace) {
            EngineOptions o;
            o.workspaceDir = workspace;
            o.copyThreads = 1;
            auto e = Engine::open(std::move(o));
            if (e.ok()) engine = e.value().get();
            return e;
        };
        service_ = std::make_unique<helper::HelperService>(QDBusConnection::connectToBus(bus_.address(), name("-service")), options);
        QString error;
        if (!service_->registerOn(&error)) return error;
        return {};
    }
    bool notInstalled() const { return notInstalled_; }
    const QString& address() const { return bus_.address(); }
    QDBusConnection client() const { return QDBusConnection(name("-client")); }
    QDBusConnection serviceConnection() const { return QDBusConnection(name("-service")); }

private:
    QString name(const char* role) const { return prefix_ + QLatin1String(role); }
    QString prefix_;
    PrivateBus bus_;
    std::unique_ptr<helper::HelperService> service_;
    bool notInstalled_ = false;
};

}  // namespace loopsnap::test
