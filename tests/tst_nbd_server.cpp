// The NBD server against a hand-written client on its unix socket: the handshake and options,
// every command, FUA reaching the device, error mapping, and hostile or vanishing clients.
#include <QtTest>

#include <condition_variable>

#include <set>

#include <map>

#include <random>

#include <numeric>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <thread>

#include "core/export/nbd_protocol.h"
#include "core/export/nbd_server.h"
#include "core/util/errno_map.h"
#include "core/io/fault_device.h"
#include "core/io/memory_device.h"
#include "core/io/volatile_cache_device.h"
#include "core/posix/file_device.h"
#include "support/test_support.h"

using namespace loopsnap;
using namespace loopsnap::test;
using namespace loopsnap::nbd;

namespace {

// Records what reaches the device (kind, range, fua) and forwards to a MemoryDevice.
class RecordingWrapper final : public BlockDevice {
public:
    struct Op {
        char kind;  // 'W' write, 'F' flush, 'D' discard, 'Z' write zeroes
        uint64_t offset, length;
        bool fua;
    };
    explicit RecordingWrapper(uint64_t size) : inner_(std::make_shared<MemoryDevice>(size)) {}
    uint64_t size() const override { return inner_->size(); }
    Status read(uint64_t o, std::span<std::byte> out) override { return inner_->read(o, out); }
    Status write(uint64_t o, std::span<const std::byte> d, WriteFlags f) override {
        add({'W', o, d.size(), f.fua});
        return inner_->write(o, d, f);
    }
    Status flush() override {
        add({'F', 0, 0, false});
        return inner_->flush();
    }
    Status discard(uint64_t o, uint64_t l) override {
        add({'D', o, l, false});
        return inner_->writeZeroes(o, l);
    }
    Status writeZeroes(uint64_t o, uint64_t l, WriteFlags f) override {
        add({'Z', o, l, f.fua});
        return inner_->writeZeroes(o, l, f);
    }
    std::string describe() const override { return "recording-wrapper"; }
    std::vector<Op> ops() {
        std::lock_guard l(m_);
        return ops_;
    }
    void clear() {
        std::lock_guard l(m_);
        ops_.clear();
    }
    MemoryDevice& inner() { return *inner_; }

private:
    void add(Op op) {
        std::lock_guard l(m_);
        ops_.push_back(op);
    }
    std::shared_ptr<MemoryDevice> inner_;
    std::mutex m_;
    std::vector<Op> ops_;
};

void be16(std::vector<uint8_t>& v, uint16_t x) { v.push_back(x >> 8), v.push_back(uint8_t(x)); }
void be32(std::vector<uint8_t>& v, uint32_t x) {
    for (int i = 3; i >= 0; --i) v.push_back(uint8_t(x >> (8 * i)));
}
void be64(std::vector<uint8_t>& v, uint64_t x) { be32(v, uint32_t(x >> 32)), be32(v, uint32_t(x)); }
uint16_t rd16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t rd32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
uint64_t rd64(const uint8_t* p) { return uint64_t(rd32(p)) << 32 | rd32(p + 4); }

// A deliberately small, blocking NBD client written from the protocol document.
class Client {
public:
    struct OptReply {
        uint32_t option = 0, type = 0;
        std::vector<uint8_t> data;
    };
    struct Reply {
        uint32_t error = ~0u;
        uint64_t cookie = 0;
        std::vector<uint8_t> data;
    };

