// AreaMapWidget: a COW store, one category byte per chunk (AreaCategory), binned to pixels:
// the header, the metadata areas, the data chunks committed or still pending, free space, and
// (crash lab) leaked chunks. The area being written is outlined.
// Thread: GUI thread only. The chunk array is the caller's (see CellMapWidget).
#pragma once

#include "ui/widgets/CellMapWidget.h"

namespace loopsnap::ui {

enum class AreaCategory : uint8_t { Free = 0, Header = 1, Metadata = 2, DataCommitted = 3, DataPending = 4, Leaked = 5 };
constexpr int kAreaCategoryCount = 6;

class AreaMapWidget : public CellMapWidget {
    Q_OBJECT
public:
    explicit AreaMapWidget(QWidget* parent = nullptr);
    static QVector<QColor> categoryColors();
    static QString categoryName(int category);

    // The metadata chunk of the area being written and the chunks it describes (outlined), or
    // firstChunk < 0 for none.
    void setAreaBeingWritten(int64_t metadataChunk, uint64_t chunkEnd);
    void setChunkBytes(uint64_t chunkBytes) { chunkBytes_ = chunkBytes; }
    QString describeBin(int64_t bin) const;

protected:
    void paintOverlay(QPainter& painter, const QRect& exposed) override;
    QString binToolTip(int64_t bin) const override { return describeBin(bin); }

private:
    QRect areaOutline() const;
    int64_t areaChunk_ = -1;
    uint64_t areaEnd_ = 0;
    uint64_t chunkBytes_ = 0;
};

}  // namespace loopsnap::ui
