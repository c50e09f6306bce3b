#include "ui/pages/DetailsPane.h"

#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QVBoxLayout>

#include "ui/bridge/EngineBridge.h"
#include "ui/models/DeviceTreeModel.h"
#include "ui/text/DmTable.h"
#include "ui/text/ErrorText.h"
#include "ui/text/Sizes.h"

namespace loopsnap::ui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
QString sizeText(uint64_t bytes) { return formatBytes(double(bytes)); }
}  // namespace

DetailsPane::DetailsPane(DeviceTreeModel* model, EngineBridge* bridge, QWidget* parent)
    : QWidget(parent), model_(model), bridge_(bridge) {
    auto* outer = new QVBoxLayout(this);
    heading_ = new QLabel(this);
    QFont f = heading_->font();
    f.setPointSizeF(f.pointSizeF() * 1.25);
    f.setBold(true);
    heading_->setFont(f);
    heading_->setWordWrap(true);
    outer->addWidget(heading_);
    empty_ = new QLabel(tr("Select an origin, a snapshot or a clone to see its details."), this);
    empty_->setWordWrap(true);
    empty_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    outer->addWidget(empty_);
    body_ = new QWidget(this);
    form_ = new QFormLayout(body_);
    form_->setContentsMargins(0, 0, 0, 0);
    form_->setRowWrapPolicy(QFormLayout::WrapLongRows);
    form_->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    outer->addWidget(body_);
    tableLabel_ = new QLabel(tr("Kernel table line (for reference):"), this);
    outer->addWidget(tableLabel_);
    table_ = new QLabel(this);
    table_->setObjectName(QStringLiteral("tableLine"));
    table_->setWordWrap(true);
    table_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    table_->setFrameShape(QFrame::StyledPanel);
    table_->setMargin(6);
    table_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    table_->setToolTip(tr("The device-mapper table the kernel would load for this device (files stand for the loop devices it would use)."));
    outer->addWidget(table_);
    outer->addStretch(1);
    connect(model_, &QAbstractItemModel::dataChanged, this, [this] { rebuild(); });
    connect(model_, &QAbstractItemModel::modelReset, this, [this] { rebuild(); });
    rebuild();
}

void DetailsPane::show(const DeviceRef& ref) {
    ref_ = ref;
    rebuild();
}

QString DetailsPane::statusLine() const { return status_; }
QString DetailsPane::tableLine() const { return table_->text(); }

void DetailsPane::addRow(const QString& label, const QString& value, const QString& toolTip) {
    auto* v = new QLabel(value, body_);
    v->setWordWrap(true);
    v->setTextInteractionFlags(Qt::TextSelectableByMouse);
    v->setToolTip(toolTip);
    form_->addRow(label, v);
}

