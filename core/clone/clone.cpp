#include "core/clone/clone.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace loopsnap {

namespace {
constexpr uint64_t kCopyPiece = 4 << 20;  // bounds the buffer of one copy (batches of 1 GiB regions)
}

std::string CloneStatus::kernelLine() const {
    if (failed) return "Fail";
    std::string s = std::to_string(metadataBlockSectors) + " " + std::to_string(usedMetadataBlocks) + "/" +
                    std::to_string(totalMetadataBlocks) + " " + std::to_string(regionSectors) + " " +
                    std::to_string(hydratedRegions) + "/" + std::to_string(totalRegions) + " " +
                    std::to_string(hydratingRegions) + " ";
    // emit_flags(): the count, then each feature that differs from the default.
    unsigned features = unsigned(!hydrationEnabled) + unsigned(!discardPassdown);
    s += std::to_string(features) + " ";
    if (!hydrationEnabled) s += "no_hydration ";
    if (!discardPassdown) s += "no_discard_passdown ";
    // emit_core_args(): always both core args.
    s += "4 hydration_threshold " + std::to_string(hydrationThreshold) + " hydration_batch_size " +
         std::to_string(hydrationBatchSize) + " ";
    s += readOnly ? "ro" : "rw";
    return s;
}

Clone::UserIoScope::UserIoScope(Clone& c) : clone(c) { clone.userIo_.fetch_add(1, std::memory_order_acq_rel); }
Clone::UserIoScope::~UserIoScope() {
    if (clone.userIo_.fetch_sub(1, std::memory_order_acq_rel) == 1 && clone.scheduler_) clone.scheduler_->poke();
}

Clone::Clone(std::shared_ptr<BlockDevice> source, std::shared_ptr<BlockDevice> dest,
             std::unique_ptr<CloneMetadata> metadata, CloneOptions options)
    : source_(std::move(source)), dest_(std::move(dest)), metadata_(std::move(metadata)), options_(std::move(options)),
      geometry_(metadata_->header().geometry), hydrated_(metadata_->committed()) {
    hydratedCount_ = hydrated_.count();
    discardPassdown_ = options_.discardPassdown;
    progress_.total = geometry_.regionCount();
    progress_.done = hydratedCount_.load();
    if (options_.events) eventSource_ = options_.events->registerSource("clone:" + options_.name);
}

static Status checkDeviceSizes(const BlockDevice& source, const BlockDevice& dest, uint64_t expected) {
    if (source.size() != dest.size())
        return makeError(ErrorCode::InvalidArgument, "source " + source.describe() + " (" + std::to_string(source.size()) +
                                                         " bytes) and destination " + dest.describe() + " (" +
                                                         std::to_string(dest.size()) + " bytes) differ in size");
    if (source.size() != expected)
        return makeError(ErrorCode::InvalidArgument,
                         "the clone metadata is for a " + std::to_string(expected) + "-byte device, but source " +
                             source.describe() + " has " + std::to_string(source.size()) +
                             " bytes: metadata from another clone?");
    return {};
}

Result<std::shared_ptr<Clone>> Clone::create(std::shared_ptr<BlockDevice> source, std::shared_ptr<BlockDevice> dest,
                                             std::shared_ptr<BlockDevice> meta, uint64_t regionSize, CloneOptions options,
                                             std::string sourceRecord, std::string destRecord) {
    CloneHeader header;
    header.uuid = CloneMetadata::newUuid();
    header.geometry = CloneGeometry{source->size(), regionSize};
    header.sourceRecord = sourceRecord.empty() ? source->describe() : std::move(sourceRecord);
    header.destRecord = destRecord.empty() ? dest->describe() : std::move(destRecord);
    // Validate everything before the first write.
    LS_TRY(validateCloneGeometry(header.geometry));
    LS_TRY(checkDeviceSizes(*source, *dest, source->size()));
    LS_ASSIGN(auto md, CloneMetadata::format(meta, header));
    std::shared_ptr<Clone> clone(new Clone(std::move(source), std::move(dest), std::move(md), std::move(options)));
    clone->start();
    return clone;
}

