// Which device a row, an action or a page is about: its kind and its workspace id.
#pragma once

#include <QMetaType>
#include <QString>

namespace loopsnap::ui {

enum class DeviceKind { None, Origin, Snapshot, Clone };

struct DeviceRef {
    DeviceKind kind = DeviceKind::None;
    QString id;
    bool isNull() const { return kind == DeviceKind::None || id.isEmpty(); }
    bool operator==(const DeviceRef&) const = default;
};

}  // namespace loopsnap::ui

Q_DECLARE_METATYPE(loopsnap::ui::DeviceRef)
