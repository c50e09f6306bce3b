// Shared plumbing of loopsnapctl's commands: options, output in text or JSON, and the exit codes
// of the CLI contract (0 ok, 1 failed, 2 usage, 3 a check found a violation).
#pragma once

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <string>

#include <memory>

#include "core/engine/engine.h"
#include "core/util/result.h"

namespace loopsnap::cli {

enum Exit { kOk = 0, kFailed = 1, kUsage = 2, kViolation = 3 };

struct Context {
    bool json = false;
    bool interactive = false;  // stdout is a terminal: progress bars allowed
    BackendKind backend = BackendKind::Userspace;  // --backend, before COMMAND
};

// The engine facade for one command: the workspace of the environment (cli-contract.md), the
// context's backend, and the in-process crash test runner.
Result<std::unique_ptr<Engine>> openEngine(const Context& ctx, EngineOptions options = {});

// A command's parser: adds --help, parses `args` (args[0] is the command path for messages).
// Returns false after printing a usage error (caller returns kUsage).
bool parseOrUsage(QCommandLineParser& parser, const QStringList& args);

// Required option helpers: print a usage error and return false if missing/invalid.
bool requireValue(QCommandLineParser& parser, const QString& name, QString* out);
bool sizeOption(QCommandLineParser& parser, const QString& name, uint64_t* out, bool required);
bool uintOption(QCommandLineParser& parser, const QString& name, uint64_t* out, bool required);

int usageError(const QString& message);
// Prints the error (stderr; with --json also {"error":{...}} on stdout) and returns kFailed.
int fail(const Context& ctx, const Error& error);
void printJson(const QJsonObject& object);        // one compact line
void printJsonLine(const QJsonObject& object);    // same; for progress streams
// A JSON object written by core (core/export/status_json.h) as a QJsonObject, to add fields to.
QJsonObject jsonObjectOf(const std::string& json);
void printText(const QString& text);              // stdout + newline
void printNote(const QString& text);              // stderr + newline (notes, warnings)

// Installs SIGINT/SIGTERM handlers that set the flag instead of killing the process.
const std::atomic<bool>& installStopSignals();

QString q(const std::string& s);

using CommandFn = std::function<int(Context&, const QStringList& args)>;
struct CommandEntry {
    const char* name;  // "snapshot", "clone", "merge", ...
    CommandFn run;
    const char* summary;
};

// Command groups (one .cpp each).
int runSnapshot(Context&, const QStringList&);
int runInspect(Context&, const QStringList&);
int runOrigin(Context&, const QStringList&);
int runWorkload(Context&, const QStringList&);
int runCrashtest(Context&, const QStringList&);
int runMerge(Context&, const QStringList&);      // cmd_merge.cpp
int runClone(Context&, const QStringList&);
int runServe(Context&, const QStringList&);   // cmd_serve.cpp
int runAttach(Context&, const QStringList&);  // cmd_attach.cpp
int runDetach(Context&, const QStringList&);  // cmd_attach.cpp
int runList(Context&, const QStringList&);    // cmd_workspace.cpp
int runAdd(Context&, const QStringList&);     // cmd_workspace.cpp
int runForget(Context&, const QStringList&);  // cmd_workspace.cpp
int runActivate(Context&, const QStringList&);    // cmd_workspace.cpp
int runDeactivate(Context&, const QStringList&);  // cmd_workspace.cpp

}  // namespace loopsnap::cli
