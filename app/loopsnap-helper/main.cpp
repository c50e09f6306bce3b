// loopsnap-helper: the privileged half of the kernel backend (see helper/helper_service.h and
// the man page installer/loopsnap-helper.8). Started by D-Bus activation; connects to the bus
// that started it (DBUS_STARTER_ADDRESS, set by the bus daemon) or else the system bus, owns
// io.github.loopsnap.Helper and exits after an idle timeout.
//
// Options (only from the activation file or an administrator; nothing is read from callers):
//   --idle-timeout SECONDS   exit after this long without calls or running jobs (default 60)
//   --state-dir DIR          the users' workspaces (default /var/lib/loopsnap-helper)
#include <cstdio>
#include <cstdlib>

#include <QCoreApplication>
#include <QDBusConnection>
#include <QStringList>

#include "helper/helper_protocol.h"
#include "helper/helper_service.h"

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("loopsnap-helper"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LOOPSNAP_VERSION));
    loopsnap::helper::HelperOptions options;
    const QStringList args = app.arguments();
    for (int i = 1; i < args.size(); ++i) {
        const QString& a = args[i];
        if (a == QLatin1String("--version")) {
            std::printf("loopsnap-helper %s\n", LOOPSNAP_VERSION);
            return 0;
        }
        if (a == QLatin1String("--help")) {
            std::printf("usage: loopsnap-helper [--idle-timeout SECONDS] [--state-dir DIR]\n"
                        "The privileged D-Bus service of Loopsnap's kernel backend; started by the system bus.\n");
            return 0;
        }
        bool ok = false;
        if (a == QLatin1String("--idle-timeout") && i + 1 < args.size()) {
            const int seconds = args[++i].toInt(&ok);
            if (!ok || seconds < 1 || seconds > 86400) {
                std::fprintf(stderr, "loopsnap-helper: --idle-timeout takes 1 .. 86400 seconds\n");
                return 2;
            }
            options.idleTimeoutMs = seconds * 1000;
        } else if (a == QLatin1String("--state-dir") && i + 1 < args.size()) {
            options.stateDir = args[++i].toStdString();
            if (options.stateDir.empty() || options.stateDir.front() != '/') {
                std::fprintf(stderr, "loopsnap-helper: --state-dir takes an absolute path\n");
                return 2;
            }
        } else {
            std::fprintf(stderr, "loopsnap-helper: unknown argument %s (see --help)\n", qPrintable(a));
            return 2;
        }
    }
    QDBusConnection bus = qEnvironmentVariableIsSet("DBUS_STARTER_ADDRESS")
                              ? QDBusConnection::connectToBus(QDBusConnection::ActivationBus, QStringLiteral("loopsnap-helper"))
                              : QDBusConnection::systemBus();
    if (!bus.isConnected()) {
        std::fprintf(stderr, "loopsnap-helper: cannot connect to the bus: %s\n", qPrintable(bus.lastError().message()));
        return 1;
    }
    loopsnap::helper::HelperService service(bus, options);
    QString error;
    if (!service.registerOn(&error)) {
        std::fprintf(stderr, "loopsnap-helper: %s\n", qPrintable(error));
        return 1;
    }
    QObject::connect(&service, &loopsnap::helper::HelperService::idle, &app, &QCoreApplication::quit);
    return app.exec();
}
