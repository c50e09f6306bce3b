#include "ui/widgets/RegionMapWidget.h"

#include <QLocale>

namespace loopsnap::ui {

RegionMapWidget::RegionMapWidget(QWidget* parent) : CellMapWidget(parent) {
    setCategoryColors(categoryColors());
    setToolTipDuration(-1);
}

void RegionMapWidget::setRegionGeometry(uint64_t regionBytes, uint64_t deviceBytes) {
    regionBytes_ = regionBytes;
    deviceBytes_ = deviceBytes;
}

QVector<QColor> RegionMapWidget::categoryColors() {
    return {QColor(0xd3, 0xd7, 0xdd),   // unhydrated: pale grey
            QColor(0xf2, 0xa1, 0x1f),   // hydrating: amber
            QColor(0x2e, 0x8b, 0x57),   // hydrated: green
            QColor(0x6a, 0x4c, 0xc4),   // written by the user: violet
            QColor(0x4a, 0x55, 0x63)};  // discarded: slate
}

QString RegionMapWidget::categoryName(int category) {
    switch (RegionCategory(category)) {
    case RegionCategory::Unhydrated: return tr("unhydrated");
    case RegionCategory::Hydrating: return tr("hydrating");
    case RegionCategory::Hydrated: return tr("hydrated");
    case RegionCategory::WrittenByUser: return tr("written by the user");
    case RegionCategory::Discarded: return tr("discarded");
    }
    return tr("unknown");
}

QString RegionMapWidget::describeBin(int64_t bin) const {
    if (bin < 0) return {};
    const uint64_t first = firstCellOfBin(bin), end = cellEndOfBin(bin);
    if (end <= first) return {};
    const QLocale loc;
    QString text = end - first == 1 ? tr("Region %1").arg(loc.toString(qulonglong(first)))
                                    : tr("Regions %1–%2").arg(loc.toString(qulonglong(first)), loc.toString(qulonglong(end - 1)));
    if (regionBytes_) {
        const uint64_t b = first * regionBytes_;
        const uint64_t e = deviceBytes_ ? std::min(deviceBytes_, end * regionBytes_) : end * regionBytes_;
        text += tr(" · bytes %1–%2 (%3 at %4)")
                    .arg(loc.toString(qulonglong(b)), loc.toString(qulonglong(e - 1)), formatBytes(double(e - b)), formatBytes(double(b)));
    }
    const QVector<uint64_t> mix = binMix(bin);
    QStringList parts;
    for (int c = 0; c < mix.size(); ++c)
        if (mix[c]) parts << (end - first == 1 ? categoryName(c) : QStringLiteral("%1 %2").arg(loc.toString(qulonglong(mix[c])), categoryName(c)));
    return text + QStringLiteral(" · ") + parts.join(QStringLiteral(", "));
}

}  // namespace loopsnap::ui
