// loopsnap-helper (helper/helper_service.h) on a private dbus-daemon, with a fake polkit
// authority on that bus that allows, denies or challenges: a refused call changes nothing,
// malformed and invalid arguments are refused with their error names and detail words before
// anything is touched, and allowed calls reach the caller's own engine. The service runs here
// in-process over the userspace backend (this kernel has no device-mapper); the last test
// starts the real loopsnap-helper executable through D-Bus activation on the same bus.
#include <sys/stat.h>
#include <unistd.h>

#include <QDBusArgument>
#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QDBusMetaType>
#include <QDBusPendingCall>
#include <QDBusVirtualObject>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QProcess>
#include <QtTest>

#include "core/engine/engine.h"
#include "helper/helper_protocol.h"
#include "helper/helper_service.h"
#include "support/private_bus.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::helper;

namespace {

using test::FakeAuthority;

QStringList treeOf(const QString& dir) {
    QStringList out;
    QDirIterator it(dir, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        const QFileInfo fi = it.fileInfo();
        // The mounted image changes by itself (its filesystem's journal), the mount point with it.
        if (fi.fileName() == QLatin1String("mounted.img") || fi.filePath().contains(QLatin1String("/mnt"))) continue;
        out << QStringLiteral("%1 %2 %3").arg(fi.filePath()).arg(fi.size()).arg(fi.lastModified().toMSecsSinceEpoch());
    }
    out.sort();
    return out;
}

bool run(const QString& program, const QStringList& args) {
    QProcess p;
    p.start(program, args);
    return p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

}  // namespace

class TestHelper : public QObject {
    Q_OBJECT
private:
    QDBusMessage callHelper(const QString& method, const QVariantList& args, bool interactive = false, int timeoutMs = 30000) {
        QDBusMessage m = QDBusMessage::createMethodCall(QString::fromLatin1(kServiceName), QString::fromLatin1(kObjectPath),
                                                        QString::fromLatin1(kInterface), method);
        m.setArguments(args);
        m.setInteractiveAuthorizationAllowed(interactive);
        QDBusPendingCall pending = client().asyncCall(m, timeoutMs);
        // The fake authority and the service answer on this thread: wait with the event loop running.
        if (!QTest::qWaitFor([&] { return pending.isFinished(); }, timeoutMs + 1000)) return {};
        return pending.reply();
    }
    static QString detailOf(const QDBusMessage& reply) { return reply.arguments().value(1).toString(); }
    QDBusConnection client() { return QDBusConnection(QStringLiteral("client")); }
    QList<QVariantMap> listDevices() {
        const QDBusMessage r = callHelper(QStringLiteral("List"), {});
        if (r.type() != QDBusMessage::ReplyMessage) return {};
        return qdbus_cast<QList<QVariantMap>>(r.arguments().at(0));
    }
    QString path(const char* name) const { return QString::fromStdString(dir_->file(name)); }