Result<std::shared_ptr<Clone>> Clone::open(std::shared_ptr<BlockDevice> source, std::shared_ptr<BlockDevice> dest,
                                           std::shared_ptr<BlockDevice> meta, CloneOptions options) {
    LS_ASSIGN(auto md, CloneMetadata::load(meta));
    LS_TRY(checkDeviceSizes(*source, *dest, md->header().geometry.deviceSize));
    std::shared_ptr<Clone> clone(new Clone(std::move(source), std::move(dest), std::move(md), std::move(options)));
    clone->start();
    return clone;
}

void Clone::start() {
    HydrationHooks hooks;
    hooks.next = [this](uint64_t from, uint64_t maxCount) { return nextUnhydratedRun(from, maxCount); };
    hooks.copy = [this](RegionRun run) { return hydrateRun(run, false); };
    hooks.userIoActive = [this] { return userIo_.load(std::memory_order_acquire) > 0; };
    hooks.finished = [this] { publish(EventKind::HydrationFinished, 0, regionCount()); };
    hooks.stoppedOnError = [this](const Error& error) {
        Event e{EventKind::HydrationStopped, 0, 0, lastSourceErrorRegion_.load(std::memory_order_relaxed)};
        publish(e.withError(error.code));
    };
    scheduler_ = std::make_unique<HydrationScheduler>(std::move(hooks), options_.hydrationThreshold,
                                                      options_.hydrationBatchSize);
    if (options_.hydrationEnabled) scheduler_->setEnabled(true);
    if (options_.commitInterval.count() > 0) committer_ = std::thread([this] { committerLoop(); });
}

Clone::~Clone() {
    (void)close();
    scheduler_.reset();  // no hydration event after SourceUnregistered
    if (options_.events && eventSource_) options_.events->unregisterSource(eventSource_);
}

Status Clone::close() {
    {
        std::lock_guard lk(timerMutex_);
        if (closed_) return {};
        closed_ = true;
        stopTimer_ = true;
    }
    timerCv_.notify_all();
    if (committer_.joinable()) committer_.join();
    scheduler_->setEnabled(false);
    scheduler_->waitIdle();
    if (failed_) return failIfFailed();
    return commitTransaction(std::nullopt);
}

void Clone::committerLoop() {
    std::unique_lock lk(timerMutex_);
    while (!stopTimer_) {
        timerCv_.wait_for(lk, options_.commitInterval);
        if (stopTimer_) break;
        lk.unlock();
        // A failure puts the clone in Fail mode inside commitTransaction; nothing else to do here.
        if (!failed_) (void)commitTransaction(std::nullopt, /*onlyIfChanged=*/true);
        lk.lock();
    }
}

Status Clone::failIfFailed() const {
    if (failed_.load(std::memory_order_acquire))
        return makeError(ErrorCode::IOError, "clone " + options_.name + " is in Fail mode after a metadata write error");
    return {};
}

void Clone::publish(EventKind kind, uint64_t a, uint64_t b, uint64_t c) const {
    publish(Event{kind, 0, 0, a, b, c});
}

void Clone::publish(Event e) const {
    if (!options_.events) return;
    e.source = eventSource_;
    options_.events->publish(e);
}

void Clone::enterFailMode(const Error& why) {
    // Caller holds the commit mutex (CloneFailed and StateChanged are published under it).
    if (failed_.exchange(true)) return;
    const DeviceState previous = fullyHydrated() ? DeviceState::Hydrated : DeviceState::Hydrating;
    publish(Event::stateChanged(0, previous, DeviceState::Failed));
    publish(Event{EventKind::CloneFailed}.withError(why.code));
}

