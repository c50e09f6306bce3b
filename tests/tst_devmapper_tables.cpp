// The kernel backend's pure parts, on any host: device names, table lines built from typed values,
// and the kernel's status lines parsed into the userspace engine's status types (the lines below
// are ones kernel 6.1 printed in scripts/test-kernel.sh's VM).
#include <QtTest>

#include "core/linux/devmapper.h"
#include "support/test_support.h"

using namespace loopsnap;

class TestDevmapperTables : public QObject {
    Q_OBJECT
private slots:
    void names_data() {
        QTest::addColumn<QString>("ws");
        QTest::addColumn<QString>("id");
        QTest::addColumn<QString>("expected");  // "" = refused
        QTest::newRow("plain") << "w1" << "abc123" << "loopsnap-w1-snap-abc123";
        QTest::newRow("dots and plus") << "w.1" << "a+b_c" << "loopsnap-w.1-snap-a+b_c";
        QTest::newRow("dash would break the parts") << "w-1" << "abc" << "";
        QTest::newRow("slash") << "w1" << "../x" << "";
        QTest::newRow("space") << "w1" << "a b" << "";
        QTest::newRow("empty") << "" << "abc" << "";
        QTest::newRow("too long") << "w1" << QString(130, 'x') << "";
    }
    void names() {
        QFETCH(QString, ws);
        QFETCH(QString, id);
        QFETCH(QString, expected);
        auto name = dm::deviceName(ws.toStdString(), "snap", id.toStdString());
        if (expected.isEmpty()) {
            QVERIFY(!name.ok());
            QCOMPARE(name.error().code, ErrorCode::InvalidArgument);
            QCOMPARE(QString::fromStdString(name.error().detail), QString("bad-name"));
            return;
        }
        LS_QVERIFY_OK(name);
        QCOMPARE(QString::fromStdString(name.value()), expected);
        QCOMPARE(QString::fromStdString(dm::uuidForName(name.value())), "LOOPSNAP-" + expected.mid(9));
    }

    void tables() {
        auto origin = dm::snapshotOriginTable("/dev/loop0", 8192);
        LS_QVERIFY_OK(origin);
        QCOMPARE(QString::fromStdString(origin->type + " " + origin->params), QString("snapshot-origin /dev/loop0"));
        auto snap = dm::snapshotTable("/dev/loop0", "/dev/loop1", StoreType::PersistentOverflow, 32, 8192);
        LS_QVERIFY_OK(snap);
        QCOMPARE(QString::fromStdString(snap->params), QString("/dev/loop0 /dev/loop1 PO 32"));
        QCOMPARE(snap->lengthSectors, uint64_t(8192));
        auto merge = dm::snapshotMergeTable("/dev/loop0", "/dev/loop1", StoreType::Persistent, 8, 8192);
        LS_QVERIFY_OK(merge);
        QCOMPARE(QString::fromStdString(merge->type), QString("snapshot-merge"));
        dm::CloneTableOptions o;
        o.regionSectors = 128;
        o.hydrationThreshold = 8;
        o.hydrationBatchSize = 4;
        auto clone = dm::cloneTable("/dev/loop2", "/dev/loop3", "/dev/loop4", 8192, o);
        LS_QVERIFY_OK(clone);
        QCOMPARE(QString::fromStdString(clone->params),
                 QString("/dev/loop2 /dev/loop3 /dev/loop4 128 1 no_hydration 4 hydration_threshold 8 hydration_batch_size 4"));
        o.hydration = true;
        o.discardPassdown = false;
        clone = dm::cloneTable("/dev/loop2", "/dev/loop3", "/dev/loop4", 8192, o);
        LS_QVERIFY_OK(clone);
        QCOMPARE(QString::fromStdString(clone->params),
                 QString("/dev/loop2 /dev/loop3 /dev/loop4 128 1 no_discard_passdown 4 hydration_threshold 8 hydration_batch_size 4"));
    }

