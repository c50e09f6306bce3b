// RegionMapWidget: a clone's regions, one category byte per region (CloneRegionMap's values:
// 0 unhydrated, 1 hydrating, 2 hydrated, 3 written by the user, 4 discarded), binned to pixels.
// Hovering a bin names its regions, their byte range and their mix.
// Thread: GUI thread only. The region array is the caller's (see CellMapWidget).
#pragma once

#include "ui/text/Sizes.h"
#include "ui/widgets/CellMapWidget.h"

namespace loopsnap::ui {

enum class RegionCategory : uint8_t { Unhydrated = 0, Hydrating = 1, Hydrated = 2, WrittenByUser = 3, Discarded = 4 };
constexpr int kRegionCategoryCount = 5;

class RegionMapWidget : public CellMapWidget {
    Q_OBJECT
public:
    explicit RegionMapWidget(QWidget* parent = nullptr);

    // Bytes per region and the device size (the last region may be short), for the byte ranges.
    void setRegionGeometry(uint64_t regionBytes, uint64_t deviceBytes);
    static QVector<QColor> categoryColors();
    static QString categoryName(int category);   // translated
    // "Regions 12–15 · 768 KiB–1 MiB · 2 hydrated, 2 unhydrated"
    QString describeBin(int64_t bin) const;

protected:
    QString binToolTip(int64_t bin) const override { return describeBin(bin); }

private:
    uint64_t regionBytes_ = 0, deviceBytes_ = 0;
};

}  // namespace loopsnap::ui
