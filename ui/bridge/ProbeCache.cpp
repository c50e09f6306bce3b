#include "ui/bridge/ProbeCache.h"

#include <QCoreApplication>
#include <QLocale>
#include <QPointer>

#include "ui/text/ErrorText.h"
#include "ui/text/Sizes.h"

namespace loopsnap::ui {

namespace {
QString tr(const char* t) { return QCoreApplication::translate("loopsnap::ui", t); }  // lupdate files these under the namespace
}

ProbeCache::ProbeCache(QObject* parent) : QObject(parent) { pool_.setMaxThreadCount(1); }
ProbeCache::~ProbeCache() { pool_.waitForDone(); }

std::optional<Result<BlockProbe>> ProbeCache::find(const QString& path, int maxAgeMs) {
    auto it = cache_.find(path);
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const bool fresh = it != cache_.end() && now - it->at < maxAgeMs;
    if (!fresh && !inFlight_.contains(path) && !path.isEmpty()) {
        inFlight_.insert(path);
        QPointer<ProbeCache> self(this);
        pool_.start([self, path] {
            auto result = std::make_shared<Result<BlockProbe>>(probeBlockContents(path.toStdString()));
            if (!self) return;
            QMetaObject::invokeMethod(self.data(), [self, path, result] {
                if (!self) return;
                self->inFlight_.remove(path);
                self->cache_.insert(path, Entry{*result, QDateTime::currentMSecsSinceEpoch()});
                emit self->probed(path);
            }, Qt::QueuedConnection);
        });
    }
    if (it == cache_.end()) return std::nullopt;
    return it->result;
}

QString probeSummary(const Result<BlockProbe>& probe) {
    if (!probe.ok()) return probe.error().code == ErrorCode::NotFound ? tr("missing") : tr("unreadable");
    const BlockProbe& p = *probe;
    if (!p.known) return tr("unknown");
    if (!p.found) return tr("nothing found");
    QStringList parts;
    if (!p.type.empty()) parts << QString::fromStdString(p.type);
    if (!p.partitionTable.empty()) parts << tr("%1 partition table").arg(QString::fromStdString(p.partitionTable));
    if (!p.label.empty()) parts << tr("“%1”").arg(QString::fromStdString(p.label));
    if (p.mount) parts << (p.mount->readWrite ? tr("mounted rw") : tr("mounted ro"));
    return parts.join(QStringLiteral(" · "));
}

QString probeDetails(const Result<BlockProbe>& probe) {
    if (!probe.ok()) return errorText(probe.error());
    const BlockProbe& p = *probe;
    if (!p.known) return tr("What this device holds is unknown (libblkid is not available on this system).");
    QStringList lines;
    lines << tr("Size: %1").arg(formatBytes(double(p.sizeBytes)));
    if (!p.found) {
        lines << tr("libblkid found no filesystem and no partition table.");
    } else {
        if (!p.type.empty()) lines << tr("Type: %1 (%2)").arg(QString::fromStdString(p.type), QString::fromStdString(p.usage));
        if (!p.label.empty()) lines << tr("Label: %1").arg(QString::fromStdString(p.label));
        if (!p.uuid.empty()) lines << tr("UUID: %1").arg(QString::fromStdString(p.uuid));
        if (!p.partitionTable.empty()) lines << tr("Partition table: %1").arg(QString::fromStdString(p.partitionTable));
    }
    if (p.mount) {
        QString where = QString::fromStdString(p.mount->mountPoint);
        if (!p.mount->via.empty()) where += tr(" (through %1)").arg(QString::fromStdString(p.mount->via));
        lines << (p.mount->readWrite ? tr("Mounted read-write on %1").arg(where) : tr("Mounted read-only on %1").arg(where));
    }
    return lines.join('\n');
}

}  // namespace loopsnap::ui