Status Clone::commitTransaction(std::optional<uint64_t> flushArrival, bool onlyIfChanged) {
    std::lock_guard commitLock(commitMutex_);
    LS_TRY(failIfFailed());
    // A commit that froze its transaction after this flush request arrived has already flushed
    // the destination and written every mark the request could depend on.
    if (flushArrival && committedFreeze_ > *flushArrival) return {};

    // Phase 1: freeze. Every region set in `frozen` had its data write completed before it was
    // marked, so the destination flush below covers all of them.
    RegionBitmap frozen;
    uint64_t freezeNo;
    {
        std::lock_guard lk(stateMutex_);
        frozen = hydrated_;
        freezeNo = ++freezes_;
    }
    uint64_t before = metadata_->committed().count();
    uint64_t newly = frozen.count() - before;
    // Nothing new and nobody waiting: skip the destination flush (it covers no flush request,
    // so committedFreeze_ must not advance).
    if (onlyIfChanged && newly == 0) return {};

    if (!options_.legacyCommit) {
        // Phase 2: flush the destination. Phase 3: write the metadata (CloneMetadata::commit
        // flushes the metadata device).
        LS_TRY(dest_->flush());
        if (newly) {
            auto st = metadata_->commit(frozen);
            if (!st.ok()) {
                enterFailMode(st.error());
                return st;
            }
            publish(EventKind::CloneCommit, newly, 1);
        }
    } else {
        // LEGACY ORDER (pre-fix): metadata first, destination later. Between the two a crash
        // leaves regions marked hydrated whose data is still in the destination's cache.
        if (newly) {
            auto st = metadata_->commit(frozen);
            if (!st.ok()) {
                enterFailMode(st.error());
                return st;
            }
            publish(EventKind::CloneCommit, newly, 0);
        }
        LS_TRY(dest_->flush());
    }
    committedFreeze_ = freezeNo;
    return {};
}

Status Clone::flush() {
    LS_TRY(failIfFailed());
    uint64_t arrival;
    {
        std::lock_guard lk(stateMutex_);
        arrival = freezes_;
    }
    return commitTransaction(arrival, false);
}

bool Clone::isRegionHydrated(uint64_t region) const {
    std::lock_guard lk(stateMutex_);
    return hydrated_.test(region);
}

RegionBitmap Clone::hydratedBitmap() const {
    std::lock_guard lk(stateMutex_);
    return hydrated_;
}

uint64_t Clone::metadataGeneration() {
    std::lock_guard lk(commitMutex_);
    return metadata_->generation();
}

void Clone::markHydrated(uint64_t first, uint64_t count) {
    uint64_t added = 0;
    {
        std::lock_guard lk(stateMutex_);
        for (uint64_t r = first; r < first + count; ++r)
            if (!hydrated_.test(r)) {
                hydrated_.set(r);
                ++added;
            }
    }
    const uint64_t before = hydratedCount_.fetch_add(added, std::memory_order_acq_rel);
    progress_.done.fetch_add(added, std::memory_order_relaxed);
    // The region that completes the clone (exactly one caller sees it; under its range lock).
    if (added && before + added == geometry_.regionCount())
        publish(Event::stateChanged(0, DeviceState::Hydrating, DeviceState::Hydrated));
}

std::optional<RegionRun> Clone::nextUnhydratedRun(uint64_t from, uint64_t maxCount) const {
    std::lock_guard lk(stateMutex_);
    uint64_t first = hydrated_.findClear(from);
    if (first >= hydrated_.regions()) return std::nullopt;
    uint64_t n = 1;
    while (n < maxCount && first + n < hydrated_.regions() && !hydrated_.test(first + n)) ++n;
    return RegionRun{first, n};
}

Status Clone::sourceError(uint64_t region, const Error& error) {
    lastSourceErrorRegion_.store(region, std::memory_order_relaxed);
    publish(Event{EventKind::CloneSourceError, 0, 0, region, uint64_t(error.code)}.withError(error.code));
    return makeError(error.code, "cannot read region " + std::to_string(region) + " of clone " + options_.name +
                                     " from its source (" + source_->describe() + "): " + error.message);
}

Status Clone::copyRun(uint64_t r, uint64_t n, bool userTriggered) {
    const uint64_t runEnd = r + n;
    hydrating_.fetch_add(n);
    publish(EventKind::RegionHydrationStarted, r, n, userTriggered);
    uint64_t b = regionBegin(r), e = regionEnd(runEnd - 1);
    std::vector<std::byte> buf(std::min(kCopyPiece, e - b));
    Status st;
    for (uint64_t off = b; off < e && st.ok();) {
        uint64_t len = std::min<uint64_t>(buf.size(), e - off);
        std::span<std::byte> piece(buf.data(), len);
        auto rs = source_->read(off, piece);
        if (!rs.ok()) {
            st = sourceError(off / geometry_.regionSize, rs.error());
            break;
        }
        st = dest_->write(off, piece);
        off += len;
    }
    hydrating_.fetch_sub(n);
    if (!st.ok()) return st;
    // Marked only once its data write completed: the commit's destination flush covers it.
    markHydrated(r, n);
    progress_.bytes.fetch_add(e - b, std::memory_order_relaxed);
    publish(EventKind::RegionHydrated, r, n, userTriggered);
    return {};
}