    ~Client() { close(); }
    bool connectUnix(const std::string& path) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
        timeval tv{5, 0};  // no test may hang on a silent server
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        return ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    bool connectTcp(uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        timeval tv{5, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        return ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    bool send(const std::vector<uint8_t>& v) { return sendRaw(v.data(), v.size()); }
    bool sendRaw(const void* p, size_t n) { return ::send(fd_, p, n, MSG_NOSIGNAL) == ssize_t(n); }
    bool recv(void* p, size_t n) {
        auto* c = static_cast<uint8_t*>(p);
        while (n) {
            ssize_t r = ::recv(fd_, c, n, 0);
            if (r <= 0) return false;
            c += r, n -= size_t(r);
        }
        return true;
    }
    // True when the server closed the connection (EOF) within the timeout.
    bool closedByServer() {
        uint8_t b;
        ssize_t r = ::recv(fd_, &b, 1, 0);
        return r == 0 || (r < 0 && errno == ECONNRESET);
    }

    // Reads the greeting; returns the handshake flags (or -1).
    int greeting() {
        uint8_t g[18];
        if (!recv(g, 18)) return -1;
        if (rd64(g) != kNbdMagic || rd64(g + 8) != kIHaveOpt) return -1;
        return rd16(g + 16);
    }
    bool handshake(uint32_t clientFlags = kClientFlagFixedNewstyle | kClientFlagNoZeroes) {
        if (greeting() < 0) return false;
        std::vector<uint8_t> v;
        be32(v, clientFlags);
        return send(v);
    }
    bool sendOption(uint32_t option, const std::vector<uint8_t>& data) {
        std::vector<uint8_t> v;
        be64(v, kIHaveOpt);
        be32(v, option);
        be32(v, uint32_t(data.size()));
        v.insert(v.end(), data.begin(), data.end());
        return send(v);
    }
    bool readOptReply(OptReply& r) {
        uint8_t h[20];
        if (!recv(h, 20) || rd64(h) != kOptReplyMagic) return false;
        r.option = rd32(h + 8);
        r.type = rd32(h + 12);
        r.data.resize(rd32(h + 16));
        return r.data.empty() || recv(r.data.data(), r.data.size());
    }
    // Sends INFO/GO and collects replies up to the final ACK or error.
    std::vector<OptReply> infoOrGo(uint32_t option, const std::string& name, std::vector<uint16_t> requests = {}) {
        std::vector<uint8_t> d;
        be32(d, uint32_t(name.size()));
        d.insert(d.end(), name.begin(), name.end());
        be16(d, uint16_t(requests.size()));
        for (auto q : requests) be16(d, q);
        std::vector<OptReply> out;
        if (!sendOption(option, d)) return out;
        for (;;) {
            OptReply r;
            if (!readOptReply(r)) break;
            out.push_back(r);
            if (r.type != kRepInfo) break;
        }
        return out;
    }
    bool go(const std::string& name, uint64_t* size = nullptr, uint16_t* flags = nullptr) {
        auto rs = infoOrGo(kOptGo, name);
        if (rs.empty() || rs.back().type != kRepAck) return false;
        for (auto& r : rs)
            if (r.type == kRepInfo && rd16(r.data.data()) == kInfoExport) {
                if (size) *size = rd64(r.data.data() + 2);
                if (flags) *flags = rd16(r.data.data() + 10);
            }
        return true;
    }
    bool sendRequest(uint16_t type, uint16_t flags, uint64_t offset, uint32_t length, const void* payload = nullptr,
                     size_t payloadLen = 0) {
        std::vector<uint8_t> v;
        be32(v, kRequestMagic);
        be16(v, flags);
        be16(v, type);
        be64(v, ++cookie_);
        be64(v, offset);
        be32(v, length);
        if (payloadLen) v.insert(v.end(), static_cast<const uint8_t*>(payload), static_cast<const uint8_t*>(payload) + payloadLen);
        return send(v);
    }
    bool readReply(Reply& r, size_t readLength = 0) {
        uint8_t h[16];
        if (!recv(h, 16) || rd32(h) != kSimpleReplyMagic) return false;
        r.error = rd32(h + 4);
        r.cookie = rd64(h + 8);
        if (r.error == 0 && readLength) {
            r.data.resize(readLength);
            return recv(r.data.data(), readLength);
        }
        return true;
    }
    // One command, one reply; returns the NBD error (or ~0u if the connection failed).
    uint32_t command(uint16_t type, uint16_t flags, uint64_t offset, uint32_t length,
                     const std::vector<std::byte>* payload = nullptr, std::vector<std::byte>* out = nullptr) {
        if (!sendRequest(type, flags, offset, length, payload ? payload->data() : nullptr, payload ? payload->size() : 0))
            return ~0u;
        Reply r;
        if (!readReply(r, type == kCmdRead ? length : 0) || r.cookie != cookie_) return ~0u;
        if (out) {
            out->resize(r.data.size());
            if (!r.data.empty()) std::memcpy(out->data(), r.data.data(), r.data.size());
        }
        return r.error;
    }
    uint32_t write(uint64_t off, const std::vector<std::byte>& d, uint16_t flags = 0) {
        return command(kCmdWrite, flags, off, uint32_t(d.size()), &d);
    }
    uint32_t read(uint64_t off, uint32_t len, std::vector<std::byte>& out) { return command(kCmdRead, 0, off, len, nullptr, &out); }
    int fd() const { return fd_; }

private:
    int fd_ = -1;
    uint64_t cookie_ = 0;
};

constexpr uint64_t kDiskSize = 4 << 20;

// Reads at or beyond `gateOffset` wait until the gate opens (open() or, with openOnWrite, the
// first write), at most 5 s (then EIO), so a server that runs one request at a time cannot
// answer a gated read before the request behind it.
class GateDevice final : public BlockDevice {
public:
    GateDevice(uint64_t size, uint64_t gateOffset)
        : inner_(std::make_shared<MemoryDevice>(size)), gate_(gateOffset) {}
    uint64_t size() const override { return inner_->size(); }
    Status read(uint64_t o, std::span<std::byte> out) override {
        if (o >= gate_) {
            std::unique_lock l(m_);
            if (!cv_.wait_for(l, std::chrono::seconds(5), [&] { return open_; }))
                return makeError(ErrorCode::IOError, "gate never opened");
        }
        return inner_->read(o, out);
    }
    Status write(uint64_t o, std::span<const std::byte> d, WriteFlags f) override {
        return inner_->write(o, d, f);
    }
    Status flush() override { return inner_->flush(); }
    std::string describe() const override { return "gate"; }
    void open() {
        std::lock_guard l(m_);
        open_ = true;
        cv_.notify_all();
    }

private:
    std::shared_ptr<MemoryDevice> inner_;
    const uint64_t gate_;
    std::mutex m_;
    std::condition_variable cv_;
    bool open_ = false;
};

}  // namespace

class TestNbdServer : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void greetingAndGo();
    void infoRepliesThenGo();
    void listNamesEveryExport();
    void abortIsAcknowledgedAndCloses();
    void unsupportedOptionsAreRefused_data();
    void unsupportedOptionsAreRefused();
    void unknownExport();
    void emptyNameServesTheOnlyExport();
    void readWriteFlushTrimWriteZeroes();
    void fuaReachesTheDevice();
    void requestErrors_data();
    void requestErrors();
    void oversizedWriteKeepsConnectionInSync();
    void engineErrorsMapToNbdErrors_data();
    void engineErrorsMapToNbdErrors();
    void deviceFailureIsEio();
    void malformedHandshakeClosesOnlyThatConnection_data();
    void malformedHandshakeClosesOnlyThatConnection();
    void twoClientsAtOnce();
    void clientVanishingMidRequest();
    void tcpListensOnLoopback();
    void liveSocketIsRefusedStaleOneReplaced();
    void stopClosesConnectionsAndFlushes();
    void silentConnectionsDoNotLockOutNewClients_data();
    void silentConnectionsDoNotLockOutNewClients();
    void silentHandshakeTimesOut();
    void oldestNegotiatingConnectionIsEvicted();
    void transmissionLimitRefusesGoWithPolicy();
    void repliesComeInAnyOrder();
    void requestsInFlightAreBounded();
    void flushCoversEveryAcknowledgedWrite_data();
    void flushCoversEveryAcknowledgedWrite();

private:
    std::unique_ptr<TempDir> dir_;
    std::shared_ptr<RecordingWrapper> disk_;
    std::shared_ptr<MemoryDevice> ro_;
    std::unique_ptr<NbdServer> server_;
    std::string sock_;
    std::unique_ptr<Client> connected(const std::string& name = "disk") {
        auto c = std::make_unique<Client>();
        if (!c->connectUnix(sock_) || !c->handshake() || !c->go(name)) return nullptr;
        return c;
    }
};

void TestNbdServer::init() {
    dir_ = std::make_unique<TempDir>();
    sock_ = dir_->file("nbd.sock");
    disk_ = std::make_shared<RecordingWrapper>(kDiskSize);
    LS_QVERIFY_OK(disk_->inner().write(0, patternBytes(1, 0, kDiskSize)));
    ro_ = std::make_shared<MemoryDevice>(patternBytes(2, 0, 1 << 20), "ro");
    server_ = std::make_unique<NbdServer>();
    LS_QVERIFY_OK(server_->addExport({"disk", disk_, false, "the test disk"}));
    LS_QVERIFY_OK(server_->addExport({"ro", ro_, true, ""}));
    LS_QVERIFY_OK(server_->listenUnix(sock_));
}

void TestNbdServer::cleanup() {
    server_.reset();
    dir_.reset();
}

void TestNbdServer::greetingAndGo() {
    Client c;
    QVERIFY(c.connectUnix(sock_));
    int flags = c.greeting();
    QCOMPARE(flags, int(kFlagFixedNewstyle | kFlagNoZeroes));
    std::vector<uint8_t> v;
    be32(v, kClientFlagFixedNewstyle | kClientFlagNoZeroes);
    QVERIFY(c.send(v));
    uint64_t size = 0;
    uint16_t tflags = 0;
    QVERIFY(c.go("disk", &size, &tflags));
    QCOMPARE(size, kDiskSize);
    for (uint16_t f : {kFlagHasFlags, kFlagSendFlush, kFlagSendFua, kFlagSendTrim, kFlagSendWriteZeroes})
        QVERIFY2(tflags & f, qPrintable(QString("flag %1 missing").arg(f)));
    QVERIFY(!(tflags & kFlagReadOnly));
    std::vector<std::byte> out;
    QCOMPARE(c.read(4096, 8192, out), 0u);
    QVERIFY(out == patternBytes(1, 4096, 8192));
}

void TestNbdServer::infoRepliesThenGo() {
    Client c;
    QVERIFY(c.connectUnix(sock_) && c.handshake());
    auto rs = c.infoOrGo(kOptInfo, "disk", {kInfoName, kInfoDescription, kInfoBlockSize});
    QVERIFY(!rs.empty());
    QCOMPARE(rs.back().type, kRepAck);
    bool sawExport = false, sawName = false, sawDesc = false, sawBlock = false;
    for (auto& r : rs) {
        if (r.type != kRepInfo) continue;
        QCOMPARE(r.option, kOptInfo);
        switch (rd16(r.data.data())) {
            case kInfoExport: sawExport = rd64(r.data.data() + 2) == kDiskSize; break;
            case kInfoName: sawName = std::string(r.data.begin() + 2, r.data.end()) == "disk"; break;
            case kInfoDescription: sawDesc = std::string(r.data.begin() + 2, r.data.end()) == "the test disk"; break;
            case kInfoBlockSize:
                sawBlock = rd32(r.data.data() + 2) == 1 && rd32(r.data.data() + 6) == 4096 &&
                           rd32(r.data.data() + 10) == (32u << 20);
                break;
        }
    }
    QVERIFY(sawExport && sawName && sawDesc && sawBlock);
    // INFO leaves the client in negotiation: GO on the read-only export still works.
    uint16_t flags = 0;
    QVERIFY(c.go("ro", nullptr, &flags));
    QVERIFY(flags & kFlagReadOnly);
    std::vector<std::byte> out;
    QCOMPARE(c.read(0, 512, out), 0u);
    QVERIFY(out == patternBytes(2, 0, 512));
}

void TestNbdServer::listNamesEveryExport() {
    Client c;
    QVERIFY(c.connectUnix(sock_) && c.handshake());
    QVERIFY(c.sendOption(kOptList, {}));
    QStringList names;
    for (;;) {
        Client::OptReply r;
        QVERIFY(c.readOptReply(r));
        if (r.type == kRepAck) break;
        QCOMPARE(r.type, kRepServer);
        uint32_t len = rd32(r.data.data());
        names << QString::fromStdString(std::string(r.data.begin() + 4, r.data.begin() + 4 + len));
    }
    names.sort();
    QCOMPARE(names, QStringList({"disk", "ro"}));
    // LIST with data is invalid, and the connection goes on.
    QVERIFY(c.sendOption(kOptList, {1, 2, 3}));
    Client::OptReply r;
    QVERIFY(c.readOptReply(r));
    QCOMPARE(r.type, kRepErrInvalid);
    QVERIFY(c.go("disk"));
}

void TestNbdServer::abortIsAcknowledgedAndCloses() {
    Client c;
    QVERIFY(c.connectUnix(sock_) && c.handshake());
    QVERIFY(c.sendOption(kOptAbort, {}));
    Client::OptReply r;
    QVERIFY(c.readOptReply(r));
    QCOMPARE(r.type, kRepAck);
    QVERIFY(c.closedByServer());
}

void TestNbdServer::unsupportedOptionsAreRefused_data() {
    QTest::addColumn<uint32_t>("option");
    QTest::newRow("STARTTLS") << kOptStartTls;
    QTest::newRow("STRUCTURED_REPLY") << kOptStructuredReply;
    QTest::newRow("LIST_META_CONTEXT") << 9u;
    QTest::newRow("EXTENDED_HEADERS") << 11u;
    QTest::newRow("unknown 4242") << 4242u;
}

void TestNbdServer::unsupportedOptionsAreRefused() {
    QFETCH(uint32_t, option);
    Client c;
    QVERIFY(c.connectUnix(sock_) && c.handshake());
    QVERIFY(c.sendOption(option, {}));
    Client::OptReply r;
    QVERIFY(c.readOptReply(r));
    QCOMPARE(r.option, option);
    QCOMPARE(r.type, kRepErrUnsup);
    QVERIFY(c.go("disk"));  // still negotiating, simple replies
    std::vector<std::byte> out;
    QCOMPARE(c.read(0, 16, out), 0u);
}

void TestNbdServer::unknownExport() {
    Client c;
    QVERIFY(c.connectUnix(sock_) && c.handshake());
    auto rs = c.infoOrGo(kOptGo, "nope");
    QCOMPARE(rs.size(), size_t(1));
    QCOMPARE(rs[0].type, kRepErrUnknown);
    QVERIFY(c.go("disk"));
    // The old EXPORT_NAME option has no error reply: the server closes.
    Client d;
    QVERIFY(d.connectUnix(sock_) && d.handshake());
    QVERIFY(d.sendOption(kOptExportName, {'n', 'o', 'p', 'e'}));
    QVERIFY(d.closedByServer());
}

void TestNbdServer::emptyNameServesTheOnlyExport() {
    // Two exports: the empty name is unknown.
    Client c;
    QVERIFY(c.connectUnix(sock_) && c.handshake());
    QCOMPARE(c.infoOrGo(kOptGo, "").back().type, kRepErrUnknown);
    LS_QVERIFY_OK(server_->removeExport("ro"));
    uint64_t size = 0;
    QVERIFY(c.go("", &size));
    QCOMPARE(size, kDiskSize);
    // EXPORT_NAME still works for old clients (size + flags, no zero padding after NO_ZEROES).
    Client d;
    QVERIFY(d.connectUnix(sock_) && d.handshake());
    QVERIFY(d.sendOption(kOptExportName, {'d', 'i', 's', 'k'}));
    uint8_t r[10];
    QVERIFY(d.recv(r, 10));
    QCOMPARE(rd64(r), kDiskSize);
    std::vector<std::byte> out;
    QCOMPARE(d.read(0, 16, out), 0u);
}

void TestNbdServer::readWriteFlushTrimWriteZeroes() {
    auto c = connected();
    QVERIFY(c);
    auto data = patternBytes(7, 0, 128 << 10);
    QCOMPARE(c->write(65536, data), 0u);
    std::vector<std::byte> out;
    QCOMPARE(c->read(65536, uint32_t(data.size()), out), 0u);
    QVERIFY(out == data);
    disk_->clear();
    QCOMPARE(c->command(kCmdFlush, 0, 0, 0), 0u);
    QCOMPARE(c->command(kCmdTrim, 0, 65536, 4096), 0u);
    QCOMPARE(c->command(kCmdWriteZeroes, 0, 69632, 8192), 0u);
    auto ops = disk_->ops();
    QCOMPARE(ops.size(), size_t(3));
    QCOMPARE(ops[0].kind, 'F');
    QCOMPARE(ops[1].kind, 'D');
    QCOMPARE(ops[1].offset, uint64_t(65536));
    QCOMPARE(ops[1].length, uint64_t(4096));
    QCOMPARE(ops[2].kind, 'Z');
    QCOMPARE(ops[2].offset, uint64_t(69632));
    QCOMPARE(c->read(69632, 8192, out), 0u);
    QVERIFY(out == std::vector<std::byte>(8192));
    // The device holds the data (not only the server).
    std::vector<std::byte> direct(4096);
    LS_QVERIFY_OK(disk_->read(65536 + 16384, direct));
    QVERIFY(direct == patternBytes(7, 16384, 4096));
    QCOMPARE(c->command(kCmdDisc, 0, 0, 0), ~0u);  // no reply to DISC: the server closes
    QVERIFY(c->closedByServer());
}

void TestNbdServer::fuaReachesTheDevice() {
    auto c = connected();
    QVERIFY(c);
    disk_->clear();
    auto data = patternBytes(3, 0, 4096);
    QCOMPARE(c->write(0, data), 0u);
    QCOMPARE(c->write(4096, data, kCmdFlagFua), 0u);
    QCOMPARE(c->command(kCmdWriteZeroes, kCmdFlagFua, 8192, 4096), 0u);
    QCOMPARE(c->command(kCmdTrim, kCmdFlagFua, 12288, 4096), 0u);
    auto ops = disk_->ops();
    QCOMPARE(ops.size(), size_t(5));
    QCOMPARE(ops[0].kind, 'W');
    QCOMPARE(ops[0].fua, false);
    QCOMPARE(ops[1].kind, 'W');
    QCOMPARE(ops[1].fua, true);
    QCOMPARE(ops[2].kind, 'Z');
    QCOMPARE(ops[2].fua, true);
    QCOMPARE(ops[3].kind, 'D');  // FUA trim = discard + flush
    QCOMPARE(ops[4].kind, 'F');
}

void TestNbdServer::requestErrors_data() {
    QTest::addColumn<QString>("exportName");
    QTest::addColumn<int>("type");
    QTest::addColumn<int>("flags");
    QTest::addColumn<quint64>("offset");
    QTest::addColumn<quint32>("length");
    QTest::addColumn<quint32>("error");
    const quint64 end = kDiskSize;
    QTest::newRow("read past end") << "disk" << int(kCmdRead) << 0 << end - 512 << 1024u << kEINVAL;
    QTest::newRow("read offset wraps") << "disk" << int(kCmdRead) << 0 << ~quint64(0) << 2u << kEINVAL;
    QTest::newRow("read over 32 MiB") << "disk" << int(kCmdRead) << 0 << quint64(0) << (32u << 20) + 1 << kEINVAL;
    QTest::newRow("write past end") << "disk" << int(kCmdWrite) << 0 << end << 512u << kENOSPC;
    QTest::newRow("trim past end") << "disk" << int(kCmdTrim) << 0 << end - 4096 << 8192u << kEINVAL;
    QTest::newRow("zeroes past end") << "disk" << int(kCmdWriteZeroes) << 0 << end << 1u << kENOSPC;
    QTest::newRow("unknown command") << "disk" << 42 << 0 << quint64(0) << 0u << kEINVAL;
    QTest::newRow("block status not offered") << "disk" << int(kCmdBlockStatus) << 0 << quint64(0) << 512u << kEINVAL;
    QTest::newRow("fast zero not offered") << "disk" << int(kCmdWriteZeroes) << int(kCmdFlagFastZero) << quint64(0) << 512u << kEINVAL;
    QTest::newRow("read-only write") << "ro" << int(kCmdWrite) << 0 << quint64(0) << 512u << kEPERM;
    QTest::newRow("read-only trim") << "ro" << int(kCmdTrim) << 0 << quint64(0) << 512u << kEPERM;
    QTest::newRow("read-only zeroes") << "ro" << int(kCmdWriteZeroes) << 0 << quint64(0) << 512u << kEPERM;
}

void TestNbdServer::requestErrors() {
    QFETCH(QString, exportName);
    QFETCH(int, type);
    QFETCH(int, flags);
    QFETCH(quint64, offset);
    QFETCH(quint32, length);
    QFETCH(quint32, error);
    auto c = connected(exportName.toStdString());
    QVERIFY(c);
    auto before = exportName == "disk" ? disk_->inner().contents() : ro_->contents();
    std::vector<std::byte> payload(type == kCmdWrite ? length : 0, std::byte{0x5a});
    QCOMPARE(c->command(uint16_t(type), uint16_t(flags), offset, length, type == kCmdWrite ? &payload : nullptr), error);
    // Nothing changed, and the connection still works.
    QVERIFY((exportName == "disk" ? disk_->inner().contents() : ro_->contents()) == before);
    std::vector<std::byte> out;
    QCOMPARE(c->read(0, 512, out), 0u);
}

void TestNbdServer::oversizedWriteKeepsConnectionInSync() {
    auto c = connected();
    QVERIFY(c);
    std::vector<std::byte> big((32u << 20) + 4096, std::byte{0x77});
    QCOMPARE(c->write(0, big), kEINVAL);
    std::vector<std::byte> out;
    QCOMPARE(c->read(0, 4096, out), 0u);
    QVERIFY(out == patternBytes(1, 0, 4096));  // the rejected payload wrote nothing
}

void TestNbdServer::engineErrorsMapToNbdErrors_data() {
    QTest::addColumn<int>("code");
    QTest::addColumn<quint32>("nbdError");
    QTest::addColumn<int>("posixErrno");  // core/util/errno_map.h, which FUSE returns too
    QTest::newRow("IOError") << int(ErrorCode::IOError) << kEIO << EIO;
    QTest::newRow("Corruption") << int(ErrorCode::Corruption) << kEIO << EIO;
    QTest::newRow("Invalidated") << int(ErrorCode::Invalidated) << kEIO << EIO;
    QTest::newRow("Busy") << int(ErrorCode::Busy) << kEIO << EIO;
    QTest::newRow("NotFound") << int(ErrorCode::NotFound) << kEIO << EIO;
    QTest::newRow("NoSpace") << int(ErrorCode::NoSpace) << kENOSPC << ENOSPC;
    QTest::newRow("InvalidArgument") << int(ErrorCode::InvalidArgument) << kEINVAL << EINVAL;
    QTest::newRow("Unsupported") << int(ErrorCode::Unsupported) << kENOTSUP << EOPNOTSUPP;
    QTest::newRow("Aborted") << int(ErrorCode::Aborted) << kESHUTDOWN << ESHUTDOWN;
}

void TestNbdServer::engineErrorsMapToNbdErrors() {
    QFETCH(int, code);
    QFETCH(quint32, nbdError);
    QFETCH(int, posixErrno);
    QCOMPARE(errnoFor(ErrorCode(code)), posixErrno);
    QCOMPARE(nbdErrorFor(ErrorCode(code)), nbdError);
}

void TestNbdServer::deviceFailureIsEio() {
    auto fault = std::make_shared<FaultDevice>(std::make_shared<MemoryDevice>(1 << 20));
    LS_QVERIFY_OK(server_->addExport({"faulty", fault, false, ""}));
    auto c = connected("faulty");
    QVERIFY(c);
    fault->failAll(true);
    std::vector<std::byte> out;
    QCOMPARE(c->read(0, 512, out), kEIO);
    QCOMPARE(c->write(0, std::vector<std::byte>(512)), kEIO);
    QCOMPARE(c->command(kCmdFlush, 0, 0, 0), kEIO);
    fault->failAll(false);
    QCOMPARE(c->read(0, 512, out), 0u);
}

void TestNbdServer::malformedHandshakeClosesOnlyThatConnection_data() {
    QTest::addColumn<QByteArray>("afterGreeting");
    auto opt = [](uint64_t magic, uint32_t option, uint32_t len) {
        std::vector<uint8_t> v;
        be32(v, kClientFlagFixedNewstyle);
        be64(v, magic);
        be32(v, option);
        be32(v, len);
        return QByteArray(reinterpret_cast<const char*>(v.data()), int(v.size()));
    };
    QTest::newRow("unknown client flags") << QByteArray("\x00\x00\x01\x01", 4);
    QTest::newRow("bad option magic") << opt(0x1122334455667788ULL, kOptGo, 0);
    QTest::newRow("huge option length") << opt(kIHaveOpt, kOptGo, 0x7fffffff);
    QTest::newRow("truncated flags") << QByteArray("\x00\x00", 2);
    QByteArray garbageRequest = opt(kIHaveOpt, kOptExportName, 4) + "disk";
    garbageRequest += QByteArray(28, 'x');  // after the export-name reply: a request with bad magic
    QTest::newRow("bad request magic") << garbageRequest;
}

void TestNbdServer::malformedHandshakeClosesOnlyThatConnection() {
    QFETCH(QByteArray, afterGreeting);
    auto good = connected();
    QVERIFY(good);
    Client bad;
    QVERIFY(bad.connectUnix(sock_));
    QVERIFY(bad.greeting() >= 0);
    QVERIFY(bad.sendRaw(afterGreeting.constData(), size_t(afterGreeting.size())));
    if (afterGreeting.size() == 2) ::shutdown(bad.fd(), SHUT_WR);  // the client gives up mid-field
    // The bad client is closed (possibly after the export reply of the last row)...
    bool closed = false;
    for (int i = 0; i < 200 && !closed; ++i) closed = bad.closedByServer();
    QVERIFY(closed);
    // ...while the established one and new ones are served.
    QCOMPARE(good->write(0, patternBytes(9, 0, 4096)), 0u);
    auto again = connected();
    QVERIFY(again);
    std::vector<std::byte> out;
    QCOMPARE(again->read(0, 4096, out), 0u);
    QVERIFY(out == patternBytes(9, 0, 4096));
}

void TestNbdServer::twoClientsAtOnce() {
    auto a = connected(), b = connected();
    QVERIFY(a && b);
    // Each client writes its own half concurrently, then reads the other's half.
    std::atomic<int> failures{0};
    auto work = [&](Client* c, uint64_t seed, uint64_t base) {
        for (uint64_t i = 0; i < 64; ++i)
            if (c->write(base + i * 16384, patternBytes(seed, base + i * 16384, 16384)) != 0) ++failures;
    };
    std::thread ta(work, a.get(), 11, 0), tb(work, b.get(), 12, kDiskSize / 2);
    ta.join();
    tb.join();
    QCOMPARE(failures.load(), 0);
    QCOMPARE(server_->activeConnections(), uint64_t(2));
    std::vector<std::byte> out;
    QCOMPARE(a->read(kDiskSize / 2, 1 << 20, out), 0u);
    QVERIFY(out == patternBytes(12, kDiskSize / 2, 1 << 20));
    QCOMPARE(b->read(0, 1 << 20, out), 0u);
    QVERIFY(out == patternBytes(11, 0, 1 << 20));
    // A flush on one connection is a flush of the device.
    disk_->clear();
    QCOMPARE(b->command(kCmdFlush, 0, 0, 0), 0u);
    QCOMPARE(disk_->ops().size(), size_t(1));
}

void TestNbdServer::clientVanishingMidRequest() {
    {
        auto c = connected();
        QVERIFY(c);
        QCOMPARE(c->write(0, patternBytes(21, 0, 8192)), 0u);  // completed: must survive
        // Half a write, then gone.
        auto half = patternBytes(22, 0, 4096);
        QVERIFY(c->sendRequest(kCmdWrite, 0, 65536, 8192, half.data(), half.size()));
        // And a big read whose reply nobody reads (the server must not die of SIGPIPE).
        auto d = connected();
        QVERIFY(d);
        QVERIFY(d->sendRequest(kCmdRead, 0, 0, 4 << 20));
    }
    QTRY_COMPARE_WITH_TIMEOUT(server_->activeConnections(), uint64_t(0), 5000);
    auto e = connected();
    QVERIFY(e);
    std::vector<std::byte> out;
    QCOMPARE(e->read(0, 8192, out), 0u);
    QVERIFY(out == patternBytes(21, 0, 8192));
    QCOMPARE(e->read(65536, 8192, out), 0u);
    QVERIFY(out == patternBytes(1, 65536, 8192));  // the half write touched nothing
    // The vanished writer's completed write was flushed when its connection ended.
    bool flushed = false;
    for (auto& op : disk_->ops()) flushed |= op.kind == 'F';
    QVERIFY(flushed);
}

void TestNbdServer::tcpListensOnLoopback() {
    auto port = server_->listenTcp("127.0.0.1", 0);
    LS_QVERIFY_OK(port);
    QVERIFY(*port != 0);
    Client c;
    QVERIFY(c.connectTcp(*port));
    QVERIFY(c.handshake());
    QVERIFY(c.go("disk"));
    std::vector<std::byte> out;
    QCOMPARE(c.read(0, 4096, out), 0u);
    QVERIFY(out == patternBytes(1, 0, 4096));
    QVERIFY(!server_->listenTcp("", 0).ok());  // the address is never implicit in the engine
}

void TestNbdServer::liveSocketIsRefusedStaleOneReplaced() {
    NbdServer other;
    auto r = other.listenUnix(sock_);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::Busy);
    // A stale socket file (no server behind it) is replaced.
    std::string stale = dir_->file("stale.sock");
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, stale.c_str(), sizeof a.sun_path - 1);
    QCOMPARE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ::close(fd);
    LS_QVERIFY_OK(other.listenUnix(stale));
    // A regular file is never deleted.
    writeFile(dir_->file("plain"), patternBytes(1, 0, 10));
    QCOMPARE(other.listenUnix(dir_->file("plain")).error().code, ErrorCode::InvalidArgument);
    QVERIFY(fileExists(dir_->file("plain")));
}

