#include "ui/widgets/MessageArea.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace loopsnap::ui {

MessageArea::MessageArea(QWidget* parent) : QFrame(parent), layout_(new QVBoxLayout(this)) {
    layout_->setContentsMargins(0, 0, 0, 0);
    layout_->setSpacing(4);
    setVisible(false);
}

void MessageArea::showMessage(Kind kind, const QString& heading, const QString& text, const QString& technical) {
    auto* frame = new QFrame(this);
    frame->setObjectName(QStringLiteral("message"));
    frame->setProperty("messageText", heading + QLatin1Char('\n') + text);
    const char* colors = kind == Kind::Error     ? "background:#fdecea; border:1px solid #e0a8a2; color:#5a1a14;"
                         : kind == Kind::Warning ? "background:#fff4e0; border:1px solid #e8c48a; color:#4d3300;"
                                                 : "background:#e8f1fc; border:1px solid #9fc0e8; color:#12345a;";
    frame->setStyleSheet(QStringLiteral("QFrame#message{%1 border-radius:4px;} QLabel{border:none; background:transparent;}").arg(colors));
    auto* row = new QHBoxLayout(frame);
    row->setContentsMargins(8, 6, 4, 6);
    auto* icon = new QLabel(frame);
    const auto sp = kind == Kind::Error ? QStyle::SP_MessageBoxCritical
                    : kind == Kind::Warning ? QStyle::SP_MessageBoxWarning : QStyle::SP_MessageBoxInformation;
    icon->setPixmap(style()->standardIcon(sp).pixmap(24, 24));
    icon->setAlignment(Qt::AlignTop);
    row->addWidget(icon);
    auto* label = new QLabel(QStringLiteral("<b>%1</b><br>%2").arg(heading.toHtmlEscaped(), text.toHtmlEscaped()), frame);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    if (!technical.isEmpty()) label->setToolTip(technical);
    row->addWidget(label, 1);
    auto* close = new QToolButton(frame);
    close->setAutoRaise(true);
    close->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    close->setToolTip(tr("Dismiss"));
    row->addWidget(close, 0, Qt::AlignTop);
    connect(close, &QToolButton::clicked, frame, [this, frame] {
        frame->deleteLater();
        if (layout_->count() <= 1) setVisible(false);
    });
    layout_->insertWidget(0, frame);
    while (layout_->count() > kMaxVisible) {
        QLayoutItem* item = layout_->takeAt(layout_->count() - 1);
        delete item->widget();
        delete item;
    }
    setVisible(true);
}

int MessageArea::count() const { return layout_->count(); }

QStringList MessageArea::texts() const {
    QStringList out;
    for (int i = 0; i < layout_->count(); ++i)
        if (QWidget* w = layout_->itemAt(i)->widget()) out << w->property("messageText").toString();
    return out;
}

}  // namespace loopsnap::ui
