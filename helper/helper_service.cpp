#include "helper/helper_service.h"

#include <sys/stat.h>

#include <array>
#include <filesystem>

#include <QCoreApplication>
#include <QDBusArgument>
#include <QDBusConnectionInterface>
#include <QDBusMetaType>
#include <QDBusPendingCallWatcher>
#include <QDBusVariant>

#include "helper/helper_protocol.h"
#include "helper/request_validation.h"

#if LOOPSNAP_HAVE_DEVMAPPER
#include "core/backend/backend.h"
#include "core/linux/devmapper.h"
#include "core/linux/kernel_backend.h"
#endif

namespace loopsnap::helper {

namespace {

std::string str(const QVariant& v) { return v.toString().toStdString(); }

Error notManaged(const std::string& path) {
    return makeError(ErrorCode::NotFound, path + " is not one of your devices in loopsnap-helper", path, "not-managed");
}

// Arguments are validated before the engine is opened (open() creates it on first use).
struct Request {
    std::function<Result<Engine*>()> open;
    QVariantList args;
    uint32_t uid;
    const HelperOptions& options;
};

Result<std::string> idOf(Engine& engine, const std::string& path) {
    auto id = engine.idForPath(path);
    if (!id) return notManaged(path);
    return *id;
}

Result<QVariantMap> describe(Engine& engine, const std::string& id) {
    if (auto s = engine.snapshot(id); s.ok()) return toVariantMap(s.value());
    if (auto c = engine.clone(id); c.ok()) return toVariantMap(c.value());
    LS_ASSIGN(OriginInfo o, engine.origin(id));
    return toVariantMap(o);
}

Status refuseMountedNodes(const Request& r, const std::string& role, const std::string& path) {
    if (!r.options.deviceNodes) return {};
    for (const auto& node : r.options.deviceNodes(r.uid, role, path)) {
        struct stat st{};
        if (::stat(node.c_str(), &st) != 0) continue;  // not up: nothing mounted on it
        LS_TRY(refuseMounted(node));
    }
    return {};
}

std::optional<JobInfo> hydrationJob(Engine& engine, const std::string& cloneId) {
    for (const auto& j : engine.jobs())
        if (j.kind == JobKind::Hydration && j.subjectId == cloneId && !jobStateFinal(j.state)) return j;
    return std::nullopt;
}

// ---- the typed requests ----

Result<QVariantList> createSnapshot(Request& r) {
    const uint64_t cowSize = r.args[2].toULongLong();
    const uint32_t chunk = r.args[3].toUInt();
    const std::string store = str(r.args[4]);
    LS_TRY(validateSnapshotRequest(cowSize, chunk, store));
    LS_ASSIGN(std::string origin, validatePath(str(r.args[0]), PathUse::WriteExisting));
    LS_ASSIGN(std::string cow, validatePath(str(r.args[1]), PathUse::Create));
    if (cow == origin) return makeError(ErrorCode::InvalidArgument, "the store cannot be the origin itself", cow, "same-path");
    LS_ASSIGN(Engine* e, r.open());
    CreateSnapshotRequest rq{origin, cow, cowSize, chunk, store};
    LS_ASSIGN(SnapshotInfo created, e->createSnapshot(rq));
    LS_TRY(e->openDevice(created.id));  // the kernel's devices come up
    LS_ASSIGN(SnapshotInfo info, e->snapshot(created.id));
    return QVariantList{toVariantMap(info)};
}

Result<QVariantList> createClone(Request& r) {
    const uint64_t region = r.args[3].toULongLong();
    LS_TRY(validateCloneRequest(region));
    LS_ASSIGN(std::string source, validatePath(str(r.args[0]), PathUse::ReadSource));
    LS_ASSIGN(std::string dest, validatePath(str(r.args[1]), PathUse::Overwrite));
    LS_ASSIGN(std::string meta, validatePath(str(r.args[2]), PathUse::CreateNew));
    if (dest == source || meta == source || meta == dest)
        return makeError(ErrorCode::InvalidArgument, "source, destination and metadata must be three different paths", dest, "same-path");
    LS_ASSIGN(Engine* e, r.open());
    CreateCloneRequest rq{source, dest, meta, region};
    LS_ASSIGN(CloneInfo created, e->createClone(rq));
    LS_TRY(e->openDevice(created.id));
    LS_ASSIGN(CloneInfo info, e->clone(created.id));
    return QVariantList{toVariantMap(info)};
}

Result<QVariantList> merge(Request& r) {
    LS_ASSIGN(std::string cow, validatePath(str(r.args[0]), PathUse::Lookup));
    LS_ASSIGN(Engine* e, r.open());
    LS_ASSIGN(std::string id, idOf(*e, cow));
    auto snap = e->snapshot(id);
    if (!snap.ok()) return makeError(ErrorCode::InvalidArgument, cow + " is not a snapshot store", cow, "not-a-snapshot");
    LS_ASSIGN(OriginInfo origin, e->origin(snap->originId));
    // The merge writes the origin: nothing mounted on it (or on the snapshot) is overwritten.
    LS_TRY(refuseMounted(origin.path));
    LS_TRY(refuseMountedNodes(r, "origin", origin.path));
    LS_TRY(refuseMountedNodes(r, "snap", cow));
    LS_ASSIGN(uint64_t job, e->startMerge(id));
    return QVariantList{QVariant::fromValue(qulonglong(job))};
}

Result<QVariantList> message(Request& r) {
    const std::string name = str(r.args[1]);
    const uint32_t value = r.args[2].toUInt();
    LS_TRY(validateCloneMessage(name, value));
    LS_ASSIGN(std::string meta, validatePath(str(r.args[0]), PathUse::Lookup));
    LS_ASSIGN(Engine* e, r.open());
    LS_ASSIGN(std::string id, idOf(*e, meta));
    auto clone = e->clone(id);
    if (!clone.ok()) return makeError(ErrorCode::InvalidArgument, meta + " is not clone metadata", meta, "not-a-clone");
    HydrationTuning tuning{clone->hydrationThreshold ? clone->hydrationThreshold : 1, clone->hydrationBatchSize ? clone->hydrationBatchSize : 1};
    const auto running = hydrationJob(*e, id);
    if (name == "enable_hydration") {
        if (!running) LS_TRY(e->startHydration(id, tuning));
    } else if (name == "disable_hydration") {
        if (running) LS_TRY(e->cancelJob(running->id));
    } else {
        (name == "hydration_threshold" ? tuning.threshold : tuning.batchSize) = value;
        LS_TRY(e->tuneHydration(id, tuning));
    }
    LS_ASSIGN(CloneInfo info, e->clone(id));
    return QVariantList{toVariantMap(info)};
}

Result<QVariantList> remove(Request& r) {
    LS_ASSIGN(std::string path, validatePath(str(r.args[0]), PathUse::Lookup));
    LS_ASSIGN(Engine* e, r.open());
    LS_ASSIGN(std::string id, idOf(*e, path));
    LS_TRY(e->closeDevice(id));
    LS_TRY(e->forget(id));
    return QVariantList{};
}

Result<QVariantList> deleteFiles(Request& r) {
    LS_ASSIGN(std::string path, validatePath(str(r.args[0]), PathUse::Lookup));
    LS_ASSIGN(Engine* e, r.open());
    LS_ASSIGN(std::string id, idOf(*e, path));
    // Only a snapshot store or a clone the caller made here; never an origin (the user's data).
    if (!e->snapshot(id).ok() && !e->clone(id).ok())
        return makeError(ErrorCode::InvalidArgument, "an origin's files are the user's data; remove it instead", path, "origin-not-deletable");
    if (auto snap = e->snapshot(id); snap.ok()) LS_TRY(refuseMountedNodes(r, "snap", path));
    if (auto clone = e->clone(id); clone.ok()) {
        LS_TRY(refuseMounted(clone->dest));
        LS_TRY(refuseMountedNodes(r, "clone", path));
    }
    LS_TRY(e->deleteFiles(id));
    return QVariantList{};
}

Result<QVariantList> status(Request& r) {
    LS_ASSIGN(std::string path, validatePath(str(r.args[0]), PathUse::Lookup));
    LS_ASSIGN(Engine* e, r.open());
    LS_ASSIGN(std::string id, idOf(*e, path));
    LS_ASSIGN(QVariantMap info, describe(*e, id));
    return QVariantList{info};
}

Result<QVariantList> list(Request& r) {
    LS_ASSIGN(Engine* e, r.open());
    LS_TRY(e->refresh());
    QList<QVariantMap> out;
    for (const auto& o : e->origins()) out << toVariantMap(o);
    for (const auto& s : e->snapshots()) out << toVariantMap(s);
    for (const auto& c : e->clones()) out << toVariantMap(c);
    return QVariantList{QVariant::fromValue(out)};
}

}  // namespace

struct MethodSpec {
    const char* name;
    const char* signature;  // of the arguments
    const char* shown;      // for the error message: the arguments with their names
    const char* introspection;
    Result<QVariantList> (*run)(Request&);
};

namespace {

const std::array<MethodSpec, 8>& methods() {
    static const std::array<MethodSpec, 8> table{{
        {"CreateSnapshot", "sstus", "(s origin, s cow, t cowSize, u chunkBytes, s store)",
         "<arg name=\"origin\" type=\"s\" direction=\"in\"/><arg name=\"cow\" type=\"s\" direction=\"in\"/>"
         "<arg name=\"cowSize\" type=\"t\" direction=\"in\"/><arg name=\"chunkBytes\" type=\"u\" direction=\"in\"/>"
         "<arg name=\"store\" type=\"s\" direction=\"in\"/><arg name=\"snapshot\" type=\"a{sv}\" direction=\"out\"/>",
         createSnapshot},
        {"CreateClone", "ssst", "(s source, s dest, s meta, t regionBytes)",
         "<arg name=\"source\" type=\"s\" direction=\"in\"/><arg name=\"dest\" type=\"s\" direction=\"in\"/>"
         "<arg name=\"meta\" type=\"s\" direction=\"in\"/><arg name=\"regionBytes\" type=\"t\" direction=\"in\"/>"
         "<arg name=\"clone\" type=\"a{sv}\" direction=\"out\"/>",
         createClone},
        {"Merge", "s", "(s cow)",
         "<arg name=\"cow\" type=\"s\" direction=\"in\"/><arg name=\"job\" type=\"t\" direction=\"out\"/>", merge},
        {"Message", "ssu", "(s meta, s name, u value)",
         "<arg name=\"meta\" type=\"s\" direction=\"in\"/><arg name=\"name\" type=\"s\" direction=\"in\"/>"
         "<arg name=\"value\" type=\"u\" direction=\"in\"/><arg name=\"clone\" type=\"a{sv}\" direction=\"out\"/>",
         message},
        {"Remove", "s", "(s path)", "<arg name=\"path\" type=\"s\" direction=\"in\"/>", remove},
        {"Delete", "s", "(s path)", "<arg name=\"path\" type=\"s\" direction=\"in\"/>", deleteFiles},
        {"Status", "s", "(s path)",
         "<arg name=\"path\" type=\"s\" direction=\"in\"/><arg name=\"device\" type=\"a{sv}\" direction=\"out\"/>", status},
        {"List", "", "()", "<arg name=\"devices\" type=\"aa{sv}\" direction=\"out\"/>", list},
    }};
    return table;
}

Status ensurePrivateDir(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return makeError(ErrorCode::IOError, "cannot create " + dir + ": " + ec.message(), dir, "unwritable");
    ::chmod(dir.c_str(), 0700);
    return {};
}

}  // namespace

Result<std::unique_ptr<Engine>> makeEngineForKernel(uint32_t uid, const std::string& workspaceDir) {
#if LOOPSNAP_HAVE_DEVMAPPER
    LS_TRY(dm::checkSupport());
    EngineOptions options;
    options.workspaceDir = workspaceDir;
    options.backend = BackendKind::Kernel;
    options.backendInstance = makeKernelBackend({}, "u" + std::to_string(uid));
    return Engine::open(std::move(options));
#else
    return makeError(ErrorCode::Unsupported, "this build has no kernel backend (libdevmapper was not found)", "kernel",
                     "backend-unavailable");
#endif
}

HelperService::HelperService(QDBusConnection connection, HelperOptions options, QObject* parent)
    : QDBusVirtualObject(parent), connection_(std::move(connection)), options_(std::move(options)) {
    qDBusRegisterMetaType<QList<QVariantMap>>();
    worker_.setMaxThreadCount(1);
    worker_.setExpiryTimeout(-1);
    if (!options_.engineFactory) options_.engineFactory = makeEngineForKernel;
#if LOOPSNAP_HAVE_DEVMAPPER
    if (!options_.deviceNodes)
        options_.deviceNodes = [](uint32_t uid, const std::string& role, const std::string& path) {
            std::vector<std::string> nodes;
            if (auto name = kernelDeviceName("u" + std::to_string(uid), role, path); name.ok()) nodes.push_back("/dev/mapper/" + name.value());
            return nodes;
        };
#endif
    idleTimer_.setSingleShot(true);
    idleTimer_.setInterval(options_.idleTimeoutMs);
    connect(&idleTimer_, &QTimer::timeout, this, &HelperService::checkIdle);
    idleTimer_.start();
}

HelperService::~HelperService() { worker_.waitForDone(); }

bool HelperService::registerOn(QString* error) {
    if (!connection_.registerVirtualObject(QString::fromLatin1(kObjectPath), this)) {
        if (error) *error = QStringLiteral("cannot register %1: %2").arg(QLatin1String(kObjectPath), connection_.lastError().message());
        return false;
    }
    if (!connection_.registerService(QString::fromLatin1(kServiceName))) {
        if (error) *error = QStringLiteral("cannot own %1: %2").arg(QLatin1String(kServiceName), connection_.lastError().message());
        return false;
    }
    return true;
}

QString HelperService::introspect(const QString&) const {
    QString xml = QStringLiteral("<interface name=\"%1\">").arg(QLatin1String(kInterface));
    for (const auto& m : methods())
        xml += QStringLiteral("<method name=\"%1\">%2</method>").arg(QLatin1String(m.name), QLatin1String(m.introspection));
    return xml + QStringLiteral("</interface>");
}

bool HelperService::handleMessage(const QDBusMessage& message, const QDBusConnection&) {
    if (message.type() != QDBusMessage::MethodCallMessage) return false;
    if (!message.interface().isEmpty() && message.interface() != QLatin1String(kInterface)) return false;
    const MethodSpec* method = nullptr;
    for (const auto& m : methods())
        if (message.member() == QLatin1String(m.name)) method = &m;
    if (!method) {
        connection_.send(message.createErrorReply(QDBusError::UnknownMethod,
                                                  QStringLiteral("loopsnap-helper has no method %1").arg(message.member())));
        return true;
    }
    if (message.signature() != QLatin1String(method->signature)) {
        connection_.send(message.createErrorReply(
            QDBusError::InvalidArgs, QStringLiteral("%1 takes %2 (signature '%3'), not signature '%4'")
                                         .arg(QLatin1String(method->name), QLatin1String(method->shown),
                                              QLatin1String(method->signature), message.signature())));
        return true;
    }
    ++inFlight_;
    idleTimer_.stop();

    // CheckAuthorization((sa{sv}) subject, s action, a{ss} details, u flags, s cancellation id)
    QDBusMessage check = QDBusMessage::createMethodCall(options_.polkitService, QStringLiteral("/org/freedesktop/PolicyKit1/Authority"),
                                                        QStringLiteral("org.freedesktop.PolicyKit1.Authority"),
                                                        QStringLiteral("CheckAuthorization"));
    QDBusArgument subject;
    subject.beginStructure();
    subject << QStringLiteral("system-bus-name");
    subject.beginMap(QMetaType::fromType<QString>(), QMetaType::fromType<QDBusVariant>());
    subject.beginMapEntry();
    subject << QStringLiteral("name") << QDBusVariant(message.service());
    subject.endMapEntry();
    subject.endMap();
    subject.endStructure();
    QDBusArgument details;
    details.beginMap(QMetaType::fromType<QString>(), QMetaType::fromType<QString>());
    details.endMap();
    const uint allowUserInteraction = message.isInteractiveAuthorizationAllowed() ? 1u : 0u;
    check << QVariant::fromValue(subject) << QString::fromLatin1(kPolkitAction) << QVariant::fromValue(details)
          << QVariant::fromValue(allowUserInteraction) << QString();
    auto* watcher = new QDBusPendingCallWatcher(connection_.asyncCall(check, options_.polkitTimeoutMs), this);
    const QDBusMessage call = message;
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this, call, method, watcher] {
        watcher->deleteLater();
        const QDBusMessage reply = watcher->reply();
        bool authorized = false, challenge = false;
        QString why;
        if (reply.type() == QDBusMessage::ReplyMessage && reply.signature() == QLatin1String("(bba{ss})")) {
            const QDBusArgument result = reply.arguments().at(0).value<QDBusArgument>();
            QMap<QString, QString> resultDetails;
            result.beginStructure();
            result >> authorized >> challenge >> resultDetails;
            result.endStructure();
            why = challenge ? QStringLiteral("authentication is required (call with interactive authorization allowed)")
                            : QStringLiteral("polkit refused %1").arg(QLatin1String(kPolkitAction));
        } else if (reply.type() == QDBusMessage::ErrorMessage) {
            why = QStringLiteral("polkit could not be asked (%1: %2)").arg(reply.errorName(), reply.errorMessage());
        } else {
            why = QStringLiteral("polkit sent a reply of signature '%1'").arg(reply.signature());
        }
        if (!authorized) {
            connection_.send(errorReply(call, notAuthorizedErrorName(),
                                        makeError(ErrorCode::Aborted, "not authorised: " + why.toStdString(), "", challenge ? "auth-required" : "not-authorized")));
            finish();
            return;
        }
        authorised(call, *method);
    });
    return true;
}

