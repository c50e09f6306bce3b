// PendingExceptionModel under QAbstractItemModelTester, fed events out of order: rows change
// state in the right order, waiting rows name the sequence they wait for, committed rows leave
// the pending table, and events for rows that already left are ignored.
#include <QAbstractItemModelTester>
#include <QtTest>

#include <vector>

#include "ui/models/PendingExceptionModel.h"

using namespace loopsnap;
using namespace loopsnap::ui;

namespace {
constexpr uint32_t kSource = 7;
int64_t t = 1'000'000;
Event ev(EventKind kind, uint64_t seq, uint64_t c = 1, uint32_t source = kSource) {
    t += 1'000'000;  // 1 ms apart
    return Event{kind, source, seq, 100 + seq, 10 + seq, c, t};
}
Event alloc(uint64_t s) { return ev(EventKind::ExceptionAllocated, s); }
Event started(uint64_t s) { return ev(EventKind::CopyStarted, s); }
Event finished(uint64_t s, bool ok = true) { return ev(EventKind::CopyFinished, s, ok ? 1 : 0); }
Event committed(uint64_t s) { return ev(EventKind::ExceptionCommitted, s); }
}  // namespace

class TestExceptionModel : public QObject {
    Q_OBJECT
    std::unique_ptr<PendingExceptionModel> model;
    std::unique_ptr<QAbstractItemModelTester> tester;

    void feed(std::vector<Event> events) { model->applyEvents(events, t); }
    // The table as "seq:state" pairs.
    QStringList table() const {
        QStringList out;
        for (int r = 0; r < model->rowCount(); ++r) {
            const auto& row = model->pendingRow(r);
            static const char* names[] = {"copying", "copied", "waiting", "failed", "committed"};
            out << QStringLiteral("%1:%2").arg(row.seq).arg(QLatin1String(names[int(row.state)]));
        }
        return out;
    }

private slots:
    void init() {
        model = std::make_unique<PendingExceptionModel>();
        tester = std::make_unique<QAbstractItemModelTester>(model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        model->setSource(kSource);
        model->setCommittedLinger(0);
    }
    void cleanup() {
        tester.reset();
        model.reset();
    }

    void outOfOrderCompletionWaitsForTheEarlierOne() {
        // Allocations published out of order by racing threads, another source mixed in.
        feed({alloc(1), alloc(0), ev(EventKind::ExceptionAllocated, 0, 1, 99), alloc(3), alloc(2), started(0), started(1)});
        QCOMPARE(table(), QStringList({"0:copying", "1:copying", "2:copying", "3:copying"}));
        QCOMPARE(model->counters().inFlight, uint64_t(4));

        feed({finished(3), finished(2)});
        QCOMPARE(table(), QStringList({"0:copying", "1:copying", "2:waiting", "3:waiting"}));
        QCOMPARE(model->pendingRow(2).waitingFor, uint64_t(0));
        QCOMPARE(model->counters().waitingOutOfOrder, uint64_t(2));
        QCOMPARE(model->counters().finishedOutOfOrder, uint64_t(2));
        QVERIFY(model->data(model->index(2, PendingExceptionModel::StateColumn), Qt::DisplayRole).toString().contains("#0"));

        feed({finished(0)});
        QCOMPARE(table(), QStringList({"0:copied", "1:copying", "2:waiting", "3:waiting"}));
        QCOMPARE(model->pendingRow(3).waitingFor, uint64_t(1));

        QSignalSpy removed(model.get(), &QAbstractItemModel::rowsRemoved);
        feed({committed(0)});
        QCOMPARE(table(), QStringList({"1:copying", "2:waiting", "3:waiting"}));
        QCOMPARE(removed.size(), 1);

        feed({finished(1), committed(1), committed(2), committed(3)});
        QCOMPARE(table(), QStringList());
        QCOMPARE(model->counters().committed, uint64_t(4));
        QCOMPARE(model->counters().inFlight, uint64_t(0));

        // The trace: 2 and 3 finished out of order, commits in sequence.
        const auto& trace = model->trace();
        QCOMPARE(trace.marks.size(), size_t(4));
        QVERIFY(trace.marks[0].outOfOrder && trace.marks[1].outOfOrder);
        QVERIFY(!trace.marks[2].outOfOrder && !trace.marks[3].outOfOrder);
        QCOMPARE(trace.commits.size(), size_t(4));
        for (size_t i = 0; i < trace.commits.size(); ++i) QCOMPARE(trace.commits[i].seq, uint64_t(i));
    }

    void lateEventsForRowsThatLeftAreIgnored() {
        feed({alloc(0), finished(0), committed(0)});
        QCOMPARE(model->rowCount(), 0);
        feed({started(0), finished(0)});  // stale, e.g. from a racing publisher
        QCOMPARE(model->rowCount(), 0);
        feed({finished(1)});  // a row whose allocation we missed appears with its first event
        QCOMPARE(table(), QStringList({"1:copied"}));
    }

    void statesNeverGoBack() {
        feed({alloc(0), finished(0), started(0)});
        QCOMPARE(table(), QStringList({"0:copied"}));
        feed({committed(0), finished(0)});
        QCOMPARE(model->rowCount(), 0);
    }

    void committedRowsLingerThenLeave() {
        model->setCommittedLinger(50'000'000);  // 50 ms
        feed({alloc(0), alloc(1), finished(0), committed(0)});
        QCOMPARE(table(), QStringList({"0:committed", "1:copying"}));
        t += 60'000'000;
        feed({});
        QCOMPARE(table(), QStringList({"1:copying"}));
    }

    void failedCopyIsShown() {
        feed({alloc(0), finished(0, false)});
        QCOMPARE(table(), QStringList({"0:failed"}));
    }

    void resyncTakesTheEngineCounts() {
        feed({alloc(0), alloc(1), alloc(2)});
        SnapshotTrace trace;
        trace.allocated = 50;
        trace.committed = 48;
        trace.copiesInFlight = 2;
        trace.areaWrites = 3;
        model->resync(trace, t);
        QCOMPARE(model->rowCount(), 0);
        QCOMPARE(model->counters().committed, uint64_t(48));
        QCOMPARE(model->counters().areaWrites, uint64_t(3));
        feed({finished(10), finished(48)});  // 10 is below the committed prefix: gone
        QCOMPARE(table(), QStringList({"48:copied"}));
    }
};

QTEST_MAIN(TestExceptionModel)
#include "tst_ui_exception_model.moc"
