#include "ui/bridge/SubprocessCrashTestRunner.h"

#include <signal.h>

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>

#include <optional>

namespace loopsnap::ui {

QString locateLoopsnapctl() {
    const QString env = qEnvironmentVariable("LOOPSNAPCTL");
    if (!env.isEmpty() && QFileInfo(env).isExecutable()) return env;
    const QString dir = QCoreApplication::applicationDirPath();
    for (const QString& candidate : {dir + QStringLiteral("/loopsnapctl"), dir + QStringLiteral("/../loopsnapctl/loopsnapctl"),
                                     dir + QStringLiteral("/../app/loopsnapctl/loopsnapctl")})
        if (QFileInfo(candidate).isExecutable()) return QDir::cleanPath(candidate);
    return QStandardPaths::findExecutable(QStringLiteral("loopsnapctl"));
}

namespace {

std::vector<uint64_t> numbers(const QJsonValue& v) {
    std::vector<uint64_t> out;
    for (const QJsonValue& x : v.toArray()) out.push_back(uint64_t(x.toInteger()));
    return out;
}

CrashTestOutcome outcomeFrom(const QJsonObject& j) {
    CrashTestOutcome o;
    o.violation = j.value(QStringLiteral("violation")).toBool();
    o.statesChecked = uint64_t(j.value(QStringLiteral("states_checked")).toInteger());
    o.crashPoints = uint64_t(j.value(QStringLiteral("crash_points")).toInteger());
    o.seconds = j.value(QStringLiteral("seconds")).toDouble();
    o.cancelled = j.value(QStringLiteral("cancelled")).toBool();
    o.invariant = j.value(QStringLiteral("invariant")).toString().toStdString();
    o.detail = j.value(QStringLiteral("detail")).toString().toStdString();
    o.trace = j.value(QStringLiteral("trace")).toString().toStdString();
    if (j.contains(QStringLiteral("leaked_chunks"))) o.leakedChunks = numbers(j.value(QStringLiteral("leaked_chunks")));
    if (j.contains(QStringLiteral("store"))) {
        const QJsonObject s = j.value(QStringLiteral("store")).toObject();
        StoreLayout layout;
        layout.chunkBytes = uint64_t(s.value(QStringLiteral("chunk_bytes")).toInteger());
        layout.totalChunks = uint64_t(s.value(QStringLiteral("cow_chunks")).toInteger());
        layout.nextFreeChunk = uint64_t(s.value(QStringLiteral("next_free")).toInteger());
        layout.metadataChunks = numbers(s.value(QStringLiteral("metadata_chunks")));
        o.leakStore = layout;
    }
    if (j.contains(QStringLiteral("garbage_region"))) o.garbageRegion = uint64_t(j.value(QStringLiteral("garbage_region")).toInteger());
    return o;
}

}  // namespace

CrashTestRunner subprocessCrashTestRunner(QString program, int graceMs) {
    return [program, graceMs](const CrashTestRequest& request, const std::function<void(const CrashTestProgress&)>& progress,
                              const std::atomic<bool>& cancelled) -> Result<CrashTestOutcome> {
        if (program.isEmpty())
            return makeError(ErrorCode::NotFound, "loopsnapctl was not found beside the app or in PATH; the crash lab runs it", "loopsnapctl",
                             "no-loopsnapctl");
        QStringList args{QStringLiteral("--json"), QStringLiteral("crashtest"), QString::fromStdString(request.scenario),
                         QStringLiteral("--seed"), QString::number(request.seed)};
        if (request.ops) args << QStringLiteral("--ops") << QString::number(request.ops);
        if (request.legacy) args << QStringLiteral("--legacy");
        QProcess child;
        child.setProgram(program);
        child.setArguments(args);
        child.setProcessChannelMode(QProcess::SeparateChannels);
        child.start();
        if (!child.waitForStarted(10000))
            return makeError(ErrorCode::IOError, "cannot start " + program.toStdString() + ": " + child.errorString().toStdString(),
                             program.toStdString(), "crashtest-start");
        QByteArray buffer, errors;
        std::optional<QJsonObject> result;
        bool interrupted = false, killed = false;
        QElapsedTimer sinceInterrupt;
        auto consume = [&] {
            buffer += child.readAllStandardOutput();
            errors += child.readAllStandardError();
            for (qsizetype nl; (nl = buffer.indexOf('\n')) >= 0;) {
                const QByteArray line = buffer.left(nl).trimmed();
                buffer.remove(0, nl + 1);
                if (line.isEmpty()) continue;
                const QJsonDocument doc = QJsonDocument::fromJson(line);
                if (!doc.isObject()) continue;
                const QJsonObject j = doc.object();
                if (j.value(QStringLiteral("event")).toString() == QLatin1String("progress")) {
                    CrashTestProgress p;
                    p.statesChecked = uint64_t(j.value(QStringLiteral("states_checked")).toInteger());
                    p.crashPointsDone = uint64_t(j.value(QStringLiteral("crash_points_done")).toInteger());
                    p.crashPointsTotal = uint64_t(j.value(QStringLiteral("crash_points_total")).toInteger());
                    progress(p);
                } else if (j.contains(QStringLiteral("states_checked")) || j.contains(QStringLiteral("error"))) {
                    result = j;
                }
            }
        };
        while (child.state() != QProcess::NotRunning) {
            if (cancelled.load() && !interrupted) {
                ::kill(pid_t(child.processId()), SIGINT);
                interrupted = true;
                sinceInterrupt.start();
            }
            if (interrupted && !killed && sinceInterrupt.elapsed() > graceMs) {
                child.kill();  // SIGKILL
                killed = true;
            }
            child.waitForReadyRead(100);
            consume();
        }
        child.waitForFinished(1000);
        consume();
        if (!buffer.trimmed().isEmpty()) {
            buffer += '\n';
            consume();
        }
        if (interrupted)
            return makeError(ErrorCode::Aborted, "the crash test was cancelled", request.scenario, "cancelled");
        if (!result) {
            std::string why = QString::fromUtf8(errors).trimmed().toStdString();
            if (why.empty()) why = "exit status " + std::to_string(child.exitCode());
            return makeError(ErrorCode::IOError, "loopsnapctl crashtest gave no result: " + why, request.scenario, "crashtest-no-result");
        }
        if (result->contains(QStringLiteral("error"))) {
            const QJsonObject e = result->value(QStringLiteral("error")).toObject();
            return makeError(child.exitCode() == 2 ? ErrorCode::InvalidArgument : ErrorCode::IOError,
                             e.value(QStringLiteral("message")).toString().toStdString(), request.scenario,
                             e.value(QStringLiteral("code")).toString().toStdString());
        }
        return outcomeFrom(*result);
    };
}

}  // namespace loopsnap::ui