    std::unique_ptr<test::TempDir> dir_;
    test::PrivateBus bus_;
    QString address_;
    FakeAuthority authority_;
    std::unique_ptr<HelperService> service_;
    QString mounted_;  // an ext4 image mounted through a loop device ("" if mounting is not possible here)
    QString mountPoint_;

private slots:
    void initTestCase() {
        qDBusRegisterMetaType<QList<QVariantMap>>();
        dir_ = std::make_unique<test::TempDir>();
        const QString services = path("services");
        QVERIFY(QDir().mkpath(services));
        const QString started = bus_.start(QString::fromStdString(dir_->path()));
        if (started.contains(QLatin1String("not installed"))) QSKIP(qPrintable(started));
        QVERIFY2(started.isEmpty(), qPrintable(started));
        address_ = bus_.address();

        QDBusConnection authorityBus = QDBusConnection::connectToBus(address_, QStringLiteral("authority"));
        QVERIFY(authorityBus.isConnected());
        QVERIFY(authorityBus.registerVirtualObject(QStringLiteral("/org/freedesktop/PolicyKit1/Authority"), &authority_));
        QVERIFY(authorityBus.registerService(QStringLiteral("org.freedesktop.PolicyKit1")));
        QVERIFY(QDBusConnection::connectToBus(address_, QStringLiteral("client")).isConnected());

        HelperOptions options;
        options.stateDir = dir_->file("state");
        options.idleTimeoutMs = 600000;
        options.engineFactory = [](uint32_t, const std::string& workspace) {
            EngineOptions o;
            o.workspaceDir = workspace;
            o.backend = BackendKind::Userspace;
            o.copyThreads = 1;
            return Engine::open(std::move(o));
        };
        options.deviceNodes = {};
        QDBusConnection serviceBus = QDBusConnection::connectToBus(address_, QStringLiteral("service"));
        service_ = std::make_unique<HelperService>(serviceBus, options);
        QString error;
        QVERIFY2(service_->registerOn(&error), qPrintable(error));

        // The images of every test: an origin, a clone source, an ext4 image, and one mounted.
        QVERIFY(QDir().mkpath(path("images")));
        for (const char* name : {"images/origin.img", "images/source.img", "images/ext4.img", "images/mounted.img"}) {
            QFile f(path(name));
            QVERIFY(f.open(QIODevice::WriteOnly));
            QVERIFY(f.resize(8 << 20));
        }
        QVERIFY(QFile::link(path("images/origin.img"), path("images/link.img")));
        const bool mkfs = run(QStringLiteral("mkfs.ext4"), {QStringLiteral("-q"), QStringLiteral("-F"), path("images/ext4.img")}) &&
                          run(QStringLiteral("mkfs.ext4"), {QStringLiteral("-q"), QStringLiteral("-F"), path("images/mounted.img")});
        QVERIFY2(mkfs, "mkfs.ext4 (package e2fsprogs) failed");
        mountPoint_ = path("mnt");
        QVERIFY(QDir().mkpath(mountPoint_));
        if (::geteuid() == 0 && run(QStringLiteral("mount"), {QStringLiteral("-o"), QStringLiteral("loop"), path("images/mounted.img"), mountPoint_}))
            mounted_ = path("images/mounted.img");
    }

    void cleanupTestCase() {
        service_.reset();
        if (!mounted_.isEmpty()) run(QStringLiteral("umount"), {mountPoint_});
        QDBusConnection::disconnectFromBus(QStringLiteral("client"));
        QDBusConnection::disconnectFromBus(QStringLiteral("service"));
        QDBusConnection::disconnectFromBus(QStringLiteral("authority"));
    }

    void init() {
        authority_.allow = true;
        authority_.challenge = false;
    }

