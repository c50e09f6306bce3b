#include "ui/widgets/CellMapWidget.h"

#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <array>

namespace loopsnap::ui {

namespace {
constexpr int kBackgroundIndex = 255;  // pixels past the last bin

int pairIndex(int i, int j, int n) {  // i < j < n, unordered pairs numbered row by row
    return i * n - i * (i + 1) / 2 + (j - i - 1);
}

QRgb blend(QColor a, QColor b, double fractionOfB) {
    auto mix = [&](int x, int y) { return int(x + (y - x) * fractionOfB + 0.5); };
    return qRgb(mix(a.red(), b.red()), mix(a.green(), b.green()), mix(a.blue(), b.blue()));
}
}  // namespace

CellMapWidget::CellMapWidget(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    colors_ = {QColor(0xd0, 0xd4, 0xda)};
    rebuildColorTable();
}

void CellMapWidget::setCategoryColors(const QVector<QColor>& colors) {
    colors_ = colors.mid(0, kMaxCategories);
    if (colors_.isEmpty()) colors_ = {Qt::gray};
    rebuildColorTable();
    recolorBins(0, binCount_ - 1);
    update();
}

void CellMapWidget::rebuildColorTable() {
    const int n = int(colors_.size());
    const int pairs = n * (n - 1) / 2;
    mixSteps_ = pairs ? std::clamp((kBackgroundIndex - n) / pairs, 1, 24) : 1;
    QVector<QRgb> table(256, palette().color(QPalette::Window).rgb());
    for (int i = 0; i < n; ++i) table[i] = colors_[i].rgb();
    for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j)
            for (int s = 1; s <= mixSteps_; ++s)
                table[n + pairIndex(i, j, n) * mixSteps_ + s - 1] =
                    blend(colors_[i], colors_[j], double(s) / (mixSteps_ + 1));
    if (!bins_.isNull()) bins_.setColorTable(table);
    colorTable_ = table;
}

void CellMapWidget::setCells(std::span<const uint8_t> cells) {
    cells_ = cells;
    relayout();
    update();
}

void CellMapWidget::resizeEvent(QResizeEvent*) { relayout(); }

void CellMapWidget::relayout() {
    const uint64_t n = cells_.size();
    const int w = std::max(1, width()), h = std::max(1, height());
    cellPixels_ = 1;
    cellsPerBin_ = 1;
    columns_ = w;
    bool fits = false;
    for (int s = kMaxCellPixels; s >= 1 && n; --s) {
        const uint64_t cols = std::max(1, w / s);
        const uint64_t rows = (n + cols - 1) / cols;
        if (rows * s <= uint64_t(h)) {
            cellPixels_ = s;
            columns_ = int(cols);
            fits = true;
            break;
        }
    }
    if (!fits && n) cellsPerBin_ = (n + uint64_t(w) * h - 1) / (uint64_t(w) * h);
    binCount_ = n ? int64_t((n + cellsPerBin_ - 1) / cellsPerBin_) : 0;
    const int rows = binCount_ ? int((binCount_ + columns_ - 1) / columns_) : 1;
    const int cols = binCount_ ? std::min<int64_t>(columns_, binCount_) : 1;
    bins_ = QImage(cols, rows, QImage::Format_Indexed8);
    bins_.setColorTable(colorTable_);
    bins_.fill(kBackgroundIndex);
    recolorBins(0, binCount_ - 1);
    dirtyRows_.assign(size_t(rows), 0);  // the caller repaints everything after a relayout
    dirtyRowList_.clear();
    pendingBins_.clear();                // recoloured above
}

uint64_t CellMapWidget::cellEndOfBin(int64_t bin) const {
    return std::min<uint64_t>(cells_.size(), uint64_t(bin + 1) * cellsPerBin_);
}