void TestNbdServer::stopClosesConnectionsAndFlushes() {
    auto c = connected();
    QVERIFY(c);
    QCOMPARE(c->write(0, patternBytes(5, 0, 4096)), 0u);
    disk_->clear();
    server_->stop();
    QVERIFY(c->closedByServer());
    QVERIFY(!fileExists(sock_));
    bool flushed = false;
    for (auto& op : disk_->ops()) flushed |= op.kind == 'F';
    QVERIFY(flushed);
    Client late;
    QVERIFY(!late.connectUnix(sock_));
}

void TestNbdServer::silentConnectionsDoNotLockOutNewClients_data() {
    QTest::addColumn<bool>("tcp");
    QTest::newRow("unix socket") << false;
    QTest::newRow("tcp 127.0.0.1") << true;
}

// Issue #11 item 3: 130 connections that never send their client flags (more than the 128
// transmission slots) must not lock out a new client.
void TestNbdServer::silentConnectionsDoNotLockOutNewClients() {
    QFETCH(bool, tcp);
    uint16_t port = 0;
    if (tcp) {
        auto p = server_->listenTcp("127.0.0.1", 0);
        LS_QVERIFY_OK(p);
        port = *p;
    }
    auto connect = [&](Client& c) { return tcp ? c.connectTcp(port) : c.connectUnix(sock_); };
    constexpr int kSilent = 130;
    std::vector<std::unique_ptr<Client>> silent;
    for (int i = 0; i < kSilent; ++i) {
        silent.push_back(std::make_unique<Client>());
        QVERIFY(connect(*silent.back()));
    }
    QTRY_COMPARE_WITH_TIMEOUT(server_->negotiatingConnections(), uint64_t(kSilent), 10000);
    Client fresh;
    QVERIFY(connect(fresh));
    QVERIFY(fresh.handshake());
    QVERIFY(fresh.go("disk"));
    std::vector<std::byte> out;
    QCOMPARE(fresh.read(0, 4096, out), 0u);
    QVERIFY(out == patternBytes(1, 0, 4096));
    // The silent ones are still there, neither evicted nor counted as transmitting.
    QCOMPARE(server_->negotiatingConnections(), uint64_t(kSilent));
    QCOMPARE(server_->evictedHandshakes(), uint64_t(0));
    QCOMPARE(server_->exports().front().activeConnections, uint64_t(1));
}

