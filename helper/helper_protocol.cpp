#include "helper/helper_protocol.h"

#include <array>

namespace loopsnap::helper {

namespace {

constexpr std::array kCodes = {ErrorCode::Corruption, ErrorCode::IOError,     ErrorCode::NoSpace,
                               ErrorCode::Busy,       ErrorCode::InvalidArgument, ErrorCode::NotFound,
                               ErrorCode::Unsupported, ErrorCode::Aborted,    ErrorCode::Invalidated};

constexpr std::array kStates = {DeviceState::Valid,    DeviceState::Invalid,   DeviceState::Overflow,
                                DeviceState::Merging,  DeviceState::MergeFailed, DeviceState::Hydrating,
                                DeviceState::Hydrated, DeviceState::Failed,    DeviceState::Missing};

QString q(const std::string& s) { return QString::fromStdString(s); }
std::string s(const QVariantMap& m, const char* key) { return m.value(QLatin1String(key)).toString().toStdString(); }
uint64_t t(const QVariantMap& m, const char* key) { return m.value(QLatin1String(key)).toULongLong(); }
bool b(const QVariantMap& m, const char* key) { return m.value(QLatin1String(key)).toBool(); }

void putProblem(QVariantMap& m, const std::optional<Error>& problem) {
    if (!problem) return;
    m.insert(QStringLiteral("problemCode"), QString::fromLatin1(errorCodeName(problem->code)));
    m.insert(QStringLiteral("problemMessage"), q(problem->message));
    m.insert(QStringLiteral("problemDetail"), q(problem->detail));
    m.insert(QStringLiteral("problemSubject"), q(problem->subject));
}

ErrorCode codeFromName(const QString& name, ErrorCode fallback) {
    for (ErrorCode c : kCodes)
        if (name == QLatin1String(errorCodeName(c))) return c;
    return fallback;
}

std::optional<Error> takeProblem(const QVariantMap& m) {
    if (!m.contains(QStringLiteral("problemCode"))) return std::nullopt;
    return Error{codeFromName(m.value(QStringLiteral("problemCode")).toString(), ErrorCode::IOError), s(m, "problemMessage"),
                 s(m, "problemSubject"), s(m, "problemDetail")};
}

Result<DeviceState> stateFrom(const QVariantMap& m) {
    const QString name = m.value(QStringLiteral("state")).toString();
    for (DeviceState st : kStates)
        if (name == QLatin1String(deviceStateName(st))) return st;
    return makeError(ErrorCode::Corruption, "the helper sent an unknown state '" + name.toStdString() + "'", "", "bad-reply");
}

Result<BackendKind> backendFrom(const QVariantMap& m) {
    auto k = parseBackendKind(s(m, "backend"));
    if (!k.ok()) return makeError(ErrorCode::Corruption, "the helper sent an unknown backend", "", "bad-reply");
    return k;
}

Status expectKind(const QVariantMap& m, const char* kind) {
    if (kindOf(m) != QLatin1String(kind))
        return makeError(ErrorCode::Corruption, std::string("the helper's reply is not a ") + kind, "", "bad-reply");
    return {};
}

}  // namespace

QString errorName(ErrorCode code) { return QString::fromLatin1(kErrorPrefix) + QString::fromLatin1(errorCodeName(code)); }

QDBusMessage errorReply(const QDBusMessage& call, const QString& name, const Error& error) {
    QDBusMessage reply = call.createErrorReply(name, q(error.message));
    reply << q(error.detail) << q(error.subject);
    return reply;
}

Error errorFromReply(const QDBusMessage& reply, bool* authorizationRefused) {
    const QString name = reply.errorName();
    const QVariantList args = reply.arguments();
    const std::string message = args.value(0).toString().toStdString();
    if (authorizationRefused) *authorizationRefused = name == notAuthorizedErrorName();
    if (name.startsWith(QLatin1String(kErrorPrefix))) {
        const QString codeName = name.mid(int(qstrlen(kErrorPrefix)));
        const ErrorCode code = codeName == QLatin1String("NotAuthorized") ? ErrorCode::Aborted : codeFromName(codeName, ErrorCode::IOError);
        return Error{code, message, args.value(2).toString().toStdString(), args.value(1).toString().toStdString()};
    }
    if (name == QLatin1String("org.freedesktop.DBus.Error.ServiceUnknown") || name == QLatin1String("org.freedesktop.DBus.Error.NoServer") ||
        name == QLatin1String("org.freedesktop.DBus.Error.Spawn.ExecFailed") || name == QLatin1String("org.freedesktop.DBus.Error.Disconnected"))
        return Error{ErrorCode::Unsupported, "loopsnap-helper is not available: " + message, "", "helper-unavailable"};
    return Error{ErrorCode::IOError, name.toStdString() + ": " + message, "", "helper-error"};
}

QString kindOf(const QVariantMap& map) { return map.value(QStringLiteral("kind")).toString(); }

QVariantMap toVariantMap(const OriginInfo& i) {
    QVariantMap m;
    m.insert(QStringLiteral("kind"), QStringLiteral("origin"));
    m.insert(QStringLiteral("id"), q(i.id));
    m.insert(QStringLiteral("path"), q(i.path));
    m.insert(QStringLiteral("sizeBytes"), qulonglong(i.sizeBytes));
    m.insert(QStringLiteral("backend"), QString::fromLatin1(backendKindName(i.backend)));
    m.insert(QStringLiteral("state"), QString::fromLatin1(deviceStateName(i.state)));
    QStringList ids;
    for (const auto& id : i.snapshotIds) ids << q(id);
    m.insert(QStringLiteral("snapshotIds"), ids);
    m.insert(QStringLiteral("open"), i.open);
    putProblem(m, i.problem);
    return m;
}

QVariantMap toVariantMap(const SnapshotInfo& i) {
    QVariantMap m;
    m.insert(QStringLiteral("kind"), QStringLiteral("snapshot"));
    m.insert(QStringLiteral("id"), q(i.id));
    m.insert(QStringLiteral("originId"), q(i.originId));
    m.insert(QStringLiteral("cowPath"), q(i.cowPath));
    m.insert(QStringLiteral("store"), q(i.store));
    m.insert(QStringLiteral("chunkBytes"), uint(i.chunkBytes));
    m.insert(QStringLiteral("sizeBytes"), qulonglong(i.sizeBytes));
    m.insert(QStringLiteral("backend"), QString::fromLatin1(backendKindName(i.backend)));
    m.insert(QStringLiteral("state"), QString::fromLatin1(deviceStateName(i.state)));
    m.insert(QStringLiteral("status"), q(i.status));
    m.insert(QStringLiteral("allocatedSectors"), qulonglong(i.allocatedSectors));
    m.insert(QStringLiteral("totalSectors"), qulonglong(i.totalSectors));
    m.insert(QStringLiteral("metadataSectors"), qulonglong(i.metadataSectors));
    m.insert(QStringLiteral("exceptions"), qulonglong(i.exceptions));
    m.insert(QStringLiteral("mergeRunning"), i.mergeRunning);
    m.insert(QStringLiteral("open"), i.open);
    putProblem(m, i.problem);
    return m;
}

QVariantMap toVariantMap(const CloneInfo& i) {
    QVariantMap m;
    m.insert(QStringLiteral("kind"), QStringLiteral("clone"));
    m.insert(QStringLiteral("id"), q(i.id));
    m.insert(QStringLiteral("metaPath"), q(i.metaPath));
    m.insert(QStringLiteral("source"), q(i.source));
    m.insert(QStringLiteral("dest"), q(i.dest));
    m.insert(QStringLiteral("backend"), QString::fromLatin1(backendKindName(i.backend)));
    m.insert(QStringLiteral("state"), QString::fromLatin1(deviceStateName(i.state)));
    m.insert(QStringLiteral("status"), q(i.status));
    m.insert(QStringLiteral("sizeBytes"), qulonglong(i.sizeBytes));
    m.insert(QStringLiteral("regionBytes"), qulonglong(i.regionBytes));
    m.insert(QStringLiteral("hydratedRegions"), qulonglong(i.hydratedRegions));
    m.insert(QStringLiteral("totalRegions"), qulonglong(i.totalRegions));
    m.insert(QStringLiteral("hydratingRegions"), qulonglong(i.hydratingRegions));
    m.insert(QStringLiteral("hydrationEnabled"), i.hydrationEnabled);
    m.insert(QStringLiteral("hydrationThreshold"), uint(i.hydrationThreshold));
    m.insert(QStringLiteral("hydrationBatchSize"), uint(i.hydrationBatchSize));
    m.insert(QStringLiteral("open"), i.open);
    putProblem(m, i.problem);
    return m;
}

Result<OriginInfo> originFromMap(const QVariantMap& m) {
    LS_TRY(expectKind(m, "origin"));
    OriginInfo i;
    i.id = s(m, "id");
    i.path = s(m, "path");
    i.sizeBytes = t(m, "sizeBytes");
    LS_ASSIGN(i.backend, backendFrom(m));
    LS_ASSIGN(i.state, stateFrom(m));
    for (const QString& id : m.value(QStringLiteral("snapshotIds")).toStringList()) i.snapshotIds.push_back(id.toStdString());
    i.open = b(m, "open");
    i.problem = takeProblem(m);
    return i;
}

Result<SnapshotInfo> snapshotFromMap(const QVariantMap& m) {
    LS_TRY(expectKind(m, "snapshot"));
    SnapshotInfo i;
    i.id = s(m, "id");
    i.originId = s(m, "originId");
    i.cowPath = s(m, "cowPath");
    i.store = s(m, "store");
    i.chunkBytes = uint32_t(t(m, "chunkBytes"));
    i.sizeBytes = t(m, "sizeBytes");
    LS_ASSIGN(i.backend, backendFrom(m));
    LS_ASSIGN(i.state, stateFrom(m));
    i.status = s(m, "status");
    i.allocatedSectors = t(m, "allocatedSectors");
    i.totalSectors = t(m, "totalSectors");
    i.metadataSectors = t(m, "metadataSectors");
    i.exceptions = t(m, "exceptions");
    i.mergeRunning = b(m, "mergeRunning");
    i.open = b(m, "open");
    i.problem = takeProblem(m);
    return i;
}

Result<CloneInfo> cloneFromMap(const QVariantMap& m) {
    LS_TRY(expectKind(m, "clone"));
    CloneInfo i;
    i.id = s(m, "id");
    i.metaPath = s(m, "metaPath");
    i.source = s(m, "source");
    i.dest = s(m, "dest");
    LS_ASSIGN(i.backend, backendFrom(m));
    LS_ASSIGN(i.state, stateFrom(m));
    i.status = s(m, "status");
    i.sizeBytes = t(m, "sizeBytes");
    i.regionBytes = t(m, "regionBytes");
    i.hydratedRegions = t(m, "hydratedRegions");
    i.totalRegions = t(m, "totalRegions");
    i.hydratingRegions = t(m, "hydratingRegions");
    i.hydrationEnabled = b(m, "hydrationEnabled");
    i.hydrationThreshold = uint32_t(t(m, "hydrationThreshold"));
    i.hydrationBatchSize = uint32_t(t(m, "hydrationBatchSize"));
    i.open = b(m, "open");
    i.problem = takeProblem(m);
    return i;
}

}  // namespace loopsnap::helper