QVector<uint64_t> CellMapWidget::binMix(int64_t bin) const {
    QVector<uint64_t> counts(colors_.size(), 0);
    if (bin < 0 || bin >= binCount_) return counts;
    for (uint64_t c = firstCellOfBin(bin), e = cellEndOfBin(bin); c < e; ++c)
        if (cells_[c] < counts.size()) ++counts[cells_[c]];
    return counts;
}

uint8_t CellMapWidget::colorIndexOfBin(int64_t bin) const {
    const uint64_t first = firstCellOfBin(bin), end = cellEndOfBin(bin);
    const int n = int(colors_.size());
    if (end - first == 1) return std::min<uint8_t>(cells_[first], uint8_t(n - 1));
    std::array<uint32_t, kMaxCategories> counts{};
    for (uint64_t c = first; c < end; ++c) ++counts[std::min<int>(cells_[c], n - 1)];
    int top = 0, second = -1;
    for (int i = 1; i < n; ++i) {
        if (counts[i] > counts[top]) {
            second = top;
            top = i;
        } else if (counts[i] && (second < 0 || counts[i] > counts[second])) {
            second = i;
        }
    }
    if (second < 0 || counts[second] == 0) return uint8_t(top);
    const int i = std::min(top, second), j = std::max(top, second);
    const double fractionOfJ = double(counts[j]) / double(counts[i] + counts[j]);
    const int step = std::clamp(int(fractionOfJ * (mixSteps_ + 1) + 0.5), 1, mixSteps_);
    return uint8_t(n + pairIndex(i, j, n) * mixSteps_ + step - 1);
}

void CellMapWidget::recolorBins(int64_t firstBin, int64_t lastBin) {
    if (binCount_ == 0 || bins_.isNull()) return;
    firstBin = std::max<int64_t>(firstBin, 0);
    lastBin = std::min<int64_t>(lastBin, binCount_ - 1);
    uchar* bits = bins_.bits();  // one detach check per call, not per bin
    const qsizetype stride = bins_.bytesPerLine();
    for (int64_t b = firstBin; b <= lastBin; ++b) {
        const int x = int(b % columns_), y = int(b / columns_);
        bits[y * stride + x] = colorIndexOfBin(b);
    }
}

void CellMapWidget::recolorPending() {
    if (pendingBins_.empty()) return;
    std::sort(pendingBins_.begin(), pendingBins_.end());
    int64_t b0 = pendingBins_.front().first, b1 = pendingBins_.front().second;
    auto apply = [this](int64_t first, int64_t last) {
        recolorBins(first, last);
        const int row0 = std::max(0, int(first / columns_));
        const int row1 = std::min(int(last / columns_), int(dirtyRows_.size()) - 1);
        for (int r = row0; r <= row1; ++r)
            if (!dirtyRows_[size_t(r)]) {
                dirtyRows_[size_t(r)] = 1;
                dirtyRowList_.push_back(r);
            }
    };
    for (auto [first, last] : pendingBins_) {
        if (first <= b1 + 1) {
            b1 = std::max(b1, last);
        } else {
            apply(b0, b1);
            b0 = first;
            b1 = last;
        }
    }
    apply(b0, b1);
    pendingBins_.clear();
}

void CellMapWidget::flushDirty() {
    flushQueued_ = false;
    recolorPending();
    if (dirtyRowList_.empty()) return;
    std::sort(dirtyRowList_.begin(), dirtyRowList_.end());
    // Runs of consecutive rows; while there are too many, merge across the smallest gap.
    std::vector<std::pair<int, int>> runs;
    for (int r : dirtyRowList_) {
        dirtyRows_[size_t(r)] = 0;
        if (!runs.empty() && runs.back().second + 1 == r) runs.back().second = r;
        else runs.emplace_back(r, r);
    }
    dirtyRowList_.clear();
    while (runs.size() > size_t(kMaxDirtyRects)) {
        size_t best = 0;
        for (size_t i = 1; i + 1 < runs.size(); ++i)
            if (runs[i + 1].first - runs[i].second < runs[best + 1].first - runs[best].second) best = i;
        runs[best].second = runs[best + 1].second;
        runs.erase(runs.begin() + long(best) + 1);
    }
    const int s = cellPixels_, w = columns_ * s;
    for (auto [r0, r1] : runs) update(QRect(0, r0 * s, w, (r1 - r0 + 1) * s));
}

