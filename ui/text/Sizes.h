// Byte sizes in words, the same in every view, wizard, dialog and the details pane: binary
// units (B, KiB, MiB, GiB, TiB, PiB: powers of 1024, as the engine and loopsnapctl count them),
// the locale's decimal separator, one decimal unless the value is whole at that precision
// ("64 MiB", "1.5 GiB"; German "1,5 GiB"), no group separator, a no-break space before the unit.
// A value that rounds up to 1024 of a unit is written in the next one ("1 MiB", not "1024 KiB").
#pragma once

#include <cstdint>

#include <QLocale>
#include <QString>

namespace loopsnap::ui {

QString formatBytes(double bytes, const QLocale& locale = QLocale());

}  // namespace loopsnap::ui
