// CrashLabPage (Ctrl+3): run a crash test from the app and see what it found.
//
// Controls: the scenario (snapshot, clone, merge), the seed, the number of operations (0: the
// scenario's default) and the legacy switch, with two lines on what that switch reverts (kernel
// commits 230c83afdd9c and 8b3fd1f5) and why the fixed order closes the hole. Run starts a
// crash-test job in the engine (Engine::startCrashTest; the app's runner is
// SubprocessCrashTestRunner, which runs loopsnapctl, since the GUI does not link the crash lab);
// the page samples the job four times a second: crash states checked and states per second.
// Cancel cancels the job (SIGINT to the child, SIGKILL after a grace period).
// Result: states checked, crash points, time, and "no violation" or the violation: the invariant,
// the leaked chunk or the garbage region, the last log entries before the crash point (the
// trace, as `crashtest` prints it), and for a snapshot leak the COW store's area map
// (AreaMapWidget) with the leaked chunks marked.
//
// Engine calls only through EngineBridge::call (its worker thread). Thread: GUI thread only.
#pragma once

#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>

#include <optional>
#include <vector>

#include "core/engine/engine.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace loopsnap::ui {

class AreaMapWidget;
class EngineBridge;
class MapLegend;
struct PageContext;

class CrashLabPage : public QWidget {
    Q_OBJECT
public:
    CrashLabPage(EngineBridge* bridge, QWidget* parent = nullptr);
    CrashLabPage(const PageContext& context, QWidget* parent);

    // What the controls do (tests and the screenshot drive them like a user).
    void setScenario(const QString& scenario);  // "snapshot", "clone", "merge"
    void setSeed(uint64_t seed);
    void setOps(uint64_t ops);
    void setLegacy(bool legacy);
    void run();
    void cancel();

    bool running() const { return jobId_ != 0; }
    const std::optional<CrashTestOutcome>& outcome() const { return outcome_; }
    QString verdictText() const;
    QString summaryText() const;
    QString findingText() const;
    QString traceText() const;
    QString explanationText() const;
    QString progressText() const;
    AreaMapWidget* areaMap() const { return map_; }
    const std::vector<uint8_t>& areaCells() const { return cells_; }
    QPushButton* runButton() const { return run_; }
    QPushButton* cancelButton() const { return cancel_; }

signals:
    void finished();   // a run ended (result, cancel or error)

private:
    void build();
    void updateExplanation();
    void poll();
    void fetchOutcome();
    void showOutcome();
    void showError(const QString& text);
    void setRunning(bool running);

    EngineBridge* bridge_;
    uint64_t jobId_ = 0;
    bool pollInFlight_ = false;
    QTimer pollTimer_;
    QElapsedTimer clock_;
    uint64_t lastStates_ = 0;
    double lastAt_ = 0, perSecond_ = 0;
    JobInfo job_;
    std::optional<CrashTestOutcome> outcome_;
    QString error_;
    bool cancelled_ = false;
    std::vector<uint8_t> cells_;

    QComboBox* scenario_ = nullptr;
    QSpinBox* seed_ = nullptr;
    QSpinBox* ops_ = nullptr;
    QCheckBox* legacy_ = nullptr;
    QPushButton* run_ = nullptr;
    QPushButton* cancel_ = nullptr;
    QLabel* explanation_ = nullptr;
    QProgressBar* bar_ = nullptr;
    QLabel* progress_ = nullptr;
    QLabel* verdict_ = nullptr;
    QLabel* summary_ = nullptr;
    QLabel* finding_ = nullptr;
    QLabel* traceTitle_ = nullptr;
    QPlainTextEdit* trace_ = nullptr;
    QLabel* mapTitle_ = nullptr;
    AreaMapWidget* map_ = nullptr;
    MapLegend* legend_ = nullptr;
};

void registerCrashLabPage();

}  // namespace loopsnap::ui
