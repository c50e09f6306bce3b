// serve: NBD export of engine devices, with a control socket (docs/nbd-export.md,
// docs/serve-control-protocol.md).
#include <chrono>
#include <memory>
#include <thread>

#include "cli.h"
#include "core/events/event_ring.h"
#include "core/export/control_server.h"
#include "core/export/device_spec.h"
#include "core/export/nbd_server.h"
#include "core/util/size.h"

namespace loopsnap::cli {

namespace {

// "PORT" (127.0.0.1), "HOST:PORT", "[V6]:PORT".
bool parseTcp(const QString& text, std::string* host, uint16_t* port) {
    QString h = "127.0.0.1", p = text;
    if (text.startsWith('[')) {
        int close = text.indexOf(']');
        if (close < 0 || text.mid(close + 1, 1) != ":") return false;
        h = text.mid(1, close - 1);
        p = text.mid(close + 2);
    } else if (int colon = text.lastIndexOf(':'); colon >= 0) {
        h = text.left(colon);
        p = text.mid(colon + 1);
    }
    bool ok = false;
    uint v = p.toUInt(&ok);
    if (!ok || v > 65535 || h.isEmpty()) return false;
    *host = h.toStdString();
    *port = uint16_t(v);
    return true;
}

}  // namespace

int runServe(Context& ctx, const QStringList& args) {
    QCommandLineParser p;
    p.setApplicationDescription(
        "Serves devices over NBD until SIGINT/SIGTERM. SPEC: origin:ORIGIN[:COW...], snapshot:ORIGIN:COW, "
        "clone:META or file:PATH.");
    p.addOptions({{"socket", "Unix socket to serve NBD on.", "PATH"},
                  {"tcp", "Also serve on TCP: PORT (127.0.0.1), HOST:PORT or [IPV6]:PORT.", "HOST:PORT"},
                  {"export", "An export (repeatable).", "NAME=SPEC"},
                  {"control", "Control socket (default: <socket>.ctl).", "PATH"},
                  {"read-only", "Serve every export read-only."}});
    if (!parseOrUsage(p, args)) return kUsage;
    QString socket;
    if (!requireValue(p, "socket", &socket)) return kUsage;
    QStringList exportArgs = p.values("export");
    if (exportArgs.isEmpty()) return usageError("missing --export NAME=SPEC");
    std::string tcpHost;
    uint16_t tcpPort = 0;
    if (p.isSet("tcp") && !parseTcp(p.value("tcp"), &tcpHost, &tcpPort))
        return usageError("--tcp takes PORT, HOST:PORT or [IPV6]:PORT, not '" + p.value("tcp") + "'");
    std::string controlPath = p.isSet("control") ? p.value("control").toStdString() : socket.toStdString() + ".ctl";

    std::vector<std::string> names, specs;
    for (const QString& e : exportArgs) {
        auto parsed = parseExportArgument(e.toStdString());
        if (!parsed.ok()) return usageError(q(parsed.error().message));
        std::string name = parsed->first;
        for (const auto& n : names)
            if (n == name) return usageError("export name '" + q(name) + "' given twice");
        names.push_back(name);
        specs.push_back(e.toStdString().substr(name.size() + 1));
    }

    auto events = std::make_shared<EventSink>();
    auto ring = std::make_shared<EventRing>(1 << 16);
    events->addListener(ring);
    DeviceSpecOptions options;
    options.events = events;
    options.readOnly = p.isSet("read-only");
    auto devices = openDeviceSpecs(specs, options);
    if (!devices.ok()) return fail(ctx, devices.error());

    NbdServer server;
    std::vector<ControlExport> controlExports;
    for (size_t i = 0; i < names.size(); ++i) {
        const ServedDevice& d = devices->at(i);
        if (auto st = server.addExport({names[i], d.device, d.readOnly, d.spec}); !st.ok()) return fail(ctx, st.error());
        controlExports.push_back({names[i], d});
    }
    if (auto st = server.listenUnix(socket.toStdString()); !st.ok()) return fail(ctx, st.error());
    uint16_t boundPort = 0;
    if (p.isSet("tcp")) {
        auto port = server.listenTcp(tcpHost, tcpPort);
        if (!port.ok()) return fail(ctx, port.error());
        boundPort = port.value();
    }
    ControlServer control(server, controlExports, events, ring);
    if (auto st = control.listen(controlPath); !st.ok()) return fail(ctx, st.error());

    const auto& stop = installStopSignals();
    QString tcpText = boundPort ? (tcpHost.find(':') != std::string::npos ? "[" + q(tcpHost) + "]" : q(tcpHost)) +
                                      ":" + QString::number(boundPort)
                                : QString();
    if (ctx.json) {
        QJsonArray list;
        for (size_t i = 0; i < names.size(); ++i) {
            const ServedDevice& d = devices->at(i);
            QJsonObject o{{"name", q(names[i])},
                          {"spec", q(d.spec)},
                          {"kind", deviceSpecKindName(d.kind)},
                          {"size", qint64(d.device->size())},
                          {"read_only", d.readOnly},
                          {"uri", "nbd+unix:///" + q(names[i]) + "?socket=" + socket}};
            if (boundPort) o["tcp_uri"] = "nbd://" + tcpText + "/" + q(names[i]);
            list.append(o);
        }
        QJsonObject out{{"serving", list}, {"socket", socket}, {"control", q(controlPath)}};
        if (boundPort) out["tcp"] = tcpText;
        printJson(out);
    } else {
        for (size_t i = 0; i < names.size(); ++i) {
            const ServedDevice& d = devices->at(i);
            printText(QString("serving %1 (%2%3, %4) at nbd+unix:///%1?socket=%5")
                          .arg(q(names[i]), q(formatSize(d.device->size())), d.readOnly ? ", read-only" : "",
                               q(d.spec), socket));
            if (boundPort) printText(QString("  and at nbd://%1/%2").arg(tcpText, q(names[i])));
        }
        printText("control socket " + q(controlPath) + "; stop with SIGINT or SIGTERM");
    }

    while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));

    control.stop();
    server.stop();  // joins every connection and flushes every device
    Status flushed;
    for (const auto& d : *devices)
        if (auto st = d.device->flush(); !st.ok() && flushed.ok()) flushed = st;
    if (!flushed.ok()) return fail(ctx, flushed.error());
    if (ctx.json) printJson(QJsonObject{{"stopped", true}});
    else printNote("stopped");
    return kOk;
}

}  // namespace loopsnap::cli