    void tablesRefuseBadValues_data() {
        QTest::addColumn<QString>("what");
        QTest::addColumn<QString>("detail");
        QTest::newRow("relative path") << "relative" << "bad-device-path";
        QTest::newRow("path with a space") << "space" << "bad-device-path";
        QTest::newRow("chunk not a power of two") << "chunk" << "bad-chunk-size";
        QTest::newRow("chunk below 4K") << "small-chunk" << "bad-chunk-size";
        QTest::newRow("transient merge") << "merge-n" << "merge-transient";
        QTest::newRow("zero length") << "empty" << "empty-table";
        QTest::newRow("region too small") << "region" << "bad-region-size";
        QTest::newRow("zero threshold") << "threshold" << "bad-hydration-setting";
    }
    void tablesRefuseBadValues() {
        QFETCH(QString, what);
        QFETCH(QString, detail);
        Result<dm::TableLine> r = Error{ErrorCode::Aborted, ""};
        dm::CloneTableOptions o;
        if (what == "relative") r = dm::snapshotOriginTable("loop0", 8);
        if (what == "space") r = dm::snapshotTable("/dev/loop0", "/dev/loop1 x", StoreType::Persistent, 8, 8);
        if (what == "chunk") r = dm::snapshotTable("/dev/loop0", "/dev/loop1", StoreType::Persistent, 24, 8);
        if (what == "small-chunk") r = dm::snapshotTable("/dev/loop0", "/dev/loop1", StoreType::Persistent, 4, 8);
        if (what == "merge-n") r = dm::snapshotMergeTable("/dev/loop0", "/dev/loop1", StoreType::Transient, 8, 8);
        if (what == "empty") r = dm::snapshotOriginTable("/dev/loop0", 0);
        if (what == "region") { o.regionSectors = 4; r = dm::cloneTable("/dev/a", "/dev/b", "/dev/c", 8, o); }
        if (what == "threshold") { o.hydrationThreshold = 0; r = dm::cloneTable("/dev/a", "/dev/b", "/dev/c", 8, o); }
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::InvalidArgument);
        QCOMPARE(QString::fromStdString(r.error().detail), detail);
    }

    void snapshotStatusLines_data() {
        QTest::addColumn<QString>("line");
        QTest::addColumn<uint>("chunk");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<quint64>("exceptions");
        QTest::newRow("fresh 4K") << "16/2048 16" << 8u << true << quint64(0);
        QTest::newRow("used") << "8256/16384 48" << 16u << true << quint64((8256 - 48) / 16);
        QTest::newRow("merging") << "6184/16384 32" << 16u << true << quint64((6184 - 32) / 16);
        QTest::newRow("transient") << "0/2048 0" << 8u << true << quint64(0);
        QTest::newRow("Invalid") << "Invalid" << 8u << true << quint64(0);
        QTest::newRow("Overflow") << "Overflow" << 8u << true << quint64(0);
        QTest::newRow("Merge failed") << "Merge failed" << 8u << true << quint64(0);
        QTest::newRow("garbage") << "16/x 16" << 8u << false << quint64(0);
        QTest::newRow("meta above alloc") << "16/2048 32" << 8u << false << quint64(0);
        QTest::newRow("extra word") << "16/2048 16 7" << 8u << false << quint64(0);
    }
    void snapshotStatusLines() {
        QFETCH(QString, line);
        QFETCH(uint, chunk);
        QFETCH(bool, ok);
        QFETCH(quint64, exceptions);
        auto st = dm::parseSnapshotStatus(line.toStdString(), chunk);
        QCOMPARE(st.ok(), ok);
        if (!ok) {
            QCOMPARE(QString::fromStdString(st.error().detail), QString("bad-status-line"));
            return;
        }
        QCOMPARE(st->exceptions, exceptions);
        QCOMPARE(QString::fromStdString(st->kernelStatusLine()), line);  // prints back the same
    }

    void cloneStatusLines_data() {
        QTest::addColumn<QString>("line");
        QTest::addColumn<bool>("ok");
        QTest::newRow("fresh") << "8 6/1024 8 0/16384 0 1 no_hydration 4 hydration_threshold 1 hydration_batch_size 1 rw" << true;
        QTest::newRow("hydrating") << "8 4596/16384 16 0 4 hydration_threshold 16 hydration_batch_size 1 rw" << false;  // malformed: no regions
        QTest::newRow("running") << "8 41/1024 128 7/64 8 0 4 hydration_threshold 8 hydration_batch_size 4 rw" << true;
        QTest::newRow("no passdown") << "8 41/1024 128 64/64 0 1 no_discard_passdown 4 hydration_threshold 1 hydration_batch_size 1 ro"
                                     << true;
        QTest::newRow("Fail") << "Fail" << true;
        QTest::newRow("truncated") << "8 41/1024 128 7/64 8 0 4 hydration_threshold" << false;
        QTest::newRow("bad mode") << "8 41/1024 128 7/64 8 0 4 hydration_threshold 8 hydration_batch_size 4 xx" << false;
    }
    void cloneStatusLines() {
        QFETCH(QString, line);
        QFETCH(bool, ok);
        auto st = dm::parseCloneStatus(line.toStdString());
        QCOMPARE(st.ok(), ok);
        if (ok) QCOMPARE(QString::fromStdString(st->kernelLine()), line);  // the userspace printer agrees
    }
};

QTEST_GUILESS_MAIN(TestDevmapperTables)
#include "tst_devmapper_tables.moc"
