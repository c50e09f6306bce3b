#include "ui/widgets/MapLegend.h"

#include <QPainter>

namespace loopsnap::ui {

MapLegend::MapLegend(QWidget* parent) : QWidget(parent) {
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
}

void MapLegend::setEntries(const QVector<QColor>& colors, const QStringList& names) {
    colors_ = colors;
    names_ = names;
    updateGeometry();
    update();
}

void MapLegend::setCounts(const QStringList& counts) {
    if (counts == counts_) return;
    counts_ = counts;
    updateGeometry();
    update();
}

QString MapLegend::label(int i) const {
    const QString count = counts_.value(i);
    return count.isEmpty() ? names_.value(i) : QStringLiteral("%1 %2").arg(names_.value(i), count);
}

QSize MapLegend::sizeHint() const {
    const QFontMetrics fm(font());
    int w = 0;
    for (int i = 0; i < colors_.size(); ++i) w += fm.height() + 6 + fm.horizontalAdvance(label(i)) + 16;
    return {w, fm.height() + 6};
}

void MapLegend::paintEvent(QPaintEvent*) {
    QPainter p(this);
    const QFontMetrics fm(font());
    const int h = fm.height();
    int x = 0;
    for (int i = 0; i < colors_.size(); ++i) {
        p.fillRect(QRect(x, 3, h, h), colors_[i]);
        p.setPen(palette().color(QPalette::Mid));
        p.drawRect(QRect(x, 3, h - 1, h - 1));
        x += h + 6;
        p.setPen(palette().color(QPalette::WindowText));
        const QString text = label(i);
        p.drawText(QRect(x, 3, fm.horizontalAdvance(text) + 2, h), Qt::AlignVCenter | Qt::AlignLeft, text);
        x += fm.horizontalAdvance(text) + 16;
    }
}

}  // namespace loopsnap::ui
