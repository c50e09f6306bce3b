// The D-Bus protocol of loopsnap-helper, the privileged service that hosts the kernel backend
// (see helper_service.h): names, the typed methods, error names and the codec of the values it
// returns. Shared by the service and by its clients (the desktop app, helper_client.h), so both
// sides agree on every name and field.
//
// Bus name io.github.loopsnap.Helper, object /io/github/loopsnap/Helper, interface
// io.github.loopsnap.Helper1. Methods (every one checks the polkit action kPolkitAction first):
//   CreateSnapshot(s origin, s cow, t cowSize, u chunkBytes, s store)  -> a{sv} snapshot
//   CreateClone(s source, s dest, s meta, t regionBytes)               -> a{sv} clone
//   Merge(s cow)                                                       -> t job id
//   Message(s meta, s name, u value)                                   -> a{sv} clone
//       name: enable_hydration | disable_hydration (value 0), hydration_threshold |
//       hydration_batch_size (value 1 .. kMaxHydrationValue): dm-clone's messages
//   Remove(s path)                                                     -> ()
//       takes the device of an origin, snapshot store or clone metadata down and drops it from
//       the caller's list; no file is touched
//   Delete(s path)                                                     -> ()
//       a snapshot store or clone metadata of the caller: its device goes down, it leaves the
//       origin's table and the caller's list, and its files are deleted (Engine::deleteFiles:
//       the store and its sidecar; the clone's metadata, record and destination); never an
//       origin, nothing mounted
//   Status(s path)                                                     -> a{sv} origin/snapshot/clone
//   List()                                                             -> aa{sv} every device of the caller
// A failed call returns a D-Bus error named kErrorPrefix + the engine's code
// ("io.github.loopsnap.Helper.Error.InvalidArgument", ..., or ".NotAuthorized") whose arguments
// are (s message, s detail, s subject): the English message, the stable detail word that ui/text
// translates, and the path it is about.
//
// Threads: plain functions and constants, no state.
#pragma once

#include <QDBusMessage>
#include <QString>
#include <QVariantMap>

#include "core/backend/types.h"
#include "core/util/result.h"

namespace loopsnap::helper {

inline constexpr const char* kServiceName = "io.github.loopsnap.Helper";
inline constexpr const char* kObjectPath = "/io/github/loopsnap/Helper";
inline constexpr const char* kInterface = "io.github.loopsnap.Helper1";
inline constexpr const char* kErrorPrefix = "io.github.loopsnap.Helper.Error.";
inline constexpr const char* kPolkitAction = "io.github.loopsnap.manage";
inline constexpr uint32_t kMaxHydrationValue = 1u << 20;

// The error name for a code ("io.github.loopsnap.Helper.Error.Busy").
QString errorName(ErrorCode code);
inline QString notAuthorizedErrorName() { return QString::fromLatin1(kErrorPrefix) + QStringLiteral("NotAuthorized"); }
// The error reply the service sends for `error`.
QDBusMessage errorReply(const QDBusMessage& call, const QString& name, const Error& error);
// Back from a reply of type ErrorMessage (a foreign error, e.g. org.freedesktop.DBus.Error.*,
// becomes Unsupported with detail "helper-unavailable" when the service cannot be reached,
// else IOError with the D-Bus message). `authorizationRefused` is set for NotAuthorized.
Error errorFromReply(const QDBusMessage& reply, bool* authorizationRefused = nullptr);

// Values as a{sv}: every field of the struct under its own name, enums by their stable names
// (backendKindName, deviceStateName), `problem` as problemCode/problemMessage/problemDetail.
// "kind" is "origin", "snapshot" or "clone".
QVariantMap toVariantMap(const OriginInfo& info);
QVariantMap toVariantMap(const SnapshotInfo& info);
QVariantMap toVariantMap(const CloneInfo& info);
QString kindOf(const QVariantMap& map);
Result<OriginInfo> originFromMap(const QVariantMap& map);
Result<SnapshotInfo> snapshotFromMap(const QVariantMap& map);
Result<CloneInfo> cloneFromMap(const QVariantMap& map);

}  // namespace loopsnap::helper
