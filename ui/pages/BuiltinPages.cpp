// The one list of pages this build has. Each page's own .cpp defines its register function
// (see PageRegistry.h); add one declaration and one call here per page.
#include "ui/pages/PageRegistry.h"

namespace loopsnap::ui {

void registerExceptionMonitorPage();
void registerHydrationDashboardPage();
void registerMergeDialog();
void registerCrashLabPage();

void registerBuiltinPages() {
    static bool done = false;
    if (done) return;
    done = true;
    registerExceptionMonitorPage();
    registerHydrationDashboardPage();
    registerMergeDialog();
    registerCrashLabPage();
    // Pages of other issues plug in here, e.g.:
    //   void registerExceptionMonitorPage();   (declared above this function)
    //   registerExceptionMonitorPage();
}

}  // namespace loopsnap::ui
