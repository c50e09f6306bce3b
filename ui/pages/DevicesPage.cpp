#include "ui/pages/DevicesPage.h"

#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QTreeView>
#include <QVBoxLayout>

#include "ui/models/DeviceTreeModel.h"
#include "ui/pages/DetailsPane.h"
#include "ui/widgets/StateIcons.h"
#include "ui/widgets/UsageBarDelegate.h"

namespace loopsnap::ui {

DevicesPage::DevicesPage(DeviceTreeModel* model, EngineBridge* bridge, QWidget* parent)
    : QWidget(parent), model_(model) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    stack_ = new QStackedWidget(this);
    layout->addWidget(stack_);

    // First screen of an empty workspace.
    auto* welcome = new QWidget(stack_);
    auto* wl = new QVBoxLayout(welcome);
    wl->addStretch(1);
    auto* icon = new QLabel(welcome);
    icon->setPixmap(appIcon().pixmap(96, 96));
    icon->setAlignment(Qt::AlignCenter);
    wl->addWidget(icon);
    auto* title = new QLabel(tr("No origins, snapshots or clones yet"), welcome);
    QFont tf = title->font();
    tf.setPointSizeF(tf.pointSizeF() * 1.4);
    tf.setBold(true);
    title->setFont(tf);
    title->setAlignment(Qt::AlignCenter);
    wl->addWidget(title);
    auto* text = new QLabel(tr("Take a snapshot of a disk image or a block device, clone one from a file or an NBD server,\n"
                               "or try a demo session in a temporary folder (nothing of yours is touched)."), welcome);
    text->setAlignment(Qt::AlignCenter);
    text->setWordWrap(true);
    wl->addWidget(text);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch(1);
    auto* demo = new QPushButton(tr("Try a demo"), welcome);
    demo->setObjectName(QStringLiteral("tryDemo"));
    demo->setDefault(true);
    auto* snap = new QPushButton(tr("New snapshot…"), welcome);
    auto* clone = new QPushButton(tr("New clone…"), welcome);
    for (auto* b : {demo, snap, clone}) {
        b->setMinimumWidth(140);
        buttons->addWidget(b);
    }
    buttons->addStretch(1);
    wl->addLayout(buttons);
    wl->addStretch(2);
    connect(demo, &QPushButton::clicked, this, &DevicesPage::demoRequested);
    connect(snap, &QPushButton::clicked, this, &DevicesPage::newSnapshotRequested);
    connect(clone, &QPushButton::clicked, this, &DevicesPage::newCloneRequested);
    stack_->addWidget(welcome);

    auto* split = new QSplitter(Qt::Horizontal, stack_);
    tree_ = new QTreeView(split);
    tree_->setObjectName(QStringLiteral("deviceTree"));
    tree_->setModel(model_);
    tree_->setItemDelegateForColumn(DeviceTreeModel::UsageColumn, new UsageBarDelegate(tree_));
    tree_->setUniformRowHeights(true);
    tree_->setAlternatingRowColors(true);
    tree_->setSelectionMode(QAbstractItemView::SingleSelection);
    tree_->setSelectionBehavior(QAbstractItemView::SelectRows);
    tree_->setContextMenuPolicy(Qt::CustomContextMenu);
    tree_->setExpandsOnDoubleClick(true);
    tree_->header()->setStretchLastSection(false);
    tree_->header()->setSectionResizeMode(DeviceTreeModel::PathColumn, QHeaderView::Interactive);
    tree_->setColumnHidden(DeviceTreeModel::PathColumn, true);  // the name's tooltip and the details pane show it
    tree_->setColumnWidth(DeviceTreeModel::NameColumn, 170);
    tree_->setColumnWidth(DeviceTreeModel::SizeColumn, 70);
    tree_->setColumnWidth(DeviceTreeModel::ContentsColumn, 185);
    tree_->setColumnWidth(DeviceTreeModel::UsageColumn, 200);
    tree_->setColumnWidth(DeviceTreeModel::StateColumn, 118);   // "wird hydriert" fits
    tree_->setColumnWidth(DeviceTreeModel::BackendColumn, 80);
    details_ = new DetailsPane(model_, bridge, split);
    details_->setMinimumWidth(300);
    split->addWidget(tree_);
    split->addWidget(details_);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    split->setSizes({830, 380});
    stack_->addWidget(split);

    connect(tree_, &QTreeView::customContextMenuRequested, this,
            [this](const QPoint& pos) { emit contextMenuRequested(tree_->viewport()->mapToGlobal(pos)); });
    connect(tree_->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& current) {
        const DeviceRef ref = current.data(DeviceTreeModel::DeviceRefRole).value<DeviceRef>();
        if (ref == selected_) return;
        selected_ = ref;
        details_->show(ref);
        emit currentDeviceChanged(ref);
    });
    connect(model_, &QAbstractItemModel::modelAboutToBeReset, this, [this] { tree_->selectionModel()->blockSignals(true); });
    connect(model_, &QAbstractItemModel::modelReset, this, [this] {
        tree_->selectionModel()->blockSignals(false);
        tree_->expandAll();
        const DeviceRef keep = selected_;
        selected_ = {};
        QModelIndex idx = model_->indexFor(keep);
        if (!idx.isValid() && model_->rowCount() > 0) idx = model_->index(0, 0);
        if (idx.isValid()) tree_->selectionModel()->setCurrentIndex(idx, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        if (!idx.isValid()) {
            details_->show({});
            emit currentDeviceChanged({});
        }
        updateEmptyState();
    });
    updateEmptyState();
}

bool DevicesPage::showingWelcome() const { return stack_->currentIndex() == 0; }

void DevicesPage::updateEmptyState() { stack_->setCurrentIndex(model_->rowCount() == 0 ? 0 : 1); }

DeviceRef DevicesPage::currentDevice() const { return selected_; }

void DevicesPage::select(const DeviceRef& ref) {
    const QModelIndex idx = model_->indexFor(ref);
    if (idx.isValid()) tree_->selectionModel()->setCurrentIndex(idx, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

}  // namespace loopsnap::ui
