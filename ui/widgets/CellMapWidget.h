// CellMapWidget: a map of many cells (clone regions, COW chunks), binned to pixels.
//
// Fed a plain array of one category byte per cell (category < categoryCount()), which the widget
// does NOT own: the caller keeps the array alive and unchanged in size until the next setCells(),
// and calls cellsChanged() for the ranges it modified. The widget keeps one byte per bin (a
// QImage, Format_Indexed8, with a colour table) and nothing per cell, so a million-cell map costs
// the caller's byte per cell plus at most one byte per cell here.
//
// Layout: bins fill the widget row-major; a bin is one cell when the cells fit (then drawn as a
// square of up to kMaxCellPixels), else ceil(cells / pixels) consecutive cells on one pixel.
// A bin holding cells of several categories is coloured by its mix: the blend of its two most
// frequent categories in their proportion, quantised to the colour table.
//
// Only changed bins are recoloured and repainted, once per frame: cellsChanged() only records
// the changed bin range; one queued flush per event-loop pass (per frame of a live view)
// recolours each changed bin once (a region that went hydrating and hydrated in one frame is
// recoloured once) and turns the touched rows into at most kMaxDirtyRects bands for update();
// paintEvent converts and draws only the exposed bands. (An update() per change cost more than
// everything else of a frame: each merges a rectangle into the widget's dirty QRegion.) A paint
// or grab before the flush recolours first, so what is drawn is always current.
// Thread: GUI thread only.
#pragma once

#include <QImage>
#include <QVector>
#include <QWidget>

#include <cstdint>
#include <span>
#include <vector>

namespace loopsnap::ui {

class CellMapWidget : public QWidget {
    Q_OBJECT
public:
    static constexpr int kMaxCellPixels = 14;
    static constexpr int kMaxCategories = 8;
    static constexpr int kMaxDirtyRects = 16;

    explicit CellMapWidget(QWidget* parent = nullptr);

    // Colours of the categories, index = category byte (at most kMaxCategories).
    void setCategoryColors(const QVector<QColor>& colors);
    int categoryCount() const { return int(colors_.size()); }
    QColor categoryColor(int category) const { return colors_.value(category); }

    // A new array (or a new size): relayout and recolour everything.
    void setCells(std::span<const uint8_t> cells);
    // Cells [first, first + count) changed in the array given to setCells().
    void cellsChanged(uint64_t first, uint64_t count);
    uint64_t cellCount() const { return uint64_t(cells_.size()); }

    // Geometry of the binning (for tests, hover, and markers drawn by subclasses).
    uint64_t cellsPerBin() const { return cellsPerBin_; }
    int cellPixels() const { return cellPixels_; }
    int columns() const { return columns_; }
    // The bin under a widget position, or -1; and the cells of a bin.
    int64_t binAt(QPoint pos) const;
    uint64_t firstCellOfBin(int64_t bin) const { return uint64_t(bin) * cellsPerBin_; }
    uint64_t cellEndOfBin(int64_t bin) const;
    QRect binRect(int64_t bin) const;   // widget coordinates
    QRect cellRect(uint64_t cell) const { return binRect(int64_t(cell / cellsPerBin_)); }
    // How many cells of each category a bin holds.
    QVector<uint64_t> binMix(int64_t bin) const;
    // Bytes this widget keeps for the map (the bin image and its colour table).
    size_t memoryBytes() const;

    QSize sizeHint() const override { return {480, 200}; }
    QSize minimumSizeHint() const override { return {120, 48}; }

signals:
    void binHovered(qint64 bin);   // -1 when the pointer leaves the map

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    // Subclasses paint markers over the map.
    virtual void paintOverlay(QPainter& painter, const QRect& exposed) {}
    // Text for the tooltip of a bin; empty = none.
    virtual QString binToolTip(int64_t bin) const { return {}; }

private:
    void relayout();
    void rebuildColorTable();
    void recolorBins(int64_t firstBin, int64_t lastBin);  // inclusive
    void flushDirty();
    void recolorPending();  // the recorded ranges, once each; marks their rows
    void paintBins(QPainter& p, const QRect& exposed);
    uint8_t colorIndexOfBin(int64_t bin) const;

    QVector<QColor> colors_;
    std::span<const uint8_t> cells_;
    QImage bins_;                   // one pixel per bin, Indexed8
    QVector<QRgb> colorTable_;
    uint64_t cellsPerBin_ = 1;
    int cellPixels_ = 1;
    int columns_ = 1;
    int64_t binCount_ = 0;
    int mixSteps_ = 1;              // quantisation steps of a two-category blend
    int64_t hoveredBin_ = -1;
    std::vector<std::pair<int64_t, int64_t>> pendingBins_;  // changed bin ranges, not yet recoloured
    std::vector<uint8_t> dirtyRows_;   // per bin row: recoloured since the last flush
    std::vector<int> dirtyRowList_;
    bool flushQueued_ = false;
};

}  // namespace loopsnap::ui
