// Pages that plug into the main window: the exception monitor, the hydration dashboard, the
// rollback (merge) dialog, the crash lab, ... each registers itself here and the main window
// builds its actions (toolbar, "View" menu, the device's context menu, the shortcut) from the list.
//
// How to add a page (one new file pair, one line elsewhere):
//   1. Write it as a QWidget (or a QDialog) in ui/pages/, e.g. ExceptionMonitorPage.{h,cpp}, whose
//      constructor takes (const PageContext&, QWidget* parent). It gets its data only through
//      context.bridge (signals frame / registryChanged, async EngineBridge::call()), never
//      from the engine directly, and never waits on I/O on the GUI thread.
//   2. In its .cpp define `void registerExceptionMonitorPage()` that calls registerPage(PageSpec{...})
//      and add one call to it in registerBuiltinPages() (ui/pages/BuiltinPages.cpp).
//   3. The spec's `id` is also its --screenshot view: `loopsnap --screenshot x.png --view exceptions
//      --demo` starts the demo, opens the page for the first demo device of `subject` kind, waits
//      `screenshotDelayMs` while the demo runs, and grabs the window (a Tab page: the main window
//      with the page as the current tab; a Dialog page: the dialog). Add a tst_ui_screenshots row.
//
// Threads: GUI thread only (registration happens once at start, before the main window exists).
#pragma once

#include <functional>
#include <vector>

#include <QIcon>
#include <QKeySequence>
#include <QString>

#include "ui/models/DeviceRef.h"

class QWidget;

namespace loopsnap::ui {

class EngineBridge;

struct PageContext {
    EngineBridge* bridge = nullptr;
    DeviceRef device;            // the selected device (kind None for pages without a subject)
    QWidget* mainWindow = nullptr;
};

enum class PageSubject { None, Origin, Snapshot, Clone };
enum class PagePresentation { Tab, Dialog };

struct PageSpec {
    QString id;                  // stable, lower-case: "exceptions", "hydration", "merge", "crashlab"
    QString title;               // translated action text: QCoreApplication::translate("Pages", "Exception monitor")
    QString toolTip;             // translated one-line description
    QIcon icon;                  // optional
    QKeySequence shortcut;       // optional (Ctrl+1.. are free for pages)
    PageSubject subject = PageSubject::None;   // the action is enabled when such a device is selected
    PagePresentation presentation = PagePresentation::Tab;
    int screenshotDelayMs = 2500;
    // Builds the page. For a Tab page the main window takes ownership; a Dialog page is shown
    // with open() and deletes itself on close (WA_DeleteOnClose is set by the main window).
    std::function<QWidget*(const PageContext&, QWidget* parent)> create;
};

// Adds (or, for an id already present, replaces) a page.
void registerPage(PageSpec spec);
const std::vector<PageSpec>& registeredPages();
const PageSpec* findPage(const QString& id);

// Registers every page this build has (ui/pages/BuiltinPages.cpp). Called once by main() and the tests.
void registerBuiltinPages();

bool pageAppliesTo(const PageSpec& spec, DeviceKind kind);

}  // namespace loopsnap::ui
