#include "ui/pages/PageRegistry.h"

#include <algorithm>

namespace loopsnap::ui {
namespace {
std::vector<PageSpec>& pages() {
    static std::vector<PageSpec> list;
    return list;
}
}  // namespace

void registerPage(PageSpec spec) {
    auto& list = pages();
    auto it = std::find_if(list.begin(), list.end(), [&](const PageSpec& p) { return p.id == spec.id; });
    if (it != list.end()) *it = std::move(spec);
    else list.push_back(std::move(spec));
}

const std::vector<PageSpec>& registeredPages() { return pages(); }

const PageSpec* findPage(const QString& id) {
    for (const auto& p : pages())
        if (p.id == id) return &p;
    return nullptr;
}

bool pageAppliesTo(const PageSpec& spec, DeviceKind kind) {
    switch (spec.subject) {
    case PageSubject::None: return true;
    case PageSubject::Origin: return kind == DeviceKind::Origin;
    case PageSubject::Snapshot: return kind == DeviceKind::Snapshot;
    case PageSubject::Clone: return kind == DeviceKind::Clone;
    }
    return false;
}

}  // namespace loopsnap::ui
