// The device-mapper table line the kernel would use for a device, shown for reference in the
// details pane (dm-snapshot.rst / dm-clone.rst syntax). Files stand where the kernel takes block
// devices (the kernel backend binds them to loop devices first). Pure formatting, no I/O.
#pragma once

#include <QString>

#include "core/backend/types.h"

namespace loopsnap::ui {

QString dmTableLine(const OriginInfo& origin);
QString dmTableLine(const SnapshotInfo& snapshot, const QString& originPath);
QString dmTableLine(const CloneInfo& clone);

}  // namespace loopsnap::ui