void CellMapWidget::cellsChanged(uint64_t first, uint64_t count) {
    if (count == 0 || first >= cells_.size()) return;
    const uint64_t last = std::min<uint64_t>(cells_.size(), first + count) - 1;
    const int64_t b0 = int64_t(first / cellsPerBin_), b1 = int64_t(last / cellsPerBin_);
    pendingBins_.emplace_back(b0, b1);
    if (!flushQueued_) {
        flushQueued_ = true;
        QMetaObject::invokeMethod(this, &CellMapWidget::flushDirty, Qt::QueuedConnection);
    }
}

int64_t CellMapWidget::binAt(QPoint pos) const {
    if (pos.x() < 0 || pos.y() < 0) return -1;
    const int col = pos.x() / cellPixels_, row = pos.y() / cellPixels_;
    if (col >= columns_) return -1;
    const int64_t bin = int64_t(row) * columns_ + col;
    return bin < binCount_ ? bin : -1;
}

QRect CellMapWidget::binRect(int64_t bin) const {
    const int s = cellPixels_;
    return QRect(int(bin % columns_) * s, int(bin / columns_) * s, s, s);
}

size_t CellMapWidget::memoryBytes() const {
    return size_t(bins_.sizeInBytes()) + size_t(colorTable_.size()) * sizeof(QRgb);
}

void CellMapWidget::paintEvent(QPaintEvent* event) {
    recolorPending();  // a paint (or grab) before the queued flush still shows the current state
    QPainter p(this);
    for (const QRect& r : event->region()) paintBins(p, r);  // only the exposed bands
    paintOverlay(p, event->rect());
}

void CellMapWidget::paintBins(QPainter& p, const QRect& exposed) {
    p.fillRect(exposed, palette().color(QPalette::Window));
    const int s = cellPixels_;
    const QRect source = QRect(exposed.left() / s, exposed.top() / s, exposed.width() / s + 2, exposed.height() / s + 2)
                             .intersected(bins_.rect());
    if (!source.isEmpty() && binCount_) {
        // Convert just the exposed bins (drawImage of an Indexed8 image would convert the whole
        // image for every band drawn).
        const QImage part = bins_.copy(source).convertToFormat(QImage::Format_RGB32);
        p.drawImage(QRect(source.left() * s, source.top() * s, source.width() * s, source.height() * s), part);
        if (s >= 6) {  // hairline gaps between large cells
            p.setPen(palette().color(QPalette::Window));
            for (int x = source.left(); x <= source.right() + 1; ++x)
                p.drawLine(x * s, source.top() * s, x * s, (source.bottom() + 1) * s);
            for (int y = source.top(); y <= source.bottom() + 1; ++y)
                p.drawLine(source.left() * s, y * s, (source.right() + 1) * s, y * s);
        }
        // Pixels of the last row past the last bin keep the background (index 255).
    }
}

void CellMapWidget::mouseMoveEvent(QMouseEvent* event) {
    const int64_t bin = binAt(event->position().toPoint());
    if (bin != hoveredBin_) {
        hoveredBin_ = bin;
        emit binHovered(bin);
        const QString tip = bin >= 0 ? binToolTip(bin) : QString();
        if (tip.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(event->globalPosition().toPoint(), tip, this, binRect(bin));
    }
    QWidget::mouseMoveEvent(event);
}

void CellMapWidget::leaveEvent(QEvent* event) {
    if (hoveredBin_ != -1) {
        hoveredBin_ = -1;
        emit binHovered(-1);
    }
    QWidget::leaveEvent(event);
}

}  // namespace loopsnap::ui
