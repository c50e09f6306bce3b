#include "ui/demo/DemoSession.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThreadPool>
#include <QTimer>

#include "ui/bridge/EngineBridge.h"
#include "ui/text/ErrorText.h"

namespace loopsnap::ui {

namespace {
constexpr qint64 kOriginBytes = 64ll << 20;
constexpr qint64 kSourceBytes = 16ll << 20;   // 256 regions of 64 KiB
constexpr const char* kReadDelay = "200ms";     // per region read: 256 x ~0.2 s = about a minute

QString tr(const char* t) { return QCoreApplication::translate("loopsnap::ui", t); }  // lupdate files these under the namespace

// Deterministic, recognisable bytes (not zeros, so hydration moves real data).
bool writePattern(const QString& path, qint64 bytes, quint32 seed) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return false;
    QByteArray block(1 << 20, Qt::Uninitialized);
    quint32 x = seed * 2654435761u + 1;
    for (qint64 done = 0; done < bytes; done += block.size()) {
        for (int i = 0; i < block.size(); i += 4) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            memcpy(block.data() + i, &x, 4);
        }
        if (f.write(block) != block.size()) return false;
    }
    return f.flush();
}

// Returns "" or what went wrong. Runs on a pool thread.
QString prepareFiles(const QString& folder) {
    QDir dir(folder);
    const QString origin = dir.filePath("origin.img");
    const QString mkfs = QStandardPaths::findExecutable("mkfs.ext4", {"/usr/sbin", "/sbin", "/usr/bin", "/bin"});
    bool formatted = false;
    if (!mkfs.isEmpty()) {
        dir.mkpath("files/docs");
        auto put = [&](const QString& name, const QByteArray& text) {
            QFile f(dir.filePath("files/" + name));
            if (f.open(QIODevice::WriteOnly)) f.write(text);
        };
        put("README.txt", "This ext4 filesystem lives in origin.img, a Loopsnap demo origin.\n");
        put("docs/notes.txt", QByteArray("Snapshot me before you change me.\n").repeated(200));
        put("docs/numbers.csv", [] { QByteArray b; for (int i = 0; i < 5000; ++i) b += QByteArray::number(i) + "," + QByteArray::number(i * i) + "\n"; return b; }());
        QFile img(origin);
        if (!img.open(QIODevice::WriteOnly) || !img.resize(kOriginBytes)) return tr("Cannot create %1.").arg(origin);
        img.close();
        QProcess p;
        p.start(mkfs, {"-q", "-F", "-L", "loopsnap-demo", "-d", dir.filePath("files"), origin});
        formatted = p.waitForFinished(60000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    }
    if (!formatted && !writePattern(origin, kOriginBytes, 1)) return tr("Cannot write %1.").arg(origin);
    if (!writePattern(dir.filePath("source.img"), kSourceBytes, 2)) return tr("Cannot write %1.").arg(dir.filePath("source.img"));
    return {};
}
}  // namespace

QString DemoSession::newDemoFolder() {
    QTemporaryDir tmp(QDir::temp().filePath(QStringLiteral("loopsnap-demo-XXXXXX")));
    tmp.setAutoRemove(false);
    return tmp.path();
}

bool DemoSession::isDemoPath(const QString& path) {
    return QFileInfo(path).absoluteDir().dirName().startsWith(QStringLiteral("loopsnap-demo-"));
}

DemoSession::DemoSession(EngineBridge* bridge, QObject* parent, QString folder)
    : QObject(parent), bridge_(bridge), folder_(folder.isEmpty() ? newDemoFolder() : std::move(folder)) {}

DemoSession::~DemoSession() {
    if (nbdkit_) {
        nbdkit_->terminate();
        if (!nbdkit_->waitForFinished(2000)) nbdkit_->kill();
        nbdkit_->waitForFinished(1000);
    }
}

QString DemoSession::originPath() const { return QDir(folder_).filePath("origin.img"); }

void DemoSession::start() {
    QPointer<DemoSession> self(this);
    const QString folder = folder_;
    QThreadPool::globalInstance()->start([self, folder] {
        const QString problem = prepareFiles(folder);
        QMetaObject::invokeMethod(qApp, [self, problem] { if (self) self->prepared(problem); }, Qt::QueuedConnection);
    });
}

void DemoSession::prepared(const QString& problem) {
    if (!problem.isEmpty()) {
        emit failed(problem);
        return;
    }
    createSnapshot();
    startNbdkit();
}

void DemoSession::startNbdkit() {
    const QString source = QDir(folder_).filePath("source.img");
    const QString nbdkit = QStandardPaths::findExecutable("nbdkit", {"/usr/sbin", "/usr/bin"});
    if (nbdkit.isEmpty()) {
        sourceUri_ = source;  // unthrottled: the clone reads the image directly
        createClone();
        return;
    }
    const QString socket = QDir(folder_).filePath("source.sock");
    nbdkit_ = new QProcess(this);
    nbdkit_->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    nbdkit_->start(nbdkit, {"-f", "--exit-with-parent", "-U", socket, "--filter=delay", "file", source,
                            QStringLiteral("rdelay=%1").arg(QLatin1String(kReadDelay))});
    sourceUri_ = QStringLiteral("nbd+unix:///?socket=%1").arg(socket);
    // Wait for the socket without blocking the GUI thread.
    auto* poll = new QTimer(this);
    auto tries = std::make_shared<int>(0);
    connect(poll, &QTimer::timeout, this, [this, poll, socket, tries] {
        if (QFileInfo::exists(socket)) {
            poll->deleteLater();
            createClone();
        } else if (++*tries > 100 || nbdkit_->state() == QProcess::NotRunning) {
            poll->deleteLater();
            emit failed(tr("nbdkit did not start a server on %1.").arg(socket));
        }
    });
    poll->start(50);
}

void DemoSession::createSnapshot() {
    CreateSnapshotRequest rq;
    rq.originPath = originPath().toStdString();
    rq.cowPath = QDir(folder_).filePath("origin-snap.cow").toStdString();
    rq.cowSize = 24ull << 20;
    rq.chunkBytes = 16 * 1024;
    rq.store = "P";
    bridge_->createSnapshot(rq, this, [this](const Result<SnapshotInfo>& r) {
        if (!r.ok()) return emit failed(errorText(r.error()));
        snapshotId_ = QString::fromStdString(r->id);
        WorkloadRequest w;
        w.originId = r->originId;
        w.seed = 7;
        w.ops = 1'000'000;   // runs for the whole session; the engine stops it when the app quits
        w.threads = 2;
        w.pause = std::chrono::milliseconds(40);
        bridge_->call<uint64_t>(this, QStringLiteral("demo"), [w](Engine& e) { return e.startWorkload(w); },
                                [this](const Result<uint64_t>& job) {
                                    if (job.ok() && --pendingSteps_ == 0) { ready_ = true; emit ready(); }
                                });
    });
}

void DemoSession::createClone() {
    CreateCloneRequest rq;
    rq.source = sourceUri_.toStdString();
    rq.dest = QDir(folder_).filePath("clone.img").toStdString();
    rq.meta = QDir(folder_).filePath("clone.meta").toStdString();
    rq.regionBytes = 64 * 1024;
    bridge_->createClone(rq, HydrationTuning{1, 1}, this, [this](const Result<CloneInfo>& r) {
        if (!r.ok()) return emit failed(errorText(r.error()));
        cloneId_ = QString::fromStdString(r->id);
        if (--pendingSteps_ == 0) { ready_ = true; emit ready(); }
    });
}

}  // namespace loopsnap::ui