Status Clone::copyRegionsLocked(uint64_t first, uint64_t count, bool userTriggered) {
    // Copy only the regions still unhydrated, as runs.
    uint64_t r = first, end = first + count;
    while (r < end) {
        if (isRegionHydrated(r)) {
            ++r;
            continue;
        }
        uint64_t runEnd = r + 1;
        while (runEnd < end && !isRegionHydrated(runEnd)) ++runEnd;
        LS_TRY(copyRun(r, runEnd - r, userTriggered));
        r = runEnd;
    }
    return {};
}

bool Clone::claimedOverlapsLocked(uint64_t first, uint64_t last) const {
    for (const RegionRun& c : claimed_)
        if (c.first <= last && first < c.first + c.count) return true;
    return false;
}

RangeLock::Guard Clone::lockForUpdate(uint64_t first, uint64_t last) {
    for (;;) {
        {
            std::unique_lock lk(stateMutex_);
            claimCv_.wait(lk, [&] { return !claimedOverlapsLocked(first, last); });
        }
        auto guard = regionLocks_.lockExclusive(regionBegin(first), regionEnd(last));
        // Claims are made under the exclusive region lock: none can appear while we hold it.
        std::lock_guard lk(stateMutex_);
        if (!claimedOverlapsLocked(first, last)) return guard;
    }
}

Status Clone::hydrateRun(RegionRun run, bool userTriggered) {
    LS_TRY(failIfFailed());
    // Claim the unhydrated regions of the run under the exclusive lock (no user write is then
    // half done on them), then copy with no region lock held, so reads are never held up.
    std::vector<RegionRun> mine;
    {
        auto guard = regionLocks_.lockExclusive(regionBegin(run.first), regionEnd(run.first + run.count - 1));
        std::lock_guard lk(stateMutex_);
        const uint64_t end = run.first + run.count;
        for (uint64_t r = run.first; r < end;) {
            if (hydrated_.test(r) || claimedOverlapsLocked(r, r)) {
                ++r;
                continue;
            }
            uint64_t e = r + 1;
            while (e < end && !hydrated_.test(e) && !claimedOverlapsLocked(e, e)) ++e;
            mine.push_back(RegionRun{r, e - r});
            claimed_.push_back(mine.back());
            r = e;
        }
    }
    Status st;
    for (const RegionRun& m : mine) {
        st = copyRun(m.first, m.count, userTriggered);
        if (!st.ok()) break;
    }
    {
        std::lock_guard lk(stateMutex_);
        for (const RegionRun& m : mine)
            for (auto it = claimed_.begin(); it != claimed_.end(); ++it)
                if (it->first == m.first && it->count == m.count) {
                    claimed_.erase(it);
                    break;
                }
    }
    claimCv_.notify_all();
    return st;
}

Result<uint64_t> Clone::hydrateNext(uint64_t maxRegions) {
    uint64_t done = 0, cursor = 0;
    uint32_t batch = scheduler_->batchSize();
    while (done < maxRegions) {
        auto run = nextUnhydratedRun(cursor, std::min<uint64_t>(batch, maxRegions - done));
        if (!run) break;
        LS_TRY(hydrateRun(*run, false));
        done += run->count;
        cursor = run->first + run->count;
    }
    return done;
}

Status Clone::read(uint64_t offset, std::span<std::byte> out) {
    LS_TRY(checkRange(offset, out.size()));
    LS_TRY(failIfFailed());
    if (out.empty()) return {};
    UserIoScope scope(*this);
    const uint64_t rs = geometry_.regionSize, end = offset + out.size();
    const uint64_t r0 = offset / rs, r1 = (end - 1) / rs;
    auto guard = regionLocks_.lockShared(regionBegin(r0), regionEnd(r1));
    userBytesRead_.fetch_add(out.size(), std::memory_order_relaxed);
    // Consecutive regions with the same state become one request.
    uint64_t r = r0;
    while (r <= r1) {
        bool h = isRegionHydrated(r);
        uint64_t runEnd = r + 1;
        while (runEnd <= r1 && isRegionHydrated(runEnd) == h) ++runEnd;
        uint64_t b = std::max(offset, regionBegin(r)), e = std::min(end, regionEnd(runEnd - 1));
        std::span<std::byte> piece = out.subspan(b - offset, e - b);
        if (h) {
            LS_TRY(dest_->read(b, piece));
        } else {
            auto st = source_->read(b, piece);
            if (!st.ok()) return sourceError(r, st.error());
        }
        r = runEnd;
    }
    return {};
}

