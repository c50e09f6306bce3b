// Icons painted in code for device states and kinds (crisp at any DPI, one colour per state
// that reads on light and dark palettes). GUI thread only.
#pragma once

#include <QColor>
#include <QIcon>

#include "core/backend/types.h"
#include "ui/models/DeviceRef.h"

namespace loopsnap::ui {

QIcon stateIcon(DeviceState state);
QColor stateColor(DeviceState state);
QIcon kindIcon(DeviceKind kind);
QIcon appIcon();

}  // namespace loopsnap::ui
