#include "ui/widgets/AreaMapWidget.h"

#include <QLocale>
#include <QPainter>

#include "ui/text/Sizes.h"

namespace loopsnap::ui {

AreaMapWidget::AreaMapWidget(QWidget* parent) : CellMapWidget(parent) {
    setCategoryColors(categoryColors());
}

QVector<QColor> AreaMapWidget::categoryColors() {
    return {QColor(0xdc, 0xe1, 0xe7),   // free
            QColor(0x1f, 0x29, 0x33),   // header
            QColor(0xc6, 0x3d, 0x3d),   // metadata area
            QColor(0x2f, 0x74, 0xc0),   // data, committed
            QColor(0xf2, 0xa1, 0x1f),   // data, pending (allocated, not committed)
            QColor(0xe0, 0x1f, 0x8a)};  // leaked (crash lab)
}

QString AreaMapWidget::categoryName(int category) {
    switch (AreaCategory(category)) {
    case AreaCategory::Free: return tr("free");
    case AreaCategory::Header: return tr("header");
    case AreaCategory::Metadata: return tr("metadata area");
    case AreaCategory::DataCommitted: return tr("data, committed");
    case AreaCategory::DataPending: return tr("data, pending");
    case AreaCategory::Leaked: return tr("leaked");
    }
    return tr("unknown");
}

void AreaMapWidget::setAreaBeingWritten(int64_t metadataChunk, uint64_t chunkEnd) {
    if (metadataChunk == areaChunk_ && chunkEnd == areaEnd_) return;
    const QRect before = areaOutline();
    areaChunk_ = metadataChunk;
    areaEnd_ = chunkEnd;
    update(before.adjusted(-3, -3, 3, 3));
    update(areaOutline().adjusted(-3, -3, 3, 3));
}

QRect AreaMapWidget::areaOutline() const {
    if (areaChunk_ < 0 || uint64_t(areaChunk_) >= cellCount()) return {};
    const uint64_t last = std::min<uint64_t>(std::max<uint64_t>(areaEnd_, areaChunk_ + 1), cellCount()) - 1;
    const QRect a = cellRect(uint64_t(areaChunk_)), b = cellRect(last);
    if (a.top() == b.top()) return a.united(b);
    return QRect(0, a.top(), columns() * cellPixels(), b.bottom() - a.top() + 1);  // whole rows
}

void AreaMapWidget::paintOverlay(QPainter& painter, const QRect& exposed) {
    const QRect outline = areaOutline();
    if (outline.isNull() || !outline.adjusted(-3, -3, 3, 3).intersects(exposed)) return;
    painter.setPen(QPen(QColor(0xff, 0xd4, 0x00), 2));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(outline.adjusted(0, 0, -1, -1));
    painter.setPen(QPen(Qt::black, 1));
    painter.drawRect(cellRect(uint64_t(areaChunk_)).adjusted(-1, -1, 0, 0));
}

QString AreaMapWidget::describeBin(int64_t bin) const {
    if (bin < 0) return {};
    const uint64_t first = firstCellOfBin(bin), end = cellEndOfBin(bin);
    const QLocale loc;
    QString text = end - first == 1 ? tr("Chunk %1").arg(loc.toString(qulonglong(first)))
                                    : tr("Chunks %1–%2").arg(loc.toString(qulonglong(first)), loc.toString(qulonglong(end - 1)));
    if (chunkBytes_) text += tr(" · at %1").arg(formatBytes(double(first * chunkBytes_)));
    const QVector<uint64_t> mix = binMix(bin);
    QStringList parts;
    for (int c = 0; c < mix.size(); ++c)
        if (mix[c]) parts << (end - first == 1 ? categoryName(c) : QStringLiteral("%1 %2").arg(loc.toString(qulonglong(mix[c])), categoryName(c)));
    return text + QStringLiteral(" · ") + parts.join(QStringLiteral(", "));
}

}  // namespace loopsnap::ui
