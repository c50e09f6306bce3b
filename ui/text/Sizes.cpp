#include "ui/text/Sizes.h"

#include <cmath>

namespace loopsnap::ui {

QString formatBytes(double bytes, const QLocale& locale) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    constexpr int last = 5;
    if (!(bytes > 0)) bytes = 0;   // also NaN
    int u = 0;
    double v = bytes;
    while (v >= 1024.0 && u < last) {
        v /= 1024.0;
        ++u;
    }
    double rounded = u == 0 ? std::round(v) : std::round(v * 10.0) / 10.0;
    if (rounded >= 1024.0 && u < last) {   // 1023.96 KiB is 1 MiB, not "1024 KiB"
        rounded = std::round(rounded / 1024.0 * 10.0) / 10.0;
        ++u;
    }
    const int decimals = (u == 0 || rounded == std::floor(rounded)) ? 0 : 1;
    QLocale loc = locale;
    loc.setNumberOptions(loc.numberOptions() | QLocale::OmitGroupSeparator);
    return loc.toString(rounded, 'f', decimals) + QChar(0x00a0) + QLatin1String(units[u]);
}

}  // namespace loopsnap::ui
