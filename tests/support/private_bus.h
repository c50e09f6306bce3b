// A private dbus-daemon for tests of loopsnap-helper and its clients, and a fake polkit
// authority (org.freedesktop.PolicyKit1.Authority.CheckAuthorization) that allows, denies or
// challenges and records what it was asked. Header-only; Qt DBus. GUI thread of the test only:
// the authority answers on the thread whose event loop runs, so callers wait with the event loop
// running (QTest::qWaitFor, QTRY_*), never with a blocking call.
#pragma once

#include <QDBusArgument>
#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusVirtualObject>
#include <QFile>
#include <QProcess>
#include <QString>

namespace loopsnap::test {

class FakeAuthority : public QDBusVirtualObject {
public:
    bool allow = false;
    bool challenge = false;
    int calls = 0;
    int interactiveCalls = 0;  // calls with AllowUserInteraction (flags 1)
    QString subjectKind, subjectName, action;
    uint flags = 99;

    bool handleMessage(const QDBusMessage& m, const QDBusConnection& c) override {
        if (m.member() != QLatin1String("CheckAuthorization")) return false;
        ++calls;
        if (m.signature() != QLatin1String("(sa{sv})sa{ss}us")) {
            c.send(m.createErrorReply(QDBusError::InvalidArgs, QStringLiteral("bad signature ") + m.signature()));
            return true;
        }
        const QDBusArgument subject = m.arguments().at(0).value<QDBusArgument>();
        QVariantMap details;
        subject.beginStructure();
        subject >> subjectKind >> details;
        subject.endStructure();
        subjectName = details.value(QStringLiteral("name")).toString();
        action = m.arguments().at(1).toString();
        flags = m.arguments().at(3).toUInt();
        if (flags == 1) ++interactiveCalls;
        QDBusArgument result;
        result.beginStructure();
        result << allow << challenge;
        result.beginMap(QMetaType::fromType<QString>(), QMetaType::fromType<QString>());
        result.endMap();
        result.endStructure();
        QDBusMessage reply = m.createReply();
        reply << QVariant::fromValue(result);
        c.send(reply);
        return true;
    }
    QString introspect(const QString&) const override { return {}; }
};

// dbus-daemon --config-file=DIR/bus.conf --print-address, listening on DIR/bus.socket, with
// DIR/services as its activation folder. start() returns "" or why it could not start.
class PrivateBus {
public:
    ~PrivateBus() {
        if (daemon_.state() != QProcess::NotRunning) {
            daemon_.terminate();
            daemon_.waitForFinished(5000);
        }
    }
    QString start(const QString& dir) {
        QFile config(dir + QStringLiteral("/bus.conf"));
        if (!config.open(QIODevice::WriteOnly)) return QStringLiteral("cannot write ") + config.fileName();
        config.write(QStringLiteral(
                         "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
                         " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                         "<busconfig><type>session</type><listen>unix:path=%1/bus.socket</listen><servicedir>%1/services</servicedir>"
                         "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
                         "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n")
                         .arg(dir)
                         .toUtf8());
        config.close();
        daemon_.start(QStringLiteral("dbus-daemon"), {QStringLiteral("--config-file=") + config.fileName(), QStringLiteral("--print-address=1"),
                                                      QStringLiteral("--nofork"), QStringLiteral("--nopidfile")});
        if (!daemon_.waitForStarted(10000)) return QStringLiteral("dbus-daemon is not installed (package dbus-daemon)");
        if (!daemon_.waitForReadyRead(10000)) return QStringLiteral("dbus-daemon printed no address");
        address_ = QString::fromUtf8(daemon_.readLine()).trimmed();
        if (!address_.startsWith(QLatin1String("unix:"))) return QStringLiteral("dbus-daemon printed ") + address_;
        return {};
    }
    const QString& address() const { return address_; }

private:
    QProcess daemon_;
    QString address_;
};

}  // namespace loopsnap::test