void DetailsPane::rebuild() {
    while (form_->rowCount() > 0) form_->removeRow(0);
    status_.clear();
    const OriginInfo* o = ref_.kind == DeviceKind::Origin ? model_->origin(ref_.id) : nullptr;
    const SnapshotInfo* s = ref_.kind == DeviceKind::Snapshot ? model_->snapshot(ref_.id) : nullptr;
    const CloneInfo* c = ref_.kind == DeviceKind::Clone ? model_->clone(ref_.id) : nullptr;
    const bool any = o || s || c;
    empty_->setVisible(!any);
    body_->setVisible(any);
    table_->setVisible(any);
    tableLabel_->setVisible(any);
    if (!any) {
        heading_->setText(tr("Details"));
        table_->clear();
        return;
    }
    const QModelIndex contentsIndex = model_->indexFor(ref_, DeviceTreeModel::ContentsColumn);
    if (o) {
        heading_->setText(tr("Origin %1").arg(QFileInfo(q(o->path)).fileName()));
        addRow(tr("State:"), stateText(o->state), o->problem ? errorText(*o->problem) : stateToolTip(o->state));
        if (o->problem) addRow(tr("Problem:"), errorText(*o->problem));
        addRow(tr("Path:"), q(o->path));
        addRow(tr("Size:"), tr("%1 (%2 bytes)").arg(sizeText(o->sizeBytes), QLocale().toString(qulonglong(o->sizeBytes))));
        addRow(tr("Contents:"), contentsIndex.data(Qt::ToolTipRole).toString().isEmpty()
                                    ? contentsIndex.data().toString() : contentsIndex.data(Qt::ToolTipRole).toString());
        addRow(tr("Snapshots:"), QString::number(o->snapshotIds.size()));
        addRow(tr("Backend:"), backendText(o->backend));
        table_->setText(dmTableLine(*o));
    } else if (s) {
        heading_->setText(tr("Snapshot %1").arg(QFileInfo(q(s->cowPath)).fileName()));
        const OriginInfo* origin = model_->origin(q(s->originId));
        status_ = q(s->status);
        addRow(tr("State:"), snapshotStateText(*s), snapshotStateToolTip(*s));
        if (s->problem) addRow(tr("Problem:"), errorText(*s->problem));
        addRow(tr("Status line:"), status_, tr("As the kernel prints it: <allocated>/<total> <metadata> sectors"));
        addRow(tr("Store:"), q(s->cowPath));
        addRow(tr("Origin:"), origin ? q(origin->path) : q(s->originId));
        addRow(tr("Store type:"), storeTypeText(q(s->store)));
        addRow(tr("Chunk size:"), sizeText(s->chunkBytes));
        addRow(tr("Exceptions:"), tr("%1 committed (%2 of %3 used)")
                                      .arg(QLocale().toString(qulonglong(s->exceptions)),
                                           sizeText(s->allocatedSectors * 512), sizeText(s->totalSectors * 512)));
        addRow(tr("Snapshot length:"), sizeText(s->sizeBytes));
        addRow(tr("Backend:"), backendText(s->backend) + (s->open ? tr(", open here") : QString()));
        table_->setText(dmTableLine(*s, origin ? q(origin->path) : q(s->originId)));
    } else if (c) {
        heading_->setText(tr("Clone %1").arg(QFileInfo(q(c->dest)).fileName()));
        status_ = q(c->status);
        addRow(tr("State:"), stateText(c->state), stateToolTip(c->state));
        if (c->problem) addRow(tr("Problem:"), errorText(*c->problem));
        addRow(tr("Status line:"), status_);
        addRow(tr("Source:"), q(c->source));
        addRow(tr("Destination:"), q(c->dest));
        addRow(tr("Metadata:"), q(c->metaPath));
        addRow(tr("Region size:"), sizeText(c->regionBytes));
        addRow(tr("Hydrated:"), tr("%1 of %2 regions (%3 in flight)")
                                    .arg(QLocale().toString(qulonglong(c->hydratedRegions)),
                                         QLocale().toString(qulonglong(c->totalRegions)),
                                         QLocale().toString(qulonglong(c->hydratingRegions))));
        addRow(tr("Hydration:"), c->hydrationEnabled
                                     ? tr("on, threshold %1, batch %2").arg(c->hydrationThreshold).arg(c->hydrationBatchSize)
                                     : tr("off"));
        addRow(tr("Contents:"), contentsIndex.data().toString(), contentsIndex.data(Qt::ToolTipRole).toString());
        addRow(tr("Backend:"), backendText(c->backend) + (c->open ? tr(", open here") : QString()));
        table_->setText(dmTableLine(*c));
    }
    if (bridge_) {
        QStringList loops;
        for (const auto& a : bridge_->registry().attachments)
            if (q(a.deviceId) == ref_.id) loops << q(a.loopDevice) + (a.readOnly ? tr(" (read-only)") : QString());
        if (!loops.isEmpty()) addRow(tr("Attached as:"), loops.join(", "));
        QStringList uris;
        for (const auto& sv : bridge_->registry().serving)
            if (sv.deviceId == ref_.id) uris << sv.uri;
        if (!uris.isEmpty()) addRow(tr("Served at:"), uris.join('\n'));
    }
}

}  // namespace loopsnap::ui
