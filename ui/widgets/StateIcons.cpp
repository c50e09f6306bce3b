#include "ui/widgets/StateIcons.h"

#include <QHash>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

// loopsnap_ui is a static library: its resources (resources/loopsnap.qrc) are registered only
// when someone calls Q_INIT_RESOURCE, outside any namespace. appIcon() does it itself, so every
// user of the library (the app, each test, the screenshots) gets the icon without remembering to.
static void initLoopsnapUiResources() { Q_INIT_RESOURCE(loopsnap); }

namespace loopsnap::ui {

QColor stateColor(DeviceState state) {
    switch (state) {
    case DeviceState::Valid: return QColor(0x2e, 0x9d, 0x4f);
    case DeviceState::Hydrated: return QColor(0x2e, 0x9d, 0x4f);
    case DeviceState::Hydrating: return QColor(0x2f, 0x7f, 0xd8);
    case DeviceState::Merging: return QColor(0x7b, 0x4f, 0xd8);
    case DeviceState::Overflow: return QColor(0xe0, 0x8a, 0x00);
    case DeviceState::Invalid:
    case DeviceState::MergeFailed:
    case DeviceState::Failed: return QColor(0xd0, 0x33, 0x33);
    case DeviceState::Missing: return QColor(0x80, 0x80, 0x80);
    }
    return Qt::gray;
}

namespace {
QPixmap paintState(DeviceState state, int size) {
    QPixmap pm(size, size);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    const QRectF r(1, 1, size - 2, size - 2);
    const QColor c = stateColor(state);
    QPen white(Qt::white, size / 8.0, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    const double s = size;
    if (state == DeviceState::Hydrating) {
        // A ring filling up: half done.
        p.setPen(QPen(c, s / 8.0));
        p.drawEllipse(r.adjusted(s / 8, s / 8, -s / 8, -s / 8));
        p.setPen(Qt::NoPen);
        p.setBrush(c);
        p.drawPie(r.adjusted(s / 8, s / 8, -s / 8, -s / 8), 90 * 16, -180 * 16);
        return pm;
    }
    if (state == DeviceState::Hydrated) {
        // The ring of Hydrating, full, with a tick: every region arrived.
        p.setPen(QPen(c, s / 8.0));
        p.drawEllipse(r.adjusted(s / 16, s / 16, -s / 16, -s / 16));
        QPainterPath tick;
        tick.moveTo(s * 0.30, s * 0.52);
        tick.lineTo(s * 0.44, s * 0.66);
        tick.lineTo(s * 0.70, s * 0.36);
        p.setPen(QPen(c, s / 8.0, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.drawPath(tick);
        return pm;
    }
    p.setPen(Qt::NoPen);
    p.setBrush(c);
    p.drawEllipse(r);
    p.setPen(white);
    switch (state) {
    case DeviceState::Valid: {
        QPainterPath tick;
        tick.moveTo(s * 0.28, s * 0.52);
        tick.lineTo(s * 0.44, s * 0.68);
        tick.lineTo(s * 0.72, s * 0.34);
        p.drawPath(tick);
        break;
    }
    case DeviceState::Invalid:   // dropped for good: a cross
        p.drawLine(QPointF(s * 0.32, s * 0.32), QPointF(s * 0.68, s * 0.68));
        p.drawLine(QPointF(s * 0.68, s * 0.32), QPointF(s * 0.32, s * 0.68));
        break;
    case DeviceState::Failed:    // a clone that stopped on an error: an exclamation mark
        p.drawLine(QPointF(s * 0.5, s * 0.26), QPointF(s * 0.5, s * 0.58));
        p.drawPoint(QPointF(s * 0.5, s * 0.74));
        break;
    case DeviceState::MergeFailed:   // Merging's arrow, stopped by a bar
        p.drawLine(QPointF(s * 0.5, s * 0.24), QPointF(s * 0.5, s * 0.56));
        p.drawLine(QPointF(s * 0.34, s * 0.42), QPointF(s * 0.5, s * 0.58));
        p.drawLine(QPointF(s * 0.66, s * 0.42), QPointF(s * 0.5, s * 0.58));
        p.drawLine(QPointF(s * 0.30, s * 0.74), QPointF(s * 0.70, s * 0.74));
        break;
    case DeviceState::Overflow:
        p.drawLine(QPointF(s * 0.5, s * 0.26), QPointF(s * 0.5, s * 0.58));
        p.drawPoint(QPointF(s * 0.5, s * 0.74));
        break;
    case DeviceState::Merging:
        p.drawLine(QPointF(s * 0.5, s * 0.24), QPointF(s * 0.5, s * 0.72));
        p.drawLine(QPointF(s * 0.32, s * 0.55), QPointF(s * 0.5, s * 0.74));
        p.drawLine(QPointF(s * 0.68, s * 0.55), QPointF(s * 0.5, s * 0.74));
        break;
    case DeviceState::Missing: {
        QFont f;
        f.setPixelSize(int(s * 0.7));
        f.setBold(true);
        p.setFont(f);
        p.setPen(Qt::white);
        p.drawText(r, Qt::AlignCenter, QStringLiteral("?"));
        break;
    }
    default: break;
    }
    return pm;
}

QPixmap paintKind(DeviceKind kind, int size) {
    QPixmap pm(size, size);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    const double s = size;
    const QColor edge(0x30, 0x40, 0x58);
    p.setPen(QPen(edge, s / 14.0));
    switch (kind) {
    case DeviceKind::Origin:  // a disk: stacked platters
        p.setBrush(QColor(0xd8, 0xe4, 0xf4));
        for (int i = 2; i >= 0; --i) p.drawEllipse(QRectF(s * 0.1, s * (0.22 + i * 0.18), s * 0.8, s * 0.32));
        break;
    case DeviceKind::Snapshot: {  // a camera shutter-like frame
        p.setBrush(QColor(0xff, 0xe0, 0x8a));
        p.drawRoundedRect(QRectF(s * 0.1, s * 0.28, s * 0.8, s * 0.56), s * 0.1, s * 0.1);
        p.drawRect(QRectF(s * 0.34, s * 0.16, s * 0.32, s * 0.12));
        p.setBrush(Qt::white);
        p.drawEllipse(QRectF(s * 0.34, s * 0.4, s * 0.32, s * 0.32));
        break;
    }
    case DeviceKind::Clone:  // two overlapping pages
        p.setBrush(QColor(0xc8, 0xe8, 0xd0));
        p.drawRect(QRectF(s * 0.14, s * 0.12, s * 0.5, s * 0.6));
        p.setBrush(QColor(0x9c, 0xd6, 0xac));
        p.drawRect(QRectF(s * 0.36, s * 0.3, s * 0.5, s * 0.6));
        break;
    default: break;
    }
    return pm;
}
}  // namespace

QIcon stateIcon(DeviceState state) {
    static QHash<int, QIcon> cache;
    auto it = cache.find(int(state));
    if (it != cache.end()) return *it;
    QIcon icon;
    for (int size : {16, 24, 32}) icon.addPixmap(paintState(state, size));
    cache.insert(int(state), icon);
    return icon;
}

QIcon kindIcon(DeviceKind kind) {
    static QHash<int, QIcon> cache;
    auto it = cache.find(int(kind));
    if (it != cache.end()) return *it;
    QIcon icon;
    for (int size : {16, 24, 32}) icon.addPixmap(paintKind(kind, size));
    cache.insert(int(kind), icon);
    return icon;
}

QIcon appIcon() {
    static const bool registered = (initLoopsnapUiResources(), true);
    (void)registered;
    return QIcon(QStringLiteral(":/loopsnap/loopsnap.svg"));
}

}  // namespace loopsnap::ui
