// loopsnapctl [--json] COMMAND ...   (see ../shared/spec/cli-contract.md and README)
#include <QCoreApplication>

#include <unistd.h>

#include <cstdio>

#include "cli.h"

using namespace loopsnap::cli;

static const CommandEntry kCommands[] = {
    {"snapshot", runSnapshot, "create | status | read | write | forget  a snapshot (kernel COW format)"},
    {"inspect", runInspect, "show a COW store's header and committed exceptions"},
    {"origin", runOrigin, "write  to an origin through the engine (copy-on-write)"},
    {"workload", runWorkload, "run a seeded random mix of origin and snapshot writes"},
    {"merge", runMerge, "merge a snapshot into its origin (rollback), resumable"},
    {"crashtest", runCrashtest, "snapshot | clone | merge: check every crash state of a recorded workload"},
    {"clone", runClone, "create | status | hydrate | read | write  a clone (userspace dm-clone)"},
    {"serve", runServe, "serve devices over NBD (unix socket, TCP) with a control socket"},
    {"attach", runAttach, "expose a device as /dev/loopN (FUSE file + loop device; Linux, root)"},
    {"detach", runDetach, "undo an attach: detach /dev/loopN and end its FUSE export"},
    {"list", runList, "every origin with its snapshots, and every clone, in the workspace"},
    {"add", runAdd, "--cow C --origin O | --meta M: record existing stores in the workspace"},
    {"forget", runForget, "ID: remove a workspace entry (no file is touched)"},
    {"activate", runActivate, "ID: bring a workspace entry's kernel devices up again (--backend kernel)"},
    {"deactivate", runDeactivate, "ID: take a workspace entry's kernel devices down (--backend kernel)"},
};

static void printHelp(FILE* to) {
    std::fprintf(to, "Usage: loopsnapctl [--json] [--backend userspace|kernel] COMMAND [options]\n\nCommands:\n");
    for (const auto& c : kCommands) std::fprintf(to, "  %-10s %s\n", c.name, c.summary);
    std::fprintf(to, "\nRun 'loopsnapctl COMMAND --help' for a command's options.\n"
                "Exit codes: 0 ok, 1 failed, 2 usage error, 3 a check found a violation.\n");
}

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("loopsnapctl");
    QCoreApplication::setApplicationVersion(LOOPSNAP_VERSION);
    QStringList args = app.arguments();
    Context ctx;
    ctx.interactive = ::isatty(STDOUT_FILENO) && ::isatty(STDERR_FILENO);
    QStringList rest{args.value(0)};
    for (int i = 1; i < args.size(); ++i) {
        if (args[i] == "--json" && rest.size() == 1) {
            ctx.json = true;
        } else if ((args[i] == "--backend" || args[i].startsWith("--backend=")) && rest.size() == 1) {
            QString value = args[i].contains('=') ? args[i].section('=', 1) : (i + 1 < args.size() ? args[++i] : QString());
            if (value != "userspace" && value != "kernel") return usageError("--backend takes userspace or kernel");
            ctx.backend = value == "kernel" ? loopsnap::BackendKind::Kernel : loopsnap::BackendKind::Userspace;
        } else {
            rest << args[i];
        }
    }
    if (rest.size() < 2 || rest[1] == "--help" || rest[1] == "-h" || rest[1] == "help") {
        printHelp(rest.size() < 2 ? stderr : stdout);  // no command at all is a usage error
        return rest.size() < 2 ? kUsage : kOk;
    }
    if (rest[1] == "--version") {
        std::printf("loopsnapctl %s\n", LOOPSNAP_VERSION);
        return kOk;
    }
    // --json may also follow the command word.
    QStringList cmdArgs;
    for (int i = 1; i < rest.size(); ++i) {
        if (rest[i] == "--json") ctx.json = true;
        else cmdArgs << rest[i];
    }
    if (ctx.json) ctx.interactive = false;
    if (ctx.backend != loopsnap::BackendKind::Userspace) {
        // Every command runs on the backend picked here; one that is not available fails before
        // anything is opened.
        auto engine = openEngine(ctx);
        if (!engine.ok()) return fail(ctx, engine.error());
    }
    for (const auto& c : kCommands)
        if (cmdArgs[0] == QLatin1String(c.name)) return c.run(ctx, cmdArgs);
    return usageError("unknown command '" + cmdArgs[0] + "'");
}
