#include "ui/widgets/UsageBarDelegate.h"

#include <QApplication>
#include <QLocale>
#include <QPainter>

#include "ui/models/DeviceTreeModel.h"

namespace loopsnap::ui {

QColor usageColor(double fraction) {
    if (fraction > 0.9) return QColor(0xd0, 0x33, 0x33);
    if (fraction > 0.75) return QColor(0xe0, 0x8a, 0x00);
    return QColor(0x3c, 0xa0, 0x5a);
}

void UsageBarDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const {
    const QVariant fraction = index.data(DeviceTreeModel::UsageFractionRole);
    if (!fraction.isValid()) {
        QStyledItemDelegate::paint(painter, option, index);
        return;
    }
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QString text = opt.text;
    opt.text.clear();
    QStyle* style = opt.widget ? opt.widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, opt.widget);  // selection background

    const double f = std::clamp(fraction.toDouble(), 0.0, 1.0);
    const QRect bar = opt.rect.adjusted(3, 3, -3, -3);
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(QPen(opt.palette.color(QPalette::Mid), 1));
    painter->setBrush(opt.palette.color(QPalette::Base));
    painter->drawRoundedRect(QRectF(bar).adjusted(0.5, 0.5, -0.5, -0.5), 3, 3);
    QRectF filled = QRectF(bar).adjusted(1, 1, -1, -1);
    filled.setWidth(filled.width() * f);
    if (filled.width() > 0.5) {
        painter->setPen(Qt::NoPen);
        QColor c = usageColor(f);
        c.setAlpha(170);
        painter->setBrush(c);
        painter->drawRoundedRect(filled, 2, 2);
    }
    painter->setPen(opt.palette.color(QPalette::Text));
    // The user's decimal separator (12,5 % in German), as the dashboard's percentages.
    const QString label = QStringLiteral("%1 %  ·  %2").arg(QLocale().toString(qRound(f * 1000) / 10.0, 'f', 1), text);
    painter->drawText(bar.adjusted(6, 0, -6, 0), Qt::AlignVCenter | Qt::AlignLeft,
                      opt.fontMetrics.elidedText(label, Qt::ElideRight, bar.width() - 12));
    painter->restore();
}

QSize UsageBarDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const {
    QSize s = QStyledItemDelegate::sizeHint(option, index);
    s.setHeight(std::max(s.height(), option.fontMetrics.height() + 8));
    s.setWidth(std::max(s.width() + 70, 200));
    return s;
}

}  // namespace loopsnap::ui
