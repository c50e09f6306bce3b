// serve: NBD export of engine devices, with a control socket (docs/nbd-export.md,
// docs/serve-control-protocol.md).
#include <chrono>
#include <memory>
#include <thread>

#include "cli.h"
#include "core/export/device_spec.h"
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
    std::string controlPath = p.isSet("control") ? p.value("control").toStdString() : std::string();

    SpecServeRequest rq;
    rq.socketPath = socket.toStdString();
    rq.controlPath = controlPath;
    rq.readOnly = p.isSet("read-only");
    if (p.isSet("tcp")) {
        rq.tcpHost = tcpHost;
        rq.tcpPort = tcpPort;
    }
    for (const QString& e : exportArgs) {
        auto parsed = parseExportArgument(e.toStdString());
        if (!parsed.ok()) return usageError(q(parsed.error().message));
        std::string name = parsed->first;
        for (const auto& x : rq.exports)
            if (x.name == name) return usageError("export name '" + q(name) + "' given twice");
        rq.exports.push_back({name, e.toStdString().substr(name.size() + 1)});
    }

    auto engine = openEngine(ctx);
    if (!engine.ok()) return fail(ctx, engine.error());
    Engine& eng = **engine;
    auto served = eng.serveSpecs(rq);
    if (!served.ok()) return fail(ctx, served.error());

    const auto& stop = installStopSignals();
    const uint16_t boundPort = served->tcpPort;
    QString tcpText = boundPort ? (tcpHost.find(':') != std::string::npos ? "[" + q(tcpHost) + "]" : q(tcpHost)) +
                                      ":" + QString::number(boundPort)
                                : QString();
    if (ctx.json) {
        QJsonArray list;
        for (const auto& x : served->exports) {
            QJsonObject o{{"name", q(x.name)},
                          {"spec", q(x.spec)},
                          {"kind", q(x.kind)},
                          {"size", qint64(x.sizeBytes)},
                          {"read_only", x.readOnly},
                          {"uri", q(x.uri)}};
            if (boundPort) o["tcp_uri"] = q(x.tcpUri);
            list.append(o);
        }
        QJsonObject out{{"serving", list}, {"socket", socket}, {"control", q(served->controlPath)}};
        if (boundPort) out["tcp"] = tcpText;
        printJson(out);
    } else {
        for (const auto& x : served->exports) {
            printText(QString("serving %1 (%2%3, %4) at %5")
                          .arg(q(x.name), q(formatSize(x.sizeBytes)), x.readOnly ? ", read-only" : "", q(x.spec), q(x.uri)));
            if (boundPort) printText("  and at " + q(x.tcpUri));
        }
        printText("control socket " + q(served->controlPath) + "; stop with SIGINT or SIGTERM");
    }

    while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));

    // Stops the control socket and the server (joins every connection), then flushes every device.
    if (auto st = eng.stopServing(served->id); !st.ok()) return fail(ctx, st.error());
    if (ctx.json) printJson(QJsonObject{{"stopped", true}});
    else printNote("stopped");
    return kOk;
}

}  // namespace loopsnap::cli
