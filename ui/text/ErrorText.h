// Engine codes and states in the user's language: the one place ui/ turns an Error (code,
// subject, detail) or a DeviceState into words (tr(), context "loopsnap::ui", as lupdate files it). The engine never
// formats text for people; its English message is shown only as the technical detail.
#pragma once

#include <QString>

#include "core/backend/types.h"
#include "core/util/result.h"

namespace loopsnap::ui {

// A sentence naming the file (subject) and what to do, e.g.
// "/srv/a.cow is not a snapshot store (its header is not one the kernel writes). Choose the
//  store you created for this origin; nothing was changed."
QString errorText(const Error& error);
// What the user was doing, for the message area's heading ("Creating the snapshot failed").
QString actionText(const QString& action);
QString stateText(DeviceState state);
QString stateToolTip(DeviceState state);
// A snapshot's state, telling a running rollback from an interrupted one ("merging, interrupted").
QString snapshotStateText(const SnapshotInfo& snapshot);
QString snapshotStateToolTip(const SnapshotInfo& snapshot);
QString backendText(BackendKind kind);
QString storeTypeText(const QString& store);       // "P" -> "persistent"
QString jobStateText(JobState state);

}  // namespace loopsnap::ui