Status Clone::write(uint64_t offset, std::span<const std::byte> data, WriteFlags flags) {
    LS_TRY(checkRange(offset, data.size()));
    LS_TRY(failIfFailed());
    if (data.empty()) return flags.fua ? flush() : Status{};
    {
        UserIoScope scope(*this);
        const uint64_t rs = geometry_.regionSize, end = offset + data.size();
        const uint64_t r0 = offset / rs, r1 = (end - 1) / rs;
        auto guard = lockForUpdate(r0, r1);
        userBytesWritten_.fetch_add(data.size(), std::memory_order_relaxed);
        for (uint64_t r = r0; r <= r1; ++r) {
            uint64_t rb = regionBegin(r), re = regionEnd(r);
            uint64_t b = std::max(offset, rb), e = std::min(end, re);
            std::span<const std::byte> piece = data.subspan(b - offset, e - b);
            if (isRegionHydrated(r)) {
                LS_TRY(dest_->write(b, piece));
            } else if (b == rb && e == re) {
                // Whole region: its old contents are not needed; the write hydrates it.
                LS_TRY(dest_->write(b, piece));
                markHydrated(r, 1);
                publish(EventKind::RegionHydrated, r, 1, 1);
            } else {
                // Partial write: hydrate the region first (user-triggered), then apply the write.
                LS_TRY(copyRegionsLocked(r, 1, true));
                LS_TRY(dest_->write(b, piece));
            }
        }
    }
    // FUA: the data and the marks that make it visible must be durable on return.
    if (flags.fua) return flush();
    return {};
}

Status Clone::discard(uint64_t offset, uint64_t length) {
    LS_TRY(checkRange(offset, length));
    LS_TRY(failIfFailed());
    const uint64_t rs = geometry_.regionSize, end = offset + length;
    // Trim to whole regions as dm-clone's bio_region_range() does: the start rounds up, the end
    // rounds down. A short last region (the device is not a region multiple) is never covered
    // whole, so a discard never drops it: it keeps the source's data.
    uint64_t first = (offset + rs - 1) / rs;
    uint64_t last = end / rs;  // exclusive
    if (first >= last) return {};
    {
        UserIoScope scope(*this);
        auto guard = lockForUpdate(first, last - 1);
        userBytesDiscarded_.fetch_add(regionEnd(last - 1) - regionBegin(first), std::memory_order_relaxed);
        if (discardPassdown_) LS_TRY(dest_->discard(regionBegin(first), regionEnd(last - 1) - regionBegin(first)));
        markHydrated(first, last - first);
    }
    publish(EventKind::RegionsDiscarded, first, last - first);  // no clone lock held
    return {};
}

void Clone::enableHydration() {
    scheduler_->setEnabled(true);
    publish(EventKind::HydrationEnabled, 1);
}

void Clone::disableHydration() {
    scheduler_->setEnabled(false);
    scheduler_->waitIdle();
    publish(EventKind::HydrationEnabled, 0);
}

bool Clone::hydrationEnabled() const { return scheduler_->enabled(); }
void Clone::setHydrationThreshold(uint32_t regions) { scheduler_->setThreshold(regions); }
void Clone::setHydrationBatchSize(uint32_t regions) { scheduler_->setBatchSize(regions); }
std::optional<Error> Clone::hydrationError() const { return scheduler_->lastError(); }

CloneStatus Clone::status() {
    CloneStatus s;
    s.failed = failed_.load();
    {
        std::lock_guard lk(commitMutex_);
        s.usedMetadataBlocks = metadata_->usedBlocks();
        s.totalMetadataBlocks = metadata_->totalBlocks();
    }
    s.regionSectors = geometry_.regionSectors();
    s.hydratedRegions = hydratedRegions();
    s.totalRegions = regionCount();
    s.hydratingRegions = hydrating_.load();
    s.hydrationEnabled = scheduler_->enabled();
    s.discardPassdown = discardPassdown_.load();
    s.hydrationThreshold = scheduler_->threshold();
    s.hydrationBatchSize = scheduler_->batchSize();
    return s;
}

}  // namespace loopsnap
