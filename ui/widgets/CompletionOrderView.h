// CompletionOrderView: when each exception's copy finished (x, seconds) against its allocation
// sequence number (y), and the commits as a line through (commit time, sequence) in the order
// they happened. With the in-order rule the line only climbs; copies that finished before a
// lower sequence sit above it until the line reaches them, highlighted while they wait. With
// the legacy (pre-fix) order the line follows completion order and zigzags.
// Fed plain arrays (the model's CompletionTrace); keeps a copy of the visible points only.
// Thread: GUI thread only.
#pragma once

#include <QWidget>

#include <cstdint>
#include <span>
#include <vector>

namespace loopsnap::ui {

struct CompletionMark {
    uint64_t seq = 0;
    double finishedAt = 0;    // seconds on the trace's clock
    bool outOfOrder = false;  // finished while a lower sequence was still copying
    bool waiting = false;     // finished, not committed, held back by a lower sequence
};
struct CommitPoint {
    double at = 0;            // seconds on the trace's clock
    uint64_t seq = 0;
};

class CompletionOrderView : public QWidget {
    Q_OBJECT
public:
    explicit CompletionOrderView(QWidget* parent = nullptr);
    // Points whose time lies in [windowStart, windowEnd] are drawn; the y range fits them.
    void setTrace(std::span<const CompletionMark> marks, std::span<const CommitPoint> commits,
                  double windowStart, double windowEnd);
    void setLegacyOrdering(bool legacy);

    // Where a point is drawn (for tests), given the current trace and size.
    QPointF pointFor(double at, uint64_t seq) const;
    static QColor markColor() { return QColor(0x2f, 0x74, 0xc0); }
    static QColor waitingColor() { return QColor(0xf2, 0x8c, 0x1f); }
    static QColor commitLineColor() { return QColor(0x2e, 0x8b, 0x57); }
    QRect plotRect() const;

    QSize sizeHint() const override { return {480, 220}; }
    QSize minimumSizeHint() const override { return {200, 120}; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    std::vector<CompletionMark> marks_;
    std::vector<CommitPoint> commits_;
    double t0_ = 0, t1_ = 1;
    uint64_t seq0_ = 0, seq1_ = 1;
    bool legacy_ = false;
};

}  // namespace loopsnap::ui