    // An allowed status call: the snapshot created before, read back by its store's path (and by
    // a symbolic link to its origin: paths are resolved).
    void allowedCreateAndStatus() {
        QDBusMessage r = callHelper(QStringLiteral("CreateSnapshot"),
                                    {path("images/origin.img"), path("snap.cow"), QVariant::fromValue(qulonglong(1 << 20)), 4096u, QStringLiteral("P")});
        QVERIFY2(r.type() == QDBusMessage::ReplyMessage, qPrintable(r.errorName() + QLatin1Char(' ') + r.errorMessage()));
        auto created = snapshotFromMap(qdbus_cast<QVariantMap>(r.arguments().at(0)));
        LS_QVERIFY_OK(created);
        QCOMPARE(QString::fromStdString(created->cowPath), path("snap.cow"));
        QCOMPARE(created->store, std::string("P"));
        QCOMPARE(created->state, DeviceState::Valid);
        QVERIFY(QFile::exists(path("snap.cow")));
        QCOMPARE(authority_.action, QString::fromLatin1(kPolkitAction));
        QCOMPARE(authority_.subjectKind, QStringLiteral("system-bus-name"));
        QCOMPARE(authority_.subjectName, client().baseService());

        r = callHelper(QStringLiteral("Status"), {path("snap.cow")});
        QVERIFY2(r.type() == QDBusMessage::ReplyMessage, qPrintable(r.errorMessage()));
        auto status = snapshotFromMap(qdbus_cast<QVariantMap>(r.arguments().at(0)));
        LS_QVERIFY_OK(status);
        QCOMPARE(status->id, created->id);
        QCOMPARE(status->backend, BackendKind::Userspace);  // this test's engine; the executable's is the kernel's
        QVERIFY(!status->status.empty());
        QCOMPARE(status->totalSectors, uint64_t((1 << 20) / 512));

        r = callHelper(QStringLiteral("Status"), {path("images/link.img")});
        QVERIFY2(r.type() == QDBusMessage::ReplyMessage, qPrintable(r.errorMessage()));
        auto origin = originFromMap(qdbus_cast<QVariantMap>(r.arguments().at(0)));
        LS_QVERIFY_OK(origin);
        QCOMPARE(QString::fromStdString(origin->path), path("images/origin.img"));

        r = callHelper(QStringLiteral("CreateClone"), {path("images/source.img"), path("clone.img"), path("clone.meta"),
                                                      QVariant::fromValue(qulonglong(65536))});
        QVERIFY2(r.type() == QDBusMessage::ReplyMessage, qPrintable(r.errorMessage()));
        r = callHelper(QStringLiteral("Message"), {path("clone.meta"), QStringLiteral("hydration_threshold"), 4u});
        QVERIFY2(r.type() == QDBusMessage::ReplyMessage, qPrintable(r.errorMessage()));
        auto clone = cloneFromMap(qdbus_cast<QVariantMap>(r.arguments().at(0)));
        LS_QVERIFY_OK(clone);
        QCOMPARE(clone->hydrationThreshold, 4u);

        QCOMPARE(listDevices().size(), 3);  // origin, snapshot, clone

        // One engine per user, its workspace private to root.
        struct stat st{};
        QCOMPARE(::stat((dir_->file("state") + "/" + std::to_string(::getuid())).c_str(), &st), 0);
        QCOMPARE(int(st.st_mode & 0777), 0700);
    }

    // Every typed request, refused by polkit: an error, and not a byte changed on disk.
    void deniedCallsChangeNothing_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QVariantList>("args");
        QTest::addColumn<bool>("challenge");
        const QVariant mib = QVariant::fromValue(qulonglong(1 << 20));
        QTest::newRow("create snapshot") << "CreateSnapshot" << QVariantList{path("images/origin.img"), path("denied.cow"), mib, 4096u, QStringLiteral("P")} << false;
        QTest::newRow("create clone") << "CreateClone" << QVariantList{path("images/source.img"), path("denied.img"), path("denied.meta"), QVariant::fromValue(qulonglong(65536))} << false;
        QTest::newRow("merge") << "Merge" << QVariantList{path("snap.cow")} << false;
        QTest::newRow("message") << "Message" << QVariantList{path("clone.meta"), QStringLiteral("enable_hydration"), 0u} << false;
        QTest::newRow("remove") << "Remove" << QVariantList{path("snap.cow")} << false;
        QTest::newRow("delete") << "Delete" << QVariantList{path("snap.cow")} << false;
        QTest::newRow("status") << "Status" << QVariantList{path("snap.cow")} << false;
        QTest::newRow("list") << "List" << QVariantList{} << false;
        QTest::newRow("remove, challenge") << "Remove" << QVariantList{path("clone.meta")} << true;
    }
    void deniedCallsChangeNothing() {
        QFETCH(QString, method);
        QFETCH(QVariantList, args);
        QFETCH(bool, challenge);
        const auto devicesBefore = listDevices();
        QCOMPARE(devicesBefore.size(), 3);
        const QStringList before = treeOf(QString::fromStdString(dir_->path()));
        const int callsBefore = authority_.calls;
        authority_.allow = false;
        authority_.challenge = challenge;
        const QDBusMessage r = callHelper(method, args);
        QCOMPARE(r.type(), QDBusMessage::ErrorMessage);
        QCOMPARE(r.errorName(), notAuthorizedErrorName());
        QCOMPARE(detailOf(r), challenge ? QStringLiteral("auth-required") : QStringLiteral("not-authorized"));
        QCOMPARE(authority_.calls, callsBefore + 1);
        QTest::qWait(100);  // anything the call might have started would show now
        QCOMPARE(treeOf(QString::fromStdString(dir_->path())), before);
        authority_.allow = true;
        const auto devicesAfter = listDevices();
        QCOMPARE(devicesAfter.size(), devicesBefore.size());
        for (qsizetype i = 0; i < devicesAfter.size(); ++i) {
            QCOMPARE(devicesAfter[i].value("state"), devicesBefore[i].value("state"));
            QCOMPARE(devicesAfter[i].value("hydrationEnabled"), devicesBefore[i].value("hydrationEnabled"));
        }
    }

