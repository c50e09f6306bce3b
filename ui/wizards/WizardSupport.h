// Pieces the snapshot and clone wizards share: the validation message label, size fields that
// take the CLI's grammar (K/M/G/T, powers of 1024), shell quoting for the equivalent command,
// and asynchronous probes (libblkid, libnbd) whose answers arrive on the GUI thread.
// GUI thread only; the probes run on the global thread pool and only read.
#pragma once

#include <functional>
#include <optional>

#include <QFutureWatcher>
#include <QLabel>
#include <QString>
#include <QTimer>

#include "core/linux/blkid_probe.h"
#include "core/util/result.h"

namespace loopsnap::ui {

// A red line under a page's fields: the reason the page cannot go on. objectName "validation".
class ValidationLabel : public QLabel {
    Q_OBJECT
public:
    explicit ValidationLabel(QWidget* parent = nullptr);
    void fail(const QString& text);  // shows text, returns nothing: callers return false
    void clearMessage();
};

// A line under a field with a warning colour (not blocking). objectName given by the caller.
QLabel* makeWarningLabel(QWidget* parent, const QString& objectName);
QLabel* makeNoteLabel(QWidget* parent);

QString shellQuote(const QString& arg);
QString humanSize(uint64_t bytes);   // formatBytes (ui/text/Sizes.h)
// "64M", "64 MiB" -> 67108864 with the CLI's grammar (spaces ignored); nullopt on bad input.
std::optional<uint64_t> parseSizeText(const QString& text);
// The CLI's way of writing a size back: the largest exact K/M/G/T unit.
QString cliSize(uint64_t bytes);

// Probes a path (libblkid) or an NBD URI (libnbd, its size) off the GUI thread. Each new
// request supersedes the one before; `done` gets only the latest answer.
struct SourceFacts {
    QString what;              // the path or URI probed
    uint64_t sizeBytes = 0;
    std::optional<BlockProbe> probe;  // files and block devices
    bool isNbd = false;
};
class AsyncProber : public QObject {
    Q_OBJECT
public:
    explicit AsyncProber(QObject* parent = nullptr);
    void request(const QString& pathOrUri);   // debounced 150 ms
    bool pending() const { return pending_; }
    const QString& lastSubject() const { return subject_; }
    const std::optional<Result<SourceFacts>>& last() const { return last_; }

signals:
    void finished();

private:
    void run();
    QTimer debounce_;
    QString subject_;
    bool pending_ = false;
    int generation_ = 0;
    std::optional<Result<SourceFacts>> last_;
};

Result<SourceFacts> probeSource(const QString& pathOrUri);  // blocking; call off the GUI thread

}  // namespace loopsnap::ui