void HelperService::authorised(const QDBusMessage& call, const MethodSpec& method) {
    // The bus daemon knows the caller's user; the engine of that user runs the request.
    QDBusReply<uint> uid = connection_.interface()->serviceUid(call.service());
    if (!uid.isValid()) {
        connection_.send(errorReply(call, errorName(ErrorCode::Aborted),
                                    makeError(ErrorCode::Aborted, "the caller left the bus: " + uid.error().message().toStdString(), "", "caller-gone")));
        finish();
        return;
    }
    const uint32_t user = uid.value();
    worker_.start([this, call, run = method.run, user] {
        Request request{[this, user] { return engineFor(user); }, call.arguments(), user, options_};
        auto result = run(request);
        connection_.send(result.ok() ? call.createReply(result.value()) : errorReply(call, errorName(result.error().code), result.error()));
        QMetaObject::invokeMethod(this, &HelperService::finish, Qt::QueuedConnection);
    });
}

Result<Engine*> HelperService::engineFor(uint32_t uid) {
    std::lock_guard lock(engineMutex_);
    auto it = engines_.find(uid);
    if (it != engines_.end()) return it->second.get();
    const std::string dir = options_.stateDir + "/" + std::to_string(uid);
    LS_TRY(ensurePrivateDir(options_.stateDir));
    LS_TRY(ensurePrivateDir(dir));
    LS_ASSIGN(std::unique_ptr<Engine> engine, options_.engineFactory(uid, dir));
    Engine* raw = engine.get();
    engines_.emplace(uid, std::move(engine));
    return raw;
}

void HelperService::finish() {
    if (--inFlight_ == 0) idleTimer_.start();
}

bool HelperService::jobsRunning() {
    std::lock_guard lock(engineMutex_);
    for (auto& [uid, engine] : engines_)
        for (const auto& j : engine->jobs())
            if (!jobStateFinal(j.state)) return true;
    return false;
}

void HelperService::checkIdle() {
    if (inFlight_.load() > 0) return;  // finish() restarts the timer
    if (jobsRunning()) {
        idleTimer_.start();
        return;
    }
    // The kernel's devices stay up: leak the engines rather than let their destructors close them.
    {
        std::lock_guard lock(engineMutex_);
        for (auto& [uid, engine] : engines_) (void)engine.release();
        engines_.clear();
    }
    emit idle();
}

}  // namespace loopsnap::helper
