// Attach: an engine device as /dev/loopN, through a FUSE file backed by the device and a loop
// device bound to that file (docs/nbd-export.md, "Loop attach"). Linux, root, /dev/fuse.
//
// The FUSE file is served by threads of the process whose Engine attached it, so an attachment
// lives as long as that Engine (or until detach). Each one is recorded in the runtime folder
// ($LOOPSNAP_RUNTIME_DIR, else /run/loopsnap where writable (root), else
// $XDG_RUNTIME_DIR/loopsnap, else /tmp/loopsnap-<uid>) as "loopN.attach" (key=value lines, written atomically), so that
// Engine::attachments() and Engine::detach() work from any process: detach of another process's
// device refuses a mounted device, asks the owner (SIGTERM) and waits until its record is gone.
//
// Order of an attach: device opened -> FUSE file up -> loop device bound -> record written.
// Order of a detach: mounted check (Busy, detail "mounted") -> loop device detached (it holds the
// FUSE file open) -> FUSE stopped (flushes the device) -> record removed -> device released.
//
// Threads and locks: every method may be called from any thread; mutex_ guards the table of this
// process's attachments and is never held across a loop ioctl, a FUSE stop or a wait for another
// process. A device attached here is refused by Engine::closeDevice (Busy, detail "attached").
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/engine/device_resolver.h"
#include "core/util/result.h"

namespace loopsnap {

struct AttachInfo;
struct AttachRequest;

class AttachRegistry {
public:
    AttachRegistry();
    ~AttachRegistry();  // detaches everything still attached here (best effort)

    // `device` is the resolved device to expose; `ids` the workspace ids it keeps open.
    Result<AttachInfo> attach(const AttachRequest& request, ResolvedDevice device, std::vector<std::string> ids);
    Status detach(const std::string& loopDevice, std::chrono::milliseconds timeout);
    std::vector<AttachInfo> list();
    bool uses(const std::string& id);     // attached here, as `id` or through it
    void detachAll();

    static std::string runtimeDir();

private:
    struct Entry;
    std::mutex mutex_;
    std::vector<std::shared_ptr<Entry>> entries_;
};

}  // namespace loopsnap
