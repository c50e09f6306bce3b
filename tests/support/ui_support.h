// Helpers for the desktop-app tests (tst_ui_*): an EngineBridge on a workspace of the test's
// own, waiting for it with the event loop running.
#pragma once

#include <memory>

#include <QSignalSpy>
#include <QTest>

#include "ui/bridge/EngineBridge.h"

namespace loopsnap::test {

inline std::unique_ptr<ui::EngineBridge> openBridge(const std::string& workspaceDir) {
    auto bridge = std::make_unique<ui::EngineBridge>();
    bridge->setFrameInterval(10);
    QSignalSpy opened(bridge.get(), &ui::EngineBridge::opened);
    EngineOptions options;
    options.workspaceDir = workspaceDir;
    bridge->open(options);
    if (!opened.wait(10000)) return nullptr;
    bridge->waitIdle(10000);
    return bridge;
}

}  // namespace loopsnap::test
