// Paints the COW usage / hydration column as a bar (UsageFractionRole) with the cell's text
// over it; rows without a fraction paint as plain text. Stateless; GUI thread only.
#pragma once

#include <QStyledItemDelegate>

namespace loopsnap::ui {

class UsageBarDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

// The bar's fill colour for a fraction: green, amber past 75 %, red past 90 %.
QColor usageColor(double fraction);

}  // namespace loopsnap::ui
