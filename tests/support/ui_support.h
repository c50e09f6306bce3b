// Helpers for the desktop-app tests (tst_ui_*): an EngineBridge on a workspace of the test's
// own, waiting for it and for its calls with the event loop running, and saving what a page shows.
#pragma once

#include <QImage>
#include <QSet>

#include <functional>
#include <memory>
#include <optional>

#include <QSignalSpy>
#include <QTest>
#include <QWidget>

#include "ui/bridge/EngineBridge.h"

namespace loopsnap::test {

// What a rendered PNG holds, sampled every second pixel: distinct colours, dark pixels (text) and
// light ones (backgrounds). The screenshot tests ask for a real picture with these.
struct PictureStats {
    int colours = 0, dark = 0, light = 0;
};
inline PictureStats pictureStats(const QImage& image) {
    QSet<QRgb> colours;
    PictureStats st;
    for (int y = 0; y < image.height(); y += 2)
        for (int x = 0; x < image.width(); x += 2) {
            const QRgb c = image.pixel(x, y);
            colours.insert(c);
            st.dark += qGray(c) < 80;
            st.light += qGray(c) > 200;
        }
    st.colours = int(colours.size());
    return st;
}

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

// Opens a bridge the caller owns (a member of a test rig) on `workspaceDir` with an event ring of
// `ringCapacity` records (a power of two; a small one makes the views resync); false on timeout.
inline bool openBridgeIn(ui::EngineBridge& bridge, const std::string& workspaceDir, size_t ringCapacity, int timeoutMs = 30000) {
    EngineOptions options;
    options.workspaceDir = workspaceDir;
    options.eventRingCapacity = ringCapacity;
    QSignalSpy opened(&bridge, &ui::EngineBridge::opened);
    bridge.open(options);
    return opened.wait(timeoutMs);
}

// Runs `work` on the bridge's worker thread and waits (event loop running) for its value; a
// failed or late call ends the test run, naming the error.
template <typename T>
T callAndWait(ui::EngineBridge& bridge, std::function<Result<T>(Engine&)> work) {
    std::optional<Result<T>> out;
    QObject ctx;
    bridge.call<T>(&ctx, QString(), std::move(work), [&](const Result<T>& r) { out = r; });
    [&] { QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), 30000); }();
    if (!out || !out->ok()) qFatal("engine call failed: %s", out ? out->error().message.c_str() : "timeout");
    return out->value();
}

// With LOOPSNAP_SCREENSHOT_DIR set, saves what `page` shows there as `name` (a PNG).
inline void saveShot(QWidget* page, const char* name) {
    const QByteArray dir = qgetenv("LOOPSNAP_SCREENSHOT_DIR");
    if (!dir.isEmpty()) page->grab().save(QString::fromLocal8Bit(dir) + QLatin1Char('/') + QLatin1String(name));
}

}  // namespace loopsnap::test
