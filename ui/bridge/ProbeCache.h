// ProbeCache: libblkid findings per path for the device tree, probed off the GUI thread.
//
// find(path) answers from the cache at once; a path not probed yet (or older than maxAgeMs) is
// queued on the cache's own thread and probed() is emitted when its answer arrives. Probing
// only reads (core/linux/blkid_probe.h). GUI thread only.
#pragma once

#include <optional>

#include <QDateTime>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QThreadPool>

#include "core/linux/blkid_probe.h"

namespace loopsnap::ui {

class ProbeCache : public QObject {
    Q_OBJECT
public:
    explicit ProbeCache(QObject* parent = nullptr);
    ~ProbeCache() override;
    // nullopt while not probed yet; else the probe or the error (missing, unreadable).
    std::optional<Result<BlockProbe>> find(const QString& path, int maxAgeMs = 10000);

signals:
    void probed(const QString& path);

private:
    struct Entry { Result<BlockProbe> result; qint64 at; };
    QHash<QString, Entry> cache_;
    QSet<QString> inFlight_;
    QThreadPool pool_;
};

// "ext4 · label demo · UUID 3f1c…" / "nothing found" / "unknown": one line for a table cell.
QString probeSummary(const Result<BlockProbe>& probe);
QString probeDetails(const Result<BlockProbe>& probe);  // every field, one per line, for tooltips/panes

}  // namespace loopsnap::ui
