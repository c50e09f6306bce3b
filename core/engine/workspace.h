// Workspace: the list of origins, snapshots and clones a user created or added, shared by every
// process of that user (the CLI, the desktop app). cli-contract.md, section Workspace.
//
// Location: EngineOptions::workspaceDir, else $LOOPSNAP_WORKSPACE, else $XDG_DATA_HOME/loopsnap,
// else ~/.local/share/loopsnap. The list is the file "workspace" in that folder: a line-based
// text file (format below), never a store: it records paths and ids, the state of each device
// is read from the device itself.
//
// Crash consistency: every change is written with writeFileAtomically (core/posix/atomic_file.h:
// temp file, fsync, rename, fsync folder), so a crash while saving leaves the old list or the new
// one, never a torn mix; a stale temporary file is ignored.
//
// Several processes: update() takes an advisory lock (flock on "<folder>/workspace.lock"), re-reads
// the list, applies the change and saves it before unlocking, so two processes adding entries at
// the same time both keep theirs. Readers (load) take no lock: they see the old or the new file.
//
// Thread-safety: one Workspace may be used from several threads; update() serialises them with a
// mutex as well as the file lock.
//
// Format (version 1), one entry per line; the path is the rest of the line with "\\" and "\n"
// escaped:
//   loopsnap-workspace 1
//   next-id 4
//   origin o1 userspace /abs/origin.img
//   snapshot s2 o1 userspace /abs/snap.cow
//   clone c3 userspace /abs/clone.meta
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/backend/types.h"
#include "core/util/result.h"

namespace loopsnap {

struct WorkspaceOrigin {
    std::string id, path;
    BackendKind backend = BackendKind::Userspace;
};
struct WorkspaceSnapshot {
    std::string id, originId, cowPath;
    BackendKind backend = BackendKind::Userspace;
};
struct WorkspaceClone {
    std::string id, metaPath;
    BackendKind backend = BackendKind::Userspace;
};

struct WorkspaceList {
    uint64_t nextId = 1;
    std::vector<WorkspaceOrigin> origins;      // in the order they were added
    std::vector<WorkspaceSnapshot> snapshots;
    std::vector<WorkspaceClone> clones;

    // A new id "<prefix><n>" (o: origin, s: snapshot, c: clone), never reused in this workspace.
    std::string allocateId(char prefix);
    const WorkspaceOrigin* originByPath(const std::string& path, BackendKind backend) const;
    const WorkspaceOrigin* originById(const std::string& id) const;
    const WorkspaceSnapshot* snapshotByPath(const std::string& cowPath, BackendKind backend) const;
    const WorkspaceSnapshot* snapshotById(const std::string& id) const;
    const WorkspaceClone* cloneByPath(const std::string& metaPath, BackendKind backend) const;
    const WorkspaceClone* cloneById(const std::string& id) const;
    // Removes the entry (an origin with its snapshots). NotFound if no entry has this id.
    Status remove(const std::string& id);
};

std::string formatWorkspace(const WorkspaceList& list);
// Corruption (detail "bad-workspace") names the line that is not an entry.
Result<WorkspaceList> parseWorkspace(std::string_view text, const std::string& path = "workspace");

// The folder the environment picks (see above); "" if none can be found.
std::string defaultWorkspaceDir();

class Workspace {
public:
    // persist = false: the list lives in memory only (tests, the crash lab); `dir` is ignored.
    // Creates the folder when missing.
    static Result<std::unique_ptr<Workspace>> open(const std::string& dir, bool persist);

    const std::string& dir() const { return dir_; }
    std::string filePath() const { return dir_ + "/workspace"; }
    bool persistent() const { return persist_; }

    // The list as saved now (a missing file is an empty list).
    Result<WorkspaceList> load();
    // Under the folder's lock: re-read, apply `change`, save atomically. Returns the saved list.
    // When `change` fails nothing is saved.
    Result<WorkspaceList> update(const std::function<Status(WorkspaceList&)>& change);

private:
    Workspace(std::string dir, bool persist) : dir_(std::move(dir)), persist_(persist) {}
    std::string dir_;
    bool persist_;
    std::mutex mutex_;
    WorkspaceList memory_;  // persist_ == false
};

}  // namespace loopsnap
