#include "cli.h"

#include "core/engine/crashtest_runner.h"

#include <QJsonDocument>

#include <atomic>
#include <csignal>
#include <cstdio>

#include "core/util/size.h"

namespace loopsnap::cli {

QString q(const std::string& s) { return QString::fromStdString(s); }

Result<std::unique_ptr<Engine>> openEngine(const Context& ctx, EngineOptions options) {
    options.backend = ctx.backend;
    LS_ASSIGN(auto engine, Engine::open(options));
    engine->setCrashTestRunner(inProcessCrashTestRunner());
    return engine;
}

int usageError(const QString& message) {
    std::fprintf(stderr, "loopsnapctl: %s\n(see loopsnapctl --help)\n", qPrintable(message));
    return kUsage;
}

bool parseOrUsage(QCommandLineParser& parser, const QStringList& args) {
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    parser.addHelpOption();
    if (!parser.parse(args)) {
        usageError(parser.errorText());
        return false;
    }
    if (parser.isSet("help")) {
        std::printf("%s", qPrintable(parser.helpText()));
        std::exit(0);
    }
    return true;
}

bool requireValue(QCommandLineParser& parser, const QString& name, QString* out) {
    if (!parser.isSet(name)) {
        usageError("missing --" + name);
        return false;
    }
    *out = parser.value(name);
    return true;
}

bool sizeOption(QCommandLineParser& parser, const QString& name, uint64_t* out, bool required) {
    if (!parser.isSet(name)) {
        if (required) usageError("missing --" + name);
        return !required;
    }
    auto r = parseSize(parser.value(name).toStdString());
    if (!r.ok()) {
        usageError("--" + name + ": " + q(r.error().message));
        return false;
    }
    *out = r.value();
    return true;
}

bool uintOption(QCommandLineParser& parser, const QString& name, uint64_t* out, bool required) {
    if (!parser.isSet(name)) {
        if (required) usageError("missing --" + name);
        return !required;
    }
    bool ok = false;
    qulonglong v = parser.value(name).toULongLong(&ok);
    if (!ok) {
        usageError("--" + name + " takes a whole number, not '" + parser.value(name) + "'");
        return false;
    }
    *out = v;
    return true;
}

namespace {
// What the user can run next, from the error's detail and related paths (the engine's data; the CLI
// reads no store): the CLI, not the engine, names commands.
std::string hintFor(const Error& error) {
    if (error.detail == "merge-unfinished") {
        std::string cow = error.related.empty() ? "C" : error.related.front();
        return "finish the merge with: loopsnapctl merge --origin " + error.subject + " --cow " + cow;
    }
    if (error.detail == "snapshot-missing") {
        std::string hint;
        for (const std::string& cow : error.related)
            hint += std::string(hint.empty() ? "" : "\nloopsnapctl: ") + "if " + cow +
                    " is gone for good, forget it with: loopsnapctl snapshot forget --origin " + error.subject + " --cow " + cow;
        return hint;
    }
    if (error.detail == "cow-size-needed") return "give --cow-size to create it";
    if (error.detail == "kernel-clone-inactive") return "bring it up first: loopsnapctl --backend kernel activate ID (the id `list` prints)";
    if (error.detail == "origin-has-snapshots")
        return "serve it as origin:" + error.subject + " (writes copy into its snapshots), or with --read-only";
    return {};
}
}  // namespace

int fail(const Context& ctx, const Error& error) {
    std::fprintf(stderr, "loopsnapctl: %s\n", error.message.c_str());
    if (std::string hint = hintFor(error); !hint.empty()) std::fprintf(stderr, "loopsnapctl: %s\n", hint.c_str());
    if (ctx.json) {
        QJsonObject e{{"code", errorCodeName(error.code)}, {"message", q(error.message)}};
        if (!error.subject.empty()) e["subject"] = q(error.subject);
        if (!error.detail.empty()) e["detail"] = q(error.detail);
        printJson(QJsonObject{{"error", e}});
    }
    return kFailed;
}

void printJson(const QJsonObject& object) {
    std::printf("%s\n", QJsonDocument(object).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
}
void printJsonLine(const QJsonObject& object) { printJson(object); }
QJsonObject jsonObjectOf(const std::string& json) {
    return QJsonDocument::fromJson(QByteArray::fromStdString(json)).object();
}
void printText(const QString& text) {
    std::printf("%s\n", qPrintable(text));
    std::fflush(stdout);
}
void printNote(const QString& text) { std::fprintf(stderr, "%s\n", qPrintable(text)); }

namespace {
std::atomic<bool> gStop{false};
extern "C" void onStopSignal(int) { gStop.store(true); }
}  // namespace

const std::atomic<bool>& installStopSignals() {
    struct sigaction sa{};
    sa.sa_handler = onStopSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    return gStop;
}

}  // namespace loopsnap::cli
