// ExceptionTable against a std::map model: random inserts, replacements, erases and lookups,
// across buffer merges, with narrow and wide COW chunk numbers; loading in disk order with
// duplicates; and the memory bound of the compact layout at a million exceptions.
#include <QTest>

#include <map>
#include <random>

#include "core/snapshot/exception_table.h"

using namespace loopsnap;

class TestExceptionTable : public QObject {
    Q_OBJECT
private:
    static void expectEqual(const ExceptionTable& table, const std::map<uint64_t, uint64_t>& model) {
        QCOMPARE(table.size(), model.size());
        std::vector<std::pair<uint64_t, uint64_t>> seen;
        table.forEach([&](uint64_t o, uint64_t n) { seen.emplace_back(o, n); });
        std::vector<std::pair<uint64_t, uint64_t>> want(model.begin(), model.end());
        QCOMPARE(seen, want);
    }

private slots:
    void randomAgainstModel_data() {
        QTest::addColumn<uint64_t>("seed");
        QTest::addColumn<bool>("wide");
        QTest::addColumn<int>("ops");
        QTest::addColumn<uint64_t>("keySpace");
        QTest::newRow("narrow dense") << uint64_t(1) << false << 20000 << uint64_t(3000);
        QTest::newRow("narrow sparse") << uint64_t(2) << false << 30000 << uint64_t(1);
        QTest::newRow("wide sparse") << uint64_t(3) << true << 30000 << uint64_t(1);
        QTest::newRow("narrow erase-heavy") << uint64_t(4) << false << 40000 << uint64_t(5000);
    }
    void randomAgainstModel() {
        QFETCH(uint64_t, seed);
        QFETCH(bool, wide);
        QFETCH(int, ops);
        QFETCH(uint64_t, keySpace);
        std::mt19937_64 rng(seed);
        const uint64_t keys = keySpace == 1 ? (uint64_t(1) << 40) : keySpace;
        ExceptionTable table(wide);
        std::map<uint64_t, uint64_t> model;
        uint64_t nextCow = wide ? (uint64_t(1) << 33) : 1;
        for (int i = 0; i < ops; ++i) {
            uint64_t key = rng() % keys;
            switch (rng() % 4) {
            case 0:
            case 1:
                table.insert(key, nextCow);
                model[key] = nextCow++;
                break;
            case 2: {
                // Erase of an existing entry with its value, or a mismatched value (must not erase).
                auto it = model.lower_bound(key);
                if (it == model.end()) break;
                bool right = rng() % 3 != 0;
                bool erased = table.erase(it->first, right ? it->second : it->second + 1);
                QCOMPARE(erased, right);
                if (right) model.erase(it);
                break;
            }
            case 3: {
                auto got = table.find(key);
                auto it = model.find(key);
                QCOMPARE(got.has_value(), it != model.end());
                if (got) QCOMPARE(*got, it->second);
                break;
            }
            }
        }
        expectEqual(table, model);
        auto byCow = table.byCowChunk();
        for (size_t i = 1; i < byCow.size(); ++i) QVERIFY(byCow[i - 1].second < byCow[i].second);
    }

    void loadKeepsLastDuplicate() {
        ExceptionTable table;
        table.load({{5, 10}, {3, 11}, {5, 12}, {9, 13}, {3, 14}});
        std::map<uint64_t, uint64_t> model{{3, 14}, {5, 12}, {9, 13}};
        expectEqual(table, model);
        table.insert(7, 15);
        model[7] = 15;
        QVERIFY(table.erase(5, 12));
        model.erase(5);
        expectEqual(table, model);
    }

    void narrowSwitchesToWide() {
        ExceptionTable table(false);
        for (uint64_t i = 0; i < 5000; ++i) table.insert(i * 7, i + 1);
        table.insert(1, uint64_t(1) << 35);
        QCOMPARE(*table.find(1), uint64_t(1) << 35);
        QCOMPARE(*table.find(7), uint64_t(2));
        QCOMPARE(table.size(), size_t(5001));
    }

    // The figure the benchmark reports beside the kernel's 32-byte dm_exception: the compact
    // layout holds a million exceptions, inserted in random order, in at most 16 bytes each.
    void millionExceptionsFitSixteenBytesEach() {
        ExceptionTable table = ExceptionTable::forStore(uint64_t(1) << 22);
        std::mt19937_64 rng(9);
        const uint64_t n = 1000000;
        for (uint64_t i = 0; i < n; ++i) table.insert(rng() % (uint64_t(1) << 30), i + 1);
        QVERIFY(table.size() > n - 1000);  // a few random keys repeat
        const double perException = double(table.memoryBytes()) / double(table.size());
        qInfo("memory per exception at %zu exceptions: %.2f bytes", table.size(), perException);
        QVERIFY2(perException <= 16.0, qPrintable(QString::number(perException)));
    }
};

QTEST_APPLESS_MAIN(TestExceptionTable)
#include "tst_exception_table.moc"