    // User interaction (a password dialog) only when the caller allows it.
    void interactiveFlagPassedOn() {
        (void)callHelper(QStringLiteral("List"), {}, false);
        QCOMPARE(authority_.flags, 0u);
        (void)callHelper(QStringLiteral("List"), {}, true);
        QCOMPARE(authority_.flags, 1u);
    }

    // Allowed by polkit, refused by the argument checks: error name, detail word, no change.
    void invalidArguments_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QVariantList>("args");
        QTest::addColumn<QString>("error");
        QTest::addColumn<QString>("detail");
        const QVariant mib = QVariant::fromValue(qulonglong(1 << 20));
        const QVariant region = QVariant::fromValue(qulonglong(65536));
        const QString origin = path("images/origin.img"), fresh = path("fresh.cow");
        auto snap = [&](QString o, QString c) { return QVariantList{o, c, mib, 4096u, QStringLiteral("P")}; };
        const QString inv = errorName(ErrorCode::InvalidArgument), nf = errorName(ErrorCode::NotFound), busy = errorName(ErrorCode::Busy);
        QTest::newRow("relative origin") << "CreateSnapshot" << snap("images/origin.img", fresh) << inv << "relative-path";
        QTest::newRow("relative store") << "CreateSnapshot" << snap(origin, "fresh.cow") << inv << "relative-path";
        QTest::newRow("traversal") << "CreateSnapshot" << snap(path("images/../images/origin.img"), fresh) << inv << "path-traversal";
        QTest::newRow("traversal, store") << "CreateSnapshot" << snap(origin, path("images/../fresh.cow")) << inv << "path-traversal";
        QTest::newRow("dot component") << "CreateSnapshot" << snap(path("images/./origin.img"), fresh) << inv << "bad-path";
        QTest::newRow("double slash") << "CreateSnapshot" << snap(origin, path("images//fresh.cow")) << inv << "bad-path";
        QTest::newRow("control character") << "CreateSnapshot" << snap(origin, path("fresh\n.cow")) << inv << "bad-path";
        QTest::newRow("empty path") << "Status" << QVariantList{QString()} << inv << "bad-path";
        QTest::newRow("missing origin") << "CreateSnapshot" << snap(path("images/nope.img"), fresh) << nf << "missing";
        QTest::newRow("store in a missing folder") << "CreateSnapshot" << snap(origin, path("nofolder/fresh.cow")) << nf << "missing";
        QTest::newRow("origin is a folder") << "CreateSnapshot" << snap(path("images"), fresh) << inv << "not-a-file-or-device";
        QTest::newRow("origin is a character device") << "CreateSnapshot" << snap("/dev/null", fresh) << inv << "not-a-file-or-device";
        QTest::newRow("store holds ext4") << "CreateSnapshot" << snap(origin, path("images/ext4.img")) << busy << "holds-data";
        QTest::newRow("store is the origin") << "CreateSnapshot" << snap(origin, path("images/link.img")) << inv << "same-path";
        QTest::newRow("store type") << "CreateSnapshot" << QVariantList{origin, fresh, mib, 4096u, QStringLiteral("X")} << inv << "bad-argument";
        QTest::newRow("chunk size") << "CreateSnapshot" << QVariantList{origin, fresh, mib, 3000u, QStringLiteral("P")} << inv << "bad-argument";
        QTest::newRow("region size") << "CreateClone" << QVariantList{path("images/source.img"), path("d.img"), path("d.meta"), QVariant::fromValue(qulonglong(1000))} << inv << "bad-argument";
        QTest::newRow("missing source") << "CreateClone" << QVariantList{path("images/none.img"), path("d.img"), path("d.meta"), region} << nf << "missing";
        QTest::newRow("metadata exists") << "CreateClone" << QVariantList{path("images/source.img"), path("d.img"), path("clone.meta"), region} << inv << "exists";
        QTest::newRow("clone onto its source") << "CreateClone" << QVariantList{path("images/source.img"), path("images/source.img"), path("d.meta"), region} << inv << "same-path";
        QTest::newRow("unknown message") << "Message" << QVariantList{path("clone.meta"), QStringLiteral("rm -rf /"), 0u} << inv << "bad-argument";
        QTest::newRow("message value") << "Message" << QVariantList{path("clone.meta"), QStringLiteral("hydration_batch_size"), 0u} << inv << "bad-argument";
        QTest::newRow("message to a snapshot") << "Message" << QVariantList{path("snap.cow"), QStringLiteral("enable_hydration"), 0u} << inv << "not-a-clone";
        QTest::newRow("merge a clone") << "Merge" << QVariantList{path("clone.meta")} << inv << "not-a-snapshot";
        QTest::newRow("status of a foreign file") << "Status" << QVariantList{path("images/source.img")} << nf << "not-managed";
        QTest::newRow("remove a foreign file") << "Remove" << QVariantList{path("images/ext4.img")} << nf << "not-managed";
        QTest::newRow("delete a foreign file") << "Delete" << QVariantList{path("images/ext4.img")} << nf << "not-managed";
        QTest::newRow("delete an origin") << "Delete" << QVariantList{origin} << inv << "origin-not-deletable";
        if (!mounted_.isEmpty()) {
            QTest::newRow("mounted origin") << "CreateSnapshot" << snap(mounted_, fresh) << busy << "mounted";
            QTest::newRow("mounted store") << "CreateSnapshot" << snap(origin, mounted_) << busy << "mounted";
            QTest::newRow("mounted clone destination") << "CreateClone" << QVariantList{path("images/source.img"), mounted_, path("d.meta"), region} << busy << "mounted";
        }
    }
    void invalidArguments() {
        QFETCH(QString, method);
        QFETCH(QVariantList, args);
        QFETCH(QString, error);
        QFETCH(QString, detail);
        const QStringList before = treeOf(QString::fromStdString(dir_->path()));
        const auto devicesBefore = listDevices();
        const QDBusMessage r = callHelper(method, args);
        QCOMPARE(r.type(), QDBusMessage::ErrorMessage);
        QCOMPARE(r.errorName(), error);
        QCOMPARE(detailOf(r), detail);
        QVERIFY2(!r.errorMessage().isEmpty(), "the error says what is wrong");
        const Error decoded = errorFromReply(r);
        QCOMPARE(QString::fromStdString(decoded.detail), detail);
        QCOMPARE(treeOf(QString::fromStdString(dir_->path())), before);
        QCOMPARE(listDevices().size(), devicesBefore.size());
    }

    void mountedCaseRan() {
        if (mounted_.isEmpty()) QSKIP("cannot mount a loop device here (needs root and the loop driver): the 'mounted' rows did not run");
    }

    // Wrong D-Bus types never reach polkit or the disk.
    void wrongTypes_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QVariantList>("args");
        QTest::addColumn<QString>("error");
        QTest::newRow("size as a string") << "CreateSnapshot" << QVariantList{path("images/origin.img"), path("t.cow"), QStringLiteral("1048576"), 4096u, QStringLiteral("P")} << "org.freedesktop.DBus.Error.InvalidArgs";
        QTest::newRow("missing argument") << "CreateSnapshot" << QVariantList{path("images/origin.img"), path("t.cow")} << "org.freedesktop.DBus.Error.InvalidArgs";
        QTest::newRow("path as a number") << "Status" << QVariantList{42} << "org.freedesktop.DBus.Error.InvalidArgs";
        QTest::newRow("extra argument") << "List" << QVariantList{QStringLiteral("x")} << "org.freedesktop.DBus.Error.InvalidArgs";
        QTest::newRow("value as signed") << "Message" << QVariantList{path("clone.meta"), QStringLiteral("hydration_threshold"), -1} << "org.freedesktop.DBus.Error.InvalidArgs";
        QTest::newRow("unknown method") << "RunCommand" << QVariantList{QStringLiteral("/bin/sh")} << "org.freedesktop.DBus.Error.UnknownMethod";
    }
    void wrongTypes() {
        QFETCH(QString, method);
        QFETCH(QVariantList, args);
        QFETCH(QString, error);
        const int callsBefore = authority_.calls;
        const QStringList before = treeOf(QString::fromStdString(dir_->path()));
        const QDBusMessage r = callHelper(method, args);
        QCOMPARE(r.type(), QDBusMessage::ErrorMessage);
        QCOMPARE(r.errorName(), error);
        QVERIFY(!r.errorMessage().isEmpty());
        QCOMPARE(authority_.calls, callsBefore);
        QCOMPARE(treeOf(QString::fromStdString(dir_->path())), before);
    }

    // Shell syntax in names is just part of a name: nothing is ever run.
    void shellSyntaxIsJustAName() {
        // A shell started by the service would run in this process's folder: make it ours.
        const QString previous = QDir::currentPath();
        QVERIFY(QDir::setCurrent(path("images")));
        auto restore = qScopeGuard([&] { QDir::setCurrent(previous); });
        const QString marker = path("images/pwned");
        const QString origin = path("images/o;touch pwned;$(touch pwned).img");
        {
            QFile f(origin);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QVERIFY(f.resize(4 << 20));
        }
        const QString cow = path("`touch pwned` | touch pwned.cow");
        QDBusMessage r = callHelper(QStringLiteral("CreateSnapshot"),
                                    {origin, cow, QVariant::fromValue(qulonglong(1 << 20)), 4096u, QStringLiteral("P")});
        QVERIFY2(r.type() == QDBusMessage::ReplyMessage, qPrintable(r.errorMessage()));
        QVERIFY(QFile::exists(cow));
        r = callHelper(QStringLiteral("Message"), {path("clone.meta"), QStringLiteral("enable_hydration; touch pwned"), 0u});
        QCOMPARE(detailOf(r), QStringLiteral("bad-argument"));
        QVERIFY(!QFile::exists(marker));
        r = callHelper(QStringLiteral("Remove"), {cow});
        QVERIFY2(r.type() == QDBusMessage::ReplyMessage, qPrintable(r.errorMessage()));
        r = callHelper(QStringLiteral("Remove"), {origin});
        QVERIFY2(r.type() == QDBusMessage::ReplyMessage, qPrintable(r.errorMessage()));
        QVERIFY(!QFile::exists(marker));
    }

    // Allowed requests that change something: remove drops the device, files stay.
    void allowedRemove() {
        const QDBusMessage r = callHelper(QStringLiteral("Remove"), {path("clone.meta")});
        QVERIFY2(r.type() == QDBusMessage::ReplyMessage, qPrintable(r.errorMessage()));
        QVERIFY(QFile::exists(path("clone.meta")));
        QCOMPARE(listDevices().size(), 2);
    }

    // No authority on the bus: refused, never allowed by default.
    void polkitUnreachable() {
        QDBusConnection authorityBus(QStringLiteral("authority"));
        QVERIFY(authorityBus.unregisterService(QStringLiteral("org.freedesktop.PolicyKit1")));
        const QDBusMessage r = callHelper(QStringLiteral("Status"), {path("snap.cow")});
        QVERIFY(authorityBus.registerService(QStringLiteral("org.freedesktop.PolicyKit1")));
        QCOMPARE(r.errorName(), notAuthorizedErrorName());
        QVERIFY2(r.errorMessage().contains(QLatin1String("polkit could not be asked")), qPrintable(r.errorMessage()));
    }

    // The real executable, started by the bus on the first call (D-Bus activation), asking the
    // same fake authority, and gone again after its idle timeout.
    void activatedExecutable() {
        QVERIFY(QDBusConnection(QStringLiteral("service")).unregisterService(QString::fromLatin1(kServiceName)));
        QFile service(path("services/io.github.loopsnap.Helper.service"));
        QVERIFY(service.open(QIODevice::WriteOnly));
        service.write(QStringLiteral("[D-BUS Service]\nName=%1\nExec=%2 --idle-timeout 2 --state-dir %3\n")
                          .arg(QLatin1String(kServiceName), QStringLiteral(LOOPSNAP_HELPER_BIN), path("state2"))
                          .toUtf8());
        service.close();
        QDBusMessage reload = QDBusMessage::createMethodCall(QStringLiteral("org.freedesktop.DBus"), QStringLiteral("/org/freedesktop/DBus"),
                                                             QStringLiteral("org.freedesktop.DBus"), QStringLiteral("ReloadConfig"));
        QCOMPARE(client().call(reload).type(), QDBusMessage::ReplyMessage);

        authority_.allow = false;
        int calls = authority_.calls;
        QDBusMessage r = callHelper(QStringLiteral("Status"), {path("snap.cow")});
        QCOMPARE(r.errorName(), notAuthorizedErrorName());
        QCOMPARE(authority_.calls, calls + 1);
        QCOMPARE(authority_.subjectName, client().baseService());
        QVERIFY(!QFile::exists(path("state2")));  // refused before any engine was opened

        authority_.allow = true;
        r = callHelper(QStringLiteral("Status"), {QStringLiteral("relative.cow")});
        QCOMPARE(r.errorName(), errorName(ErrorCode::InvalidArgument));
        QCOMPARE(detailOf(r), QStringLiteral("relative-path"));
        r = callHelper(QStringLiteral("List"), {});
        if (r.type() == QDBusMessage::ErrorMessage) {
            // No device-mapper here (or not root): the kernel backend says so.
            QVERIFY2(r.errorName() == errorName(ErrorCode::Unsupported) || r.errorName() == errorName(ErrorCode::IOError) ||
                         r.errorName() == errorName(ErrorCode::Aborted),
                     qPrintable(r.errorName() + QLatin1Char(' ') + r.errorMessage()));
            QVERIFY(!r.errorMessage().isEmpty());
        } else {
            QCOMPARE(r.signature(), QStringLiteral("aa{sv}"));
        }
        QVERIFY(client().interface()->isServiceRegistered(QString::fromLatin1(kServiceName)));
        QTRY_VERIFY_WITH_TIMEOUT(!client().interface()->isServiceRegistered(QString::fromLatin1(kServiceName)).value(), 15000);
    }
};

QTEST_GUILESS_MAIN(TestHelper)
#include "tst_helper.moc"