void TestNbdServer::silentHandshakeTimesOut() {
    NbdServerOptions o;
    o.handshakeTimeout = std::chrono::milliseconds(200);
    NbdServer server(o);
    LS_QVERIFY_OK(server.addExport({"disk", disk_, false, ""}));
    const std::string path = dir_->file("timeout.sock");
    LS_QVERIFY_OK(server.listenUnix(path));
    Client silent;  // connects, never sends its flags
    QVERIFY(silent.connectUnix(path));
    QVERIFY(silent.greeting() >= 0);
    Client trickle;  // sends its flags and then half an option header, never the rest
    QVERIFY(trickle.connectUnix(path) && trickle.handshake());
    std::vector<uint8_t> half;
    be64(half, kIHaveOpt);
    QVERIFY(trickle.send(half));
    QVERIFY(silent.closedByServer());  // within the client's 5 s receive timeout
    QVERIFY(trickle.closedByServer());
    QTRY_COMPARE_WITH_TIMEOUT(server.timedOutHandshakes(), uint64_t(2), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(server.activeConnections(), uint64_t(0), 5000);
    // A client that negotiates in time is served, and transmission has no such deadline.
    Client good;
    QVERIFY(good.connectUnix(path) && good.handshake() && good.go("disk"));
    QTest::qWait(300);
    std::vector<std::byte> out;
    QCOMPARE(good.read(0, 4096, out), 0u);
}

void TestNbdServer::oldestNegotiatingConnectionIsEvicted() {
    NbdServerOptions o;
    o.maxNegotiating = 4;
    NbdServer server(o);
    LS_QVERIFY_OK(server.addExport({"disk", disk_, false, ""}));
    const std::string path = dir_->file("evict.sock");
    LS_QVERIFY_OK(server.listenUnix(path));
    std::vector<std::unique_ptr<Client>> silent;
    for (int i = 0; i < 4; ++i) {
        silent.push_back(std::make_unique<Client>());
        QVERIFY(silent.back()->connectUnix(path));
        QTRY_COMPARE_WITH_TIMEOUT(server.negotiatingConnections(), uint64_t(i + 1), 5000);
    }
    Client fresh;
    QVERIFY(fresh.connectUnix(path));
    QVERIFY(fresh.handshake() && fresh.go("disk"));
    std::vector<std::byte> out;
    QCOMPARE(fresh.read(0, 4096, out), 0u);
    QCOMPARE(server.evictedHandshakes(), uint64_t(1));
    // The oldest silent connection was the one closed: greeting, then EOF.
    QVERIFY(silent.front()->greeting() >= 0);
    QVERIFY(silent.front()->closedByServer());
    QCOMPARE(server.negotiatingConnections(), uint64_t(3));
}

void TestNbdServer::transmissionLimitRefusesGoWithPolicy() {
    NbdServerOptions o;
    o.maxConnections = 1;
    NbdServer server(o);
    LS_QVERIFY_OK(server.addExport({"disk", disk_, false, ""}));
    const std::string path = dir_->file("limit.sock");
    LS_QVERIFY_OK(server.listenUnix(path));
    Client first;
    QVERIFY(first.connectUnix(path) && first.handshake() && first.go("disk"));
    Client second;
    QVERIFY(second.connectUnix(path) && second.handshake());
    auto rs = second.infoOrGo(kOptGo, "disk");
    QVERIFY(!rs.empty());
    QCOMPARE(rs.back().type, kRepErrPolicy);
    QVERIFY(second.closedByServer());
    first.close();
    QTRY_COMPARE_WITH_TIMEOUT(server.activeConnections(), uint64_t(0), 5000);
    Client third;  // the slot is free again
    QVERIFY(third.connectUnix(path) && third.handshake() && third.go("disk"));
}

// Issue #17: a connection keeps several requests in flight and replies as each finishes. A read
// that waits for a later write is answered after that write: impossible one request at a time.
void TestNbdServer::repliesComeInAnyOrder() {
    // The read waits at the gate until the test has seen the write's reply: the server must
    // answer the later request first. (Opening the gate from the device's write raced with
    // the write's own reply being sent.)
    auto gate = std::make_shared<GateDevice>(1 << 20, 512 << 10);
    NbdServer server;
    LS_QVERIFY_OK(server.addExport({"gate", gate, false, ""}));
    const std::string path = dir_->file("gate.sock");
    LS_QVERIFY_OK(server.listenUnix(path));
    Client c;
    QVERIFY(c.connectUnix(path) && c.handshake() && c.go("gate"));
    QVERIFY(c.sendRequest(kCmdRead, 0, 512 << 10, 4096));  // cookie 1: waits for the write
    auto data = patternBytes(61, 0, 4096);
    QVERIFY(c.sendRequest(kCmdWrite, 0, 0, 4096, data.data(), data.size()));  // cookie 2
    Client::Reply first, second;
    QVERIFY(c.readReply(first));
    QCOMPARE(first.cookie, uint64_t(2));
    QCOMPARE(first.error, 0u);
    gate->open();
    QVERIFY(c.readReply(second, 4096));
    QCOMPARE(second.cookie, uint64_t(1));
    QCOMPARE(second.error, 0u);
    QVERIFY(server.exports().front().peakRequestsInFlight >= 2);
}

void TestNbdServer::requestsInFlightAreBounded() {
    auto gate = std::make_shared<GateDevice>(1 << 20, 0);
    NbdServerOptions o;
    o.maxRequestsInFlight = 3;
    o.requestThreads = 3;
    NbdServer server(o);
    LS_QVERIFY_OK(server.addExport({"gate", gate, false, ""}));
    const std::string path = dir_->file("bounded.sock");
    LS_QVERIFY_OK(server.listenUnix(path));
    Client c;
    QVERIFY(c.connectUnix(path) && c.handshake() && c.go("gate"));
    constexpr int kReads = 8;
    for (int i = 0; i < kReads; ++i) QVERIFY(c.sendRequest(kCmdRead, 0, uint64_t(i) * 4096, 4096));
    QTRY_COMPARE_WITH_TIMEOUT(server.exports().front().peakRequestsInFlight, uint64_t(3), 3000);
    QTest::qWait(100);  // nothing more is taken in while the three wait
    QCOMPARE(server.exports().front().peakRequestsInFlight, uint64_t(3));
    gate->open();
    std::set<uint64_t> cookies;
    for (int i = 0; i < kReads; ++i) {
        Client::Reply r;
        QVERIFY(c.readReply(r, 4096));
        QCOMPARE(r.error, 0u);
        cookies.insert(r.cookie);
    }
    QCOMPARE(cookies.size(), size_t(kReads));
    QCOMPARE(server.exports().front().peakRequestsInFlight, uint64_t(3));
}

void TestNbdServer::flushCoversEveryAcknowledgedWrite_data() {
    QTest::addColumn<quint64>("seed");
    for (quint64 seed = 1; seed <= 4; ++seed) QTest::newRow(qPrintable(QString("seed%1").arg(seed))) << seed;
}

// Crash-lab style: a pipelining client writes, waits for the replies, sends FLUSH and more writes
// right behind it; after the FLUSH reply a power loss (a volatile cache dropping a random subset)
// keeps every write acknowledged before the FLUSH was sent.
void TestNbdServer::flushCoversEveryAcknowledgedWrite() {
    QFETCH(quint64, seed);
    constexpr uint64_t kSize = 1 << 20, kBlock = 4096, kBlocks = kSize / kBlock;
    auto stable = std::make_shared<MemoryDevice>(kSize);
    auto cache = std::make_shared<VolatileCacheDevice>(stable);
    NbdServer server;
    LS_QVERIFY_OK(server.addExport({"cache", cache, false, ""}));
    const std::string path = dir_->file("cache.sock");
    LS_QVERIFY_OK(server.listenUnix(path));
    Client c;
    QVERIFY(c.connectUnix(path) && c.handshake() && c.go("cache"));
    std::mt19937_64 rng(seed);
    std::vector<uint64_t> blocks(kBlocks);
    std::iota(blocks.begin(), blocks.end(), 0);
    // Writes in flight together go to distinct blocks (overlapping ones have no defined order).
    auto burst = [&](size_t n, uint64_t patBase, std::map<uint64_t, uint64_t>& into) {
        std::shuffle(blocks.begin(), blocks.end(), rng);
        for (size_t i = 0; i < n; ++i) {
            auto data = patternBytes(patBase + i, 0, kBlock);
            if (!c.sendRequest(kCmdWrite, 0, blocks[i] * kBlock, uint32_t(kBlock), data.data(), data.size())) return false;
            into[blocks[i]] = patBase + i;
        }
        return true;
    };
    std::map<uint64_t, uint64_t> acked, behind;  // block -> pattern
    QVERIFY(burst(32, seed * 10000, acked));
    for (int i = 0; i < 32; ++i) {
        Client::Reply r;
        QVERIFY(c.readReply(r));
        QCOMPARE(r.error, 0u);
    }
    // FLUSH, with more writes right behind it that the flush need not cover.
    QVERIFY(c.sendRequest(kCmdFlush, 0, 0, 0));
    const uint64_t flushCookie = 33;
    QVERIFY(burst(12, seed * 10000 + 5000, behind));
    bool flushed = false;
    for (int i = 0; i < 13; ++i) {
        Client::Reply r;
        QVERIFY(c.readReply(r));
        QCOMPARE(r.error, 0u);
        flushed |= r.cookie == flushCookie;
    }
    QVERIFY(flushed);
    LS_QVERIFY_OK(cache->crash(VolatileCacheDevice::CrashMode::RandomSubset, seed));
    std::vector<std::byte> got(kBlock);
    for (auto [block, pat] : acked) {
        LS_QVERIFY_OK(stable->read(block * kBlock, got));
        bool ok = got == patternBytes(pat, 0, kBlock) ||
                  (behind.count(block) && got == patternBytes(behind[block], 0, kBlock));
        QVERIFY2(ok, qPrintable(QString("block %1, acknowledged before the FLUSH, was lost").arg(block)));
    }
}

QTEST_GUILESS_MAIN(TestNbdServer)
#include "tst_nbd_server.moc"
