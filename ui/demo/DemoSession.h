// DemoSession: a ready session in a temporary folder for `loopsnap --demo` and the "Try a demo"
// button: an origin image with an ext4 filesystem holding a few files (plain data where
// mkfs.ext4 is missing), a snapshot of it under a running origin-write workload, and a clone
// hydrating over NBD from an image that nbdkit serves on a unix socket with its delay filter
// (so the hydration takes about a minute; without nbdkit the clone reads the image directly
// and finishes quickly). Files are prepared off the GUI thread; every engine call goes
// through the bridge. nbdkit is a child process that ends with this object (and with the app).
// GUI thread only.
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>

class QProcess;

namespace loopsnap::ui {

class EngineBridge;

class DemoSession : public QObject {
    Q_OBJECT
public:
    explicit DemoSession(EngineBridge* bridge, QObject* parent = nullptr, QString folder = {});
    ~DemoSession() override;
    void start();
    const QString& folder() const { return folder_; }
    bool isReady() const { return ready_; }
    QString originPath() const;
    QString sourceUri() const { return sourceUri_; }
    QString snapshotId() const { return snapshotId_; }
    QString cloneId() const { return cloneId_; }

    // Where the demo keeps its workspace when it has one of its own (loopsnap --demo).
    static QString newDemoFolder();
    // A file of a demo (inside a folder newDemoFolder made): the demonstrations of pre-fix
    // kernel behaviour (the exception monitor's legacy ordering switch) are offered only there.
    static bool isDemoPath(const QString& path);

signals:
    void ready();
    void failed(const QString& text);

private:
    void prepared(const QString& problem);
    void startNbdkit();
    void createSnapshot();
    void createClone();

    EngineBridge* bridge_;
    QString folder_;
    QString sourceUri_;
    QString snapshotId_, cloneId_;
    QProcess* nbdkit_ = nullptr;
    bool ready_ = false;
    int pendingSteps_ = 2;
};

}  // namespace loopsnap::ui
