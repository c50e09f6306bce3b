#include "ui/text/DmTable.h"

namespace loopsnap::ui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
}

// <start> <length> snapshot-origin <origin>
QString dmTableLine(const OriginInfo& o) {
    return QStringLiteral("0 %1 snapshot-origin %2").arg(o.sizeBytes / 512).arg(q(o.path));
}

// <start> <length> snapshot <origin> <COW device> <P|PO|N> <chunk size in sectors>
QString dmTableLine(const SnapshotInfo& s, const QString& originPath) {
    return QStringLiteral("0 %1 snapshot %2 %3 %4 %5")
        .arg(s.sizeBytes / 512).arg(originPath, q(s.cowPath), q(s.store)).arg(s.chunkBytes / 512);
}

// <start> <length> clone <metadata> <destination> <source> <region size in sectors>
//   [<#feature args> no_hydration] [<#core args> hydration_threshold N hydration_batch_size N]
QString dmTableLine(const CloneInfo& c) {
    QString line = QStringLiteral("0 %1 clone %2 %3 %4 %5")
                       .arg(c.sizeBytes / 512).arg(q(c.metaPath), q(c.dest), q(c.source)).arg(c.regionBytes / 512);
    if (!c.hydrationEnabled) line += QStringLiteral(" 1 no_hydration");
    else line += QStringLiteral(" 0");
    line += QStringLiteral(" 4 hydration_threshold %1 hydration_batch_size %2").arg(c.hydrationThreshold).arg(c.hydrationBatchSize);
    return line;
}

}  // namespace loopsnap::ui
