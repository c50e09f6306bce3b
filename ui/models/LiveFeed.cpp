#include "ui/models/LiveFeed.h"

#include <chrono>

namespace loopsnap::ui {

int64_t steadyNowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

LiveFeed::LiveFeed(EventRing& ring, QObject* parent) : QObject(parent), ring_(ring) {
    timer_.setTimerType(Qt::PreciseTimer);
    connect(&timer_, &QTimer::timeout, this, &LiveFeed::pump);
    droppedSeen_ = ring_.dropped();
}

void LiveFeed::start(int intervalMs) { timer_.start(intervalMs); }
void LiveFeed::stop() { timer_.stop(); }

void LiveFeed::pump() {
    buffer_.clear();
    ring_.drain(buffer_, maxPerFrame_);
    // The markers at the tail of the batch say what was lost, per source.
    uint64_t lost = 0;
    for (auto it = buffer_.rbegin(); it != buffer_.rend() && it->kind == EventKind::EventsDropped; ++it) lost += it->drops().lost;
    droppedSeen_ += lost;
    if (buffer_.empty() && emitOnlyWithEvents_) return;
    LiveFrame f;
    f.events = buffer_;
    f.nowNs = steadyNowNs();
    f.dropped = lost;
    ++frames_;
    emit frame(f);
}

}  // namespace loopsnap::ui
