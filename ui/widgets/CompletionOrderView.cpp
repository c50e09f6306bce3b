#include "ui/widgets/CompletionOrderView.h"

#include <QLocale>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>

namespace loopsnap::ui {

CompletionOrderView::CompletionOrderView(QWidget* parent) : QWidget(parent) {
    setAttribute(Qt::WA_OpaquePaintEvent);
}

void CompletionOrderView::setTrace(std::span<const CompletionMark> marks, std::span<const CommitPoint> commits,
                                   double windowStart, double windowEnd) {
    t0_ = windowStart;
    t1_ = std::max(windowEnd, windowStart + 1e-3);
    marks_.clear();
    commits_.clear();
    for (const auto& m : marks)
        if (m.finishedAt >= t0_ && m.finishedAt <= t1_) marks_.push_back(m);
    for (const auto& c : commits)
        if (c.at >= t0_ && c.at <= t1_) commits_.push_back(c);
    uint64_t lo = UINT64_MAX, hi = 0;
    for (const auto& m : marks_) lo = std::min(lo, m.seq), hi = std::max(hi, m.seq);
    for (const auto& c : commits_) lo = std::min(lo, c.seq), hi = std::max(hi, c.seq);
    if (lo == UINT64_MAX) lo = hi = 0;
    seq0_ = lo;
    seq1_ = std::max(hi, lo + 1);
    update();
}

void CompletionOrderView::setLegacyOrdering(bool legacy) {
    legacy_ = legacy;
    update();
}

QRect CompletionOrderView::plotRect() const {
    const QFontMetrics fm(font());
    const int left = fm.horizontalAdvance(QStringLiteral("00000000")) + 8;
    return QRect(left, fm.height() + 10, std::max(10, width() - left - 10), std::max(10, height() - 2 * fm.height() - 22));
}

QPointF CompletionOrderView::pointFor(double at, uint64_t seq) const {
    const QRectF r = plotRect();
    const double x = r.left() + (at - t0_) / (t1_ - t0_) * r.width();
    const double y = r.bottom() - double(seq - seq0_) / double(seq1_ - seq0_) * r.height();
    return {x, y};
}

void CompletionOrderView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    p.setRenderHint(QPainter::Antialiasing);
    const QRect r = plotRect();
    const QFontMetrics fm(font());
    const QLocale loc;

    // Axes and labels.
    p.setPen(palette().color(QPalette::Mid));
    p.drawRect(r);
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRect(0, r.top() - fm.height() / 2, r.left() - 6, fm.height()), Qt::AlignRight | Qt::AlignVCenter,
               loc.toString(qulonglong(seq1_)));
    p.drawText(QRect(0, r.bottom() - fm.height() / 2, r.left() - 6, fm.height()), Qt::AlignRight | Qt::AlignVCenter,
               loc.toString(qulonglong(seq0_)));
    p.save();
    p.translate(12, r.center().y());
    p.rotate(-90);
    p.drawText(QRect(-r.height() / 2, -fm.height(), r.height(), fm.height() + 2), Qt::AlignCenter, tr("sequence"));
    p.restore();
    const int by = r.bottom() + 4;
    p.drawText(QRect(r.left(), by, r.width() / 2, fm.height()), Qt::AlignLeft,
               tr("−%1 s").arg(loc.toString(t1_ - t0_, 'f', t1_ - t0_ < 3 ? 1 : 0)));
    p.drawText(QRect(r.left(), by, r.width(), fm.height()), Qt::AlignHCenter, tr("time the copy finished"));
    p.drawText(QRect(r.center().x(), by, r.width() / 2, fm.height()), Qt::AlignRight, tr("now"));

    // Key, above the plot.
    int kx = r.left();
    auto key = [&](QColor c, const QString& text, bool line) {
        p.setPen(QPen(c, 2));
        p.setBrush(c);
        if (line)
            p.drawLine(kx, 4 + fm.height() / 2, kx + 14, 4 + fm.height() / 2);
        else
            p.drawEllipse(QPointF(kx + 5, 4 + fm.height() / 2.0), 3.5, 3.5);
        kx += 18;
        p.setPen(palette().color(QPalette::Text));
        p.drawText(QPoint(kx, 4 + fm.ascent()), text);
        kx += fm.horizontalAdvance(text) + 14;
    };
    key(markColor(), tr("copy finished"), false);
    key(waitingColor(), tr("waiting for an earlier one"), false);
    key(commitLineColor(), legacy_ ? tr("commits (legacy: completion order)") : tr("commits (in sequence)"), true);

    p.setClipRect(r.adjusted(1, 1, -1, -1));
    // The commit line, in the order the commits happened.
    if (!commits_.empty()) {
        QPainterPath path(pointFor(commits_.front().at, commits_.front().seq));
        for (size_t i = 1; i < commits_.size(); ++i) path.lineTo(pointFor(commits_[i].at, commits_[i].seq));
        p.setPen(QPen(commitLineColor(), 1.5));
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
    }
    // Marks: waiting ones last, so they stay on top.
    const double radius = marks_.size() > 2000 ? 1.5 : 2.5;
    p.setPen(Qt::NoPen);
    p.setBrush(markColor());
    for (const auto& m : marks_)
        if (!m.waiting) p.drawEllipse(pointFor(m.finishedAt, m.seq), radius, radius);
    for (const auto& m : marks_) {
        if (!m.waiting) continue;
        const QPointF c = pointFor(m.finishedAt, m.seq);
        p.setPen(QPen(waitingColor(), 1.5));
        p.setBrush(waitingColor());
        p.drawEllipse(c, radius + 1.5, radius + 1.5);
        p.setBrush(Qt::NoBrush);
        p.drawEllipse(c, radius + 4, radius + 4);
    }
}

}  // namespace loopsnap::ui
