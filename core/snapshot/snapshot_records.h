// The two small files Loopsnap keeps beside snapshot files (internal to snapshot_files.cpp).
//
// Sidecar "<cow>.loopsnap": what the kernel keeps in its table rather than on disk, for one store:
//   store=P|PO|N      the store type
//   size=BYTES        the snapshot's length (the table length); 0 is a real length. A sidecar
//                     without it (or no sidecar: a store the kernel wrote) means the origin's size.
//   chunk=BYTES       the table's chunk size: the only one a transient store has; a persistent
//                     store's header overrides it (it is used to format a new store)
//   origin=PATH       the origin this store is a snapshot of (canonical path): a store belongs to
//                     one origin only
//   merging=yes       a merge of this store into its origin has started and not finished
//
// Origin record "<origin>.loopsnap-origin": every snapshot of the origin (the kernel knows them all
// from its tables; here every process that opens the origin reads them from this file):
//   snapshot=PATH     a snapshot store (canonical path), one line each, in recording order
//   merging=PATH      the store whose merge into this origin is unfinished: the origin is partly
//                     rolled back and only the merge may open it
//
// Both are written with writeFileAtomically (core/posix/atomic_file.h): a crash leaves the old or
// the new file. Writers of an origin record hold the origin open read-write (its file lock), so
// processes never interleave read-modify-write cycles of one record. Unknown keys are ignored (a
// newer Loopsnap may add some); lines starting with '#' are comments.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/snapshot/snapshot.h"
#include "core/snapshot/snapshot_files.h"

namespace loopsnap {

struct Sidecar {
    StoreType type = StoreType::Persistent;
    std::optional<uint64_t> sizeBytes;   // unset: the origin's size
    std::optional<uint32_t> chunkBytes;  // unset: the default (or the header's)
    std::string origin;                  // canonical origin path, "" if not known
    bool merging = false;
    bool present = false;                // the file exists
};

std::string sidecarPath(const std::string& cowPath);
Result<Sidecar> readSidecar(const std::string& cowPath);  // none: defaults, present = false
Status writeSidecar(const std::string& cowPath, const Sidecar& sidecar);

// Writes the record, or removes the file when it names nothing.
Status writeOriginRecord(const std::string& originPath, const OriginRecord& record);

// An absolute path with ".", ".." and symbolic links of its existing part resolved: how records
// name files, so two spellings of one path compare equal.
std::string canonicalPath(const std::string& path);

}  // namespace loopsnap
