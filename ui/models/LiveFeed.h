// LiveFeed: the frame timer of the live views. Once per frame (60 Hz by default) it drains an
// EventRing on the GUI thread and emits one frame(LiveFrame) with everything drained: the
// events, then the ring's per-source EventsDropped markers (LiveFrame::lostFor). The frame's
// span is valid only during the signal (connect with a direct connection); the buffer is reused
// from frame to frame (no allocation once it has grown). At most maxEventsPerFrame are taken
// per frame so a burst cannot stall the GUI thread; the rest wait in the ring for the next
// frame. With setEmitOnlyWithEvents(true) an empty drain emits nothing (the views keep their
// own idle timers). The bridge (ui/bridge) owns one per engine; tests and benchmarks use one
// over their own ring.
// Thread: GUI thread (the ring's single consumer).
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <vector>

#include "core/events/event_ring.h"
#include "ui/models/LiveFrame.h"

namespace loopsnap::ui {

class LiveFeed : public QObject {
    Q_OBJECT
public:
    LiveFeed(EventRing& ring, QObject* parent = nullptr);
    void start(int intervalMs = 16);
    void stop();
    void setMaxEventsPerFrame(size_t max) { maxPerFrame_ = max; }
    void setEmitOnlyWithEvents(bool on) { emitOnlyWithEvents_ = on; }
    uint64_t droppedSeen() const { return droppedSeen_; }  // events lost, in total, as the markers said
    // One frame now (tests drive frames by hand).
    void pump();
    uint64_t framesEmitted() const { return frames_; }
    const QTimer* frameTimer() const { return &timer_; }

signals:
    void frame(const loopsnap::ui::LiveFrame& frame);

private:
    EventRing& ring_;
    QTimer timer_;
    std::vector<Event> buffer_;
    size_t maxPerFrame_ = 200000;
    uint64_t droppedSeen_ = 0;
    bool emitOnlyWithEvents_ = false;
    uint64_t frames_ = 0;
};

}  // namespace loopsnap::ui
