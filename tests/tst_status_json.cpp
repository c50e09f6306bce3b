// core/export/status_json.h: the one writer of status JSON for the control socket and the CLI.
// The members are the CLI contract's (cli-contract.md), the text is valid JSON whatever the
// strings hold, and the writer keeps the order members were added in.
#include <QtTest>

#include <QJsonDocument>
#include <QJsonObject>

#include "core/export/status_json.h"

using namespace loopsnap;

namespace {
QJsonObject parsed(const std::string& text) {
    QJsonParseError err{};
    auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(text), &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject()) qWarning("not a JSON object: %s", text.c_str());
    return doc.object();
}
QStringList sorted(QStringList l) {
    l.sort();
    return l;
}
}  // namespace

class TestStatusJson : public QObject {
    Q_OBJECT
private slots:
    void snapshotStatusHasTheContractFields_data();
    void snapshotStatusHasTheContractFields();
    void cloneStatusHasTheContractFields();
    void stringsAreEscaped();
};

void TestStatusJson::snapshotStatusHasTheContractFields_data() {
    QTest::addColumn<int>("state");
    QTest::addColumn<QString>("stateName");
    QTest::addColumn<QString>("line");
    QTest::newRow("valid") << int(SnapshotState::Valid) << "valid" << "40/2048 16";
    QTest::newRow("invalid") << int(SnapshotState::Invalid) << "invalid" << "Invalid";
    QTest::newRow("overflow") << int(SnapshotState::Overflow) << "overflow" << "Overflow";
}

void TestStatusJson::snapshotStatusHasTheContractFields() {
    QFETCH(int, state);
    QFETCH(QString, stateName);
    QFETCH(QString, line);
    SnapshotStatus s;
    s.state = SnapshotState(state);
    s.allocatedSectors = 40;
    s.totalSectors = 2048;
    s.metadataSectors = 16;
    s.chunkSectors = 8;
    s.exceptions = 3;
    QJsonObject o = parsed(snapshotStatusJson(s));
    QCOMPARE(sorted(o.keys()), sorted({"status", "state", "allocated_sectors", "total_sectors", "metadata_sectors",
                                       "chunk_sectors", "exceptions"}));
    QCOMPARE(o["status"].toString(), line);
    QCOMPARE(o["state"].toString(), stateName);
    QCOMPARE(o["allocated_sectors"].toInteger(), 40);
    QCOMPARE(o["total_sectors"].toInteger(), 2048);
    QCOMPARE(o["metadata_sectors"].toInteger(), 16);
    QCOMPARE(o["chunk_sectors"].toInteger(), 8);
    QCOMPARE(o["exceptions"].toInteger(), 3);
}

void TestStatusJson::cloneStatusHasTheContractFields() {
    CloneStatus s;
    s.regionSectors = 128;
    s.hydratedRegions = 5;
    s.totalRegions = 64;
    s.hydratingRegions = 2;
    s.totalMetadataBlocks = 5;
    s.usedMetadataBlocks = 3;
    QJsonObject o = parsed(cloneStatusJson(s));
    QCOMPARE(sorted(o.keys()), sorted({"status", "hydrated_regions", "total_regions", "hydrating_regions", "region_sectors"}));
    QCOMPARE(o["status"].toString(), QString::fromStdString(s.kernelLine()));
    QCOMPARE(o["hydrated_regions"].toInteger(), 5);
    QCOMPARE(o["total_regions"].toInteger(), 64);
    QCOMPARE(o["hydrating_regions"].toInteger(), 2);
    QCOMPARE(o["region_sectors"].toInteger(), 128);
}

void TestStatusJson::stringsAreEscaped() {
    const std::string nasty = std::string("a\"b\\c\nd\te\x01") + "\xc3\xa9";
    std::string text = JsonObjectWriter().add("name", nasty).add("n", uint64_t(7)).add("on", true).str();
    QJsonObject o = parsed(text);
    QCOMPARE(o["name"].toString(), QString::fromStdString(nasty));
    QCOMPARE(o["n"].toInteger(), 7);
    QCOMPARE(o["on"].toBool(), true);
    QVERIFY(text.find("\"name\"") < text.find("\"n\":"));  // insertion order
}

QTEST_GUILESS_MAIN(TestStatusJson)
#include "tst_status_json.moc"
